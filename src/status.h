// Status helpers shared by every module: early-return macros and one mapping
// helper per error source (SQLite result codes, errno).
#ifndef CCO_SRC_STATUS_H_
#define CCO_SRC_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fmt/format.h"

#define CCO_CONCAT_INNER_(a, b) a##b
#define CCO_CONCAT_(a, b) CCO_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    absl::Status cco_status_ = (expr);         \
    if (!cco_status_.ok()) return cco_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(CCO_CONCAT_(cco_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(*tmp)

struct sqlite3;

namespace cco {

// This abseil is built with its own string_view (not std::string_view).
// AsAbsl converts a view without copying.
inline absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Maps a SQLite result code (and the connection's message, when given) to a
// Status. SQLITE_BUSY/LOCKED become kUnavailable (retryable), SQLITE_FULL
// kResourceExhausted, SQLITE_CORRUPT/NOTADB kDataLoss.
absl::Status SqliteStatus(int rc, sqlite3* db, std::string_view context);

// Maps errno to a Status carrying strerror and the context (usually a path).
absl::Status ErrnoStatus(int err, std::string_view context);

}  // namespace cco

// Lets spdlog/fmt print absl::string_view (e.g. Status::message()).
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.data(), s.size()), ctx);
  }
};

#endif  // CCO_SRC_STATUS_H_

// What the store tells the derived data (derive.h) about each row it
// stores, inside the writer's transaction: the store depends on this
// interface, SqliteDeriver (sqlite_deriver.h) implements it over the store's
// own connection.
//
// Thread-safety: writer thread only.
#ifndef CCO_SRC_DERIVER_H_
#define CCO_SRC_DERIVER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "src/record.h"

namespace cco {

// Where a freshly inserted row lives.
struct RowContext {
  int64_t row_id = 0;           // messages.id or events.id
  int64_t conversation_id = 0;
  int64_t project_id = 0;
  int64_t byte_offset = 0;
  const FileLocation* location = nullptr;
};

// What a message row showed before a revision replaced it (revision.h).
struct StoredMessage {
  int64_t id = 0;
  std::string type;
  std::string model;
  std::optional<int64_t> timestamp_ms;
};

class Deriver {
 public:
  virtual ~Deriver() = default;

  // A new message or event row, ctx.row_id.
  virtual absl::Status OnMessage(const LineRecord& rec, const RowContext& ctx) = 0;
  virtual absl::Status OnEvent(const LineRecord& rec, const RowContext& ctx) = 0;
  // A revision of the stored row ctx.row_id. `shown`: the row now shows
  // `rec` (its contributions move from `old` to `rec`); else `rec` is an
  // earlier revision and only offers its usage copy.
  virtual absl::Status OnMessageRevised(const LineRecord& rec, const RowContext& ctx, bool shown,
                                        const StoredMessage& old) = 0;
  virtual absl::Status OnEventRevised(const LineRecord& rec, const RowContext& ctx, bool shown) = 0;

  // A deriver may gather changes in memory while a transaction's rows
  // arrive (one write per key rather than one per row). Flush writes them:
  // the owner of the transaction calls it after the last row, before
  // anything else in the transaction reads the derived tables, and before
  // committing. Discard forgets them after a rollback.
  virtual absl::Status Flush() = 0;
  virtual void Discard() = 0;
};

}  // namespace cco

#endif  // CCO_SRC_DERIVER_H_

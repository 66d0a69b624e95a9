// Thin RAII wrappers over libpq for the team server (docs/team.md): a
// connection (PgConn) and a query result (PgResult). No exceptions; every
// fallible call returns absl::Status.
//
// Credentials come from the connection string, PGPASSFILE (~/.pgpass) or
// the environment (PGPASSWORD, PGUSER …), as libpq reads them. Nothing here
// logs or stores a connection string: messages name the server by
// RedactedUrl() only.
//
// Thread-safety: a PgConn belongs to one thread at a time.
#ifndef CCO_SRC_PG_H_
#define CCO_SRC_PG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct pg_conn;
struct pg_result;

namespace cco {

// True for postgresql://… and postgres://… (what --db and --to take for a
// server rather than an SQLite path).
bool IsPostgresUrl(std::string_view s);

// The URL without its password (postgresql://alice@host/db): what messages,
// logs and the local push_targets table may show.
std::string RedactedUrl(std::string_view url);

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r);
  int rows() const;
  // Rows an INSERT, UPDATE or DELETE changed (PQcmdTuples); 0 otherwise.
  int64_t affected() const;
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;  // 0 for NULL
  std::optional<int64_t> OptionalInt(int row, int col) const;
  // A bytea column read in text form ("\x…"), decoded.
  std::string Bytes(int row, int col) const;
  pg_result* get() const { return result_.get(); }

 private:
  struct Clear {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

class PgConn {
 public:
  // Connects to `url`. Unavailable when the server cannot be reached (the
  // caller may retry), PermissionDenied when it refuses the credentials,
  // InvalidArgument for a malformed URL.
  static absl::StatusOr<PgConn> Connect(const std::string& url);
  PgConn(PgConn&&) = default;
  PgConn& operator=(PgConn&&) = default;

  // Runs one or more statements without parameters.
  absl::Status Exec(std::string_view sql);
  // One statement with text parameters ($1 …; nullopt is NULL).
  absl::StatusOr<PgResult> Query(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});
  // COPY `copy_sql` (… FROM STDIN) with `data` in COPY's text format.
  absl::Status CopyIn(std::string_view copy_sql, std::string_view data);

  // Whether the connection is still usable (false after the server went away).
  bool ok() const;
  const std::string& where() const { return where_; }
  pg_conn* get() const { return conn_.get(); }

 private:
  struct Finish {
    void operator()(pg_conn* c) const;
  };
  PgConn(pg_conn* c, std::string where) : conn_(c), where_(std::move(where)) {}
  absl::Status Error(std::string_view what) const;

  std::unique_ptr<pg_conn, Finish> conn_;
  std::string where_;  // RedactedUrl of the server
};

// COPY text format (tab-separated, \N for NULL): each Copy* appends one
// field and its tab; EndRow turns the last tab into the row's newline. A
// text field must not hold NUL (PostgreSQL's text cannot); CopyBytes sends
// raw bytes as a bytea ("\\x" hex).
void CopyText(std::string* row, std::string_view value);
void CopyOptionalText(std::string* row, const std::optional<std::string>& value);
void CopyBytes(std::string* row, std::string_view bytes);
void CopyNull(std::string* row);
void CopyInt(std::string* row, int64_t value);
void CopyOptionalInt(std::string* row, std::optional<int64_t> value);
void EndRow(std::string* row);

}  // namespace cco

#endif  // CCO_SRC_PG_H_

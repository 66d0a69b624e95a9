#include "src/sqlite.h"

#include "src/sql_functions.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/memory_budget.h"

namespace cco {

absl::Status SqliteStatus(int rc, sqlite3* db, std::string_view context) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return absl::OkStatus();
  std::string msg = absl::StrCat(AsAbsl(context), ": ", sqlite3_errstr(rc));
  if (db != nullptr) {
    const char* detail = sqlite3_errmsg(db);
    if (detail != nullptr && std::strcmp(detail, sqlite3_errstr(rc)) != 0) {
      absl::StrAppend(&msg, " (", detail, ")");
    }
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(msg);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::PermissionDeniedError(msg);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::Status ErrnoStatus(int err, std::string_view context) {
  std::string msg = absl::StrCat(AsAbsl(context), ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EMFILE:
    case ENFILE:
      return absl::ResourceExhaustedError(msg);
    case EWOULDBLOCK:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<Db> Db::Open(const std::string& path, Mode mode) {
  // Before SQLite's first use: no global count of its allocations. Counting
  // takes a process-wide mutex on every allocation, which serialises two
  // connections working at once (a split search scan ran at half speed)
  // and cco reads no such count. (SQLITE_MISUSE once SQLite is in use: the
  // count then stays.)
  static const bool kUncounted = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)kUncounted;
  // ":memory:" is a database without a file: nothing to create.
  if (mode == Mode::kReadWrite && path != ":memory:") {
    // Create the file ourselves so it is 0600 from the first byte on.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open database ", path));
    ::close(fd);
  }
  int flags = mode == Mode::kReadWrite || mode == Mode::kAsItIs ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
  flags |= SQLITE_OPEN_NOMUTEX;
  std::string name = path;
  if (mode == Mode::kImmutable) {
    // A URI: the path's '%', '?' and '#' must not be read as URI syntax.
    name = "file:";
    for (char c : path) {
      if (c == '%' || c == '?' || c == '#') {
        absl::StrAppend(&name, "%", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
      } else {
        name.push_back(c);
      }
    }
    name += "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  Db db(raw, path);  // owns the handle even on error
  if (mode == Mode::kAsItIs) {
    if (rc != SQLITE_OK) {
      return absl::DataLossError(absl::StrCat(path, " cannot be opened as a database: ", sqlite3_errstr(rc)));
    }
    return db;
  }
  if (rc != SQLITE_OK) return SqliteStatus(rc, raw, absl::StrCat("cannot open database ", path));
  sqlite3_extended_result_codes(raw, 1);
  // Stored values are read through cco_raw()/cco_text() (sql_functions.h).
  if (int frc = RegisterSqlFunctions(raw); frc != SQLITE_OK) {
    return SqliteStatus(frc, raw, "cannot register cco's SQL functions");
  }
  sqlite3_busy_timeout(raw, 5000);
  // The first statements read the file: name it when they fail (a file that
  // is not a database fails here).
  auto in_context = [&path](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("cannot open database ", path, ": ", s.message()));
  };
  if (mode == Mode::kReadWrite) {
    if (absl::Status s = db.Exec("PRAGMA journal_mode=WAL"); !s.ok()) return in_context(s);
    RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL"));
    // The writer's working set: a larger page cache keeps index pages of
    // big transactions in memory instead of re-reading them; its size is
    // part of the memory budget (src/memory_budget.h).
    RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA cache_size=-", kWriterCacheBytes / 1024)));
    RETURN_IF_ERROR(db.Exec("PRAGMA temp_store=MEMORY"));
    // After a checkpoint, shrink a WAL that a large batch grew.
    RETURN_IF_ERROR(db.Exec("PRAGMA journal_size_limit=67108864"));
    // Checkpoint once the WAL holds 64 MiB rather than SQLite's 4 MiB: a
    // backfill's batches rewrite the same index pages, and each checkpoint
    // copied them to the database file again and waited for its fsync (a
    // 1 GiB backfill takes 0.87x the time it took at 16 MiB;
    // docs/benchmarks.md). journal_size_limit truncates the WAL back to
    // 64 MiB after a checkpoint.
    RETURN_IF_ERROR(db.Exec("PRAGMA wal_autocheckpoint=16384"));
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON"));
  // Touch the schema so a file that is not a database fails here, clearly.
  auto probe = db.QueryInt("SELECT count(*) FROM sqlite_master");
  if (!probe.ok()) return in_context(probe.status());
  return db;
}

absl::Status Db::Exec(std::string_view sql) {
  std::string owned(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), owned.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db_.get(), absl::StrCat("exec ", owned.substr(0, 60)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Stmt> Db::Prepare(std::string_view sql, bool persistent) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  Stmt s(stmt, db_.get());
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db_.get(), absl::StrCat("prepare ", AsAbsl(sql.substr(0, 80))));
  }
  return s;
}

absl::StatusOr<std::optional<int64_t>> Db::QueryInt(std::string_view sql) {
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || stmt.ColumnIsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt.ColumnInt(0));
}

int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
int Db::changes() const { return sqlite3_changes(db_.get()); }

namespace {
absl::Status BindResult(int rc, sqlite3* db) {
  return rc == SQLITE_OK ? absl::OkStatus() : SqliteStatus(rc, db, "bind");
}
}  // namespace

Stmt& Stmt::Bind(int index, int64_t value) {
  if (bind_status_.ok()) bind_status_ = BindResult(sqlite3_bind_int64(stmt_.get(), index, value), db_);
  return *this;
}

Stmt& Stmt::Bind(int index, double value) {
  if (bind_status_.ok()) bind_status_ = BindResult(sqlite3_bind_double(stmt_.get(), index, value), db_);
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  if (bind_status_.ok()) {
    bind_status_ = BindResult(sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                                                  SQLITE_TRANSIENT, SQLITE_UTF8),
                              db_);
  }
  return *this;
}

Stmt& Stmt::BindBlob(int index, std::string_view bytes) {
  if (bind_status_.ok()) {
    bind_status_ = BindResult(
        sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), db_);
  }
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  if (bind_status_.ok()) bind_status_ = BindResult(sqlite3_bind_null(stmt_.get(), index), db_);
  return *this;
}

Stmt& Stmt::BindTextOrNull(int index, std::string_view text) {
  return text.empty() ? BindNull(index) : Bind(index, text);
}

absl::StatusOr<bool> Stmt::Step() {
  if (!bind_status_.ok()) {
    absl::Status s = bind_status_;
    Reset();
    return s;
  }
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status s = SqliteStatus(rc, db_, absl::StrCat("step ", std::string(sqlite3_sql(stmt_.get())).substr(0, 80)));
  sqlite3_reset(stmt_.get());
  return s;
}

absl::Status Stmt::Run() {
  auto row = Step();
  Reset();
  return row.status();
}

absl::Status Stmt::ForEachRow(absl::FunctionRef<bool(const Stmt&)> row) {
  absl::Status status;
  while (true) {
    absl::StatusOr<bool> has_row = Step();
    if (!has_row.ok()) {
      status = has_row.status();
      break;
    }
    if (!*has_row || !row(*this)) break;
  }
  Reset();
  return status;
}

void Stmt::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_status_ = absl::OkStatus();
}

int64_t Stmt::ColumnInt(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
double Stmt::ColumnDouble(int col) const { return sqlite3_column_double(stmt_.get(), col); }
std::string Stmt::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), col);
  int n = sqlite3_column_bytes(stmt_.get(), col);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), n);
}
std::string_view Stmt::ColumnView(int col) const {
  const void* bytes = sqlite3_column_blob(stmt_.get(), col);
  int n = sqlite3_column_bytes(stmt_.get(), col);
  return bytes == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(bytes), n);
}
int Stmt::ColumnCount() const { return sqlite3_column_count(stmt_.get()); }

bool Stmt::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}
std::optional<int64_t> Stmt::ColumnOptionalInt(int col) const {
  if (ColumnIsNull(col)) return std::nullopt;
  return ColumnInt(col);
}

absl::StatusOr<Transaction> Transaction::Begin(Db& db) {
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

absl::Status Transaction::Commit() {
  if (db_ == nullptr) return absl::FailedPreconditionError("transaction already finished");
  absl::Status s = db_->Exec("COMMIT");
  if (s.ok()) db_ = nullptr;
  return s;
}

absl::StatusOr<ReadSnapshot> ReadSnapshot::Begin(Db& db) {
  if (sqlite3_get_autocommit(db.get()) == 0) return ReadSnapshot(nullptr);  // inside an outer one
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  return ReadSnapshot(&db);
}

ReadSnapshot::~ReadSnapshot() {
  if (db_ != nullptr) (void)db_->Exec("COMMIT");
}

}  // namespace cco

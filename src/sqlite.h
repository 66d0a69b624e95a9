// Thin RAII wrappers over the SQLite C API: a connection (Db), a prepared
// statement (Stmt) and a transaction (Transaction). No exceptions; every
// fallible call returns absl::Status.
//
// Lifetime: a Stmt must not outlive the Db that prepared it (declare the Db
// first). Thread-safety: a Db and its Stmts belong to one thread at a time.
#ifndef CCO_SRC_SQLITE_H_
#define CCO_SRC_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/status.h"

namespace cco {

class Stmt;

class Db {
 public:
  // kImmutable: read-only with SQLite's `immutable=1`, for a copy on
  // read-only storage where even a reader cannot create the WAL index
  // (-shm); SQLite then assumes nothing changes the file while it is open.
  // kAsItIs: the file exactly as it is, for checking a copy (backup.h):
  // read-write but never created, and nothing set or asked on open (no WAL
  // switch, no pragmas, no SQL functions, no busy wait, no probe query); a
  // failed open is DataLoss, "PATH cannot be opened as a database: REASON".
  enum class Mode { kReadWrite, kReadOnly, kImmutable, kAsItIs };

  // Opens (kReadWrite creates) the database at `path` and, but for
  // kAsItIs, applies the connection pragmas: WAL, synchronous=NORMAL,
  // foreign_keys=ON and a busy timeout. A kReadWrite open of a new file
  // creates it with mode 0600; ":memory:" opens a new in-memory database (no
  // file).
  static absl::StatusOr<Db> Open(const std::string& path, Mode mode);

  Db(Db&&) = default;
  Db& operator=(Db&&) = default;

  // Runs one or more statements that return no rows.
  absl::Status Exec(std::string_view sql);
  absl::StatusOr<Stmt> Prepare(std::string_view sql, bool persistent = false);

  // Convenience for single-value queries; nullopt when there is no row.
  absl::StatusOr<std::optional<int64_t>> QueryInt(std::string_view sql);

  int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* get() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

class Stmt {
 public:
  Stmt(Stmt&&) = default;
  Stmt& operator=(Stmt&&) = default;

  // Binds are 1-based like SQLite's. Text and blobs are copied
  // (SQLITE_TRANSIENT) so the caller's buffers may die right after.
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Stmt& Bind(int index, double value);
  Stmt& Bind(int index, std::string_view text);
  Stmt& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Stmt& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Stmt& BindBlob(int index, std::string_view bytes);
  Stmt& BindNull(int index);
  // Binds NULL when the text is empty.
  Stmt& BindTextOrNull(int index, std::string_view text);
  template <typename T>
  Stmt& BindOptional(int index, const std::optional<T>& v) {
    return v.has_value() ? Bind(index, *v) : BindNull(index);
  }

  // Steps once: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps to completion of a statement that returns no rows, then resets.
  absl::Status Run();
  // Resets and clears bindings for reuse; errors from the last Step were
  // already reported there.
  void Reset();

  // Steps through the rows, calling `row` for each until it returns false,
  // then resets the statement (also on error).
  absl::Status ForEachRow(absl::FunctionRef<bool(const Stmt&)> row);

  int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  // The column's bytes as stored (a BLOB's bytes, or a TEXT's without
  // conversion); the view is valid until the next Step or Reset.
  std::string_view ColumnView(int col) const;
  std::string ColumnBlob(int col) const { return std::string(ColumnView(col)); }
  bool ColumnIsNull(int col) const;
  std::optional<int64_t> ColumnOptionalInt(int col) const;
  int ColumnCount() const;

 private:
  friend class Db;
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  Stmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  sqlite3* db_;
  absl::Status bind_status_;
};

// BEGIN IMMEDIATE on construction via Begin(); rolls back in the destructor
// unless Commit() succeeded.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Db& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  absl::Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

// A read transaction (plain BEGIN): every statement until it ends reads one
// snapshot while a writer goes on. Ended by the destructor, on every path
// (a connection left inside one would pin the WAL and read old data).
// Inside a transaction already (an outer snapshot), it is that one's part
// and ends nothing.
class ReadSnapshot {
 public:
  static absl::StatusOr<ReadSnapshot> Begin(Db& db);
  ReadSnapshot(ReadSnapshot&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  ReadSnapshot& operator=(ReadSnapshot&&) = delete;
  ~ReadSnapshot();

 private:
  explicit ReadSnapshot(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace cco

#endif  // CCO_SRC_SQLITE_H_

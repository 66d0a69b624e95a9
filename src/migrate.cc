#include "src/migrate.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"
#include "src/errors.h"
#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

std::string Checksum(const std::string& sql) {
  return absl::StrFormat("xxh64:%016x", StableHash(sql));
}

absl::Status EnsureTable(Db& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_ms INTEGER NOT NULL)");
}

// Returns the index of the first migration not yet applied, after verifying
// the applied ones.
absl::StatusOr<size_t> VerifyApplied(Db& db, const std::vector<Migration>& migrations) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT name, checksum FROM schema_migrations ORDER BY name"));
  size_t i = 0;
  absl::Status wrong;  // an applied migration this binary does not know, or one changed since
  RETURN_IF_ERROR(stmt.ForEachRow([&](const Stmt& r) {
    std::string name = r.ColumnText(0);
    std::string checksum = r.ColumnText(1);
    if (i >= migrations.size() || migrations[i].name != name) {
      wrong = WithKind(absl::FailedPreconditionError(absl::StrCat(
                             "database ", db.path(), " has migration ", name,
                             " that this cco does not know; it was written by a newer or different version"
                             " of cco (upgrade cco to read it)")),
                         ErrorKind::kNewerSchema);
      return false;
    }
    if (Checksum(migrations[i].sql) != checksum) {
      wrong = absl::FailedPreconditionError(absl::StrCat(
          "migration ", name, " changed after it was applied to ", db.path(),
          " (recorded ", checksum, ", now ", Checksum(migrations[i].sql), ")"));
      return false;
    }
    ++i;
    return true;
  }));
  RETURN_IF_ERROR(wrong);
  return i;
}

}  // namespace

absl::Status Migrate(Db& db, const std::vector<Migration>& migrations) {
  RETURN_IF_ERROR(EnsureTable(db));
  ASSIGN_OR_RETURN(size_t next, VerifyApplied(db, migrations));
  for (size_t i = next; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
    absl::Status applied = db.Exec(m.sql);
    if (!applied.ok()) {
      return absl::InternalError(absl::StrCat("migration ", m.name, " failed: ", applied.message()));
    }
    ASSIGN_OR_RETURN(Stmt record, db.Prepare(
        "INSERT INTO schema_migrations(name, checksum, applied_ms)"
        " VALUES (?1, ?2, ?3)"));
    RETURN_IF_ERROR(record.Bind(1, m.name).Bind(2, Checksum(m.sql)).Bind(3, absl::ToUnixMillis(absl::Now())).Run());
    RETURN_IF_ERROR(txn.Commit());
    spdlog::info("migration applied name={}", m.name);
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckApplied(Db& db, const std::vector<Migration>& migrations, bool allow_older) {
  ASSIGN_OR_RETURN(std::optional<int64_t> exists,
                   db.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'"));
  if (!exists.has_value() || *exists == 0) {
    return WithKind(absl::FailedPreconditionError(absl::StrCat(db.path(), " is not a cco database (no schema)")),
                    ErrorKind::kNotCcoDatabase);
  }
  ASSIGN_OR_RETURN(size_t applied, VerifyApplied(db, migrations));
  if (applied < migrations.size() && !allow_older) {
    return WithKind(absl::FailedPreconditionError(absl::StrCat(db.path(), " needs migration ",
                                                               migrations[applied].name,
                                                               "; run a writing command (cco rescan) first")),
                    ErrorKind::kOlderSchema);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSchema(Db& db, const std::vector<Migration>& migrations) {
  return CheckApplied(db, migrations, /*allow_older=*/false);
}

absl::Status CheckSchemaReadable(Db& db, const std::vector<Migration>& migrations) {
  return CheckApplied(db, migrations, /*allow_older=*/true);
}

}  // namespace cco

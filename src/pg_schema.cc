#include "src/pg_schema.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/errors.h"
#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

std::string Checksum(const std::string& sql) { return absl::StrFormat("xxh64:%016x", StableHash(sql)); }

// The number of migrations applied, after checking each against ours.
absl::StatusOr<size_t> VerifyApplied(PgConn& conn, const std::vector<Migration>& migrations) {
  ASSIGN_OR_RETURN(PgResult exists, conn.Query("SELECT to_regclass('cco_schema_migrations') IS NOT NULL"));
  if (exists.Text(0, 0) != "t") return 0;
  ASSIGN_OR_RETURN(PgResult rows, conn.Query("SELECT name, checksum FROM cco_schema_migrations ORDER BY name"));
  for (int i = 0; i < rows.rows(); ++i) {
    const std::string name = rows.Text(i, 0);
    if (static_cast<size_t>(i) >= migrations.size() || migrations[i].name != name) {
      return WithKind(absl::FailedPreconditionError(absl::StrCat(
                          conn.where(), " has server migration ", name,
                          " that this cco does not know (upgrade cco to use this server)")),
                      ErrorKind::kNewerSchema);
    }
    if (Checksum(migrations[i].sql) != rows.Text(i, 1)) {
      return absl::FailedPreconditionError(absl::StrCat("server migration ", name, " changed after it was applied to ",
                                                        conn.where(), " (recorded ", rows.Text(i, 1), ", now ",
                                                        Checksum(migrations[i].sql), ")"));
    }
  }
  return static_cast<size_t>(rows.rows());
}

}  // namespace

absl::Status MigratePg(PgConn& conn, const std::vector<Migration>& migrations) {
  RETURN_IF_ERROR(conn.Exec("BEGIN"));
  // One migrating session at a time (two admins, or two upgrades).
  absl::Status done = [&]() -> absl::Status {
    RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_xact_lock(7370001)"));
    RETURN_IF_ERROR(conn.Exec(
        "CREATE TABLE IF NOT EXISTS cco_schema_migrations ("
        " name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
        "GRANT SELECT ON cco_schema_migrations TO PUBLIC"));
    ASSIGN_OR_RETURN(size_t next, VerifyApplied(conn, migrations));
    for (size_t i = next; i < migrations.size(); ++i) {
      const Migration& m = migrations[i];
      RETURN_IF_ERROR(Prefixed(conn.Exec(m.sql), absl::StrCat("server migration ", m.name)));
      RETURN_IF_ERROR(conn.Query("INSERT INTO cco_schema_migrations (name, checksum) VALUES ($1, $2)",
                                 {m.name, Checksum(m.sql)})
                          .status());
    }
    return conn.Exec("COMMIT");
  }();
  if (!done.ok()) (void)conn.Exec("ROLLBACK");
  return done;
}

absl::Status CheckPgSchema(PgConn& conn, const std::vector<Migration>& migrations) {
  ASSIGN_OR_RETURN(size_t applied, VerifyApplied(conn, migrations));
  if (applied == 0) {
    return WithKind(absl::FailedPreconditionError(absl::StrCat(
                        conn.where(), " has no cco schema (its owner runs `cco team-init --db URL` once; see docs/team.md)")),
                    ErrorKind::kNotCcoDatabase);
  }
  if (applied < migrations.size()) {
    return WithKind(absl::FailedPreconditionError(absl::StrCat(
                        conn.where(), " lacks server migration ", migrations[applied].name,
                        " (its owner runs `cco team-init --db URL`)")),
                    ErrorKind::kOlderSchema);
  }
  return absl::OkStatus();
}

}  // namespace cco

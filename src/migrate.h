// Schema migrations: schema/NNNN_name.sql files compiled into the binary,
// applied in name order, each in its own transaction, and recorded with a
// checksum in schema_migrations. A recorded migration whose text changed is a
// startup error, never a silent re-run.
#ifndef CCO_SRC_MIGRATE_H_
#define CCO_SRC_MIGRATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "src/sqlite.h"

namespace cco {

struct Migration {
  std::string name;  // file name, e.g. "0001_initial.sql"
  std::string sql;
};

// Defined in the generated schema_embedded.cc.
const std::vector<Migration>& EmbeddedMigrations();

// Applies every migration not yet recorded. REQUIRES: a read-write `db` held
// by the single writer.
absl::Status Migrate(Db& db, const std::vector<Migration>& migrations = EmbeddedMigrations());

// Checks that `db` (possibly read-only) has every migration applied,
// unchanged; FailedPrecondition otherwise, with an ErrorKind (errors.h):
// kNotCcoDatabase (no schema), kNewerSchema (a migration this binary does
// not know), kOlderSchema (one not applied yet).
absl::Status CheckSchema(Db& db, const std::vector<Migration>& migrations = EmbeddedMigrations());

// The same, but a database that lacks the newest migrations passes: for
// readers that cope with older schemas (`cco status` of a database whose
// writer has not been upgraded yet). A newer schema is still refused.
absl::Status CheckSchemaReadable(Db& db, const std::vector<Migration>& migrations = EmbeddedMigrations());

}  // namespace cco

#endif  // CCO_SRC_MIGRATE_H_

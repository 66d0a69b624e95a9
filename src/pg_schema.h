// The team server's schema: schema_pg/NNNN_*.sql compiled into the binary
// (PgMigrations()), applied in name order in one transaction,
// recorded with a checksum in cco_schema_migrations, as the local database's
// migrations are (migrate.h). A recorded migration whose text changed, or
// one this binary does not know, is refused.
#ifndef CCO_SRC_PG_SCHEMA_H_
#define CCO_SRC_PG_SCHEMA_H_

#include <vector>

#include "absl/status/status.h"
#include "src/migrate.h"
#include "src/pg.h"

namespace cco {

// Defined in the generated schema_pg_embedded.cc.
const std::vector<Migration>& PgMigrations();

// Applies every migration not yet recorded (the database owner, once per
// upgrade: `cco team-init`). Serialized by an advisory lock.
absl::Status MigratePg(PgConn& conn, const std::vector<Migration>& migrations = PgMigrations());

// Checks that the server has every migration, unchanged: FailedPrecondition
// naming what to do otherwise (kOlderSchema: run `cco team-init`;
// kNewerSchema: upgrade cco; kNotCcoDatabase: no cco schema there).
absl::Status CheckPgSchema(PgConn& conn, const std::vector<Migration>& migrations = PgMigrations());

}  // namespace cco

#endif  // CCO_SRC_PG_SCHEMA_H_

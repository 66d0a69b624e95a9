// Upkeep of the database as a whole, shared by `cco check`, `cco optimize`
// and `cco forget`: the FTS5 tables present (found in sqlite_master, so an
// index added by a later migration is covered without a change here), their
// integrity check and optimize, and the WAL checkpoint.
#ifndef CCO_SRC_MAINTENANCE_H_
#define CCO_SRC_MAINTENANCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

// The FTS5 virtual tables of the database, by name.
absl::StatusOr<std::vector<std::string>> FtsTables(Db& db);

// FTS5's integrity-check of `table` with the rank argument (SQLite 3.40:
// `INSERT INTO t(t, rank) VALUES('integrity-check', 1)`), which also
// compares the index with its external content. It is an INSERT: `db` must
// be a read-write connection; it writes nothing. DataLoss with SQLite's
// words when the index is damaged or out of step with its content.
absl::Status FtsIntegrityCheck(Db& db, const std::string& table);

// FTS5's optimize of `table`: its segments merged into one (deleted
// entries dropped from the index).
absl::Status FtsOptimize(Db& db, const std::string& table);

// PRAGMA optimize: the query planner's statistics refreshed where they are
// stale.
absl::Status RefreshStatistics(Db& db);

// VACUUM: the database rewritten without its free pages and part-empty
// ones. Needs a read-write connection with no transaction open.
absl::Status Vacuum(Db& db);

struct CheckpointResult {
  int64_t wal_frames = 0;    // frames in the WAL before
  int64_t checkpointed = 0;  // of them, copied into the database
  bool busy = false;         // a reader kept part of the WAL in use
};

// PRAGMA wal_checkpoint(TRUNCATE) (with `truncate`, else PASSIVE).
absl::StatusOr<CheckpointResult> Checkpoint(Db& db, bool truncate);

}  // namespace cco

#endif  // CCO_SRC_MAINTENANCE_H_

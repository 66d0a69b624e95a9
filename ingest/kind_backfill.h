// Classifies the messages stored before migration 0015 (kind IS NULL): each
// stored line is parsed again and gets its kind (MessageKindOf) and its flag
// of scripts written without spaces (HasUnspacedScript, messages.trigram).
//
// Resumable: batches of kBatch rows, one transaction each, so a backfill that
// is interrupted keeps what it committed and the next writer goes on from
// the rows still NULL. A later rule change sets kind back to NULL in a
// migration and the same backfill reclassifies.
//
// REQUIRES: the caller holds the database's writer lock (lock.h).
#ifndef CCO_INGEST_KIND_BACKFILL_H_
#define CCO_INGEST_KIND_BACKFILL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

struct KindBackfillReport {
  int64_t classified = 0;  // rows given a kind
  int64_t trigram = 0;     // of which in scripts written without spaces
  int64_t batches = 0;     // transactions committed
};

// Classifies at most `max_rows` rows (all when negative) of `db` (migrated,
// read-write), in transactions of `batch` rows.
absl::StatusOr<KindBackfillReport> BackfillMessageKinds(Db& db, int64_t max_rows = -1, int64_t batch = 5000);

// Opens and migrates the database at `path`, then classifies every row
// still without a kind.
absl::StatusOr<KindBackfillReport> BackfillMessageKinds(const std::string& path);

}  // namespace cco

#endif  // CCO_INGEST_KIND_BACKFILL_H_

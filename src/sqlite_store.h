// The SQLite implementation of Store: one read-write connection, prepared
// statements prepared once, one BEGIN IMMEDIATE … COMMIT per Commit().
#ifndef CCO_SRC_SQLITE_STORE_H_
#define CCO_SRC_SQLITE_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/compressor.h"
#include "src/store.h"

namespace cco {

struct SqliteStoreOptions {
  // Wall clock for first_seen/updated/quarantined columns; replay passes a
  // fixed clock so its database is deterministic.
  std::function<int64_t()> now_ms;
  // Test hook: called inside each transaction that holds rows, after they
  // are applied and before COMMIT (an open batch). Empty in normal runs.
  std::function<void()> inside_open_batch;
  // Stored-value compression (compressor.h).
  CompressorOptions compression;
};

// Opens (creating if needed) and migrates the database at `path`.
// REQUIRES: the caller holds the database's writer lock (lock.h).
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       SqliteStoreOptions options = {});

}  // namespace cco

#endif  // CCO_SRC_SQLITE_STORE_H_

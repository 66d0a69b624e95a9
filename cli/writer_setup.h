// What every writing command (rescan, replay, watch) does before it ingests:
// take the database's writer lock, open and migrate the store, load what it
// knows of every file, start the writer thread. And the one mapping from a
// failure to a message and an exit code.
#ifndef CCO_CLI_WRITER_SETUP_H_
#define CCO_CLI_WRITER_SETUP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/daemon/lock.h"
#include "src/record.h"
#include "src/sqlite_store.h"
#include "src/writer.h"

namespace cco {

struct WriterSetup {
  WriterLock lock;                 // held for the writer's whole life
  std::unique_ptr<Writer> writer;  // started; Stop() it before the lock goes
  std::vector<FileState> states;   // every files row, for the Scanner
};

// Creates the database directory (0700) if needed, takes the writer lock
// (FailedPrecondition naming the holder when another writer has it), opens
// and migrates the database and starts the writer.
absl::StatusOr<WriterSetup> StartWriter(const std::string& db_path, SqliteStoreOptions store_options,
                                        WriterOptions writer_options);

// Prints "cco: <message>" on stderr and returns the exit code for `status`:
// kExitLocked for a held writer lock, kExitUsage for bad input, else
// kExitFailure.
int ReportFailure(const absl::Status& status);

}  // namespace cco

#endif  // CCO_CLI_WRITER_SETUP_H_

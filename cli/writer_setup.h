// What every writing command (rescan, replay, watch) does before it ingests:
// check the database path, take the database's writer lock, open and
// migrate the store, load what it knows of every file, start the writer
// thread.
#ifndef CCO_CLI_WRITER_SETUP_H_
#define CCO_CLI_WRITER_SETUP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ingest/scanner.h"
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

// OK when `db_path` can become or is a cco database: nothing there yet, an
// empty file, or an SQLite file that is empty or holds cco's schema. Else
// the reason with its ErrorKind (a directory, not SQLite, another
// program's SQLite database), so a writing command refuses before it
// creates anything (the lock file, the database's WAL).
absl::Status CheckWriterPath(const std::string& db_path);

// Creates the database directory (0700) if needed, checks the path
// (CheckWriterPath), takes the writer lock
// (FailedPrecondition naming the holder when another writer has it), opens
// and migrates the database and starts the writer.
// `start` (the command and its roots) is recorded in the database for
// `cco status` before the writer starts.
absl::StatusOr<WriterSetup> StartWriter(const std::string& db_path, const WriterStart& start,
                                        SqliteStoreOptions store_options, WriterOptions writer_options);

// Reads `roots` once with a writer of its own (StartWriter, then the
// scanner's Reconcile and Settle, then Stop), as `check --sources` and
// `forget --undo` do, with `scan_options` (check --sources takes
// unterminated final lines, as `cco replay` does). Returns the lines
// committed.
absl::StatusOr<int64_t> ScanOnce(const std::string& db_path, const WriterStart& start,
                                 SqliteStoreOptions store_options, ScanOptions scan_options = {});

}  // namespace cco

#endif  // CCO_CLI_WRITER_SETUP_H_

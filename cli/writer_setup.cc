#include "cli/writer_setup.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "ingest/kind_backfill.h"
#include "ingest/rederive.h"
#include "ingest/scanner.h"
#include "cli/commands.h"
#include "src/daemon/paths.h"
#include "src/errors.h"
#include "src/reader.h"
#include "src/sqlite.h"
#include "src/status.h"

namespace cco {
namespace {

#ifdef CCO_TEST_HOOKS
// CCO_TEST_STOP_IN_BATCH=N:PATH (test builds): at the N-th transaction that
// holds rows, after they are applied and before COMMIT, append "open\n" to
// PATH and wait there, so a test can SIGKILL the writer inside an open
// batch at a moment it knows instead of guessing with sleeps.
void InstallTestHooks(SqliteStoreOptions* options) {
  const char* spec = std::getenv("CCO_TEST_STOP_IN_BATCH");
  if (spec == nullptr) return;
  std::pair<std::string, std::string> parts = absl::StrSplit(spec, absl::MaxSplits(':', 1));
  int64_t n = 0;
  if (!absl::SimpleAtoi(parts.first, &n) || n < 1 || parts.second.empty()) return;
  auto count = std::make_shared<int64_t>(0);
  options->inside_open_batch = [n, path = parts.second, count] {
    if (++*count != n) return;
    if (FILE* f = std::fopen(path.c_str(), "a")) {
      std::fputs("open\n", f);
      std::fclose(f);
    }
    while (true) ::pause();  // until the test's SIGKILL
  };
}
#else
void InstallTestHooks(SqliteStoreOptions*) {}
#endif

}  // namespace

absl::Status CheckWriterPath(const std::string& db_path) {
  return Prefixed(CheckDatabaseForWriter(db_path), absl::StrCat("cannot use ", db_path, " as cco's database"));
}

absl::StatusOr<WriterSetup> StartWriter(const std::string& db_path, const WriterStart& start,
                                        SqliteStoreOptions store_options, WriterOptions writer_options) {
  InstallTestHooks(&store_options);
  RETURN_IF_ERROR(EnsureDbDirectory(db_path));
  RETURN_IF_ERROR(CheckWriterPath(db_path));
  ASSIGN_OR_RETURN(WriterLock lock, WriterLock::Acquire(db_path));
  // A migration that changed a rule or a price asks for the derived data to
  // be rebuilt before anything is ingested under the new rules.
  RETURN_IF_ERROR(RederiveIfRequested(db_path).status());
  // Messages stored before they had a kind get theirs (resumable batches).
  RETURN_IF_ERROR(BackfillMessageKinds(db_path).status());
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenSqliteStore(db_path, std::move(store_options)));
  RETURN_IF_ERROR(store->RecordStart(start));
  ASSIGN_OR_RETURN(std::vector<FileState> states, store->LoadFileStates());
  auto writer = std::make_unique<Writer>(std::move(store), writer_options);
  writer->Start();
  return WriterSetup{std::move(lock), std::move(writer), std::move(states)};
}

absl::StatusOr<int64_t> ScanOnce(const std::string& db_path, const WriterStart& start,
                                 SqliteStoreOptions store_options, ScanOptions scan_options) {
  ASSIGN_OR_RETURN(WriterSetup setup, StartWriter(db_path, start, std::move(store_options), WriterOptions{}));
  Scanner scanner(*setup.writer, std::move(setup.states), std::move(scan_options));
  ScanReport report;
  absl::Status scan = scanner.Reconcile(start.roots, &report);
  if (scan.ok()) scan = scanner.Settle(start.roots, &report);
  absl::Status stop = setup.writer->Stop();
  RETURN_IF_ERROR(scan);
  RETURN_IF_ERROR(stop);
  return setup.writer->stats().lines;
}

}  // namespace cco

#include "cli/writer_setup.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "ingest/rederive.h"
#include "cli/commands.h"
#include "src/daemon/paths.h"
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

absl::StatusOr<WriterSetup> StartWriter(const std::string& db_path, SqliteStoreOptions store_options,
                                        WriterOptions writer_options) {
  InstallTestHooks(&store_options);
  RETURN_IF_ERROR(EnsureDbDirectory(db_path));
  ASSIGN_OR_RETURN(WriterLock lock, WriterLock::Acquire(db_path));
  // A migration that changed a rule or a price asks for the derived data to
  // be rebuilt before anything is ingested under the new rules.
  RETURN_IF_ERROR(RederiveIfRequested(db_path).status());
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenSqliteStore(db_path, std::move(store_options)));
  ASSIGN_OR_RETURN(std::vector<FileState> states, store->LoadFileStates());
  auto writer = std::make_unique<Writer>(std::move(store), writer_options);
  writer->Start();
  return WriterSetup{std::move(lock), std::move(writer), std::move(states)};
}

int ReportFailure(const absl::Status& status) {
  std::fprintf(stderr, "cco: %s\n", std::string(status.message()).c_str());
  if (absl::IsFailedPrecondition(status) && absl::StrContains(status.message(), "in use by another")) {
    return kExitLocked;
  }
  if (absl::IsNotFound(status) || absl::IsInvalidArgument(status)) return kExitUsage;
  return kExitFailure;
}

}  // namespace cco

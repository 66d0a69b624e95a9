#include "src/cli/writer_setup.h"

#include <cstdio>
#include <utility>

#include "absl/strings/match.h"
#include "ingest/rederive.h"
#include "src/cli/commands.h"
#include "src/paths.h"
#include "src/status.h"

namespace cco {

absl::StatusOr<WriterSetup> StartWriter(const std::string& db_path, SqliteStoreOptions store_options,
                                        WriterOptions writer_options) {
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

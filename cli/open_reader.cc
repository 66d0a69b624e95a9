#include "cli/open_reader.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "src/daemon/paths.h"
#include "src/pg.h"
#include "src/pg_reader.h"

namespace cco {

std::unique_ptr<Reader> OpenReader(const std::string& command, const std::string& db_arg, bool team_filters,
                                   int* exit_code) {
  const std::string who = absl::StrCat("cco ", command);
  auto usage = [&](const std::string& message) {
    std::fprintf(stderr, "%s: %s (see cco help %s)\n", who.c_str(), message.c_str(), command.c_str());
    *exit_code = kExitUsage;
    return nullptr;
  };
  if (IsPostgresUrl(db_arg)) {
    absl::StatusOr<std::unique_ptr<PgReader>> server = PgReader::Open(db_arg);
    if (!server.ok()) {
      *exit_code = ReportFailure(server.status(), who);
      return nullptr;
    }
    return std::move(*server);
  }
  if (team_filters) return usage("--user and --machine go with a team server (--db postgresql://…)");
  absl::StatusOr<std::string> db_path = ResolveDbPath(db_arg);
  if (!db_path.ok()) return usage(std::string(db_path.status().message()));
  absl::StatusOr<std::unique_ptr<SqliteReader>> opened = SqliteReader::Open(*db_path);
  if (!opened.ok()) {
    *exit_code = ReportFailure(opened.status(), who);
    return nullptr;
  }
  return std::move(*opened);
}

}  // namespace cco

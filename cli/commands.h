// The cco subcommands. Each takes its arguments (after the command name) and
// returns the process exit code. Exit codes: 0 ok, 1 failure, 2 usage error
// or missing input, 3 the database is held by another writer; a failure's
// code is chosen by ExitCodeFor only.
#ifndef CCO_CLI_COMMANDS_H_
#define CCO_CLI_COMMANDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace cco {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitLocked = 3;
// Stopped by SIGINT or SIGTERM before the end (128 + SIGINT, as shells
// report a Ctrl-C).
inline constexpr int kExitInterrupted = 130;

// The exit code for a failure, chosen here only: from its ErrorKind
// (errors.h) when it has one, else from its code. kExitLocked for a
// database held by another writer; kExitUsage for bad input (flags, a
// missing root, no database where a reader looks, a --db whose directory
// is missing or that is a directory); kExitFailure for the rest.
int ExitCodeFor(const absl::Status& status);

// Prints "<who>: <message>" on stderr and returns ExitCodeFor(status).
int ReportFailure(const absl::Status& status, std::string_view who = "cco");

// Prints "<who>: no project matches '<name>'" and the closest known project
// names (from Reader::MatchProjects) on stderr; returns kExitUsage.
int ReportNoProject(std::string_view who, const std::string& name, const std::vector<std::string>& closest);

int RunRescan(const std::vector<std::string>& args);
int RunReplay(const std::vector<std::string>& args);
int RunWatch(const std::vector<std::string>& args);
int RunStatus(const std::vector<std::string>& args);
int RunReport(const std::vector<std::string>& args);
int RunCheck(const std::vector<std::string>& args);
int RunRederive(const std::vector<std::string>& args);
int RunStatusline(const std::vector<std::string>& args);  // cli/statusline_command.cc
int RunTop(const std::vector<std::string>& args);         // cli/top_command.cc
// Conversations and operations (conversation_commands.cc, ops_commands.cc).
int RunShow(const std::vector<std::string>& args);
int RunSearch(const std::vector<std::string>& args);
int RunExport(const std::vector<std::string>& args);
int RunPush(const std::vector<std::string>& args);
int RunTeamInit(const std::vector<std::string>& args);
int RunServe(const std::vector<std::string>& args);
int RunBackup(const std::vector<std::string>& args);
int RunRestore(const std::vector<std::string>& args);
int RunOptimize(const std::vector<std::string>& args);
int RunForget(const std::vector<std::string>& args);

}  // namespace cco

#endif  // CCO_CLI_COMMANDS_H_

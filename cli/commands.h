// The cco subcommands. Each takes its arguments (after the command name) and
// returns the process exit code. Exit codes: 0 ok, 1 failure, 2 usage error
// or missing input, 3 the database is held by another writer.
#ifndef CCO_CLI_COMMANDS_H_
#define CCO_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace cco {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitLocked = 3;

int RunRescan(const std::vector<std::string>& args);
int RunReplay(const std::vector<std::string>& args);
int RunWatch(const std::vector<std::string>& args);
int RunStatus(const std::vector<std::string>& args);
int RunReport(const std::vector<std::string>& args);
int RunCheck(const std::vector<std::string>& args);
int RunRederive(const std::vector<std::string>& args);

}  // namespace cco

#endif  // CCO_CLI_COMMANDS_H_

// cco — keeps a SQLite database in step with Claude Code transcripts.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "spdlog/cfg/env.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "cli/commands.h"
#include "cli/help.h"

namespace {

constexpr char kLogLevels[] = "trace, debug, info, warn, error, off";

// Sets spdlog's level from one of kLogLevels ("warning" and "critical" as
// spdlog spells them too); false for anything else.
bool SetLogLevel(const std::string& name) {
  for (const char* known : {"trace", "debug", "info", "warn", "warning", "error", "err", "critical", "off"}) {
    if (name == known) {
      spdlog::set_level(spdlog::level::from_str(name == "warn" ? "warning" : name == "error" ? "err" : name));
      return true;
    }
  }
  return false;
}

void SetUpLogging() {
  auto logger = spdlog::stderr_logger_mt("cco");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  const char* env = std::getenv("CCO_LOG");
  if (env != nullptr && *env != '\0' && !SetLogLevel(env)) {
    std::fprintf(stderr, "cco: warning: CCO_LOG='%s' is not one of: %s (using warn)\n", env, kLogLevels);
  }
}

}  // namespace

int main(int argc, char** argv) {
  SetUpLogging();
  std::vector<std::string> args(argv + 1, argv + argc);
  // --log-level is accepted anywhere; a level spdlog does not know would
  // silently become "off".
  for (size_t i = 0; i < args.size(); ++i) {
    std::string level;
    size_t taken = 0;
    if (args[i] == "--log-level" && i + 1 < args.size()) {
      level = args[i + 1];
      taken = 2;
    } else if (args[i].rfind("--log-level=", 0) == 0) {
      level = args[i].substr(12);
      taken = 1;
    } else {
      continue;
    }
    if (!SetLogLevel(level)) {
      std::fprintf(stderr, "cco: --log-level '%s' is not one of: %s\n", level.c_str(), kLogLevels);
      return cco::kExitUsage;
    }
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i + taken));
    --i;
  }
  if (args.empty()) {
    std::fputs(cco::GlobalHelp().c_str(), stderr);
    return cco::kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h") {
    std::fputs(cco::GlobalHelp().c_str(), stdout);
    return cco::kExitOk;
  }
  if (args[0] == "--version") args[0] = "version";
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "--rescan") command = "rescan";
  const cco::CommandHelp* known = cco::FindCommand(command);
  if (known == nullptr) {
    std::fprintf(stderr, "cco: unknown command '%s' (see cco --help)\n", command.c_str());
    return cco::kExitUsage;
  }
  for (const std::string& a : rest) {
    if (a == "--help" || a == "-h") {
      std::fputs(cco::CommandHelpText(*known).c_str(), stdout);
      return cco::kExitOk;
    }
  }
  if (command == "help") {
    if (rest.empty()) {
      std::fputs(cco::GlobalHelp().c_str(), stdout);
      return cco::kExitOk;
    }
    const cco::CommandHelp* topic = cco::FindCommand(rest[0]);
    if (topic == nullptr || rest.size() > 1) {
      std::fprintf(stderr, "cco help: no command '%s' (see cco --help)\n", rest.back().c_str());
      return cco::kExitUsage;
    }
    std::fputs(cco::CommandHelpText(*topic).c_str(), stdout);
    return cco::kExitOk;
  }
  if (command == "version" || command == "man" || command == "completion") {
    const size_t wanted = command == "completion" ? 1 : 0;
    if (rest.size() != wanted) {
      std::fprintf(stderr, "cco %s: %s (see cco help %s)\n", command.c_str(),
                   wanted == 1 ? "which shell? bash or zsh" : "takes no arguments", command.c_str());
      return cco::kExitUsage;
    }
    if (command == "version") {
      std::printf("cco %s\n", CCO_VERSION);
    } else if (command == "man") {
      std::fputs(cco::ManPage().c_str(), stdout);
    } else {
      const std::string script = cco::CompletionScript(rest[0]);
      if (script.empty()) {
        std::fprintf(stderr, "cco completion: '%s' is not one of: bash, zsh\n", rest[0].c_str());
        return cco::kExitUsage;
      }
      std::fputs(script.c_str(), stdout);
    }
    return cco::kExitOk;
  }
  if (command == "rescan") return cco::RunRescan(rest);
  if (command == "replay") return cco::RunReplay(rest);
  if (command == "watch") return cco::RunWatch(rest);
  if (command == "status") return cco::RunStatus(rest);
  if (command == "report") return cco::RunReport(rest);
  if (command == "check") return cco::RunCheck(rest);
  if (command == "rederive") return cco::RunRederive(rest);
  if (command == "show") return cco::RunShow(rest);
  if (command == "search") return cco::RunSearch(rest);
  if (command == "export") return cco::RunExport(rest);
  if (command == "push") return cco::RunPush(rest);
  if (command == "team-init") return cco::RunTeamInit(rest);
  if (command == "serve") return cco::RunServe(rest);
  if (command == "backup") return cco::RunBackup(rest);
  if (command == "restore") return cco::RunRestore(rest);
  if (command == "optimize") return cco::RunOptimize(rest);
  if (command == "statusline") return cco::RunStatusline(rest);
  if (command == "top") return cco::RunTop(rest);
  if (command == "forget") return cco::RunForget(rest);
  std::fprintf(stderr, "cco: unknown command '%s' (see cco --help)\n", command.c_str());
  return cco::kExitUsage;
}

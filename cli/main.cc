// cco — keeps a SQLite database in step with Claude Code transcripts.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "spdlog/cfg/env.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "cli/commands.h"

namespace {

constexpr char kUsage[] = R"(cco — Claude Code Observatory: keeps a SQLite database in step with
Claude Code transcripts (~/.claude/projects/**/*.jsonl), exactly once.

Usage:
  cco --rescan [options]        same as `cco rescan`
  cco rescan [--root DIR]... [--db PATH] [--json] [--max-line-bytes N]
      Ingest every complete line not yet in the database, re-verify every
      file's identity, archive transcripts that disappeared, then exit.
  cco replay DIR --db PATH [--json] [--max-line-bytes N]
      Ingest a fixture tree deterministically (no clock); a final line
      without a newline is taken. For CI and golden comparisons.
  cco watch [--root DIR]... [--db PATH] [--reconcile-every SECONDS]
            [--batch-delay-ms N] [--poll] [--max-line-bytes N]
      The service: backfill, then follow the transcripts live until
      SIGTERM/SIGINT (commits what is queued, exits 0); SIGHUP reconciles
      every root. Missing roots are waited for. Reconciles stat-only every
      --reconcile-every seconds (default 300); --batch-delay-ms (default 50)
      bounds live latency; --poll uses polling instead of inotify. Speaks
      the systemd notify protocol (READY, STATUS, WATCHDOG) when run by
      systemd. See docs/service.md.
  cco status [--db PATH] [--json]
      Which command holds the writer lock (watch, rescan or replay; pid,
      since when), its roots, last commit, files per root, queue depth,
      quarantined lines, database and WAL size; during a backfill "N of M
      files, X of Y MB, ETA"; pending: what the writer's walk found and has
      not read yet (also after an interrupted rescan), else bytes on disk not
      yet committed; last lines waiting over a minute for their newline.
      Read-only; a missing database is reported (exit 0), never created; one
      written by a newer cco is refused (exit 1).

  cco report daily|weekly|monthly|session|project|tools [--db PATH]
            [--tz ZONE] [--since YYYY-MM-DD] [--until YYYY-MM-DD]
            [--project NAME] [--start-of-week DAY] [--json]
      Token usage and estimated cost (same counting as `ccusage claude
      daily`; --json has ccusage's shape), or per-tool calls, error rate and
      durations. Reads rollups only; --tz is an IANA zone (default UTC).

  cco check [--db PATH] [--json]
      PRAGMA integrity_check, and verify that every rollup and conversation
      stat equals a from-scratch recompute over the stored rows. Exit 1 if not.

  cco rederive [--db PATH] [--json]
      Rebuild every derived table (usage winners, costs, rollups, tool
      executions, conversation stats) from the stored lines with this
      version's rules and prices, in one transaction, verified like `cco
      check`; then name the models still without a price. Writing commands
      do it by themselves after an upgrade that changes a rule or a price.

Options:
  --root DIR        a projects/ directory, or a directory containing one
                    (repeatable). Default: each entry of CLAUDE_CONFIG_DIR
                    (comma-separated) + /projects, else
                    ${XDG_CONFIG_HOME:-~/.config}/claude/projects and
                    ~/.claude/projects where they exist.
  --db PATH         the database, in a directory that exists. Default:
                    $CCO_DB, else ${XDG_DATA_HOME:-~/.local/share}/cco/cco.db
                    (created 0600 in a 0700 directory).
  --json            print one JSON object instead of the text summary.
  --max-line-bytes N  longest line accepted (default 33554432 = 32 MiB);
                    longer lines are quarantined.
  --batch-records N  close a write transaction after N records (default
                    20000; tuning and tests).
  --log-level L     trace|debug|info|warn|error|off (default warn; env CCO_LOG).

Exit codes: 0 ok (quarantined lines included); 1 failure (among them: not
a cco database, a database written by a newer cco, one that needs a
migration); 2 usage error, missing root, no database where a reader looks,
a --db that is a directory or whose directory does not exist; 3 the
database is in use by another cco writer.
)";

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
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? cco::kExitUsage : cco::kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("cco %s\n", CCO_VERSION);
    return cco::kExitOk;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "--rescan") command = "rescan";
  for (const std::string& a : rest) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return cco::kExitOk;
    }
  }
  if (command == "rescan") return cco::RunRescan(rest);
  if (command == "replay") return cco::RunReplay(rest);
  if (command == "watch") return cco::RunWatch(rest);
  if (command == "status") return cco::RunStatus(rest);
  if (command == "report") return cco::RunReport(rest);
  if (command == "check") return cco::RunCheck(rest);
  if (command == "rederive") return cco::RunRederive(rest);
  std::fprintf(stderr, "cco: unknown command '%s' (see cco --help)\n", command.c_str());
  return cco::kExitUsage;
}

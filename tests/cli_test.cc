// Tests of the cco command line as a user meets it: exit codes, one clear
// line per error, the default roots and database, --help, and the keys of
// the --json summary.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kLine[] =
    R"({"type":"user","uuid":"u-1","sessionId":"s-1","cwd":"/home/u/p","message":{"content":"hello"},)"
    R"("timestamp":"2026-01-14T10:00:00.000Z"})"
    "\n";

int LineCount(const std::string& text) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    (void)line;
    ++n;
  }
  return n;
}

// Unsets an environment variable of the test process (children inherit it)
// for the scope.
class ScopedUnsetEnv {
 public:
  explicit ScopedUnsetEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
    ::unsetenv(name);
  }
  ~ScopedUnsetEnv() {
    if (old_.has_value()) ::setenv(name_, old_->c_str(), 1);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A fresh "machine": HOME and the XDG directories inside a temp dir, no
// CLAUDE_CONFIG_DIR, no CCO_DB.
class CliTest : public ::testing::Test {
 protected:
  std::vector<std::string> Env() const {
    return {"HOME=" + dir_ / "home", "XDG_CONFIG_HOME=" + dir_ / "config", "XDG_DATA_HOME=" + dir_ / "data"};
  }
  CommandResult Cco(const std::vector<std::string>& args, std::vector<std::string> extra_env = {}) {
    std::vector<std::string> env = Env();
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return RunCco(args, env);
  }

  TempDir dir_;
  ScopedUnsetEnv no_config_dir_{"CLAUDE_CONFIG_DIR"};
  ScopedUnsetEnv no_db_{"CCO_DB"};
  ScopedUnsetEnv no_log_{"CCO_LOG"};
};

// Every command pays for the libraries loaded at start: PostgreSQL's client
// (and the TLS, Kerberos and LDAP libraries it brings) is loaded only when a
// command talks to a team server.
TEST_F(CliTest, ALocalCommandDoesNotLoadTheTeamServerClient) {
  CommandResult r = Cco({"report", "daily", "--json", "--db", dir_ / "none.db"}, {"LD_DEBUG=libs"});
  ASSERT_TRUE(absl::StrContains(r.err, "libc.so")) << "the loader's trace is missing: " << r.err.substr(0, 2000);
  EXPECT_FALSE(absl::StrContains(r.err, "libpq")) << r.err.substr(0, 4000);
}

TEST_F(CliTest, MissingRootExitsTwoWithOneClearLine) {
  const std::string missing = dir_ / "no/such/projects";
  CommandResult r = Cco({"rescan", "--root", missing, "--db", dir_ / "cco.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "cco: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, missing)) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "cco.db")) << "nothing created for a run that cannot start";
}

TEST_F(CliTest, ReplayOfMissingDirectoryExitsTwo) {
  CommandResult r = Cco({"replay", dir_ / "nothing-here", "--db", dir_ / "cco.db", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "nothing-here")) << r.err;
}

TEST_F(CliTest, FlagWithoutItsValueExitsTwo) {
  CommandResult r = Cco({"rescan", "--db", dir_ / "cco.db", "--root"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "--root")) << r.err;
}

TEST_F(CliTest, NoDefaultRootWarnsAndPrintsAnEmptySummary) {
  CommandResult r = Cco({"rescan", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(absl::AsciiStrToLower(r.err), "warn")) << "a warning on stderr: " << r.err;
  for (const char* key : {"files", "lines", "messages", "events", "quarantined", "duplicates", "conversations",
                          "projects", "bytes"}) {
    EXPECT_EQ(JsonInt(r.out, key), 0) << key << " in " << r.out;
  }
  EXPECT_TRUE(fs::exists(dir_ / "data/cco/cco.db")) << "the default database is under XDG_DATA_HOME";

  CommandResult text = Cco({"rescan"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.err, "warning")) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "0 files")) << text.out;
}

TEST_F(CliTest, DefaultRootsAreXdgConfigAndHomeClaude) {
  WriteFile(dir_ / "config/claude/projects/-home-u-p/s-1.jsonl", kLine);
  WriteFile(dir_ / "home/.claude/projects/-home-u-q/s-2.jsonl", kLine);
  CommandResult r = Cco({"rescan", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), 2) << r.out;
  EXPECT_EQ(JsonInt(r.out, "projects"), 2) << r.out;
  EXPECT_EQ(QueryInt(dir_ / "data/cco/cco.db", "SELECT count(*) FROM files"), 2);
}

TEST_F(CliTest, ClaudeConfigDirListReplacesTheDefaults) {
  WriteFile(dir_ / "a/projects/-home-u-p/s-1.jsonl", kLine);
  WriteFile(dir_ / "b/projects/-home-u-q/s-2.jsonl", kLine);
  WriteFile(dir_ / "home/.claude/projects/-home-u-r/s-3.jsonl", kLine);
  CommandResult r = Cco({"rescan", "--json"}, {absl::StrCat("CLAUDE_CONFIG_DIR=", dir_ / "a", ",", dir_ / "b")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), 2) << r.out;
  EXPECT_EQ(QueryInt(dir_ / "data/cco/cco.db", "SELECT count(*) FROM files WHERE path LIKE '%/.claude/%'"), 0);
}

TEST_F(CliTest, CcoDbEnvironmentChoosesTheDatabase) {
  WriteFile(dir_ / "home/.claude/projects/-home-u-p/s-1.jsonl", kLine);
  CommandResult r = Cco({"rescan", "--json"}, {"CCO_DB=" + dir_ / "elsewhere/my.db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(dir_ / "elsewhere/my.db", "SELECT count(*) FROM messages"), 1);
  EXPECT_FALSE(fs::exists(dir_ / "data/cco/cco.db"));
}

TEST_F(CliTest, UnwritableDatabasePathFailsWithOneClearLine) {
  WriteFile(dir_ / "projects/-home-u-p/s-1.jsonl", kLine);
  // A regular file where a directory should be: unwritable for anyone, root
  // included.
  WriteFile(dir_ / "blocker", "I am a file\n");
  const std::string db = dir_ / "blocker/cco/cco.db";
  CommandResult r = Cco({"rescan", "--root", dir_ / "projects", "--db", db, "--json"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "cco: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, dir_ / "blocker")) << r.err;
  EXPECT_TRUE(r.out.empty()) << "no summary for a failed run: " << r.out;

  if (::geteuid() != 0) {
    // A read-only directory (permissions do not bind root).
    fs::create_directories(dir_ / "ro");
    fs::permissions(dir_ / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    CommandResult ro = Cco({"rescan", "--root", dir_ / "projects", "--db", dir_ / "ro/cco.db"});
    EXPECT_NE(ro.exit_code, 0);
    EXPECT_EQ(LineCount(ro.err), 1) << ro.err;
    EXPECT_TRUE(absl::StrContains(ro.err, dir_ / "ro")) << ro.err;
  }
}

TEST_F(CliTest, HelpExitsZeroAndMentionsRescanAndReplay) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"-h"}, {"help"}, {"rescan", "--help"}, {"replay", "--help"}}) {
    CommandResult r = Cco(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_TRUE(absl::StrContains(r.out, "rescan")) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "replay")) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "--db")) << r.out;
  }
}

TEST_F(CliTest, UnknownFlagOrCommandExitsTwo) {
  CommandResult flag = Cco({"rescan", "--frobnicate", "--db", dir_ / "cco.db"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_EQ(LineCount(flag.err), 1) << flag.err;
  EXPECT_TRUE(absl::StrContains(flag.err, "--frobnicate")) << flag.err;
  EXPECT_FALSE(fs::exists(dir_ / "cco.db"));

  CommandResult command = Cco({"frobnicate"});
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_EQ(LineCount(command.err), 1) << command.err;

  CommandResult positional = Cco({"rescan", "stray-argument", "--db", dir_ / "cco.db"});
  EXPECT_EQ(positional.exit_code, 2) << positional.err;

  CommandResult bad_number = Cco({"rescan", "--max-line-bytes", "lots", "--db", dir_ / "cco.db"});
  EXPECT_EQ(bad_number.exit_code, 2) << bad_number.err;
}

TEST_F(CliTest, ReplayNeedsADatabase) {
  WriteFile(dir_ / "projects/-home-u-p/s-1.jsonl", kLine);
  CommandResult r = Cco({"replay", dir_ / "projects", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "--db")) << r.err;
}

TEST_F(CliTest, SummaryJsonHasTheIntegerKeys) {
  WriteFile(dir_ / "projects/-home-u-p/s-1.jsonl", std::string(kLine) + "{bad\n");
  const std::vector<std::vector<std::string>> runs = {
      {"rescan", "--root", dir_ / "projects", "--db", dir_ / "r.db", "--json"},
      {"--rescan", "--root", dir_ / "projects", "--db", dir_ / "r2.db", "--json"},
      {"replay", dir_ / "projects", "--db", dir_ / "p.db", "--json"},
  };
  for (const std::vector<std::string>& args : runs) {
    CommandResult r = Cco(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(LineCount(r.out), 1) << "one JSON object: " << r.out;
    for (const char* key : {"files", "lines", "messages", "events", "quarantined", "duplicates", "conversations",
                            "projects", "bytes"}) {
      const std::regex integer_field(absl::StrCat("\"", key, "\":-?[0-9]+[,}]"));
      EXPECT_TRUE(std::regex_search(r.out, integer_field)) << key << " in " << r.out;
    }
    EXPECT_EQ(JsonInt(r.out, "files"), 1);
    EXPECT_EQ(JsonInt(r.out, "lines"), 2);
    EXPECT_EQ(JsonInt(r.out, "messages"), 1);
    EXPECT_EQ(JsonInt(r.out, "quarantined"), 1);
    EXPECT_EQ(JsonInt(r.out, "conversations"), 1);
    EXPECT_EQ(JsonInt(r.out, "projects"), 1);
    EXPECT_EQ(JsonInt(r.out, "bytes"), static_cast<int64_t>(std::string(kLine).size() + 5));
  }
}

TEST_F(CliTest, TextSummaryWithoutJson) {
  WriteFile(dir_ / "projects/-home-u-p/s-1.jsonl", kLine);
  CommandResult r = Cco({"rescan", "--root", dir_ / "projects", "--db", dir_ / "cco.db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "1 file,")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "1 message,")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, dir_ / "cco.db")) << r.out;
}

}  // namespace
}  // namespace cco::testing

// Interrupts and silence, with real signals and a real terminal (a pty):
// Ctrl-C during `rescan` commits what was read, erases the progress bar,
// says how many files are committed and how to continue (exit 130);
// `watch` on a terminal says what it watches, where it writes and how its
// backfill goes; without a terminal (under systemd) only log lines.
//
// The moment of the interrupt is known, not guessed: CCO_TEST_PAUSE_AFTER_FILES
// (test builds) makes the pass announce that it has read N files and wait
// there for the signal.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr int kFiles = 6;

// kFiles transcripts of three lines each under `root`.
void WriteTree(const std::string& root) {
  for (int f = 0; f < kFiles; ++f) {
    const std::string session = absl::StrCat("5e551011-0000-4000-8000-00000000000", f);
    std::string lines;
    for (int i = 0; i < 3; ++i) {
      absl::StrAppend(&lines, R"({"type":"user","uuid":"u-)", f, "-", i, R"(","sessionId":")", session,
                      R"(","cwd":"/home/u/p","message":{"content":"hello"},"timestamp":"2026-01-14T10:00:0)", i,
                      ".000Z\"}\n");
    }
    WriteFile(absl::StrCat(root, "/-home-u-p/", session, ".jsonl"), lines);
  }
}

bool Announced(const std::string& path) {
  return fs::exists(path) && absl::StrContains(ReadFile(path), "paused");
}

TEST(InterruptTest, CtrlCDuringRescanCommitsWhatWasReadAndSaysHowToContinue) {
  TempDir dir;
  WriteTree(dir / "projects");
  const std::string db = dir / "cco.db";
  const std::string announce = dir / "announce";
  PtyProcess rescan({CCO_BINARY, "rescan", "--root", dir / "projects", "--db", db},
                    {absl::StrCat("CCO_TEST_PAUSE_AFTER_FILES=2:", announce)});
  ASSERT_TRUE(WaitUntil([&] { return Announced(announce); }, seconds(120))) << rescan.output();
  rescan.Signal(SIGINT);  // what the terminal sends for Ctrl-C
  std::optional<int> code = rescan.WaitExit(seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130);
  const std::string out = rescan.output();
  EXPECT_TRUE(absl::StrContains(out, "files 1/6")) << "the bar was drawn: " << out;
  // The bar's line is erased before the message, which starts a clean line.
  EXPECT_TRUE(absl::StrContains(out, "\r\033[Kcco: interrupted after 2 files committed; run again to continue\r\n"))
      << out;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM files"), 2);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 6);

  // Run again: the rest, once.
  CommandResult again = RunCco({"rescan", "--root", dir / "projects", "--db", db, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonInt(again.out, "messages"), 12) << again.out;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 3 * kFiles);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

TEST(InterruptTest, SigtermWithoutATerminalSaysTheSame) {
  TempDir dir;
  WriteTree(dir / "projects");
  const std::string announce = dir / "announce";
  ChildProcess rescan({CCO_BINARY, "rescan", "--root", dir / "projects", "--db", dir / "cco.db", "--json"},
                      {absl::StrCat("CCO_TEST_PAUSE_AFTER_FILES=3:", announce)});
  ASSERT_TRUE(WaitUntil([&] { return Announced(announce); }, seconds(120))) << rescan.Stderr();
  rescan.Signal(SIGTERM);
  std::optional<int> code = rescan.WaitExit(seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130);
  EXPECT_EQ(rescan.Stderr(), "cco: interrupted after 3 files committed; run again to continue\n");
  EXPECT_EQ(rescan.Stdout(), "") << "no summary of a pass that did not finish";
  EXPECT_EQ(QueryInt(dir / "cco.db", "SELECT count(*) FROM files"), 3);
}

TEST(InterruptTest, WatchOnATerminalSaysWhatItWatchesAndHowTheBackfillGoes) {
  TempDir dir;
  WriteTree(dir / "projects");
  const std::string db = dir / "cco.db";
  PtyProcess watch({CCO_BINARY, "watch", "--root", dir / "projects", "--db", db, "--root", dir / "later/projects"});
  ASSERT_TRUE(watch.WaitForOutput("following live", seconds(120))) << watch.output();
  watch.Signal(SIGINT);
  std::optional<int> code = watch.WaitExit(seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  const std::string out = watch.output();
  EXPECT_TRUE(absl::StrContains(out, "database " + db)) << out;
  EXPECT_TRUE(absl::StrContains(out, "root " + dir / "projects")) << out;
  EXPECT_TRUE(absl::StrContains(out, "root " + dir / "later/projects" + " (missing: watched for)")) << out;
  EXPECT_TRUE(absl::StrContains(out, "backfill done: 6 files")) << out;
  EXPECT_TRUE(absl::StrContains(out, "stopped: 18 lines committed by this run")) << out;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 3 * kFiles);
}

TEST(InterruptTest, WatchWithoutATerminalWritesOnlyLogLines) {
  TempDir dir;
  WriteTree(dir / "projects");
  const std::string db = dir / "cco.db";
  ChildProcess watch({CCO_BINARY, "watch", "--root", dir / "projects", "--db", db, "--log-level", "info"});
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(watch.Stderr(), "backfill done"); }, seconds(120)))
      << watch.Stderr();
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 18);
  watch.Signal(SIGTERM);
  std::optional<int> code = watch.WaitExit(seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(watch.Stdout(), "");
  const std::regex log_line(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} \w+ .*)");
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(watch.Stderr(), '\n', absl::SkipEmpty())) {
    ++lines;
    EXPECT_TRUE(std::regex_match(std::string(line), log_line)) << line;
  }
  EXPECT_GE(lines, 2) << "the start and stop are logged at info";
}

}  // namespace
}  // namespace cco::testing

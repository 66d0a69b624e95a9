// Named cases of issue 13 that no other test covers alone, each with real
// processes and a real database (the others are listed in the README's
// reliability section with the test that covers each):
//   * a partial line, then a kill inside the open batch that holds the line
//     before it, then the line's completion: both lines stored once;
//   * 1,000 transcripts whose first lines are identical (one file's head
//     fingerprint matches every other's): each file is its own, nothing is
//     taken for a rename or a copy, and appends to all are read once;
//   * a NUL-filled tail (what a crash can leave in a preallocated file) and
//     binary garbage between good lines: quarantined with reasons, the good
//     lines around them stored, the next lines read on;
//   * the inotify watch limit reached (injected: CCO_TEST_INOTIFY_WATCHES,
//     since lowering fs.inotify.max_user_watches would touch the whole
//     machine): what is not watched is polled, every line arrives once, and
//     `cco status` says the service polls.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/ci_summary.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco::testing {
namespace {

std::string User(const std::string& session, const std::string& uuid, const std::string& text) {
  return absl::StrCat(R"({"type":"user","uuid":")", uuid, R"(","sessionId":")", session,
                      R"(","timestamp":"2026-01-01T00:00:00Z","message":{"role":"user","content":")", text, R"("}})");
}

class NamedCaseTest : public ::testing::Test {
 protected:
  CommandResult Rescan() { return RunCco({"rescan", "--root", root_, "--db", db_, "--json"}); }
  int64_t Count(const std::string& sql) { return QueryInt(db_, sql); }

  TempDir tmp_;
  const std::string root_ = tmp_ / "projects";
  const std::string db_ = tmp_ / "cco.db";
};

TEST_F(NamedCaseTest, PartialLineThenKillInsideTheOpenBatchThenCompletionStoresBothLinesOnce) {
  const std::string path = root_ + "/-p/s-1.jsonl";
  const std::string second = User("s-1", "u-2", "the second line");
  WriteFile(path, User("s-1", "u-1", "first") + "\n" + second.substr(0, second.size() / 2));

  const std::string announce = tmp_ / "open";
  std::unique_ptr<ChildProcess> child = StartCco({"watch", "--root", root_, "--db", db_},
                                                 {absl::StrCat("CCO_TEST_STOP_IN_BATCH=1:", announce)});
  ASSERT_TRUE(WaitUntil([&] { return ::access(announce.c_str(), F_OK) == 0 || !child->running(); },
                        std::chrono::seconds(60)));
  ASSERT_EQ(::access(announce.c_str(), F_OK), 0) << child->Stderr();
  child->Signal(SIGKILL);
  ASSERT_EQ(child->WaitExit(std::chrono::seconds(30)), std::optional<int>(128 + SIGKILL));
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 0) << "the open batch was not committed";

  AppendFile(path, second.substr(second.size() / 2) + "\n");
  CommandResult r = Rescan();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(QueryRows(db_, "SELECT uuid FROM messages ORDER BY byte_offset"), "u-1\nu-2");
  EXPECT_EQ(Count("SELECT count(*) FROM quarantine"), 0) << "no half line was stored";
  EXPECT_EQ(JsonInt(Rescan().out, "lines"), 0);
  ExpectCheckPasses(db_);
}

TEST_F(NamedCaseTest, ThousandFilesWithIdenticalFirstLinesAreEachTheirOwn) {
  constexpr int kFiles = 1000;
  // The same first line in every file: a summary, which has no uuid (so it
  // is keyed by its file, bytes and occurrence, and stored once per file).
  const std::string first = R"({"type":"summary","summary":"Same title everywhere","leafUuid":"leaf-0"})";
  for (int i = 0; i < kFiles; ++i) {
    const std::string session = absl::StrCat("s-", i);
    WriteFile(absl::StrCat(root_, "/-p", i % 10, "/", session, ".jsonl"),
              first + "\n" + User(session, absl::StrCat("u-", i), "hello") + "\n");
  }
  CommandResult r = Rescan();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count("SELECT count(*) FROM files"), kFiles);
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), kFiles);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), kFiles) << "one summary per file, none taken for another's";
  EXPECT_EQ(Count("SELECT count(*) FROM duplicates"), 0);
  EXPECT_EQ(JsonInt(Rescan().out, "lines"), 0) << "a second run reads nothing";

  for (int i = 0; i < kFiles; ++i) {
    const std::string session = absl::StrCat("s-", i);
    AppendFile(absl::StrCat(root_, "/-p", i % 10, "/", session, ".jsonl"),
               User(session, absl::StrCat("v-", i), "more") + "\n");
  }
  CommandResult more = Rescan();
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(JsonInt(more.out, "lines"), kFiles) << more.out;
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 2 * kFiles);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), kFiles);
  EXPECT_EQ(Count("SELECT max(generation) FROM files"), 1) << "no file was read again from the start";
}

TEST_F(NamedCaseTest, NulFilledTailAndBinaryGarbageAreQuarantinedAndTheGoodLinesAroundThemStored) {
  const std::string path = root_ + "/-p/s-1.jsonl";
  std::mt19937_64 rng(13);
  std::string garbage;
  for (int i = 0; i < 3000; ++i) {
    char c = static_cast<char>(rng() & 0xff);
    garbage.push_back(c == '\n' ? '\x01' : c);
  }
  // A good line, binary garbage, a good line, then 8 KiB of NULs (no
  // newline yet: what a crash leaves at the end of a preallocated file).
  WriteFile(path, User("s-1", "u-1", "before") + "\n" + garbage + "\n" + User("s-1", "u-2", "between") + "\n" +
                      std::string(8192, '\0'));
  CommandResult r = Rescan();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM quarantine"), 1) << "the garbage; the NULs wait for their newline";

  // Writing resumes after the NULs: they become one quarantined line, the
  // next line is stored.
  AppendFile(path, "\n" + User("s-1", "u-3", "after") + "\n");
  CommandResult more = Rescan();
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 3);
  EXPECT_EQ(QueryRows(db_, "SELECT uuid FROM messages ORDER BY byte_offset"), "u-1\nu-2\nu-3");
  EXPECT_EQ(Count("SELECT count(*) FROM quarantine"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM quarantine WHERE reason = '' OR reason IS NULL"), 0) << "each says why";
  ExpectCheckPasses(db_);
}

using WatchLimitTest = WatchFixture;

TEST_F(WatchLimitTest, UnwatchedDirectoriesArePolledEveryLineArrivesOnceAndStatusSaysSo) {
  constexpr int kProjects = 6;
  for (int p = 0; p < kProjects; ++p) {
    Append(absl::StrCat(root_, "/-p", p, "/s-", p, ".jsonl"), UserLine(absl::StrCat("s-", p), absl::StrCat("a-", p), "hi"));
  }
  // Two watches: the root and one project directory; the others are not watched.
  auto daemon = StartWatch({}, {"CCO_TEST_INOTIFY_WATCHES=2"});
  ExpectArrivesOnce("SELECT count(*) FROM messages", kProjects, daemon.get());
  for (int p = 0; p < kProjects; ++p) {
    Append(absl::StrCat(root_, "/-p", p, "/s-", p, ".jsonl"), UserLine(absl::StrCat("s-", p), absl::StrCat("b-", p), "more"));
  }
  ExpectArrivesOnce("SELECT count(*) FROM messages", 2 * kProjects, daemon.get());
  EXPECT_TRUE(absl::StrContains(daemon->Stderr(), "inotify watch limit reached")) << daemon->Stderr();

  // Recorded with the writer's next heartbeat (within a second of a commit).
  int line = 0;
  CommandResult status;
  ASSERT_TRUE(WaitUntil(
      [&] {
        status = RunCco({"status", "--db", db_, "--json"});
        if (absl::StrContains(status.out, "\"polling\":\"not every directory could be watched")) return true;
        Append(root_ + "/-p0/s-0.jsonl", UserLine("s-0", absl::StrCat("c-", line++), "tick"));
        return false;
      },
      std::chrono::seconds(30)))
      << status.out << status.err;
  CommandResult text = RunCco({"status", "--db", db_});
  EXPECT_TRUE(absl::StrContains(text.out, "polling:     not every directory could be watched")) << text.out;
  StopAndExpectClean(*daemon);
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), Count("SELECT count(DISTINCT uuid) FROM messages"));
  CommandResult after = RunCco({"status", "--db", db_, "--json"});
  EXPECT_TRUE(absl::StrContains(after.out, "\"polling\":null")) << "said only while the service runs: " << after.out;
  if (!HasFailure()) CiSummary("fault injected and survived: the inotify watch limit (polled, said by cco status)");
}

TEST_F(WatchLimitTest, StatusSaysNothingOfPollingWhenEverythingIsWatched) {
  Append(root_ + "/-p/s.jsonl", UserLine("s", "a", "hi"));
  auto daemon = StartWatch();
  ExpectArrivesOnce("SELECT count(*) FROM messages", 1, daemon.get());
  CommandResult status = RunCco({"status", "--db", db_, "--json"});
  EXPECT_TRUE(absl::StrContains(status.out, "\"polling\":null")) << status.out;
  StopAndExpectClean(*daemon);
}

}  // namespace
}  // namespace cco::testing

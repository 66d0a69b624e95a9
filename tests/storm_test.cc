// Storms under `cco watch`: rename chains, name swaps, atomic replaces in
// the middle of a rename chain, delete and recreate — at full speed and with
// pauses, with inotify and with --poll. Whatever the watcher saw, each storm
// ends with every line stored once, the daemon alive and `cco check` clean.
// (What the watcher saw and what the database holds may disagree for a file
// meanwhile; that must cost a re-check of that file, never the service.)

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

using ::cco::testing::Append;
using ::cco::testing::kSettle;
using ::cco::testing::RunCco;
using ::cco::testing::SummaryLine;
using ::cco::testing::UserLine;
using ::cco::testing::WaitUntil;
using ::cco::testing::WriteFile;
namespace fs = std::filesystem;

struct StormParam {
  bool poll;    // --poll instead of inotify
  bool paused;  // 50 ms pause every seventh step, else full speed
};

std::string Name(const ::testing::TestParamInfo<StormParam>& info) {
  return absl::StrCat(info.param.poll ? "Poll" : "Inotify", info.param.paused ? "Paused" : "FullSpeed");
}

class StormTest : public ::cco::testing::WatchFixture, public ::testing::WithParamInterface<StormParam> {
 protected:
  void SetUp() override {
    WatchFixture::SetUp();
    daemon_ = StartWatch(GetParam().poll ? std::vector<std::string>{"--poll"} : std::vector<std::string>{});
  }

  void Step(int i) {
    if (GetParam().paused && i % 7 == 6) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // Every second line is a summary (no uuid: keyed by its file and bytes),
  // so reading a file as a new one under another name would store it twice.
  std::string Line(const std::string& session, int i) {
    if (i % 2 == 1) return SummaryLine(absl::StrCat(session, "-", i));
    ++users_;
    return UserLine(session, absl::StrCat(session, "-u", i), "storm");
  }
  int64_t summaries(int total) const { return total - users_; }

  // The storm is over: every line arrives once, the daemon keeps running,
  // stops cleanly, and the database checks clean.
  void ExpectSettled(int total_lines) {
    const std::string both =
        "SELECT (SELECT count(*) FROM messages) * 1000000 + (SELECT count(*) FROM events)";
    ExpectArrivesOnce(both, users_ * 1000000 + summaries(total_lines), daemon_.get());
    EXPECT_EQ(Count("SELECT count(DISTINCT uuid) FROM messages"), users_);
    EXPECT_TRUE(daemon_->running()) << daemon_->Stderr();
    // Every live files row is read to the end of the file it names. The
    // lines may all be in while a poller has not yet seen the last rename
    // (the file's row still names the path it was read under): the row
    // follows the name at its next look, so this is a state to wait for.
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".jsonl") continue;
      const std::string read_to = "SELECT read_position FROM files WHERE archived_ms IS NULL AND path = '" +
                                  entry.path().string() + "'";
      const int64_t size = static_cast<int64_t>(entry.file_size());
      WaitUntil([&] { return Count(read_to) == size; }, std::chrono::seconds(30));
      EXPECT_EQ(Count(read_to), size) << entry.path() << "\n" << daemon_->Stderr();
    }
    ::cco::testing::CommandResult check = RunCco({"check", "--db", db_});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    StopAndExpectClean(*daemon_);
  }

  std::string Dir() const { return root_ + "/-home-t-storm"; }

  std::unique_ptr<::cco::testing::ChildProcess> daemon_;
  int64_t users_ = 0;
};

// The input of the bug report: append one line, rename the file to a new
// name in the same directory (same inode), sixty times.
TEST_P(StormTest, RenameChainStoresEveryLineOnce) {
  std::string path = Dir() + "/s.jsonl";
  Append(path, Line("s", 0));
  int lines = 1;
  for (int i = 0; i < 60; ++i) {
    Append(path, Line("s", lines++));
    const std::string next = absl::StrCat(Dir(), "/s-r", i, ".jsonl");
    ASSERT_EQ(::rename(path.c_str(), next.c_str()), 0);
    path = next;
    Step(i);
  }
  ExpectSettled(lines);
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE archived_ms IS NULL"), 1);
}

// Two transcripts whose names are exchanged atomically (RENAME_EXCHANGE)
// between appends: both names always exist, each names the other's file.
TEST_P(StormTest, NameSwapsStoreEveryLineOnce) {
  const std::string a = Dir() + "/a.jsonl";
  const std::string b = Dir() + "/b.jsonl";
  Append(a, Line("a", 0));
  Append(b, Line("b", 0));
  int lines = 2;
  // An odd number of exchanges: at the end each name holds the other's file.
  for (int i = 0; i < 41; ++i) {
    Append(a, Line("a", lines++));
    Append(b, Line("b", lines++));
    ASSERT_EQ(::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE), 0) << std::strerror(errno);
    Step(i);
  }
  ExpectSettled(lines);
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE archived_ms IS NULL"), 2);
}

// A rename chain during which the file is twice replaced atomically (a
// temporary file with the same lines and one more, renamed over it: a new
// inode under the current name).
TEST_P(StormTest, AtomicReplaceInTheMiddleOfARenameChainStoresEveryLineOnce) {
  std::string path = Dir() + "/r.jsonl";
  std::string content = Line("r", 0);
  Append(path, content);
  int lines = 1;
  for (int i = 0; i < 40; ++i) {
    const std::string line = Line("r", lines++);
    content += line;
    if (i == 13 || i == 27) {
      const std::string tmp = Dir() + "/.r.tmp";
      WriteFile(tmp, content);
      ASSERT_EQ(::rename(tmp.c_str(), path.c_str()), 0);
    } else {
      Append(path, line);
    }
    const std::string next = absl::StrCat(Dir(), "/r-", i, ".jsonl");
    ASSERT_EQ(::rename(path.c_str(), next.c_str()), 0);
    path = next;
    Step(i);
  }
  ExpectSettled(lines);
}

// The file is deleted and written again under the same name (all of its
// lines and one more), as an editor saving without a temporary file does.
TEST_P(StormTest, DeleteAndRecreateStoresEveryLineOnce) {
  const std::string path = Dir() + "/d.jsonl";
  std::string content = Line("d", 0);
  Append(path, content);
  int lines = 1;
  for (int i = 0; i < 30; ++i) {
    content += Line("d", lines++);
    ASSERT_EQ(::unlink(path.c_str()), 0);
    Append(path, content);
    Step(i);
  }
  ExpectSettled(lines);
}

INSTANTIATE_TEST_SUITE_P(Storms, StormTest,
                         ::testing::Values(StormParam{false, false}, StormParam{false, true},
                                           StormParam{true, false}, StormParam{true, true}),
                         Name);

}  // namespace
}  // namespace cco

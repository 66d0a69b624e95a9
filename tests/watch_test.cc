// `cco watch` and `cco status` as a user runs them: the real binary in a
// child process, real inotify, real signals, a real AF_UNIX socket standing
// in for systemd. Every wait is a poll of the database with a deadline; "it
// arrives exactly once" is checked by waiting for the expected count and then
// checking that it stays there.

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "src/daemon/sd_notify.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

using ::cco::testing::ChildProcess;
using ::cco::testing::NotifySocket;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::ReadFile;
using ::cco::testing::RunCco;
using ::cco::testing::ScopedSysctl;
using ::cco::testing::StartCco;
using ::cco::testing::TempDir;
using ::cco::testing::WaitUntil;
using ::cco::testing::WriteFile;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

using WatchTest = ::cco::testing::WatchFixture;
using ::cco::testing::Append;
using ::cco::testing::kArrival;
using ::cco::testing::kSettle;
using ::cco::testing::SummaryLine;
using ::cco::testing::UserLine;

TEST_F(WatchTest, ReadyArrivesAfterBackfillIsCommitted) {
  std::string lines;
  for (int i = 0; i < 50; ++i) lines += UserLine("s-old", absl::StrCat("old-", i), "backfilled");
  Append(root_ + "/-home-t-old/s-old.jsonl", lines);
  auto daemon = StartWatch();
  // READY=1 means caught up: every line is already visible to a reader.
  EXPECT_EQ(Messages(), 50);
  EXPECT_GE(notify_->messages().size(), 2u);  // STATUS= before READY=1
  EXPECT_TRUE(absl::StrContains(notify_->messages().front(), "STATUS=")) << notify_->messages().front();
  StopAndExpectClean(*daemon);
  EXPECT_TRUE(notify_->WaitFor("STOPPING=1", seconds(1)));
}

TEST_F(WatchTest, FileInNewProjectDirectoryArrivesOnce) {
  auto daemon = StartWatch();
  Append(root_ + "/-home-t-new/s1.jsonl", UserLine("s1", "u1", "hello") + UserLine("s1", "u2", "again"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 2, daemon.get());
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE path LIKE '%/-home-t-new/s1.jsonl'"), 1);
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, NewSubagentsDirectoryArrivesOnce) {
  Append(root_ + "/-home-t-p/s2.jsonl", UserLine("s2", "main-1", "main session"));
  auto daemon = StartWatch();
  ASSERT_EQ(Messages(), 1);
  // mkdir and write at once: the file lands before any watch on the new
  // directories can exist, so the watcher's scan-after-watch must find it.
  Append(root_ + "/-home-t-p/s2/subagents/agent-abc.jsonl",
         UserLine("s2", "agent-1", "from the subagent") + UserLine("s2", "agent-2", "more"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 3, daemon.get());
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE agent_id = 'abc'"), 1);
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, LineAppendedByteByByteArrivesOnceComplete) {
  const std::string path = root_ + "/-home-t-p/s3.jsonl";
  Append(path, UserLine("s3", "first", "before"));
  auto daemon = StartWatch();
  ASSERT_EQ(Messages(), 1);
  const std::string line = UserLine("s3", "slow", "typed one byte at a time");
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  for (size_t i = 0; i < line.size(); ++i) {
    ASSERT_EQ(::write(fd, &line[i], 1), 1);
    std::this_thread::sleep_for(milliseconds(2));
    // Nothing of the incomplete line may appear, not even as a quarantined
    // fragment.
    if (i % 40 == 0) {
      ASSERT_EQ(Messages(), 1) << "after " << i + 1 << " bytes";
    }
  }
  ::close(fd);
  ExpectArrivesOnce("SELECT count(*) FROM messages WHERE uuid = 'slow'", 1, daemon.get());
  EXPECT_EQ(Messages(), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM quarantine"), 0);
  EXPECT_EQ(Count("SELECT read_position FROM files"), static_cast<int64_t>(fs::file_size(path)));
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, TruncationKeepsHistoryAndReadsTheNewContentOnce) {
  const std::string path = root_ + "/-home-t-p/s4.jsonl";
  Append(path, UserLine("s4", "a", "one") + UserLine("s4", "b", "two") + UserLine("s4", "c", "three"));
  auto daemon = StartWatch();
  ASSERT_EQ(Messages(), 3);
  // Truncate, then write something new (shorter than before).
  WriteFile(path, UserLine("s4", "d", "after truncation"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 4, daemon.get());
  EXPECT_EQ(Count("SELECT generation FROM files"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM messages WHERE uuid IN ('a', 'b', 'c', 'd')"), 4);
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, RenameMovesTheRowWithoutReadingAgain) {
  const std::string from = root_ + "/-home-t-p/s5.jsonl";
  const std::string to = root_ + "/-home-t-p/s5-renamed.jsonl";
  // Lines without uuid are keyed by file: a rename read as a new file would
  // store them twice.
  Append(from, SummaryLine("first") + UserLine("s5", "r1", "hello") + SummaryLine("second"));
  auto daemon = StartWatch();
  ASSERT_EQ(Count("SELECT count(*) FROM events"), 2);
  ASSERT_EQ(::rename(from.c_str(), to.c_str()), 0);
  ExpectArrivesOnce("SELECT count(*) FROM files WHERE path = '" + to + "' AND archived_ms IS NULL", 1,
                    daemon.get());
  EXPECT_EQ(Count("SELECT count(*) FROM files"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM duplicates"), 0);
  Append(to, UserLine("s5", "r2", "after the rename"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 2, daemon.get());
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, DeleteArchivesAndKeepsHistory) {
  const std::string path = root_ + "/-home-t-p/s6.jsonl";
  Append(path, UserLine("s6", "x1", "kept") + UserLine("s6", "x2", "kept too"));
  auto daemon = StartWatch();
  ASSERT_EQ(Messages(), 2);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ExpectArrivesOnce("SELECT count(*) FROM files WHERE archived_ms IS NOT NULL", 1, daemon.get());
  EXPECT_EQ(Messages(), 2);
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, MissingRootIsWaitedForNotFatal) {
  const std::string later = tmp_ / "later/projects";
  notify_ = std::make_unique<NotifySocket>(tmp_.path());
  auto daemon = StartCco({"watch", "--root", later, "--db", db_}, {notify_->EnvEntry()});
  ASSERT_TRUE(notify_->WaitFor("READY=1", kArrival)) << daemon->Stderr();
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(daemon->running()) << daemon->Stderr();
  Append(later + "/-home-t-p/s7.jsonl", UserLine("s7", "late", "the root appeared"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 1, daemon.get());
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, PollingFallbackFollowsToo) {
  auto daemon = StartWatch({"--poll"});
  Append(root_ + "/-home-t-p/s8.jsonl", UserLine("s8", "p1", "polled"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 1, daemon.get());
  StopAndExpectClean(*daemon);
}

// Overflow without privileges: the daemon is stopped while more events than
// the inotify queue holds happen; after SIGCONT it sees IN_Q_OVERFLOW and
// must reconcile everything.
TEST_F(WatchTest, QueueOverflowWhileStoppedLosesNothing) {
  const int64_t limit = std::atoll(ReadFile("/proc/sys/fs/inotify/max_queued_events").c_str());
  if (limit <= 0 || limit > 200000) GTEST_SKIP() << "max_queued_events=" << limit << " is too large to overflow";
  // The directory must be watched before the daemon stops: files in a
  // directory created later are found by scanning it, not from the queue.
  Append(root_ + "/-home-t-many/first.jsonl", UserLine("first", "first", "x"));
  auto daemon = StartWatch();
  ASSERT_EQ(Messages(), 1);
  // Each new file is IN_CREATE + IN_MODIFY + IN_CLOSE_WRITE.
  const int files = static_cast<int>(limit / 3 + 1000);
  daemon->Signal(SIGSTOP);
  for (int i = 0; i < files; ++i) {
    Append(absl::StrCat(root_, "/-home-t-many/s", i, ".jsonl"), UserLine(absl::StrCat("s", i), absl::StrCat("m", i), "x"));
  }
  daemon->Signal(SIGCONT);
  const bool arrived = WaitUntil([&] { return Messages() == files + 1; }, seconds(120));
  ASSERT_TRUE(arrived) << Messages() << " of " << files + 1 << "\n" << daemon->Stderr();
  std::this_thread::sleep_for(kSettle);
  EXPECT_EQ(Messages(), files + 1);
  EXPECT_TRUE(absl::StrContains(daemon->Stderr(), "overflow")) << "the queue never overflowed";
  StopAndExpectClean(*daemon);
}

// Overflow with a tiny kernel queue (root only): hundreds of files at once.
TEST_F(WatchTest, QueueOverflowWithLoweredLimitLosesNothing) {
  ScopedSysctl small_queue("/proc/sys/fs/inotify/max_queued_events", "64");
  if (!small_queue.ok()) GTEST_SKIP() << "cannot lower /proc/sys/fs/inotify/max_queued_events (needs root)";
  // A directory the daemon already watches (see the test above).
  Append(root_ + "/-home-t-burst/first.jsonl", UserLine("first", "first", "x"));
  // The limit is read when the daemon creates its inotify instance; restore
  // it as soon as that has happened so nothing else runs with it.
  auto daemon = StartWatch();
  small_queue.Restore();
  ASSERT_EQ(Messages(), 1);
  const int files = 400;
  // Stopped while the burst is written, the daemon cannot drain the queue
  // as it fills (on a fast machine it otherwise may keep up), so the
  // 64-event queue overflows for certain.
  daemon->Signal(SIGSTOP);
  for (int i = 0; i < files; ++i) {
    Append(absl::StrCat(root_, "/-home-t-burst/s", i, ".jsonl"), UserLine(absl::StrCat("b", i), absl::StrCat("b", i), "x"));
  }
  daemon->Signal(SIGCONT);
  ExpectArrivesOnce("SELECT count(*) FROM messages", files + 1, daemon.get());
  EXPECT_TRUE(absl::StrContains(daemon->Stderr(), "overflow")) << "the queue never overflowed";
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, SigtermCommitsQueuedLinesAndExitsZeroWithinTwoSeconds) {
  // A long batch delay keeps what the daemon has read in the writer's queue.
  auto daemon = StartWatch({"--batch-delay-ms", "8000"});
  std::string lines;
  for (int i = 0; i < 300; ++i) lines += UserLine("s9", absl::StrCat("q", i), "queued");
  Append(root_ + "/-home-t-p/s9.jsonl", lines);
  std::this_thread::sleep_for(milliseconds(700));  // read and queued, not committed
  ASSERT_EQ(Messages(), 0) << "committed before the batch delay";
  const auto start = std::chrono::steady_clock::now();
  daemon->Signal(SIGTERM);
  std::optional<int> code = daemon->WaitExit(seconds(10));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon->Stderr();
  EXPECT_LT(took, seconds(2));
  EXPECT_EQ(Messages(), 300);
}

TEST_F(WatchTest, SigintAlsoStopsCleanly) {
  auto daemon = StartWatch();
  daemon->Signal(SIGINT);
  std::optional<int> code = daemon->WaitExit(seconds(2));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon->Stderr();
}

TEST_F(WatchTest, SighupReconcilesAndKeepsRunning) {
  auto daemon = StartWatch({}, {"CCO_LOG=info"});
  daemon->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(daemon->Stderr(), "why=reload"); }, seconds(10)))
      << daemon->Stderr();
  EXPECT_TRUE(daemon->running());
  Append(root_ + "/-home-t-p/s10.jsonl", UserLine("s10", "h1", "still following"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 1, daemon.get());
  StopAndExpectClean(*daemon);
}

TEST_F(WatchTest, SecondInstanceIsRefusedWithExitThree) {
  auto first = StartWatch();
  auto second = StartCco({"watch", "--root", root_, "--db", db_});
  std::optional<int> code = second->WaitExit(seconds(10));
  ASSERT_TRUE(code.has_value()) << "the second instance kept running";
  EXPECT_EQ(*code, 3);
  EXPECT_TRUE(absl::StrContains(second->Stderr(), absl::StrCat("in use by another cco writer (pid ", first->pid(), ")")))
      << second->Stderr();
  EXPECT_TRUE(first->running());
  StopAndExpectClean(*first);
}

TEST_F(WatchTest, KillNineDuringAppendsThenRestartEqualsLinesWritten) {
  auto daemon = StartWatch();
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  // Five sessions appending; each line goes out in two writes, so the daemon
  // also dies with partial lines in the files.
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const int session = i % 5;
      const std::string line = UserLine(absl::StrCat("k", session), absl::StrCat("k-", i), "live");
      const std::string path = absl::StrCat(root_, "/-home-t-kill/k", session, ".jsonl");
      const size_t half = line.size() / 2;
      Append(path, line.substr(0, half));
      if (i % 7 == 0) std::this_thread::sleep_for(milliseconds(1));
      Append(path, line.substr(half));
      written.fetch_add(1);
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  std::this_thread::sleep_for(milliseconds(800));
  daemon->Signal(SIGKILL);
  ASSERT_TRUE(daemon->WaitExit(seconds(5)).has_value());
  const int64_t at_kill = Messages();
  std::this_thread::sleep_for(milliseconds(300));
  stop = true;
  writer.join();
  ASSERT_GT(at_kill, 0);
  ASSERT_LT(at_kill, written.load());
  auto restarted = StartWatch();
  ExpectArrivesOnce("SELECT count(*) FROM messages", written.load(), restarted.get());
  EXPECT_EQ(Count("SELECT count(DISTINCT uuid) FROM messages"), written.load());
  EXPECT_EQ(Count("SELECT sum(line_count) FROM files"), written.load());
  StopAndExpectClean(*restarted);
}

TEST_F(WatchTest, StatusJsonWhileRunningAndAfter) {
  Append(root_ + "/-home-t-p/s11.jsonl", UserLine("s11", "st1", "status"));
  auto daemon = StartWatch();
  testing::CommandResult running = RunCco({"status", "--db", db_, "--json"});
  ASSERT_EQ(running.exit_code, 0) << running.err;
  EXPECT_TRUE(absl::StrContains(running.out, "\"running\":true")) << running.out;
  EXPECT_EQ(testing::JsonInt(running.out, "pid"), daemon->pid());
  // The service, not a rescan, holds the lock; its backfill is over.
  EXPECT_TRUE(absl::StrContains(running.out, "\"command\":\"watch\"")) << running.out;
  EXPECT_TRUE(absl::StrContains(running.out, "\"walk_done\":true")) << running.out;
  EXPECT_EQ(testing::JsonInt(running.out, "files"), 1);
  EXPECT_EQ(testing::JsonInt(running.out, "pending_bytes"), 0);
  EXPECT_EQ(testing::JsonInt(running.out, "quarantined"), 0);
  EXPECT_GT(testing::JsonInt(running.out, "last_commit_ms"), 0);
  for (const char* key : {"\"last_commit\":\"", "\"db_bytes\":", "\"wal_bytes\":", "\"queue_depth\":", "\"roots\":[{",
                          "\"lagging\":["}) {
    EXPECT_TRUE(absl::StrContains(running.out, key)) << key << " in " << running.out;
  }
  // A partial line is lag: bytes on disk not yet committed.
  const std::string partial = "{\"type\":\"user\",\"unfinished";
  Append(root_ + "/-home-t-p/s11.jsonl", partial);
  testing::CommandResult lagging = RunCco({"status", "--db", db_, "--json"});
  EXPECT_EQ(testing::JsonInt(lagging.out, "pending_bytes"), static_cast<int64_t>(partial.size())) << lagging.out;
  StopAndExpectClean(*daemon);

  testing::CommandResult after = RunCco({"status", "--db", db_, "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(absl::StrContains(after.out, "\"running\":false")) << after.out;
  EXPECT_TRUE(absl::StrContains(after.out, "\"pid\":null")) << after.out;
  EXPECT_EQ(testing::JsonInt(after.out, "files"), 1);
  EXPECT_EQ(testing::JsonInt(after.out, "wal_bytes"), 0);  // checkpointed on the way out
  testing::CommandResult text = RunCco({"status", "--db", db_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "not running (last: watch, pid ")) << text.out;
}

// A database deleted under the running daemon is fatal: every later commit
// would go to a file nobody can open again.
TEST_F(WatchTest, DatabaseDeletedWhileRunningStopsWithExitOne) {
  auto daemon = StartWatch();
  ASSERT_EQ(::unlink(db_.c_str()), 0);
  std::optional<int> code;
  for (int i = 0; i < 200 && !code.has_value(); ++i) {
    Append(root_ + "/-home-t-p/gone.jsonl", UserLine("gone", absl::StrCat("g", i), "after the delete"));
    code = daemon->WaitExit(milliseconds(100));
  }
  ASSERT_TRUE(code.has_value()) << "still running 20 s after its database was deleted";
  EXPECT_EQ(*code, 1);
  EXPECT_TRUE(absl::StrContains(daemon->Stderr(), "was deleted or replaced while cco was writing to it"))
      << daemon->Stderr();
}

TEST(StatusTest, MissingDatabaseIsReportedNotCreated) {
  TempDir tmp;
  const std::string db = tmp / "nothing/here/cco.db";
  testing::CommandResult json = RunCco({"status", "--db", db, "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(absl::StrContains(json.out, "\"running\":false")) << json.out;
  EXPECT_TRUE(absl::StrContains(json.out, "\"db_exists\":false")) << json.out;
  EXPECT_EQ(testing::JsonInt(json.out, "files"), 0);
  testing::CommandResult text = RunCco({"status", "--db", db});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "does not exist yet")) << text.out;
  EXPECT_FALSE(fs::exists(tmp / "nothing"));
}

TEST(StatusTest, NonDatabaseFileIsAnError) {
  TempDir tmp;
  WriteFile(tmp / "junk.db", "this is not sqlite");
  testing::CommandResult r = RunCco({"status", "--db", tmp / "junk.db", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "cannot read")) << r.err;
}

TEST_F(WatchTest, WatchdogPingsWhenRequested) {
  auto daemon = StartWatch({}, {"WATCHDOG_USEC=200000"});
  // Pings every ~90 ms while idle: the main loop sleeps no longer than that.
  std::this_thread::sleep_for(seconds(1));
  notify_->WaitFor("never", milliseconds(50));  // drain what arrived
  EXPECT_GE(notify_->Count("WATCHDOG=1"), 6) << "pings in ~1 s";
  StopAndExpectClean(*daemon);
}

// Disk full (root only: a tiny tmpfs holds the database). The writer waits
// for space; the main loop keeps pinging the watchdog meanwhile; once space
// is back every line arrives.
TEST_F(WatchTest, DiskFullKeepsPingingAndLosesNothing) {
  const std::string small = tmp_ / "small";
  fs::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};
  const std::string db = small + "/cco.db";
  notify_ = std::make_unique<NotifySocket>(tmp_.path());
  auto daemon = StartCco({"watch", "--root", root_, "--db", db},
                         {notify_->EnvEntry(), "WATCHDOG_USEC=400000"});
  ASSERT_TRUE(notify_->WaitFor("READY=1", kArrival)) << daemon->Stderr();
  // Fill the filesystem.
  {
    const std::string filler = small + "/filler";
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    const std::string block(64 * 1024, 'f');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    while (::write(fd, block.data(), 512) > 0) {
    }
    ::close(fd);
  }
  std::string lines;
  for (int i = 0; i < 2000; ++i) lines += UserLine("full", absl::StrCat("full-", i), std::string(400, 'z'));
  Append(root_ + "/-home-t-full/full.jsonl", lines);
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(daemon->Stderr(), "waiting for space"); }, seconds(20)))
      << daemon->Stderr();
  notify_->WaitFor("never", milliseconds(10));
  const int before = notify_->Count("WATCHDOG=1");
  notify_->WaitFor("never", milliseconds(1500));
  EXPECT_GE(notify_->Count("WATCHDOG=1") - before, 5) << "watchdog pings stopped while the disk was full";
  EXPECT_TRUE(daemon->running());
  ASSERT_EQ(::unlink((small + "/filler").c_str()), 0);
  ASSERT_TRUE(WaitUntil([&] { return QueryInt(db, "SELECT count(*) FROM messages") == 2000; }, seconds(30)))
      << QueryInt(db, "SELECT count(*) FROM messages") << "\n" << daemon->Stderr();
  daemon->Signal(SIGTERM);
  std::optional<int> code = daemon->WaitExit(seconds(10));
  ASSERT_TRUE(code.has_value()) << daemon->Stderr();
  EXPECT_EQ(*code, 0) << daemon->Stderr();
}

TEST_F(WatchTest, NoWatchdogPingsForAnotherPid) {
  auto daemon = StartWatch({}, {"WATCHDOG_USEC=200000", "WATCHDOG_PID=1"});
  std::this_thread::sleep_for(milliseconds(500));
  notify_->WaitFor("never", milliseconds(50));
  EXPECT_EQ(notify_->Count("WATCHDOG=1"), 0);
  StopAndExpectClean(*daemon);
}

TEST(SdNotifierTest, SendsToAbstractSocketAndHalvesTheWatchdogInterval) {
  TempDir tmp;
  NotifySocket socket(tmp.path(), /*abstract=*/true);
  const std::string name = socket.EnvEntry().substr(std::string("NOTIFY_SOCKET=").size());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::unsetenv("WATCHDOG_PID");
  SdNotifier notifier = SdNotifier::FromEnvironment();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ASSERT_TRUE(notifier.enabled());
  ASSERT_TRUE(notifier.watchdog_interval().has_value());
  EXPECT_EQ(*notifier.watchdog_interval(), absl::Milliseconds(1500));
  ASSERT_TRUE(notifier.Notify("READY=1\nSTATUS=testing").ok());
  EXPECT_TRUE(socket.WaitFor("READY=1", seconds(2)));
  EXPECT_EQ(socket.messages().back(), "READY=1\nSTATUS=testing");
  notifier.PingWatchdog();
  notifier.PingWatchdog();  // not due again yet
  socket.WaitFor("never", milliseconds(50));
  EXPECT_EQ(socket.Count("WATCHDOG=1"), 1);
}

TEST(SdNotifierTest, WithoutNotifySocketEverythingIsANoOp) {
  ::unsetenv("NOTIFY_SOCKET");
  SdNotifier notifier = SdNotifier::FromEnvironment();
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.watchdog_interval().has_value());
  EXPECT_TRUE(notifier.Notify("READY=1").ok());
  EXPECT_EQ(notifier.UntilNextPing(), absl::InfiniteDuration());
}

}  // namespace
}  // namespace cco

// Tests for cco::Watcher against real directories (no mocks): the inotify
// backend on Linux, and the portable poll backend.
//
// Events are awaited with deadline loops around Wait() rather than fixed
// sleeps; the only fixed waits are the short ones used to drain stray events
// or to assert that nothing arrives.

#include "ingest/watcher.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace cco {
namespace {

using Kind = WatchEvent::Kind;
using Events = std::vector<WatchEvent>;

constexpr absl::Duration kEventDeadline = absl::Seconds(10);

std::string KindName(Kind kind) {
  switch (kind) {
    case Kind::kFileChanged:
      return "changed";
    case Kind::kFileRemoved:
      return "removed";
    case Kind::kRescan:
      return "rescan";
  }
  return "?";
}

std::string Describe(const Events& events) {
  std::string out = absl::StrCat(events.size(), " events:");
  for (const WatchEvent& e : events) {
    absl::StrAppend(&out, " ", KindName(e.kind), "(", e.path, ")");
  }
  return out;
}

bool Has(const Events& events, Kind kind, const std::string& path = "") {
  return std::find(events.begin(), events.end(), WatchEvent{kind, path}) !=
         events.end();
}

// Calls Wait() until `done(all events so far)` or `deadline` passes.
Events WaitUntil(Watcher& watcher, const std::function<bool(const Events&)>& done,
                 absl::Duration deadline = kEventDeadline) {
  Events all;
  const absl::Time end = absl::Now() + deadline;
  while (!done(all) && absl::Now() < end) {
    absl::StatusOr<Events> got = watcher.Wait(end - absl::Now());
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) break;
    all.insert(all.end(), got->begin(), got->end());
  }
  return all;
}

Events WaitFor(Watcher& watcher, Kind kind, const std::string& path = "") {
  return WaitUntil(watcher,
                   [&](const Events& all) { return Has(all, kind, path); });
}

// Swallows events still in flight (e.g. IN_CLOSE_WRITE after a create), so
// that the next assertion is about the next change only.
void Drain(Watcher& watcher) {
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<Events> got = watcher.Wait(absl::Milliseconds(150));
    ASSERT_TRUE(got.ok()) << got.status();
    if (got->empty()) return;
  }
}

void MakeDir(const std::string& path) {
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0) << path << ": " << errno;
}

void WriteFile(const std::string& path, const std::string& data,
               int flags = O_WRONLY | O_CREAT | O_TRUNC) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path << ": " << errno;
  ASSERT_EQ(::write(fd, data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  ASSERT_EQ(::close(fd), 0);
}

void AppendFile(const std::string& path, const std::string& data) {
  WriteFile(path, data, O_WRONLY | O_APPEND);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "cco_watcher_test_XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << errno;
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

#ifdef __linux__

// Temporarily overrides a /proc/sys value; restores it on destruction.
class SysctlOverride {
 public:
  static std::unique_ptr<SysctlOverride> Set(const std::string& path,
                                             const std::string& value) {
    // Same lock as tests/process_support.h's ScopedSysctl: concurrent test
    // processes take turns, so none restores another's temporary value.
    int lock = ::open("/tmp/cco-test-sysctl.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
      if (lock >= 0) ::close(lock);
      return nullptr;
    }
    std::string old;
    if (!Read(path, &old) || !Write(path, value)) {
      ::close(lock);
      return nullptr;
    }
    auto o = std::unique_ptr<SysctlOverride>(new SysctlOverride(path, old));
    o->lock_ = lock;
    return o;
  }
  ~SysctlOverride() { Restore(); }
  void Restore() {
    if (restored_) return;
    restored_ = true;
    EXPECT_TRUE(Write(path_, old_)) << "could not restore " << path_;
    ::close(lock_);
  }

 private:
  SysctlOverride(std::string path, std::string old)
      : path_(std::move(path)), old_(std::move(old)) {}

  static bool Read(const std::string& path, std::string* out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[64];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    ::close(fd);
    if (n <= 0) return false;
    out->assign(buf, static_cast<size_t>(n));
    while (!out->empty() && out->back() == '\n') out->pop_back();
    return true;
  }
  static bool Write(const std::string& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, value.data(), value.size()) ==
              static_cast<ssize_t>(value.size());
    return ::close(fd) == 0 && ok;
  }

  std::string path_;
  std::string old_;
  bool restored_ = false;
  int lock_ = -1;
};

class InotifyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/projects";
    MakeDir(root_);
    absl::StatusOr<std::unique_ptr<Watcher>> w = MakeInotifyWatcher();
    ASSERT_TRUE(w.ok()) << w.status();
    watcher_ = *std::move(w);
  }

  std::string Path(const std::string& rel) const {
    return root_ + "/" + rel;
  }

  TempDir tmp_;
  std::string root_;
  std::unique_ptr<Watcher> watcher_;
};

TEST_F(InotifyWatcherTest, ExistingFilesProduceNoEventsOnAddRoot) {
  MakeDir(Path("proj"));
  WriteFile(Path("proj/old.jsonl"), "{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  EXPECT_EQ(watcher_->watch_count(), 2u);
  EXPECT_FALSE(watcher_->degraded());
  absl::StatusOr<Events> got = watcher_->Wait(absl::Milliseconds(200));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty()) << Describe(*got);
}

TEST_F(InotifyWatcherTest, SeesFileInDirectoryCreatedAfterStart) {
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  EXPECT_EQ(watcher_->watch_count(), 1u);
  MakeDir(Path("proj"));
  WriteFile(Path("proj/session.jsonl"), "{\"a\":1}\n");
  Events events = WaitFor(*watcher_, Kind::kFileChanged, Path("proj/session.jsonl"));
  EXPECT_TRUE(Has(events, Kind::kFileChanged, Path("proj/session.jsonl")))
      << Describe(events);
  EXPECT_EQ(watcher_->watch_count(), 2u);
}

// mkdir followed immediately by a write: the file exists before the watcher
// has processed IN_CREATE for the directory, so only the post-watch scan can
// find it. Repeated to make a lost file likely if the scan were missing.
TEST_F(InotifyWatcherTest, SeesFileWrittenImmediatelyAfterSubagentsMkdir) {
  MakeDir(Path("proj"));
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    std::string session = Path(absl::StrCat("proj/session", i));
    MakeDir(session);
    MakeDir(session + "/subagents");
    expected.push_back(session + "/subagents/agent-1.jsonl");
    WriteFile(expected.back(), "{}\n");
  }
  // A whole new project tree created in one go, too.
  std::filesystem::create_directories(Path("proj2/s/subagents"));
  expected.push_back(Path("proj2/s/subagents/agent-2.jsonl"));
  WriteFile(expected.back(), "{}\n");

  Events events = WaitUntil(*watcher_, [&](const Events& all) {
    return std::all_of(expected.begin(), expected.end(), [&](const auto& p) {
      return Has(all, Kind::kFileChanged, p);
    });
  });
  for (const std::string& p : expected) {
    EXPECT_TRUE(Has(events, Kind::kFileChanged, p)) << p << "\n"
                                                    << Describe(events);
  }
  // 1 root + proj + 20 * (session, subagents) + proj2, s, subagents.
  EXPECT_EQ(watcher_->watch_count(), 2u + 40u + 3u);
}

TEST_F(InotifyWatcherTest, SeesAppend) {
  MakeDir(Path("proj"));
  const std::string file = Path("proj/s.jsonl");
  WriteFile(file, "{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  Drain(*watcher_);
  AppendFile(file, "{\"more\":true}\n");
  Events events = WaitFor(*watcher_, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
}

TEST_F(InotifyWatcherTest, SeesTruncation) {
  MakeDir(Path("proj"));
  const std::string file = Path("proj/s.jsonl");
  WriteFile(file, "{}\n{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  Drain(*watcher_);
  ASSERT_EQ(::truncate(file.c_str(), 0), 0);
  Events events = WaitFor(*watcher_, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
}

TEST_F(InotifyWatcherTest, SeesRenameIntoPlace) {
  MakeDir(Path("proj"));
  const std::string file = Path("proj/s.jsonl");
  const std::string tmp = Path("proj/s.jsonl.tmp");
  WriteFile(file, "old\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  WriteFile(tmp, "{\"new\":1}\n");
  ASSERT_EQ(::rename(tmp.c_str(), file.c_str()), 0);  // Replaces `file`.
  Events events = WaitFor(*watcher_, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
  for (const WatchEvent& e : events) {
    EXPECT_NE(e.path, tmp) << "non-*.jsonl files must not produce events";
  }
}

TEST_F(InotifyWatcherTest, DeleteEmitsFileRemoved) {
  MakeDir(Path("proj"));
  const std::string file = Path("proj/s.jsonl");
  WriteFile(file, "{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  ASSERT_EQ(::unlink(file.c_str()), 0);
  Events events = WaitFor(*watcher_, Kind::kFileRemoved, file);
  EXPECT_TRUE(Has(events, Kind::kFileRemoved, file)) << Describe(events);
}

TEST_F(InotifyWatcherTest, RenameAwayEmitsFileRemoved) {
  MakeDir(Path("proj"));
  const std::string file = Path("proj/s.jsonl");
  WriteFile(file, "{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  ASSERT_EQ(::rename(file.c_str(), (tmp_.path() + "/away.jsonl").c_str()), 0);
  Events events = WaitFor(*watcher_, Kind::kFileRemoved, file);
  EXPECT_TRUE(Has(events, Kind::kFileRemoved, file)) << Describe(events);
}

TEST_F(InotifyWatcherTest, IgnoresNonJsonlFiles) {
  MakeDir(Path("proj"));
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  WriteFile(Path("proj/notes.txt"), "x");
  WriteFile(Path("proj/.jsonl"), "x");
  WriteFile(Path("proj/b.jsonl"), "{}\n");  // Arrives after the others.
  Events events = WaitFor(*watcher_, Kind::kFileChanged, Path("proj/b.jsonl"));
  ASSERT_TRUE(Has(events, Kind::kFileChanged, Path("proj/b.jsonl")))
      << Describe(events);
  for (const WatchEvent& e : events) {
    EXPECT_EQ(e.path, Path("proj/b.jsonl")) << Describe(events);
  }
}

TEST_F(InotifyWatcherTest, DirectoryMovedAwayAndBackIn) {
  MakeDir(Path("proj"));
  MakeDir(Path("proj/sess"));
  const std::string file = Path("proj/sess/a.jsonl");
  WriteFile(file, "{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  ASSERT_EQ(watcher_->watch_count(), 3u);

  const std::string outside = tmp_.path() + "/parked";
  ASSERT_EQ(::rename(Path("proj").c_str(), outside.c_str()), 0);
  Events events = WaitFor(*watcher_, Kind::kFileRemoved, file);
  EXPECT_TRUE(Has(events, Kind::kFileRemoved, file)) << Describe(events);
  EXPECT_EQ(watcher_->watch_count(), 1u);

  ASSERT_EQ(::rename(outside.c_str(), Path("renamed").c_str()), 0);
  const std::string moved = Path("renamed/sess/a.jsonl");
  events = WaitFor(*watcher_, Kind::kFileChanged, moved);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, moved)) << Describe(events);
  EXPECT_EQ(watcher_->watch_count(), 3u);
}

TEST_F(InotifyWatcherTest, PicksUpRootCreatedAfterAddRoot) {
  const std::string late = tmp_.path() + "/late/projects";
  ASSERT_TRUE(watcher_->AddRoot(late).ok());
  EXPECT_EQ(watcher_->watch_count(), 0u);
  absl::StatusOr<Events> none = watcher_->Wait(absl::ZeroDuration());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  // Created while Wait() is blocked, so the periodic (2 s) re-check has to
  // find it rather than the check done on entry to Wait().
  const std::string file = late + "/proj/s.jsonl";
  std::thread creator([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::filesystem::create_directories(late + "/proj");
    WriteFile(file, "{}\n");
  });
  Events events = WaitFor(*watcher_, Kind::kFileChanged, file);
  creator.join();
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
  EXPECT_EQ(watcher_->watch_count(), 2u);

  // And it is live afterwards.
  const std::string second = late + "/proj/t.jsonl";
  WriteFile(second, "{}\n");
  events = WaitFor(*watcher_, Kind::kFileChanged, second);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, second)) << Describe(events);
}

TEST_F(InotifyWatcherTest, RootDeletedAndRecreated) {
  MakeDir(Path("proj"));
  const std::string file = Path("proj/s.jsonl");
  WriteFile(file, "{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());

  std::filesystem::remove_all(root_);
  Events events = WaitUntil(*watcher_, [&](const Events&) {
    return watcher_->watch_count() == 0;
  });
  EXPECT_TRUE(Has(events, Kind::kFileRemoved, file)) << Describe(events);
  EXPECT_EQ(watcher_->watch_count(), 0u);

  std::filesystem::create_directories(Path("proj"));
  WriteFile(file, "{}\n");
  events = WaitFor(*watcher_, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
}

TEST_F(InotifyWatcherTest, WakeUnblocksWait) {
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    watcher_->Wake();
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<Events> got = watcher_->Wait(absl::Seconds(60));
  const absl::Duration took = absl::Now() - start;
  waker.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
  EXPECT_LT(took, absl::Seconds(5));

  // A Wake() with no Wait() in progress makes the next Wait() return.
  watcher_->Wake();
  const absl::Time again = absl::Now();
  ASSERT_TRUE(watcher_->Wait(absl::Seconds(60)).ok());
  EXPECT_LT(absl::Now() - again, absl::Seconds(5));
}

TEST_F(InotifyWatcherTest, QueueOverflowEmitsRescan) {
  // max_queued_events is copied into an inotify instance when it is created,
  // so it only needs to be low while the watcher is made; restore it at once
  // to keep the window in which other processes could notice tiny.
  auto limit = SysctlOverride::Set("/proc/sys/fs/inotify/max_queued_events",
                                   "16");
  if (limit == nullptr) {
    GTEST_SKIP() << "/proc/sys/fs/inotify/max_queued_events is not writable "
                    "(needs root and a writable /proc/sys); cannot force an "
                    "inotify queue overflow";
  }
  absl::StatusOr<std::unique_ptr<Watcher>> small = MakeInotifyWatcher();
  limit->Restore();
  ASSERT_TRUE(small.ok()) << small.status();
  Watcher& watcher = **small;

  MakeDir(Path("proj"));
  ASSERT_TRUE(watcher.AddRoot(root_).ok());
  for (int i = 0; i < 200; ++i) {
    WriteFile(Path(absl::StrCat("proj/f", i, ".jsonl")), "{}\n");
  }
  Events events = WaitFor(watcher, Kind::kRescan);
  EXPECT_TRUE(Has(events, Kind::kRescan)) << Describe(events);
  EXPECT_EQ(watcher.watch_count(), 2u);  // Watches survive the resync.

  // Still live after the overflow, including in a directory created now.
  Drain(watcher);
  MakeDir(Path("proj/late"));
  WriteFile(Path("proj/late/x.jsonl"), "{}\n");
  events = WaitFor(watcher, Kind::kFileChanged, Path("proj/late/x.jsonl"));
  EXPECT_TRUE(Has(events, Kind::kFileChanged, Path("proj/late/x.jsonl")))
      << Describe(events);
}

TEST(DefaultWatcherTest, SeesNewFile) {
  TempDir tmp;
  absl::StatusOr<std::unique_ptr<Watcher>> w = MakeDefaultWatcher();
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->AddRoot(tmp.path()).ok());
  EXPECT_EQ((*w)->watch_count(), 1u);
  const std::string file = tmp.path() + "/a.jsonl";
  WriteFile(file, "{}\n");
  Events events = WaitFor(**w, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
}

#endif  // __linux__

class PollWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/projects";
    watcher_ = MakePollWatcher(absl::Milliseconds(20));
  }

  TempDir tmp_;
  std::string root_;
  std::unique_ptr<Watcher> watcher_;
};

TEST_F(PollWatcherTest, SeesCreateAppendDelete) {
  MakeDir(root_);
  MakeDir(root_ + "/proj");
  WriteFile(root_ + "/proj/old.jsonl", "{}\n");
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());
  EXPECT_FALSE(watcher_->degraded());
  EXPECT_EQ(watcher_->watch_count(), 2u);
  Drain(*watcher_);  // Existing files are the baseline: nothing to drain.

  const std::string file = root_ + "/proj/sess/subagents/a.jsonl";
  std::filesystem::create_directories(root_ + "/proj/sess/subagents");
  WriteFile(file, "{}\n");
  WriteFile(root_ + "/proj/ignored.txt", "x");
  Events events = WaitFor(*watcher_, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
  EXPECT_FALSE(Has(events, Kind::kFileChanged, root_ + "/proj/old.jsonl"));
  EXPECT_FALSE(Has(events, Kind::kFileChanged, root_ + "/proj/ignored.txt"));

  AppendFile(file, "{\"more\":1}\n");  // Size changes even within one mtime tick.
  events = WaitFor(*watcher_, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);

  ASSERT_EQ(::unlink(file.c_str()), 0);
  events = WaitFor(*watcher_, Kind::kFileRemoved, file);
  EXPECT_TRUE(Has(events, Kind::kFileRemoved, file)) << Describe(events);
}

TEST_F(PollWatcherTest, PicksUpRootCreatedAfterAddRoot) {
  ASSERT_TRUE(watcher_->AddRoot(root_).ok());  // Does not exist yet.
  EXPECT_EQ(watcher_->watch_count(), 0u);
  std::filesystem::create_directories(root_ + "/proj");
  const std::string file = root_ + "/proj/s.jsonl";
  WriteFile(file, "{}\n");
  Events events = WaitFor(*watcher_, Kind::kFileChanged, file);
  EXPECT_TRUE(Has(events, Kind::kFileChanged, file)) << Describe(events);
}

TEST_F(PollWatcherTest, WakeUnblocksWait) {
  // A long interval, so only Wake() can end the Wait() early.
  std::unique_ptr<Watcher> slow = MakePollWatcher(absl::Hours(1));
  ASSERT_TRUE(slow->AddRoot(tmp_.path()).ok());
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    slow->Wake();
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<Events> got = slow->Wait(absl::Seconds(60));
  const absl::Duration took = absl::Now() - start;
  waker.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_LT(took, absl::Seconds(5));
}

}  // namespace
}  // namespace cco

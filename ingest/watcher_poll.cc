// Portable polling backend of cco::Watcher, and MakeDefaultWatcher().
//
// Every `interval` the roots are walked and each *.jsonl file's
// (dev, inode, size, mtime) is compared with the previous walk. This costs a
// readdir per directory and a stat per transcript per interval, so it is the
// fallback for systems without inotify, not the default on Linux. Wake() uses
// a self-pipe (async-signal-safe, unlike a condition variable).

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ingest/env.h"
#include "ingest/fs_util.h"
#include "ingest/walk.h"
#include "ingest/watcher.h"
#include "spdlog/spdlog.h"
#include "src/status.h"

namespace cco {
namespace {

constexpr absl::Duration kMinPollInterval = absl::Milliseconds(10);
constexpr absl::Duration kDefaultPollInterval = absl::Seconds(2);

absl::Duration Until(std::chrono::steady_clock::time_point t) {
  return std::max(absl::ZeroDuration(),
                  absl::FromChrono(t - std::chrono::steady_clock::now()));
}

#ifndef __linux__
bool SetNonBlockingCloexec(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
         ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}
#endif

struct FileState {
  int64_t dev;
  int64_t ino;
  int64_t size;
  int64_t mtime_ns;

  friend bool operator==(const FileState&, const FileState&) = default;
};

FileState StateOf(const FileInfo& info) { return FileState{info.dev, info.inode, info.size, info.mtime_ns}; }

// Path -> state of every *.jsonl file below the roots. Ordered, so that a
// directory's contents are a contiguous range of keys.
using Snapshot = std::map<std::string, FileState>;

// Not thread-safe apart from Wake() (see watcher.h).
class PollWatcher final : public Watcher {
 public:
  PollWatcher(absl::Duration interval, UniqueFd wake_read, UniqueFd wake_write)
      : env_(Env::Default()),
        interval_(std::max(interval, kMinPollInterval)),
        wake_read_(std::move(wake_read)),
        wake_write_(std::move(wake_write)) {}

  absl::Status AddRoot(const std::string& dir) override;
  absl::StatusOr<std::vector<WatchEvent>> Wait(absl::Duration timeout) override;
  void Wake() override;
  bool degraded() const override { return false; }
  size_t watch_count() const override { return dirs_walked_; }

 private:
  // Walks every root into a new snapshot, emits the differences with the
  // previous one, and schedules the next walk.
  void Walk();
  // Adds every *.jsonl below `root` to `out`; returns directories visited.
  size_t WalkTree(const std::string& root, Snapshot* out) const;
  // Copies the previous state of everything below `dir` into `out`, so that a
  // directory we transiently fail to read (EMFILE, EACCES) does not look like
  // a mass deletion.
  void CarryOver(const std::string& dir, Snapshot* out) const;
  void Emit(WatchEvent::Kind kind, std::string path);
  void DrainWake();

  Env& env_;
  const absl::Duration interval_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::vector<std::string> roots_;
  Snapshot snapshot_;
  size_t dirs_walked_ = 0;
  std::chrono::steady_clock::time_point next_walk_ =
      std::chrono::steady_clock::now();

  std::vector<WatchEvent> pending_;
  std::set<std::pair<WatchEvent::Kind, std::string>> pending_keys_;
};

void PollWatcher::Emit(WatchEvent::Kind kind, std::string path) {
  if (!pending_keys_.emplace(kind, path).second) return;
  pending_.push_back(WatchEvent{kind, std::move(path)});
}

absl::Status PollWatcher::AddRoot(const std::string& dir) {
  absl::StatusOr<std::string> path = NormalizeRoot(dir);
  if (!path.ok()) return path.status();
  if (std::find(roots_.begin(), roots_.end(), *path) != roots_.end()) {
    return absl::OkStatus();
  }
  roots_.push_back(*path);
  // Baseline only: files already present produce no events (see watcher.h).
  dirs_walked_ += WalkTree(*path, &snapshot_);
  spdlog::info("watcher: polling root={} interval={} files={}", *path,
               absl::FormatDuration(interval_), snapshot_.size());
  return absl::OkStatus();
}

void PollWatcher::CarryOver(const std::string& dir, Snapshot* out) const {
  const std::string prefix = JoinPath(dir, "");
  for (auto it = snapshot_.lower_bound(prefix);
       it != snapshot_.end() && absl::StartsWith(it->first, prefix); ++it) {
    out->insert(*it);
  }
}

size_t PollWatcher::WalkTree(const std::string& root, Snapshot* out) const {
  // The scanner's walk and symlink rule (walk.h), so that a file is seen
  // under the path the scanner reads it under.
  size_t dirs = 0;
  WalkVisitor visitor;
  visitor.enter_directory = [&dirs](const std::string&, const FileInfo&) {
    ++dirs;
    return WalkVisitor::Enter::kEnter;
  };
  visitor.file = [out](const std::string& path, const FileInfo& info, bool) {
    (*out)[path] = StateOf(info);
  };
  visitor.each_name = true;
  // Unknown rather than gone (a directory or file we transiently fail to
  // read: EMFILE, EACCES): keep what we knew, so it does not look deleted.
  visitor.skipped = [this, out](const std::string& path, const std::string&) {
    if (auto it = snapshot_.find(path); it != snapshot_.end()) out->insert(*it);
    CarryOver(path, out);
  };
  absl::Status s = ::cco::WalkTree(env_, root, visitor);
  if (!s.ok() && !absl::IsNotFound(s)) {
    spdlog::debug("watcher: cannot walk root path={} error={}", root, s.message());
    CarryOver(root, out);
  }
  return dirs;
}

void PollWatcher::Walk() {
  Snapshot next;
  size_t dirs = 0;
  for (const std::string& root : roots_) dirs += WalkTree(root, &next);
  for (const auto& [path, state] : next) {
    auto it = snapshot_.find(path);
    if (it == snapshot_.end() || !(it->second == state)) {
      Emit(WatchEvent::Kind::kFileChanged, path);
    }
  }
  for (const auto& [path, state] : snapshot_) {
    if (next.count(path) == 0) Emit(WatchEvent::Kind::kFileRemoved, path);
  }
  snapshot_ = std::move(next);
  dirs_walked_ = dirs;
  next_walk_ = std::chrono::steady_clock::now() +
               absl::ToChronoNanoseconds(interval_);
}

void PollWatcher::DrainWake() {
  char buf[64];
  for (;;) {
    ssize_t n = ::read(wake_read_.get(), buf, sizeof(buf));
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return;  // EAGAIN: drained.
  }
}

void PollWatcher::Wake() {
  // Async-signal-safe: a single write(2), with errno preserved. A full pipe
  // (EAGAIN) already guarantees a wake-up.
  const int saved_errno = errno;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_write_.get(), &byte, 1);
  errno = saved_errno;
}

absl::StatusOr<std::vector<WatchEvent>> PollWatcher::Wait(
    absl::Duration timeout) {
  const bool infinite = timeout >= absl::Hours(24 * 365 * 100);
  const auto deadline =
      std::chrono::steady_clock::now() +
      (infinite ? std::chrono::nanoseconds(0)
                : absl::ToChronoNanoseconds(
                      std::max(timeout, absl::ZeroDuration())));
  bool woken = false;
  for (;;) {
    if (std::chrono::steady_clock::now() >= next_walk_) Walk();
    if (!pending_.empty() || woken) break;
    absl::Duration remaining =
        infinite ? absl::InfiniteDuration() : Until(deadline);
    if (remaining <= absl::ZeroDuration()) break;
    struct pollfd pfd = {wake_read_.get(), POLLIN, 0};
    int n = ::poll(&pfd, 1,
                   ToPollTimeoutMs(std::min(remaining, Until(next_walk_))));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "poll(wake pipe)");
    }
    if (pfd.revents & POLLIN) {
      DrainWake();
      woken = true;
    }
  }
  pending_keys_.clear();
  return std::exchange(pending_, {});
}

}  // namespace

std::unique_ptr<Watcher> MakePollWatcher(absl::Duration interval) {
  int fds[2] = {-1, -1};
#ifdef __linux__
  const bool ok = ::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0;
#else
  const bool ok = ::pipe(fds) == 0 && SetNonBlockingCloexec(fds[0]) &&
                  SetNonBlockingCloexec(fds[1]);
#endif
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  if (!ok) {
    // Only under fd exhaustion. Wake() then cannot interrupt a Wait(), which
    // still returns at its timeout; callers bound their waits anyway.
    spdlog::error("watcher: cannot create wake-up pipe error={}", errno);
    read_end = UniqueFd();
    write_end = UniqueFd();
  }
  return std::make_unique<PollWatcher>(interval, std::move(read_end),
                                       std::move(write_end));
}

absl::StatusOr<std::unique_ptr<Watcher>> MakeDefaultWatcher(InotifyOptions options) {
#ifdef __linux__
  absl::StatusOr<std::unique_ptr<Watcher>> inotify = MakeInotifyWatcher(options);
  if (inotify.ok()) return inotify;
  spdlog::warn("watcher: inotify unavailable, falling back to polling error={}",
               inotify.status().ToString());
#endif
  (void)options;
  return MakePollWatcher(kDefaultPollInterval);
}

}  // namespace cco

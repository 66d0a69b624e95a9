// inotify backend of cco::Watcher (Linux only).
//
// Design, after watchman's inotify watcher:
//  * Only directories are watched (never one watch per file), so the number of
//    watches is the number of project/session/subagents directories.
//  * Kernel events are hints. Anything that can make us lose events (queue
//    overflow, a watch we could not add) becomes kRescan, and the caller
//    reconciles against the filesystem.
//  * Wait() poll()s the inotify fd together with an eventfd, so Wake() (and
//    therefore shutdown) never blocks behind a quiet filesystem.
//  * A new directory is watched first and scanned second; anything created in
//    it before the watch existed is found by the scan, anything created after
//    produces an event. Duplicates are coalesced away.
//  * Symbolic links below the roots are followed, as the scanner's walk
//    follows them (ingest/roots.h): a linked directory is watched (the watch
//    is on its target) under its path below the root, and a linked
//    transcript gets a watch on its target's directory whose events name the
//    link. A directory reached twice (a loop, or two links to it) keeps the
//    first path, and subdirectories are visited in name order, so that path
//    is the smallest, the one the scanner reads it under.

#include "ingest/env.h"
#include "ingest/fs_util.h"
#include "ingest/walk.h"
#include "ingest/watcher.h"

#ifdef __linux__

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"
#include "src/status.h"

#endif  // __linux__

namespace cco {

#ifdef __linux__

namespace {

// Every change that can affect a *.jsonl file or the directory tree.
// IN_EXCL_UNLINK: no events for files that were unlinked but are still open.
constexpr uint32_t kDirMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE |
                              IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                              IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                              IN_EXCL_UNLINK;

// Roots that are missing are re-checked at least this often.
constexpr absl::Duration kMissingRootCheckInterval = absl::Seconds(2);

// Bounds the work done per wake-up so a storm of events cannot starve the
// caller; the remaining events stay queued in the kernel for the next Wait().
constexpr int kMaxReadsPerWakeup = 64;
constexpr size_t kReadBufferSize = 64 * 1024;

// Filesystems on which inotify does not see changes made by other machines
// (or by the host of a VM / container), so the caller has to poll.
constexpr int64_t kRemoteFsMagics[] = {
    0x6969,      // NFS
    0x517B,      // SMB
    0xFF534D42,  // CIFS
    0xFE534D42,  // SMB2
    0x65735546,  // FUSE (sshfs, Docker Desktop grpcfuse, ...)
    0x6a656a63,  // virtiofs
    0x01021997,  // 9p (WSL2 drvfs, QEMU shares)
    0x5346414F,  // AFS
    0x73757245,  // Coda
    0x00C36400,  // Ceph
    0x0BD00BD0,  // Lustre
    0x01161970,  // GFS2
};

// A point in steady-clock time, or "never".
class Deadline {
 public:
  explicit Deadline(absl::Duration timeout) {
    // Anything beyond ~100 years is treated as infinite so the chrono
    // conversion below cannot overflow.
    if (timeout >= absl::Hours(24 * 365 * 100)) return;
    infinite_ = false;
    end_ = std::chrono::steady_clock::now() +
           absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration()));
  }
  absl::Duration Remaining() const {
    if (infinite_) return absl::InfiniteDuration();
    return std::max(absl::ZeroDuration(),
                    absl::FromChrono(end_ - std::chrono::steady_clock::now()));
  }
  bool Expired() const { return Remaining() <= absl::ZeroDuration(); }

 private:
  bool infinite_ = true;
  std::chrono::steady_clock::time_point end_;
};

// Not thread-safe: use from the thread that owns the watcher (see watcher.h).
class InotifyWatcher final : public Watcher {
 public:
  InotifyWatcher(UniqueFd inotify_fd, UniqueFd wake_fd, InotifyOptions options)
      : options_(options),
        env_(Env::Default()),
        inotify_fd_(std::move(inotify_fd)),
        wake_fd_(std::move(wake_fd)),
        read_buffer_(new char[kReadBufferSize]) {}

  absl::Status AddRoot(const std::string& dir) override;
  absl::StatusOr<std::vector<WatchEvent>> Wait(absl::Duration timeout) override;
  void Wake() override;
  bool degraded() const override { return degraded_; }
  size_t watch_count() const override { return dirs_.size(); }

 private:
  struct Dir {
    std::string path;
    // Names of the *.jsonl entries known to be in this directory, so that a
    // directory renamed away can report kFileRemoved for what it contained.
    std::set<std::string> jsonl;
  };
  struct Root {
    std::string path;
    bool present = false;
    bool warned = false;
  };
  // A transcript that is a symlink: events for `target_name` in the watched
  // directory of its target name the links.
  using LinkTargets = std::map<std::string, std::set<std::string>>;  // target name -> link paths

  void Emit(WatchEvent::Kind kind, std::string path);
  // inotify_add_watch, failing with ENOSPC past options_.max_watches.
  int AddWatch(const std::string& path);
  std::vector<WatchEvent> TakePending();

  // Watches `top` and every directory below it, scanning each directory
  // after its watch exists; with `emit`, every *.jsonl found produces
  // kFileChanged. Returns NotFound if `top` is not (or no longer) a
  // directory, another error if `top` could not be watched for another
  // reason, OK otherwise (including watch-limit exhaustion, which degrades the
  // watcher instead). `visited`, if given, collects every wd reached.
  absl::Status WatchTree(const std::string& top, bool emit,
                         std::set<int>* visited);
  // Records (wd, path), replacing any stale watch registered for `path`.
  // Returns false if `wd` already belongs to another path (the same directory
  // reached twice through a symlinked or bind-mounted root).
  bool RegisterDir(int wd, const std::string& path);
  // Watches the directory of the file `link` (a symlink to a transcript)
  // points to, so that appends to the target produce events for `link`.
  void WatchLinkTarget(const std::string& link);
  // Events in a directory holding link targets: kFileChanged for each link
  // to the named file (the scanner re-checks it: grown, replaced or gone).
  void HandleLinkTargetEvent(const struct inotify_event& ev);
  // Drops the watches for `path` and everything below it. With
  // `emit_removed`, every *.jsonl known there produces kFileRemoved.
  void ForgetSubtree(const std::string& path, bool emit_removed);
  void DropWatch(int wd);
  void OnWatchLimit(const std::string& path, int err);
  void CheckFilesystem(const std::string& root);
  void CheckMissingRoots();
  bool HasMissingRoots() const;
  Root* FindRoot(absl::string_view path);
  void LoseRoot(const std::string& path);
  // After IN_Q_OVERFLOW: re-walks every root, re-adding watches and dropping
  // those whose directories disappeared while events were being lost.
  void Resync();

  absl::Status ReadEvents();
  void HandleEvent(const struct inotify_event& ev);
  void DrainWake();

  const InotifyOptions options_;
  Env& env_;
  UniqueFd inotify_fd_;
  UniqueFd wake_fd_;
  std::unique_ptr<char[]> read_buffer_;

  std::vector<Root> roots_;
  std::unordered_map<int, Dir> dirs_;  // By watch descriptor.
  // Ordered, so that a subtree is a contiguous range of keys.
  std::map<std::string, int> wd_by_path_;
  std::unordered_map<int, LinkTargets> link_targets_;  // By watch descriptor.

  std::vector<WatchEvent> pending_;
  std::set<std::pair<WatchEvent::Kind, std::string>> pending_keys_;

  bool degraded_ = false;
  bool warned_limit_ = false;
};

void InotifyWatcher::Emit(WatchEvent::Kind kind, std::string path) {
  if (!pending_keys_.emplace(kind, path).second) return;
  pending_.push_back(WatchEvent{kind, std::move(path)});
}

std::vector<WatchEvent> InotifyWatcher::TakePending() {
  pending_keys_.clear();
  return std::exchange(pending_, {});
}

InotifyWatcher::Root* InotifyWatcher::FindRoot(absl::string_view path) {
  for (Root& r : roots_) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

bool InotifyWatcher::HasMissingRoots() const {
  return std::any_of(roots_.begin(), roots_.end(),
                     [](const Root& r) { return !r.present; });
}

absl::Status InotifyWatcher::AddRoot(const std::string& dir) {
  absl::StatusOr<std::string> path = NormalizeRoot(dir);
  if (!path.ok()) return path.status();
  if (FindRoot(*path) != nullptr) return absl::OkStatus();
  roots_.push_back(Root{*path});
  absl::Status s = WatchTree(*path, /*emit=*/false, nullptr);
  if (s.ok()) {
    roots_.back().present = true;
    CheckFilesystem(*path);
    spdlog::info("watcher: watching root={} watches={}", *path, dirs_.size());
    return absl::OkStatus();
  }
  if (absl::IsNotFound(s)) {
    spdlog::info("watcher: root missing, will watch it when it appears root={}",
                 *path);
    return absl::OkStatus();
  }
  roots_.pop_back();
  return s;
}

absl::Status InotifyWatcher::WatchTree(const std::string& top, bool emit,
                                       std::set<int>* visited) {
  // The scanner's walk and symlink rule (walk.h): a directory is watched
  // first and listed second, so nothing created in between is missed.
  absl::Status result;
  WalkVisitor visitor;
  visitor.enter_directory = [&](const std::string& path, const FileInfo&) {
    const bool top_level = path == top;
    // The watch is on the target of a linked directory. A directory reached
    // twice (a loop, or a watch held under another live path) ends at
    // RegisterDir: the kernel hands out one watch per directory.
    int wd = AddWatch(path);
    if (wd < 0) {
      const int err = errno;
      if (err == ENOSPC || err == EMFILE || err == ENOMEM) {
        OnWatchLimit(path, err);
        return WalkVisitor::Enter::kStop;
      }
      if (err == ENOENT || err == ENOTDIR) {
        // Raced with a delete or rename; the event for it follows.
        if (top_level) result = absl::NotFoundError(path);
        return WalkVisitor::Enter::kSkip;
      }
      if (top_level) {
        result = FileError(err, absl::StrCat("inotify_add_watch ", path));
        return WalkVisitor::Enter::kStop;
      }
      spdlog::warn("watcher: cannot watch directory path={} error={}", path, std::strerror(err));
      return WalkVisitor::Enter::kSkip;
    }
    if (!RegisterDir(wd, path)) return WalkVisitor::Enter::kSkip;
    if (visited != nullptr) visited->insert(wd);
    dirs_[wd].jsonl.clear();  // listed afresh now
    return WalkVisitor::Enter::kEnter;
  };
  visitor.file = [&](const std::string& path, const FileInfo&, bool via_link) {
    const size_t slash = path.rfind('/');
    if (auto it = wd_by_path_.find(path.substr(0, slash)); it != wd_by_path_.end()) {
      dirs_[it->second].jsonl.insert(path.substr(slash + 1));
    }
    if (via_link) WatchLinkTarget(path);
    if (emit) Emit(WatchEvent::Kind::kFileChanged, path);
  };
  visitor.each_name = true;
  absl::Status walk = WalkTree(env_, top, visitor);
  if (absl::IsNotFound(walk) || absl::IsFailedPrecondition(walk)) return absl::NotFoundError(top);
  RETURN_IF_ERROR(walk);
  return result;
}

bool InotifyWatcher::RegisterDir(int wd, const std::string& path) {
  auto [dir_it, inserted] = dirs_.try_emplace(wd);
  if (!inserted && dir_it->second.path != path) {
    if (wd_by_path_.count(dir_it->second.path) != 0 &&
        env_.Stat(dir_it->second.path).ok()) {
      spdlog::debug("watcher: directory reached twice path={} first={}", path,
                    dir_it->second.path);
      return false;
    }
    // The old path no longer exists (we missed its rename): re-home the watch.
    wd_by_path_.erase(dir_it->second.path);
  }
  dir_it->second.path = path;
  auto [path_it, path_inserted] = wd_by_path_.try_emplace(path, wd);
  if (!path_inserted && path_it->second != wd) {
    // `path` was replaced by another directory while we were not looking.
    int stale = std::exchange(path_it->second, wd);
    ::inotify_rm_watch(inotify_fd_.get(), stale);
    dirs_.erase(stale);
  }
  return true;
}

void InotifyWatcher::WatchLinkTarget(const std::string& link) {
  absl::StatusOr<std::string> target = env_.RealPath(link);
  if (!target.ok()) return;  // dangling: nothing to watch (the scanner names it)
  const std::string& resolved = *target;
  const size_t slash = resolved.rfind('/');
  if (slash == std::string::npos) return;
  const std::string dir = slash == 0 ? "/" : resolved.substr(0, slash);
  int wd = AddWatch(dir);
  if (wd < 0) {
    const int err = errno;
    if (err == ENOSPC || err == EMFILE || err == ENOMEM) {
      OnWatchLimit(dir, err);
    } else {
      spdlog::warn("watcher: cannot watch the target of a linked transcript link={} target={} error={}", link,
                   resolved, std::strerror(err));
    }
    return;
  }
  link_targets_[wd][resolved.substr(slash + 1)].insert(link);
}

void InotifyWatcher::HandleLinkTargetEvent(const struct inotify_event& ev) {
  auto it = link_targets_.find(ev.wd);
  if (it == link_targets_.end()) return;
  if (ev.mask & IN_IGNORED) {
    // The target's directory is gone: its links now dangle.
    for (const auto& [name, links] : it->second) {
      for (const std::string& link : links) Emit(WatchEvent::Kind::kFileChanged, link);
    }
    link_targets_.erase(it);
    return;
  }
  if (ev.len == 0) return;
  auto named = it->second.find(ev.name);
  if (named == it->second.end()) return;
  for (const std::string& link : named->second) Emit(WatchEvent::Kind::kFileChanged, link);
}

void InotifyWatcher::DropWatch(int wd) {
  // Fails with EINVAL if the kernel already removed it (directory deleted);
  // either way the watch is gone afterwards.
  ::inotify_rm_watch(inotify_fd_.get(), wd);
  dirs_.erase(wd);
}

void InotifyWatcher::ForgetSubtree(const std::string& path, bool emit_removed) {
  auto forget = [&](std::map<std::string, int>::iterator it) {
    auto dir_it = dirs_.find(it->second);
    if (dir_it != dirs_.end()) {
      if (emit_removed) {
        for (const std::string& name : dir_it->second.jsonl) {
          Emit(WatchEvent::Kind::kFileRemoved, JoinPath(it->first, name));
        }
      }
      DropWatch(it->second);
    }
    return wd_by_path_.erase(it);
  };
  if (auto it = wd_by_path_.find(path); it != wd_by_path_.end()) forget(it);
  // All descendants share the prefix "path/" and are therefore contiguous.
  const std::string prefix = JoinPath(path, "");
  for (auto it = wd_by_path_.lower_bound(prefix);
       it != wd_by_path_.end() && absl::StartsWith(it->first, prefix);) {
    it = forget(it);
  }
}

int InotifyWatcher::AddWatch(const std::string& path) {
  if (options_.max_watches > 0 && dirs_.size() >= options_.max_watches) {
    // Unlike the kernel, this refuses a directory already watched too: the
    // watcher then only degrades (polls) sooner.
    errno = ENOSPC;
    return -1;
  }
  return ::inotify_add_watch(inotify_fd_.get(), path.c_str(), kDirMask);
}

void InotifyWatcher::OnWatchLimit(const std::string& path, int err) {
  if (!warned_limit_) {
    warned_limit_ = true;
    spdlog::warn(
        "watcher: inotify watch limit reached, caller must poll path={} "
        "error={} watches={} hint=raise_fs.inotify.max_user_watches",
        path, std::strerror(err), dirs_.size());
  }
  degraded_ = true;
  // The directory (and whatever is below it) is unwatched.
  Emit(WatchEvent::Kind::kRescan, "");
}

void InotifyWatcher::CheckFilesystem(const std::string& root) {
  struct statfs fs;
  if (::statfs(root.c_str(), &fs) != 0) return;
  const int64_t magic = static_cast<int64_t>(fs.f_type) & 0xFFFFFFFF;
  for (int64_t remote : kRemoteFsMagics) {
    if (magic == remote) {
      spdlog::warn(
          "watcher: root is on a network/virtual filesystem, inotify may miss "
          "changes, caller must poll root={} fs_magic={:#x}",
          root, magic);
      degraded_ = true;
      return;
    }
  }
}

void InotifyWatcher::CheckMissingRoots() {
  for (Root& root : roots_) {
    if (root.present) continue;
    absl::StatusOr<FileInfo> st = env_.Stat(root.path);
    if (!st.ok() || !st->is_directory()) continue;
    // Emit for everything inside: files may have been written before (or
    // while) the watches were added.
    absl::Status s =
        WatchTree(root.path, /*emit=*/true, nullptr);
    if (s.ok()) {
      root.present = true;
      CheckFilesystem(root.path);
      spdlog::info("watcher: root appeared root={} watches={}", root.path,
                   dirs_.size());
    } else if (!absl::IsNotFound(s) && !root.warned) {
      root.warned = true;
      spdlog::warn("watcher: cannot watch root, will retry root={} error={}",
                   root.path, s.ToString());
    }
  }
}

void InotifyWatcher::LoseRoot(const std::string& path) {
  Root* root = FindRoot(path);
  if (root == nullptr) return;
  spdlog::info("watcher: root deleted or moved, waiting for it root={}", path);
  root->present = false;
  ForgetSubtree(path, /*emit_removed=*/true);
}

void InotifyWatcher::Resync() {
  std::set<int> visited;
  for (Root& root : roots_) {
    absl::Status s =
        WatchTree(root.path, /*emit=*/false, &visited);
    root.present = !absl::IsNotFound(s);
    if (!s.ok() && !absl::IsNotFound(s)) {
      spdlog::warn("watcher: cannot re-watch root root={} error={}", root.path,
                   s.ToString());
    }
  }
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (visited.count(it->first) != 0) {
      ++it;
      continue;
    }
    auto path_it = wd_by_path_.find(it->second.path);
    if (path_it != wd_by_path_.end() && path_it->second == it->first) {
      wd_by_path_.erase(path_it);
    }
    ::inotify_rm_watch(inotify_fd_.get(), it->first);
    it = dirs_.erase(it);
  }
}

void InotifyWatcher::HandleEvent(const struct inotify_event& ev) {
  if (ev.mask & IN_Q_OVERFLOW) {
    spdlog::warn("watcher: inotify queue overflow, rescanning watches={}",
                 dirs_.size());
    Emit(WatchEvent::Kind::kRescan, "");
    Resync();
    return;
  }
  HandleLinkTargetEvent(ev);
  auto it = dirs_.find(ev.wd);
  if (it == dirs_.end()) return;  // A watch we already dropped.
  // Copy: the handlers below may erase the entry.
  const std::string dir_path = it->second.path;

  if (ev.mask & IN_IGNORED) {
    // The kernel removed the watch (directory deleted, filesystem unmounted).
    // Watches we removed ourselves were already erased from dirs_ above.
    if (FindRoot(dir_path) != nullptr) {
      LoseRoot(dir_path);
    } else {
      ForgetSubtree(dir_path, /*emit_removed=*/true);
    }
    return;
  }
  if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
    if (FindRoot(dir_path) != nullptr) {
      LoseRoot(dir_path);
    } else if (ev.mask & IN_UNMOUNT) {
      ForgetSubtree(dir_path, /*emit_removed=*/true);
      Emit(WatchEvent::Kind::kRescan, "");
    }
    // A non-root directory deleted or moved: the parent's IN_DELETE /
    // IN_MOVED_FROM (which we also watch) handles it.
    return;
  }
  if (ev.len == 0) return;

  const std::string name = ev.name;  // NUL-padded by the kernel.
  std::string path = JoinPath(dir_path, name);
  if (ev.mask & IN_ISDIR) {
    if (ev.mask & (IN_DELETE | IN_MOVED_FROM)) {
      ForgetSubtree(path, /*emit_removed=*/true);
    } else if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
      // Watch first, scan second: closes the mkdir-then-write race.
      WatchTree(path, /*emit=*/true, nullptr).IgnoreError();
    }
    return;
  }
  if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
    // A symlink arriving: to a directory, watch it like one created here; to
    // a transcript, watch its target too.
    absl::StatusOr<FileInfo> lst = env_.LinkStat(path);
    absl::StatusOr<FileInfo> st = lst.ok() && lst->type == FileType::kSymlink
                                      ? env_.Stat(path)
                                      : absl::StatusOr<FileInfo>(absl::NotFoundError(path));
    if (st.ok()) {
      if (st->is_directory()) {
        WatchTree(path, /*emit=*/true, nullptr).IgnoreError();
        return;
      }
      if (IsJsonlName(name)) WatchLinkTarget(path);
    }
  } else if ((ev.mask & (IN_DELETE | IN_MOVED_FROM)) && wd_by_path_.count(path) != 0) {
    // A symlink to a directory removed: what was watched through it goes.
    ForgetSubtree(path, /*emit_removed=*/true);
    return;
  }
  if (!IsJsonlName(name)) return;
  if (ev.mask & (IN_DELETE | IN_MOVED_FROM)) {
    it->second.jsonl.erase(name);
    Emit(WatchEvent::Kind::kFileRemoved, std::move(path));
  } else {
    it->second.jsonl.insert(name);
    Emit(WatchEvent::Kind::kFileChanged, std::move(path));
  }
}

absl::Status InotifyWatcher::ReadEvents() {
  char* buf = read_buffer_.get();
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    ssize_t n = ::read(inotify_fd_.get(), buf, kReadBufferSize);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return ErrnoStatus(errno, "read(inotify)");
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      // The kernel pads each record so the next one is suitably aligned, and
      // new[] returns memory aligned for any fundamental type.
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
      HandleEvent(*ev);
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
    }
  }
  return absl::OkStatus();
}

void InotifyWatcher::DrainWake() {
  uint64_t value;
  while (::read(wake_fd_.get(), &value, sizeof(value)) < 0 && errno == EINTR) {
  }
}

void InotifyWatcher::Wake() {
  // Async-signal-safe: a single write(2), with errno preserved.
  const int saved_errno = errno;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof(one));
  errno = saved_errno;
}

absl::StatusOr<std::vector<WatchEvent>> InotifyWatcher::Wait(
    absl::Duration timeout) {
  const Deadline deadline(timeout);
  bool woken = false;
  for (;;) {
    if (HasMissingRoots()) CheckMissingRoots();
    if (!pending_.empty() || woken) break;

    absl::Duration wait = deadline.Remaining();
    if (HasMissingRoots()) wait = std::min(wait, kMissingRootCheckInterval);
    struct pollfd fds[2] = {{inotify_fd_.get(), POLLIN, 0},
                            {wake_fd_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, ToPollTimeoutMs(wait));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "poll(inotify)");
    }
    if (fds[1].revents & POLLIN) {
      DrainWake();
      woken = true;
    }
    if (fds[0].revents & POLLIN) {
      absl::Status s = ReadEvents();
      if (!s.ok()) return s;
    }
    if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLNVAL)) {
      return absl::InternalError("poll(inotify): error on watcher fd");
    }
    if (deadline.Expired()) {
      if (HasMissingRoots()) CheckMissingRoots();
      break;
    }
  }
  return TakePending();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Watcher>> MakeInotifyWatcher(InotifyOptions options) {
  UniqueFd inotify_fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (inotify_fd.get() < 0) return ErrnoStatus(errno, "inotify_init1");
  UniqueFd wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (wake_fd.get() < 0) return ErrnoStatus(errno, "eventfd");
  std::unique_ptr<Watcher> watcher = std::make_unique<InotifyWatcher>(
      std::move(inotify_fd), std::move(wake_fd), options);
  return watcher;
}

#else  // !__linux__

absl::StatusOr<std::unique_ptr<Watcher>> MakeInotifyWatcher(InotifyOptions) {
  return absl::UnimplementedError("inotify is only available on Linux");
}

#endif  // __linux__

}  // namespace cco

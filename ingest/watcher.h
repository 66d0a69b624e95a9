// Filesystem watcher for Claude Code transcript trees.
//
// A Watcher turns filesystem activity under one or more root directories into
// coarse, coalesced hints about which *.jsonl transcripts need re-reading. The
// hints are never the source of truth: the caller always re-stats / re-reads
// the named file, and on kRescan reconciles everything it knows against the
// filesystem. This mirrors watchman's design, where kernel notifications only
// say "look here" and queue overflow means "look everywhere".

#ifndef CCO_INGEST_WATCHER_H_
#define CCO_INGEST_WATCHER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cco {

struct WatchEvent {
  enum class Kind {
    // A *.jsonl file may have new bytes, been created, truncated, replaced or
    // renamed into place: re-check it.
    kFileChanged,
    // A *.jsonl path was deleted or renamed away (directly, or because a
    // directory containing it was deleted or renamed away).
    kFileRemoved,
    // Events may have been lost (IN_Q_OVERFLOW, a failed watch, an unmounted
    // filesystem): the caller must reconcile everything.
    kRescan,
  };
  Kind kind;
  std::string path;  // Absolute path; empty for kRescan.

  friend bool operator==(const WatchEvent&, const WatchEvent&) = default;
};

// Watches directory trees for transcript changes. Events are hints, coalesced
// per path.
//
// Files that already exist when AddRoot() is called produce no events: the
// caller is expected to call AddRoot() first and then do its initial full
// reconcile, so that nothing can fall between the two. Files found in a root
// that appears later, or in a directory created / moved in later, do produce
// kFileChanged events.
//
// Thread-safety: Wake() may be called from any thread (and is
// async-signal-safe; it preserves errno); all other methods must be called
// from one thread at a time. Wake() must not race with destruction.
class Watcher {
 public:
  virtual ~Watcher() = default;

  // Watches `dir` and every directory below it (recursively; transcripts live
  // in <root>/<project>/ and <root>/<project>/<session>/subagents/). A
  // relative `dir` is made absolute against the current directory; trailing
  // slashes are dropped. Adding the same root twice is a no-op. A root that
  // does not exist yet is remembered and picked up when it appears (checked at
  // least every 2 s), never an error; the same applies to a root that is
  // deleted later. Errors: InvalidArgument for an empty path, or the errno
  // status of an unexpected failure (e.g. PermissionDenied).
  virtual absl::Status AddRoot(const std::string& dir) = 0;

  // Blocks until at least one event is available, `timeout` passes, or Wake()
  // is called; returns the events gathered (deduplicated per path+kind, in
  // arrival order). May return an empty vector (timeout or wake-up). A Wake()
  // issued while no Wait() is in progress makes the next Wait() return
  // promptly. absl::InfiniteDuration() waits forever.
  virtual absl::StatusOr<std::vector<WatchEvent>> Wait(
      absl::Duration timeout) = 0;

  // Makes a concurrent (or the next) Wait() return promptly.
  virtual void Wake() = 0;

  // True when the backend could not watch everything (ENOSPC/EMFILE on
  // inotify_add_watch, or a root on a network/FUSE filesystem where inotify
  // sees no remote changes) and the caller must additionally poll. Sticky once
  // set. Always false for the poll watcher, which is itself the poll.
  virtual bool degraded() const = 0;

  // For `cco status`. inotify: number of directory watches held. poll: number
  // of directories visited by the last walk.
  virtual size_t watch_count() const = 0;
};

// How many directory watches the inotify backend may hold: 0 leaves it to
// the kernel (fs.inotify.max_user_watches); N > 0 makes the (N+1)-th watch
// fail as the kernel's limit does (ENOSPC), so tests reach the limit without
// lowering a machine-wide setting.
struct InotifyOptions {
  size_t max_watches = 0;
};

// Linux only: inotify watches on directories (never one watch per file).
// Elsewhere returns UnimplementedError.
absl::StatusOr<std::unique_ptr<Watcher>> MakeInotifyWatcher(InotifyOptions options = {});

// Everywhere (POSIX): each pass stat-walks the roots and compares
// (dev, inode, size, mtime) per *.jsonl file with the previous pass.
std::unique_ptr<Watcher> MakePollWatcher(absl::Duration interval);

// inotify on Linux; the poll watcher (2 s interval) elsewhere, or when inotify
// cannot be initialised (e.g. max_user_instances reached; logged as a warning).
absl::StatusOr<std::unique_ptr<Watcher>> MakeDefaultWatcher(InotifyOptions options = {});

}  // namespace cco

#endif  // CCO_INGEST_WATCHER_H_

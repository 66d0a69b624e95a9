// The live half of `cco watch`: keeps the database in step with the roots
// after the backfill. Watcher events are hints: each named path goes to
// Scanner::CheckPath, which re-checks the file's identity and size. Anything
// that may have lost events (kRescan after an inotify overflow, a failed
// watch, a filesystem without events) leads to a full reconcile, and while
// the watcher is degraded the roots are also polled (stat-only reconciles).
// A slow periodic reconcile catches whatever else slipped by.
//
// What the watcher saw and what the database holds can disagree for a file
// (a rename chain that outran the reader, a file gone between event and
// open, two names swapped): the writer then refuses that file's chunk and
// goes on, and the follower re-reads the committed file states and
// reconciles (Scanner::Resync). The service never stops for it.
//
// Never blocks on the writer: while the writer's queue is above
// max_queued_bytes (a slow or full disk), the follower waits for it to drain
// (Writer::WaitQueuedBytesAtMost) in short steps, calling `tick` (the
// watchdog ping) and honouring stop requests.
//
// Thread-safety: one thread (the daemon's main thread) calls everything.
#ifndef CCO_INGEST_FOLLOWER_H_
#define CCO_INGEST_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ingest/scanner.h"
#include "ingest/watcher.h"
#include "src/writer.h"

namespace cco {

struct FollowerOptions {
  // Absolute projects/ directories; missing ones are watched for and picked
  // up when they appear.
  std::vector<std::string> roots;
  // Full stat-only reconcile this often even when the watcher is healthy.
  absl::Duration reconcile_every = absl::Seconds(300);
  // Full stat-only reconcile this often while the watcher is degraded.
  absl::Duration degraded_poll_every = absl::Seconds(2);
  // The follower submits nothing while the writer has more than this queued.
  int64_t max_queued_bytes = 8 << 20;
  TailOptions tail;

  // Called often from the loop (and during long scans); the daemon pings its
  // watchdog here. `until_next_tick` bounds how long the loop may sleep.
  std::function<void()> tick;
  std::function<absl::Duration()> until_next_tick;
  // Polled between steps: true makes Backfill()/Run() return promptly.
  std::function<bool()> stop_requested;
  // Polled once per loop pass: true (once per SIGHUP) forces a reconcile.
  std::function<bool()> take_reload;
  // Human-readable state for systemd's STATUS= (may be empty).
  std::function<void(std::string_view)> status;
  // After each file a reconcile read (Backfill's, and the later ones): how
  // far the pass is (may be empty).
  std::function<void(const ScanProgress&)> progress;
};

struct FollowerStats {
  int64_t reconciles = 0;
  int64_t events = 0;          // hints handled
  int64_t files = 0;           // transcript files seen by the last reconcile
};

class Follower {
 public:
  // `writer` (started) and `watcher` must outlive the follower. `states` is
  // what the store knows (Store::LoadFileStates).
  Follower(Writer& writer, Watcher& watcher, std::vector<FileState> states, FollowerOptions options);

  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Watches every root, then reconciles them all (in that order, so nothing
  // written meanwhile can be missed) and waits until all of it is committed.
  // Cancelled when a stop was requested; the writer's error when it failed.
  absl::Status Backfill();

  // Follows until a stop is requested (then OK). Errors: the writer's (it
  // stopped on a non-retryable error) or the watcher's.
  absl::Status Run();

  const FollowerStats& stats() const { return stats_; }

 private:
  absl::Status Reconcile(std::string_view why);
  absl::Status HandleEvents(const std::vector<WatchEvent>& events);
  // Waits, ticking, until the writer has committed everything up to
  // `ticket`. (Not Writer::Flush(): it blocks without ticks.)
  absl::Status WaitCommitted(uint64_t ticket);
  // After the writer refused chunks: re-read the committed file states and
  // reconcile, so the files concerned are read again from where they are.
  absl::Status SettleRefusals();
  // ScanOptions::pace: waits while the writer's queue is full.
  absl::Status Pace();
  const std::string* RootOf(const std::string& path) const;
  bool StopRequested() const { return options_.stop_requested && options_.stop_requested(); }
  void Tick() {
    if (options_.tick) options_.tick();
  }
  void SetStatus(std::string_view text) {
    if (options_.status) options_.status(text);
  }

  Writer& writer_;
  Watcher& watcher_;
  FollowerOptions options_;
  Scanner scanner_;
  FollowerStats stats_;
  absl::Time next_reconcile_;
  absl::Time next_poll_;
  bool force_poll_ = false;  // a root could not be watched: poll as if degraded
  uint64_t unconfirmed_ = 0;  // last ticket submitted and not yet seen committed
  absl::flat_hash_set<std::string> warned_skipped_;  // skipped paths already named in a warning
};

}  // namespace cco

#endif  // CCO_INGEST_FOLLOWER_H_

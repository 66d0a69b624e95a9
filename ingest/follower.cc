#include "ingest/follower.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ingest/env.h"
#include "spdlog/spdlog.h"
#include "src/status.h"

namespace cco {
namespace {

bool IsDirectory(const std::string& path) {
  absl::StatusOr<FileInfo> info = Env::Default().Stat(path);
  return info.ok() && info->is_directory();
}

ScanOptions MakeScanOptions(const FollowerOptions& options, std::function<absl::Status()> pace) {
  ScanOptions scan;
  scan.tail = options.tail;
  // The daemon trusts (dev, inode, size, mtime) for files it has read to the
  // end: a periodic reconcile over 20,000 idle transcripts is then a walk and
  // a stat per file, never a read.
  scan.verify_unchanged = false;
  scan.pace = std::move(pace);
  scan.progress = options.progress;
  return scan;
}

}  // namespace

Follower::Follower(Writer& writer, Watcher& watcher, std::vector<FileState> states, FollowerOptions options)
    : writer_(writer),
      watcher_(watcher),
      options_(std::move(options)),
      scanner_(writer, std::move(states),
               MakeScanOptions(options_, [this] { return Pace(); })) {}

absl::Status Follower::WaitCommitted(uint64_t ticket) {
  while (true) {
    if (StopRequested()) return absl::CancelledError("stop requested");
    Tick();
    absl::Status s = writer_.WaitCommitted(ticket, absl::Now() + absl::Milliseconds(50));
    if (!absl::IsDeadlineExceeded(s)) return s;
  }
}

absl::Status Follower::SettleRefusals() {
  if (!scanner_.NeedsResync()) return absl::OkStatus();
  RETURN_IF_ERROR(scanner_.Resync());
  return Reconcile("resync");
}

absl::Status Follower::Pace() {
  while (true) {
    if (StopRequested()) return absl::CancelledError("stop requested");
    Tick();
    // The writer may be behind (a big backfill, or a disk-full wait): wait
    // for its queue to drain in steps, keeping the loop alive and responsive
    // instead of blocking in Writer::Submit.
    absl::Status s = writer_.WaitQueuedBytesAtMost(options_.max_queued_bytes, absl::Now() + absl::Milliseconds(50));
    if (!absl::IsDeadlineExceeded(s)) return s;
  }
}

const std::string* Follower::RootOf(const std::string& path) const {
  const std::string* best = nullptr;
  for (const std::string& root : options_.roots) {
    if (path.size() > root.size() && path[root.size()] == '/' && absl::StartsWith(path, root) &&
        (best == nullptr || root.size() > best->size())) {
      best = &root;
    }
  }
  return best;
}

absl::Status Follower::Reconcile(std::string_view why) {
  const absl::Time start = absl::Now();
  ScanReport report;
  RETURN_IF_ERROR(scanner_.Reconcile(options_.roots, &report));
  ++stats_.reconciles;
  stats_.files = report.files;
  // A missing root is expected (it is waited for); other listing problems
  // (permissions) are worth one warning each.
  for (const std::string& error : report.errors) {
    bool about_missing_root = false;
    for (const std::string& root : options_.roots) {
      if (absl::StartsWith(error, root) && !IsDirectory(root)) about_missing_root = true;
    }
    if (about_missing_root) continue;
    spdlog::warn("reconcile problem error=\"{}\"", error);
  }
  // Paths the walk could not take (a symlink loop, a dangling symlink,
  // unreadable): one warning each while they stay so.
  for (const std::string& skipped : report.skipped) {
    if (warned_skipped_.insert(skipped).second) spdlog::warn("skipped path=\"{}\"", skipped);
  }
  const absl::Duration took = absl::Now() - start;
  auto log_level = why == "periodic" || why == "poll" ? spdlog::level::debug : spdlog::level::info;
  spdlog::log(log_level, "reconciled why={} files={} renamed={} removed={} took_ms={}", why, report.files,
              report.renamed, report.removed, absl::ToInt64Milliseconds(took));
  // Said in `cco status` too: polling costs a walk every few seconds.
  writer_.SetPolling(force_poll_ ? "a root could not be watched; the roots are walked every few seconds"
                     : watcher_.degraded()
                         ? "not every directory could be watched (the inotify watch limit, "
                           "fs.inotify.max_user_watches, or a filesystem inotify does not see); "
                           "the roots are walked every few seconds"
                         : "");
  SetStatus(absl::StrCat("following ", report.files, " transcripts in ", options_.roots.size(), " roots (",
                         watcher_.watch_count(), " watches", watcher_.degraded() ? ", polling" : "", ")"));
  next_reconcile_ = absl::Now() + options_.reconcile_every;
  return absl::OkStatus();
}

absl::Status Follower::Backfill() {
  SetStatus("backfilling");
  for (const std::string& root : options_.roots) {
    // A missing root is remembered by the watcher, not an error.
    if (absl::Status s = watcher_.AddRoot(root); !s.ok()) {
      spdlog::warn("cannot watch root, polling it instead root=\"{}\" error=\"{}\"", root, s.message());
      force_poll_ = true;
    }
  }
  RETURN_IF_ERROR(Reconcile("backfill"));
  RETURN_IF_ERROR(WaitCommitted(scanner_.last_ticket()));
  // Files that moved while they were read: read them again from what is
  // committed. Bounded: Run() settles whatever a storm still leaves.
  for (int pass = 0; pass < 3 && scanner_.NeedsResync(); ++pass) {
    RETURN_IF_ERROR(SettleRefusals());
    RETURN_IF_ERROR(WaitCommitted(scanner_.last_ticket()));
  }
  return absl::OkStatus();
}

absl::Status Follower::HandleEvents(const std::vector<WatchEvent>& events) {
  // Changes first, then removals: a rename reported as removed(old) +
  // changed(new) then moves the row instead of archiving it and reading the
  // file again.
  for (WatchEvent::Kind kind : {WatchEvent::Kind::kFileChanged, WatchEvent::Kind::kFileRemoved}) {
    for (const WatchEvent& event : events) {
      if (event.kind != kind) continue;
      if (StopRequested()) return absl::CancelledError("stop requested");
      const std::string* root = RootOf(event.path);
      if (root == nullptr) {
        spdlog::debug("event outside the roots path=\"{}\"", event.path);
        continue;
      }
      ScanReport report;
      RETURN_IF_ERROR(scanner_.CheckPath(*root, event.path, &report));
      ++stats_.events;
    }
  }
  return absl::OkStatus();
}

absl::Status Follower::Run() {
  next_reconcile_ = absl::Now() + options_.reconcile_every;
  next_poll_ = absl::Now() + options_.degraded_poll_every;
  absl::Status status;
  while (status.ok() && !StopRequested()) {
    Tick();
    // A writer that stopped (the database deleted, corrupt or replaced)
    // ends the service even when nothing is being submitted.
    if (absl::Status w = writer_.status(); !w.ok()) return w;
    const bool polling = force_poll_ || watcher_.degraded();
    absl::Duration timeout = next_reconcile_ - absl::Now();
    // What was submitted may still be refused: look again soon.
    if (unconfirmed_ > 0) timeout = std::min(timeout, absl::Milliseconds(20));
    if (polling) timeout = std::min(timeout, next_poll_ - absl::Now());
    if (options_.until_next_tick) timeout = std::min(timeout, options_.until_next_tick());
    absl::StatusOr<std::vector<WatchEvent>> events = watcher_.Wait(std::max(timeout, absl::ZeroDuration()));
    if (!events.ok()) return events.status();
    if (StopRequested()) break;

    const bool reload = options_.take_reload && options_.take_reload();
    const bool lost = std::any_of(events->begin(), events->end(),
                                  [](const WatchEvent& e) { return e.kind == WatchEvent::Kind::kRescan; });
    if (reload || lost) {
      status = Reconcile(reload ? "reload" : "events-lost");
    } else {
      status = HandleEvents(*events);
    }
    const absl::Time now = absl::Now();
    if (status.ok() && (force_poll_ || watcher_.degraded()) && now >= next_poll_) {
      status = Reconcile("poll");
      next_poll_ = absl::Now() + options_.degraded_poll_every;
    }
    if (status.ok() && absl::Now() >= next_reconcile_) status = Reconcile("periodic");
    // Once what was submitted is committed, a refusal among it makes the
    // scanner re-read the committed states and reconcile.
    if (status.ok() && scanner_.last_ticket() > unconfirmed_) unconfirmed_ = scanner_.last_ticket();
    if (status.ok() && unconfirmed_ > 0) {
      absl::Status committed = writer_.WaitCommitted(unconfirmed_, absl::InfinitePast());
      if (committed.ok()) {
        unconfirmed_ = 0;
        status = SettleRefusals();
      } else if (!absl::IsDeadlineExceeded(committed)) {
        status = committed;
      }
    }
  }
  // Stopping is not an error: whatever was submitted is still committed by
  // Writer::Stop().
  if (absl::IsCancelled(status) && StopRequested()) return absl::OkStatus();
  return status;
}

}  // namespace cco

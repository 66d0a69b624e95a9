// `cco serve`'s status (the status page and /api/status): what `cco status`
// collects (cli/status_view.h) costs a walk of the roots on disk, a stat of
// every followed file and counts over the largest tables, so the server
// keeps the last answer with the database version it was collected at (the
// change sequence, read first) and serves it while it is fresh: younger
// than `fresh` and of the database's current version. Any other answer is
// still served, and a refresh starts in the background (one at a time); one
// older than `max_stale` is collected again before the request is answered.
// So no answer is older than `max_stale`, a page polled at least every
// `fresh` never waits for the disk, and an answer from before the last
// commit is replaced within one refresh (a page that reloads on a newer
// version than the answer it shows gets the new one on its next poll).
//
// Thread-safety: Get() from any thread. The destructor waits for a refresh
// under way.
#ifndef CCO_CLI_STATUS_CACHE_H_
#define CCO_CLI_STATUS_CACHE_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/status_view.h"

namespace cco {

class StatusCache {
 public:
  using Collect = std::function<absl::StatusOr<StatusView>()>;
  // The database's version now (its change sequence; 0 when unknown).
  using Version = std::function<int64_t()>;
  using Clock = std::function<absl::Time()>;

  StatusCache(Collect collect, Version version, absl::Duration fresh, absl::Duration max_stale,
              Clock clock = absl::Now);
  ~StatusCache();
  StatusCache(const StatusCache&) = delete;
  StatusCache& operator=(const StatusCache&) = delete;

  struct Answer {
    absl::StatusOr<StatusView> status;
    int64_t version = 0;  // the database's version when it was collected
  };
  // The last answer while fresh; see above.
  Answer Get();

 private:
  // Collected now, with the version read before.
  Answer CollectNow();

  const Collect collect_;
  const Version version_;
  const absl::Duration fresh_;
  const absl::Duration max_stale_;
  const Clock clock_;
  std::mutex mu_;
  std::optional<Answer> value_;  // guarded by mu_
  absl::Time taken_;              // when value_'s collection began; guarded by mu_
  bool refreshing_ = false;                           // guarded by mu_
  std::thread refresher_;                             // guarded by mu_
};

}  // namespace cco

#endif  // CCO_CLI_STATUS_CACHE_H_

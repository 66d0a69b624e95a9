#include "cli/status_cache.h"

#include <utility>

namespace cco {

StatusCache::StatusCache(Collect collect, absl::Duration fresh, absl::Duration max_stale, Clock clock)
    : collect_(std::move(collect)), fresh_(fresh), max_stale_(max_stale), clock_(std::move(clock)) {}

StatusCache::~StatusCache() {
  std::thread refresher;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refresher = std::move(refresher_);
  }
  if (refresher.joinable()) refresher.join();
}

absl::StatusOr<StatusView> StatusCache::Get() {
  const absl::Time now = clock_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (value_.has_value() && now - taken_ < fresh_) return *value_;
    if (value_.has_value() && now - taken_ < max_stale_) {
      if (!refreshing_) {
        refreshing_ = true;
        // The thread before has finished (it cleared refreshing_ last).
        if (refresher_.joinable()) refresher_.join();
        refresher_ = std::thread([this] {
          const absl::Time began = clock_();
          absl::StatusOr<StatusView> fresh = collect_();
          std::lock_guard<std::mutex> done(mu_);
          value_ = std::move(fresh);
          taken_ = began;
          refreshing_ = false;
        });
      }
      return *value_;
    }
  }
  // Nothing yet, or too old to show: collected now, as `cco status` would.
  absl::StatusOr<StatusView> fresh = collect_();
  std::lock_guard<std::mutex> lock(mu_);
  if (!value_.has_value() || taken_ < now) {
    value_ = fresh;
    taken_ = now;
  }
  return fresh;
}

}  // namespace cco

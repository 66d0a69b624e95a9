#include "cli/status_cache.h"

#include <utility>

namespace cco {

StatusCache::StatusCache(Collect collect, Version version, absl::Duration fresh, absl::Duration max_stale,
                         Clock clock)
    : collect_(std::move(collect)),
      version_(std::move(version)),
      fresh_(fresh),
      max_stale_(max_stale),
      clock_(std::move(clock)) {}

StatusCache::~StatusCache() {
  std::thread refresher;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refresher = std::move(refresher_);
  }
  if (refresher.joinable()) refresher.join();
}

StatusCache::Answer StatusCache::CollectNow() {
  Answer a;
  a.version = version_();
  a.status = collect_();
  return a;
}

StatusCache::Answer StatusCache::Get() {
  const absl::Time now = clock_();
  const int64_t version = version_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (value_.has_value() && now - taken_ < fresh_ && value_->version == version) return *value_;
    if (value_.has_value() && now - taken_ < max_stale_) {
      if (!refreshing_) {
        refreshing_ = true;
        // The thread before has finished (it cleared refreshing_ last).
        if (refresher_.joinable()) refresher_.join();
        refresher_ = std::thread([this] {
          const absl::Time began = clock_();
          Answer fresh = CollectNow();
          std::lock_guard<std::mutex> done(mu_);
          // Never over an answer collected after this one began.
          if (began >= taken_) {
            value_ = std::move(fresh);
            taken_ = began;
          }
          refreshing_ = false;
        });
      }
      return *value_;
    }
  }
  // Nothing yet, or too old to show: collected now, as `cco status` would.
  Answer fresh = CollectNow();
  std::lock_guard<std::mutex> lock(mu_);
  if (!value_.has_value() || taken_ < now) {
    value_ = fresh;
    taken_ = now;
  }
  return fresh;
}

}  // namespace cco

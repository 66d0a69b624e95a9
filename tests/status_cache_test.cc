// cco serve's status cache (cli/status_cache.h): fresh answers are served
// as they are; a stale one is served while one refresh runs in the
// background; one past the bound is collected again before answering. The
// clock is the test's.
#include "cli/status_cache.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"

namespace cco::testing {
namespace {

using std::chrono::seconds;

class StatusCacheTest : public ::testing::Test {
 protected:
  // Each collection answers with its number as db_path; the ones after
  // `hold_from` wait until released.
  absl::StatusOr<StatusView> Collect() {
    const int n = ++collections_;
    std::unique_lock<std::mutex> lock(mu_);
    released_cv_.wait(lock, [&] { return n < hold_from_ || released_; });
    StatusView s;
    s.db_path = absl::StrCat(n);
    return s;
  }
  std::string Path(StatusCache& cache) {
    absl::StatusOr<StatusView> s = cache.Get().status;
    return s.ok() ? s->db_path : std::string(s.status().message());
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    released_cv_.notify_all();
  }

  std::atomic<int> collections_{0};
  std::atomic<int64_t> version_{7};
  std::atomic<int64_t> now_s_{1000};
  std::mutex mu_;
  std::condition_variable released_cv_;
  int hold_from_ = 1 << 30;  // guarded by mu_
  bool released_ = false;    // guarded by mu_
};

TEST_F(StatusCacheTest, FreshServedStaleRefreshedInTheBackgroundTooOldCollected) {
  StatusCache cache([this] { return Collect(); }, [this] { return version_.load(); }, absl::Seconds(2),
                    absl::Seconds(30), [this] { return absl::FromUnixSeconds(now_s_.load()); });
  EXPECT_EQ(Path(cache), "1");  // nothing yet: collected in the request
  now_s_ += 1;
  EXPECT_EQ(Path(cache), "1");  // fresh
  EXPECT_EQ(collections_.load(), 1);

  {
    std::lock_guard<std::mutex> lock(mu_);
    hold_from_ = 2;
  }
  now_s_ += 2;                  // 3 s old: stale
  EXPECT_EQ(Path(cache), "1");  // served at once; a refresh started and waits
  EXPECT_TRUE(WaitUntil([&] { return collections_.load() == 2; }, seconds(60)));
  EXPECT_EQ(Path(cache), "1");  // still the old one while it runs, and no second refresh
  EXPECT_EQ(collections_.load(), 2);
  Release();
  EXPECT_TRUE(WaitUntil([&] { return Path(cache) == "2"; }, seconds(60)));

  now_s_ += 31;                 // past the bound: collected before answering
  EXPECT_EQ(Path(cache), "3");
  EXPECT_EQ(collections_.load(), 3);
}

// A commit makes the answer stale however young it is: it is still served
// (with the version it was collected at, so a page showing it asks again),
// and the refresh brings the new version.
TEST_F(StatusCacheTest, AnAnswerFromBeforeTheLastCommitIsRefreshedAndSaysItsVersion) {
  StatusCache cache([this] { return Collect(); }, [this] { return version_.load(); }, absl::Seconds(2),
                    absl::Seconds(30), [this] { return absl::FromUnixSeconds(now_s_.load()); });
  StatusCache::Answer first = cache.Get();
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.status->db_path, "1");
  EXPECT_EQ(first.version, 7);
  version_ = 8;  // a commit, within the same second
  StatusCache::Answer during = cache.Get();
  EXPECT_EQ(during.version, 7) << "the answer says it is from before the commit";
  EXPECT_TRUE(WaitUntil([&] { return cache.Get().version == 8; }, seconds(60)));
  EXPECT_EQ(Path(cache), "2");
  EXPECT_EQ(collections_.load(), 2) << "fresh again: no more collections";
}

}  // namespace
}  // namespace cco::testing

// What tests of the live service share: transcript lines as Claude Code
// writes them, appends with one write(2) each, and a fixture that runs
// `cco watch` as a real process on a temporary root and database.
#ifndef CCO_TESTS_WATCH_SUPPORT_H_
#define CCO_TESTS_WATCH_SUPPORT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco::testing {

// How long a line may take to arrive in the database.
inline constexpr std::chrono::seconds kArrival{15};
// How long a count must stay put after reaching its target to count as
// "exactly once": several batch delays and watcher passes.
inline constexpr std::chrono::milliseconds kSettle{400};

// One complete transcript line: a user message with its own uuid.
std::string UserLine(const std::string& session, const std::string& uuid, const std::string& text);
// A line without uuid (stored as an event keyed by its bytes).
std::string SummaryLine(const std::string& text);
// Appends with one write(2) per call, like Claude Code does; creates the
// parent directories.
void Append(const std::string& path, const std::string& bytes);

class WatchFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  // Starts `cco watch` on root_/db_ and waits for READY=1.
  std::unique_ptr<ChildProcess> StartWatch(std::vector<std::string> extra = {}, std::vector<std::string> env = {},
                                           bool wait_ready = true);

  int64_t Count(const std::string& sql) { return QueryInt(db_, sql); }
  int64_t Messages() { return Count("SELECT count(*) FROM messages"); }

  // Waits until `sql` yields `expected`, then checks it stays there.
  void ExpectArrivesOnce(const std::string& sql, int64_t expected, ChildProcess* daemon = nullptr);
  // SIGTERM, then exit code 0 within 5 s.
  void StopAndExpectClean(ChildProcess& daemon);

  TempDir tmp_;
  const std::string root_ = tmp_ / "projects";
  const std::string db_ = tmp_ / "data/cco.db";
  std::unique_ptr<NotifySocket> notify_;
};

}  // namespace cco::testing

#endif  // CCO_TESTS_WATCH_SUPPORT_H_

// `cco top`'s answers (src/activity.h) on a replayed database: tokens and
// cost by model over a range, the sessions active in the last minutes, the
// latest tool errors.
#include "src/activity.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/reader.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

constexpr char kA[] = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
constexpr char kB[] = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
constexpr int64_t kT0 = 1'780'000'000'000;  // 2026-05-28T20:26:40Z
constexpr int64_t kMinute = 60'000;

std::string Stamp(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

// An assistant line calling the Bash tool, and the user line with its
// failed result.
std::string FailedBashCall(const std::string& session, int64_t ms) {
  return absl::StrFormat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/t/w","sessionId":"%s",)"
      R"("version":"2.1.1","type":"assistant","message":{"model":"claude-opus-4-6","id":"msg_tool","type":"message",)"
      R"("role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"false"}}],)"
      R"("usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},)"
      R"("requestId":"req_tool","uuid":"tool-use","timestamp":"%s"})"
      "\n"
      R"({"parentUuid":"tool-use","isSidechain":false,"userType":"external","cwd":"/home/t/w","sessionId":"%s",)"
      R"("version":"2.1.1","type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1",)"
      R"("type":"tool_result","content":"boom","is_error":true}]},"uuid":"tool-result","timestamp":"%s"})"
      "\n",
      session, Stamp(ms), session, Stamp(ms + 1000));
}

class ActivityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string root = dir_ / "projects";
    WriteFile(absl::StrCat(root, "/-home-t-w/", kA, ".jsonl"),
              AssistantUsageLine(kA, "a1", 10, kT0) + AssistantUsageLine(kA, "a2", 20, kT0 + kMinute) +
                  FailedBashCall(kA, kT0 + 2 * kMinute));
    WriteFile(absl::StrCat(root, "/-home-t-w/", kB, ".jsonl"), AssistantUsageLine(kB, "b1", 5, kT0 - 86'400'000));
    CommandResult r = RunCco({"replay", root, "--db", dir_ / "t.db"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(dir_ / "t.db");
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = std::move(*reader);
  }

  TempDir dir_;
  std::unique_ptr<SqliteReader> reader_;
};

TEST_F(ActivityTest, UsageByModelSumsTheRangeOnly) {
  absl::StatusOr<std::vector<ModelUsage>> day = UsageByModel(reader_->db(), kT0 - 3600'000, kT0 + 3600'000);
  ASSERT_TRUE(day.ok()) << day.status();
  ASSERT_EQ(day->size(), 1u);
  EXPECT_EQ((*day)[0].model, "claude-opus-4-6");
  EXPECT_EQ((*day)[0].tokens, (100 + 10) + (100 + 20) + (1 + 1));
  EXPECT_GT((*day)[0].cost_nanousd, 0);

  absl::StatusOr<std::vector<ModelUsage>> two_days =
      UsageByModel(reader_->db(), kT0 - 2 * 86'400'000, kT0 + 3600'000);
  ASSERT_TRUE(two_days.ok()) << two_days.status();
  ASSERT_EQ(two_days->size(), 1u);  // one model: both days summed
  EXPECT_EQ((*two_days)[0].tokens, (*day)[0].tokens + 100 + 5);

  absl::StatusOr<std::vector<ModelUsage>> none = UsageByModel(reader_->db(), kT0 + 3600'000, kT0 + 7200'000);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_F(ActivityTest, ActiveSessionsAreThoseWithUsageInTheRangeLatestFirst) {
  absl::StatusOr<std::vector<ActiveSession>> active =
      ActiveSessions(reader_->db(), kT0 - 10 * kMinute, kT0 + 10 * kMinute, 20);
  ASSERT_TRUE(active.ok()) << active.status();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].session, kA);
  EXPECT_EQ((*active)[0].project, "/home/t/w");
  EXPECT_EQ((*active)[0].last_ms, kT0 + 2 * kMinute);
  EXPECT_GT((*active)[0].cost_nanousd, 0);

  absl::StatusOr<std::vector<ActiveSession>> both =
      ActiveSessions(reader_->db(), kT0 - 2 * 86'400'000, kT0 + 10 * kMinute, 20);
  ASSERT_TRUE(both.ok()) << both.status();
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].session, kA);
  EXPECT_EQ((*both)[1].session, kB);

  absl::StatusOr<std::vector<ActiveSession>> one =
      ActiveSessions(reader_->db(), kT0 - 2 * 86'400'000, kT0 + 10 * kMinute, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].session, kA);
}

TEST_F(ActivityTest, RecentToolErrorsAreTheFailedCallsStartedByThen) {
  absl::StatusOr<std::vector<ToolError>> errors = RecentToolErrors(reader_->db(), kT0 + 10 * kMinute, 8);
  ASSERT_TRUE(errors.ok()) << errors.status();
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ((*errors)[0].at_ms, kT0 + 2 * kMinute);
  EXPECT_EQ((*errors)[0].tool, "Bash");
  EXPECT_NE((*errors)[0].output.find("boom"), std::string::npos) << (*errors)[0].output;

  absl::StatusOr<std::vector<ToolError>> before = RecentToolErrors(reader_->db(), kT0 + kMinute, 8);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE(before->empty());
}

}  // namespace
}  // namespace cco::testing

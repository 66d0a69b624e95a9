// The pure rules behind every derived number, tested as functions
// (src/derive.h, src/revision.h): which 15-minute bucket and hour a time
// falls in (before 1970 too), which copy of an API response counts and which
// revision of a line a row shows (strict total orders, so arrival order never
// changes a report), what a response costs, under which names its price is
// looked up, how copies are keyed, and how a tool result's status is read.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/derive.h"
#include "src/record.h"
#include "src/revision.h"

namespace cco {
namespace {

constexpr int64_t kMinute = 60 * 1000;

TEST(BucketStartTest, FloorsToTheQuarterHourOnBothSidesOfTheEpoch) {
  // 2026-03-02T10:14:59.999Z and 10:15:00.000Z fall in two buckets.
  const int64_t ten = 1772445600000;  // 2026-03-02T10:00:00Z
  EXPECT_EQ(BucketStart(ten), ten);
  EXPECT_EQ(BucketStart(ten + 15 * kMinute - 1), ten);
  EXPECT_EQ(BucketStart(ten + 15 * kMinute), ten + 15 * kMinute);
  EXPECT_EQ(BucketStart(0), 0);
  // 1969-12-31T23:59:59.999Z is in the 23:45 bucket, not the one at the epoch.
  EXPECT_EQ(BucketStart(-1), -15 * kMinute);
  EXPECT_EQ(BucketStart(-15 * kMinute), -15 * kMinute);
  EXPECT_EQ(BucketStart(-15 * kMinute - 1), -30 * kMinute);
}

TEST(HourStartTest, FloorsToTheHourOnBothSidesOfTheEpoch) {
  const int64_t ten = 1772445600000;
  EXPECT_EQ(HourStart(ten + 59 * kMinute), ten);
  EXPECT_EQ(HourStart(ten + 60 * kMinute), ten + kHourMs);
  EXPECT_EQ(HourStart(-1), -kHourMs);
  EXPECT_EQ(HourStart(-kHourMs), -kHourMs);
  EXPECT_EQ(HourStart(-kHourMs - 1), -2 * kHourMs);
  // Every bucket lies inside its hour, so hourly sums equal 15-minute sums.
  for (int64_t ms = -3 * kHourMs; ms < 3 * kHourMs; ms += 7 * kMinute + 13) {
    EXPECT_EQ(HourStart(BucketStart(ms)), HourStart(ms)) << ms;
  }
}

// Every combination of two values per field: 64 distinct copies.
std::vector<UsageCandidate> AllCandidates() {
  std::vector<UsageCandidate> out;
  for (int bits = 0; bits < 64; ++bits) {
    UsageCandidate c;
    c.is_sidechain = (bits & 1) != 0;
    c.total = (bits & 2) ? 200 : 100;
    c.cost_nanousd = (bits & 4) ? 9000 : 8000;
    c.has_speed = (bits & 8) != 0;
    c.path = (bits & 16) ? "/r/projects/-p/b.jsonl" : "/r/projects/-p/a.jsonl";
    c.byte_offset = (bits & 32) ? 4096 : 0;
    out.push_back(c);
  }
  return out;
}

std::string Describe(const UsageCandidate& c) {
  return absl::StrCat("{side=", c.is_sidechain, " total=", c.total, " cost=", c.cost_nanousd,
                      " speed=", c.has_speed, " ", c.path, "@", c.byte_offset, "}");
}

TEST(CopyBeatsTest, IsAStrictTotalOrderSoArrivalOrderNeverPicksTheWinner) {
  const std::vector<UsageCandidate> all = AllCandidates();
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_FALSE(CopyBeats(all[i], all[i])) << Describe(all[i]);
    for (size_t j = 0; j < all.size(); ++j) {
      if (i == j) continue;
      // Exactly one of two different copies wins.
      EXPECT_NE(CopyBeats(all[i], all[j]), CopyBeats(all[j], all[i])) << Describe(all[i]) << Describe(all[j]);
    }
  }
  for (const UsageCandidate& a : all) {
    for (const UsageCandidate& b : all) {
      if (!CopyBeats(a, b)) continue;
      for (const UsageCandidate& c : all) {
        if (CopyBeats(b, c)) {
          ASSERT_TRUE(CopyBeats(a, c)) << Describe(a) << Describe(b) << Describe(c);
        }
      }
    }
  }
}

TEST(CopyBeatsTest, EachRuleDecidesOnlyWhenTheEarlierOnesTie) {
  UsageCandidate main_small;
  main_small.total = 10;
  main_small.path = "/z.jsonl";
  UsageCandidate side_large = main_small;
  side_large.is_sidechain = true;
  side_large.total = 1000;
  side_large.cost_nanousd = 1000;
  side_large.has_speed = true;
  side_large.path = "/a.jsonl";
  // A sidechain replay never replaces the main thread's copy, however large.
  EXPECT_TRUE(CopyBeats(main_small, side_large));
  EXPECT_FALSE(CopyBeats(side_large, main_small));

  UsageCandidate larger = main_small;
  larger.total = 11;
  UsageCandidate costlier = main_small;
  costlier.cost_nanousd = 5;
  costlier.has_speed = true;
  costlier.path = "/a.jsonl";
  EXPECT_TRUE(CopyBeats(larger, costlier)) << "the larger total wins before cost";

  UsageCandidate fast = main_small;
  fast.has_speed = true;
  UsageCandidate earlier_path = main_small;
  earlier_path.path = "/a.jsonl";
  EXPECT_TRUE(CopyBeats(costlier, fast)) << "cost before usage.speed";
  EXPECT_TRUE(CopyBeats(fast, earlier_path)) << "usage.speed before the path";

  UsageCandidate later_offset = earlier_path;
  later_offset.byte_offset = 100;
  EXPECT_TRUE(CopyBeats(earlier_path, main_small)) << "the smaller path";
  EXPECT_TRUE(CopyBeats(earlier_path, later_offset)) << "then the smaller offset";
}

// Nano-USD per token: $3 / $15 per MTok below 200k tokens, doubled-ish above.
ModelPrice TieredPrice() {
  ModelPrice p;
  p.input = 3000;
  p.output = 15000;
  p.cache_write_5m = 3750;
  p.cache_write_1h = 6000;
  p.cache_read = 300;
  p.tier_threshold = 200000;
  p.input_above = 6000;
  p.output_above = 22500;
  p.cache_write_5m_above = 7500;
  p.cache_write_1h_above = 12000;
  p.cache_read_above = 600;
  return p;
}

TEST(CostNanoUsdTest, PricesEachTokenKindOnItsOwn) {
  Usage u;
  u.input = 10;
  u.output = 20;
  u.cache_creation = 30;
  u.cache_read = 40;
  EXPECT_EQ(CostNanoUsd(u, TieredPrice()), 10 * 3000 + 20 * 15000 + 30 * 3750 + 40 * 300);
  EXPECT_EQ(CostNanoUsd(Usage{}, TieredPrice()), 0);
}

TEST(CostNanoUsdTest, TierIsMarginalAndPerTokenKind) {
  ModelPrice p = TieredPrice();
  Usage u;
  u.input = 250000;  // 200k at the base rate, 50k above
  EXPECT_EQ(CostNanoUsd(u, p), 200000 * 3000 + 50000 * 6000);
  u.input = 200000;  // exactly the threshold: all at the base rate
  EXPECT_EQ(CostNanoUsd(u, p), 200000 * 3000);
  // 150k input and 150k cache read: 300k in all, but each kind stays below
  // the threshold, so no token is priced above it (ccusage's rule).
  Usage split;
  split.input = 150000;
  split.cache_read = 150000;
  EXPECT_EQ(CostNanoUsd(split, p), 150000 * 3000 + 150000 * 300);
  Usage out;
  out.output = 300000;
  EXPECT_EQ(CostNanoUsd(out, p), int64_t{200000} * 15000 + int64_t{100000} * 22500);
  // No tier (threshold 0): the base rate throughout.
  p.tier_threshold = 0;
  u.input = 250000;
  EXPECT_EQ(CostNanoUsd(u, p), 250000 * 3000);
}

TEST(CostNanoUsdTest, OneHourCacheWritesHaveTheirOwnRateAndTier) {
  Usage u;
  u.cache_creation = 1000;  // 5m + 1h
  u.cache_creation_1h = 400;
  EXPECT_EQ(CostNanoUsd(u, TieredPrice()), 600 * 3750 + 400 * 6000);
  // Each part compared with the threshold on its own.
  u.cache_creation = 450000;
  u.cache_creation_1h = 250000;
  EXPECT_EQ(CostNanoUsd(u, TieredPrice()),
            int64_t{200000} * 3750 + (int64_t{200000} * 6000 + int64_t{50000} * 12000));
}

TEST(CostNanoUsdTest, FastMultiplierAppliesToAFastResponseOnly) {
  ModelPrice p = TieredPrice();
  p.fast_multiplier = 6.0;
  Usage u;
  u.input = 100;
  u.output = 10;
  const int64_t normal = 100 * 3000 + 10 * 15000;
  u.has_speed = true;  // speed "standard"
  EXPECT_EQ(CostNanoUsd(u, p), normal);
  u.fast = true;
  EXPECT_EQ(CostNanoUsd(u, p), 6 * normal);
  // A fractional multiplier rounds to the nearest nano-USD.
  p.fast_multiplier = 1.5;
  u.input = 1;
  u.output = 0;
  p.input = 3;
  EXPECT_EQ(CostNanoUsd(u, p), 5);  // 4.5 rounds up
}

TEST(PriceLookupNamesTest, MostSpecificNameFirstThenPrefixSuffixAndDateRemoved) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(PriceLookupNames("claude-sonnet-4-5"), Names({"claude-sonnet-4-5"}));
  EXPECT_EQ(PriceLookupNames("claude-sonnet-4-5-20250929"), Names({"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"}));
  EXPECT_EQ(PriceLookupNames("anthropic/claude-sonnet-4-5"), Names({"anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"}));
  EXPECT_EQ(PriceLookupNames("claude-sonnet-4-5[1m]"), Names({"claude-sonnet-4-5[1m]", "claude-sonnet-4-5"}));
  EXPECT_EQ(PriceLookupNames("anthropic/claude-opus-4-6-20260101[1m]"),
            Names({"anthropic/claude-opus-4-6-20260101[1m]", "claude-opus-4-6-20260101", "claude-opus-4-6"}));
  // Not a date: seven digits, a letter among them, or no dash before them.
  EXPECT_EQ(PriceLookupNames("claude-x-2025092"), Names({"claude-x-2025092"}));
  EXPECT_EQ(PriceLookupNames("claude-x-2025O929"), Names({"claude-x-2025O929"}));
  EXPECT_EQ(PriceLookupNames("claude-x_20250929"), Names({"claude-x_20250929"}));
  EXPECT_EQ(PriceLookupNames("gpt-4o"), Names({"gpt-4o"}));
}

TEST(DedupKeyTest, CopiesOfOneResponseShareAKeyAndTwoResponsesDoNot) {
  EXPECT_EQ(DedupKey("msg_1", "req_1"), DedupKey("msg_1", "req_1"));
  EXPECT_NE(DedupKey("msg_1", "req_1"), DedupKey("msg_1", "req_2"));
  EXPECT_NE(DedupKey("msg_1", "req_1"), DedupKey("msg_2", "req_1"));
  // Without a requestId (missing or ""), message.id alone: one slot.
  EXPECT_EQ(DedupKey("msg_1", ""), DedupKey("msg_1", ""));
  EXPECT_NE(DedupKey("msg_1", ""), DedupKey("msg_1", "req_1"));
  EXPECT_NE(DedupKey("msg_1", ""), DedupKey("msg_2", ""));
  // No requestId never collides with an id that merely looks like a key.
  EXPECT_NE(DedupKey("msg_1:req_1", ""), DedupKey("msg_1", "req_1"));
}

ToolResult ErrorResult(std::string text) {
  ToolResult r;
  r.tool_use_id = "toolu_1";
  r.is_error = true;
  r.text = std::move(text);
  return r;
}

TEST(ClassifyToolResultTest, StructuredFieldsFirstThenPrefixesOfAnErrorOnly) {
  ToolResult ok;
  ok.text = "User rejected tool use";  // output quoting the text
  EXPECT_STREQ(ClassifyToolResult(ok, "", false), kToolSuccess);
  EXPECT_STREQ(ClassifyToolResult(ok, "User rejected tool use", false), kToolSuccess);
  // toolUseResult.interrupted wins over everything, is_error or not.
  EXPECT_STREQ(ClassifyToolResult(ok, "", true), kToolInterrupted);
  EXPECT_STREQ(ClassifyToolResult(ErrorResult("Exit code 1"), "", true), kToolInterrupted);

  EXPECT_STREQ(ClassifyToolResult(ErrorResult("Exit code 1"), "", false), kToolError);
  EXPECT_STREQ(ClassifyToolResult(ErrorResult("The user doesn't want to take this action right now"), "", false),
               kToolRejected);
  EXPECT_STREQ(ClassifyToolResult(ErrorResult("[Request interrupted by user for tool use]"), "", false),
               kToolInterrupted);
  // The string toolUseResult counts too, also behind one "Error: ".
  EXPECT_STREQ(ClassifyToolResult(ErrorResult(""), "Error: User rejected tool use", false), kToolRejected);
  EXPECT_STREQ(ClassifyToolResult(ErrorResult(""), "Error: [Request interrupted by user]", false), kToolInterrupted);
  // "Error: " is stripped from toolUseResult only, and only as a prefix.
  EXPECT_STREQ(ClassifyToolResult(ErrorResult("Error: User rejected tool use"), "", false), kToolError);
  EXPECT_STREQ(ClassifyToolResult(ErrorResult(""), "Bash failed. Error: User rejected tool use", false), kToolError);
  // Case matters: these are Claude Code's exact texts.
  EXPECT_STREQ(ClassifyToolResult(ErrorResult("user rejected tool use"), "", false), kToolError);
}

TEST(RevisionBeatsTest, FinishedThenLargerUsageThenLongerThenLargerBytes) {
  const Revision streamed_big{false, 5000, R"({"uuid":"a","stop_reason":null,"usage":"big, long, long"})"};
  const Revision finished_small{true, 10, R"({"uuid":"a"})"};
  EXPECT_TRUE(RevisionBeats(finished_small, streamed_big)) << "a finished response beats a streamed block";
  EXPECT_FALSE(RevisionBeats(streamed_big, finished_small));

  const Revision more{true, 11, "{}"};
  EXPECT_TRUE(RevisionBeats(more, finished_small)) << "the larger usage total before the length";
  EXPECT_FALSE(RevisionBeats(finished_small, more));

  const Revision longer{true, 10, R"({"uuid":"a","x":1})"};
  EXPECT_TRUE(RevisionBeats(longer, finished_small));
  EXPECT_FALSE(RevisionBeats(finished_small, longer));

  const Revision b{true, 10, R"({"uuid":"b"})"};  // same length, larger bytes
  EXPECT_TRUE(RevisionBeats(b, finished_small));
  EXPECT_FALSE(RevisionBeats(finished_small, b));
}

TEST(RevisionBeatsTest, IdenticalLinesNeverBeatAndDifferentOnesAreStrictlyOrdered) {
  const std::string line = R"({"uuid":"a","message":{"stop_reason":"end_turn"}})";
  const std::string copy = line;  // other storage, same bytes
  EXPECT_FALSE(RevisionBeats({true, 7, line}, {true, 7, copy}));

  std::vector<std::string> raws = {"{}", "{\"a\":1}", "{\"b\":1}", "{\"a\":12}"};
  std::vector<Revision> all;
  for (bool stop : {false, true}) {
    for (int64_t total : {0, 3}) {
      for (const std::string& raw : raws) all.push_back({stop, total, raw});
    }
  }
  for (const Revision& a : all) {
    for (const Revision& b : all) {
      const bool same = a.has_stop_reason == b.has_stop_reason && a.usage_total == b.usage_total && a.raw == b.raw;
      if (same) {
        EXPECT_FALSE(RevisionBeats(a, b));
        continue;
      }
      ASSERT_NE(RevisionBeats(a, b), RevisionBeats(b, a)) << a.raw << " / " << b.raw;
      if (!RevisionBeats(a, b)) continue;
      for (const Revision& c : all) {
        if (RevisionBeats(b, c)) {
          ASSERT_TRUE(RevisionBeats(a, c)) << a.raw << " " << b.raw << " " << c.raw;
        }
      }
    }
  }
}

// Which usage of a parsed line counts (CountedUsage): the rule lives with
// token accounting, not in the parser.
LineRecord AssistantLine(int64_t input, int64_t output) {
  LineRecord rec;
  rec.type = "assistant";
  rec.model = "claude-sonnet-4-5";
  rec.api_message_id = "msg_1";
  rec.request_id = "req_1";
  rec.timestamp_ms = 1772445600000;
  rec.is_sidechain = true;
  rec.cost_usd = 0.25;
  rec.usage = Usage{.input = input, .output = output};
  return rec;
}

EmbeddedResponse Embedded(int64_t input, std::string model = "claude-haiku-4-5") {
  EmbeddedResponse e;
  e.copy.api_message_id = "msg_agent";
  e.copy.request_id = "req_agent";
  e.copy.model = std::move(model);
  e.copy.usage = Usage{.input = input, .output = 1};
  e.copy.timestamp_ms = 1772445700000;
  return e;
}

TEST(CountedUsageTest, TheLinesOwnUsageCountsWithTheLinesFacts) {
  std::optional<UsageCopy> copy = CountedUsage(AssistantLine(10, 20));
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->usage.input, 10);
  EXPECT_EQ(copy->usage.output, 20);
  EXPECT_EQ(copy->api_message_id, "msg_1");
  EXPECT_EQ(copy->request_id, "req_1");
  EXPECT_EQ(copy->model, "claude-sonnet-4-5");
  EXPECT_EQ(copy->timestamp_ms, 1772445600000);
  EXPECT_TRUE(copy->is_sidechain);
  EXPECT_EQ(copy->cost_usd, 0.25);
}

TEST(CountedUsageTest, NoTimestampNoCount) {
  LineRecord rec = AssistantLine(10, 20);
  rec.timestamp_ms.reset();
  EXPECT_FALSE(CountedUsage(rec).has_value());
}

TEST(CountedUsageTest, LocalNoticesAreNotApiCalls) {
  LineRecord synthetic = AssistantLine(0, 0);
  synthetic.model = "<synthetic>";
  EXPECT_FALSE(CountedUsage(synthetic).has_value());
  LineRecord api_error = AssistantLine(0, 0);
  api_error.api_error_message = true;
  EXPECT_FALSE(CountedUsage(api_error).has_value());
  // With tokens it was a call after all.
  api_error.usage->input = 5;
  EXPECT_TRUE(CountedUsage(api_error).has_value());
  // A zero-usage line of a real model is still a call.
  EXPECT_TRUE(CountedUsage(AssistantLine(0, 0)).has_value());
}

TEST(CountedUsageTest, AProgressLinesEmbeddedResponseCountsWhenTheLineHasNoUsageOfItsOwn) {
  LineRecord progress;
  progress.type = "progress";
  progress.timestamp_ms = 1772445600000;
  progress.embedded = Embedded(7);
  std::optional<UsageCopy> copy = CountedUsage(progress);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->api_message_id, "msg_agent");
  EXPECT_EQ(copy->model, "claude-haiku-4-5");
  EXPECT_EQ(copy->usage.input, 7);
  EXPECT_EQ(copy->timestamp_ms, 1772445700000) << "the embedded message's own time";

  LineRecord both = AssistantLine(10, 20);
  both.embedded = Embedded(7);
  ASSERT_TRUE(CountedUsage(both).has_value());
  EXPECT_EQ(CountedUsage(both)->api_message_id, "msg_1") << "the line's own usage first";

  LineRecord notice;
  notice.embedded = Embedded(0, "<synthetic>");
  notice.embedded->copy.usage = Usage{};
  EXPECT_FALSE(CountedUsage(notice).has_value());
}

}  // namespace
}  // namespace cco

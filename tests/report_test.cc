// The report module (src/report.h) over a database built by `cco replay`
// of a small hand-written tree whose every figure is computed by hand here:
// daily, monthly, session, project and tool reports; days cut in the
// report's zone (Asia/Tokyo, and Asia/Kolkata whose half-hour offset needs
// the 15-minute rows); --since/--until bounds; a model without a price
// counted as an unpriced call.
//
// Prices (claude-haiku-4-5-20251001, schema/0003_prices.sql), nano-USD per
// token: input 1000, output 5000, 5-minute cache write 1250, cache read 100.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/report.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::CommandResult;
using ::cco::testing::RunCco;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

constexpr char kS1[] = "5e551011-0000-4000-8000-000000000001";  // -home-t-app
constexpr char kS2[] = "5e551011-0000-4000-8000-000000000002";  // -home-t-lib
constexpr char kHaiku[] = "claude-haiku-4-5-20251001";
constexpr char kUnknown[] = "claude-unknown-9";

std::string Envelope(const std::string& session, const std::string& uuid, const std::string& timestamp) {
  return absl::StrCat(R"("isSidechain":false,"userType":"external","cwd":"/home/t/w","sessionId":")", session,
                      R"(","version":"2.1.1","uuid":")", uuid, R"(","timestamp":")", timestamp, R"(")");
}

// One block line of the response `id`, with `usage` (a JSON object body).
std::string Assistant(const std::string& session, const std::string& uuid, const std::string& timestamp,
                      const std::string& id, const std::string& model, const std::string& usage,
                      const std::string& block) {
  return absl::StrCat(R"({"parentUuid":null,)", Envelope(session, uuid, timestamp),
                      R"(,"type":"assistant","requestId":"req_)", id, R"(","message":{"id":"msg_)", id,
                      R"(","type":"message","role":"assistant","model":")", model, R"(","content":[)", block,
                      R"(],"stop_reason":null,"usage":{)", usage, "}}}\n");
}

std::string ToolUse(const std::string& id, const std::string& name) {
  return absl::StrCat(R"({"type":"tool_use","id":"toolu_)", id, R"(","name":")", name, R"(","input":{}})");
}

std::string Text(const std::string& text) { return absl::StrCat(R"({"type":"text","text":")", text, R"("})"); }

// The user line carrying a tool's result.
std::string Result(const std::string& session, const std::string& uuid, const std::string& timestamp,
                   const std::string& id, bool is_error, const std::string& tool_use_result) {
  return absl::StrCat(R"({"parentUuid":null,)", Envelope(session, uuid, timestamp),
                      R"(,"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_)",
                      id, R"(","content":"done","is_error":)", is_error ? "true" : "false",
                      R"(}]},"toolUseResult":)", tool_use_result, "}\n");
}

class ReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // EXPECT, not ASSERT: a fatal failure here makes gtest skip every test
    // of the suite, which the test runner reports as skipped, not failed.
    tmp_ = new TempDir;
    const std::string root = *tmp_ / "projects";
    // A1: two copies of one response (the larger counts once), 10:00:05Z,
    // with a Bash call that reports its own duration. Cost:
    // 100*1000 + 50*5000 + 1000*1250 + 2000*100 = 1,800,000.
    // A2: 23:30Z, the next day in Tokyo; a Read call that fails 2 s later.
    // Cost 10*1000 + 5*5000 = 35,000.
    const std::string a1_usage =
        R"("input_tokens":100,"cache_creation_input_tokens":1000,"cache_read_input_tokens":2000,"output_tokens":)";
    WriteFile(root + "/-home-t-app/" + kS1 + ".jsonl",
              Assistant(kS1, "a1-1", "2026-03-01T10:00:05.000Z", "a1", kHaiku, a1_usage + "1", Text("looking")) +
                  Assistant(kS1, "a1-2", "2026-03-01T10:00:05.000Z", "a1", kHaiku, a1_usage + "50",
                            ToolUse("1", "Bash")) +
                  Result(kS1, "r1", "2026-03-01T10:00:07.000Z", "1", false,
                         R"({"stdout":"ok","stderr":"","interrupted":false,"durationMs":1200})") +
                  Assistant(kS1, "a2", "2026-03-01T23:30:00.000Z", "a2", kHaiku,
                            R"("input_tokens":10,"output_tokens":5)", ToolUse("2", "Read")) +
                  Result(kS1, "r2", "2026-03-01T23:30:02.000Z", "2", true, R"("Error: File does not exist.")"));
    // A3: a model without a price, 18:20Z (23:50 in Kolkata). A5: 18:35Z
    // (00:05 the next day in Kolkata), cost 1*1000 + 1*5000 = 6,000. A4: in
    // April, cost 200*1000 + 20*5000 = 300,000, a Bash call of 3 s.
    WriteFile(root + "/-home-t-lib/" + kS2 + ".jsonl",
              Assistant(kS2, "a3", "2026-03-02T18:20:00.000Z", "a3", kUnknown,
                        R"("input_tokens":1000,"output_tokens":100)", Text("hi")) +
                  Assistant(kS2, "a5", "2026-03-02T18:35:00.000Z", "a5", kHaiku,
                            R"("input_tokens":1,"output_tokens":1)", Text("hi")) +
                  Assistant(kS2, "a4", "2026-04-05T08:00:00.000Z", "a4", kHaiku,
                            R"("input_tokens":200,"output_tokens":20)", ToolUse("3", "Bash")) +
                  Result(kS2, "r3", "2026-04-05T08:00:04.000Z", "3", false, R"({"durationMs":3000})"));
    const CommandResult r = RunCco({"replay", root, "--db", *tmp_ / "cco.db"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }

  void SetUp() override {
    absl::StatusOr<Db> db = Db::Open(*tmp_ / "cco.db", Db::Mode::kReadOnly);
    ASSERT_TRUE(db.ok()) << db.status();
    db_.emplace(std::move(*db));
  }

  static ReportFilter In(const std::string& zone) {
    ReportFilter f;
    EXPECT_TRUE(absl::LoadTimeZone(zone, &f.tz)) << zone;
    return f;
  }

  std::vector<UsageRow> Periods(Period period, const ReportFilter& filter) {
    absl::StatusOr<std::vector<UsageRow>> rows = PeriodReport(*db_, period, filter);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<UsageRow>{};
  }

  // "key:input/output/cache write/cache read/cost/calls/unpriced" per row.
  static std::string Figures(const std::vector<UsageRow>& rows) {
    std::string out;
    for (const UsageRow& r : rows) {
      const TokenTotals& t = r.tokens;
      absl::StrAppend(&out, out.empty() ? "" : " ", r.key, ":", t.input, "/", t.output, "/", t.cache_creation, "/",
                      t.cache_read, "/", t.cost_nanousd, "/", t.api_calls, "/", t.unpriced_calls);
    }
    return out;
  }

  static std::vector<std::string> Keys(const std::vector<UsageRow>& rows) {
    std::vector<std::string> keys;
    for (const UsageRow& r : rows) keys.push_back(r.key);
    return keys;
  }

  static TempDir* tmp_;
  std::optional<Db> db_;
};

TempDir* ReportTest::tmp_ = nullptr;

using KeyList = std::vector<std::string>;

TEST_F(ReportTest, DailyAndMonthlyFiguresEqualTheHandComputedOnes) {
  EXPECT_EQ(Figures(Periods(Period::kDay, In("UTC"))),
            "2026-03-01:110/55/1000/2000/1835000/2/0 "
            "2026-03-02:1001/101/0/0/6000/2/1 "
            "2026-04-05:200/20/0/0/300000/1/0");
  EXPECT_EQ(Figures(Periods(Period::kMonth, In("UTC"))),
            "2026-03:1111/156/1000/2000/1841000/4/1 "
            "2026-04:200/20/0/0/300000/1/0");
}

TEST_F(ReportTest, DaysAreCutInTheReportsZone) {
  // 23:30Z on 03-01 is 08:30 on 03-02 in Tokyo; 18:20Z and 18:35Z are 03:20
  // and 03:35 on 03-03 there.
  EXPECT_EQ(Figures(Periods(Period::kDay, In("Asia/Tokyo"))),
            "2026-03-01:100/50/1000/2000/1800000/1/0 "
            "2026-03-02:10/5/0/0/35000/1/0 "
            "2026-03-03:1001/101/0/0/6000/2/1 "
            "2026-04-05:200/20/0/0/300000/1/0");
  // Kolkata is UTC+5:30: 18:20Z is 23:50 on 03-02 and 18:35Z is 00:05 on
  // 03-03, inside one UTC hour, so only the 15-minute rows can tell them apart.
  EXPECT_EQ(Figures(Periods(Period::kDay, In("Asia/Kolkata"))),
            "2026-03-01:100/50/1000/2000/1800000/1/0 "
            "2026-03-02:1010/105/0/0/35000/2/1 "
            "2026-03-03:1/1/0/0/6000/1/0 "
            "2026-04-05:200/20/0/0/300000/1/0");
}

TEST_F(ReportTest, SinceAndUntilAreInclusiveDaysInTheReportsZone) {
  ReportFilter march_rest = In("UTC");
  march_rest.since = absl::CivilDay(2026, 3, 2);
  march_rest.until = absl::CivilDay(2026, 3, 31);
  EXPECT_EQ(Keys(Periods(Period::kDay, march_rest)), KeyList({"2026-03-02"}));
  EXPECT_EQ(Figures(Periods(Period::kMonth, march_rest)), "2026-03:1001/101/0/0/6000/2/1");

  ReportFilter tokyo_day = In("Asia/Tokyo");
  tokyo_day.since = absl::CivilDay(2026, 3, 2);
  tokyo_day.until = absl::CivilDay(2026, 3, 2);
  EXPECT_EQ(Figures(Periods(Period::kDay, tokyo_day)), "2026-03-02:10/5/0/0/35000/1/0");

  ReportFilter kolkata_day = In("Asia/Kolkata");
  kolkata_day.since = absl::CivilDay(2026, 3, 3);
  kolkata_day.until = absl::CivilDay(2026, 3, 3);
  EXPECT_EQ(Figures(Periods(Period::kDay, kolkata_day)), "2026-03-03:1/1/0/0/6000/1/0");

  ReportFilter nothing = In("UTC");
  nothing.since = absl::CivilDay(2026, 3, 10);
  nothing.until = absl::CivilDay(2026, 3, 20);
  EXPECT_TRUE(Periods(Period::kDay, nothing).empty()) << "days without tokens do not appear";
}

TEST_F(ReportTest, SessionsAndProjectsByCostWithTheirSpans) {
  absl::StatusOr<std::vector<UsageRow>> sessions = SessionReport(*db_, In("UTC"));
  ASSERT_TRUE(sessions.ok()) << sessions.status();
  EXPECT_EQ(Figures(*sessions), absl::StrCat(kS1, ":110/55/1000/2000/1835000/2/0 ", kS2,
                                             ":1201/121/0/0/306000/3/1"));
  ASSERT_EQ(sessions->size(), 2u);
  EXPECT_EQ((*sessions)[0].project, "-home-t-app");
  EXPECT_EQ((*sessions)[0].first_ms, absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 10, 0, 5),
                                                                         absl::UTCTimeZone())));
  EXPECT_EQ((*sessions)[0].last_ms, absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 23, 30, 0),
                                                                        absl::UTCTimeZone())));
  EXPECT_EQ((*sessions)[1].project, "-home-t-lib");

  // A session is in a period by its last activity.
  ReportFilter april = In("UTC");
  april.since = absl::CivilDay(2026, 4, 1);
  absl::StatusOr<std::vector<UsageRow>> late = SessionReport(*db_, april);
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(Keys(*late), KeyList({kS2}));
  ReportFilter march = In("UTC");
  march.until = absl::CivilDay(2026, 3, 31);
  absl::StatusOr<std::vector<UsageRow>> early = SessionReport(*db_, march);
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(Keys(*early), KeyList({kS1}));

  absl::StatusOr<std::vector<UsageRow>> projects = ProjectReport(*db_, In("UTC"));
  ASSERT_TRUE(projects.ok()) << projects.status();
  EXPECT_EQ(Figures(*projects),
            "-home-t-app:110/55/1000/2000/1835000/2/0 -home-t-lib:1201/121/0/0/306000/3/1");
  absl::StatusOr<std::vector<UsageRow>> projects_april = ProjectReport(*db_, april);
  ASSERT_TRUE(projects_april.ok()) << projects_april.status();
  EXPECT_EQ(Figures(*projects_april), "-home-t-lib:200/20/0/0/300000/1/0");
}

// A session file name under two projects (a copy of a project's
// directory): the session report shows it under the greatest project name,
// whichever project was stored first.
TEST(SessionReportTest, ASessionUnderTwoProjectsIsShownUnderTheGreatestProjectName) {
  TempDir tmp;
  const std::string root = tmp / "projects";
  const std::string db_path = tmp / "cco.db";
  const std::string usage = R"("input_tokens":1,"output_tokens":1)";
  WriteFile(root + "/-home-t-zeta/" + kS1 + ".jsonl",
            Assistant(kS1, "z1", "2026-03-01T10:00:00.000Z", "z1", kHaiku, usage, Text("hi")));
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db_path}).exit_code, 0);
  WriteFile(root + "/-home-t-alpha/" + kS1 + ".jsonl",
            Assistant(kS1, "y1", "2026-03-01T11:00:00.000Z", "y1", kHaiku, usage, Text("hi")));
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db_path}).exit_code, 0);
  absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status();
  ReportFilter utc;
  utc.tz = absl::UTCTimeZone();
  absl::StatusOr<std::vector<UsageRow>> sessions = SessionReport(*db, utc);
  ASSERT_TRUE(sessions.ok()) << sessions.status();
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].project, "-home-t-zeta");
  EXPECT_EQ((*sessions)[0].tokens.api_calls, 2);
}

// The statusline's figures: a session's whole cost, and a range's.
TEST_F(ReportTest, SessionCostAndCostBetweenAgreeWithTheReports) {
  absl::StatusOr<std::optional<int64_t>> s1 = SessionCostNanousd(*db_, kS1);
  ASSERT_TRUE(s1.ok()) << s1.status();
  EXPECT_EQ(*s1, std::optional<int64_t>(1835000));
  absl::StatusOr<std::optional<int64_t>> s2 = SessionCostNanousd(*db_, kS2);
  ASSERT_TRUE(s2.ok()) << s2.status();
  EXPECT_EQ(*s2, std::optional<int64_t>(306000));
  absl::StatusOr<std::optional<int64_t>> unknown = SessionCostNanousd(*db_, "5e551011-0000-4000-8000-00000000ffff");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(*unknown, std::nullopt) << "nothing stored of it";

  auto at = [](int y, int m, int d) {
    return absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone()));
  };
  auto between = [&](int64_t from_ms, int64_t to_ms) {
    absl::StatusOr<int64_t> cost = CostNanousdBetween(*db_, from_ms, to_ms);
    EXPECT_TRUE(cost.ok()) << cost.status();
    return cost.value_or(-1);
  };
  EXPECT_EQ(between(at(2026, 3, 1), at(2026, 3, 2)), 1835000);
  EXPECT_EQ(between(at(2026, 3, 2), at(2026, 3, 3)), 6000);
  EXPECT_EQ(between(at(2026, 3, 1), at(2026, 4, 1)), 1841000);
  EXPECT_EQ(between(at(2026, 3, 3), at(2026, 4, 5)), 0) << "no bucket in the range";
}

TEST_F(ReportTest, AModelWithoutAPriceIsCountedAsAnUnpricedCall) {
  ReportFilter day = In("UTC");
  day.since = day.until = absl::CivilDay(2026, 3, 2);
  std::vector<UsageRow> rows = Periods(Period::kDay, day);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].models.size(), 2u);
  // By cost: the priced model first, the unknown one with its tokens, no cost.
  EXPECT_EQ(rows[0].models[0].model, kHaiku);
  EXPECT_EQ(rows[0].models[0].tokens.unpriced_calls, 0);
  EXPECT_EQ(rows[0].models[1].model, kUnknown);
  EXPECT_EQ(rows[0].models[1].tokens.input, 1000);
  EXPECT_EQ(rows[0].models[1].tokens.cost_nanousd, 0);
  EXPECT_EQ(rows[0].models[1].tokens.api_calls, 1);
  EXPECT_EQ(rows[0].models[1].tokens.unpriced_calls, 1);
  // And the command names it.
  const CommandResult r = RunCco({"report", "daily", "--tz", "UTC", "--db", *tmp_ / "cco.db"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find(kUnknown), std::string::npos) << r.out << r.err;
}

TEST_F(ReportTest, ToolsCountCallsErrorsAndDurations) {
  absl::StatusOr<std::vector<ToolRow>> tools = ToolReport(*db_, In("UTC"));
  ASSERT_TRUE(tools.ok()) << tools.status();
  ASSERT_EQ(tools->size(), 2u);
  const ToolRow& bash = (*tools)[0];  // most calls first
  EXPECT_EQ(bash.tool, "Bash");
  EXPECT_EQ(bash.calls, 2);
  EXPECT_EQ(bash.errors, 0);
  EXPECT_DOUBLE_EQ(bash.mean_ms, 2100);  // its own durations: 1200 and 3000
  EXPECT_EQ(bash.p95_ms, 3000);
  const ToolRow& read = (*tools)[1];
  EXPECT_EQ(read.tool, "Read");
  EXPECT_EQ(read.calls, 1);
  EXPECT_EQ(read.errors, 1);
  EXPECT_DOUBLE_EQ(read.error_rate(), 1.0);
  EXPECT_DOUBLE_EQ(read.mean_ms, 2000);  // no own duration: the gap between the lines

  ReportFilter april = In("UTC");
  april.since = absl::CivilDay(2026, 4, 1);
  absl::StatusOr<std::vector<ToolRow>> late = ToolReport(*db_, april);
  ASSERT_TRUE(late.ok()) << late.status();
  ASSERT_EQ(late->size(), 1u);
  EXPECT_EQ((*late)[0].tool, "Bash");
  EXPECT_EQ((*late)[0].calls, 1);
  EXPECT_EQ((*late)[0].p95_ms, 3000);
}

}  // namespace
}  // namespace cco

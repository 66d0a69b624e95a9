// Tool executions that tell the truth: a status read from the result's
// structured fields (is_error, toolUseResult) with Claude Code's rejection and
// interruption texts matched only as the prefix of an error result, and the
// tool's own duration where its result reports one. Checked on the rule
// itself, on the hand-written fixtures (fixtures/projects/-home-dave-notes),
// through `cco report tools`, in both arrival orders, and on the shared
// corpus of real transcripts.

#include <sqlite3.h>

#include <string>

#include "src/sql_functions.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/derive.h"
#include "src/record.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::CommandResult;
using ::cco::testing::CorpusDir;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::RunCco;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

constexpr char kReject[] =
    "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, "
    "the new_string was NOT written to the file). ";
constexpr char kInterrupt[] = "[Request interrupted by user for tool use]";

const char* Classify(const std::string& text, bool is_error, const std::string& tool_use_result_text = "",
                     bool interrupted_flag = false) {
  ToolResult result;
  result.tool_use_id = "toolu_x";
  result.is_error = is_error;
  result.text = text;
  return ClassifyToolResult(result, tool_use_result_text, interrupted_flag);
}

TEST(ClassifyToolResultTest, TextsCountOnlyAsThePrefixOfAnErrorResult) {
  // A file or an output that quotes the texts is the tool's output.
  EXPECT_STREQ(Classify(absl::StrCat("     1\xe2\x86\x92# Notes\n     2\xe2\x86\x92", kReject), false), kToolSuccess);
  EXPECT_STREQ(Classify(kReject, false), kToolSuccess);
  EXPECT_STREQ(Classify(kInterrupt, false), kToolSuccess);
  // An error whose message merely contains them is an error.
  EXPECT_STREQ(Classify(absl::StrCat("Exit code 1\n", kReject), true), kToolError);
  EXPECT_STREQ(Classify(absl::StrCat("grep: ", kInterrupt), true), kToolError);
  // Rejections, also with the user's reason after the text.
  EXPECT_STREQ(Classify(kReject, true), kToolRejected);
  EXPECT_STREQ(Classify(absl::StrCat(kReject, "The user provided the following reason for the rejection: no"), true),
               kToolRejected);
  EXPECT_STREQ(Classify("The user doesn't want to take this action right now. STOP what you are doing.", true),
               kToolRejected);
  EXPECT_STREQ(Classify("", true, "User rejected tool use"), kToolRejected);
  EXPECT_STREQ(Classify("", true, absl::StrCat("Error: ", kReject)), kToolRejected);
  // Interruptions.
  EXPECT_STREQ(Classify(kInterrupt, true), kToolInterrupted);
  EXPECT_STREQ(Classify("", true, absl::StrCat("Error: ", kInterrupt)), kToolInterrupted);
  EXPECT_STREQ(Classify("partial output", false, "", /*interrupted_flag=*/true), kToolInterrupted);
  // Everything else.
  EXPECT_STREQ(Classify("ENOENT", true), kToolError);
  EXPECT_STREQ(Classify("ok", false), kToolSuccess);
}

std::string FixtureDb(const TempDir& dir) {
  const std::string db = dir / "fixtures.db";
  CommandResult r = RunCco({"replay", CCO_FIXTURES_DIR, "--db", db});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return db;
}

TEST(ToolExecutionsTest, FixtureStatusesComeFromStructuredFields) {
  TempDir dir;
  const std::string db = FixtureDb(dir);
  EXPECT_EQ(QueryRows(db, "SELECT tool_name, status FROM tool_executions WHERE tool_use_id LIKE 'toolu_01Dave%'"
                          " ORDER BY started_ms"),
            "Read|success\n"         // the file quotes both texts
            "WebSearch|success\n"
            "Glob|success\n"
            "Bash|success\n"         // an output that starts with the rejection text, no is_error
            "Edit|rejected\n"        // the rejection with the user's reason appended
            "Bash|interrupted\n"     // is_error and the interruption text, no structured flag
            "Grep|error\n"           // an error that quotes the interruption text
            "Task|success");
  // The older fixture's interrupted Bash (toolUseResult.interrupted) stays so.
  EXPECT_EQ(QueryRows(db, "SELECT status FROM tool_executions WHERE tool_use_id = 'toolu_01umJSTmzMCNqDwPbs5KPtsV'"),
            "interrupted");
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

TEST(ToolExecutionsTest, DurationIsTheToolsOwnWhereItsResultReportsOne) {
  TempDir dir;
  const std::string db = FixtureDb(dir);
  EXPECT_EQ(QueryRows(db, "SELECT tool_name, tool_duration_ms, duration_ms, completed_ms - started_ms"
                          " FROM tool_executions WHERE tool_use_id LIKE 'toolu_01Dave%' ORDER BY started_ms"),
            "Read||200|200\n"                // no duration of its own: the gap between the lines
            "WebSearch|13200|13200|493500\n"  // durationSeconds 13.2; eight minutes waiting for approval
            "Glob|41|41|2000\n"              // durationMs
            "Bash||400|400\n"
            "Edit||6000|6000\n"
            "Bash||30000|30000\n"
            "Grep||300|300\n"
            "Task|95250|95250|180000");       // totalDurationMs
  EXPECT_EQ(QueryInt(db, "SELECT sum(value) FROM analytics WHERE metric = 'tool_duration_ms:WebSearch'"), 13200);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

TEST(ToolExecutionsTest, ReportToolsShowsTheCorrectedDurationsAndStatuses) {
  TempDir dir;
  const std::string db = FixtureDb(dir);
  CommandResult r = RunCco({"report", "tools", "--tz", "UTC", "--db", db, "--json", "--project", "-home-dave-notes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("tool":"WebSearch","calls":1,"errors":0,"rejected":0,"interrupted":0,"pending":0,)"
                       R"("errorRate":0,"meanDurationMs":13200,"p95DurationMs":13200})"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("tool":"Read","calls":1,"errors":0,"rejected":0,"interrupted":0)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("tool":"Bash","calls":2,"errors":0,"rejected":0,"interrupted":1)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("tool":"Edit","calls":1,"errors":0,"rejected":1)"), std::string::npos) << r.out;
}

// A database whose executions were derived by the rules before migration
// 0008 (old durations and statuses, no tool's own duration), with the
// rederive request that migration 0008 leaves: the next writer rebuilds its
// executions. (Later migrations change the schema further, so the test
// rewinds the rows and the request, not the whole schema.)
TEST(ToolExecutionsTest, UpgradedDatabaseGetsTheNewDurationsAndStatuses) {
  TempDir dir;
  const std::string db = FixtureDb(dir);
  sqlite3* conn = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &conn), SQLITE_OK);
  cco::RegisterSqlFunctions(conn);
  const char* kDowngrade =
      "UPDATE tool_executions SET duration_ms = completed_ms - started_ms WHERE tool_duration_ms IS NOT NULL;"
      "UPDATE tool_executions SET status = 'rejected' WHERE tool_use_id IN ('toolu_01DaveRead', 'toolu_01DaveCat');"
      "UPDATE tool_executions SET tool_duration_ms = NULL;"
      "INSERT INTO rederive_requests(reason) VALUES ('0008: tools'' own durations');";
  EXPECT_EQ(sqlite3_exec(conn, kDowngrade, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(conn);
  sqlite3_close(conn);
  ASSERT_EQ(QueryRows(db, "SELECT status, duration_ms FROM tool_executions WHERE tool_use_id IN"
                          " ('toolu_01DaveRead', 'toolu_01DaveSearch') ORDER BY started_ms"),
            "rejected|200\nsuccess|493500");
  CommandResult r = RunCco({"replay", CCO_FIXTURES_DIR, "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryRows(db, "SELECT status, duration_ms, tool_duration_ms FROM tool_executions WHERE tool_use_id IN"
                          " ('toolu_01DaveRead', 'toolu_01DaveSearch', 'toolu_01DaveCat') ORDER BY started_ms"),
            "success|200|\nsuccess|13200|13200\nsuccess|400|");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM rederive_requests"), 0);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

// One session whose WebSearch result (own time 2.5 s, 70 s after the use)
// and its use land in separate files, so that either may be read first.
void WriteSplitCall(const std::string& root, bool result_first) {
  const std::string session = "0c0c0c0c-1d1d-4e2e-8f3f-404040404040";
  const std::string use =
      absl::StrCat(R"({"type":"assistant","uuid":"a-1","sessionId":")", session,
                   R"(","timestamp":"2026-03-02T10:00:00.000Z","requestId":"req_1","message":{"id":"msg_1",)",
                   R"("model":"claude-opus-4-6","role":"assistant","content":[{"type":"tool_use","id":"toolu_S",)",
                   R"("name":"WebSearch","input":{"query":"q"}}],"usage":{"input_tokens":1,"output_tokens":1}}})",
                   "\n");
  const std::string result =
      absl::StrCat(R"({"type":"user","uuid":"u-1","sessionId":")", session,
                   R"(","timestamp":"2026-03-02T10:01:10.000Z","message":{"role":"user","content":[)",
                   R"({"tool_use_id":"toolu_S","type":"tool_result","content":"results"}]},)",
                   R"("toolUseResult":{"query":"q","results":[],"durationSeconds":2.5}})", "\n");
  // Files are read in path order: agent-… before the session file.
  WriteFile(root + "/-home-u-p/agent-0000000a.jsonl", result_first ? result : use);
  WriteFile(root + "/-home-u-p/" + session + ".jsonl", result_first ? use : result);
}

TEST(ToolExecutionsTest, OwnDurationHoldsInEitherArrivalOrderAndAcrossRuns) {
  for (bool result_first : {true, false}) {
    SCOPED_TRACE(result_first ? "result first" : "use first");
    TempDir dir;
    const std::string root = dir / "projects";
    WriteSplitCall(root, result_first);
    ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", dir / "one.db"}).exit_code, 0);
    EXPECT_EQ(QueryRows(dir / "one.db", "SELECT status, tool_duration_ms, duration_ms FROM tool_executions"),
              "success|2500|2500");
    EXPECT_EQ(RunCco({"check", "--db", dir / "one.db"}).exit_code, 0);
  }
  // The use arrives in a later run than its result.
  TempDir dir;
  const std::string root = dir / "projects";
  WriteSplitCall(root, true);
  const std::string session_file = root + "/-home-u-p/0c0c0c0c-1d1d-4e2e-8f3f-404040404040.jsonl";
  const std::string use_line = ::cco::testing::ReadFile(session_file);
  WriteFile(session_file, "");
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", dir / "t.db"}).exit_code, 0);
  EXPECT_EQ(QueryRows(dir / "t.db", "SELECT tool_name IS NULL, duration_ms FROM tool_executions"), "1|2500");
  WriteFile(session_file, use_line);
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", dir / "t.db"}).exit_code, 0);
  EXPECT_EQ(QueryRows(dir / "t.db", "SELECT tool_name, duration_ms FROM tool_executions"), "WebSearch|2500");
  EXPECT_EQ(QueryInt(dir / "t.db", "SELECT sum(value) FROM analytics WHERE metric = 'tool_duration_ms:WebSearch'"),
            2500);
  EXPECT_EQ(RunCco({"check", "--db", dir / "t.db"}).exit_code, 0);
}

// On real transcripts: WebSearch results say ~13 s where the lines are
// minutes apart (waits for approval), and no execution counts as rejected or
// interrupted on a text found inside a successful result.
class CorpusTools : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // EXPECT, not ASSERT: a fatal failure here makes gtest skip every test
    // of the suite, which the test runner reports as skipped, not failed.
    if (CorpusDir().empty()) return;
    dir_ = new TempDir();
    db_ = *dir_ / "corpus.db";
    CommandResult r = RunCco({"replay", CorpusDir() + "/projects", "--db", db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (CorpusDir().empty()) GTEST_SKIP() << "the shared corpus is absent";
  }
  static TempDir* dir_;
  static std::string db_;
};
TempDir* CorpusTools::dir_ = nullptr;
std::string CorpusTools::db_;

TEST_F(CorpusTools, WebSearchDurationsAreTheToolsOwn) {
  // Each WebSearch whose result line reports durationSeconds has exactly
  // that duration (subagent result lines of 2.1.x carry no toolUseResult and
  // fall back to the gap between the lines).
  const std::string own = "SELECT count(*) FROM tool_executions t JOIN messages m ON m.id = t.result_message_id"
                          " WHERE t.tool_name = 'WebSearch'"
                          " AND json_type(cco_raw(m.raw), '$.toolUseResult.durationSeconds') IN ('integer', 'real')";
  ASSERT_GT(QueryInt(db_, own), 10);
  EXPECT_EQ(QueryInt(db_, own + " AND t.duration_ms IS NOT"
                                " round(json_extract(cco_raw(m.raw), '$.toolUseResult.durationSeconds') * 1000)"),
            0);
  // Seconds, where the lines are minutes apart on average (waits for
  // approval): the report's mean is the tools' own time.
  const double gap_mean = std::stod(QueryRows(
      db_, "SELECT avg(completed_ms - started_ms) FROM tool_executions WHERE tool_name = 'WebSearch'"));
  EXPECT_GT(gap_mean, 120000) << "the corpus has searches that waited for approval";
  CommandResult r = RunCco({"report", "tools", "--tz", "UTC", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.out.find(R"("tool":"WebSearch")");
  ASSERT_NE(at, std::string::npos) << r.out;
  const size_t mean_at = r.out.find("\"meanDurationMs\":", at);
  ASSERT_NE(mean_at, std::string::npos);
  const double mean = std::stod(r.out.substr(mean_at + 17));
  EXPECT_LT(mean, 20000) << r.out;
  // Every tool that reports a duration has it used.
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM tool_executions WHERE tool_duration_ms IS NOT NULL"
                          " AND tool_duration_ms IS NOT duration_ms"),
            0);
  EXPECT_GT(QueryInt(db_, "SELECT count(*) FROM tool_executions WHERE tool_duration_ms IS NOT NULL"), 100);
}

TEST_F(CorpusTools, RejectedAndInterruptedOnlyFromErrorResults) {
  // The result block of each execution, with its is_error.
  const std::string not_error =
      "SELECT count(*) FROM tool_executions t JOIN messages m ON m.id = t.result_message_id,"
      " json_each(cco_raw(m.raw), '$.message.content') b WHERE json_extract(b.value, '$.tool_use_id') = t.tool_use_id"
      " AND t.status IN ('rejected', 'interrupted') AND coalesce(json_extract(b.value, '$.is_error'), 0) = 0"
      " AND coalesce(json_extract(cco_raw(m.raw), '$.toolUseResult.interrupted'), 0) = 0";
  EXPECT_EQ(QueryInt(db_, not_error), 0);
  // The Read whose file quotes the rejection text is a success.
  // (The execution keeps a preview of its output; the whole result is in
  // its result message.)
  EXPECT_GE(QueryInt(db_, "SELECT count(*) FROM tool_executions t JOIN messages m ON m.id = t.result_message_id"
                          " WHERE t.tool_name = 'Read' AND t.status = 'success'"
                          " AND cco_text(m.content) LIKE '%The user doesn''t want to proceed with this tool use%'"),
            1);
  EXPECT_GT(QueryInt(db_, "SELECT count(*) FROM tool_executions WHERE status = 'rejected'"), 10);
}

}  // namespace
}  // namespace cco

// `cco report` as a user reads it: the zone its days are cut in (the
// system's unless told, named in the title), a clear sentence when there is
// nothing to show, flag values it accepts and the ones it refuses, and
// tables that fit the terminal (80 columns), with colour only on a terminal.

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

constexpr char kA[] = "5e551011-0000-4000-8000-00000000000a";  // /home/u/app
constexpr char kB[] = "5e551011-0000-4000-8000-00000000000b";  // /home/u/lib
constexpr char kHaiku[] = "claude-haiku-4-5-20251001";
constexpr char kSonnet[] = "claude-sonnet-4-5-20250929";

std::string Envelope(const std::string& session, const std::string& cwd, const std::string& uuid,
                     const std::string& timestamp) {
  return absl::StrCat(R"("isSidechain":false,"userType":"external","cwd":")", cwd, R"(","sessionId":")", session,
                      R"(","version":"2.1.1","uuid":")", uuid, R"(","timestamp":")", timestamp, R"(")");
}

std::string Assistant(const std::string& session, const std::string& cwd, const std::string& uuid,
                      const std::string& timestamp, const std::string& model, int input, int output,
                      const std::string& block) {
  return absl::StrCat(R"({"parentUuid":null,)", Envelope(session, cwd, uuid, timestamp),
                      R"(,"type":"assistant","requestId":"req_)", uuid, R"(","message":{"id":"msg_)", uuid,
                      R"(","type":"message","role":"assistant","model":")", model, R"(","content":[)", block,
                      R"(],"stop_reason":null,"usage":{"input_tokens":)", input, R"(,"output_tokens":)", output,
                      "}}}\n");
}

std::string ToolResult(const std::string& session, const std::string& cwd, const std::string& uuid,
                       const std::string& timestamp, const std::string& id) {
  return absl::StrCat(R"({"parentUuid":null,)", Envelope(session, cwd, uuid, timestamp),
                      R"(,"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_)",
                      id, R"(","content":"done","is_error":false}]}})", "\n");
}

// Two sessions: A in /home/u/app at 23:30Z on 2026-01-14 (already the 15th
// in Tokyo), titled, with a Bash call that ran 54 min 46 s; B in
// /home/u/lib on 2026-01-20 with two models.
class ReportOutputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // EXPECT, not ASSERT: a fatal failure here makes gtest skip every test
    // of the suite, which the test runner reports as skipped, not failed.
    tmp_ = new TempDir;
    const std::string root = *tmp_ / "projects";
    WriteFile(root + "/-home-u-app/" + kA + ".jsonl",
              Assistant(kA, "/home/u/app", "a1", "2026-01-14T23:30:00.000Z", kHaiku, 1000, 200,
                        R"({"type":"tool_use","id":"toolu_b1","name":"Bash","input":{}})") +
                  ToolResult(kA, "/home/u/app", "a2", "2026-01-15T00:24:46.000Z", "b1") +
                  R"({"type":"summary","summary":"Fix the flaky login test","leafUuid":"a1"})" + "\n");
    WriteFile(root + "/-home-u-lib/" + kB + ".jsonl",
              Assistant(kB, "/home/u/lib", "b1", "2026-01-20T12:00:00.000Z", kHaiku, 300, 40,
                        R"({"type":"text","text":"ok"})") +
                  Assistant(kB, "/home/u/lib", "b2", "2026-01-20T12:05:00.000Z", kSonnet, 500, 60,
                            R"({"type":"text","text":"ok"})"));
    db_ = new std::string(*tmp_ / "cco.db");
    CommandResult r = RunCco({"replay", root, "--db", *db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // A root must be a projects/ directory (or a config directory holding one).
    WriteFile(*tmp_ / "empty/projects/.keep", "");
    empty_db_ = new std::string(*tmp_ / "empty.db");
    r = RunCco({"replay", *tmp_ / "empty/projects", "--db", *empty_db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    delete empty_db_;
    delete tmp_;
  }

  // `cco report KIND --db <the tree's database> ARGS...`.
  static CommandResult Report(const std::string& kind, std::vector<std::string> args,
                              const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"report", kind, "--db", *db_});
    return RunCco(args, env);
  }

  static TempDir* tmp_;
  static std::string* db_;
  static std::string* empty_db_;
};

TempDir* ReportOutputTest::tmp_ = nullptr;
std::string* ReportOutputTest::db_ = nullptr;
std::string* ReportOutputTest::empty_db_ = nullptr;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, absl::ByAnyChar("\r\n"), absl::SkipEmpty());
}

// Columns a line takes on a terminal: code points, escape sequences aside.
size_t DisplayColumns(const std::string& line) {
  size_t n = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\033') {
      while (i < line.size() && !absl::ascii_isalpha(static_cast<unsigned char>(line[i]))) ++i;
      continue;
    }
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// ---- 3. The user's time zone ----------------------------------------------

TEST_F(ReportOutputTest, DaysAreCutInTheSystemZoneAndTheTitleNamesIt) {
  CommandResult tokyo = Report("daily", {"--json"}, {"TZ=Asia/Tokyo"});
  ASSERT_EQ(tokyo.exit_code, 0) << tokyo.err;
  EXPECT_TRUE(absl::StrContains(tokyo.out, R"("date":"2026-01-15")")) << tokyo.out;
  EXPECT_FALSE(absl::StrContains(tokyo.out, R"("date":"2026-01-14")")) << tokyo.out;

  CommandResult utc = Report("daily", {"--json"}, {"TZ=UTC"});
  EXPECT_TRUE(absl::StrContains(utc.out, R"("date":"2026-01-14")")) << utc.out;

  CommandResult colon = Report("daily", {"--json"}, {"TZ=:Asia/Tokyo"});
  EXPECT_TRUE(absl::StrContains(colon.out, R"("date":"2026-01-15")")) << colon.out;

  CommandResult text = Report("daily", {}, {"TZ=Asia/Tokyo"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(Lines(text.out)[0], "Asia/Tokyo")) << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "2026-01-15")) << text.out;

  // --tz wins over TZ.
  CommandResult pinned = Report("daily", {"--tz", "UTC"}, {"TZ=Asia/Tokyo"});
  EXPECT_TRUE(absl::StrContains(Lines(pinned.out)[0], "UTC")) << pinned.out;
  EXPECT_TRUE(absl::StrContains(pinned.out, "2026-01-14")) << pinned.out;

  CommandResult bad = Report("daily", {}, {"TZ=Mars/Olympus_Mons"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_TRUE(absl::StrContains(bad.err, "Mars/Olympus_Mons")) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "--tz")) << bad.err;
}

TEST_F(ReportOutputTest, TzTakesUtcInAnyCaseAndFixedOffsets) {
  for (const char* utc : {"utc", "UTC"}) {
    CommandResult r = Report("daily", {"--json", "--tz", utc}, {"TZ=Asia/Tokyo"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(absl::StrContains(r.out, R"("date":"2026-01-14")")) << utc << r.out;
  }
  CommandResult east = Report("daily", {"--json", "--tz", "+09:00"});
  ASSERT_EQ(east.exit_code, 0) << east.err;
  EXPECT_TRUE(absl::StrContains(east.out, R"("date":"2026-01-15")")) << east.out;
  CommandResult half = Report("daily", {"--json", "--tz", "+00:30"});
  EXPECT_TRUE(absl::StrContains(half.out, R"("date":"2026-01-15")")) << half.out;
  CommandResult west = Report("daily", {"--json", "--tz", "-03:30"});
  ASSERT_EQ(west.exit_code, 0) << west.err;
  EXPECT_TRUE(absl::StrContains(west.out, R"("date":"2026-01-14")")) << west.out;
  EXPECT_TRUE(absl::StrContains(west.out, R"("date":"2026-01-20")")) << west.out;
  CommandResult title = Report("daily", {"--tz", "-03:30"});
  EXPECT_TRUE(absl::StrContains(Lines(title.out)[0], "UTC-03:30")) << title.out;
  for (const char* wrong : {"+25:00", "+09:75", "9", "Mars/Olympus_Mons"}) {
    CommandResult r = Report("daily", {"--tz", wrong});
    EXPECT_EQ(r.exit_code, 2) << wrong;
    EXPECT_TRUE(absl::StrContains(r.err, wrong)) << r.err;
  }
}

// ---- 4. Empty answers -----------------------------------------------------

TEST_F(ReportOutputTest, AnEmptyDatabaseSaysSoInsteadOfAZeroTotal) {
  for (const char* kind : {"daily", "weekly", "monthly", "session", "project"}) {
    CommandResult r = RunCco({"report", kind, "--db", *empty_db_, "--tz", "UTC"});
    EXPECT_EQ(r.exit_code, 0) << kind << r.err;
    EXPECT_EQ(r.out, "no usage found between the first record and now (UTC) for all projects\n") << kind;
    EXPECT_FALSE(absl::StrContains(r.out, "Total")) << r.out;
  }
  CommandResult tools = RunCco({"report", "tools", "--db", *empty_db_, "--tz", "UTC"});
  EXPECT_EQ(tools.exit_code, 0);
  EXPECT_EQ(tools.out, "no tool calls found between the first record and now (UTC) for all projects\n");
  // --json: the same shape, empty.
  CommandResult json = RunCco({"report", "daily", "--db", *empty_db_, "--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_TRUE(absl::StartsWith(json.out, R"({"daily":[],"totals":{"inputTokens":0,)")) << json.out;
  CommandResult tools_json = RunCco({"report", "tools", "--db", *empty_db_, "--json"});
  EXPECT_TRUE(absl::StartsWith(tools_json.out, R"({"tools":[],"totals":{"calls":0,)")) << tools_json.out;
}

TEST_F(ReportOutputTest, ARangeWithoutUsageNamesTheRangeAndTheProject) {
  CommandResult r = Report("daily", {"--tz", "UTC", "--since", "2026-02-01", "--until", "20260228"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no usage found between 2026-02-01 and 2026-02-28 (UTC) for all projects\n");
  CommandResult project =
      Report("session", {"--tz", "UTC", "--since", "2026-01-16", "--until", "2026-01-19", "--project", "/home/u/app"});
  EXPECT_EQ(project.exit_code, 0) << project.err;
  EXPECT_EQ(project.out, "no usage found between 2026-01-16 and 2026-01-19 (UTC) for project /home/u/app\n");
}

TEST_F(ReportOutputTest, SinceAfterUntilIsAUsageError) {
  CommandResult r = Report("daily", {"--since", "2026-02-01", "--until", "2026-01-01"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "--since 2026-02-01 is after --until 2026-01-01")) << r.err;
  CommandResult date = Report("daily", {"--since", "2026-13-01"});
  EXPECT_EQ(date.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(date.err, "YYYY-MM-DD or YYYYMMDD")) << date.err;
}

// ---- 6. Flag values -------------------------------------------------------

TEST_F(ReportOutputTest, StartOfWeekTakesNamesAbbreviationsAndNumbers) {
  // 2026-01-14 is a Wednesday: its week starts on Monday 2026-01-12, or on
  // Sunday 2026-01-11.
  for (const char* monday : {"monday", "Monday", "mon", "MON", "1"}) {
    CommandResult r = Report("weekly", {"--json", "--tz", "UTC", "--start-of-week", monday});
    ASSERT_EQ(r.exit_code, 0) << monday << r.err;
    EXPECT_TRUE(absl::StrContains(r.out, R"("week":"2026-01-12")")) << monday << r.out;
  }
  for (const char* sunday : {"sunday", "sun", "0", "7"}) {
    CommandResult r = Report("weekly", {"--json", "--tz", "UTC", "--start-of-week", sunday});
    ASSERT_EQ(r.exit_code, 0) << sunday << r.err;
    EXPECT_TRUE(absl::StrContains(r.out, R"("week":"2026-01-11")")) << sunday << r.out;
  }
  CommandResult bad = Report("weekly", {"--start-of-week", "funday"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "funday")) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "sunday, monday, tuesday")) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "0 = sunday")) << bad.err;
}

TEST_F(ReportOutputTest, UnknownEnumeratedValuesAreRejectedWithTheValidOnes) {
  CommandResult order = Report("daily", {"--order", "sideways"});
  EXPECT_EQ(order.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(order.err, "asc, desc")) << order.err;
  CommandResult kind = RunCco({"report", "hourly", "--db", *db_});
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(kind.err, "daily, weekly, monthly, session, project, tools")) << kind.err;
  CommandResult log = RunCco({"--log-level", "loud", "report", "daily", "--db", *db_});
  EXPECT_EQ(log.exit_code, 2);
  EXPECT_TRUE(log.out.empty()) << log.out;
  EXPECT_TRUE(absl::StrContains(log.err, "trace, debug, info, warn, error, off")) << log.err;
  CommandResult log_eq = RunCco({"status", "--db", *db_, "--log-level=shout"});
  EXPECT_EQ(log_eq.exit_code, 2);
  EXPECT_EQ(RunCco({"report", "daily", "--db", *db_, "--log-level", "debug"}).exit_code, 0);
}

// ---- 7. Tables ------------------------------------------------------------

TEST_F(ReportOutputTest, EveryTableFitsEightyColumns) {
  for (const char* kind : {"daily", "weekly", "monthly", "session", "project", "tools"}) {
    for (const std::vector<std::string>& extra :
         std::vector<std::vector<std::string>>{{}, {"--breakdown"}, {"--compact"}}) {
      if (std::string(kind) == "tools" && !extra.empty() && extra[0] == "--breakdown") continue;
      std::vector<std::string> args = {"--tz", "UTC"};
      args.insert(args.end(), extra.begin(), extra.end());
      CommandResult r = Report(kind, args, {"COLUMNS=80"});
      ASSERT_EQ(r.exit_code, 0) << kind << r.err;
      for (const std::string& line : Lines(r.out)) {
        EXPECT_LE(DisplayColumns(line), 80u) << kind << ": " << line;
      }
    }
  }
  // On a terminal, its width (TIOCGWINSZ) decides, whatever COLUMNS says.
  CommandResult pty = RunCcoInPty({"report", "session", "--db", *db_, "--tz", "UTC"}, {"NO_COLOR=1"}, 80);
  ASSERT_EQ(pty.exit_code, 0) << pty.out;
  for (const std::string& line : Lines(pty.out)) EXPECT_LE(DisplayColumns(line), 80u) << line;
}

TEST_F(ReportOutputTest, WideOutputHasEveryColumnAndCompactTheEssentialOnes) {
  CommandResult wide = Report("daily", {"--tz", "UTC"}, {"COLUMNS=200"});
  EXPECT_TRUE(absl::StrContains(wide.out, "Cache create")) << wide.out;
  EXPECT_TRUE(absl::StrContains(wide.out, "Total tokens")) << wide.out;
  CommandResult compact = Report("daily", {"--tz", "UTC", "--compact"}, {"COLUMNS=200"});
  EXPECT_FALSE(absl::StrContains(compact.out, "Cache create")) << compact.out;
  EXPECT_TRUE(absl::StrContains(compact.out, "Cost (USD)")) << compact.out;
  EXPECT_TRUE(absl::StrContains(compact.out, "Input")) << compact.out;
}

TEST_F(ReportOutputTest, ColourOnlyOnATerminalAndNeverWithNoColor) {
  CommandResult terminal = RunCcoInPty({"report", "daily", "--db", *db_, "--tz", "UTC"});
  ASSERT_EQ(terminal.exit_code, 0) << terminal.out;
  EXPECT_TRUE(absl::StrContains(terminal.out, "\033[1m")) << terminal.out;
  CommandResult no_color = RunCcoInPty({"report", "daily", "--db", *db_, "--tz", "UTC"}, {"NO_COLOR=1"});
  EXPECT_FALSE(absl::StrContains(no_color.out, "\033[")) << no_color.out;
  CommandResult pipe = Report("daily", {"--tz", "UTC"});
  EXPECT_FALSE(absl::StrContains(pipe.out, "\033[")) << pipe.out;
}

TEST_F(ReportOutputTest, SessionsShowProjectTitleAndLastActivity) {
  CommandResult r = Report("session", {"--tz", "Asia/Tokyo"}, {"COLUMNS=200", "HOME=/home/u"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool found_a = false;
  for (const std::string& line : Lines(r.out)) {
    if (!absl::StrContains(line, kA)) continue;
    found_a = true;
    EXPECT_TRUE(absl::StrContains(line, "~/app")) << line;
    EXPECT_TRUE(absl::StrContains(line, "Fix the flaky login test")) << line;
    EXPECT_TRUE(absl::StrContains(line, "2026-01-15 08:30")) << line;  // last activity, Tokyo time
  }
  EXPECT_TRUE(found_a) << r.out;
  // Compact (80 columns): no session id, but project, title and time.
  CommandResult narrow = Report("session", {"--tz", "UTC"}, {"COLUMNS=80", "HOME=/home/u"});
  EXPECT_TRUE(absl::StrContains(narrow.out, "~/lib")) << narrow.out;
  EXPECT_TRUE(absl::StrContains(narrow.out, "2026-01-20 12:05")) << narrow.out;
  EXPECT_TRUE(absl::StrContains(narrow.out, "Fix the flaky")) << narrow.out;
}

TEST_F(ReportOutputTest, ToolDurationsReadLikeDurationsAndToolsHaveATotal) {
  CommandResult r = Report("tools", {"--tz", "UTC"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "54m 46s")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, " ms")) << r.out;
  const std::vector<std::string> lines = Lines(r.out);
  EXPECT_TRUE(absl::StartsWith(lines.back(), "Total")) << r.out;
}

TEST_F(ReportOutputTest, EveryUsageTableEndsWithATotalsRow) {
  for (const char* kind : {"daily", "weekly", "monthly", "session", "project"}) {
    CommandResult r = Report(kind, {"--tz", "UTC"}, {"COLUMNS=80"});
    bool total = false;
    for (const std::string& line : Lines(r.out)) total |= absl::StartsWith(line, "Total");
    EXPECT_TRUE(total) << kind << r.out;
  }
}

TEST_F(ReportOutputTest, BreakdownShowsOneRowPerModel) {
  CommandResult plain = Report("daily", {"--tz", "UTC", "--since", "2026-01-20"}, {"COLUMNS=200"});
  CommandResult r = Report("daily", {"--tz", "UTC", "--since", "2026-01-20", "--breakdown"}, {"COLUMNS=200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Per-model rows carry each model's own input: 300 (haiku) and 500 (sonnet).
  bool haiku = false, sonnet = false;
  for (const std::string& line : Lines(r.out)) {
    haiku |= absl::StrContains(line, "haiku-4-5") && absl::StrContains(line, " 300 ");
    sonnet |= absl::StrContains(line, "sonnet-4-5") && absl::StrContains(line, " 500 ");
  }
  EXPECT_TRUE(haiku && sonnet) << r.out;
  EXPECT_GT(Lines(r.out).size(), Lines(plain.out).size());
}

TEST_F(ReportOutputTest, OrderAscOrDesc) {
  CommandResult asc = Report("daily", {"--tz", "UTC", "--json"});
  CommandResult desc = Report("daily", {"--tz", "UTC", "--json", "--order", "desc"});
  ASSERT_EQ(desc.exit_code, 0) << desc.err;
  EXPECT_LT(asc.out.find("2026-01-14"), asc.out.find("2026-01-20"));
  EXPECT_GT(desc.out.find("2026-01-14"), desc.out.find("2026-01-20"));
  CommandResult sessions = Report("session", {"--tz", "UTC", "--json", "--order", "asc"});
  EXPECT_LT(sessions.out.find(kA), sessions.out.find(kB)) << sessions.out;
  sessions = Report("session", {"--tz", "UTC", "--json", "--order", "desc"});
  EXPECT_GT(sessions.out.find(kA), sessions.out.find(kB)) << sessions.out;
}

TEST_F(ReportOutputTest, PluralsAgreeWithTheirNumber) {
  TempDir dir;
  WriteFile(dir / "projects/-home-u-p/s-1.jsonl",
            Assistant("s-1", "/home/u/p", "u1", "2026-01-06T10:10:00.000Z", "claude-nova-9", 5, 6,
                      R"({"type":"text","text":"ok"})"));
  CommandResult replay = RunCco({"replay", dir / "projects", "--db", dir / "cco.db"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_TRUE(absl::StrContains(replay.out, "replayed 1 file, 1 line ")) << replay.out;
  EXPECT_TRUE(absl::StrContains(replay.out, "  1 message, 0 events,")) << replay.out;
  CommandResult r = RunCco({"report", "daily", "--db", dir / "cco.db", "--tz", "UTC"});
  EXPECT_TRUE(absl::StrContains(r.out, "1 API call used")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "claude-nova-9: 1 call ")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out + replay.out, "1 files")) << r.out;
}

}  // namespace
}  // namespace cco::testing

// The tool rollups (schema/0018, 0027, src/tool_rollups.h): kept
// incrementally by triggers, they equal their recompute from tool_executions
// after ingesting in pieces, after a rederive, after revisions written in SQL
// and under `cco check`, with no row left at 0; the daily rows equal the
// 15-minute rows summed per UTC day; the migrations' bins are DurationBin's;
// the tools report and timeline read from them keep exact counts and means
// in every zone and range, and their p95 is the nearest rank's bin.
#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "src/migrate.h"
#include "src/report.h"
#include "src/sqlite.h"
#include "src/status.h"
#include "src/tool_rollups.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

// Every rollup row (none may stay at 0 since migration 0027).
std::string StoredRollups(const std::string& db) {
  return QueryRows(db, "SELECT bucket_ms, tool_name, project_id, duration_bin, calls, errors, rejected, interrupted,"
                       " pending, duration_sum_ms FROM tool_rollups ORDER BY 1, 2, 3, 4");
}
std::string Recomputed(const std::string& db) {
  return QueryRows(db, absl::StrCat("SELECT * FROM (", kExpectedToolRollups, ") ORDER BY 1, 2, 3, 4"));
}
// The fixtures replayed into `db_path`, then every tool execution deleted
// (the triggers take their counts out): a read-write connection to it.
absl::StatusOr<Db> FixturesWithoutToolCalls(const std::string& db_path) {
  CommandResult r = RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", db_path});
  if (r.exit_code != 0) return absl::InternalError(r.err);
  ASSIGN_OR_RETURN(Db db, Db::Open(db_path, Db::Mode::kReadWrite));
  RETURN_IF_ERROR(db.Exec("DELETE FROM tool_executions"));
  return db;
}
// The index of the embedded migration whose name holds `part`.
size_t MigrationIndex(const char* part) {
  const std::vector<Migration>& all = EmbeddedMigrations();
  size_t i = 0;
  while (i < all.size() && all[i].name.find(part) == std::string::npos) ++i;
  return i;
}
// Where tool_rollups_daily differs from tool_rollups summed per UTC day;
// rows of either table at 0 count as differences too.
std::string DailyDifferences(const std::string& db) {
  return QueryRows(db, absl::StrCat(kToolRollupsDailyMismatches,
                                    " UNION ALL SELECT day_ms, tool_name, project_id, 'at 0', 0 FROM tool_rollups_daily"
                                    " WHERE calls = 0 UNION ALL SELECT bucket_ms, tool_name, project_id, 'at 0', 0"
                                    " FROM tool_rollups WHERE calls = 0"));
}

TEST(DurationBinTest, KeepsThreeSignificantDigits) {
  EXPECT_EQ(DurationBin(std::nullopt), -1);
  EXPECT_EQ(DurationBin(0), 0);
  EXPECT_EQ(DurationBin(999), 999);
  EXPECT_EQ(DurationBin(1000), 1000);
  EXPECT_EQ(DurationBin(3042), 3040);
  EXPECT_EQ(DurationBin(13200), 13200);
  EXPECT_EQ(DurationBin(106525), 106000);
  EXPECT_EQ(DurationBin(9999999), 9990000);
  EXPECT_EQ(DurationBin(123456789012), 123000000000);
}

// Lines split across two passes (each file's first half, then the rest
// appended, as Claude Code writes them): the triggers' running sums equal
// the recompute, and so after a rederive; cco check agrees.
TEST(ToolRollupsTest, IncrementalEqualsRecompute) {
  TempDir tmp;
  const std::string tree = tmp / "projects";
  fs::copy(std::string(CCO_FIXTURES_DIR) + "/projects", tree, fs::copy_options::recursive);
  std::vector<std::pair<std::string, std::string>> rest;
  for (const auto& entry : fs::recursive_directory_iterator(tree)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".jsonl") continue;
    const std::string content = ReadFile(entry.path());
    std::vector<std::string> lines = absl::StrSplit(content, '\n');
    std::string first, second;
    for (size_t i = 0; i + 1 < lines.size(); ++i) (i < lines.size() / 2 ? first : second) += lines[i] + "\n";
    if (!lines.back().empty()) second += lines.back();
    WriteFile(entry.path(), first);
    rest.emplace_back(entry.path(), second);
  }
  const std::string db = tmp / "cco.db";
  CommandResult r = RunCco({"rescan", "--root", tree, "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t calls_first = QueryInt(db, "SELECT coalesce(sum(calls), 0) FROM tool_rollups");
  for (const auto& [path, bytes] : rest) AppendFile(path, bytes);
  r = RunCco({"rescan", "--root", tree, "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t calls = QueryInt(db, "SELECT sum(calls) FROM tool_rollups");
  EXPECT_GT(calls, calls_first);  // the second pass revised and added executions
  EXPECT_EQ(calls, QueryInt(db, "SELECT count(*) FROM tool_executions WHERE use_message_id IS NOT NULL"
                                " AND tool_name IS NOT NULL AND started_ms IS NOT NULL"));
  const std::string recomputed = Recomputed(db);
  ASSERT_FALSE(recomputed.empty());
  EXPECT_EQ(StoredRollups(db), recomputed);
  EXPECT_EQ(DailyDifferences(db), "");
  EXPECT_GT(QueryInt(db, "SELECT count(*) FROM tool_rollups_daily"), 0);

  // A fresh replay of the whole tree gives the same rows.
  const std::string fresh = tmp / "fresh.db";
  r = RunCco({"replay", tree, "--db", fresh});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StoredRollups(fresh), StoredRollups(db));

  r = RunCco({"rederive", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StoredRollups(db), recomputed);
  EXPECT_EQ(DailyDifferences(db), "");
  r = RunCco({"check", "--db", db, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// The migration fills the table from the executions already stored (a
// database upgraded from before it): the rows equal their recompute.
TEST(ToolRollupsTest, MigrationFillsFromStoredExecutions) {
  TempDir tmp;
  const std::string db_path = tmp / "cco.db";
  ASSERT_EQ(RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", db_path}).exit_code, 0);
  const std::vector<Migration>& all = EmbeddedMigrations();
  const size_t mine = MigrationIndex("tool_rollups");
  ASSERT_LT(mine, all.size());
  auto db = Db::Open(db_path, Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  // Back to the schema before the migration (later migrations' objects stay;
  // they do not touch these).
  ASSERT_TRUE(db->Exec(absl::StrCat("DROP TRIGGER tool_rollups_insert; DROP TRIGGER tool_rollups_update;"
                                    " DROP TRIGGER tool_rollups_delete; DROP VIEW tool_rollup_changes;"
                                    " DROP TABLE tool_rollups; DELETE FROM schema_migrations WHERE name >= '",
                                    all[mine].name, "'"))
                  .ok());
  ASSERT_GT(QueryInt(db_path, "SELECT count(*) FROM tool_executions"), 0);
  const std::vector<Migration> through_mine(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(mine) + 1);
  ASSERT_TRUE(Migrate(*db, through_mine).ok());
  const std::string recomputed = Recomputed(db_path);
  ASSERT_FALSE(recomputed.empty());
  EXPECT_EQ(StoredRollups(db_path), recomputed);
}

// The triggers bin as DurationBin does, and a revised execution moves its
// count to its new status and bin.
TEST(ToolRollupsTest, TriggersBinAndRevise) {
  TempDir tmp;
  const std::string db_path = tmp / "cco.db";
  // Every execution out (the triggers take their counts out, and the rows
  // at 0 with them), then ours.
  auto db = FixturesWithoutToolCalls(db_path);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups"), 0);
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups_daily"), 0);
  const std::vector<int64_t> durations = {0, 5, 999, 1000, 3042, 13200, 106525, 9999999, 123456789012};
  for (size_t i = 0; i < durations.size(); ++i) {
    ASSERT_TRUE(db->Exec(absl::StrCat("INSERT INTO tool_executions(tool_use_id, project_id, use_message_id, tool_name,"
                                      " status, started_ms, duration_ms) VALUES ('t", i, "',"
                                      " (SELECT min(id) FROM projects), (SELECT min(id) FROM messages), 'Bash', 'success',",
                                      1000 + i, ", ", durations[i], ")"))
                    .ok());
  }
  for (size_t i = 0; i < durations.size(); ++i) {
    EXPECT_EQ(QueryInt(db_path, absl::StrCat("SELECT sum(calls) FROM tool_rollups WHERE duration_bin = ",
                                             DurationBin(durations[i]))),
              1)
        << durations[i];
  }
  ASSERT_TRUE(db->Exec("UPDATE tool_executions SET status = 'error', duration_ms = NULL WHERE tool_use_id = 't4'").ok());
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups WHERE duration_bin = 3040"), 0);  // gone, not 0
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups_daily WHERE durations LIKE '%\"3040\"%'"), 0);
  EXPECT_EQ(QueryInt(db_path, "SELECT sum(errors) FROM tool_rollups WHERE duration_bin = -1"), 1);
  ASSERT_TRUE(db->Exec("DELETE FROM tool_executions WHERE tool_use_id = 't4'").ok());
  EXPECT_EQ(QueryInt(db_path, "SELECT sum(calls) FROM tool_rollups"), static_cast<int64_t>(durations.size() - 1));
  EXPECT_EQ(StoredRollups(db_path), Recomputed(db_path));
  EXPECT_EQ(DailyDifferences(db_path), "");

  // The report: exact count and mean, p95 the nearest rank's bin.
  ReportFilter all;
  ToolRow total;
  auto rows = ToolReport(*db, all, &total);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].calls, 8);
  double sum = 0;
  for (size_t i = 0; i < durations.size(); ++i) {
    if (i != 4) sum += static_cast<double>(durations[i]);
  }
  EXPECT_DOUBLE_EQ((*rows)[0].mean_ms, sum / 8);
  EXPECT_EQ((*rows)[0].p95_ms, 123000000000);  // rank 8 of 8

  // A negative duration (only a script writes one) counts as a call, and
  // stays out of the mean and the p95, as an unknown one does; the daily
  // rows agree with the 15-minute ones on it.
  ASSERT_TRUE(db->Exec("INSERT INTO tool_executions(tool_use_id, project_id, use_message_id, tool_name, status,"
                       " started_ms, duration_ms) VALUES ('negative', (SELECT min(id) FROM projects),"
                       " (SELECT min(id) FROM messages), 'Bash', 'success', 2000, -5)")
                  .ok());
  EXPECT_EQ(DailyDifferences(db_path), "");
  rows = ToolReport(*db, all, &total);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].calls, 9);
  EXPECT_DOUBLE_EQ((*rows)[0].mean_ms, sum / 8);
  EXPECT_EQ((*rows)[0].p95_ms, 123000000000);
}

// The migration (0027) on a database that holds no tool call: the tables
// are there and empty, and `cco check` agrees.
TEST(ToolRollupsTest, DailyMigrationOnAnEmptyDatabase) {
  TempDir tmp;
  const std::string db_path = tmp / "cco.db";
  const std::vector<Migration>& all = EmbeddedMigrations();
  const size_t mine = MigrationIndex("tool_rollups_daily");
  ASSERT_LT(mine, all.size());
  {
    auto db = Db::Open(db_path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    const std::vector<Migration> before_mine(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(mine));
    ASSERT_TRUE(Migrate(*db, before_mine).ok());
    ASSERT_EQ(QueryInt(db_path, "SELECT count(*) FROM sqlite_master WHERE name = 'tool_rollups_daily'"), 0);
    ASSERT_TRUE(Migrate(*db, all).ok());
  }
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups_daily"), 0);
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups"), 0);
  ExpectCheckPasses(db_path);
}

// A database from before 0027, whose revisions left rows at 0 behind: the
// migration deletes them and fills the daily rows from the 15-minute ones.
TEST(ToolRollupsTest, DailyMigrationDeletesRowsAtZeroAndFillsTheDays) {
  TempDir tmp;
  const std::string db_path = tmp / "cco.db";
  ASSERT_EQ(RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", db_path}).exit_code, 0);
  const std::vector<Migration>& all = EmbeddedMigrations();
  const size_t rollups = MigrationIndex("_tool_rollups.sql"), daily = MigrationIndex("tool_rollups_daily");
  ASSERT_LT(rollups, all.size());
  ASSERT_LT(daily, all.size());
  // 0018's trigger as it was, which leaves rows at 0 (the migrations after
  // 0027 are applied again too).
  const std::string& sql = all[rollups].sql;
  const size_t from = sql.find("CREATE TRIGGER tool_rollup_changes_apply");
  const size_t to = sql.find("\nEND;", from);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  auto db = Db::Open(db_path, Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(db->Exec(absl::StrCat("DROP VIEW tool_rollup_deltas; DROP TABLE tool_rollups_daily;"
                                    " DROP TRIGGER tool_rollup_changes_apply; ", sql.substr(from, to + 5 - from),
                                    "; DELETE FROM schema_migrations WHERE name >= '", all[daily].name, "'"))
                  .ok());
  // Revisions: every execution moves to another bin or status.
  ASSERT_TRUE(db->Exec("UPDATE tool_executions SET duration_ms = coalesce(duration_ms * 2 + 7, 5),"
                       " status = CASE status WHEN 'pending' THEN 'success' ELSE status END")
                  .ok());
  ASSERT_GT(QueryInt(db_path, "SELECT count(*) FROM tool_rollups WHERE calls = 0"), 0);

  const absl::Status migrated = Migrate(*db);
  ASSERT_TRUE(migrated.ok()) << migrated;
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups WHERE calls = 0"), 0);
  const std::string recomputed = Recomputed(db_path);
  ASSERT_FALSE(recomputed.empty());
  EXPECT_EQ(StoredRollups(db_path), recomputed);
  EXPECT_EQ(DailyDifferences(db_path), "");
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups_daily"),
            QueryInt(db_path, "SELECT count(*) FROM (SELECT DISTINCT started_ms - ((started_ms % 86400000) + 86400000)"
                              " % 86400000, tool_name, project_id FROM tool_executions WHERE use_message_id IS NOT NULL"
                              " AND tool_name IS NOT NULL AND started_ms IS NOT NULL AND project_id IS NOT NULL)"));
}

// A daily row that disagrees with the 15-minute rows is found, by the
// comparison and by `cco check`.
TEST(ToolRollupsTest, CheckFindsADailyRowThatDisagrees) {
  TempDir tmp;
  const std::string db_path = tmp / "cco.db";
  ASSERT_EQ(RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", db_path}).exit_code, 0);
  ASSERT_EQ(DailyDifferences(db_path), "");
  ExpectCheckPasses(db_path);
  {
    auto db = Db::Open(db_path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    // One call moved to another bin: the counts still agree, the bins not.
    ASSERT_TRUE(db->Exec("UPDATE tool_rollups_daily SET durations = json_set(json_remove(durations, '$.\"' || (SELECT"
                         " key FROM json_each(durations) LIMIT 1) || '\"'), '$.\"123456\"', (SELECT value FROM"
                         " json_each(durations) LIMIT 1)) WHERE (day_ms, tool_name, project_id) = (SELECT day_ms,"
                         " tool_name, project_id FROM tool_rollups_daily WHERE durations != '{}' LIMIT 1)")
                    .ok());
  }
  EXPECT_NE(DailyDifferences(db_path), "");
  CommandResult r = RunCco({"check", "--db", db_path});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE((r.out + r.err).find("tool_rollups_daily"), std::string::npos) << r.out << r.err;
}

// One stored execution, as a report counts it.
struct Call {
  std::string tool;
  int64_t project = 0;
  std::string status;
  int64_t started_ms = 0;
  std::optional<int64_t> duration_ms;
};

// Every row of `calls` that `filter` selects, in tool-name order, tallied
// as the team server tallies executions (exact durations; p95 the nearest
// rank's bin).
std::vector<ToolRow> Tally(std::vector<const Call*> calls, ToolRow* total) {
  std::stable_sort(calls.begin(), calls.end(), [](const Call* a, const Call* b) { return a->tool < b->tool; });
  ToolTally tally;
  for (const Call* c : calls) tally.Add(c->tool, c->status, c->duration_ms);
  return tally.Finish(total);
}

void ExpectSameRow(const ToolRow& got, const ToolRow& want, const std::string& where) {
  EXPECT_EQ(got.tool, want.tool) << where;
  EXPECT_EQ(got.calls, want.calls) << where << " " << want.tool;
  EXPECT_EQ(got.errors, want.errors) << where << " " << want.tool;
  EXPECT_EQ(got.rejected, want.rejected) << where << " " << want.tool;
  EXPECT_EQ(got.interrupted, want.interrupted) << where << " " << want.tool;
  EXPECT_EQ(got.pending, want.pending) << where << " " << want.tool;
  EXPECT_NEAR(got.mean_ms, want.mean_ms, 1e-9 * std::max(1.0, want.mean_ms)) << where << " " << want.tool;
  EXPECT_EQ(got.p95_ms, want.p95_ms) << where << " " << want.tool;
}

// Calls written straight into tool_executions (as a script would) over six
// weeks around two DST changes, with calls on and next to the midnights of
// the zones below, then revised: moved in time, to another project, tool,
// status or duration, and deleted. The rollups equal their recompute; the
// report and the timeline, in zones with whole, :30 and :45 offsets (one
// of them changing by 30 minutes), over whole and partial ranges and with
// project filters, give the counts and means of a direct scan of
// tool_executions, and the p95 of its nearest rank cut to its bin: at most
// 1 % below the exact value.
TEST(ToolRollupsTest, ReportsInEveryZoneEqualADirectScan) {
  TempDir tmp;
  const std::string db_path = tmp / "cco.db";
  auto db = FixturesWithoutToolCalls(db_path);
  ASSERT_TRUE(db.ok()) << db.status();
  const int64_t p1 = QueryInt(db_path, "SELECT min(id) FROM projects");
  const int64_t p2 = QueryInt(db_path, "SELECT max(id) FROM projects");
  ASSERT_NE(p1, p2);
  const int64_t message = QueryInt(db_path, "SELECT min(id) FROM messages");

  std::mt19937_64 rng(20261201);
  const std::vector<std::string> tools = {"Bash", "Read", "Edit", "mcp__a_long_server_name__a_long_tool_name"};
  const std::vector<std::string> statuses = {"success", "success", "success", "error", "rejected", "interrupted",
                                             "pending"};
  const int64_t first_day = absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(2026, 2, 28), absl::UTCTimeZone()));
  constexpr int64_t kDay = 86400000, kMinute = 60000;
  auto random_call = [&](int64_t started_ms) {
    Call c;
    c.tool = tools[rng() % tools.size()];
    c.project = rng() % 3 == 0 ? p2 : p1;
    c.status = statuses[rng() % statuses.size()];
    if (c.status != "pending" && rng() % 10 != 0) {
      // Log-uniform from 1 ms to about 17 minutes.
      c.duration_ms = static_cast<int64_t>(std::exp(std::uniform_real_distribution<double>(0, 13.8)(rng)));
    }
    c.started_ms = started_ms;
    return c;
  };
  std::vector<Call> calls;
  for (int i = 0; i < 3000; ++i) calls.push_back(random_call(first_day + static_cast<int64_t>(rng() % (44 * kDay))));
  // On and next to the midnights: UTC, +5:30, +5:45, -3:30 / -2:30, +10:30 / +11.
  for (int64_t day = first_day; day < first_day + 44 * kDay; day += kDay) {
    for (int64_t at : {0L, 18 * 60L + 30, 18 * 60L + 15, 3 * 60L + 30, 2 * 60L + 30, 13 * 60L + 30, 13 * 60L}) {
      for (int64_t delta : {-1L, 0L, 1L}) calls.push_back(random_call(day + at * kMinute + delta));
    }
  }
  {
    ASSERT_TRUE(db->Exec("BEGIN").ok());
    auto insert = db->Prepare("INSERT INTO tool_executions(tool_use_id, project_id, use_message_id, tool_name, status,"
                              " started_ms, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    ASSERT_TRUE(insert.ok()) << insert.status();
    for (size_t i = 0; i < calls.size(); ++i) {
      const Call& c = calls[i];
      insert->Bind(1, absl::StrCat("t", i)).Bind(2, c.project).Bind(3, message).Bind(4, c.tool).Bind(5, c.status);
      insert->Bind(6, c.started_ms).BindOptional(7, c.duration_ms);
      ASSERT_TRUE(insert->Run().ok());
    }
    ASSERT_TRUE(db->Exec("COMMIT").ok());
  }
  // Revisions, by SQL: results arrive, calls move, change tool and project, go.
  ASSERT_TRUE(db->Exec("UPDATE tool_executions SET status = 'success', duration_ms = 4321"
                       " WHERE status = 'pending' AND id % 2 = 0;"
                       "UPDATE tool_executions SET started_ms = started_ms + 37 * 60000 WHERE id % 7 = 0;"
                       "UPDATE tool_executions SET project_id = " + std::to_string(p2) + " WHERE id % 11 = 0;"
                       "UPDATE tool_executions SET tool_name = 'Grep', duration_ms = duration_ms + 1 WHERE id % 13 = 0;"
                       "DELETE FROM tool_executions WHERE id % 17 = 0;")
                  .ok());
  ASSERT_EQ(StoredRollups(db_path), Recomputed(db_path));
  ASSERT_EQ(DailyDifferences(db_path), "");

  // What is stored now, read back.
  calls.clear();
  {
    auto s = db->Prepare("SELECT tool_name, project_id, status, started_ms, duration_ms FROM tool_executions");
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE(s->ForEachRow([&calls](const Stmt& r) {
                   calls.push_back(Call{r.ColumnText(0), r.ColumnInt(1), r.ColumnText(2), r.ColumnInt(3),
                                        r.ColumnOptionalInt(4)});
                   return true;
                 }).ok());
  }
  ASSERT_GT(calls.size(), 3000u);

  struct Range {
    std::optional<absl::CivilDay> since, until;
  };
  const std::vector<Range> ranges = {{std::nullopt, std::nullopt},
                                     {absl::CivilDay(2026, 3, 5), absl::CivilDay(2026, 3, 20)},
                                     {absl::CivilDay(2026, 3, 7), std::nullopt},
                                     {std::nullopt, absl::CivilDay(2026, 4, 1)},
                                     {absl::CivilDay(2026, 3, 8), absl::CivilDay(2026, 3, 8)},
                                     {absl::CivilDay(2026, 4, 5), absl::CivilDay(2026, 4, 5)}};
  int reports = 0, days_compared = 0;
  for (const char* zone : {"UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe"}) {
    absl::TimeZone tz;
    ASSERT_TRUE(absl::LoadTimeZone(zone, &tz)) << zone;
    for (const Range& range : ranges) {
      for (const std::vector<int64_t>& projects : std::vector<std::vector<int64_t>>{{}, {p1}, {p2}, {p1, p2}}) {
        ReportFilter filter;
        filter.tz = tz;
        filter.since = range.since;
        filter.until = range.until;
        filter.restrict_projects = !projects.empty();
        filter.project_ids = projects;
        const int64_t start = range.since ? absl::ToUnixMillis(absl::FromCivil(*range.since, tz)) : INT64_MIN;
        const int64_t end = range.until ? absl::ToUnixMillis(absl::FromCivil(*range.until + 1, tz)) : INT64_MAX;
        std::vector<const Call*> selected;
        std::map<std::pair<absl::CivilDay, std::string>, std::vector<const Call*>> by_day;
        for (const Call& c : calls) {
          if (c.started_ms < start || c.started_ms >= end) continue;
          if (!projects.empty() && std::find(projects.begin(), projects.end(), c.project) == projects.end()) continue;
          selected.push_back(&c);
          by_day[{absl::ToCivilDay(absl::FromUnixMillis(c.started_ms), tz), c.tool}].push_back(&c);
        }
        const std::string where = absl::StrCat(zone, " ", range.since ? absl::FormatCivilTime(*range.since) : "-",
                                               " ", range.until ? absl::FormatCivilTime(*range.until) : "-", " ",
                                               absl::StrJoin(projects, ","));
        ToolRow want_total, got_total;
        const std::vector<ToolRow> want = Tally(selected, &want_total);
        auto got = ToolReport(*db, filter, &got_total);
        ASSERT_TRUE(got.ok()) << got.status();
        ASSERT_EQ(got->size(), want.size()) << where;
        for (size_t i = 0; i < want.size(); ++i) ExpectSameRow((*got)[i], want[i], where);
        ExpectSameRow(got_total, want_total, where);
        ++reports;
        // The p95 against the exact one: its bin, at most 1 % below.
        std::vector<int64_t> durations;
        for (const Call* c : selected) {
          if (c->duration_ms.has_value()) durations.push_back(*c->duration_ms);
        }
        if (!durations.empty()) {
          std::sort(durations.begin(), durations.end());
          const int64_t exact = durations[std::max<size_t>(1, (durations.size() * 95 + 99) / 100) - 1];
          EXPECT_LE(got_total.p95_ms, exact) << where;
          EXPECT_GE(got_total.p95_ms * 100, exact * 99) << where;
        }

        auto timeline = ToolTimeline(*db, filter);
        ASSERT_TRUE(timeline.ok()) << timeline.status();
        ASSERT_EQ(timeline->size(), by_day.size()) << where;
        size_t i = 0;
        for (const auto& [key, day_calls] : by_day) {
          const ToolDayRow& row = (*timeline)[i++];
          EXPECT_EQ(row.day, absl::FormatCivilTime(key.first)) << where;
          std::vector<ToolRow> one = Tally(day_calls, nullptr);
          ASSERT_EQ(one.size(), 1u);
          ExpectSameRow(row.tool, one[0], absl::StrCat(where, " on ", row.day));
          ++days_compared;
        }
      }
    }
  }
  EXPECT_EQ(reports, 5 * 6 * 4);
  EXPECT_GT(days_compared, 1000);
}

}  // namespace
}  // namespace cco::testing

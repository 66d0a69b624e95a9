// The tool rollups (schema/0018, src/tool_rollups.h): kept incrementally by
// triggers, they equal their recompute from tool_executions after ingesting
// in pieces, after a rederive and under `cco check`; the migration's bins
// are DurationBin's; the tools report read from them keeps exact counts and
// means, and its p95 is the nearest rank's bin.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "src/migrate.h"
#include "src/report.h"
#include "src/sqlite.h"
#include "src/tool_rollups.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

// The rollup rows that count (a row whose counts fell back to 0 may stay).
std::string StoredRollups(const std::string& db) {
  return QueryRows(db, "SELECT bucket_ms, tool_name, project_id, duration_bin, calls, errors, rejected, interrupted,"
                       " pending, duration_sum_ms FROM tool_rollups WHERE calls != 0 OR duration_sum_ms != 0"
                       " ORDER BY 1, 2, 3, 4");
}
std::string Recomputed(const std::string& db) {
  return QueryRows(db, absl::StrCat("SELECT * FROM (", kExpectedToolRollups, ") ORDER BY 1, 2, 3, 4"));
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

  // A fresh replay of the whole tree gives the same rows.
  const std::string fresh = tmp / "fresh.db";
  r = RunCco({"replay", tree, "--db", fresh});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StoredRollups(fresh), StoredRollups(db));

  r = RunCco({"rederive", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StoredRollups(db), recomputed);
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
  size_t mine = 0;
  while (mine < all.size() && all[mine].name.find("tool_rollups") == std::string::npos) ++mine;
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
  ASSERT_EQ(RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", db_path}).exit_code, 0);
  auto db = Db::Open(db_path, Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  // Every execution out (the triggers take their counts out too), then ours.
  ASSERT_TRUE(db->Exec("DELETE FROM tool_executions").ok());
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM tool_rollups WHERE calls != 0 OR duration_sum_ms != 0"), 0);
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
  EXPECT_EQ(QueryInt(db_path, "SELECT sum(calls) FROM tool_rollups WHERE duration_bin = 3040"), 0);
  EXPECT_EQ(QueryInt(db_path, "SELECT sum(errors) FROM tool_rollups WHERE duration_bin = -1"), 1);
  ASSERT_TRUE(db->Exec("DELETE FROM tool_executions WHERE tool_use_id = 't4'").ok());
  EXPECT_EQ(QueryInt(db_path, "SELECT sum(calls) FROM tool_rollups"), static_cast<int64_t>(durations.size() - 1));
  EXPECT_EQ(StoredRollups(db_path), Recomputed(db_path));

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
}

}  // namespace
}  // namespace cco::testing

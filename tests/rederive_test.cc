// cco rederive: every derived table rebuilt from the stored lines with
// today's rules and prices — equal to a fresh ingest, run by itself after an
// upgrade that asks for it, all or nothing, under the writer lock, and
// naming what is still unpriced.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/daemon/lock.h"
#include "src/migrate.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

constexpr char kSession[] = "33333333-3333-4333-8333-333333333333";

// Runs `sql` on a connection of the test's own (as another program would).
void ExecSql(const std::string& db_path, const std::string& sql) {
  auto db = Db::Open(db_path, Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::Status done = db->Exec(sql);
  EXPECT_TRUE(done.ok()) << done;
}

std::string Line(const std::string& uuid, const std::string& msg_id, const std::string& model, int64_t input,
                 const std::string& ts, const std::string& extra_usage = "") {
  return absl::StrCat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/u/p","sessionId":")", kSession,
      R"(","version":"2.1.0","type":"assistant","message":{"model":")", model, R"(","id":")", msg_id,
      R"(","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn",)",
      R"("usage":{"input_tokens":)", input, R"(,"output_tokens":0)", extra_usage, R"(}},"requestId":"req_)", msg_id,
      R"(","uuid":")", uuid, R"(","timestamp":")", ts, "\"}\n");
}

// Every derived table by natural keys (no row ids), for comparing databases.
std::string DerivedDump(const std::string& db) {
  std::string out;
  for (const char* q : {
           "SELECT dedup_key, substr(path, instr(path, '/projects/')), byte_offset, input_tokens, output_tokens,"
           " cache_creation_tokens, cache_read_tokens, cost_nanousd, priced, timestamp_ms, model, dsids"
           " FROM usage_winners WHERE dedup_key NOT LIKE 'line:%' ORDER BY 1",
           "SELECT count(*), sum(cost_nanousd), sum(input_tokens) FROM usage_winners WHERE dedup_key LIKE 'line:%'",
           "SELECT a.bucket_ms, p.dir_name, a.model, a.metric, a.value FROM analytics a"
           " JOIN projects p ON p.id = a.project_id WHERE a.value != 0 ORDER BY 1, 2, 3, 4",
           "SELECT r.bucket_ms, p.dir_name, r.model, r.input_tokens, r.output_tokens, r.cache_creation_tokens,"
           " r.cache_read_tokens, r.cost_nanousd, r.api_calls, r.unpriced_calls FROM token_rollups r"
           " JOIN projects p ON p.id = r.project_id WHERE r.api_calls != 0 ORDER BY 1, 2, 3",
           "SELECT * FROM token_rollups_hourly WHERE api_calls != 0 ORDER BY 1, 2",
           "SELECT report_session, model, input_tokens, output_tokens, cost_nanousd, api_calls, unpriced_calls"
           " FROM session_token_rollups WHERE api_calls != 0 ORDER BY 1, 2",
           "SELECT session_id, message_count, tool_use_count, total_tokens, started_ms, ended_ms, title, title_source"
           " FROM conversations ORDER BY 1",
           "SELECT tool_use_id, tool_name, status, started_ms, completed_ms, duration_ms, output FROM tool_executions"
           " ORDER BY 1",
           "SELECT leaf_uuid, title, source FROM pending_titles ORDER BY 1, 2"}) {
    out += QueryRows(db, q) + "\n--\n";
  }
  return out;
}

TEST(RederiveTest, EqualsAFreshIngestOnFixturesAndCorpus) {
  std::vector<std::string> trees = {CCO_FIXTURES_DIR};
  if (!CorpusDir().empty()) trees.push_back(CorpusDir() + "/projects");
  for (const std::string& tree : trees) {
    SCOPED_TRACE(tree);
    TempDir dir;
    const std::string db = dir / "t.db";
    ASSERT_EQ(RunCco({"replay", tree, "--db", db}).exit_code, 0);
    const std::string fresh = DerivedDump(db);
    CommandResult r = RunCco({"rederive", "--db", db, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_GT(JsonInt(r.out, "messages"), 0);
    EXPECT_EQ(JsonInt(r.out, "unparsable"), 0);
    EXPECT_EQ(JsonInt(r.out, "rows_updated"), 0);
    EXPECT_TRUE(DerivedDump(db) == fresh) << "rederive changed the derived data of a fresh database";
    EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
  }
}

// The price table learning a model (a migration adds its price and a
// rederive request) after the transcripts are gone: the next writing
// command prices what is stored.
TEST(RederiveTest, UnknownModelIsPricedOnceThePriceTableLearnsIt) {
  TempDir dir;
  const std::string root = dir / "projects";
  const std::string db = dir / "t.db";
  const std::string file = root + "/-home-u-p/" + kSession + ".jsonl";
  WriteFile(file, Line("u1", "msg_N", "claude-nova-9", 1000000, "2026-01-06T10:00:00.000Z"));
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  CommandResult before = RunCco({"report", "daily", "--tz", "UTC", "--db", db, "--json"});
  EXPECT_NE(before.out.find("\"unpricedCalls\":1"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("\"unpricedModels\":[\"claude-nova-9\"]"), std::string::npos) << before.out;
  CommandResult listed = RunCco({"rederive", "--db", db});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("claude-nova-9: 1 call, 1,000,000 tokens"), std::string::npos) << listed.out;

  std::filesystem::remove(file);  // 30 days later
  ExecSql(db,
          "INSERT INTO model_prices(model, input_per_mtok, output_per_mtok, cache_write_5m_per_mtok,"
          " cache_write_1h_per_mtok, cache_read_per_mtok, fast_multiplier, source, as_of)"
          " VALUES ('claude-nova-9', 7, 35, 8.75, 14, 0.7, 1.0, 'test', '2026-12-01');"
          "INSERT INTO rederive_requests(reason) VALUES ('test: claude-nova-9 priced')");
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM rederive_requests"), 0);
  CommandResult after = RunCco({"report", "daily", "--tz", "UTC", "--db", db, "--json"});
  EXPECT_EQ(after.out.find("unpricedCalls"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("\"totalCost\":7"), std::string::npos) << after.out;
  CommandResult json = RunCco({"rederive", "--db", db, "--json"});
  EXPECT_NE(json.out.find("\"unpriced_models\":[]"), std::string::npos) << json.out;
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

// A database written before migration 0005 (old prices, old rules, derived
// data to match) is rebuilt by the first writing command of this version.
TEST(RederiveTest, UpgradeRebuildsWithTheNewRulesAndPrices) {
  TempDir dir;
  const std::string db = dir / "old.db";
  {
    auto conn = Db::Open(db, Db::Mode::kReadWrite);
    ASSERT_TRUE(conn.ok()) << conn.status();
    std::vector<Migration> old(EmbeddedMigrations().begin(), EmbeddedMigrations().begin() + 4);
    ASSERT_EQ(old.back().name, "0004_refusals.sql");
    ASSERT_TRUE(Migrate(*conn, old).ok());
  }
  const std::string path = absl::StrCat(dir.path(), "/projects/-home-u-p/", kSession, ".jsonl");
  const std::string fast = Line("u1", "msg_F", "claude-opus-4-6-20260205", 1000000, "2026-02-10T10:00:00.000Z",
                                R"(,"speed":"fast")");
  std::string notice = Line("u2", "msg_X", "<synthetic>", 0, "2026-02-10T10:01:00.000Z");
  notice.insert(notice.size() - 2, R"(,"isApiErrorMessage":true)");
  auto quoted = [](std::string s) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  // Rows as the old version stored them, and its derived data: the fast
  // call at 1x ($5) and the notice as an unpriced call.
  ExecSql(db, absl::StrCat(
      "INSERT INTO projects(id, dir_name, cwd, first_seen_ms) VALUES (1, '-home-u-p', '/home/u/p', 0);"
      "INSERT INTO conversations(id, session_id, project_id, message_count, total_tokens, started_ms, ended_ms)"
      " VALUES (1, '", kSession, "', 1, 2, 1000000, 1770717600000, 1770717660000);"
      "INSERT INTO streams(id, name) VALUES (1, '-home-u-p/", kSession, ".jsonl');"
      "INSERT INTO files(id, path, root, project_id, stream_id, session_id, report_session, dev, inode, size,"
      " mtime_ns, first_seen_ms, updated_ms, line_count) VALUES (1, ", quoted(path), ", '", dir.path(),
      "/projects', 1, 1, '", kSession, "', '", kSession, "', 1, 1, 0, 0, 0, 0, 2);"
      "INSERT INTO messages(conversation_id, file_id, stream_id, generation, byte_offset, line_hash, uuid, type,"
      " timestamp_ms, model, api_message_id, request_id, input_tokens, output_tokens, cache_creation_tokens,"
      " cache_read_tokens, content, raw) VALUES"
      " (1, 1, 1, 1, 0, 11, 'u1', 'assistant', 1770717600000, 'claude-opus-4-6-20260205', 'msg_F', 'req_msg_F',"
      "  1000000, 0, 0, 0, 'ok', ", quoted(fast), "),"
      " (1, 1, 1, 1, ", fast.size(), ", 12, 'u2', 'assistant', 1770717660000, '<synthetic>', 'msg_X',"
      "  'req_msg_X', 0, 0, 0, 0, 'ok', ", quoted(notice), ");"
      "INSERT INTO usage_winners(dedup_key, api_message_id, request_id, dsids, source, source_id, conversation_id,"
      " project_id, report_session, path, byte_offset, is_sidechain, has_speed, timestamp_ms, model, input_tokens,"
      " output_tokens, cache_creation_tokens, cache_read_tokens, cost_nanousd, priced) VALUES"
      " ('r:msg_F:req_msg_F', 'msg_F', 'req_msg_F', '", kSession, "', 'message', 1, 1, 1, '", kSession, "', ",
      quoted(path), ", 0, 0, 1, 1770717600000, 'claude-opus-4-6-20260205-fast', 1000000, 0, 0, 0, 5000000000, 1),"
      " ('r:msg_X:req_msg_X', 'msg_X', 'req_msg_X', '", kSession, "', 'message', 2, 1, 1, '", kSession, "', ",
      quoted(path), ", ", fast.size(), ", 0, 0, 1770717660000, '<synthetic>', 0, 0, 0, 0, 0, 0);"
      "INSERT INTO token_rollups_hourly(hour_ms, model, input_tokens, cost_nanousd, api_calls, unpriced_calls) VALUES"
      " (1770717600000, 'claude-opus-4-6-20260205-fast', 1000000, 5000000000, 1, 0),"
      " (1770717600000, '<synthetic>', 0, 0, 1, 1);"));
  ASSERT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 2);

  // The first writing command of this version migrates and rebuilds.
  const std::string empty_root = dir / "empty/projects";
  std::filesystem::create_directories(empty_root);
  CommandResult rescan = RunCco({"rescan", "--root", empty_root, "--db", db});
  ASSERT_EQ(rescan.exit_code, 0) << rescan.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM rederive_requests"), 0);
  CommandResult report = RunCco({"report", "daily", "--tz", "UTC", "--db", db, "--json"});
  EXPECT_NE(report.out.find("\"totalCost\":30"), std::string::npos) << report.out;
  EXPECT_EQ(report.out.find("unpricedCalls"), std::string::npos) << report.out;
  EXPECT_EQ(QueryInt(db, "SELECT sum(api_calls) FROM token_rollups_hourly"), 1);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

// All or nothing: a rederive that fails half-way (here a trigger refuses the
// first tool execution it writes) leaves the derived data and the request
// as they were; the next run does it all.
TEST(RederiveTest, AFailedRederiveChangesNothingAndIsDoneAgain) {
  TempDir dir;
  const std::string db = dir / "t.db";
  ASSERT_EQ(RunCco({"replay", CCO_FIXTURES_DIR, "--db", db}).exit_code, 0);
  const std::string before = DerivedDump(db);
  ASSERT_GT(QueryInt(db, "SELECT count(*) FROM tool_executions"), 0);
  ExecSql(db, "INSERT INTO rederive_requests(reason) VALUES ('test');"
              "CREATE TRIGGER refuse AFTER INSERT ON tool_executions BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  CommandResult failed = RunCco({"rederive", "--db", db});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("refused"), std::string::npos) << failed.err;
  EXPECT_TRUE(DerivedDump(db) == before);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM rederive_requests"), 1);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
  ExecSql(db, "DROP TRIGGER refuse");
  ASSERT_EQ(RunCco({"rederive", "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM rederive_requests"), 0);
  EXPECT_TRUE(DerivedDump(db) == before);
}

// A line count that disagrees with the stored rows (a count an older
// version left wrong) is for `cco check` to report: it does not stop a
// rebuild of derived data, or the writing commands that run one.
TEST(RederiveTest, ALineCountMismatchDoesNotBlockTheRebuild) {
  TempDir dir;
  const std::string db = dir / "t.db";
  ASSERT_EQ(RunCco({"replay", CCO_FIXTURES_DIR, "--db", db}).exit_code, 0);
  ExecSql(db, "UPDATE files SET line_count = line_count + 1 WHERE id = (SELECT min(id) FROM files);"
              "INSERT INTO rederive_requests(reason) VALUES ('test');");
  CommandResult r = RunCco({"rederive", "--db", db});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM rederive_requests"), 0);
  CommandResult check = RunCco({"check", "--db", db});
  EXPECT_EQ(check.exit_code, 1) << check.out;
  EXPECT_NE(check.out.find("consumed"), std::string::npos) << check.out;
}

TEST(RederiveTest, TakesTheWriterLock) {
  TempDir dir;
  const std::string db = dir / "t.db";
  ASSERT_EQ(RunCco({"replay", CCO_FIXTURES_DIR, "--db", db}).exit_code, 0);
  auto lock = WriterLock::Acquire(db);
  ASSERT_TRUE(lock.ok()) << lock.status();
  CommandResult r = RunCco({"rederive", "--db", db});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(RunCco({"rederive", "--db", dir / "missing.db"}).exit_code, 2);
}

}  // namespace
}  // namespace cco::testing

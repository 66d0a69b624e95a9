// Crash safety and the single-writer lock, with real processes.
//
// KillTest: `cco rescan` over a generated tree of ~300 MB is SIGKILLed 24
// times inside an open batch (rows applied, COMMIT not run: the test hook
// CCO_TEST_STOP_IN_BATCH announces the moment, so no kill depends on the
// machine's speed) and a few times while starting, restarted each time so it
// continues, then finished by an uninterrupted run. The database must equal the one a single
// uninterrupted run builds: same rows (count and an order-independent digest
// of every row's identifying columns and raw line), same files state, and
// `PRAGMA integrity_check` = ok. The seed of the random batches is printed
// so that a failure can be replayed (CCO_KILL_TEST_SEED); CCO_KILL_TEST_MB
// changes the tree size.
//
// WriterLockTest: a second writer is refused (exit 3) with a message naming
// the holder's pid, whether the holder is a running rescan or another
// process holding the lock; the lock dies with its holder.

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "src/sql_functions.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "src/hash.h"
#include "src/maintenance.h"
#include "src/sqlite.h"
#include "tests/ci_summary.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoll(v, nullptr, 10) : fallback;
}

// Generates a transcript tree under dir/projects; returns "" on success.
std::string Generate(const std::string& dir, int64_t size_mb, uint64_t seed) {
  CommandResult r = RunCommand({CCO_GEN_BINARY, "--out", dir, "--seed", std::to_string(seed), "--size-mb",
                                std::to_string(size_mb), "--with-subagents"});
  return r.exit_code == 0 ? "" : absl::StrCat("gen_transcripts failed (", r.exit_code, "): ", r.err);
}

// Row count and an order-independent digest (sum of per-row hashes, so a
// row stored twice changes it) of a query's result.
struct Digest {
  int64_t rows = 0;
  uint64_t sum = 0;
  bool operator==(const Digest& o) const { return rows == o.rows && sum == o.sum; }
};

std::ostream& operator<<(std::ostream& os, const Digest& d) {
  return os << d.rows << " rows, digest " << std::hex << d.sum << std::dec;
}

Digest DigestOf(const std::string& db_path, const std::string& sql) {
  Digest d;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path;
    sqlite3_close(db);
    return d;
  }
  cco::RegisterSqlFunctions(db);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "bad query " << sql << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return d;
  }
  std::string row;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    row.clear();
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row.append("\x1e", 1);
      } else {
        const void* p = sqlite3_column_blob(stmt, c);
        row.append(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
      row.push_back('\x1f');
    }
    ++d.rows;
    d.sum += StableHash(row);
  }
  EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return d;
}

bool TableExists(const std::string& db, const std::string& table) {
  return QueryInt(db, absl::StrCat("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '", table,
                                   "'")) == 1;
}

// What "the same database" means here: every stored line by its identity
// (session, uuid, line hash, file, generation, offset, occurrence) and its
// raw bytes; every files row's position; conversations and projects; the
// derived tables' sizes.
std::map<std::string, std::string> Queries(const std::string& db) {
  std::map<std::string, std::string> q = {
      {"messages",
       "SELECT c.session_id, m.uuid, m.line_hash, f.path, m.generation, m.byte_offset, m.occurrence, m.type,"
       " m.timestamp_ms, cco_text(m.content), cco_raw(m.raw) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
       " JOIN files f ON f.id = m.file_id"},
      {"events",
       "SELECT c.session_id, e.uuid, e.line_hash, f.path, e.generation, e.byte_offset, e.occurrence, e.type, cco_raw(e.raw)"
       " FROM events e JOIN conversations c ON c.id = e.conversation_id JOIN files f ON f.id = e.file_id"},
      {"quarantine",
       "SELECT f.path, q.generation, q.byte_offset, q.length, q.line_hash, q.occurrence, q.reason, q.raw,"
       " q.raw_truncated FROM quarantine q JOIN files f ON f.id = q.file_id"},
      {"duplicates",
       "SELECT f.path, d.generation, d.byte_offset, d.line_hash, d.kind FROM duplicates d"
       " JOIN files f ON f.id = d.file_id"},
      {"files",
       "SELECT f.path, p.dir_name, f.session_id, f.agent_id, f.generation, f.read_position, f.line_count, f.size,"
       " f.head_len, f.head_checksum, f.checksum_len, f.checksum, f.archived_ms IS NULL"
       " FROM files f JOIN projects p ON p.id = f.project_id"},
      {"conversations",
       "SELECT c.session_id, p.dir_name, c.title, c.message_count, c.tool_use_count, c.total_tokens, c.started_ms,"
       " c.ended_ms FROM conversations c JOIN projects p ON p.id = c.project_id"},
      {"projects", "SELECT dir_name, cwd FROM projects"},
  };
  for (const char* table : {"tool_executions", "usage_winners", "token_rollups", "session_token_rollups",
                            "analytics"}) {
    if (TableExists(db, table)) q[table] = absl::StrCat("SELECT count(*) FROM ", table);
  }
  return q;
}

TEST(KillTest, KilledRescanEqualsUninterruptedRun) {
  const auto test_start = Clock::now();
  const int64_t size_mb = EnvInt("CCO_KILL_TEST_MB", 300);
  const int kKills = 24;
  const uint64_t seed = static_cast<uint64_t>(EnvInt("CCO_KILL_TEST_SEED", static_cast<int64_t>(std::random_device{}())));
  std::printf("kill test: %lld MB tree, kill seed %llu (replay with CCO_KILL_TEST_SEED=%llu)\n",
              static_cast<long long>(size_mb), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  RecordProperty("kill_seed", std::to_string(seed));

  TempDir dir;
  const std::string tree = dir / "tree";
  ASSERT_EQ(Generate(tree, size_mb, 20260114), "");
  const double gen_secs = SecondsSince(test_start);
  const std::string root = tree + "/projects";

  // The reference: one uninterrupted run.
  const std::string ref_db = dir / "reference.db";
  const auto ref_start = Clock::now();
  CommandResult ref = RunCco({"rescan", "--root", root, "--db", ref_db, "--json"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const double ref_secs = SecondsSince(ref_start);
  ASSERT_GT(JsonInt(ref.out, "lines"), 10000) << ref.out;

  // Killed runs. Each one is told (CCO_TEST_STOP_IN_BATCH) to stop inside
  // its n-th open batch (rows applied, COMMIT not yet run) and announce it;
  // it is SIGKILLed there. So every counted kill interrupts an open batch,
  // whatever the machine's speed. n runs through shuffled cycles of 1, 2, 3:
  // a killed run commits n - 1 batches, so 24 kills commit 24 batches in
  // all, and with batches of 1/27 of the lines they walk through ~90% of the
  // tree (smaller batches, closed by the batch delay, only walk less far).
  // Every fifth attempt is killed very early instead (opening, migrating,
  // loading states), not counted.
  const std::string db = dir / "killed.db";
  const int64_t ref_lines = JsonInt(ref.out, "lines");
  const int64_t batch = std::clamp<int64_t>(ref_lines / (kKills + 3), 100, 20000);
  std::vector<int> stops;
  for (int cycle = 0; cycle < kKills / 3; ++cycle) stops.insert(stops.end(), {1, 2, 3});
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 3 <= stops.size(); i += 3) std::shuffle(stops.begin() + i, stops.begin() + i + 3, rng);
  std::uniform_real_distribution<double> early(0.0, 0.05);
  const auto kill_start = Clock::now();
  int landed = 0, early_kills = 0, finished_on_their_own = 0, attempts = 0;
  std::vector<std::string> moments;
  while (landed < kKills && attempts < 10 * kKills) {
    ++attempts;
    if (attempts % 5 == 0) {
      std::unique_ptr<ChildProcess> child = StartCco({"rescan", "--root", root, "--db", db, "--json"});
      std::optional<int> code =
          child->WaitExit(std::chrono::milliseconds(static_cast<int64_t>(early(rng) * 1000)));
      if (!code.has_value()) {
        child->Signal(SIGKILL);
        code = child->WaitExit(std::chrono::seconds(60));
      }
      ASSERT_TRUE(code.has_value()) << "a rescan did not end";
      if (*code == 128 + SIGKILL) ++early_kills;
      continue;
    }
    const int n = stops[static_cast<size_t>(landed)];
    const std::string announce = dir / absl::StrCat("open-", attempts);
    std::unique_ptr<ChildProcess> child =
        StartCco({"rescan", "--root", root, "--db", db, "--json", "--batch-records", std::to_string(batch)},
                 {absl::StrCat("CCO_TEST_STOP_IN_BATCH=", n, ":", announce)});
    const bool stopped_in_batch = WaitUntil(
        [&] { return ::access(announce.c_str(), F_OK) == 0 || !child->running(); }, std::chrono::seconds(300));
    ASSERT_TRUE(stopped_in_batch) << "a rescan neither finished nor reached batch " << n << " in 300 s";
    if (::access(announce.c_str(), F_OK) == 0) {
      child->Signal(SIGKILL);
      std::optional<int> code = child->WaitExit(std::chrono::seconds(60));
      ASSERT_TRUE(code.has_value());
      ASSERT_EQ(*code, 128 + SIGKILL) << child->Stderr();
      ++landed;
      moments.push_back(absl::StrCat("batch ", n));
      // Every committed state: no message at or above the word index's
      // watermark (docs/schema.md, "How the indexes are kept").
      EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"),
                QueryInt(db, "SELECT coalesce(max(id), 0) + 1 FROM messages"))
          << "after the kill in batch " << n;
    } else {
      std::optional<int> code = child->WaitExit(std::chrono::seconds(60));
      ASSERT_TRUE(code.has_value());
      ASSERT_EQ(*code, 0) << "a restarted rescan failed: " << child->Stderr();
      ++finished_on_their_own;
      break;  // nothing left to interrupt
    }
  }
  const double kill_secs = SecondsSince(kill_start);
  ASSERT_GE(landed, kKills) << "only " << landed << " kills inside an open batch in " << attempts
                            << " attempts (batches of " << batch << " records)";

  // Finish without interruption.
  CommandResult final_run = RunCco({"rescan", "--root", root, "--db", db, "--json"});
  ASSERT_EQ(final_run.exit_code, 0) << final_run.err;
  std::printf("kill test: %d kills inside an open batch, %d very early (%d runs finished by themselves); the final"
              " run still had %lld lines\n",
              landed, early_kills, finished_on_their_own, static_cast<long long>(JsonInt(final_run.out, "lines")));
  std::printf("kill test: killed in: %s\n", absl::StrJoin(moments, ", ").c_str());

  const auto compare_start = Clock::now();
  EXPECT_EQ(QueryRows(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(QueryRows(ref_db, "PRAGMA integrity_check"), "ok");
  for (const auto& [name, sql] : Queries(ref_db)) {
    const Digest want = DigestOf(ref_db, sql);
    const Digest got = DigestOf(db, sql);
    EXPECT_EQ(got, want) << name << " differ after " << landed << " kills (seed " << seed << ")";
  }
  // (count(*) of an external-content index reads its content: the index
  // itself is compared by FTS5's integrity-check and the MATCH below.)
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages_fts"), QueryInt(ref_db, "SELECT count(*) FROM messages_fts"));
  {
    absl::StatusOr<Db> conn = Db::Open(db, Db::Mode::kReadWrite);
    ASSERT_TRUE(conn.ok()) << conn.status();
    const absl::Status fts = FtsIntegrityCheck(*conn, "messages_fts");
    EXPECT_TRUE(fts.ok()) << fts;
  }
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'error'"),
            QueryInt(ref_db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'error'"));

  const double total = SecondsSince(test_start);
  CiSummary(absl::StrCat("kill test (", size_mb, " MB tree): ", landed, " kills inside an open batch, ", early_kills,
                         " while starting; ", QueryInt(db, "SELECT count(*) FROM messages"), " messages, equal to one"
                         " uninterrupted run: ", HasFailure() ? "no" : "yes", "; ", static_cast<int>(total), " s"));
  std::printf("kill test timing: generate %.1fs, reference run %.1fs, %d killed runs %.1fs, final run + compare "
              "%.1fs, total %.1fs\n",
              gen_secs, ref_secs, attempts, kill_secs, SecondsSince(compare_start), total);
  RecordProperty("total_seconds", static_cast<int>(total));
}

// ---------------------------------------------------------------------------

TEST(WriterLockTest, RunningRescanRefusesASecondWriterNamingItsPid) {
  TempDir dir;
  ASSERT_EQ(Generate(dir / "tree", 40, 7), "");
  const std::string root = dir / "tree/projects";
  const std::string db = dir / "cco.db";
  std::unique_ptr<ChildProcess> first = StartCco({"rescan", "--root", root, "--db", db});
  const std::string pid_line = absl::StrCat(first->pid(), "\n");
  // The lock file holds the pid once the lock is taken (read, never locked
  // here: probing with flock could itself make the first run fail).
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(db + ".lock") == pid_line || !first->running(); },
                        std::chrono::seconds(20)));
  ASSERT_TRUE(first->running()) << "the first run ended before the second could try: " << first->Stderr();

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"rescan", "--root", root, "--db", db},
        std::vector<std::string>{"replay", root, "--db", db, "--json"}}) {
    CommandResult second = RunCco(args);
    EXPECT_EQ(second.exit_code, 3) << args[0] << ": " << second.err;
    EXPECT_TRUE(absl::StrContains(second.err, absl::StrCat("pid ", first->pid()))) << second.err;
    EXPECT_EQ(std::count(second.err.begin(), second.err.end(), '\n'), 1) << second.err;
    EXPECT_TRUE(second.out.empty()) << second.out;
  }
  std::optional<int> code = first->WaitExit(std::chrono::seconds(300));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << "the first writer is not disturbed: " << first->Stderr();
  EXPECT_EQ(QueryRows(db, "PRAGMA integrity_check"), "ok");
}

TEST(WriterLockTest, HeldLockRefusesWriterAndDiesWithItsHolder) {
  TempDir dir;
  WriteFile(dir / "projects/-home-u-p/s-1.jsonl",
            R"({"type":"user","uuid":"u-1","sessionId":"s-1","message":{"content":"hi"}})"
            "\n");
  const std::string db = dir / "cco.db";
  const std::string lock_path = db + ".lock";

  // A child process takes the lock the way cco does (flock + pid inside)
  // and sits on it.
  std::unique_ptr<ChildProcess> holder = std::make_unique<ChildProcess>(std::vector<std::string>{
      "/bin/sh", "-c", absl::StrCat("exec 9>>'", lock_path, "' && flock -x 9 && echo $$ > '", lock_path,
                                    "' && exec sleep 60")});
  const std::string pid_line = absl::StrCat(holder->pid(), "\n");
  if (!WaitUntil([&] { return ReadFile(lock_path) == pid_line || !holder->running(); }, std::chrono::seconds(10)) ||
      !holder->running()) {
    GTEST_SKIP() << "flock(1) is not available to hold the lock: " << holder->Stderr();
  }
  CommandResult refused = RunCco({"rescan", "--root", dir / "projects", "--db", db, "--json"});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, absl::StrCat("pid ", holder->pid()))) << refused.err;
  EXPECT_TRUE(refused.out.empty());

  // kill -9 of the holder frees the lock; the stale pid file does not block.
  holder->Signal(SIGKILL);
  ASSERT_TRUE(holder->WaitExit(std::chrono::seconds(10)).has_value());
  CommandResult ok = RunCco({"rescan", "--root", dir / "projects", "--db", db, "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(JsonInt(ok.out, "messages"), 1);
}

}  // namespace
}  // namespace cco::testing

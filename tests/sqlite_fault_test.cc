// SQLite faults under a running `cco watch` (real process, real database):
//   * a busy database: another connection holds the write lock long enough
//     for the writer's busy timeout to run out; the writer says so, retries,
//     and once the lock is released every line arrives exactly once;
//   * a reader holding a long read transaction (a report, a backup, a user's
//     sqlite3 shell): ingest goes on meanwhile, the reader's snapshot stays
//     what it was, and nothing is lost or doubled.
// (The disk filling up mid-transaction — SQLITE_FULL — is
// WatchTest.DiskFullKeepsPingingAndLosesNothing; the database deleted or
// replaced under the daemon is WatchTest.DatabaseDeletedWhileRunningStopsWithExitOne.)

#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/ci_summary.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco::testing {
namespace {

using std::chrono::seconds;

// A connection of the test's own, outside cco.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int Exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      v = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string Lines(const std::string& session, int from, int n) {
  std::string out;
  for (int i = from; i < from + n; ++i) out += UserLine(session, absl::StrCat(session, "-", i), "some words");
  return out;
}

using SqliteFaultTest = WatchFixture;

TEST_F(SqliteFaultTest, BusyDatabaseIsWaitedForAndEveryLineArrivesOnce) {
  Append(root_ + "/-p/busy.jsonl", Lines("busy", 0, 5));
  auto daemon = StartWatch();
  ExpectArrivesOnce("SELECT count(*) FROM messages", 5, daemon.get());

  Connection other(db_);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK) << "the test takes the write lock";
  Append(root_ + "/-p/busy.jsonl", Lines("busy", 5, 200));
  // The writer's busy timeout runs out while the lock is held: it says so
  // and retries (nothing is dropped, the daemon does not stop).
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(daemon->Stderr(), "database busy, retrying"); }, seconds(60)))
      << daemon->Stderr();
  EXPECT_TRUE(daemon->running());
  EXPECT_EQ(other.Int("SELECT count(*) FROM messages"), 5) << "nothing committed past the held lock";
  ASSERT_EQ(other.Exec("ROLLBACK"), SQLITE_OK);

  ExpectArrivesOnce("SELECT count(*) FROM messages", 205, daemon.get());
  EXPECT_EQ(Count("SELECT count(DISTINCT uuid) FROM messages"), 205);
  StopAndExpectClean(*daemon);
  if (!HasFailure()) CiSummary("fault injected and survived: busy database (write lock held past the writer's busy timeout)");
}

TEST_F(SqliteFaultTest, LongReadTransactionDoesNotHoldIngestBackAndKeepsItsSnapshot) {
  Append(root_ + "/-p/read.jsonl", Lines("read", 0, 10));
  auto daemon = StartWatch();
  ExpectArrivesOnce("SELECT count(*) FROM messages", 10, daemon.get());

  Connection reader(db_);
  ASSERT_EQ(reader.Exec("BEGIN"), SQLITE_OK);
  ASSERT_EQ(reader.Int("SELECT count(*) FROM messages"), 10) << "the read transaction starts here";
  for (int round = 0; round < 5; ++round) Append(root_ + "/-p/read.jsonl", Lines("read", 10 + 400 * round, 400));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 2010, daemon.get());
  EXPECT_EQ(reader.Int("SELECT count(*) FROM messages"), 10) << "the reader's snapshot is its own";
  EXPECT_TRUE(daemon->running());
  ASSERT_EQ(reader.Exec("COMMIT"), SQLITE_OK);
  EXPECT_EQ(reader.Int("SELECT count(*) FROM messages"), 2010);

  Append(root_ + "/-p/read.jsonl", Lines("read", 2010, 10));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 2020, daemon.get());
  EXPECT_EQ(Count("SELECT count(DISTINCT uuid) FROM messages"), 2020);
  StopAndExpectClean(*daemon);
  CommandResult check = RunCco({"check", "--db", db_});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  if (!HasFailure()) CiSummary("fault injected and survived: a reader holding a read transaction across 2,000 lines of ingest");
}

}  // namespace
}  // namespace cco::testing

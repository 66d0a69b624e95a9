// Operations on the whole database: backup while `cco watch` writes,
// restore, check, optimize, forget.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/backup.h"
#include "src/sqlite.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

namespace fs = std::filesystem;
using ::cco::testing::Append;
using ::cco::testing::ChildProcess;
using ::cco::testing::CommandResult;
using ::cco::testing::JsonInt;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::ReadFile;
using ::cco::testing::RunCco;
using ::cco::testing::UserLine;
using ::cco::testing::WaitUntil;
using ::cco::testing::WriteFile;

// Overwrites one page of the database file at `path` with garbage.
void CorruptPage(const std::string& path, int64_t page, int64_t page_size) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const std::string garbage(static_cast<size_t>(page_size), '\x5a');
  ASSERT_EQ(::pwrite(fd, garbage.data(), garbage.size(), (page - 1) * page_size),
            static_cast<ssize_t>(garbage.size()));
  ::close(fd);
}

class OpsTest : public ::cco::testing::WatchFixture {
 protected:
  // A few sessions written and ingested by `cco replay`.
  void Ingest(int sessions = 3, int lines = 20) {
    for (int s = 0; s < sessions; ++s) {
      std::string text;
      for (int i = 0; i < lines; ++i) {
        text += UserLine(absl::StrCat("s-", s), absl::StrCat("u-", s, "-", i), absl::StrCat("line ", i)) + "\n";
      }
      WriteFile(absl::StrCat(root_, "/-w/s-", s, ".jsonl"), text);
    }
    ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  }
};

// Backups taken while a real `cco watch` commits what a writer keeps
// appending: each restores to a database that passes `cco check`.
TEST_F(OpsTest, BackupDuringContinuousWritesRestoresToADatabaseThatPassesCheck) {
  std::unique_ptr<ChildProcess> daemon = StartWatch();
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string session = absl::StrCat("s-", i % 4);
      Append(absl::StrCat(root_, "/-w/", session, ".jsonl"),
             UserLine(session, absl::StrCat("u-", i), absl::StrCat("line ", i, " ", std::string(200, 'x'))) + "\n");
      appended = i + 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing, not synchronisation
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return Messages() >= 100; }, std::chrono::seconds(30)));
  std::vector<std::string> backups;
  for (int i = 0; i < 3; ++i) {
    const std::string dest = tmp_ / absl::StrCat("backup-", i, i == 1 ? ".db.zst" : ".db");
    std::vector<std::string> args = {"backup", dest, "--db", db_};
    if (i == 1) args.push_back("--compress");
    CommandResult r = RunCco(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(absl::StrContains(r.out, "verified")) << r.out;
    backups.push_back(dest);
    // More lines committed before the next copy.
    const int64_t seen = Messages();
    ASSERT_TRUE(WaitUntil([&] { return Messages() > seen + 20; }, std::chrono::seconds(30)));
  }
  // A writer holds the database: restore refuses and changes nothing.
  CommandResult refused = RunCco({"restore", backups[0], "--db", db_});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "in use by another cco writer")) << refused.err;
  stop = true;
  writer.join();
  StopAndExpectClean(*daemon);

  int64_t previous = 0;
  for (size_t i = 0; i < backups.size(); ++i) {
    const std::string restored = tmp_ / absl::StrCat("restored-", i, "/cco.db");
    fs::create_directories(fs::path(restored).parent_path());
    CommandResult r = RunCco({"restore", backups[i], "--db", restored});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    CommandResult check = RunCco({"check", "--db", restored});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    const int64_t messages = QueryInt(restored, "SELECT count(*) FROM messages");
    EXPECT_GT(messages, previous) << "each backup holds what was committed when it was taken";
    previous = messages;
  }
  EXPECT_LT(previous, appended.load()) << "the backups were taken while lines kept coming";
}

TEST_F(OpsTest, BackupRefusesAnExistingDestinationUnlessForced) {
  Ingest();
  const std::string dest = tmp_ / "b.db";
  WriteFile(dest, "keep me");
  CommandResult r = RunCco({"backup", dest, "--db", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "--force")) << r.err;
  EXPECT_EQ(ReadFile(dest), "keep me");
  r = RunCco({"backup", dest, "--db", db_, "--force", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "\"verified\":true")) << r.out;
  EXPECT_EQ(QueryInt(dest, "SELECT count(*) FROM messages"), 60);
  EXPECT_FALSE(fs::exists(dest + "-wal")) << "a self-contained file";
  EXPECT_EQ(RunCco({"backup", "--db", db_}).exit_code, 2) << "DEST is required";
}

// Restore keeps the old database until the new one is verified, and a
// damaged backup changes nothing.
TEST_F(OpsTest, RestoreVerifiesFirstAndKeepsTheOldDatabase) {
  Ingest();
  const std::string plain = tmp_ / "b.db", packed = tmp_ / "b.db.zst";
  ASSERT_EQ(RunCco({"backup", plain, "--db", db_}).exit_code, 0);
  ASSERT_EQ(RunCco({"backup", packed, "--compress", "--db", db_}).exit_code, 0);
  EXPECT_LT(fs::file_size(packed), fs::file_size(plain));
  // More data after the backup: the restore goes back to the backup's.
  Append(root_ + "/-w/s-9.jsonl", UserLine("s-9", "u-late", "after the backup") + "\n");
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  ASSERT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 61);

  // A damaged compressed backup, and a database file with a damaged page:
  // refused, the database untouched.
  std::string bytes = ReadFile(packed);
  bytes[bytes.size() / 2] ^= 0x55;
  WriteFile(tmp_ / "damaged.zst", bytes);
  CommandResult r = RunCco({"restore", tmp_ / "damaged.zst", "--db", db_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "not a usable backup, nothing changed")) << r.err;
  fs::copy_file(plain, tmp_ / "damaged.db");
  CorruptPage(tmp_ / "damaged.db", 3, QueryInt(plain, "PRAGMA page_size"));
  r = RunCco({"restore", tmp_ / "damaged.db", "--db", db_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "nothing changed")) << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 61);

  r = RunCco({"restore", packed, "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 60);
  EXPECT_EQ(RunCco({"check", "--db", db_}).exit_code, 0);
  // The previous database is kept, whole.
  bool kept = false;
  for (const auto& entry : fs::directory_iterator(fs::path(db_).parent_path())) {
    const std::string name = entry.path().filename().string();
    if (absl::StrContains(name, ".before-restore-") && !absl::EndsWith(name, "-wal") &&
        !absl::EndsWith(name, "-shm")) {
      EXPECT_EQ(QueryInt(entry.path().string(), "SELECT count(*) FROM messages"), 61);
      kept = true;
    }
  }
  EXPECT_TRUE(kept);
  // The restored database takes new lines as before.
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  EXPECT_EQ(RunCco({"check", "--db", db_}).exit_code, 0);
  EXPECT_EQ(RunCco({"restore", tmp_ / "missing.db", "--db", db_}).exit_code, 2);
}

// A damaged page makes `cco check` fail and say so.
TEST_F(OpsTest, CheckFailsClearlyOnADamagedPage) {
  Ingest(3, 400);
  const std::string copy = tmp_ / "copy.db";
  ASSERT_EQ(RunCco({"backup", copy, "--db", db_}).exit_code, 0);
  ASSERT_EQ(RunCco({"check", "--db", copy}).exit_code, 0);
  const int64_t page_size = QueryInt(copy, "PRAGMA page_size");
  const int64_t root = QueryInt(copy, "SELECT rootpage FROM sqlite_master WHERE name = 'messages'");
  const int64_t pages = QueryInt(copy, "PRAGMA page_count");
  ASSERT_GT(pages, root + 2);
  // A leaf page of the messages table, not the schema.
  CorruptPage(copy, pages / 2, page_size);
  CommandResult r = RunCco({"check", "--db", copy});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out + r.err, "damaged")) << r.out << r.err;
}

// Each new invariant of `cco check` fails it when broken, and says which.
TEST_F(OpsTest, CheckNamesEachBrokenInvariant) {
  Ingest();
  CommandResult r = RunCco({"check", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, R"("fts":[{"table":"messages_fts","ok":true)")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("read_positions":{"checked":3,"skipped":0,"wrong":[]})")) << r.out;
  auto sql = [&](const std::string& db, const std::string& statement) {
    ASSERT_EQ(::cco::testing::RunCommand({"/usr/bin/sqlite3", db, statement}).exit_code, 0) << statement;
  };
  auto broken = [&](const std::string& statement, const std::string& expected) {
    const std::string copy = tmp_ / "broken.db";
    fs::remove(copy);
    ASSERT_EQ(RunCco({"backup", copy, "--db", db_}).exit_code, 0);
    sql(copy, statement);
    CommandResult c = RunCco({"check", "--db", copy});
    EXPECT_EQ(c.exit_code, 1) << statement << "\n" << c.out;
    EXPECT_TRUE(absl::StrContains(c.out, expected)) << statement << "\n" << c.out;
  };
  // The index out of step with its content: words removed that the row
  // never had.
  broken("INSERT INTO messages_fts(messages_fts, rowid, content)"
         " VALUES('delete', (SELECT min(id) FROM messages), 'zebra quokka')",
         "full-text index messages_fts: FAILED");
  broken("PRAGMA foreign_keys=OFF; UPDATE messages SET file_id = 999 WHERE id = (SELECT min(id) FROM messages)",
         "foreign keys: FAILED (1 violations)");
  broken("UPDATE files SET read_position = read_position - 3 WHERE id = (SELECT min(id) FROM files)",
         "read positions: FAILED");
  // A file changed since (shorter than its position) is skipped, not wrong.
  WriteFile(root_ + "/-w/s-0.jsonl", "{}\n");
  r = RunCco({"check", "--db", db_});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "2 files checked, 1 skipped")) << r.out;
}

// optimize while the service runs: the service goes on, the database
// passes its check, and without a reader the WAL is truncated.
TEST_F(OpsTest, OptimizeWhileTheServiceRuns) {
  Ingest(4, 50);
  std::unique_ptr<ChildProcess> daemon = StartWatch();
  for (int i = 0; i < 5; ++i) {
    Append(root_ + "/-w/live.jsonl", UserLine("live", absl::StrCat("l-", i), "live line") + "\n");
    ExpectArrivesOnce("SELECT count(*) FROM messages WHERE uuid LIKE 'l-%'", i + 1, daemon.get());
  }
  CommandResult r = RunCco({"optimize", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, R"("fts":["messages_fts"])")) << r.out;
  Append(root_ + "/-w/live.jsonl", UserLine("live", "after", "after optimize") + "\n");
  ExpectArrivesOnce("SELECT count(*) FROM messages WHERE uuid = 'after'", 1, daemon.get());
  StopAndExpectClean(*daemon);
  EXPECT_EQ(RunCco({"check", "--db", db_}).exit_code, 0);
  r = RunCco({"optimize", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "WAL checkpointed")) << r.out;
  EXPECT_EQ(fs::exists(db_ + "-wal") ? fs::file_size(db_ + "-wal") : 0u, 0u) << "the WAL truncated";
  EXPECT_EQ(RunCco({"optimize", "--db", tmp_ / "none.db"}).exit_code, 2) << "never creates a database";
}

// optimize --vacuum gives the free pages back to the file system and keeps
// every row: the database passes its check and dumps the same.
TEST_F(OpsTest, OptimizeVacuumShrinksTheFileAndKeepsEveryRow) {
  Ingest(4, 200);
  {
    absl::StatusOr<Db> db = Db::Open(db_, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec("CREATE TABLE scratch AS SELECT randomblob(4000) FROM messages; DROP TABLE scratch").ok());
  }
  ASSERT_GT(QueryInt(db_, "PRAGMA freelist_count"), 100);
  const std::string rows = QueryRows(db_, "SELECT id, uuid, length(cco_raw(raw)) FROM messages ORDER BY id");
  CommandResult r = RunCco({"optimize", "--db", db_, "--vacuum", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "\"vacuumed\":true")) << r.out;
  EXPECT_LT(JsonInt(r.out, "bytes"), JsonInt(r.out, "bytes_before") / 2) << r.out;
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(db_)), JsonInt(r.out, "bytes"));
  EXPECT_EQ(QueryInt(db_, "PRAGMA freelist_count"), 0);
  EXPECT_EQ(QueryRows(db_, "SELECT id, uuid, length(cco_raw(raw)) FROM messages ORDER BY id"), rows);
  EXPECT_EQ(RunCco({"check", "--db", db_}).exit_code, 0);
  r = RunCco({"optimize", "--db", db_, "--vacuum"});
  EXPECT_TRUE(absl::StrContains(r.out, "vacuumed (")) << r.out;
}

// A copy is verified as it is: a database in rollback-journal mode stays
// in it (no -wal appears), a missing file and a file that is not a database
// are each named as such.
TEST(VerifyDatabaseCopyTest, ChecksTheFileAsItIsAndNamesWhatIsWrong) {
  ::cco::testing::TempDir dir;
  const std::string path = dir / "copy.db";
  {
    absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec("PRAGMA journal_mode=DELETE; CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
  }
  ASSERT_FALSE(fs::exists(path + "-wal"));
  EXPECT_TRUE(VerifyDatabaseCopy(path).ok());
  EXPECT_FALSE(fs::exists(path + "-wal")) << "opened as it is, not switched to WAL";
  EXPECT_EQ(QueryRows(path, "PRAGMA journal_mode"), "delete");

  const absl::Status missing = VerifyDatabaseCopy(dir / "none.db");
  EXPECT_TRUE(absl::IsDataLoss(missing)) << missing;
  EXPECT_EQ(missing.message(), absl::StrCat(dir / "none.db", " cannot be opened as a database: unable to open database file"));
  EXPECT_FALSE(fs::exists(dir / "none.db")) << "never created";

  WriteFile(dir / "text.db", std::string(4096, 'x'));
  const absl::Status text = VerifyDatabaseCopy(dir / "text.db");
  EXPECT_TRUE(absl::IsDataLoss(text)) << text;
  EXPECT_EQ(text.message(), absl::StrCat(dir / "text.db", " fails PRAGMA integrity_check: file is not a database"));
}

}  // namespace
}  // namespace cco

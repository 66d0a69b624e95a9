// The read side as a user meets it, running the real binary: every reading
// command (status, report, check) opens a database the same way and answers
// a database it cannot use with one line in the user's terms and the same
// exit code; a --db that cannot be a database is refused before anything is
// created beside it.

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <chrono>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "src/errors.h"
#include "src/reader.h"
#include "src/sqlite.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

// One user line of session s-1 (every test's transcripts are made of it).
constexpr char kLine[] =
    R"({"type":"user","uuid":"u-1","sessionId":"s-1","message":{"content":"status"},)"
    R"("timestamp":"2026-01-14T10:00:00.000Z"})"
    "\n";

int LineCount(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void ExecSql(const std::string& path, const std::string& sql) {
  absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(db->Exec(sql).ok()) << sql;
}

// Nothing in a message a user reads is SQL or SQLite's own wording.
void ExpectUserTerms(const CommandResult& r) {
  for (const char* internal : {"prepare", "SELECT", "sqlite_master", "exec ", "PRAGMA"}) {
    EXPECT_FALSE(absl::StrContains(r.err, internal)) << internal << " in: " << r.err;
  }
}

class ReadSideTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteFile(dir_ / "projects/-home-u-p/s-1.jsonl", kLine); }

  // The reading commands over `db`.
  std::vector<std::vector<std::string>> Readers(const std::string& db) const {
    return {{"status", "--db", db}, {"status", "--db", db, "--json"}, {"report", "daily", "--db", db},
            {"check", "--db", db}};
  }
  std::vector<std::vector<std::string>> Writers(const std::string& db) const {
    return {{"rescan", "--root", dir_ / "projects", "--db", db}, {"rederive", "--db", db}};
  }
  // Every command over `db` (readers, writers, and `watch` when
  // `with_watch`) fails with `exit_code` and one line saying `what` in the
  // user's terms, and nothing appears beside it.
  void ExpectEveryCommandRefuses(const std::string& db, int exit_code, const std::string& what, bool with_watch) {
    const std::set<std::string> before = Entries(dir_.path());
    std::vector<std::vector<std::string>> commands = Readers(db);
    for (const auto& w : Writers(db)) commands.push_back(w);
    if (with_watch) commands.push_back({"watch", "--root", dir_ / "projects", "--db", db});
    for (const std::vector<std::string>& args : commands) {
      CommandResult r = RunCco(args);
      SCOPED_TRACE(absl::StrJoin(args, " "));
      EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
      EXPECT_EQ(LineCount(r.err), 1) << r.err;
      EXPECT_TRUE(absl::StrContains(r.err, what)) << r.err;
      EXPECT_TRUE(absl::StrContains(r.err, db)) << r.err;
      ExpectUserTerms(r);
    }
    EXPECT_EQ(Entries(dir_.path()), before) << "no lock file, no -wal, no -shm";
  }

  TempDir dir_;
};

TEST_F(ReadSideTest, NewerSchemaIsRefusedByEveryCommandStatusIncluded) {
  const std::string db = dir_ / "cco.db";
  ASSERT_EQ(RunCco({"rescan", "--root", dir_ / "projects", "--db", db}).exit_code, 0);
  ExecSql(db, "INSERT INTO schema_migrations(name, checksum, applied_ms) VALUES ('9999_future.sql', 'xxh64:0', 0)");
  std::vector<std::vector<std::string>> commands = Readers(db);
  for (const auto& w : Writers(db)) commands.push_back(w);
  for (const std::vector<std::string>& args : commands) {
    CommandResult r = RunCco(args);
    SCOPED_TRACE(absl::StrJoin(args, " "));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "9999_future.sql")) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "newer")) << r.err;
    EXPECT_TRUE(r.out.empty()) << "no answer from a schema it does not know: " << r.out;
  }
}

TEST_F(ReadSideTest, DirectoryAsDatabaseIsSaidSoAndLeavesNothingBehind) {
  const std::string db = dir_ / "data.db";
  fs::create_directories(db);
  ExpectEveryCommandRefuses(db, 2, "is a directory", /*with_watch=*/true);
  EXPECT_TRUE(fs::is_empty(db));
}

TEST_F(ReadSideTest, FileThatIsNotSqliteIsNotACcoDatabaseAndLeavesNothingBehind) {
  const std::string db = dir_ / "notes.txt";
  const std::string content = "my notes\n" + std::string(5000, 'n');
  WriteFile(db, content);
  ExpectEveryCommandRefuses(db, 1, "not a cco database", /*with_watch=*/true);
  EXPECT_EQ(ReadFile(db), content);
}

TEST_F(ReadSideTest, AnotherProgramsSqliteDatabaseIsNotMigratedInto) {
  const std::string db = dir_ / "other.db";
  ExecSql(db, "PRAGMA journal_mode=DELETE; CREATE TABLE notes(body TEXT); INSERT INTO notes VALUES ('mine')");
  ExpectEveryCommandRefuses(db, 1, "not a cco database", /*with_watch=*/false);
  EXPECT_EQ(QueryRows(db, "SELECT name FROM sqlite_master"), "notes") << "no cco table added";
}

// A copy on read-only storage: a reader cannot create the WAL index beside
// it, so it is opened with immutable=1 and answers like the original.
TEST_F(ReadSideTest, CopyOnReadOnlyStorageIsRead) {
  const std::string db = dir_ / "cco.db";
  ASSERT_EQ(RunCco({"rescan", "--root", dir_ / "projects", "--db", db}).exit_code, 0);
  const std::string mnt = dir_ / "ro";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << std::strerror(errno);
  }
  fs::copy_file(db, mnt + "/cco.db");
  ASSERT_EQ(::mount(nullptr, mnt.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0) << std::strerror(errno);
  const std::string copy = mnt + "/cco.db";
  CommandResult report = RunCco({"report", "daily", "--db", copy, "--json", "--tz", "UTC"});
  CommandResult status = RunCco({"status", "--db", copy, "--json"});
  CommandResult check = RunCco({"check", "--db", copy});
  ::umount(mnt.c_str());
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(absl::StrContains(report.out, "\"daily\":[")) << report.out;
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(JsonInt(status.out, "messages"), 1) << status.out;
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;
}

TEST_F(ReadSideTest, DbFlagInAMissingDirectoryIsAnErrorAndCreatesNothing) {
  const std::string db = dir_ / "typo/nested/cco.db";
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"rescan", "--root", dir_ / "projects", "--db", db},
                                             {"replay", dir_ / "projects", "--db", db},
                                             {"watch", "--root", dir_ / "projects", "--db", db}}) {
    CommandResult r = RunCco(args);
    SCOPED_TRACE(args[0]);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, dir_ / "typo/nested")) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "does not exist")) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir_ / "typo"));
  // A reader only says there is nothing there.
  CommandResult status = RunCco({"status", "--db", db});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "does not exist yet")) << status.out;
  CommandResult report = RunCco({"report", "daily", "--db", db});
  EXPECT_EQ(report.exit_code, 2) << report.err;
  EXPECT_TRUE(absl::StrContains(report.err, "no database at")) << report.err;
  EXPECT_FALSE(fs::exists(dir_ / "typo"));
}

// `cco status` tells the backlog: what the writer found and has not read
// yet, which command holds the lock, a replayed database's missing clock,
// a last line waiting for its end.
class StatusTest : public ::testing::Test {
 protected:
  // Three transcripts of one line each, the same size.
  void SetUp() override {
    for (const char* session : {"s-1", "s-2", "s-3"}) {
      std::string line = kLine;
      line.replace(line.find("s-1"), 3, session);
      WriteFile(dir_ / absl::StrCat("projects/-home-u-p/", session, ".jsonl"), line);
    }
  }

  TempDir dir_;
  const std::string db_ = dir_ / "cco.db";
  const int64_t file_bytes_ = static_cast<int64_t>(std::string(kLine).size());
};

TEST_F(StatusTest, BackfillInProgressShowsFilesLeftTheLockHolderAndThenTheInterruption) {
  // A rescan that commits one file per transaction and stops inside its
  // third: two files are committed, the third is not.
  const std::string announce = dir_ / "in-batch";
  auto rescan = StartCco({"rescan", "--root", dir_ / "projects", "--db", db_, "--batch-records", "1"},
                         {absl::StrCat("CCO_TEST_STOP_IN_BATCH=3:", announce)});
  ASSERT_TRUE(WaitUntil([&] { return ::access(announce.c_str(), F_OK) == 0 || !rescan->running(); },
                        std::chrono::seconds(120)));
  ASSERT_TRUE(rescan->running()) << "finished instead of stopping in its third batch: " << rescan->Stderr();

  CommandResult text = RunCco({"status", "--db", db_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, absl::StrCat("writer:      rescan (pid ", rescan->pid(), ") since ")))
      << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "backfill:    2 of 3 files, ")) << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "ETA")) << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, absl::StrCat("pending:     ", file_bytes_, " B in 1 file not yet read")))
      << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, dir_ / "projects")) << "the writer's roots: " << text.out;
  CommandResult json = RunCco({"status", "--db", db_, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(absl::StrContains(json.out, "\"running\":true")) << json.out;
  EXPECT_TRUE(absl::StrContains(json.out, "\"command\":\"rescan\"")) << json.out;
  EXPECT_EQ(JsonInt(json.out, "pid"), rescan->pid());
  EXPECT_EQ(JsonInt(json.out, "walk_files"), 3) << json.out;
  EXPECT_EQ(JsonInt(json.out, "walk_files_read"), 2) << json.out;
  EXPECT_EQ(JsonInt(json.out, "walk_bytes"), 3 * file_bytes_) << json.out;
  EXPECT_EQ(JsonInt(json.out, "walk_bytes_read"), 2 * file_bytes_) << json.out;
  EXPECT_EQ(JsonInt(json.out, "pending_files"), 1) << json.out;
  EXPECT_EQ(JsonInt(json.out, "pending_bytes"), file_bytes_) << json.out;

  // Interrupted: the backlog stays visible, and says how to finish it.
  rescan->Signal(SIGKILL);
  ASSERT_TRUE(rescan->WaitExit(std::chrono::seconds(60)).has_value());
  CommandResult after = RunCco({"status", "--db", db_});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(absl::StrContains(after.out, "writer:      not running (last: rescan, pid ")) << after.out;
  EXPECT_TRUE(absl::StrContains(after.out, "interrupted: 2 of 3 files")) << after.out;
  EXPECT_TRUE(absl::StrContains(after.out, absl::StrCat("pending:     ", file_bytes_, " B in 1 file not yet read")))
      << after.out;
  EXPECT_FALSE(absl::StrContains(after.out, "backfill:")) << after.out;

  // A finished rescan leaves nothing pending.
  ASSERT_EQ(RunCco({"rescan", "--root", dir_ / "projects", "--db", db_}).exit_code, 0);
  CommandResult done = RunCco({"status", "--db", db_, "--json"});
  EXPECT_EQ(JsonInt(done.out, "pending_files"), 0) << done.out;
  EXPECT_EQ(JsonInt(done.out, "pending_bytes"), 0) << done.out;
  EXPECT_EQ(JsonInt(done.out, "walk_files_read"), 3) << done.out;
}

TEST_F(StatusTest, ReplayedDatabaseSaysItHasNoClockInsteadOf1970) {
  ASSERT_EQ(RunCco({"replay", dir_ / "projects", "--db", db_}).exit_code, 0);
  CommandResult text = RunCco({"status", "--db", db_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "last commit: not recorded (written by `cco replay`, which keeps no clock)"))
      << text.out;
  EXPECT_FALSE(absl::StrContains(text.out, "1970")) << text.out;
  CommandResult json = RunCco({"status", "--db", db_, "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, "\"last_commit\":null")) << json.out;
  EXPECT_TRUE(absl::StrContains(json.out, "\"clock\":false")) << json.out;
  EXPECT_FALSE(absl::StrContains(json.out, "1970")) << json.out;
}

TEST_F(StatusTest, LastLineWithoutItsNewlineForOverAMinuteIsExplained) {
  const std::string path = dir_ / "projects/-home-u-p/s-1.jsonl";
  const std::string partial = R"({"type":"user","uuid":"u-2","sessionId":"s-1","message":{"content":"unfini)";
  AppendFile(path, partial);
  ASSERT_EQ(RunCco({"rescan", "--root", dir_ / "projects", "--db", db_}).exit_code, 0);
  // Last written two minutes ago.
  struct timeval times[2];
  ::gettimeofday(&times[0], nullptr);
  times[0].tv_sec -= 120;
  times[1] = times[0];
  ASSERT_EQ(::utimes(path.c_str(), times), 0);

  CommandResult text = RunCco({"status", "--db", db_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "waiting:     1 file whose last line has no newline yet"))
      << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, absl::StrCat(path, ": ", partial.size(), " B unterminated for ")))
      << text.out;
  CommandResult json = RunCco({"status", "--db", db_, "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, absl::StrCat("\"unterminated\":[{\"path\":\"", path, "\",\"bytes\":",
                                                       partial.size(), ",\"waiting_s\":")))
      << json.out;
}

// The reader as a module: the answers a command prints and a web page can
// serve, as structs.
TEST_F(StatusTest, SqliteReaderAnswersStatusAsStructs) {
  ASSERT_EQ(RunCco({"replay", dir_ / "projects", "--db", db_}).exit_code, 0);
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(db_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Reader& r = **reader;
  EXPECT_EQ(r.location(), db_);
  absl::StatusOr<DatabaseStatus> status = r.Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->writer_command, "replay");
  EXPECT_EQ(status->writer_roots, std::vector<std::string>{dir_ / "projects"});
  EXPECT_EQ(status->files, 3);
  EXPECT_EQ(status->messages, 3);
  EXPECT_EQ(status->followed.size(), 3u);
  EXPECT_EQ(status->last_commit_ms, 0) << "replay keeps no clock";
  ASSERT_TRUE(status->walk.has_value());
  EXPECT_TRUE(status->walk->done());
  EXPECT_EQ(status->walk->files, 3);
  EXPECT_EQ(status->walk->files_read, 3);
  EXPECT_EQ(status->walk->bytes, 3 * file_bytes_);
  EXPECT_EQ(status->walk->bytes_read, 3 * file_bytes_);

  // Typed errors: the kind, not the text, says what went wrong.
  EXPECT_EQ(KindOf(SqliteReader::Open(dir_ / "nothing.db").status()), ErrorKind::kNoDatabase);
  EXPECT_EQ(KindOf(SqliteReader::Open(dir_.path()).status()), ErrorKind::kIsDirectory);
  WriteFile(dir_ / "notes.txt", "not a database at all\n");
  EXPECT_EQ(KindOf(SqliteReader::Open(dir_ / "notes.txt").status()), ErrorKind::kNotCcoDatabase);
}

}  // namespace
}  // namespace cco::testing

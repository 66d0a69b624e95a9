// The read side as a user meets it, running the real binary: every reading
// command (status, report, check) opens a database the same way and answers
// a database it cannot use with one line in the user's terms and the same
// exit code; a --db that cannot be a database is refused before anything is
// created beside it.

#include <sys/stat.h>


#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kLine[] =
    R"({"type":"user","uuid":"u-1","sessionId":"s-1","cwd":"/home/u/p","message":{"content":"hello"},)"
    R"("timestamp":"2026-01-14T10:00:00.000Z"})"
    "\n";

int LineCount(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

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
  const std::set<std::string> before = Entries(dir_.path());
  std::vector<std::vector<std::string>> commands = Readers(db);
  for (const auto& w : Writers(db)) commands.push_back(w);
  commands.push_back({"watch", "--root", dir_ / "projects", "--db", db});
  for (const std::vector<std::string>& args : commands) {
    CommandResult r = RunCco(args);
    SCOPED_TRACE(absl::StrJoin(args, " "));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "is a directory")) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, db)) << r.err;
    ExpectUserTerms(r);
  }
  EXPECT_EQ(Entries(dir_.path()), before) << "no data.db.lock, no -wal, no -shm";
  EXPECT_TRUE(fs::is_empty(db));
}

TEST_F(ReadSideTest, FileThatIsNotSqliteIsNotACcoDatabaseAndLeavesNothingBehind) {
  const std::string db = dir_ / "notes.txt";
  const std::string content = "my notes\n" + std::string(5000, 'n');
  WriteFile(db, content);
  const std::set<std::string> before = Entries(dir_.path());
  std::vector<std::vector<std::string>> commands = Readers(db);
  for (const auto& w : Writers(db)) commands.push_back(w);
  commands.push_back({"watch", "--root", dir_ / "projects", "--db", db});
  for (const std::vector<std::string>& args : commands) {
    CommandResult r = RunCco(args);
    SCOPED_TRACE(absl::StrJoin(args, " "));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "not a cco database")) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, db)) << r.err;
    ExpectUserTerms(r);
  }
  EXPECT_EQ(Entries(dir_.path()), before) << "no notes.txt.lock, no -wal, no -shm";
  EXPECT_EQ(ReadFile(db), content);
}

TEST_F(ReadSideTest, AnotherProgramsSqliteDatabaseIsNotMigratedInto) {
  const std::string db = dir_ / "other.db";
  ExecSql(db, "PRAGMA journal_mode=DELETE; CREATE TABLE notes(body TEXT); INSERT INTO notes VALUES ('mine')");
  const std::set<std::string> before = Entries(dir_.path());
  std::vector<std::vector<std::string>> commands = Readers(db);
  for (const auto& w : Writers(db)) commands.push_back(w);
  for (const std::vector<std::string>& args : commands) {
    CommandResult r = RunCco(args);
    SCOPED_TRACE(absl::StrJoin(args, " "));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "not a cco database")) << r.err;
    ExpectUserTerms(r);
  }
  EXPECT_EQ(QueryRows(db, "SELECT name FROM sqlite_master"), "notes") << "no cco table added";
  EXPECT_EQ(Entries(dir_.path()), before);
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

}  // namespace
}  // namespace cco::testing

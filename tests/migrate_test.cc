// Tests for schema migrations and the database file itself: applying twice
// is a no-op, a changed or unknown applied migration stops startup with a
// clear message, a failed migration leaves nothing half-applied, a file that
// is not a database is refused without being touched, and a new database is
// created 0600 in a 0700 directory.

#include "src/sql_functions.h"
#include "src/migrate.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::CommandResult;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::ReadFile;
using ::cco::testing::RunCco;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

constexpr char kSchemaDump[] = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name";
constexpr char kMigrationsDump[] = "SELECT name, checksum, applied_ms FROM schema_migrations ORDER BY name";

// Runs one statement with a read-write connection of the test's own.
void ExecSql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  cco::RegisterSqlFunctions(db);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

int LineCount(const std::string& text) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    (void)line;
    ++n;
  }
  return n;
}

// A tree with one transcript, so a run that wrongly went ahead would store rows.
std::string MakeRoot(const TempDir& dir) {
  const std::string root = dir / "projects";
  WriteFile(root + "/-home-u-p/s-1.jsonl",
            R"({"type":"user","uuid":"u-1","sessionId":"s-1","message":{"content":"hi"}})"
            "\n");
  return root;
}

TEST(MigrateTest, EmbeddedMigrationsAreNumberedInOrder) {
  const std::vector<Migration>& migrations = EmbeddedMigrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations.front().name, "0001_initial.sql");
  for (size_t i = 1; i < migrations.size(); ++i) {
    EXPECT_LT(migrations[i - 1].name, migrations[i].name);
  }
}

TEST(MigrateTest, ApplyingTwiceIsANoOp) {
  TempDir dir;
  const std::string path = dir / "cco.db";
  {
    absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(Migrate(*db).ok());
  }
  const std::string schema = QueryRows(path, kSchemaDump);
  const std::string applied = QueryRows(path, kMigrationsDump);
  EXPECT_EQ(LineCount(applied), static_cast<int>(EmbeddedMigrations().size()));
  {
    absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    absl::Status again = Migrate(*db);
    ASSERT_TRUE(again.ok()) << again;
    EXPECT_TRUE(CheckSchema(*db).ok());
  }
  EXPECT_EQ(QueryRows(path, kSchemaDump), schema);
  EXPECT_EQ(QueryRows(path, kMigrationsDump), applied) << "nothing re-applied, nothing re-recorded";
}

TEST(MigrateTest, SecondRunOfTheBinaryAppliesNothing) {
  TempDir dir;
  const std::string root = MakeRoot(dir);
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  const std::string schema = QueryRows(db, kSchemaDump);
  const std::string applied = QueryRows(db, kMigrationsDump);
  CommandResult again = RunCco({"rescan", "--root", root, "--db", db});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(QueryRows(db, kSchemaDump), schema);
  EXPECT_EQ(QueryRows(db, kMigrationsDump), applied);
}

TEST(MigrateTest, ChangedAppliedMigrationIsAStartupError) {
  TempDir dir;
  const std::string root = MakeRoot(dir);
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  ExecSql(db, "DELETE FROM messages; UPDATE schema_migrations SET checksum = 'xxh64:0123456789abcdef'"
              " WHERE name = '0001_initial.sql'");
  ExecSql(db, "DELETE FROM files");

  CommandResult r = RunCco({"rescan", "--root", root, "--db", db});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 3);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "cco: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "0001_initial.sql")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "changed")) << r.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 0) << "nothing ingested into a suspect schema";
  EXPECT_EQ(QueryRows(db, "SELECT checksum FROM schema_migrations WHERE name = '0001_initial.sql'"),
            "xxh64:0123456789abcdef")
      << "the record is not silently rewritten";
}

TEST(MigrateTest, ChangedMigrationTextIsRejectedByTheLibrary) {
  TempDir dir;
  absl::StatusOr<Db> db = Db::Open(dir / "cco.db", Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  std::vector<Migration> v1 = {{"0001_a.sql", "CREATE TABLE a(x INTEGER);"}};
  ASSERT_TRUE(Migrate(*db, v1).ok());
  std::vector<Migration> edited = {{"0001_a.sql", "CREATE TABLE a(x INTEGER, y TEXT);"}};
  absl::Status s = Migrate(*db, edited);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "0001_a.sql")) << s;
  EXPECT_FALSE(CheckSchema(*db, edited).ok());
}

TEST(MigrateTest, MigrationUnknownToThisBinaryIsAStartupError) {
  TempDir dir;
  const std::string root = MakeRoot(dir);
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  ExecSql(db, "INSERT INTO schema_migrations(name, checksum, applied_ms) VALUES ('9999_future.sql', 'xxh64:0', 0)");
  CommandResult r = RunCco({"rescan", "--root", root, "--db", db});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "9999_future.sql")) << r.err;
}

TEST(MigrateTest, FailedMigrationLeavesNothingHalfApplied) {
  TempDir dir;
  const std::string path = dir / "cco.db";
  {
    absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    std::vector<Migration> migrations = {
        {"0001_a.sql", "CREATE TABLE a(x INTEGER);"},
        {"0002_b.sql", "CREATE TABLE b(x INTEGER); INSERT INTO nowhere VALUES (1);"},
    };
    absl::Status s = Migrate(*db, migrations);
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(absl::StrContains(s.message(), "0002_b.sql")) << s;
  }
  EXPECT_EQ(QueryRows(path, "SELECT name FROM schema_migrations"), "0001_a.sql");
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0)
      << "the failed migration's first statement was rolled back";
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM sqlite_master WHERE name = 'a'"), 1);
}

TEST(MigrateTest, FileThatIsNotADatabaseIsAClearErrorAndLeftAlone) {
  TempDir dir;
  const std::string root = MakeRoot(dir);
  const std::string db = dir / "notes.txt";
  const std::string content = "these are my notes, not a database\n" + std::string(5000, 'n');
  WriteFile(db, content);
  CommandResult r = RunCco({"rescan", "--root", root, "--db", db});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 3);
  EXPECT_EQ(LineCount(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "not a cco database")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, db)) << "the message names the file: " << r.err;
  EXPECT_EQ(ReadFile(db), content) << "the file is not modified";
}

TEST(MigrateTest, NewDatabaseIs0600InA0700Directory) {
  TempDir dir;
  const std::string root = MakeRoot(dir);
  // The default location (XDG_DATA_HOME/cco/cco.db): cco creates its
  // directories (a --db must name an existing one).
  const std::string db_dir = dir / "data/cco";
  const std::string db = db_dir + "/cco.db";
  // A permissive umask must not widen what cco creates.
  const mode_t old_umask = ::umask(0);
  CommandResult r = RunCco({"rescan", "--root", root}, {"XDG_DATA_HOME=" + dir / "data", "CCO_DB="});
  ::umask(old_umask);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto mode = [](const std::string& p) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
  };
  EXPECT_EQ(mode(dir / "data"), 0700);
  EXPECT_EQ(mode(db_dir), 0700);
  EXPECT_EQ(mode(db), 0600);
  EXPECT_EQ(mode(db + ".lock"), 0600);
  for (const char* suffix : {"-wal", "-shm"}) {
    const int m = mode(db + suffix);
    if (m != -1) {
      EXPECT_EQ(m, 0600) << suffix;
    }
  }
  EXPECT_EQ(QueryRows(db, "PRAGMA journal_mode"), "wal");
}

TEST(MigrateTest, ConnectionUsesWalAndForeignKeys) {
  TempDir dir;
  absl::StatusOr<Db> db = Db::Open(dir / "cco.db", Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<Stmt> mode = db->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
  absl::StatusOr<std::optional<int64_t>> fk = db->QueryInt("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok());
  EXPECT_EQ(fk->value_or(0), 1);
  absl::StatusOr<std::optional<int64_t>> sync = db->QueryInt("PRAGMA synchronous");
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->value_or(-1), 1) << "synchronous=NORMAL";
}

}  // namespace
}  // namespace cco

// Deferred full-text indexing (schema/0016_deferred_fts.sql): the writer
// indexes each batch's messages in bulk, in the batch's transaction, and
// moves the watermark storage_state.fts_next_id with them; messages_fts
// holds exactly the messages below it, whatever path inserted, revised, or
// deleted them.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "src/maintenance.h"
#include "src/migrate.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

// The migration that made the index deferred: databases written before it
// were indexed row by row by triggers.
constexpr char kDeferredMigration[] = "0016";
// The migration that put scripts written without spaces into the word index
// and dropped the trigram index.
constexpr char kUnspacedMigration[] = "0024";

std::string Prompt(const std::string& uuid, const std::string& text, int second = 0) {
  return absl::StrFormat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/t/app","sessionId":"s-1",)"
      R"("version":"2.1.1","type":"user","message":{"role":"user","content":"%s"},"uuid":"%s",)"
      R"("timestamp":"2026-01-02T03:04:%02d.000Z"})"
      "\n",
      text, uuid, second);
}

int64_t Words(const std::string& db, const std::string& match) {
  return QueryInt(db, absl::StrCat("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '", match, "'"));
}
// Messages holding 悬空引 (three characters of a script without spaces: a
// phrase of three words of the index).
int64_t Han(const std::string& db) { return Words(db, "\"悬 空 引\""); }

// FTS5's own check of the index against the messages it indexes.
void ExpectIndexesIntact(const std::string& db_path) {
  absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::Status s = FtsIntegrityCheck(*db, "messages_fts");
  EXPECT_TRUE(s.ok()) << s;
}

// Runs `sql` on a connection of its own, as another program would.
void ExecElsewhere(const std::string& db_path, const std::string& sql) {
  absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::Status s = db->Exec(sql);
  ASSERT_TRUE(s.ok()) << s << " in " << sql;
}

// A new database holding the transcript `file` of the prompts a, b, c
// (ids 1-3; c's text `c_text`), the watermark past them.
std::string ThreePrompts(const TempDir& dir, const std::string& file, const std::string& c_text) {
  WriteFile(file, Prompt("a", "alpha", 1) + Prompt("b", "bravo", 2) + Prompt("c", c_text, 3));
  const std::string db = dir / "cco.db";
  EXPECT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), 4);
  return db;
}

// One batch: its messages are indexed with their final text (a revision in
// the same batch replaces the first text before the index sees it), and the
// watermark sits past the newest message.
TEST(FtsIndexTest, EachBatchIsIndexedWithItsFinalTextAndTheWatermarkFollows) {
  TempDir dir;
  const std::string file = dir / "projects/-home-t-app/s-1.jsonl";
  WriteFile(file, Prompt("a", "alpha draft", 1) + Prompt("b", "bravo words", 2) +
                      Prompt("c", "第二步重新运行后悬空引用已经清零", 3) +
                      Prompt("a", "alpha final and longer", 1));
  const std::string db = dir / "cco.db";
  CommandResult r = RunCco({"replay", dir / "projects", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 3);
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), QueryInt(db, "SELECT max(id) + 1 FROM messages"));
  EXPECT_EQ(Words(db, "final"), 1);
  EXPECT_EQ(Words(db, "draft"), 0) << "the first revision's text is not in the index";
  EXPECT_EQ(Words(db, "bravo"), 1);
  EXPECT_EQ(Han(db), 1);
  ExpectIndexesIntact(db);

  // The next batch, appended: a revision of an indexed row, and new rows.
  AppendFile(file, Prompt("b", "bravo revised in a later batch", 2) + Prompt("d", "delta 悬空引用 again", 4));
  r = RunCco({"rescan", "--root", dir / "projects", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), QueryInt(db, "SELECT max(id) + 1 FROM messages"));
  EXPECT_EQ(Words(db, "words"), 0);
  EXPECT_EQ(Words(db, "later"), 1);
  EXPECT_EQ(Words(db, "delta"), 1);
  EXPECT_EQ(Han(db), 2);
  ExpectIndexesIntact(db);
  CommandResult check = RunCco({"check", "--db", db});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// Deleting the newest messages lets SQLite hand their ids out again, below
// the watermark: the writer's rows with such ids are indexed all the same,
// and the deleted rows leave the index.
TEST(FtsIndexTest, IdsReusedAfterTheNewestRowsWereDeletedAreIndexed) {
  TempDir dir;
  const std::string file = dir / "projects/-home-t-app/s-1.jsonl";
  const std::string db = ThreePrompts(dir, file, "charlie 悬空引用");
  ExecElsewhere(db, "DELETE FROM messages WHERE id >= 2");
  EXPECT_EQ(Words(db, "charlie"), 0);
  EXPECT_EQ(Han(db), 0);
  ExpectIndexesIntact(db);

  AppendFile(file, Prompt("d", "delta", 4) + Prompt("e", "echo 悬空引用", 5) + Prompt("f", "foxtrot", 6));
  ASSERT_EQ(RunCco({"rescan", "--root", dir / "projects", "--db", db}).exit_code, 0);
  ASSERT_EQ(QueryRows(db, "SELECT group_concat(id) FROM messages"), "1,2,3,4") << "ids 2 and 3 handed out again";
  EXPECT_EQ(Words(db, "delta"), 1);
  EXPECT_EQ(Words(db, "echo"), 1);
  EXPECT_EQ(Han(db), 1);
  EXPECT_EQ(Words(db, "foxtrot"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), 5);
  ExpectIndexesIntact(db);
}

// Another program deletes the newest messages, then inserts one: SQLite
// hands it a deleted one's id, which the delete trigger (0028) has brought
// back to the watermark, so the writer's next transaction indexes it. The
// old insert trigger indexed such a row itself; without either, it would
// stay out of the index below the watermark for good.
TEST(FtsIndexTest, AMessageAnotherProgramInsertsAfterTheNewestWereDeletedIsIndexed) {
  TempDir dir;
  const std::string db = ThreePrompts(dir, dir / "projects/-home-t-app/s-1.jsonl", "charlie");
  ExecElsewhere(db, "DELETE FROM messages WHERE id >= 2");
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), 2) << "down to the newest message";
  for (const char* text : {"inserted by a script", "and another 悬空引用"}) {
    ExecElsewhere(db, absl::StrCat("INSERT INTO messages(conversation_id, file_id, stream_id, generation,"
                                   " byte_offset, line_hash, uuid, type, content, raw, trigram)"
                                   " SELECT conversation_id, file_id, stream_id, generation, 999, 5, '",
                                   text, "', 'user', '", text, "', raw, 0 FROM messages WHERE id = 1"));
  }
  ASSERT_EQ(QueryRows(db, "SELECT group_concat(id) FROM (SELECT id FROM messages ORDER BY id)"), "1,2,3")
      << "ids 2 and 3 handed out again";
  EXPECT_EQ(Words(db, "script"), 0);
  ASSERT_EQ(RunCco({"rescan", "--root", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(Words(db, "script"), 1);
  EXPECT_EQ(Words(db, "another"), 1);
  EXPECT_EQ(Han(db), 1);
  EXPECT_EQ(Words(db, "charlie"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), 4);
  // (`cco check` would also say that the hand-made rows are missing from
  // the rollups: only the writer derives.)
  ExpectIndexesIntact(db);
}

// A row whose stored bytes change but not its text (re-encoded with another
// compression dictionary: the writer's recompression, forget's new
// dictionaries) keeps its index entries: nothing is deleted and written
// again (FTS5 would add segment data for it). A change of text still
// reaches the index.
TEST(FtsIndexTest, ReencodingARowLeavesTheIndexesAloneAChangedTextReachesThem) {
  TempDir dir;
  const std::string file = dir / "projects/-home-t-app/s-1.jsonl";
  std::string long_text = "alpha 悬空引用 kept";
  for (int i = 0; i < 200; ++i) absl::StrAppend(&long_text, " filler", i % 7);
  WriteFile(file, Prompt("a", long_text, 1) + Prompt("b", "bravo", 2));
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  ASSERT_EQ(QueryRows(db, "SELECT typeof(content) FROM messages WHERE uuid = 'a'"), "blob") << "stored compressed";
  auto segments = [&db] {
    return QueryInt(db, "SELECT count(*) FROM messages_fts_data");
  };
  const int64_t before = segments();
  // The same text, stored as other bytes (as is instead of a zstd frame).
  ExecElsewhere(db, "UPDATE messages SET content = cco_text(content) WHERE uuid = 'a'");
  EXPECT_EQ(segments(), before) << "re-encoding the same text wrote index data";
  EXPECT_EQ(Words(db, "kept"), 1);
  EXPECT_EQ(Han(db), 1);
  ExpectIndexesIntact(db);
  ExecElsewhere(db, "UPDATE messages SET content = 'alpha 悬空引用 changed' WHERE uuid = 'a'");
  EXPECT_EQ(Words(db, "kept"), 0);
  EXPECT_EQ(Words(db, "changed"), 1);
  EXPECT_EQ(Han(db), 1);
  ExpectIndexesIntact(db);
}

// A message inserted by any other connection (a script with the extension
// loaded) is indexed by the writer's next transaction, the one that opens
// it included (schema/0028_writer_indexes_its_inserts.sql).
TEST(FtsIndexTest, AnotherConnectionsInsertIsIndexedByTheWritersNextTransaction) {
  TempDir dir;
  const std::string file = dir / "projects/-home-t-app/s-1.jsonl";
  WriteFile(file, Prompt("a", "alpha", 1));
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  ExecElsewhere(db,
                "INSERT INTO messages(conversation_id, file_id, stream_id, generation, byte_offset, line_hash,"
                " uuid, type, content, raw, trigram) SELECT conversation_id, file_id, stream_id, generation, 999,"
                " 5, 'x', 'user', 'inserted by a script 悬空引用', raw, 1 FROM messages WHERE id = 1");
  EXPECT_EQ(Words(db, "script"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), 2);
  // Nothing new to read: the writer opens, indexes it, and has nothing else to do.
  ASSERT_EQ(RunCco({"rescan", "--root", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(Words(db, "script"), 1);
  EXPECT_EQ(Han(db), 1);
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), 3);
  ExpectIndexesIntact(db);

  AppendFile(file, Prompt("b", "bravo", 2));
  ASSERT_EQ(RunCco({"rescan", "--root", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(Words(db, "bravo"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT fts_next_id FROM storage_state"), 4);
  ExpectIndexesIntact(db);
}

// A database whose index the per-row triggers wrote is migrated in place:
// the watermark starts past its newest message, its rows stay searchable,
// the next batches are indexed in bulk, `cco check` is clean.
TEST(FtsIndexTest, DatabaseIndexedRowByRowIsMigrated) {
  TempDir dir;
  const std::string root = dir / "projects", path = root + "/-home-t-app/s-1.jsonl";
  const std::string first = Prompt("a", "an old searchable phrase 悬空引用", 1);
  WriteFile(path, first);
  const std::string db_path = dir / "cco.db";
  {
    absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    std::vector<Migration> before;
    for (const Migration& m : EmbeddedMigrations()) {
      if (m.name < kDeferredMigration) before.push_back(m);
    }
    ASSERT_TRUE(Migrate(*db, before).ok());
    const std::string line = first.substr(0, first.size() - 1), size = std::to_string(first.size());
    absl::Status s = db->Exec(absl::StrCat(
        "INSERT INTO projects(id, dir_name, cwd, first_seen_ms) VALUES (1, '-home-t-app', '/home/t/app', 1);"
        "INSERT INTO conversations(id, session_id, project_id, message_count, started_ms, ended_ms)"
        " VALUES (1, 's-1', 1, 1, 1767323041000, 1767323041000);"
        "INSERT INTO streams(id, name) VALUES (1, '-home-t-app/s-1.jsonl');"
        "INSERT INTO files(id, path, root, project_id, stream_id, session_id, report_session, dev, inode, size,"
        " mtime_ns, read_position, line_count, first_seen_ms, updated_ms) VALUES (1, '", path, "', '", root,
        "', 1, 1, 's-1', 's-1', 0, 0, ", size, ", 0, ", size, ", 1, 1, 1);"
        "INSERT INTO messages(conversation_id, file_id, stream_id, generation, byte_offset, line_hash, uuid, type,"
        " timestamp_ms, content, raw, kind, trigram) VALUES (1, 1, 1, 1, 0, 7, 'a', 'user', 1767323041000,"
        " 'an old searchable phrase 悬空引用', '", line, "', 1, 1);"
        // The derived rows of the hand-made row come from a rederive, which
        // also rewrites its stored text (through the update trigger).
        "INSERT INTO rederive_requests(reason) VALUES ('test');"));
    ASSERT_TRUE(s.ok()) << s;
  }
  ASSERT_EQ(Words(db_path, "searchable"), 1) << "indexed by the old trigger";
  AppendFile(path, Prompt("b", "a new phrase", 2));
  CommandResult r = RunCco({"rescan", "--root", root, "--db", db_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db_path, absl::StrCat("SELECT count(*) FROM schema_migrations WHERE name LIKE '",
                                           kDeferredMigration, "%'")),
            1);
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(QueryInt(db_path, "SELECT fts_next_id FROM storage_state"),
            QueryInt(db_path, "SELECT max(id) + 1 FROM messages"));
  EXPECT_EQ(Words(db_path, "searchable"), 1);
  EXPECT_EQ(Words(db_path, "new"), 1);
  EXPECT_EQ(Han(db_path), 1);
  ExpectIndexesIntact(db_path);
  CommandResult check = RunCco({"check", "--db", db_path});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// A database with the trigram index (migrations before 0024) is migrated in
// place: its rows in scripts without spaces are indexed again character by
// character (a row the kind backfill has not classified yet as well), every
// other row keeps its entries, the trigram index is gone, FTS5's check and
// `cco check` are clean, and search finds each form.
TEST(FtsIndexTest, DatabaseWithTheTrigramIndexIsMigrated) {
  TempDir dir;
  const std::string root = dir / "projects", path = root + "/-home-t-app/s-1.jsonl";
  const std::vector<std::string> texts = {"an old 悬空引用 in Han", "charlie delta plain", "第二步 unclassified"};
  std::string lines;
  for (size_t i = 0; i < texts.size(); ++i) lines += Prompt(std::string(1, 'a' + i), texts[i], 1 + i);
  WriteFile(path, lines);
  const std::string db_path = dir / "cco.db";
  {
    absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    std::vector<Migration> before;
    for (const Migration& m : EmbeddedMigrations()) {
      if (m.name < kUnspacedMigration) before.push_back(m);
    }
    ASSERT_TRUE(Migrate(*db, before).ok());
    std::string sql = absl::StrCat(
        "INSERT INTO projects(id, dir_name, cwd, first_seen_ms) VALUES (1, '-home-t-app', '/home/t/app', 1);"
        "INSERT INTO conversations(id, session_id, project_id, message_count, started_ms, ended_ms)"
        " VALUES (1, 's-1', 1, 3, 1767323041000, 1767323043000);"
        "INSERT INTO streams(id, name) VALUES (1, '-home-t-app/s-1.jsonl');"
        "INSERT INTO files(id, path, root, project_id, stream_id, session_id, report_session, dev, inode, size,"
        " mtime_ns, read_position, line_count, first_seen_ms, updated_ms) VALUES (1, '", path, "', '", root,
        "', 1, 1, 's-1', 's-1', 0, 0, ", lines.size(), ", 0, ", lines.size(), ", 3, 1, 1);");
    size_t offset = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::string line = Prompt(std::string(1, 'a' + i), texts[i], 1 + i);
      // The last row as the kind backfill has not reached it yet.
      const bool han = i != 1, classified = i != 2;
      absl::StrAppend(&sql, "INSERT INTO messages(conversation_id, file_id, stream_id, generation, byte_offset,"
                            " line_hash, uuid, type, timestamp_ms, content, raw, kind, trigram) VALUES (1, 1, 1, 1, ",
                      offset, ", ", 7 + i, ", '", std::string(1, 'a' + i), "', 'user', ", 1767323041000 + 1000 * i,
                      ", '", texts[i], "', '", line.substr(0, line.size() - 1), "', ",
                      classified ? "1" : "NULL", ", ", han && classified ? 1 : 0, ");");
      offset += line.size();
    }
    absl::StrAppend(&sql, "INSERT INTO rederive_requests(reason) VALUES ('test');");
    absl::Status s = db->Exec(sql);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(QueryInt(db_path, "SELECT count(*) FROM messages_trigram WHERE messages_trigram MATCH '\"悬空引\"'"), 1);
    ASSERT_EQ(Han(db_path), 0) << "the old word index holds 悬空引用 as one word";
  }
  CommandResult r = RunCco({"rescan", "--root", root, "--db", db_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db_path, absl::StrCat("SELECT count(*) FROM schema_migrations WHERE name LIKE '",
                                           kUnspacedMigration, "%'")),
            1);
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'messages_trigram%'"), 0);
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM messages"), 3);
  EXPECT_EQ(Han(db_path), 1);
  EXPECT_EQ(Words(db_path, "\"第 二 步\""), 1) << "the unclassified row too";
  EXPECT_EQ(Words(db_path, "charlie"), 1);
  EXPECT_EQ(Words(db_path, "unclassified"), 1);
  EXPECT_EQ(Words(db_path, "悬空引用"), 0) << "the old token is gone";
  ExpectIndexesIntact(db_path);
  CommandResult check = RunCco({"check", "--db", db_path});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  CommandResult search = RunCco({"search", "--db", db_path, "--json", "引用"});
  EXPECT_EQ(JsonInt(search.out, "total"), 1) << search.out << search.err;
}

}  // namespace
}  // namespace cco::testing

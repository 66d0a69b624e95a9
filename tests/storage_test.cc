// The stored format: every line recoverable byte-exact from the compressed
// database, old databases migrated in place, the loadable extension, the
// change sequence.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/change_sequence.h"
#include "src/migrate.h"
#include "src/reader.h"
#include "src/sqlite.h"
#include "src/stored_lines.h"
#include "tests/test_support.h"

namespace cco {
namespace {

namespace fs = std::filesystem;
using ::cco::testing::CommandResult;
using ::cco::testing::CorpusDir;
using ::cco::testing::Filler;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::ReadFile;
using ::cco::testing::RunCco;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

// The non-blank lines of a file by offset, as `cco replay` takes them: the
// bytes between two newlines ('\r' kept), after a UTF-8 byte-order mark at
// offset 0, and a final line without its newline.
std::map<int64_t, std::string> FileLines(const std::string& path) {
  const std::string text = ReadFile(path);
  std::map<int64_t, std::string> lines;
  size_t start = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  while (true) {
    if (start >= text.size()) break;
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    const bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (!blank) lines[static_cast<int64_t>(start)] = std::move(line);
    start = nl + 1;
  }
  return lines;
}

// Every file of the database's tree, rebuilt from the database, equals the
// file's lines; returns how many lines were compared.
int64_t ExpectEveryFileRecoverable(const std::string& db_path) {
  absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadOnly);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return 0;
  std::vector<std::pair<int64_t, std::string>> files;
  absl::StatusOr<Stmt> s = db->Prepare("SELECT id, path FROM files WHERE archived_ms IS NULL ORDER BY path");
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(s->ForEachRow([&files](const Stmt& r) {
                 files.emplace_back(r.ColumnInt(0), r.ColumnText(1));
                 return true;
               }).ok());
  int64_t compared = 0;
  for (const auto& [id, path] : files) {
    const std::map<int64_t, std::string> expected = FileLines(path);
    absl::StatusOr<std::vector<StoredLine>> stored = StoredLinesOfFile(*db, id);
    EXPECT_TRUE(stored.ok()) << stored.status();
    if (!stored.ok()) continue;
    std::map<int64_t, const StoredLine*> by_offset;
    for (const StoredLine& l : *stored) by_offset[l.byte_offset] = &l;
    EXPECT_EQ(by_offset.size(), expected.size()) << path;
    for (const auto& [offset, bytes] : expected) {
      auto it = by_offset.find(offset);
      if (it == by_offset.end()) {
        ADD_FAILURE() << path << " @" << offset << ": line not in the database";
        continue;
      }
      const StoredLine& got = *it->second;
      EXPECT_TRUE(got.found) << path << " @" << offset;
      if (got.truncated) {
        EXPECT_EQ(bytes.substr(0, got.bytes.size()), got.bytes) << path << " @" << offset << ": prefix";
      } else {
        EXPECT_EQ(got.bytes, bytes) << path << " @" << offset;
      }
      ++compared;
    }
  }
  return compared;
}

std::string UserLine(const std::string& uuid, const std::string& text) {
  return absl::StrCat(R"({"type":"user","uuid":")", uuid,
                      R"(","sessionId":"s-1","timestamp":"2026-01-02T03:04:05.000Z","cwd":"/w","message":{"role":"user","content":")",
                      text, R"("}})");
}

// CRLF lines, a quarantined line with invalid UTF-8, a blank line, an
// unknown type, a line copied into a second file (stored once, the copy a
// duplicate): each comes back byte-exact.
TEST(StorageTest, EveryKindOfLineComesBackByteExact) {
  TempDir dir;
  const std::string root = dir / "projects";
  const std::string a = root + "/-w/s-1.jsonl", b = root + "/-w/s-2.jsonl";
  const std::string copied = UserLine("u-2", "copied into the next session");
  WriteFile(a, UserLine("u-1", "crlf line") + "\r\n" + copied + "\n" + "\n" + "{\"type\":\"x\",\"bad\":\"\xff\xfe\"}\n" +
                   R"({"type":"teleport-beacon","uuid":"t-1","sessionId":"s-1"})" + "\r\n");
  WriteFile(b, copied + "\n" + UserLine("u-3", "own line") + "\n");
  const std::string db = dir / "cco.db";
  CommandResult r = RunCco({"replay", root, "--db", db, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(::cco::testing::JsonInt(r.out, "duplicates"), 1) << r.out;
  EXPECT_EQ(::cco::testing::JsonInt(r.out, "quarantined"), 1) << r.out;
  EXPECT_EQ(ExpectEveryFileRecoverable(db), 6);
}

// The shared corpus (135 real transcripts, big enough for the trained
// dictionaries): every line of every file rebuilt from the database, and the
// database smaller than the transcripts.
TEST(StorageTest, EveryCorpusLineComesBackByteExactFromASmallerDatabase) {
  if (CorpusDir().empty()) GTEST_SKIP() << "shared corpus not found beside the repository; skipping";
  TempDir dir;
  const std::string db = dir / "cco.db";
  CommandResult r = RunCco({"replay", CorpusDir() + "/projects", "--db", db, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(DISTINCT kind) FROM zstd_dictionaries"), 2) << "both dictionaries trained";
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE typeof(raw) = 'text' AND length(raw) > 512"), 0)
      << "every sizeable line compressed (older rows recompressed after training)";
  EXPECT_GT(ExpectEveryFileRecoverable(db), 14000);
  ASSERT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
  // Checkpointed and measured: every table and index included.
  const int64_t transcripts = ::cco::testing::JsonInt(r.out, "bytes");
  const int64_t database = static_cast<int64_t>(fs::file_size(db));
  EXPECT_LT(database, transcripts) << "database " << database << " bytes for " << transcripts
                                   << " bytes of transcripts";
}

// zstd trains a dictionary on a thread of its own, and the commit after the
// one that read its samples adds it. When that was the rescan's last commit,
// the writer's idle upkeep adds it, or, when the rescan ends first, the
// writer's last upkeep before exiting: either way a rescan that stored
// enough of a kind ends with its dictionary.
TEST(StorageTest, ADictionaryTrainedAfterTheLastCommitIsAddedBeforeTheWriterExits) {
  TempDir dir;
  const std::string root = dir / "projects";
  const std::string file = root + "/-w/s-1.jsonl";
  const std::string db = dir / "cco.db";
  auto lines = [](int from, int to) {
    std::string out;
    for (int i = from; i < to; ++i) out += UserLine(absl::StrCat("u-", i), Filler(i, 1000)) + "\n";
    return out;
  };
  // 3,800 messages: over 4 MiB of lines, under 4 MiB of text (a stored row
  // counts as 1 KiB of text once the writer restarts).
  WriteFile(file, lines(0, 3800));
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM zstd_dictionaries WHERE kind = 'line'"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM zstd_dictionaries WHERE kind = 'text'"), 0);
  // 400 more: the text crosses 4 MiB in this rescan's only commit.
  ::cco::testing::AppendFile(file, lines(3800, 4200));
  CommandResult r = RunCco({"rescan", "--root", root, "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM zstd_dictionaries WHERE kind = 'text'"), 1)
      << "the text dictionary trained after the last commit was not added";
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

// The loadable extension gives people's own tools the same functions.
TEST(StorageTest, LoadableExtensionDecodesStoredLines) {
  TempDir dir;
  const std::string root = dir / "projects";
  const std::string line = UserLine("u-1", std::string(400, 'z') + " findable");
  WriteFile(root + "/-w/s-1.jsonl", line + "\n");
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", root, "--db", db}).exit_code, 0);
  sqlite3* conn = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_enable_load_extension(conn, 1), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_load_extension(conn, CCO_SQLITE_EXTENSION, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(conn,
                               "SELECT typeof(m.raw), cco_raw(m.raw), snippet(messages_fts, 0, '[', ']', '…', 4)"
                               " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                               " WHERE messages_fts MATCH 'findable'",
                               -1, &stmt, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(conn);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sqlite3_errmsg(conn);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))), "blob") << "stored compressed";
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))), line);
  EXPECT_NE(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2))).find("[findable]"),
            std::string::npos);
  sqlite3_finalize(stmt);
  sqlite3_close(conn);
}

// Every insert and every change of a replicable row gets a new, higher
// change sequence; the high-water mark is saved with it.
TEST(StorageTest, ChangeSequenceGrowsWithEveryInsertAndRevision) {
  TempDir dir;
  const std::string root = dir / "projects", path = root + "/-w/s-1.jsonl";
  const std::string head = R"({"type":"assistant","uuid":"a-1","sessionId":"s-1","timestamp":"2026-01-02T03:04:06.000Z","requestId":"r-1","message":{"id":"m-1","model":"claude-sonnet-4-5","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":)";
  const std::string tail = R"(,"usage":{"input_tokens":4,"output_tokens":)";
  WriteFile(path, UserLine("u-1", "hello") + "\n" + head + "null" + tail + "2}}}\n");
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  const std::string tables[] = {"messages", "events", "tool_executions", "usage_winners", "conversations", "projects"};
  auto max_seq = [&]() {
    int64_t m = 0;
    for (const std::string& t : tables) m = std::max(m, QueryInt(db, "SELECT coalesce(max(change_seq), 0) FROM " + t));
    return m;
  };
  const int64_t first = max_seq();
  EXPECT_GT(first, 0);
  EXPECT_EQ(QueryInt(db, "SELECT change_seq FROM storage_state"), first);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE change_seq = 0"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(DISTINCT change_seq) FROM messages"), 2);
  // The response is rewritten with its final usage (a revision).
  WriteFile(path + ".tmp", UserLine("u-1", "hello") + "\n" + head + "\"end_turn\"" + tail + "300}}}\n");
  fs::rename(path + ".tmp", path);
  ASSERT_EQ(RunCco({"rescan", "--root", root, "--db", db}).exit_code, 0);
  EXPECT_GT(QueryInt(db, "SELECT change_seq FROM messages WHERE uuid = 'a-1'"), first);
  EXPECT_GT(QueryInt(db, "SELECT change_seq FROM usage_winners"), first);
  EXPECT_EQ(QueryInt(db, "SELECT output_tokens FROM usage_winners"), 300);
  EXPECT_EQ(QueryInt(db, "SELECT change_seq FROM messages WHERE uuid = 'u-1'"),
            QueryInt(db, "SELECT min(change_seq) FROM messages")) << "an unchanged row keeps its number";
  EXPECT_EQ(QueryInt(db, "SELECT change_seq FROM storage_state"), max_seq());
  absl::StatusOr<Db> read = OpenDbReadOnly(db);
  ASSERT_TRUE(read.ok()) << read.status();
  absl::StatusOr<int64_t> committed = CommittedChangeSeq(*read);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, max_seq()) << "the version a page or a replica reads";
}

// A database written before this storage format (plain lines, the old
// full-text index, full tool inputs) is migrated in place by the next
// writer: its lines readable, its text searchable, `cco check` clean.
TEST(StorageTest, DatabaseWrittenBeforeCompressionIsMigratedInPlace) {
  TempDir dir;
  const std::string root = dir / "projects", path = root + "/-w/s-1.jsonl";
  const std::string line = UserLine("u-1", "an old searchable phrase");
  WriteFile(path, line + "\n");
  const std::string db_path = dir / "cco.db";
  {
    absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    std::vector<Migration> before;
    for (const Migration& m : EmbeddedMigrations()) {
      if (m.name < "0011") before.push_back(m);
    }
    ASSERT_TRUE(Migrate(*db, before).ok());
    const std::string size = std::to_string(line.size() + 1);
    ASSERT_TRUE(db->Exec(absl::StrCat(
        "INSERT INTO projects(id, dir_name, cwd, first_seen_ms) VALUES (1, '-w', '/w', 1);"
        "INSERT INTO conversations(id, session_id, project_id, message_count, started_ms, ended_ms)"
        " VALUES (1, 's-1', 1, 1, 1767323045000, 1767323045000);"
        "INSERT INTO streams(id, name) VALUES (1, '-w/s-1.jsonl');"
        "INSERT INTO files(id, path, root, project_id, stream_id, session_id, report_session, dev, inode, size,"
        " mtime_ns, read_position, line_count, first_seen_ms, updated_ms) VALUES (1, '", path, "', '", root,
        "', 1, 1, 's-1', 's-1', 0, 0, ", size, ", 0, ", size, ", 1, 1, 1);"
        "INSERT INTO messages(conversation_id, file_id, stream_id, generation, byte_offset, line_hash, uuid, type,"
        " timestamp_ms, content, raw) VALUES (1, 1, 1, 1, 0, 7, 'u-1', 'user', 1767323045000,"
        " 'an old searchable phrase', '", line, "');"
        "INSERT INTO quarantine(file_id, stream_id, generation, byte_offset, length, line_hash, occurrence, reason,"
        " raw, quarantined_ms) VALUES (1, 1, 0, 0, 3, 9, 1, 'invalid_utf8', x'41ff42', 1);"))
                    .ok());
  }
  CommandResult r = RunCco({"rescan", "--root", root, "--db", db_path, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM messages"), 1) << "nothing stored twice";
  EXPECT_EQ(QueryRows(db_path, "SELECT cco_raw(raw) FROM messages"), line);
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'searchable'"), 1);
  EXPECT_EQ(QueryRows(db_path, "SELECT hex(cco_raw(raw)) FROM quarantine"), "41FF42");
  EXPECT_EQ(QueryInt(db_path, "SELECT count(*) FROM schema_migrations WHERE name LIKE '0011%'"), 1);
  CommandResult check = RunCco({"check", "--db", db_path});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// A compressed line damaged on disk is found by `cco check`, named clearly.
TEST(StorageTest, CheckFindsADamagedCompressedLine) {
  TempDir dir;
  const std::string root = dir / "projects";
  WriteFile(root + "/-w/s-1.jsonl", UserLine("u-1", std::string(400, 'z')) + "\n");
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", root, "--db", db}).exit_code, 0);
  ASSERT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
  {
    absl::StatusOr<Db> conn = Db::Open(db, Db::Mode::kReadWrite);
    ASSERT_TRUE(conn.ok());
    // Keep the frame header, break the compressed bytes after it.
    ASSERT_TRUE(conn->Exec("UPDATE messages SET raw = CAST(substr(raw, 1, 12) || zeroblob(length(raw) - 12) AS BLOB)").ok());
  }
  CommandResult r = RunCco({"check", "--db", db});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("stored lines do not decode"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace cco

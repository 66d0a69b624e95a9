// Replay of the shared corpus of real Claude Code transcripts
// (../shared/corpus): every non-empty line becomes exactly one message, event
// or quarantine row, none is quarantined, the database is sound and
// full-text search answers. Skipped with a message when the corpus is absent.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

// Non-empty lines of a file, counted independently of cco: split on '\n',
// one trailing '\r' stripped, a final line without '\n' included (replay
// takes files as complete).
int64_t NonEmptyLines(const std::string& path) {
  const std::string data = ReadFile(path);
  int64_t n = 0;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    size_t len = end - start;
    if (len > 0 && data[start + len - 1] == '\r') --len;
    if (len > 0) ++n;
    start = end + 1;
  }
  return n;
}

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus_ = CorpusDir();
    if (corpus_.empty()) {
      GTEST_SKIP() << "no corpus at " << CCO_CORPUS_DIR << "/projects (the shared corpus of real transcripts is "
                   << "not on this machine); skipping the real-corpus replay";
    }
  }
  std::string corpus_;
  TempDir dir_;
};

TEST_F(CorpusTest, ReplayStoresEveryNonEmptyLineExactlyOnce) {
  const std::string root = corpus_ + "/projects";
  std::map<std::string, int64_t> expected_per_file;
  int64_t expected_lines = 0, files = 0, waiting = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".jsonl") continue;
    const int64_t n = NonEmptyLines(e.path().string());
    if (n == 0) {
      // No first line yet (a session that just started): not taken, counted
      // as waiting.
      ++waiting;
      continue;
    }
    expected_per_file[e.path().string()] = n;
    expected_lines += n;
    ++files;
  }
  ASSERT_GT(expected_lines, 0);

  const std::string db = dir_ / "corpus.db";
  CommandResult r = RunCco({"replay", root, "--db", db, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), files) << r.out;
  EXPECT_EQ(JsonInt(r.out, "waiting"), waiting) << r.out;
  EXPECT_EQ(JsonInt(r.out, "skipped"), 0) << "every corpus file with a line is a transcript: " << r.out;
  EXPECT_EQ(JsonInt(r.out, "lines"), expected_lines) << r.out;
  EXPECT_EQ(JsonInt(r.out, "quarantined"), 0) << r.out;
  EXPECT_EQ(JsonInt(r.out, "duplicates"), 0) << r.out;
  EXPECT_EQ(JsonInt(r.out, "messages") + JsonInt(r.out, "events"), expected_lines) << r.out;

  const int64_t rows = QueryInt(db, "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM events)"
                                    " + (SELECT count(*) FROM quarantine)");
  EXPECT_EQ(rows, expected_lines);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM quarantine"), 0)
      << QueryRows(db, "SELECT f.path, q.byte_offset, q.reason FROM quarantine q JOIN files f ON f.id = q.file_id"
                       " LIMIT 5");

  // Per file: rows (each at its own offset) equal the file's non-empty lines.
  const std::string per_file = QueryRows(
      db,
      "SELECT f.path, f.line_count,"
      " (SELECT count(DISTINCT byte_offset) FROM messages WHERE file_id = f.id)"
      " + (SELECT count(DISTINCT byte_offset) FROM events WHERE file_id = f.id)"
      " + (SELECT count(DISTINCT byte_offset) FROM quarantine WHERE file_id = f.id),"
      " f.read_position FROM files f ORDER BY f.path");
  std::map<std::string, std::string> stored;  // path -> "lines|rows|read_position"
  for (absl::string_view row : absl::StrSplit(per_file, '\n')) {
    std::vector<std::string> cols = absl::StrSplit(row, '|');
    if (cols.size() == 4) stored[cols[0]] = absl::StrCat(cols[1], "|", cols[2], "|", cols[3]);
  }
  std::vector<std::string> mismatches;
  for (const auto& [path, n] : expected_per_file) {
    const std::string want = absl::StrCat(n, "|", n, "|", static_cast<int64_t>(fs::file_size(path)));
    auto it = stored.find(path);
    const std::string got = it == stored.end() ? "(no files row)" : it->second;
    if (got != want) mismatches.push_back(absl::StrCat(path, ": want ", want, ", got ", got));
  }
  EXPECT_TRUE(mismatches.empty()) << "files whose rows differ from their lines (line_count|rows|read_position):\n"
                                  << absl::StrJoin(mismatches, "\n");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM files"), files);

  EXPECT_EQ(QueryRows(db, "PRAGMA integrity_check"), "ok");
  EXPECT_GT(QueryInt(db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'error'"), 0);
  // The FTS index agrees with its content table.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages_fts"), QueryInt(db, "SELECT count(*) FROM messages"));

  // A second replay finds nothing new.
  CommandResult again = RunCco({"replay", root, "--db", db, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonInt(again.out, "lines"), 0) << again.out;
  EXPECT_EQ(JsonInt(again.out, "messages") + JsonInt(again.out, "events"), 0) << again.out;
}

TEST_F(CorpusTest, EveryStoredRawLineIsValidJson) {
  const std::string db = dir_ / "corpus.db";
  ASSERT_EQ(RunCco({"replay", corpus_ + "/projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE NOT json_valid(cco_raw(raw))"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM events WHERE NOT json_valid(cco_raw(raw))"), 0);
  // Images are placeholders in the searchable text, never base64.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE cco_text(content) LIKE '%iVBORw0KGgo%'"
                         " OR content LIKE '%/9j/4AAQSkZJRg%'"),
            0);
}

}  // namespace
}  // namespace cco::testing

// Revisions: a keyed line that comes back with other bytes (a transcript
// replaced atomically with the final usage filled in, a same-uuid copy after
// a compaction boundary) flows into everything derived from it, and the row
// shows the same revision whatever the arrival order, so rescan, watch and a
// fresh replay agree (compared on the canonical dump).

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/tree_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

using ::cco::testing::Dump;
using ::cco::testing::QueryInt;
using ::cco::testing::RunCco;
using ::cco::testing::WriteFile;

constexpr char kSession[] = "0f5b6d3e-rev1-4a1b-9c2d-000000000001";

std::string User() {
  return absl::StrFormat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/t/w","sessionId":"%s",)"
      R"("version":"2.1.1","type":"user","message":{"role":"user","content":"explain the build error"},)"
      R"("uuid":"u-1","timestamp":"2026-03-02T10:00:00.000Z"})"
      "\n",
      kSession);
}

// One block line of the streamed response m-1 / req-1.
std::string Block(const std::string& uuid, const std::string& block, int output, const char* stop_reason) {
  return absl::StrFormat(
      R"({"parentUuid":"u-1","isSidechain":false,"userType":"external","cwd":"/home/t/w","sessionId":"%s",)"
      R"("version":"2.1.1","type":"assistant","message":{"id":"m-1","type":"message","role":"assistant",)"
      R"("model":"claude-sonnet-4-5-20250929","content":[%s],"stop_reason":%s,"stop_sequence":null,)"
      R"("usage":{"input_tokens":4,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,)"
      R"("output_tokens":%d}},"requestId":"req-1","uuid":"%s","timestamp":"2026-03-02T10:00:05.000Z"})"
      "\n",
      kSession, block, stop_reason, output, uuid);
}

std::string Thinking(int output, const char* stop) {
  return Block("a-1", R"({"type":"thinking","thinking":"the file is missing","signature":"x"})", output, stop);
}
std::string Text(int output, const char* stop) {
  return Block("a-2", R"({"type":"text","text":"the build error comes from a missing file"})", output, stop);
}

std::string CompactBoundary() {
  return absl::StrFormat(
      R"({"parentUuid":null,"logicalParentUuid":"a-2","isSidechain":false,"userType":"external","cwd":"/home/t/w",)"
      R"("sessionId":"%s","version":"2.1.1","type":"system","subtype":"compact_boundary",)"
      R"("content":"Conversation compacted","isMeta":false,"timestamp":"2026-03-02T10:05:00.000Z","uuid":"c-1",)"
      R"("level":"info","compactMetadata":{"trigger":"auto","preTokens":150000}})"
      "\n",
      kSession);
}

class RevisionTest : public ::cco::testing::WatchFixture {
 protected:
  std::string Path(const std::string& root) const { return root + "/-home-t-w/" + kSession + ".jsonl"; }

  // Writes `content` to a temporary file and renames it over the transcript
  // (a new inode under the same name), as an atomic rewrite does.
  void Replace(const std::string& root, const std::string& content) {
    const std::string tmp = Path(root) + ".tmp";
    WriteFile(tmp, content);
    ASSERT_EQ(::rename(tmp.c_str(), Path(root).c_str()), 0);
  }

  void Rescan(const std::string& root, const std::string& db) {
    ::cco::testing::CommandResult r = RunCco({"rescan", "--root", root, "--db", db, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // A fresh database from one replay of `content`.
  std::string FreshReplay(const std::string& content) {
    const std::string root = tmp_ / "fresh/projects";
    WriteFile(Path(root), content);
    const std::string db = tmp_ / "fresh.db";
    ::cco::testing::CommandResult r = RunCco({"replay", root, "--db", db, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return db;
  }

  static int64_t Output(const std::string& db) { return QueryInt(db, "SELECT sum(output_tokens) FROM token_rollups"); }
  static int64_t Cost(const std::string& db) { return QueryInt(db, "SELECT sum(cost_nanousd) FROM token_rollups"); }

  void ExpectSameAsFresh(const std::string& db, const std::string& final_content) {
    const std::string fresh = FreshReplay(final_content);
    EXPECT_EQ(Output(fresh), 300);
    EXPECT_EQ(Output(db), 300);
    EXPECT_EQ(Cost(db), Cost(fresh));
    EXPECT_EQ(absl::StrJoin(Dump(db), "\n"), absl::StrJoin(Dump(fresh), "\n"));
    ::cco::testing::CommandResult check = RunCco({"check", "--db", db});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }
};

const std::string kInitial = User() + Thinking(2, "null") + Text(2, "null");
const std::string kFinal = User() + Thinking(300, "\"end_turn\"") + Text(300, "\"end_turn\"");

TEST_F(RevisionTest, FileReplacedWithFinalUsageCountsItOnRescan) {
  const std::string& root = root_;
  const std::string& db = db_;
  WriteFile(Path(root), kInitial);
  Rescan(root, db);
  ASSERT_EQ(Output(db), 2);
  Replace(root, kFinal);
  Rescan(root, db);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 3);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE stop_reason = 'end_turn'"), 2);
  EXPECT_EQ(QueryInt(db, "SELECT sum(revisions) FROM messages"), 2);
  ExpectSameAsFresh(db, kFinal);
}

TEST_F(RevisionTest, FileReplacedWithFinalUsageCountsItUnderWatch) {
  auto daemon = StartWatch();
  ::cco::testing::Append(Path(root_), kInitial);
  ExpectArrivesOnce("SELECT sum(output_tokens) FROM token_rollups", 2, daemon.get());
  Replace(root_, kFinal);
  ExpectArrivesOnce("SELECT sum(output_tokens) FROM token_rollups", 300, daemon.get());
  StopAndExpectClean(*daemon);
  ExpectSameAsFresh(db_, kFinal);
}

TEST_F(RevisionTest, SameUuidCopyAfterACompactionBoundaryCounts) {
  const std::string& root = root_;
  const std::string& db = db_;
  const std::string first = kInitial + CompactBoundary();
  WriteFile(Path(root), first);
  Rescan(root, db);
  ASSERT_EQ(Output(db), 2);
  ::cco::testing::AppendFile(Path(root), Text(300, "\"end_turn\""));
  Rescan(root, db);
  ExpectSameAsFresh(db, first + Text(300, "\"end_turn\""));
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM duplicates"), 1) << "the superseded line is accounted for";
}

// A line with usage but no message.id is its own usage slot: a revision of
// it replaces its copy there, never adds a second one.
TEST_F(RevisionTest, RevisionOfALineWithoutMessageIdCountsOnce) {
  auto without_id = [](int output, const char* stop) {
    std::string line = Text(output, stop);
    const std::string id = R"("id":"m-1",)";
    line.erase(line.find(id), id.size());
    return line;
  };
  WriteFile(Path(root_), User() + without_id(2, "null"));
  Rescan(root_, db_);
  ASSERT_EQ(Output(db_), 2);
  ::cco::testing::AppendFile(Path(root_), CompactBoundary() + without_id(300, "\"end_turn\""));
  Rescan(root_, db_);
  EXPECT_EQ(Output(db_), 300);
  EXPECT_EQ(QueryInt(db_, "SELECT sum(input_tokens) FROM token_rollups"), 4);
  ExpectSameAsFresh(db_, User() + without_id(2, "null") + CompactBoundary() + without_id(300, "\"end_turn\""));
}

TEST_F(RevisionTest, AnEarlierRevisionArrivingLastDoesNotWin) {
  // The final line first, the streamed one after it: the row still shows the
  // final one, and the database equals the one built in the other order.
  const std::string& root = root_;
  const std::string& db = db_;
  WriteFile(Path(root), User() + Text(300, "\"end_turn\"") + Text(2, "null"));
  Rescan(root, db);
  EXPECT_EQ(Output(db), 300);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE uuid = 'a-2' AND stop_reason = 'end_turn'"), 1);
  const std::string fresh = FreshReplay(User() + Text(2, "null") + Text(300, "\"end_turn\""));
  EXPECT_EQ(absl::StrJoin(Dump(db), "\n"), absl::StrJoin(Dump(fresh), "\n"));
}

}  // namespace
}  // namespace cco

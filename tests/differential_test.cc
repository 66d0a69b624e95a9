// Incremental equals a fresh replay, for the whole database. Each tree (the
// hand-written fixtures, the shared corpus of real transcripts, a generated
// tree with rewrites) is written the way files really grow — in random
// pieces that cut lines in half, some files first written as an earlier
// revision (streamed blocks: no stop_reason, fewer output tokens) and then
// replaced atomically by their final bytes, some with same-uuid copies
// appended after their first lines — while `cco rescan` runs between the
// pieces, or `cco watch` follows them live. The result must equal one
// `cco replay` of the final files, compared on the canonical dump (natural
// keys only: rows, usage winners, every rollup, tool executions,
// conversation stats, full-text hits). Every file's last line is terminated
// first (replay alone takes an unterminated one).

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/sqlite.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/tree_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

namespace fs = std::filesystem;
using ::cco::testing::CorpusDir;
using ::cco::testing::ExpectSameDump;
using ::cco::testing::GeneratedTree;
using ::cco::testing::LoadTree;
using ::cco::testing::PieceWriter;
using ::cco::testing::QueryInt;
using ::cco::testing::RunCco;
using ::cco::testing::Tree;
using ::cco::testing::WaitUntil;

class DifferentialTest : public ::cco::testing::WatchFixture {
 protected:
  // The reference: one replay of the final files.
  std::string Reference(const Tree& tree) {
    const std::string projects = tmp_ / "reference/projects";
    ::cco::testing::WriteFinal(tree, projects);
    const std::string db = tmp_ / "reference.db";
    ::cco::testing::CommandResult r = RunCco({"replay", projects, "--db", db, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return db;
  }

  // Writes `tree` under root_ piece by piece, calling `between` eight times
  // on the way (about three pieces per file in all).
  void WriteInPieces(const Tree& tree, uint64_t seed, const std::function<void()>& between) {
    PieceWriter writer(tree, root_, seed);
    const int every = std::max<int>(1, static_cast<int>(tree.size() * 3 / 8));
    int steps = 0, pauses = 0;
    while (writer.Step()) {
      if (++steps % every == 0) {
        between();
        ++pauses;
      }
    }
    ASSERT_GE(pauses, 4) << "too few pauses to read the files in pieces";
  }

  void ExpectEqualDumps(const std::string& db, const std::string& reference) {
    ExpectSameDump(db, reference);
    ::cco::testing::CommandResult check = RunCco({"check", "--db", db});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  void RescansEqualReplay(Tree tree, uint64_t seed) {
    const std::string reference = Reference(tree);
    auto rescan = [&] {
      ::cco::testing::CommandResult r = RunCco({"rescan", "--root", root_, "--db", db_, "--json"});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    };
    WriteInPieces(tree, seed, rescan);
    rescan();
    ExpectEqualDumps(db_, reference);
  }

  void WatchEqualsReplay(Tree tree, uint64_t seed) {
    const std::string reference = Reference(tree);
    auto daemon = StartWatch();
    WriteInPieces(tree, seed, [] {});
    int64_t total = 0;
    for (const auto& [path, t] : tree) total += static_cast<int64_t>(t.final_bytes.size());
    const bool caught_up = WaitUntil(
        [&] {
          return QueryInt(db_, "SELECT coalesce(sum(read_position), 0) FROM files WHERE archived_ms IS NULL") ==
                 total;
        },
        std::chrono::seconds(120));
    ASSERT_TRUE(caught_up) << daemon->Stderr();
    StopAndExpectClean(*daemon);
    ExpectEqualDumps(db_, reference);
  }

  Tree Fixtures() { return LoadTree(std::string(CCO_FIXTURES_DIR) + "/projects"); }

  Tree Generated() {
    Tree tree = GeneratedTree(tmp_ / "generated", 11, 3);
    EXPECT_GT(::cco::testing::AddRewrites(tree), 0) << "no earlier revisions: the test would prove nothing";
    return tree;
  }
};

TEST_F(DifferentialTest, FixturesInPiecesWithRescansEqualReplay) { RescansEqualReplay(Fixtures(), 1); }
TEST_F(DifferentialTest, FixturesLiveUnderWatchEqualReplay) { WatchEqualsReplay(Fixtures(), 2); }

TEST_F(DifferentialTest, GeneratedTreeWithRewritesInPiecesWithRescansEqualsReplay) {
  RescansEqualReplay(Generated(), 3);
}
TEST_F(DifferentialTest, GeneratedTreeWithRewritesLiveUnderWatchEqualsReplay) { WatchEqualsReplay(Generated(), 4); }

TEST_F(DifferentialTest, CorpusInPiecesWithRescansEqualsReplay) {
  if (CorpusDir().empty()) GTEST_SKIP() << "shared corpus not found beside the repository";
  RescansEqualReplay(LoadTree(CorpusDir() + "/projects"), 5);
}

// `cco check --sources` proves the same on a user's own database: equal to
// a fresh replay of the files that still exist; a stored row that differs
// from its source is caught; sessions whose file is gone are skipped.
TEST_F(DifferentialTest, CheckSourcesComparesWithAFreshReplayOfTheFiles) {
  Tree tree = Generated();
  WriteInPieces(tree, 6, [] {});
  ::cco::testing::CommandResult rescan = RunCco({"rescan", "--root", root_, "--db", db_});
  ASSERT_EQ(rescan.exit_code, 0) << rescan.err;
  ::cco::testing::CommandResult clean = RunCco({"check", "--sources", "--db", db_, "--json"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_GT(::cco::testing::JsonInt(clean.out, "sessions_compared"), 0) << clean.out;
  EXPECT_EQ(::cco::testing::JsonInt(clean.out, "differences"), 0) << clean.out;

  // A file gone: its session is history now, skipped.
  fs::remove(root_ + "/" + tree.begin()->first);
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  ::cco::testing::CommandResult skipped = RunCco({"check", "--sources", "--db", db_, "--json"});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.out << skipped.err;
  EXPECT_GE(::cco::testing::JsonInt(skipped.out, "sessions_skipped"), 1) << skipped.out;

  // A stored line that is not what its file holds.
  {
    absl::StatusOr<Db> db = Db::Open(db_, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec("UPDATE messages SET content = content || ' tampered' WHERE id = (SELECT max(m.id)"
                         " FROM messages m JOIN files f ON f.id = m.file_id WHERE f.archived_ms IS NULL)")
                    .ok());
  }
  ::cco::testing::CommandResult caught = RunCco({"check", "--sources", "--db", db_, "--json"});
  EXPECT_EQ(caught.exit_code, 1) << caught.out << caught.err;
  EXPECT_GE(::cco::testing::JsonInt(caught.out, "differences"), 1) << caught.out;
}

// `cco replay` takes a file's last line without its newline (its files are
// complete); check --sources replays the same way, so such a session (one in
// the shared corpus ends so) compares equal instead of showing its last
// message, tool call, conversation stats and search hits as differences. A
// database that `cco rescan` wrote waits for that newline: the session is
// skipped, as not read to its end.
TEST_F(DifferentialTest, CheckSourcesAfterReplayOfAFileWithoutItsLastNewline) {
  const std::string s = "dddd0000-0000-4000-8000-00000000000d";
  std::string last = ::cco::testing::UserLine(s, "u-2", "the last line, with no newline after it");
  last.pop_back();
  ::cco::testing::Append(root_ + "/-w/" + s + ".jsonl", ::cco::testing::UserLine(s, "u-1", "a first line") + last);
  ::cco::testing::CommandResult r = RunCco({"replay", root_, "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 2) << "replay takes the last line";
  r = RunCco({"check", "--sources", "--db", db_, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(::cco::testing::JsonInt(r.out, "sessions_compared"), 1) << r.out;
  EXPECT_EQ(::cco::testing::JsonInt(r.out, "differences"), 0) << r.out;

  const std::string rescanned = tmp_ / "rescanned.db";
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", rescanned}).exit_code, 0);
  ASSERT_EQ(QueryInt(rescanned, "SELECT count(*) FROM messages"), 1) << "rescan waits for the newline";
  r = RunCco({"check", "--sources", "--db", rescanned, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(::cco::testing::JsonInt(r.out, "sessions_skipped"), 1) << r.out;
  EXPECT_EQ(::cco::testing::JsonInt(r.out, "differences"), 0) << r.out;
}

}  // namespace
}  // namespace cco

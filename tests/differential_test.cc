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
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "src/canonical.h"
#include "src/sqlite.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

namespace fs = std::filesystem;
using ::cco::testing::AppendFile;
using ::cco::testing::CorpusDir;
using ::cco::testing::QueryInt;
using ::cco::testing::ReadFile;
using ::cco::testing::RunCco;
using ::cco::testing::RunCommand;
using ::cco::testing::WaitUntil;
using ::cco::testing::WriteFile;

// One transcript: its final bytes, and optionally an earlier revision of
// its first `early_cut` bytes that is written first and then replaced.
struct Transcript {
  std::string final_bytes;
  std::string early;  // empty: none
  size_t early_cut = 0;
};
using Tree = std::map<std::string, Transcript>;  // by path under projects/

Tree LoadTree(const std::string& projects) {
  Tree tree;
  for (const auto& entry : fs::recursive_directory_iterator(projects)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".jsonl") continue;
    std::string bytes = ReadFile(entry.path().string());
    if (!bytes.empty() && bytes.back() != '\n') bytes.push_back('\n');
    tree[fs::relative(entry.path(), projects).string()].final_bytes = std::move(bytes);
  }
  return tree;
}

// An earlier revision of assistant lines: what Claude Code streams before
// the final usage is known (stop_reason null, output_tokens smaller). Every
// key stays.
std::string EarlierRevision(const std::string& bytes) {
  static const std::regex stop(R"re("stop_reason":"[a-z_]+")re");
  static const std::regex output(R"re("output_tokens":([0-9]+))re");
  std::string out = std::regex_replace(bytes, stop, R"("stop_reason":null)");
  return std::regex_replace(out, output, R"("output_tokens":1)");
}

// Rewrites: every third file is first written as an earlier revision of its
// first ~60%; every fifth gets same-uuid copies of its first assistant lines
// appended, finished (end_turn, more output tokens), as after a compaction.
void AddRewrites(Tree& tree) {
  int i = 0;
  for (auto& [path, t] : tree) {
    ++i;
    if (i % 3 == 0) {
      size_t cut = t.final_bytes.rfind('\n', t.final_bytes.size() * 6 / 10);
      if (cut != std::string::npos && cut > 0) {
        t.early_cut = cut + 1;
        t.early = EarlierRevision(t.final_bytes.substr(0, t.early_cut));
        if (t.early == t.final_bytes.substr(0, t.early_cut)) t.early.clear();
      }
    }
    if (i % 5 == 0) {
      int copies = 0;
      std::string appended;
      for (absl::string_view line : absl::StrSplit(t.final_bytes, '\n')) {
        if (copies == 3) break;
        if (line.find(R"("type":"assistant")") == absl::string_view::npos ||
            line.find(R"("output_tokens":)") == absl::string_view::npos) {
          continue;
        }
        static const std::regex stop(R"re("stop_reason":(null|"[a-z_]+"))re");
        static const std::regex output(R"re("output_tokens":([0-9]+))re");
        std::string copy = std::regex_replace(std::string(line), stop, R"("stop_reason":"end_turn")");
        copy = std::regex_replace(copy, output, R"("output_tokens":4321)");
        appended += copy + "\n";
        ++copies;
      }
      t.final_bytes += appended;
    }
  }
}

class DifferentialTest : public ::cco::testing::WatchFixture {
 protected:
  std::vector<std::string> Dump(const std::string& db) {
    absl::StatusOr<Db> opened = Db::Open(db, Db::Mode::kReadOnly);
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return {};
    absl::StatusOr<std::vector<std::string>> dump = CanonicalDump(*opened);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? *dump : std::vector<std::string>{};
  }

  // The reference: one replay of the final files.
  std::string Reference(const Tree& tree) {
    const std::string projects = tmp_ / "reference/projects";
    for (const auto& [path, t] : tree) WriteFile(projects + "/" + path, t.final_bytes);
    const std::string db = tmp_ / "reference.db";
    ::cco::testing::CommandResult r = RunCco({"replay", projects, "--db", db, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return db;
  }

  // Writes `tree` under root_ step by step, calling `between` after every
  // few steps: pieces of random size (lines cut in half), earlier revisions
  // replaced atomically by their final bytes.
  void WriteInPieces(const Tree& tree, uint64_t seed, const std::function<void()>& between) {
    std::mt19937_64 rng(seed);
    struct Cursor {
      std::string path;
      const Transcript* t;
      size_t written = 0;
      bool early_phase;
    };
    std::vector<Cursor> cursors;
    for (const auto& [path, t] : tree) cursors.push_back({root_ + "/" + path, &t, 0, !t.early.empty()});
    // About three pieces per file: a pause every 1/8 of the writing.
    const int every = std::max<int>(1, static_cast<int>(tree.size() * 3 / 8));
    int steps = 0, pauses = 0;
    while (!cursors.empty()) {
      const size_t k = rng() % cursors.size();
      Cursor& c = cursors[k];
      const std::string& target = c.early_phase ? c.t->early : c.t->final_bytes;
      if (c.written >= target.size()) {
        if (c.early_phase) {
          // Replace: the final bytes of what was written so far, atomically.
          const std::string tmp = c.path + ".rewrite";
          WriteFile(tmp, c.t->final_bytes.substr(0, c.t->early_cut));
          ASSERT_EQ(::rename(tmp.c_str(), c.path.c_str()), 0);
          c.early_phase = false;
          c.written = c.t->early_cut;
        } else {
          cursors.erase(cursors.begin() + static_cast<std::ptrdiff_t>(k));
        }
        continue;
      }
      const size_t left = target.size() - c.written;
      const size_t n = std::min(left, 1 + static_cast<size_t>(rng() % std::max<size_t>(2, target.size() / 3)));
      fs::create_directories(fs::path(c.path).parent_path());
      AppendFile(c.path, target.substr(c.written, n));
      c.written += n;
      if (++steps % every == 0) {
        between();
        ++pauses;
      }
    }
    ASSERT_GE(pauses, 4) << "too few pauses to read the files in pieces";
  }

  void ExpectEqualDumps(const std::string& db, const std::string& reference) {
    const std::vector<std::string> got = Dump(db), want = Dump(reference);
    std::vector<std::string> only_got, only_want;
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(only_got));
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(only_want));
    auto head = [](std::vector<std::string> v) {
      if (v.size() > 6) v.resize(6);
      for (std::string& s : v) s = s.substr(0, 300);
      return absl::StrJoin(v, "\n  ");
    };
    EXPECT_TRUE(only_got.empty() && only_want.empty())
        << got.size() << " vs " << want.size() << " lines\nonly incremental:\n  " << head(only_got)
        << "\nonly replay:\n  " << head(only_want);
    EXPECT_GT(want.size(), 0u);
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
    const std::string out = tmp_ / "generated";
    ::cco::testing::CommandResult r =
        RunCommand({CCO_GEN_BINARY, "--out", out, "--seed", "11", "--size-mb", "3", "--with-subagents"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Tree tree = LoadTree(out + "/projects");
    AddRewrites(tree);
    return tree;
  }
};

TEST_F(DifferentialTest, FixturesInPiecesWithRescansEqualReplay) { RescansEqualReplay(Fixtures(), 1); }
TEST_F(DifferentialTest, FixturesLiveUnderWatchEqualReplay) { WatchEqualsReplay(Fixtures(), 2); }

TEST_F(DifferentialTest, GeneratedTreeWithRewritesInPiecesWithRescansEqualsReplay) {
  Tree tree = Generated();
  int early = 0;
  for (const auto& [path, t] : tree) early += t.early.empty() ? 0 : 1;
  ASSERT_GT(early, 0) << "no earlier revisions: the test would prove nothing";
  RescansEqualReplay(std::move(tree), 3);
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

}  // namespace
}  // namespace cco

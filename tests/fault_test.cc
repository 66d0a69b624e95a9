// The fault-injection harness, run in every CI run: transcripts grow the way
// Claude Code writes them (a generated tree with new sessions, assistant
// responses streamed as one line per block, tool_use/tool_result pairs,
// agent files, compactions; pieces that cut lines in half; earlier
// revisions replaced atomically by their final bytes; finished same-uuid
// copies) while `cco rescan` and `cco watch` are SIGKILLed and restarted.
//
// Two kinds of kill: inside an open batch for certain (the
// CCO_TEST_STOP_IN_BATCH hook makes the writer announce the moment — rows
// applied, COMMIT not run — and wait there, so nothing depends on the
// machine's speed), at least kKills of them; and at random moments
// (opening, migrating, reading, committing), not counted. The harness keeps
// going until it has its kills, within a bound of attempts.
//
// A reference model of what was written is checked every kCheckEvery kills
// (after one uninterrupted rescan) and at the end: every complete line on
// disk is found in the database byte-exact at its offset (src/stored_lines.h),
// or recorded there by its hash as a duplicate of a line stored with the
// same key — zero lost — and no line is stored twice — zero duplicated; `cco check`
// passes. At the end the incremental database equals one fresh replay of
// the final files (canonical dump).

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "src/hash.h"
#include "src/sqlite.h"
#include "src/stored_lines.h"
#include "tests/ci_summary.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/tree_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kKills = 100;       // kills inside an open batch, at least
constexpr int kCheckEvery = 25;   // kills between two checks of the model
constexpr int kMaxAttempts = 6 * kKills;

// What the model check counts, over every transcript under the root.
struct ModelCheck {
  int64_t written = 0;     // complete, non-blank lines on disk
  int64_t found = 0;       // of those, stored byte-exact at their offset
  // Of those, recorded at their offset by their hash as a duplicate of a
  // line stored with the same key (session and uuid) and other bytes: an
  // agent's copy of a main-thread line, an earlier revision. Seen and
  // counted once, by design not stored twice (docs/schema.md).
  int64_t deduplicated = 0;
  int64_t lost = 0;        // on disk, not in the database
  int64_t duplicated = 0;  // stored twice (an offset twice, a uuid twice in one conversation, a line not on disk)
  int64_t changed = 0;     // stored with other bytes (not a later revision of it)
  std::vector<std::string> problems;  // the first few, named

  void Problem(const std::string& what) {
    if (problems.size() < 8) problems.push_back(what);
  }
};

// The complete non-blank lines of `bytes` by offset.
std::map<int64_t, std::string> LinesOnDisk(const std::string& bytes) {
  std::map<int64_t, std::string> lines;
  size_t start = 0;
  for (size_t nl = bytes.find('\n'); nl != std::string::npos; nl = bytes.find('\n', start)) {
    std::string line = bytes.substr(start, nl - start);
    if (!line.empty() && line != "\r") lines.emplace(static_cast<int64_t>(start), std::move(line));
    start = nl + 1;
  }
  return lines;
}

// Compares the database with the files under `root` as they are now (the
// database must have read them all: call after an uninterrupted run).
ModelCheck CheckModel(const std::string& db_path, const std::string& root) {
  ModelCheck m;
  absl::StatusOr<Db> db = Db::Open(db_path, Db::Mode::kReadOnly);
  if (!db.ok()) {
    m.Problem(absl::StrCat("cannot open the database: ", db.status().ToString()));
    ++m.lost;
    return m;
  }
  // Files rows by their path below the root's projects/ directory.
  std::map<std::string, int64_t> ids;
  {
    absl::StatusOr<Stmt> q = db->Prepare("SELECT id, path FROM files WHERE archived_ms IS NULL");
    if (!q.ok()) {
      m.Problem(q.status().ToString());
      return m;
    }
    while (q->Step().value_or(false)) {
      const std::string path = q->ColumnText(1);
      const size_t at = path.rfind("/projects/");
      if (at != std::string::npos) ids[path.substr(at + 10)] = q->ColumnInt(0);
    }
  }
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".jsonl") continue;
    const std::string rel = fs::relative(e.path(), root).string();
    const std::map<int64_t, std::string> disk = LinesOnDisk(ReadFile(e.path().string()));
    m.written += static_cast<int64_t>(disk.size());
    if (disk.empty()) continue;
    auto id = ids.find(rel);
    if (id == ids.end()) {
      m.lost += static_cast<int64_t>(disk.size());
      m.Problem(absl::StrCat(rel, ": no files row"));
      continue;
    }
    absl::StatusOr<std::vector<StoredLine>> stored = StoredLinesOfFile(*db, id->second);
    if (!stored.ok()) {
      m.lost += static_cast<int64_t>(disk.size());
      m.Problem(absl::StrCat(rel, ": ", stored.status().ToString()));
      continue;
    }
    absl::StatusOr<Stmt> duplicate = db->Prepare(
        "SELECT count(*) FROM duplicates d JOIN files f ON f.id = d.file_id AND f.generation = d.generation"
        " WHERE d.file_id = ?1 AND d.byte_offset = ?2 AND d.line_hash = ?3");
    if (!duplicate.ok()) {
      m.Problem(duplicate.status().ToString());
      return m;
    }
    auto recorded_as_duplicate = [&](int64_t offset, const std::string& bytes) {
      duplicate->Reset();
      duplicate->Bind(1, id->second).Bind(2, offset).Bind(3, static_cast<int64_t>(StableHash(bytes)));
      const bool yes = duplicate->Step().value_or(false) && duplicate->ColumnInt(0) > 0;
      duplicate->Reset();
      return yes;
    };
    std::map<int64_t, const StoredLine*> by_offset;
    for (const StoredLine& s : *stored) {
      if (!by_offset.emplace(s.byte_offset, &s).second || !disk.contains(s.byte_offset)) {
        ++m.duplicated;
        m.Problem(absl::StrCat(rel, " @", s.byte_offset, ": stored twice or not on disk"));
      }
    }
    for (const auto& [offset, bytes] : disk) {
      auto s = by_offset.find(offset);
      if (s == by_offset.end() || !s->second->found) {
        if (recorded_as_duplicate(offset, bytes)) {
          ++m.deduplicated;
          continue;
        }
        ++m.lost;
        m.Problem(absl::StrCat(rel, " @", offset, ": lost"));
        continue;
      }
      if (s->second->bytes == bytes) {
        ++m.found;
        continue;
      }
      // A line whose later copy in the same file (same uuid, finished)
      // replaced the stored row reads back as that copy.
      bool revised = false;
      for (auto later = disk.upper_bound(offset); later != disk.end() && !revised; ++later) {
        revised = later->second == s->second->bytes;
      }
      if (revised) {
        ++m.found;
      } else {
        ++m.changed;
        m.Problem(absl::StrCat(rel, " @", offset, ": stored with other bytes"));
      }
    }
  }
  absl::StatusOr<std::optional<int64_t>> twice = db->QueryInt(
      "SELECT count(*) FROM (SELECT 1 FROM messages WHERE uuid != '' GROUP BY conversation_id, uuid"
      " HAVING count(*) > 1)");
  if (twice.ok() && twice->value_or(0) > 0) {
    m.duplicated += **twice;
    m.Problem(absl::StrCat(**twice, " uuids stored twice in one conversation"));
  }
  return m;
}

void ExpectModelHolds(const ModelCheck& m, const std::string& when) {
  EXPECT_EQ(m.lost, 0) << when << ": " << absl::StrJoin(m.problems, "; ");
  EXPECT_EQ(m.duplicated, 0) << when << ": " << absl::StrJoin(m.problems, "; ");
  EXPECT_EQ(m.changed, 0) << when << ": " << absl::StrJoin(m.problems, "; ");
  EXPECT_EQ(m.found + m.deduplicated, m.written) << when;
  EXPECT_GT(m.written, 0) << when;
}

TEST(FaultTest, HundredKillsInsideOpenBatchesWhileTranscriptsGrowLoseAndDuplicateNothing) {
  const auto start = Clock::now();
  TempDir tmp;
  const std::string root = tmp / "projects";
  const std::string db = tmp / "cco.db";
  Tree tree = GeneratedTree(tmp / "generated", 23, 4);
  ASSERT_GT(AddRewrites(tree), 0);
  WriteFinal(tree, tmp / "reference/projects");
  const std::string reference = tmp / "reference.db";
  ASSERT_EQ(RunCco({"replay", tmp / "reference/projects", "--db", reference}).exit_code, 0);

  // Pieces of at most 2 KiB: thousands of steps, so there is always
  // something new to commit (and to interrupt).
  PieceWriter writer(tree, root, 29, 2048);
  std::mt19937_64 rng(31);
  int kills = 0, rescan_kills = 0, watch_kills = 0, random_kills = 0, attempts = 0, clean_exits = 0, checks = 0;
  auto check_model = [&](const std::string& when) {
    CommandResult finish = RunCco({"rescan", "--root", root, "--db", db, "--json"});
    ASSERT_EQ(finish.exit_code, 0) << when << ": " << finish.err;
    ExpectModelHolds(CheckModel(db, root), when);
    CommandResult check = RunCco({"check", "--db", db});
    EXPECT_EQ(check.exit_code, 0) << when << ": " << check.out << check.err;
    ++checks;
  };
  while (kills < kKills && attempts < kMaxAttempts) {
    ++attempts;
    writer.Step();
    const bool watch = attempts % 3 == 0;
    std::vector<std::string> args = {watch ? "watch" : "rescan", "--root", root, "--db", db};
    if (attempts % 4 == 0) {
      // A kill at a random moment: whatever the process was doing.
      std::unique_ptr<ChildProcess> child = StartCco(args);
      std::optional<int> code = child->WaitExit(std::chrono::milliseconds(rng() % 400));
      if (!code.has_value()) {
        child->Signal(SIGKILL);
        code = child->WaitExit(std::chrono::seconds(30));
        ++random_kills;
      }
      ASSERT_TRUE(code.has_value());
      ASSERT_TRUE(*code == 0 || *code == 128 + SIGKILL) << *code << ": " << child->Stderr();
      continue;
    }
    const int n = 1 + static_cast<int>(rng() % 2);  // a killed run commits n - 1 batches
    const std::string announce = tmp / absl::StrCat("open-", attempts);
    std::unique_ptr<ChildProcess> child = StartCco(args, {absl::StrCat("CCO_TEST_STOP_IN_BATCH=", n, ":", announce)});
    // The live service gets new lines while it runs; a rescan reads what
    // is there.
    const bool stopped = WaitUntil(
        [&] {
          if (::access(announce.c_str(), F_OK) == 0) return true;
          if (watch) writer.Step();
          return !child->running() || (watch && writer.done());
        },
        std::chrono::seconds(120));
    ASSERT_TRUE(stopped) << "neither a batch nor an exit in 120 s:\n" << child->Stderr();
    if (::access(announce.c_str(), F_OK) == 0) {
      child->Signal(SIGKILL);
      std::optional<int> code = child->WaitExit(std::chrono::seconds(30));
      ASSERT_TRUE(code.has_value());
      ASSERT_EQ(*code, 128 + SIGKILL) << child->Stderr();
      ++kills;
      ++(watch ? watch_kills : rescan_kills);
      if (kills % kCheckEvery == 0) {
        check_model(absl::StrCat("after ", kills, " kills"));
        if (HasFatalFailure()) return;
      }
      continue;
    }
    if (child->running()) child->Signal(SIGTERM);  // an idle service: nothing left to write
    std::optional<int> code = child->WaitExit(std::chrono::seconds(30));
    ASSERT_TRUE(code.has_value());
    ASSERT_EQ(*code, 0) << child->Stderr();
    ++clean_exits;
    if (writer.done()) break;
  }
  ASSERT_GE(kills, kKills) << "the tree ran out (or " << kMaxAttempts << " attempts passed) before " << kKills
                           << " kills";
  EXPECT_GT(watch_kills, 0);
  EXPECT_GT(rescan_kills, 0);

  while (writer.Step()) {
  }
  check_model("at the end");
  const ModelCheck final_model = CheckModel(db, root);
  ExpectSameDump(db, reference);  // incremental equals a fresh replay
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  CiSummary(absl::StrCat("kill harness: ", kills, " kills inside an open batch (", rescan_kills, " rescan, ",
                         watch_kills, " watch), ", random_kills, " at random moments, ", clean_exits,
                         " clean exits, ", attempts, " runs; ", final_model.written, " lines written, ",
                         final_model.found + final_model.deduplicated, " found (", final_model.deduplicated,
                         " of them as same-key duplicates), ", final_model.lost, " lost, ", final_model.duplicated,
                         " duplicated; model checked ", checks, " times; ", static_cast<int>(secs), " s"));
}

}  // namespace
}  // namespace cco::testing

// Fault injection, run in every CI run: transcripts keep growing the way
// Claude Code writes them (streamed pieces that cut lines in half, earlier
// revisions replaced atomically by their final bytes, finished copies after
// a compaction) while `cco rescan` and `cco watch` are SIGKILLed inside open
// batches — at least 100 times — and restarted. Each kill lands inside an
// open batch for certain: the CCO_TEST_STOP_IN_BATCH hook makes the writer
// announce the moment and wait there, so nothing depends on the machine's
// speed. At the end the database equals one fresh replay of the final files
// (canonical dump) and `cco check` is clean.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/tree_support.h"

namespace cco::testing {
namespace {

constexpr int kKills = 100;

TEST(FaultTest, HundredKillsInsideOpenBatchesWhileTranscriptsGrowEqualOneReplay) {
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
  int kills = 0, rescan_kills = 0, watch_kills = 0, attempts = 0, clean_exits = 0;
  while (kills < kKills && attempts < 5 * kKills) {
    ++attempts;
    writer.Step();
    const bool watch = attempts % 3 == 0;
    const int n = 1 + static_cast<int>(rng() % 2);  // a killed run commits n - 1 batches
    const std::string announce = tmp / absl::StrCat("open-", attempts);
    std::vector<std::string> args = {watch ? "watch" : "rescan", "--root", root, "--db", db};
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
      continue;
    }
    if (child->running()) child->Signal(SIGTERM);  // an idle service: nothing left to write
    std::optional<int> code = child->WaitExit(std::chrono::seconds(30));
    ASSERT_TRUE(code.has_value());
    ASSERT_EQ(*code, 0) << child->Stderr();
    ++clean_exits;
    if (writer.done()) break;
  }
  std::printf("fault test: %d kills inside an open batch (%d rescan, %d watch), %d clean exits, %d attempts\n",
              kills, rescan_kills, watch_kills, clean_exits, attempts);
  ASSERT_GE(kills, kKills) << "the tree ran out before " << kKills << " kills";
  EXPECT_GT(watch_kills, 0);
  EXPECT_GT(rescan_kills, 0);

  while (writer.Step()) {
  }
  CommandResult last = RunCco({"rescan", "--root", root, "--db", db, "--json"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  ExpectSameDump(db, reference);
  CommandResult check = RunCco({"check", "--db", db});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace cco::testing

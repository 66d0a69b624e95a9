// Transcript trees for tests that build one database in many steps and
// compare it with one fresh replay: load a tree's final files, add rewrites
// (earlier revisions replaced atomically, same-uuid copies), write it
// piece by piece the way files really grow, and compare two databases on
// their canonical dump (src/canonical.h).
#ifndef CCO_TESTS_TREE_SUPPORT_H_
#define CCO_TESTS_TREE_SUPPORT_H_

#include <cstdint>
#include <cstddef>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace cco::testing {

// One transcript: its final bytes, and optionally an earlier revision of
// its first `early_cut` bytes that is written first and then replaced.
struct Transcript {
  std::string final_bytes;
  std::string early;  // empty: none
  size_t early_cut = 0;
};
using Tree = std::map<std::string, Transcript>;  // by path under projects/

// Every *.jsonl below `projects`, each last line terminated.
Tree LoadTree(const std::string& projects);

// A generated tree (gen_transcripts, with subagents) of `size_mb` MiB.
Tree GeneratedTree(const std::string& dir, uint64_t seed, int size_mb);

// Every third file first written as an earlier revision of its first ~60%
// (stop_reason null, output_tokens 1: every key kept); every fifth gets
// finished same-uuid copies of its first three assistant lines appended.
// Returns how many files got an earlier revision.
int AddRewrites(Tree& tree);

// Writes the final files of `tree` under `projects` (for the reference).
void WriteFinal(const Tree& tree, const std::string& projects);

// Writes a tree under `projects` step by step: pieces of random size (lines
// cut in half) appended to random files, earlier revisions replaced
// atomically by the final bytes written so far.
class PieceWriter {
 public:
  // Pieces are at most a third of the file, and at most `max_piece` bytes.
  PieceWriter(const Tree& tree, std::string projects, uint64_t seed, size_t max_piece = SIZE_MAX);
  // One step; false when everything is written.
  bool Step();
  bool done() const { return cursors_.empty(); }
  int64_t total_bytes() const { return total_bytes_; }

 private:
  struct Cursor {
    std::string path;
    const Transcript* t;
    size_t written = 0;
    bool early_phase;
  };
  std::vector<Cursor> cursors_;
  std::mt19937_64 rng_;
  size_t max_piece_;
  int64_t total_bytes_ = 0;
};

// The canonical dump of the database at `db` (empty, with a test failure,
// when it cannot be read).
std::vector<std::string> Dump(const std::string& db);

// A test failure naming the first lines only one of the two dumps has.
void ExpectSameDump(const std::string& db, const std::string& reference);

}  // namespace cco::testing

#endif  // CCO_TESTS_TREE_SUPPORT_H_

#include "tests/tree_support.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "src/canonical.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco::testing {

namespace fs = std::filesystem;

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

Tree GeneratedTree(const std::string& dir, uint64_t seed, int size_mb) {
  CommandResult r = RunCommand({CCO_GEN_BINARY, "--out", dir, "--seed", std::to_string(seed), "--size-mb",
                                std::to_string(size_mb), "--with-subagents"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return LoadTree(dir + "/projects");
}

namespace {

const std::regex& StopReason() {
  static const std::regex re(R"re("stop_reason":(null|"[a-z_]+"))re");
  return re;
}
const std::regex& OutputTokens() {
  static const std::regex re(R"re("output_tokens":([0-9]+))re");
  return re;
}

// What Claude Code streams before a response's final usage is known.
std::string EarlierRevision(const std::string& bytes) {
  return std::regex_replace(std::regex_replace(bytes, StopReason(), R"("stop_reason":null)"), OutputTokens(),
                            R"("output_tokens":1)");
}

}  // namespace

int AddRewrites(Tree& tree) {
  int i = 0, early = 0;
  for (auto& [path, t] : tree) {
    ++i;
    if (i % 3 == 0) {
      const size_t cut = t.final_bytes.rfind('\n', t.final_bytes.size() * 6 / 10);
      if (cut != std::string::npos && cut > 0) {
        t.early_cut = cut + 1;
        t.early = EarlierRevision(t.final_bytes.substr(0, t.early_cut));
        if (t.early == t.final_bytes.substr(0, t.early_cut)) t.early.clear();
        early += t.early.empty() ? 0 : 1;
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
        std::string copy = std::regex_replace(std::string(line), StopReason(), R"("stop_reason":"end_turn")");
        appended += std::regex_replace(copy, OutputTokens(), R"("output_tokens":4321)") + "\n";
        ++copies;
      }
      t.final_bytes += appended;
    }
  }
  return early;
}

void WriteFinal(const Tree& tree, const std::string& projects) {
  for (const auto& [path, t] : tree) WriteFile(projects + "/" + path, t.final_bytes);
}

PieceWriter::PieceWriter(const Tree& tree, std::string projects, uint64_t seed, size_t max_piece)
    : rng_(seed), max_piece_(max_piece) {
  for (const auto& [path, t] : tree) {
    cursors_.push_back({projects + "/" + path, &t, 0, !t.early.empty()});
    total_bytes_ += static_cast<int64_t>(t.final_bytes.size());
  }
}

bool PieceWriter::Step() {
  while (!cursors_.empty()) {
    const size_t k = rng_() % cursors_.size();
    Cursor& c = cursors_[k];
    const std::string& target = c.early_phase ? c.t->early : c.t->final_bytes;
    if (c.written >= target.size()) {
      if (!c.early_phase) {
        cursors_.erase(cursors_.begin() + static_cast<std::ptrdiff_t>(k));
        continue;
      }
      // Replace: the final bytes of what was written so far, atomically.
      const std::string tmp = c.path + ".rewrite";
      WriteFile(tmp, c.t->final_bytes.substr(0, c.t->early_cut));
      EXPECT_EQ(::rename(tmp.c_str(), c.path.c_str()), 0) << c.path;
      c.early_phase = false;
      c.written = c.t->early_cut;
      return true;
    }
    const size_t left = target.size() - c.written;
    const size_t cap = std::min(max_piece_, std::max<size_t>(2, target.size() / 3));
    const size_t n = std::min(left, 1 + static_cast<size_t>(rng_() % cap));
    fs::create_directories(fs::path(c.path).parent_path());
    AppendFile(c.path, target.substr(c.written, n));
    c.written += n;
    return true;
  }
  return false;
}

std::vector<std::string> Dump(const std::string& db) {
  absl::StatusOr<Db> opened = Db::Open(db, Db::Mode::kReadOnly);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return {};
  absl::StatusOr<std::vector<std::string>> dump = CanonicalDump(*opened);
  EXPECT_TRUE(dump.ok()) << dump.status();
  return dump.ok() ? *dump : std::vector<std::string>{};
}

void ExpectSameDump(const std::string& db, const std::string& reference) {
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
      << got.size() << " vs " << want.size() << " lines\nonly in " << db << ":\n  " << head(only_got)
      << "\nonly in the reference:\n  " << head(only_want);
  EXPECT_GT(want.size(), 0u);
}

}  // namespace cco::testing

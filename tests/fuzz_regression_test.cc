// Every input a fuzz target ever crashed on, and the seeds it starts from,
// replayed through that target in every build (not only the libFuzzer one):
// fuzz/regressions/<target>/ holds the crashes (each kept as a file once
// fixed), fixtures/ the seeds. Linked with one target's source, which
// defines LLVMFuzzerTestOneInput; a broken invariant aborts the test.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Inputs() {
  std::vector<std::string> paths;
  for (const std::string& dir : {std::string(CCO_FUZZ_REGRESSIONS), std::string(CCO_FIXTURES_DIR) + "/projects"}) {
    if (!fs::is_directory(dir)) continue;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().filename() != ".keep") paths.push_back(e.path().string());
    }
  }
  return paths;
}

void FeedTarget(const std::string& bytes) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(FuzzRegressionTest, EveryKeptInputAndSeedPassesTheTarget) {
  const std::vector<std::string> inputs = Inputs();
  ASSERT_FALSE(inputs.empty()) << "no seeds under " << CCO_FIXTURES_DIR;
  for (const std::string& path : inputs) {
    SCOPED_TRACE(path);
    const std::string bytes = ReadFile(path);
    FeedTarget(bytes);
    // Each line alone too (the unit the tailer hands on), and the empty input.
    size_t start = 0;
    while (start < bytes.size()) {
      size_t nl = bytes.find('\n', start);
      if (nl == std::string::npos) nl = bytes.size();
      FeedTarget(bytes.substr(start, nl - start));
      start = nl + 1;
    }
  }
  FeedTarget("");
}

}  // namespace
}  // namespace cco::testing

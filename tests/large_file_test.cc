// Large inputs, with real processes: a 1 GiB transcript and a 50 MiB line.
// What a user would notice: every line of the big file stored once and given
// back byte-exact by `cco export`; the huge line quarantined with its first
// bytes at the default limit (the lines around it stored), or stored whole
// under a raised --max-line-bytes; and the writing command's peak resident
// set within the memory budget (src/memory_budget.h) and under 160 MB at the
// defaults. Bounds on memory, not timings: nothing here depends on the
// machine's speed.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/memory_budget.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::RunCco;
using ::cco::testing::TempDir;

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t k160MB = 160 * 1000 * 1000;

// A prose-like text of about `bytes` from a fixed vocabulary (an index of
// ordinary size, unlike a text of distinct words), deterministic in `seed`.
std::string Prose(uint64_t seed, int64_t bytes) {
  std::string text;
  text.reserve(static_cast<size_t>(bytes) + 16);
  uint64_t x = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  while (static_cast<int64_t>(text.size()) < bytes) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    absl::StrAppend(&text, "word", (x >> 33) % 5000, (x >> 20) % 7 == 0 ? ". " : " ");
  }
  return text;
}

// Line `i` of session `session`: users and assistants in turn, each a
// child of the one before, the assistant's with usage.
std::string Line(const std::string& session, int64_t i, const std::string& text) {
  const std::string parent = i == 0 ? "null" : absl::StrCat("\"", session, "-", i - 1, "\"");
  const std::string uuid = absl::StrCat(session, "-", i);
  const std::string ts = absl::StrCat("2026-01-02T0", (i / 3600) % 10, ":", (i / 60) % 60 < 10 ? "0" : "",
                                      (i / 60) % 60, ":", i % 60 < 10 ? "0" : "", i % 60, ".000Z");
  if (i % 2 == 0) {
    return absl::StrCat(R"({"parentUuid":)", parent, R"(,"isSidechain":false,"userType":"external","cwd":"/home/u/p",)",
                        R"("sessionId":")", session, R"(","version":"2.1.1","type":"user",)",
                        R"("message":{"role":"user","content":")", text, R"("},"uuid":")", uuid,
                        R"(","timestamp":")", ts, "\"}\n");
  }
  return absl::StrCat(R"({"parentUuid":)", parent, R"(,"isSidechain":false,"userType":"external","cwd":"/home/u/p",)",
                      R"("sessionId":")", session, R"(","version":"2.1.1","type":"assistant","requestId":"req-)", i,
                      R"(","message":{"id":"msg-)", i, R"(","model":"claude-sonnet-4-5-20250929","role":"assistant",)",
                      R"("content":[{"type":"text","text":")", text, R"("}],)",
                      R"("usage":{"input_tokens":3,"output_tokens":5,"cache_read_input_tokens":7}},"uuid":")", uuid,
                      R"(","timestamp":")", ts, "\"}\n");
}

// Whether two files hold the same bytes (read in blocks: they may be large).
bool SameBytes(const std::string& a, const std::string& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return false;
  std::vector<char> ba(1 << 20), bb(1 << 20);
  while (true) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount()) return false;
    if (!std::equal(ba.begin(), ba.begin() + fa.gcount(), bb.begin())) return false;
    if (fa.gcount() == 0) return true;
  }
}

int64_t FileSize(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  return f ? static_cast<int64_t>(f.tellg()) : -1;
}

std::string BoundText(int64_t max_line_bytes) {
  return absl::StrCat(kBaseBytes / kMiB, " MiB + ", kLineFactor, " x ", max_line_bytes, " B = ",
                      PeakRssBound(max_line_bytes) / kMiB, " MiB");
}

TEST(LargeFileTest, OneGibibyteTranscriptIsStoredOnceAndExportedByteExactWithinTheMemoryBound) {
  TempDir tmp;
  const std::string path = tmp / "projects/-home-u-p/s-big.jsonl";
  testing::WriteFile(path, "");
  int64_t lines = 0;
  {
    std::ofstream out(path, std::ios::binary);
    int64_t written = 0;
    while (written < 1024 * kMiB) {
      const std::string line = Line("s-big", lines, Prose(static_cast<uint64_t>(lines), 3000));
      out << line;
      written += static_cast<int64_t>(line.size());
      ++lines;
    }
    ASSERT_TRUE(out.good());
  }
  const testing::RusageResult r = testing::RunCcoMeasured({"rescan", "--root", tmp / "projects", "--db", tmp / "cco.db"});
  ASSERT_EQ(r.exit_code, 0);
  const int64_t peak = r.max_rss_kb * 1024;
  EXPECT_LE(peak, PeakRssBound(kDefaultMaxLineBytes)) << BoundText(kDefaultMaxLineBytes);
  EXPECT_LE(peak, k160MB);
  std::printf("1 GiB transcript, %lld lines: rescan peak RSS %lld MiB\n", static_cast<long long>(lines),
              static_cast<long long>(peak / kMiB));

  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM messages"), lines);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(DISTINCT uuid) FROM messages"), lines);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM quarantine"), 0);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT read_position FROM files"), FileSize(path));
  // Usage counted once per response: 5 output tokens per assistant line.
  const testing::CommandResult daily = RunCco({"report", "daily", "--db", tmp / "cco.db", "--json"});
  ASSERT_EQ(daily.exit_code, 0) << daily.err;
  EXPECT_NE(daily.out.find(absl::StrCat("\"outputTokens\":", 5 * (lines / 2))), std::string::npos) << daily.out;

  const testing::CommandResult exported =
      RunCco({"export", "s-big", "--db", tmp / "cco.db", "--format", "jsonl", "-o", tmp / "out.jsonl"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(FileSize(tmp / "out.jsonl"), FileSize(path));
  EXPECT_TRUE(SameBytes(tmp / "out.jsonl", path)) << "export differs from the transcript";
}

// A transcript with a 50 MiB user line between two ordinary ones.
std::string WriteHugeLineTranscript(const TempDir& tmp) {
  const std::string path = tmp / "projects/-home-u-p/s-huge.jsonl";
  testing::WriteFile(path, absl::StrCat(Line("s-huge", 0, "before"), Line("s-huge", 1, "reply"),
                                        Line("s-huge", 2, Prose(2, 50 * kMiB)), Line("s-huge", 3, "after")));
  return path;
}

TEST(LargeFileTest, FiftyMebibyteLineAtTheDefaultsIsQuarantinedWithItsFirstBytesAndTheOthersStored) {
  TempDir tmp;
  WriteHugeLineTranscript(tmp);
  const testing::RusageResult r = testing::RunCcoMeasured({"rescan", "--root", tmp / "projects", "--db", tmp / "cco.db"});
  ASSERT_EQ(r.exit_code, 0);
  const int64_t peak = r.max_rss_kb * 1024;
  EXPECT_LE(peak, PeakRssBound(kDefaultMaxLineBytes)) << BoundText(kDefaultMaxLineBytes);
  EXPECT_LE(peak, k160MB);
  EXPECT_EQ(QueryRows(tmp / "cco.db", "SELECT uuid FROM messages ORDER BY uuid"), "s-huge-0\ns-huge-1\ns-huge-3");
  EXPECT_EQ(QueryRows(tmp / "cco.db", "SELECT substr(reason, 1, 13) FROM quarantine"), "line_too_long");
  // The quarantine row keeps the line's full length (and its first bytes).
  EXPECT_GT(QueryInt(tmp / "cco.db", "SELECT max(length) FROM quarantine"), 50 * kMiB);
}

TEST(LargeFileTest, FiftyMebibyteLineUnderARaisedLimitIsStoredWholeWithinItsBound) {
  TempDir tmp;
  const std::string path = WriteHugeLineTranscript(tmp);
  const int64_t limit = 64 * kMiB;
  const testing::RusageResult r = testing::RunCcoMeasured(
      {"rescan", "--root", tmp / "projects", "--db", tmp / "cco.db", "--max-line-bytes", std::to_string(limit)});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_LE(r.max_rss_kb * 1024, PeakRssBound(limit)) << BoundText(limit);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM messages"), 4);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM quarantine"), 0);
  const testing::CommandResult exported =
      RunCco({"export", "s-huge", "--db", tmp / "cco.db", "--format", "jsonl", "-o", tmp / "out.jsonl"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(SameBytes(tmp / "out.jsonl", path)) << "export differs from the transcript";
}

}  // namespace
}  // namespace cco

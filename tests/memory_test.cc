// Memory bounds, with real processes: a writing command's peak resident set
// (the child's ru_maxrss from wait4) stays under the stated bound
// (src/memory_budget.h: kBaseBytes + kLineFactor * max_line_bytes) for the
// costliest lines known — a huge text of distinct words (full-text indexing),
// a line dense in numbers (simdjson's document), a line over the limit — and
// `cco watch` gives its memory back after the backfill. These are bounds on
// memory, not timings: nothing here depends on the machine's speed.
#include <signal.h>

#include <chrono>
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

using ::cco::testing::NotifySocket;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::StartCco;
using ::cco::testing::TempDir;

constexpr int64_t kMiB = int64_t{1} << 20;

// Runs the cco binary; its exit code and peak RSS in bytes.
struct Peak {
  int exit_code = -1;
  int64_t max_rss_bytes = 0;
};
Peak RunCcoPeak(const std::vector<std::string>& args) {
  const testing::RusageResult r = testing::RunCcoMeasured(args);
  return {r.exit_code, r.max_rss_kb * 1024};  // ru_maxrss is in KiB on Linux
}

std::string UserLine(const std::string& uuid, const std::string& content_json) {
  return absl::StrCat(R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/u/p",)",
                      R"("sessionId":"s1","version":"2.1.1","type":"user","message":{"role":"user","content":)",
                      content_json, R"(},"uuid":")", uuid, R"(","timestamp":"2026-01-02T03:04:05.678Z"})", "\n");
}

// A user line of about `bytes` whose text is made of distinct words: the
// costliest text for the FTS5 index (every word a new term).
std::string TextLine(const std::string& uuid, int64_t bytes) {
  std::string text;
  text.reserve(static_cast<size_t>(bytes));
  const int64_t room = bytes - static_cast<int64_t>(UserLine(uuid, "\"\"").size());
  for (uint64_t i = 0; static_cast<int64_t>(text.size()) < room - 16; ++i) absl::StrAppend(&text, "w", i * 7919, " ");
  return UserLine(uuid, absl::StrCat("\"", text, "\""));
}

// A user line of about `bytes` whose content is an array of zeros: the
// costliest JSON for simdjson's document (two tape words per two bytes).
std::string DenseLine(const std::string& uuid, int64_t bytes) {
  const int64_t room = bytes - static_cast<int64_t>(UserLine(uuid, "[]").size());
  std::string array = "[0";
  array.reserve(static_cast<size_t>(room));
  while (static_cast<int64_t>(array.size()) < room - 2) array += ",0";
  array += "]";
  return UserLine(uuid, array);
}

void WriteTree(const std::string& path, const std::vector<std::string>& lines) {
  std::string body = UserLine("first", "\"hello\"");
  for (const std::string& l : lines) body += l;
  body += UserLine("last", "\"bye\"");
  testing::WriteFile(path, body);
}

std::string BoundText(int64_t max_line_bytes) {
  return absl::StrCat(kBaseBytes / kMiB, " MiB + ", kLineFactor, " x ", max_line_bytes, " B = ",
                      PeakRssBound(max_line_bytes) / kMiB, " MiB");
}

TEST(MemoryTest, TwentyMegabyteLineAtTheDefaultsStaysUnder160MegabytesAndTheBound) {
  TempDir tmp;
  WriteTree(tmp / "projects/-home-u-p/s1.jsonl", {TextLine("big", 20 * kMiB)});
  const Peak peak = RunCcoPeak({"rescan", "--root", tmp / "projects", "--db", tmp / "cco.db"});
  ASSERT_EQ(peak.exit_code, 0);
  // Over the default limit: quarantined with its first bytes, the rest stored.
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(QueryRows(tmp / "cco.db", "SELECT substr(reason, 1, 13) FROM quarantine"), "line_too_long");
  EXPECT_LE(peak.max_rss_bytes, PeakRssBound(kDefaultMaxLineBytes)) << BoundText(kDefaultMaxLineBytes);
  EXPECT_LE(peak.max_rss_bytes, 160 * 1000 * 1000);
}

TEST(MemoryTest, LinesJustUnderTheDefaultLimitAreStoredWithinTheBound) {
  TempDir tmp;
  const int64_t size = kDefaultMaxLineBytes - 1024;
  WriteTree(tmp / "projects/-home-u-p/s1.jsonl", {TextLine("text", size)});
  WriteTree(tmp / "projects/-home-u-p/s2.jsonl", {DenseLine("dense", size)});
  const Peak peak = RunCcoPeak({"rescan", "--root", tmp / "projects", "--db", tmp / "cco.db"});
  ASSERT_EQ(peak.exit_code, 0);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM messages WHERE uuid IN ('text', 'dense')"), 2);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM quarantine"), 0);
  EXPECT_LE(peak.max_rss_bytes, PeakRssBound(kDefaultMaxLineBytes)) << BoundText(kDefaultMaxLineBytes);
}

TEST(MemoryTest, ARaisedLimitStoresTheTwentyMegabyteLineWithinItsBound) {
  TempDir tmp;
  const int64_t limit = 24 * kMiB;
  WriteTree(tmp / "projects/-home-u-p/s1.jsonl", {TextLine("big", 20 * kMiB)});
  const Peak peak = RunCcoPeak({"rescan", "--root", tmp / "projects", "--db", tmp / "cco.db", "--max-line-bytes",
                                std::to_string(limit)});
  ASSERT_EQ(peak.exit_code, 0);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM messages WHERE uuid = 'big'"), 1);
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM quarantine"), 0);
  // Its searchable text is capped; the whole line stays in `raw`.
  EXPECT_EQ(QueryInt(tmp / "cco.db", "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'w7919'"), 1);
  EXPECT_LE(peak.max_rss_bytes, PeakRssBound(limit)) << BoundText(limit);
}

int64_t VmRssBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

TEST(MemoryTest, WatchGivesMemoryBackAfterItsBackfill) {
  TempDir tmp;
  // A backfill big enough to fill the page cache and the writer's budget.
  const testing::CommandResult gen = testing::RunCommand(
      {CCO_GEN_BINARY, "--out", tmp / "tree", "--seed", "7", "--size-mb", "40", "--projects", "4"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  WriteTree(tmp / "tree/projects/-home-u-big/s1.jsonl", {TextLine("text", kDefaultMaxLineBytes - 1024)});
  NotifySocket notify(tmp.path());
  auto daemon = StartCco({"watch", "--root", tmp / "tree/projects", "--db", tmp / "cco.db"}, {notify.EnvEntry()});
  ASSERT_TRUE(notify.WaitFor("READY=1", std::chrono::minutes(10))) << daemon->Stderr();
  const int64_t rss = VmRssBytes(daemon->pid());
  EXPECT_GT(rss, 0);
  EXPECT_LE(rss, 48 * kMiB) << "idle RSS after the backfill";
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->WaitExit(std::chrono::seconds(60)), 0);
  EXPECT_GT(QueryInt(tmp / "cco.db", "SELECT count(*) FROM messages"), 1000);
}

}  // namespace
}  // namespace cco

// A transcript that starts with a UTF-8 byte-order mark (EF BB BF), as
// editors on Windows write it: every line is stored and none quarantined, in
// `cco rescan`, `cco replay` and `cco watch`, and appends after it resume at
// the exact byte where the last run stopped.

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

using ::cco::testing::Append;
using ::cco::testing::CommandResult;
using ::cco::testing::JsonInt;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::RunCco;
using ::cco::testing::TempDir;
using ::cco::testing::UserLine;
namespace fs = std::filesystem;

constexpr char kBom[] = "\xEF\xBB\xBF";

TEST(ByteOrderMarkTest, RescanStoresEveryLineAndResumesAfterIt) {
  TempDir dir;
  const std::string root = dir / "projects";
  const std::string db = dir / "t.db";
  const std::string path = root + "/-home-t-w/s1.jsonl";
  const std::string first = UserLine("s1", "u1", "first");
  Append(path, kBom + first + UserLine("s1", "u2", "second"));

  CommandResult r = RunCco({"rescan", "--root", root, "--db", db, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "lines"), 2) << r.out;
  EXPECT_EQ(JsonInt(r.out, "messages"), 2) << r.out;
  EXPECT_EQ(JsonInt(r.out, "quarantined"), 0) << r.out;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM quarantine"), 0);
  // The first row is the line's JSON, at the byte after the mark.
  EXPECT_EQ(QueryRows(db, "SELECT uuid, byte_offset, json_valid(cco_raw(raw)), substr(cco_raw(raw), 1, 1) FROM messages ORDER BY id"),
            "u1|3|1|{\nu2|" + std::to_string(3 + first.size()) + "|1|{");
  EXPECT_EQ(QueryInt(db, "SELECT read_position FROM files"), static_cast<int64_t>(fs::file_size(path)));

  // A later run reads only what was appended, in the same generation.
  Append(path, UserLine("s1", "u3", "third"));
  CommandResult more = RunCco({"rescan", "--root", root, "--db", db, "--json"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(JsonInt(more.out, "lines"), 1) << more.out;
  EXPECT_EQ(JsonInt(more.out, "new_generations"), 0) << more.out;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 3);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM quarantine"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM duplicates"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT generation FROM files"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT line_count FROM files"), 3);

  // Replay of the same file gives the same rows.
  CommandResult replay = RunCco({"replay", root, "--db", dir / "r.db", "--json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(JsonInt(replay.out, "messages"), 3) << replay.out;
  EXPECT_EQ(JsonInt(replay.out, "quarantined"), 0) << replay.out;
}

using ByteOrderMarkWatchTest = ::cco::testing::WatchFixture;

TEST_F(ByteOrderMarkWatchTest, WatchFollowsAppendsAfterIt) {
  const std::string path = root_ + "/-home-t-w/s2.jsonl";
  Append(path, kBom + UserLine("s2", "w1", "backfilled") + UserLine("s2", "w2", "also"));
  auto daemon = StartWatch();
  ASSERT_EQ(Messages(), 2);
  Append(path, UserLine("s2", "w3", "live"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 3, daemon.get());
  // A file created live with a mark.
  Append(root_ + "/-home-t-w/s3.jsonl", kBom + UserLine("s3", "n1", "new file") + UserLine("s3", "n2", "more"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 5, daemon.get());
  EXPECT_EQ(Count("SELECT count(*) FROM quarantine"), 0);
  StopAndExpectClean(*daemon);

  // A rescan after the service resumes where it stopped.
  Append(path, UserLine("s2", "w4", "while stopped"));
  CommandResult r = RunCco({"rescan", "--root", root_, "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "lines"), 1) << r.out;
  EXPECT_EQ(Messages(), 6);
  EXPECT_EQ(Count("SELECT count(*) FROM quarantine"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM duplicates"), 0);
  EXPECT_EQ(Count("SELECT max(generation) FROM files"), 1);
}

}  // namespace
}  // namespace cco

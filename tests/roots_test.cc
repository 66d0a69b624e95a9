// What a root is and what is taken from it, through the real binary: only a
// Claude config directory or a projects/ directory is a root (anything else
// is refused, a project directory with a hint to pass its parent); below it
// only transcripts are read, other *.jsonl files are skipped and counted, a
// file with no complete first line waits and is read once it has one; every
// run names its roots.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

constexpr char kUser[] =
    R"({"type":"user","uuid":"u-1","sessionId":"s-1","timestamp":"2026-01-01T00:00:00Z","message":{"role":"user","content":"hello"}})";
constexpr char kUser2[] =
    R"({"type":"user","uuid":"u-2","sessionId":"s-2","timestamp":"2026-01-01T00:01:00Z","message":{"role":"user","content":"later"}})";
constexpr char kSummary[] = R"({"type":"summary","summary":"A title","leafUuid":"u-1"})";
constexpr char kSnapshot[] = R"({"type":"file-history-snapshot","messageId":"m-1","snapshot":{}})";
constexpr char kAppLog[] = R"({"level":"info","msg":"server started","ts":1767225600})";

class RootsTest : public ::testing::Test {
 protected:
  CommandResult Rescan(const std::string& root, bool json = true) {
    std::vector<std::string> args = {"rescan", "--root", root, "--db", db_};
    if (json) args.push_back("--json");
    return RunCco(args);
  }

  TempDir dir_;
  const std::string db_ = dir_ / "cco.db";
};

TEST_F(RootsTest, ADirectoryThatIsNoRootIsRefusedSayingWhatARootIs) {
  // `--root ~`: a home directory with an application's log under notes/.
  WriteFile(dir_ / "home/notes/app-log.jsonl", std::string(kAppLog) + "\n");
  CommandResult r = Rescan(dir_ / "home");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "a root is a Claude config directory")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "projects/ directory")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  CommandResult watch = RunCco({"watch", "--root", dir_ / "home", "--db", db_});
  EXPECT_EQ(watch.exit_code, 2) << watch.err;
  EXPECT_TRUE(absl::StrContains(watch.err, "a root is a Claude config directory")) << watch.err;
}

TEST_F(RootsTest, AProjectDirectoryIsRefusedWithAHintToPassItsParent) {
  WriteFile(dir_ / ".claude/projects/-some-project/s-1.jsonl", std::string(kUser) + "\n");
  CommandResult r = Rescan(dir_ / ".claude/projects/-some-project");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "is a project directory")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, absl::StrCat("--root ", dir_ / ".claude/projects"))) << r.err;
}

TEST_F(RootsTest, AConfigDirectoryAndItsProjectsDirectoryAreTheSameRootAndEveryRunNamesIt) {
  WriteFile(dir_ / ".claude/projects/-p/s-1.jsonl", std::string(kUser) + "\n");
  const std::string projects = dir_ / ".claude/projects";
  for (const std::string& root : {dir_ / ".claude", projects, projects + "/"}) {
    SCOPED_TRACE(root);
    CommandResult r = Rescan(root);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(absl::StrContains(r.out, absl::StrCat("\"roots\":[\"", projects, "\"]"))) << r.out;
  }
  CommandResult text = Rescan(dir_ / ".claude", /*json=*/false);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.err, absl::StrCat("cco: roots: ", projects))) << text.err;
}

TEST_F(RootsTest, OnlyTranscriptsAreTakenOthersAreSkippedAndCounted) {
  const std::string projects = dir_ / ".claude/projects";
  WriteFile(projects + "/-p/s-1.jsonl", std::string(kUser) + "\n");
  // File names are not always uuids; the first line decides.
  WriteFile(projects + "/-p/titles.jsonl", std::string(kSummary) + "\n");
  WriteFile(projects + "/-p/s-1/subagents/agent-a1.jsonl", std::string(kSnapshot) + "\n" + kUser2 + "\n");
  WriteFile(projects + "/notes/app-log.jsonl", std::string(kAppLog) + "\n" + kUser + "\n");
  WriteFile(projects + "/-p/broken.jsonl", "not json\n" + std::string(kUser) + "\n");
  WriteFile(projects + "/loose.jsonl", std::string(kUser) + "\n");
  CommandResult r = Rescan(dir_ / ".claude");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), 3) << r.out;
  EXPECT_EQ(JsonInt(r.out, "skipped"), 3) << r.out;
  EXPECT_EQ(JsonInt(r.out, "waiting"), 0) << r.out;
  for (const std::string& skipped : {projects + "/notes/app-log.jsonl", projects + "/-p/broken.jsonl"}) {
    EXPECT_TRUE(absl::StrContains(r.err, absl::StrCat("cco: warning: skipped ", skipped, ": not a transcript")))
        << r.err;
  }
  EXPECT_TRUE(absl::StrContains(r.err, absl::StrCat("skipped ", projects, "/loose.jsonl: not a transcript (not inside "
                                                                          "a project directory)")))
      << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM files"), 3);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM projects WHERE dir_name IN ('notes', '-')"), 0)
      << "no made-up project";
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 2);

  // A second run skips them again, and says so again.
  CommandResult again = Rescan(dir_ / ".claude");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonInt(again.out, "skipped"), 3) << again.out;
  EXPECT_EQ(JsonInt(again.out, "lines"), 0) << again.out;
}

// A first line the line parser stores is a first line to the judge too: a
// lone surrogate escape (valid JSON, written when a string is cut inside an
// emoji) once made the whole session "not a transcript", never stored.
TEST_F(RootsTest, AFirstLineWithALoneSurrogateEscapeIsATranscriptAndEveryLineIsStored) {
  const std::string projects = dir_ / ".claude/projects";
  const std::string cut =
      R"({"type":"user","uuid":"u-1","sessionId":"s-1","timestamp":"2026-01-01T00:00:00Z",)"
      R"("message":{"role":"user","content":"an emoji cut here \ud83d"}})";
  WriteFile(projects + "/-p/s-1.jsonl", cut + "\n" + kUser2 + "\n");
  CommandResult r = Rescan(dir_ / ".claude");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), 1) << r.out;
  EXPECT_EQ(JsonInt(r.out, "skipped"), 0) << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM quarantine"), 0);
}

TEST_F(RootsTest, AFileWithoutACompleteFirstLineWaitsAndIsReadOnceItHasOne) {
  const std::string projects = dir_ / ".claude/projects";
  const std::string empty = projects + "/-p/s-1.jsonl";
  const std::string started = projects + "/-p/s-2.jsonl";
  const std::string line2 = kUser2;
  WriteFile(empty, "");
  WriteFile(started, line2.substr(0, 30));  // a session writing its first line
  CommandResult first = Rescan(dir_ / ".claude");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(JsonInt(first.out, "files"), 0) << first.out;
  EXPECT_EQ(JsonInt(first.out, "waiting"), 2) << first.out;
  EXPECT_EQ(JsonInt(first.out, "skipped"), 0) << "not rejected: " << first.out;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM files"), 0);

  AppendFile(empty, std::string(kUser) + "\n");
  AppendFile(started, line2.substr(30) + "\n");
  CommandResult second = Rescan(dir_ / ".claude");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(JsonInt(second.out, "files"), 2) << second.out;
  EXPECT_EQ(JsonInt(second.out, "waiting"), 0) << second.out;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE byte_offset = 0"), 2) << "read from their first byte";

  // replay takes files as complete: a first line without '\n' decides.
  const std::string replay_root = dir_ / "replay/projects";
  WriteFile(replay_root + "/-p/s-3.jsonl", std::string(kUser));
  CommandResult replay = RunCco({"replay", replay_root, "--db", dir_ / "replay.db", "--json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(JsonInt(replay.out, "files"), 1) << replay.out;
  EXPECT_EQ(JsonInt(replay.out, "lines"), 1) << replay.out;
}

}  // namespace
}  // namespace cco::testing

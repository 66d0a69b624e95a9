// Transcript trees as Claude Code and dotfile managers lay them out today:
// workflow agents and journals at any depth below a session, agent-type
// sidecars, symlinked project directories and transcripts, and what the walk
// cannot take (loops, dangling links), named and counted. Real files, the
// real binary (rescan, replay, report, status, watch).

#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kSession[] = "11111111-2222-4333-8444-555555555555";
constexpr char kOtherSession[] = "22222222-3333-4444-8555-666666666666";

// One assistant response (1,000 input / 100 output tokens), a line of its
// own API call `id`.
std::string ResponseLine(const std::string& session, const std::string& id, bool sidechain,
                         const std::string& agent = "") {
  return absl::StrCat(
      R"({"parentUuid":null,"isSidechain":)", sidechain ? "true" : "false",
      R"(,"userType":"external","cwd":"/home/u/app","sessionId":")", session, R"(","version":"2.1.90",)",
      agent.empty() ? "" : absl::StrCat(R"("agentId":")", agent, R"(",)"),
      R"("type":"assistant","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_)", id,
      R"(","type":"message","role":"assistant","content":[{"type":"text","text":"done"}],)"
      R"("stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1000,)"
      R"("cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":100}},)"
      R"("requestId":"req_)", id, R"(","uuid":"u-)", id, R"(","timestamp":"2026-03-01T10:00:00.000Z"})", "\n");
}

std::string Journal(const std::string& run) {
  return absl::StrCat(R"({"type":"started","runId":")", run, R"(","timestamp":"2026-03-01T10:00:00.500Z"})", "\n",
                      R"({"type":"result","agentId":"b2","runId":")", run, R"("})", "\n");
}

// The issue's example: a main transcript, a 2.1 subagent with its sidecar, a
// workflow agent with its journal, and a second project with a journal.
void WriteAgentTree(const std::string& root) {
  const std::string project = root + "/-home-u-app";
  const std::string session_dir = project + "/" + kSession;
  WriteFile(project + "/" + kSession + ".jsonl", ResponseLine(kSession, "main", false));
  WriteFile(session_dir + "/subagents/agent-a1.jsonl", ResponseLine(kSession, "a1", true, "a1"));
  WriteFile(session_dir + "/subagents/agent-a1.meta.json",
            R"({"agentType":"general-purpose","model":"claude-sonnet-4-5-20250929"})" "\n");
  WriteFile(session_dir + "/subagents/workflows/wf_0001/agent-b2.jsonl", ResponseLine(kSession, "b2", true, "b2"));
  WriteFile(session_dir + "/subagents/workflows/wf_0001/journal.jsonl", Journal("run_1"));
  WriteFile(root + "/-home-u-other/" + kOtherSession + "/subagents/workflows/wf_0009/journal.jsonl",
            Journal("run_9"));
}

simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  return doc;
}

int64_t Int(simdjson::dom::element e, const char* key) {
  int64_t v = -1;
  EXPECT_EQ(e[key].get(v), simdjson::SUCCESS) << key;
  return v;
}

class TreeTest : public ::testing::Test {
 protected:
  TempDir tmp_;
  const std::string root_ = tmp_ / "projects";
  const std::string db_ = tmp_ / "cco.db";
};

TEST_F(TreeTest, WorkflowAgentsAtAnyDepthBelongToTheirSession) {
  WriteAgentTree(root_);
  CommandResult replay = RunCco({"replay", root_, "--db", db_, "--json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(JsonInt(replay.out, "files"), 5);
  EXPECT_EQ(JsonInt(replay.out, "lines"), 7);

  CommandResult report = RunCco({"report", "session", "--tz", "UTC", "--db", db_, "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  simdjson::dom::parser parser;
  simdjson::dom::array sessions;
  ASSERT_EQ(Parse(parser, report.out)["sessions"].get(sessions), simdjson::SUCCESS);
  ASSERT_EQ(sessions.size(), 1u) << report.out;
  simdjson::dom::element session = sessions.at(0);
  std::string_view id;
  ASSERT_EQ(session["sessionId"].get(id), simdjson::SUCCESS);
  EXPECT_EQ(id, kSession);
  EXPECT_EQ(Int(session, "inputTokens"), 3000);
  EXPECT_EQ(Int(session, "outputTokens"), 300);
}

TEST_F(TreeTest, JournalsAreEventsOfTheirOwnSession) {
  WriteAgentTree(root_);
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  // Two journals in two projects: never one conversation named "journal".
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM conversations WHERE session_id = 'journal'"), 0);
  EXPECT_EQ(QueryRows(db_, "SELECT c.session_id, p.dir_name, count(*) FROM events e"
                           " JOIN conversations c ON c.id = e.conversation_id JOIN projects p ON p.id = c.project_id"
                           " GROUP BY c.id ORDER BY 1"),
            absl::StrCat(kSession, "|-home-u-app|2\n", kOtherSession, "|-home-u-other|2"));
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT session_id) FROM files WHERE path LIKE '%/-home-u-app/%'"), 1);
}

TEST_F(TreeTest, SidecarAgentTypeIsStored) {
  WriteAgentTree(root_);
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  EXPECT_EQ(QueryRows(db_, "SELECT agent_id, coalesce(agent_type, '-') FROM files WHERE agent_id IS NOT NULL"
                           " ORDER BY agent_id"),
            "a1|general-purpose\nb2|-");
}

TEST_F(TreeTest, SidecarWrittenAfterTheFirstLinesIsStoredWithTheNextOnes) {
  const std::string agent = root_ + "/-home-u-app/" + kSession + "/subagents/agent-c3.jsonl";
  WriteFile(agent, ResponseLine(kSession, "c3-1", true, "c3"));
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  EXPECT_EQ(QueryRows(db_, "SELECT coalesce(agent_type, '-') FROM files WHERE agent_id = 'c3'"), "-");
  WriteFile(root_ + "/-home-u-app/" + kSession + "/subagents/agent-c3.meta.json", R"({"agentType":"Explore"})");
  AppendFile(agent, ResponseLine(kSession, "c3-2", true, "c3"));
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  EXPECT_EQ(QueryRows(db_, "SELECT coalesce(agent_type, '-') FROM files WHERE agent_id = 'c3'"), "Explore");
}

TEST_F(TreeTest, ReportSessionByAgentShowsEachAgentWithItsType) {
  WriteAgentTree(root_);
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  CommandResult json = RunCco({"report", "session", "--tz", "UTC", "--by-agent", "--db", db_, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  simdjson::dom::array sessions;
  ASSERT_EQ(Parse(parser, json.out)["sessions"].get(sessions), simdjson::SUCCESS);
  ASSERT_EQ(sessions.size(), 1u);
  simdjson::dom::array agents;
  ASSERT_EQ(sessions.at(0)["agents"].get(agents), simdjson::SUCCESS) << json.out;
  std::vector<std::string> seen;
  for (simdjson::dom::element agent : agents) {
    std::string_view agent_id = "main", type = "-";
    if (!agent["agentId"].is_null()) {
      EXPECT_EQ(agent["agentId"].get(agent_id), simdjson::SUCCESS);
    }
    if (!agent["agentType"].is_null()) {
      EXPECT_EQ(agent["agentType"].get(type), simdjson::SUCCESS);
    }
    seen.push_back(absl::StrCat(std::string(agent_id), ":", std::string(type), ":", Int(agent, "inputTokens"), ":",
                                Int(agent, "outputTokens")));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"main:-:1000:100", "a1:general-purpose:1000:100", "b2:-:1000:100"}));

  CommandResult text = RunCco({"report", "session", "--tz", "UTC", "--by-agent", "--db", db_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("agent a1 (general-purpose)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("agent b2"), std::string::npos) << text.out;
  EXPECT_EQ(RunCco({"report", "daily", "--tz", "UTC", "--by-agent", "--db", db_}).exit_code, 2);
}

// The issue's example: one real project, one project directory that is a
// symlink to a directory elsewhere, one project whose transcript is a
// symlink.
void WriteLinkedTree(const std::string& root, const std::string& elsewhere) {
  WriteFile(root + "/-home-u-real/s1.jsonl", UserLine("s1", "s1-a", "one") + UserLine("s1", "s1-b", "two"));
  WriteFile(elsewhere + "/dotfiles/linked-project/s2.jsonl", UserLine("s2", "s2-a", "one") + UserLine("s2", "s2-b", "two"));
  WriteFile(elsewhere + "/dotfiles/s3.jsonl", UserLine("s3", "s3-a", "one") + UserLine("s3", "s3-b", "two"));
  fs::create_symlink(elsewhere + "/dotfiles/linked-project", root + "/-home-u-linked");
  fs::create_directories(root + "/-home-u-filelink");
  fs::create_symlink(elsewhere + "/dotfiles/s3.jsonl", root + "/-home-u-filelink/s3.jsonl");
}

TEST_F(TreeTest, SymlinkedProjectsAndTranscriptsAreIngested) {
  WriteLinkedTree(root_, tmp_ / "elsewhere");
  CommandResult r = RunCco({"rescan", "--root", root_, "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), 3) << r.out;
  EXPECT_EQ(JsonInt(r.out, "lines"), 6) << r.out;
  EXPECT_EQ(JsonInt(r.out, "projects"), 3) << r.out;
  EXPECT_EQ(JsonInt(r.out, "skipped"), 0) << r.out;
  EXPECT_EQ(QueryRows(db_, "SELECT dir_name FROM projects ORDER BY 1"), "-home-u-filelink\n-home-u-linked\n-home-u-real");
  // The file's identity is the target's.
  struct stat st;
  ASSERT_EQ(::stat((tmp_ / "elsewhere/dotfiles/s3.jsonl").c_str(), &st), 0);
  EXPECT_EQ(QueryInt(db_, "SELECT inode FROM files WHERE path LIKE '%/-home-u-filelink/s3.jsonl'"),
            static_cast<int64_t>(st.st_ino));
  // A second pass finds everything stored.
  CommandResult again = RunCco({"rescan", "--root", root_, "--db", db_, "--json"});
  EXPECT_EQ(JsonInt(again.out, "lines"), 0) << again.out;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 6);
}

TEST_F(TreeTest, OneFileUnderTwoPathsIsReadOnceUnderTheSmallest) {
  WriteFile(root_ + "/-home-u-x/s.jsonl", UserLine("s", "s-a", "one") + UserLine("s", "s-b", "two"));
  // Two more names for the same directory and one for the file itself.
  fs::create_directory_symlink(root_ + "/-home-u-x", root_ + "/-home-u-y");
  fs::create_directory_symlink("-home-u-x", root_ + "/-home-u-a");
  fs::create_directories(root_ + "/-home-u-z");
  fs::create_symlink(root_ + "/-home-u-x/s.jsonl", root_ + "/-home-u-z/s.jsonl");
  CommandResult r = RunCco({"rescan", "--root", root_, "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), 1) << r.out;
  EXPECT_EQ(JsonInt(r.out, "lines"), 2) << r.out;
  EXPECT_EQ(JsonInt(r.out, "skipped"), 0) << r.out;
  EXPECT_EQ(QueryRows(db_, "SELECT p.dir_name, s.name FROM files f JOIN projects p ON p.id = f.project_id"
                           " JOIN streams s ON s.id = f.stream_id"),
            "-home-u-a|-home-u-a/s.jsonl");
}

TEST_F(TreeTest, LoopsAndDanglingLinksAreNamedAndCounted) {
  WriteFile(root_ + "/-home-u-p/s.jsonl", UserLine("s", "s-a", "one"));
  fs::create_directory_symlink("..", root_ + "/-home-u-p/loop");
  fs::create_symlink(tmp_ / "nowhere/gone.jsonl", root_ + "/-home-u-p/gone.jsonl");
  fs::create_symlink("self.jsonl", root_ + "/-home-u-p/self.jsonl");
  CommandResult r = RunCco({"rescan", "--root", root_, "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "files"), 1) << r.out;
  EXPECT_EQ(JsonInt(r.out, "lines"), 1) << r.out;
  EXPECT_EQ(JsonInt(r.out, "skipped"), 3) << r.out;
  EXPECT_NE(r.err.find(root_ + "/-home-u-p/loop: symlink loop"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(root_ + "/-home-u-p/gone.jsonl: dangling symlink"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(root_ + "/-home-u-p/self.jsonl: symlink loop"), std::string::npos) << r.err;

  CommandResult status = RunCco({"status", "--db", db_, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(JsonInt(status.out, "skipped"), 3) << status.out;
  CommandResult text = RunCco({"status", "--db", db_});
  EXPECT_NE(text.out.find("gone.jsonl: dangling symlink"), std::string::npos) << text.out;
}

TEST_F(TreeTest, UnreadableTranscriptIsNamedAndCounted) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  WriteFile(root_ + "/-home-u-p/s.jsonl", UserLine("s", "s-a", "one"));
  WriteFile(root_ + "/-home-u-p/t.jsonl", UserLine("t", "t-a", "one"));
  fs::permissions(root_ + "/-home-u-p/t.jsonl", fs::perms::none);
  CommandResult r = RunCco({"rescan", "--root", root_, "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonInt(r.out, "skipped"), 1) << r.out;
  EXPECT_NE(r.err.find("t.jsonl: unreadable"), std::string::npos) << r.err;
}

// Both watcher backends: inotify, and the polling one (--poll).
class TreeWatchTest : public WatchFixture, public ::testing::WithParamInterface<bool> {};

TEST_P(TreeWatchTest, WatchFollowsSymlinkedProjectsAndTranscripts) {
  const std::string elsewhere = tmp_ / "elsewhere";
  WriteLinkedTree(root_, elsewhere);
  fs::create_symlink(elsewhere + "/nowhere.jsonl", root_ + "/-home-u-real/gone.jsonl");
  auto daemon = StartWatch(GetParam() ? std::vector<std::string>{"--poll"} : std::vector<std::string>{});
  ExpectArrivesOnce("SELECT count(*) FROM messages", 6, daemon.get());
  // What it cannot follow is named once.
  EXPECT_NE(daemon->Stderr().find(root_ + "/-home-u-real/gone.jsonl: dangling symlink"), std::string::npos)
      << daemon->Stderr();
  // Appends to the targets, and through the links, arrive live.
  Append(elsewhere + "/dotfiles/linked-project/s2.jsonl", UserLine("s2", "s2-c", "three"));
  Append(elsewhere + "/dotfiles/s3.jsonl", UserLine("s3", "s3-c", "three"));
  Append(root_ + "/-home-u-filelink/s3.jsonl", UserLine("s3", "s3-d", "four"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 9, daemon.get());
  // A project linked in while the service runs.
  WriteFile(elsewhere + "/later/s4.jsonl", UserLine("s4", "s4-a", "one"));
  fs::create_directory_symlink(elsewhere + "/later", root_ + "/-home-u-later");
  ExpectArrivesOnce("SELECT count(*) FROM messages", 10, daemon.get());
  Append(elsewhere + "/later/s4.jsonl", UserLine("s4", "s4-b", "two"));
  ExpectArrivesOnce("SELECT count(*) FROM messages", 11, daemon.get());
  EXPECT_EQ(Count("SELECT count(*) FROM files"), 4);
  // The link removed: its transcript is gone from the tree (history kept).
  fs::remove(root_ + "/-home-u-later");
  ExpectArrivesOnce("SELECT count(*) FROM files WHERE archived_ms IS NOT NULL", 1, daemon.get());
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 11);
  StopAndExpectClean(*daemon);
}

INSTANTIATE_TEST_SUITE_P(Backends, TreeWatchTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Poll" : "Inotify"; });

}  // namespace
}  // namespace cco::testing

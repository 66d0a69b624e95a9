// `cco show` and `cco export`: a conversation read back in the terminal, and
// a session given back as its stored JSONL (byte-exact), Markdown or HTML.
#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco {
namespace {

namespace fs = std::filesystem;
using ::cco::testing::CommandResult;
using ::cco::testing::CorpusDir;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::ReadFile;
using ::cco::testing::RunCco;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

// The complete non-blank lines of a file, each with its newline: what a
// jsonl export gives back of it.
std::string CompleteLines(const std::string& path) {
  const std::string text = ReadFile(path);
  std::string out;
  size_t start = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    if (line.find_first_not_of(" \t\r") != std::string::npos) out += line + "\n";
    start = nl + 1;
  }
  return out;
}

std::string Line(const std::string& type, const std::string& uuid, const std::string& session,
                 const std::string& time, const std::string& content, const std::string& extra = "") {
  return absl::StrCat(R"({"type":")", type, R"(","uuid":")", uuid, R"(","sessionId":")", session,
                      R"(","timestamp":"2026-03-04T)", time, R"(.000Z","cwd":"/w")", extra, R"(,"message":{"role":")",
                      type, R"(","content":)", content, "}}");
}

class ConversationTest : public ::testing::Test {
 protected:
  TempDir dir_;
  const std::string root_ = dir_ / "projects";
  const std::string db_ = dir_ / "cco.db";

  // A session with a prompt, a response calling a tool, its result, a
  // sidechain line, and two agent transcripts (the later-starting one
  // sorts last whatever its name).
  void WriteSession() {
    const std::string s = "5e551011-aaaa-4bbb-8ccc-000000000001";
    WriteFile(root_ + "/-w/" + s + ".jsonl",
              Line("user", "u-1", s, "10:00:00", R"("Please fix the flaky test in tail_reader.cc")") + "\r\n" +
                  Line("assistant", "a-1", s, "10:00:05",
                       R"([{"type":"thinking","thinking":"Look at the test first.\nThen fix it."},{"type":"text","text":"Running it now."},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ctest -R tail_reader\nsecond line","description":"run"}}])",
                       R"(,"requestId":"r-1")") +
                  "\n\n" +
                  Line("user", "u-2", s, "10:00:09",
                       R"([{"type":"tool_result","tool_use_id":"toolu_1","content":"1 test failed\nexpected 3 got 4"}])") +
                  "\n" +
                  Line("assistant", "a-2", s, "10:00:12", R"([{"type":"text","text":"Fixed: the off-by-one."}])",
                       R"(,"isSidechain":true)") +
                  "\n" + R"({"type":"summary","summary":"Fix flaky test","leafUuid":"a-2"})" + "\n");
    WriteFile(root_ + "/-w/" + s + "/subagents/agent-a0late.jsonl",
              Line("user", "g-1", s, "10:00:30", R"("late agent prompt")", R"(,"isSidechain":true,"agentId":"a0late")") +
                  "\n");
    WriteFile(root_ + "/-w/" + s + "/subagents/agent-zzearly.jsonl",
              Line("user", "e-1", s, "10:00:07", R"("early agent prompt")",
                   R"(,"isSidechain":true,"agentId":"zzearly")") +
                  "\n");
  }
};

TEST_F(ConversationTest, ExportJsonlGivesTheMainTranscriptThenAgentsByTimeByteExact) {
  WriteSession();
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  const std::string s = "5e551011-aaaa-4bbb-8ccc-000000000001";
  CommandResult r = RunCco({"export", "5e551011", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, CompleteLines(root_ + "/-w/" + s + ".jsonl") +
                       CompleteLines(root_ + "/-w/" + s + "/subagents/agent-zzearly.jsonl") +
                       CompleteLines(root_ + "/-w/" + s + "/subagents/agent-a0late.jsonl"));
  EXPECT_NE(r.out.find("tail_reader.cc\"}}\r\n"), std::string::npos) << "CRLF kept";
  // -o writes the same bytes to a file.
  ASSERT_EQ(RunCco({"export", s, "--db", db_, "-o", dir_ / "out.jsonl"}).exit_code, 0);
  EXPECT_EQ(ReadFile(dir_ / "out.jsonl"), r.out);
}

// The same transcript under a second root is stored once, and exported once.
TEST_F(ConversationTest, ExportJsonlGivesOneCopyOfATranscriptUnderTwoRoots) {
  WriteSession();
  const std::string second = dir_ / "second/projects";
  fs::create_directories(second);
  fs::copy(root_, second, fs::copy_options::recursive);
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--root", second, "--db", db_}).exit_code, 0);
  CommandResult r = RunCco({"export", "5e551011-aaaa-4bbb-8ccc-000000000001", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 7) << r.out;
}

// Every session of the shared corpus: its export is its files' complete
// lines, byte for byte, the main transcript first, then the other files by
// their first line's time; and every file is exported with some session.
TEST(ConversationCorpusTest, ExportJsonlOfEveryCorpusSessionEqualsItsFiles) {
  if (CorpusDir().empty()) GTEST_SKIP() << "shared corpus not found beside the repository; skipping";
  TempDir dir;
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", CorpusDir() + "/projects", "--db", db}).exit_code, 0);
  const std::string sessions = QueryRows(db, "SELECT session_id FROM conversations ORDER BY 1");
  std::map<std::string, int> exported_files;
  int compared = 0;
  const std::regex first_time(R"re("timestamp":"([^"]+)")re");
  for (absl::string_view session : absl::StrSplit(sessions, '\n', absl::SkipEmpty())) {
    const std::string id(session);
    // The session's files, found from the rows, one per stream.
    const std::string files = QueryRows(
        db, absl::StrCat("SELECT f.path FROM files f WHERE f.id IN (SELECT min(id) FROM files WHERE id IN ("
                         " SELECT file_id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                         "  WHERE c.session_id = '", id, "' UNION SELECT file_id FROM events e JOIN conversations c"
                         "  ON c.id = e.conversation_id WHERE c.session_id = '", id, "') OR session_id = '", id,
                         "' GROUP BY stream_id)"));
    std::vector<std::string> paths = absl::StrSplit(files, '\n', absl::SkipEmpty());
    ASSERT_FALSE(paths.empty()) << id;
    // Main: named after the session, else the earliest non-agent file;
    // others by the first timestamp in the file.
    auto time_of = [&](const std::string& path) {
      std::smatch m;
      const std::string text = ReadFile(path);
      return std::regex_search(text, m, first_time) ? m[1].str() : std::string("~");
    };
    auto is_agent = [](const std::string& p) { return p.find("/agent-") != std::string::npos; };
    std::sort(paths.begin(), paths.end(), [&](const std::string& a, const std::string& b) {
      const std::string ta = time_of(a), tb = time_of(b);
      return ta != tb ? ta < tb : a < b;
    });
    auto main = std::find_if(paths.begin(), paths.end(), [&](const std::string& p) {
      return p.size() > id.size() + 7 && p.substr(p.size() - id.size() - 7) == "/" + id + ".jsonl";
    });
    if (main == paths.end()) main = std::find_if_not(paths.begin(), paths.end(), is_agent);
    if (main == paths.end()) main = paths.begin();
    std::rotate(paths.begin(), main, main + 1);
    std::string expected;
    for (const std::string& p : paths) {
      expected += CompleteLines(p);
      ++exported_files[p];
    }
    CommandResult r = RunCco({"export", id, "--db", db});
    ASSERT_EQ(r.exit_code, 0) << id << ": " << r.err;
    EXPECT_TRUE(r.out == expected) << "session " << id << ": export differs from its files " << files;
    ++compared;
  }
  EXPECT_GE(compared, 70);
  const std::string all_files = QueryRows(db, "SELECT path FROM files");
  for (absl::string_view p : absl::StrSplit(all_files, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(exported_files.contains(std::string(p)) || CompleteLines(std::string(p)).empty())
        << p << " is in no session's export";
  }
}

TEST_F(ConversationTest, ShowFoldsToolsMarksSidechainsAndAgents) {
  WriteSession();
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  CommandResult r = RunCco({"show", "5e551011-aaaa", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& out = r.out;
  EXPECT_NE(out.find("you · 2026-03-04 10:00:00\nPlease fix the flaky test in tail_reader.cc\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("Running it now."), std::string::npos);
  EXPECT_NE(out.find("  > Bash ctest -R tail_reader second line\n"), std::string::npos) << "tool call on one line";
  EXPECT_NE(out.find("  < 1 test failed expected 3 got 4\n"), std::string::npos) << "result on one line";
  EXPECT_NE(out.find("  (thinking) Look at the test first. Then fix it.\n"), std::string::npos);
  EXPECT_NE(out.find("· sidechain\nFixed: the off-by-one."), std::string::npos) << "sidechain marked";
  const size_t early = out.find("══ agent zzearly"), late = out.find("══ agent a0late");
  ASSERT_NE(early, std::string::npos) << out;
  ASSERT_NE(late, std::string::npos);
  EXPECT_LT(out.find("Fixed: the off-by-one."), early) << "the main transcript first";
  EXPECT_LT(early, late) << "agents by their first line's time";
  EXPECT_NE(out.find("│ early agent prompt"), std::string::npos);
  EXPECT_EQ(out.find("\x1b"), std::string::npos) << "no escapes when stdout is not a terminal";

  // --at starts at a message and says how many came before.
  r = RunCco({"show", "5e551011", "--at", "u-2", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("Please fix the flaky test"), std::string::npos);
  EXPECT_NE(r.out.find("2 earlier messages not shown"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("< 1 test failed"), std::string::npos);
  r = RunCco({"show", "5e551011", "--at", "no-such-uuid", "--db", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no message 'no-such-uuid'"), std::string::npos) << r.err;
}

TEST_F(ConversationTest, SessionPrefixMustBeUniqueAndKnown) {
  const std::string line = Line("user", "u-1", "abcd0001-x", "10:00:00", R"("one")");
  WriteFile(root_ + "/-w/abcd0001-x.jsonl", line + "\n");
  WriteFile(root_ + "/-w/abcd0002-y.jsonl", Line("user", "u-1", "abcd0002-y", "10:00:00", R"("two")") + "\n");
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  CommandResult r = RunCco({"show", "abcd", "--db", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ambiguous: abcd0001-x, abcd0002-y"), std::string::npos) << r.err;
  r = RunCco({"export", "ffff", "--db", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no session 'ffff'"), std::string::npos) << r.err;
  r = RunCco({"export", "abcd0002", "--db", db_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"two\""), std::string::npos);
  EXPECT_EQ(RunCco({"export", "--db", db_}).exit_code, 2) << "a session or --project";
  EXPECT_EQ(RunCco({"export", "abcd0002", "--format", "pdf", "--db", db_}).exit_code, 2);
  // --project: every session of the project, oldest first.
  r = RunCco({"export", "--project", "-w", "--db", db_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, line + "\n" + Line("user", "u-1", "abcd0002-y", "10:00:00", R"("two")") + "\n");
  EXPECT_EQ(RunCco({"export", "--project", "nowhere", "--db", db_}).exit_code, 2);
}

// Every transcript string is escaped in HTML: prompt text, tool names and
// inputs, models, titles, uuids; the document has no script, no remote
// resource, no link.
TEST_F(ConversationTest, HtmlEscapesEveryTranscriptString) {
  const std::string s = "5e551011-bbbb";
  const std::string evil = R"(<script>alert(1)</script> \"><img src=x onerror=alert(2)> javascript:alert(3) ' &amp;)";
  WriteFile(root_ + "/-w/" + s + ".jsonl",
            Line("user", "u-\\\"><script>x</script>", s, "10:00:00", absl::StrCat("\"", evil, "\"")) + "\n" +
                Line("assistant", "a-1", s, "10:00:01",
                     absl::StrCat(R"([{"type":"text","text":")", evil, R"("},{"type":"tool_use","id":"t1","name":")",
                                  "<img src=y onerror=alert(4)>", R"(","input":{"command":")", evil,
                                  R"("}},{"type":"thinking","thinking":")", evil, R"("}])"),
                     absl::StrCat(R"(,"model":")", "<script>m</script>", R"(")")) +
                "\n" + Line("user", "u-3", s, "10:00:02",
                            absl::StrCat(R"([{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":")",
                                         evil, R"("}]}])")) +
                "\n" + absl::StrCat(R"({"type":"custom-title","customTitle":")", evil, R"(","sessionId":")", s, R"("})") +
                "\n");
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  CommandResult r = RunCco({"export", s, "--format", "html", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& html = r.out;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos) << "no link at all";
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt; "
                      "javascript:alert(3) &#39; &amp;amp;"),
            std::string::npos)
      << "the text is shown, escaped";
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html.find("script-src 'none'"), std::string::npos);
  // Every tag in the document is one of the renderer's own.
  const std::regex tag(R"(<([a-zA-Z!/][a-zA-Z0-9]*))");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1].str();
    static const std::vector<std::string> allowed = {
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "article", "header", "h1", "h2", "dl", "dt",
        "dd", "code", "section", "div", "span", "time", "details", "summary", "pre", "b"};
    const std::string bare = name[0] == '/' ? name.substr(1) : name;
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), bare), allowed.end()) << "unexpected tag <" << name;
  }

  // Markdown: the text is inside code, so nothing in it is markup.
  r = RunCco({"export", s, "--format", "md", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("```text\n<script>alert(1)</script>"), std::string::npos) << r.out;
}

// A database written by a newer cco is refused with a clear message.
TEST_F(ConversationTest, NewerSchemaIsRefused) {
  WriteSession();
  ASSERT_EQ(RunCco({"replay", root_, "--db", db_}).exit_code, 0);
  ASSERT_EQ(::cco::testing::RunCommand({"/usr/bin/sqlite3", db_,
                                        "INSERT INTO schema_migrations(name, checksum, applied_ms)"
                                        " VALUES ('9999_future.sql', 'xxh64:0', 0)"})
                .exit_code,
            0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"show", "5e551011"}, std::vector<std::string>{"export", "5e551011"}}) {
    std::vector<std::string> argv = args;
    argv.insert(argv.end(), {"--db", db_});
    CommandResult r = RunCco(argv);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_NE(r.err.find("newer"), std::string::npos) << args[0] << ": " << r.err;
  }
}

}  // namespace
}  // namespace cco

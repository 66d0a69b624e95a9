// `cco report --project`: Claude Code encodes /home/u/deja-vu and
// /home/u/deja/vu to one directory, -home-u-deja-vu; either path, the
// directory name, or any cwd a session worked in finds the project, and a
// name that matches nothing is an error naming the closest projects, for
// every report that takes --project. Real files and the real binary.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

// One response of `input` tokens in `session`, run from `cwd`.
std::string ResponseLine(const std::string& session, const std::string& cwd, const std::string& id, int input) {
  return absl::StrCat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":")", cwd, R"(","sessionId":")", session,
      R"(","version":"2.1.90","type":"assistant","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_)", id,
      R"(","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_)", id,
      R"(","name":"Bash","input":{"command":"ls"}}],"stop_reason":"tool_use","stop_sequence":null,)"
      R"("usage":{"input_tokens":)", input, R"(,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
      R"("output_tokens":10}},"requestId":"req_)", id, R"(","uuid":"u-)", id,
      R"(","timestamp":"2026-03-01T10:00:00.000Z"})", "\n");
}

class ReportProjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string project = root_ + "/-home-u-deja-vu";
    WriteFile(project + "/a0000000-0000-4000-8000-000000000001.jsonl",
              ResponseLine("a0000000-0000-4000-8000-000000000001", "/home/u/deja-vu", "a", 100));
    WriteFile(project + "/b0000000-0000-4000-8000-000000000002.jsonl",
              ResponseLine("b0000000-0000-4000-8000-000000000002", "/home/u/deja/vu", "b", 200) +
                  ResponseLine("b0000000-0000-4000-8000-000000000002", "/home/u/deja/vu/src", "c", 400));
    WriteFile(root_ + "/-home-u-other/c0000000-0000-4000-8000-000000000003.jsonl",
              ResponseLine("c0000000-0000-4000-8000-000000000003", "/home/u/other", "d", 800));
    CommandResult r = RunCco({"replay", root_, "--db", db_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Input tokens of `cco report project --project <query>`.
  int64_t ProjectInput(const std::string& query) {
    CommandResult r = RunCco({"report", "project", "--tz", "UTC", "--db", db_, "--json", "--project", query});
    EXPECT_EQ(r.exit_code, 0) << query << ": " << r.err;
    const size_t totals = r.out.find("\"totals\"");
    return totals == std::string::npos ? -1 : JsonInt(r.out.substr(totals + 9), "inputTokens");
  }

  TempDir tmp_;
  const std::string root_ = tmp_ / "projects";
  const std::string db_ = tmp_ / "cco.db";
};

TEST_F(ReportProjectTest, EitherPathOfOneEncodedDirectoryFindsItsProject) {
  EXPECT_EQ(ProjectInput("/home/u/deja-vu"), 700);
  EXPECT_EQ(ProjectInput("/home/u/deja/vu"), 700);
  EXPECT_EQ(ProjectInput("/home/u/deja/vu/"), 700);
  EXPECT_EQ(ProjectInput("-home-u-deja-vu"), 700);
  // A directory a session moved to.
  EXPECT_EQ(ProjectInput("/home/u/deja/vu/src"), 700);
  EXPECT_EQ(ProjectInput("/home/u/other"), 800);
  // The second path's session is in the session report.
  CommandResult r = RunCco({"report", "session", "--tz", "UTC", "--db", db_, "--json", "--project", "/home/u/deja/vu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("b0000000-0000-4000-8000-000000000002"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("c0000000-0000-4000-8000-000000000003"), std::string::npos) << r.out;
}

TEST_F(ReportProjectTest, NoMatchExitsTwoNamingTheClosestProjects) {
  for (const std::string kind : {"daily", "weekly", "monthly", "session", "project", "tools"}) {
    for (const std::string json : {"", "--json"}) {
      std::vector<std::string> args = {"report", kind, "--tz", "UTC", "--db", db_, "--project", "/home/u/deja-vv"};
      if (!json.empty()) args.push_back(json);
      CommandResult r = RunCco(args);
      EXPECT_EQ(r.exit_code, 2) << kind << " " << json << ": " << r.out;
      EXPECT_NE(r.err.find("no project matches '/home/u/deja-vv'"), std::string::npos) << kind << ": " << r.err;
      EXPECT_NE(r.err.find("/home/u/deja-vu (-home-u-deja-vu)"), std::string::npos) << kind << ": " << r.err;
      EXPECT_EQ(r.out, "") << kind;
    }
  }
}

}  // namespace
}  // namespace cco::testing

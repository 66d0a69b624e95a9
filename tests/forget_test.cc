// `cco forget`: a session or a project purged with a tombstone; a rescan
// does not bring it back; no byte of it stays in the database file (WAL
// included); backups that still hold it are named; --undo brings it back.
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco {
namespace {

namespace fs = std::filesystem;
using ::cco::testing::Append;
using ::cco::testing::ChildProcess;
using ::cco::testing::CommandResult;
using ::cco::testing::ExpectCheckPasses;
using ::cco::testing::Filler;
using ::cco::testing::QueryInt;
using ::cco::testing::ReadFile;
using ::cco::testing::RunCco;
using ::cco::testing::UserLine;
using ::cco::testing::WriteFile;

constexpr char kSecret[] = "sk-live-7Qz9PLANTEDSECRETx41";
constexpr char kSession[] = "aaaa1111-0000-4000-8000-00000000000a";

bool FileHolds(const std::string& path, const std::string& bytes) {
  return fs::exists(path) && absl::StrContains(ReadFile(path), bytes);
}

class ForgetTest : public ::cco::testing::WatchFixture {
 protected:
  void SetUp() override {
    WatchFixture::SetUp();
    // The secret in a prompt, in a tool call's input, in an agent's line;
    // another session and another project stay.
    const std::string s = kSession;
    Append(root_ + "/-w/" + s + ".jsonl",
           UserLine(s, "p-1", absl::StrCat("my key is ", kSecret, " please use it")) +
               absl::StrCat(R"({"type":"assistant","uuid":"p-2","parentUuid":"p-1","sessionId":")", s,
                            R"(","timestamp":"2026-03-04T10:00:05.000Z","requestId":"r-1","message":{"id":"m-1","model":"claude-sonnet-4-5","role":"assistant","content":[{"type":"tool_use","id":"toolu_s","name":"Bash","input":{"command":"export KEY=)",
                            kSecret, R"("}}],"usage":{"input_tokens":10,"output_tokens":5}}})") +
               "\n");
    Append(root_ + "/-w/" + s + "/subagents/agent-a1.jsonl", UserLine(s, "g-1", absl::StrCat("agent sees ", kSecret)));
    Append(root_ + "/-w/other.jsonl", UserLine("other", "o-1", "an ordinary prompt"));
    Append(root_ + "/-v/vee.jsonl", UserLine("vee", "v-1", "another project"));
    ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  }
  int64_t SessionRows() {
    return QueryInt(db_, absl::StrCat("SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                                      " WHERE c.session_id = '", kSession, "'"));
  }
};

TEST_F(ForgetTest, ForgetThenRescanStaysGoneWithoutATraceAndUndoBringsItBack) {
  ASSERT_EQ(SessionRows(), 3);
  ASSERT_TRUE(FileHolds(db_, kSecret) || FileHolds(db_ + "-wal", kSecret)) << "the test would prove nothing";
  const std::string backup = tmp_ / "before.db";
  ASSERT_EQ(RunCco({"backup", backup, "--db", db_}).exit_code, 0);

  CommandResult r = RunCco({"forget", "--session", "aaaa1111", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "forgot session aaaa1111-0000-4000-8000-00000000000a: 3 messages")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "still hold it")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, fs::canonical(backup).string())) << "the backup is named: " << r.out;
  EXPECT_EQ(SessionRows(), 0);
  EXPECT_EQ(QueryInt(db_, absl::StrCat("SELECT count(*) FROM conversations WHERE session_id = '", kSession, "'")), 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM tool_executions WHERE tool_use_id = 'toolu_s'"), 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM usage_winners"), 0) << "its usage is gone too";
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 2) << "the other sessions stay";
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'ordinary'"), 1);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'key'"), 0);
  for (const std::string& f : {db_, db_ + "-wal", db_ + "-shm"}) {
    EXPECT_FALSE(FileHolds(f, kSecret)) << f << " still holds the secret";
    EXPECT_FALSE(FileHolds(f, "PLANTEDSECRET")) << f << " still holds part of it";
  }
  ExpectCheckPasses(db_);

  // A rescan, and a new line of the session: passed over, accounted for.
  Append(root_ + "/-w/" + std::string(kSession) + ".jsonl", UserLine(kSession, "p-3", "one more"));
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  EXPECT_EQ(SessionRows(), 0);
  EXPECT_EQ(QueryInt(db_, "SELECT sum(forgotten_lines) FROM files"), 4);
  ExpectCheckPasses(db_);
  EXPECT_EQ(RunCco({"export", kSession, "--db", db_}).exit_code, 2) << "nothing left to export";

  r = RunCco({"forget", "--undo", "--session", kSession, "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "is no longer forgotten")) << r.out;
  EXPECT_EQ(SessionRows(), 4);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM tool_executions WHERE tool_use_id = 'toolu_s'"), 1);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM usage_winners"), 1);
  ExpectCheckPasses(db_);
  r = RunCco({"export", kSession, "--db", db_});
  EXPECT_EQ(r.out, ReadFile(root_ + "/-w/" + std::string(kSession) + ".jsonl") +
                       ReadFile(root_ + "/-w/" + std::string(kSession) + "/subagents/agent-a1.jsonl"));
}

// A project's tombstone also keeps out its sessions to come; the undo says
// which transcripts are gone for good.
TEST_F(ForgetTest, ProjectTombstoneKeepsOutNewSessionsUntilUndone) {
  CommandResult r = RunCco({"forget", "--project", "-v", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, R"("messages":1)")) << r.out;
  Append(root_ + "/-v/new-session.jsonl", UserLine("new-session", "n-1", "a session after the forget"));
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid IN ('v-1', 'n-1')"), 0);
  ExpectCheckPasses(db_);
  fs::remove(root_ + "/-v/vee.jsonl");
  r = RunCco({"forget", "--undo", "--project", "-v", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "no longer exist, so their lines cannot come back")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "vee.jsonl")) << r.out;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid = 'n-1'"), 1);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid = 'v-1'"), 0);
  ExpectCheckPasses(db_);
}

// The undo takes the prefix the forget took (the session is no longer
// stored: it is found among the forgotten ones), brings back lines of the
// session that sat in another session's file, and names a transcript that
// was deleted and archived since as gone.
TEST_F(ForgetTest, UndoByPrefixBringsBackLinesInAnyFileAndNamesArchivedTranscripts) {
  // A line of the session inside another session's file.
  Append(root_ + "/-w/other.jsonl", UserLine(kSession, "p-9", "a line of the session in another file"));
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  ASSERT_EQ(SessionRows(), 4);
  CommandResult r = RunCco({"forget", "--session", "aaaa1111", "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(SessionRows(), 0);
  // The agent's transcript is deleted, and a rescan archives its row.
  fs::remove(root_ + "/-w/" + std::string(kSession) + "/subagents/agent-a1.jsonl");
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);

  r = RunCco({"forget", "--undo", "--session", "aaaa1111", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, R"("was_forgotten":true)")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "agent-a1.jsonl")) << "named as gone: " << r.out;
  EXPECT_EQ(SessionRows(), 3) << "the main transcript's two lines and the line in the other file";
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid = 'p-9'"), 1);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid = 'g-1'"), 0);
  ExpectCheckPasses(db_);

  // Nothing is forgotten any more under that prefix: an undo again names
  // the stored session, which was not forgotten.
  r = RunCco({"forget", "--undo", "--session", "aaaa1111", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, R"("was_forgotten":false)")) << r.out;
  EXPECT_EQ(RunCco({"forget", "--undo", "--session", "zzzz9999", "--db", db_}).exit_code, 2)
      << "a session neither stored nor forgotten is an error";
}

// A zstd dictionary holds verbatim pieces of the values it was trained on:
// a secret repeated in the lines of a session (a pasted key echoed by tool
// calls) ends up in the dictionaries trained while that session was the
// newest data. Forgetting the session replaces them (trained again on what
// remains) and re-encodes every row that used them: no byte of the secret
// stays, and everything else still reads back byte-exact.

TEST_F(ForgetTest, NoPieceOfTheSecretSurvivesInACompressionDictionary) {
  constexpr char kDictSecret[] = "ghp_k3yDICTsecretZZ9x7Qw2Lm";
  const std::string secret_session = "bbbb2222-0000-4000-8000-00000000000b";
  // Other sessions first (below the 4 MiB that trains a dictionary), then
  // the session that repeats the secret: it is the newest data when both
  // dictionaries are trained.
  std::string lines;
  for (int s = 0; s < 3; ++s) {
    const std::string session = absl::StrCat("cccc000", s, "-0000-4000-8000-000000000000");
    lines.clear();
    for (int i = 0; i < 1000; ++i) {
      lines += UserLine(session, absl::StrCat("o-", s, "-", i), Filler(s * 10000 + i, 1000));
    }
    Append(root_ + "/-w/" + session + ".jsonl", lines);
  }
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  ASSERT_EQ(QueryInt(db_, "SELECT count(*) FROM zstd_dictionaries"), 0) << "the dictionaries come with the secret";
  lines.clear();
  for (int i = 0; i < 2000; ++i) {
    lines += UserLine(secret_session, absl::StrCat("s-", i),
                      i % 2 == 0 ? absl::StrCat("export TOKEN=", kDictSecret, " ", Filler(i, 900))
                                 : Filler(90000 + i, 1000));
  }
  Append(root_ + "/-w/" + secret_session + ".jsonl", lines);
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  ASSERT_EQ(QueryInt(db_, "SELECT count(DISTINCT kind) FROM zstd_dictionaries"), 2);
  ASSERT_GT(QueryInt(db_, absl::StrCat("SELECT count(*) FROM zstd_dictionaries WHERE instr(dict, CAST('",
                                       kDictSecret, "' AS BLOB)) > 0")),
            0)
      << "the test would prove nothing: no dictionary holds the secret";
  const int64_t triggers = QueryInt(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'");

  CommandResult r = RunCco({"forget", "--session", secret_session, "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& f : {db_, db_ + "-wal", db_ + "-shm"}) {
    EXPECT_FALSE(FileHolds(f, kDictSecret)) << f << " still holds the secret";
    EXPECT_FALSE(FileHolds(f, "DICTsecret")) << f << " still holds part of it";
  }
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM zstd_dictionaries WHERE kind = 'line'"), 1)
      << "trained again on the lines that remain";
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM zstd_dictionaries WHERE kind = 'text'"), 1);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"), triggers);
  ExpectCheckPasses(db_);
  // Everything else reads back as it was, and is still found and indexed.
  for (int s = 0; s < 3; ++s) {
    const std::string session = absl::StrCat("cccc000", s, "-0000-4000-8000-000000000000");
    r = RunCco({"export", session, "--db", db_});
    EXPECT_EQ(r.out, ReadFile(root_ + "/-w/" + session + ".jsonl")) << session;
  }
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'ordinary'"), 1);
  Append(root_ + "/-w/other.jsonl", UserLine("other", "o-2", "an extraordinary prompt after the forget"));
  ASSERT_EQ(RunCco({"rescan", "--root", root_, "--db", db_}).exit_code, 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'extraordinary'"), 1);
  ExpectCheckPasses(db_);
}

TEST_F(ForgetTest, RefusedWhileAWriterRuns) {
  std::unique_ptr<ChildProcess> daemon = StartWatch();
  CommandResult r = RunCco({"forget", "--session", kSession, "--db", db_});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "stop it first")) << r.err;
  StopAndExpectClean(*daemon);
  EXPECT_EQ(SessionRows(), 3);
  EXPECT_EQ(RunCco({"forget", "--db", db_}).exit_code, 2) << "--session or --project";
  EXPECT_EQ(RunCco({"forget", "--session", "zzzz9999", "--db", db_}).exit_code, 2) << "unknown session";
}

}  // namespace
}  // namespace cco

// Search: every message's kind (stored by the writer, backfilled for older
// rows), the trigram index for scripts written without spaces, the views
// for people, and `cco search`.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ingest/kind_backfill.h"
#include "src/message_kind.h"
#include "src/migrate.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

// ---------------------------------------------------------------------------
// Kinds as a pure rule.

TEST(MessageKindTest, EachShapeHasItsKind) {
  MessageShape typed{.type = "user", .string_content = true, .text_start = "fix the login redirect"};
  EXPECT_EQ(MessageKindOf(typed), "prompt");
  MessageShape slash{.type = "user", .string_content = true, .text_start = "<command-name>/clear</command-name>"};
  EXPECT_EQ(MessageKindOf(slash), "prompt") << "a slash command is typed";
  MessageShape image{.type = "user", .text_blocks = 2, .text_start = "[image]"};
  EXPECT_EQ(MessageKindOf(image), "prompt");
  MessageShape agent{.type = "user", .is_sidechain = true, .string_content = true, .text_start = "Warmup"};
  EXPECT_EQ(MessageKindOf(agent), "agent-prompt");
  MessageShape result{.type = "user", .tool_result_blocks = 1, .text_start = "ok"};
  EXPECT_EQ(MessageKindOf(result), "tool-result");
  MessageShape meta{.type = "user", .is_meta = true, .string_content = true, .text_start = "Caveat: …"};
  EXPECT_EQ(MessageKindOf(meta), "meta");
  MessageShape stdout_line{.type = "user", .string_content = true, .text_start = "<local-command-stdout>x"};
  EXPECT_EQ(MessageKindOf(stdout_line), "meta");
  MessageShape summary{.type = "user", .is_compact_summary = true, .string_content = true, .text_start = "This session"};
  EXPECT_EQ(MessageKindOf(summary), "compaction-summary");
  MessageShape text{.type = "assistant", .text_blocks = 1, .text_start = "x"};
  EXPECT_EQ(MessageKindOf(text), "response");
  MessageShape thinking{.type = "assistant", .thinking_blocks = 1, .text_start = "x"};
  EXPECT_EQ(MessageKindOf(thinking), "thinking");
  MessageShape thinking_and_text{.type = "assistant", .text_blocks = 1, .thinking_blocks = 1, .text_start = "x"};
  EXPECT_EQ(MessageKindOf(thinking_and_text), "response");
  MessageShape use{.type = "assistant", .text_blocks = 1, .tool_use_blocks = 1, .text_start = "x"};
  EXPECT_EQ(MessageKindOf(use), "tool-use");
  EXPECT_EQ(MessageKindOf(MessageShape{.type = "system", .text_start = ""}), "system");
  for (std::string_view k : kMessageKinds) EXPECT_TRUE(IsMessageKind(k)) << k;
  EXPECT_FALSE(IsMessageKind("tool_use"));
}

TEST(MessageKindTest, ScriptsWithoutSpacesAreRecognised) {
  EXPECT_TRUE(HasUnspacedScript("第二步重新运行build-cache后，悬空引用已经清零"));
  EXPECT_TRUE(HasUnspacedScript("run サンドボックス now"));
  EXPECT_TRUE(HasUnspacedScript("テスト"));
  EXPECT_TRUE(HasUnspacedScript("한국어 텍스트"));
  EXPECT_TRUE(HasUnspacedScript("ภาษาไทย"));
  EXPECT_TRUE(HasUnspacedScript("ｻﾝﾄﾞﾎﾞｯｸｽ"));  // half-width Katakana
  EXPECT_FALSE(HasUnspacedScript("naïve café Привет мир γειά"));
  EXPECT_FALSE(HasUnspacedScript("emoji 🎉 and arrows →"));
  EXPECT_FALSE(HasUnspacedScript(""));
  EXPECT_FALSE(HasUnspacedScript(std::string("\xE6\x82", 2)));  // a cut character
  EXPECT_FALSE(HasUnspacedScript("\xff\xfe\xE6"));
}

// ---------------------------------------------------------------------------
// Lines of every kind, written as Claude Code writes them.

std::string Envelope(const std::string& uuid, const std::string& type, const std::string& rest,
                     const std::string& time = "2026-01-02T03:04:05.678Z", bool sidechain = false) {
  return absl::StrFormat(
      R"({"parentUuid":null,"isSidechain":%s,"userType":"external","cwd":"/home/t/webapp","sessionId":"s-1",)"
      R"("version":"2.1.1","type":"%s",%s,"uuid":"%s","timestamp":"%s"})"
      "\n",
      sidechain ? "true" : "false", type, rest, uuid, time);
}

std::string Prompt(const std::string& uuid, const std::string& text, const std::string& time) {
  return Envelope(uuid, "user", absl::StrFormat(R"("message":{"role":"user","content":"%s"})", text), time);
}

std::string Assistant(const std::string& uuid, const std::string& blocks, const std::string& time) {
  return Envelope(uuid, "assistant",
                  absl::StrFormat(R"("message":{"model":"claude-opus-4-6","id":"msg_%s","type":"message",)"
                                  R"("role":"assistant","content":[%s],"stop_reason":"end_turn",)"
                                  R"("usage":{"input_tokens":10,"output_tokens":5}},"requestId":"req_%s")",
                                  uuid, blocks, uuid),
                  time);
}

// One line of each kind (uuid = its kind).
std::string EveryKind() {
  return Prompt("prompt", "fix the login redirect in tail_reader.cc", "2026-01-02T03:04:05.678Z") +
         Envelope("agent-prompt", "user", R"("message":{"role":"user","content":"Warmup"})",
                  "2026-01-02T03:04:06.000Z", /*sidechain=*/true) +
         Assistant("thinking", R"({"type":"thinking","thinking":"consider the redirect","signature":"x"})",
                   "2026-01-02T03:04:07.000Z") +
         Assistant("tool-use", R"({"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"make test"}})",
                   "2026-01-02T03:04:08.000Z") +
         Envelope("tool-result", "user",
                  R"("message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"error: ERR_X77 in src/x.cc"}]})",
                  "2026-01-02T03:04:09.000Z") +
         Assistant("response", R"({"type":"text","text":"The redirect is fixed."})", "2026-01-02T03:04:10.000Z") +
         Envelope("meta", "user", R"("isMeta":true,"message":{"role":"user","content":"Caveat: The messages below were generated by the user"})",
                  "2026-01-02T03:04:11.000Z") +
         Envelope("compaction-summary", "user",
                  R"("isCompactSummary":true,"message":{"role":"user","content":"This session is being continued from a previous conversation"})",
                  "2026-01-02T03:04:12.000Z") +
         Envelope("system", "system", R"("subtype":"turn_duration","durationMs":5,"content":"")",
                  "2026-01-02T03:04:13.000Z");
}

TEST(MessageKindTest, TheWriterStoresEachMessagesKind) {
  TempDir dir;
  WriteFile(dir / "projects/-home-t-webapp/s-1.jsonl", EveryKind());
  const std::string db = dir / "cco.db";
  CommandResult r = RunCco({"replay", dir / "projects", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryRows(db, "SELECT count(*) FROM messages m LEFT JOIN message_kinds k ON k.id = m.kind"
                          " WHERE k.name IS NULL OR k.name != m.uuid"),
            "0")
      << QueryRows(db, "SELECT uuid, kind FROM messages");
  // The stored codes are named by message_kinds in kMessageKinds' order.
  std::vector<std::string> names;
  for (std::string_view k : kMessageKinds) names.emplace_back(k);
  EXPECT_EQ(QueryRows(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM message_kinds ORDER BY id)"),
            absl::StrJoin(names, " "));
  EXPECT_EQ(MessageKindCode("prompt"), 1);
  EXPECT_EQ(MessageKindCode("system"), 9);
  EXPECT_EQ(MessageKindCode("nonsense"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages"), 9);
  // Indexes serve the prompts by time and the backfill's search for rows
  // without a kind.
  EXPECT_NE(QueryRows(db, "EXPLAIN QUERY PLAN SELECT time_utc FROM prompts ORDER BY timestamp_ms DESC LIMIT 5")
                .find("messages_prompts"),
            std::string::npos);
  EXPECT_NE(QueryRows(db, "EXPLAIN QUERY PLAN SELECT id FROM messages WHERE kind IS NULL ORDER BY id LIMIT 5")
                .find("messages_unclassified"),
            std::string::npos);
}

// The corpus: every message has a kind, and the two kinds that follow from
// blocks agree with the stored lines read independently in SQL.
TEST(MessageKindTest, EveryCorpusMessageHasAKindThatAgreesWithItsLine) {
  if (CorpusDir().empty()) GTEST_SKIP() << "shared corpus not found; skipping";
  TempDir dir;
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", CorpusDir() + "/projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE kind IS NULL"), 0);
  auto kind = [&](const std::string& name) {
    return QueryInt(db, absl::StrCat("SELECT count(*) FROM messages m JOIN message_kinds k ON k.id = m.kind"
                                     " WHERE k.name = '", name, "'"));
  };
  auto with_block = [&](const std::string& type, const std::string& block) {
    return QueryInt(db, absl::StrCat("SELECT count(*) FROM messages WHERE type = '", type,
                                     "' AND json_type(cco_raw(raw), '$.message.content') = 'array' AND EXISTS ("
                                     "SELECT 1 FROM json_each(cco_raw(raw), '$.message.content')"
                                     " WHERE json_extract(value, '$.type') = '", block, "')"));
  };
  EXPECT_EQ(kind("tool-result"), with_block("user", "tool_result"));
  EXPECT_EQ(kind("tool-use"), with_block("assistant", "tool_use") + with_block("assistant", "server_tool_use"));
  EXPECT_EQ(kind("system"), QueryInt(db, "SELECT count(*) FROM messages WHERE type = 'system'"));
  EXPECT_EQ(kind("compaction-summary"),
            QueryInt(db, "SELECT count(*) FROM messages WHERE json_extract(cco_raw(raw), '$.isCompactSummary')"));
  const int64_t prompts = kind("prompt");
  EXPECT_GT(prompts, 100);
  EXPECT_LT(prompts, 300) << QueryRows(db, "SELECT kind, count(*) FROM messages GROUP BY kind");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM prompts WHERE is_sidechain"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM prompts"), prompts);
}

// Rows stored before kinds existed are classified in resumable batches: an
// interrupted backfill keeps what it committed, the next one finishes, and
// the result equals what the writer stores.
TEST(MessageKindTest, OlderRowsAreBackfilledInResumableBatches) {
  TempDir dir;
  WriteFile(dir / "projects/-home-t-webapp/s-1.jsonl",
            EveryKind() + Prompt("cjk", "第二步重新运行build-cache后，悬空引用已经清零", "2026-01-02T03:05:00.000Z"));
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  const std::string stored = QueryRows(db, "SELECT uuid, kind, trigram FROM messages ORDER BY id");
  {
    absl::StatusOr<Db> conn = Db::Open(db, Db::Mode::kReadWrite);
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE(conn->Exec("UPDATE messages SET kind = NULL, trigram = 0").ok());
    ASSERT_EQ(QueryInt(db, "SELECT count(*) FROM messages_trigram WHERE messages_trigram MATCH '\"悬空引\"'"), 0);
    absl::StatusOr<KindBackfillReport> first = BackfillMessageKinds(*conn, /*max_rows=*/4, /*batch=*/3);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->classified, 4);
    EXPECT_EQ(first->batches, 2);
  }
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE kind IS NULL"), 6) << "the first batches committed";
  // The next writing command finishes it.
  CommandResult r = RunCco({"rescan", "--root", dir / "projects", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(QueryRows(db, "SELECT uuid, kind, trigram FROM messages ORDER BY id"), stored);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages_trigram WHERE messages_trigram MATCH '\"悬空引\"'"), 1);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

// ---------------------------------------------------------------------------
// The trigram index holds exactly the messages in scripts without spaces.

TEST(TrigramIndexTest, HoldsOnlyMessagesInScriptsWithoutSpaces) {
  TempDir dir;
  WriteFile(dir / "projects/-home-t-webapp/s-1.jsonl",
            Prompt("zh", "第二步重新运行build-cache后，悬空引用已经清零", "2026-01-02T03:05:00.000Z") +
                Prompt("ja", "サンドボックスでテストを実行して", "2026-01-02T03:05:01.000Z") +
                Prompt("en", "run the sandbox tests and build the cache", "2026-01-02T03:05:02.000Z"));
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryRows(db, "SELECT uuid FROM messages WHERE trigram = 1 ORDER BY uuid"), "ja\nzh");
  auto trigram = [&](const std::string& match) {
    return QueryRows(db, absl::StrCat("SELECT m.uuid FROM messages_trigram t JOIN messages m ON m.id = t.rowid"
                                      " WHERE messages_trigram MATCH '", match, "' ORDER BY m.uuid"));
  };
  EXPECT_EQ(trigram("\"サンドボックス\""), "ja");
  EXPECT_EQ(trigram("\"cache\""), "zh") << "the English message is only in the word index";
  EXPECT_EQ(trigram("\"悬空引\""), "zh");
  // The word index sees a run of Han as one token: what trigram is for.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"悬空\"'"), 0);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

// ---------------------------------------------------------------------------
// Views for people.

TEST(PeopleViewsTest, PromptsDailyUsageAndToolCallsReadAsTheyShould) {
  TempDir dir;
  WriteFile(dir / "projects/-home-t-webapp/s-1.jsonl", EveryKind());
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryRows(db, "SELECT time_utc, project, session_id, prompt FROM prompts"),
            "2026-01-02T03:04:05.678Z|/home/t/webapp|s-1|fix the login redirect in tail_reader.cc");
  EXPECT_EQ(QueryRows(db, "SELECT day_utc, project, model, api_calls, input_tokens, output_tokens FROM daily_usage"),
            "2026-01-02|/home/t/webapp|claude-opus-4-6|3|30|15");
  EXPECT_EQ(QueryRows(db, "SELECT tool_name, status, started_utc, duration_ms, project, session_id, use_uuid,"
                          " result_uuid FROM tool_calls"),
            "Bash|success|2026-01-02T03:04:08.000Z|1000|/home/t/webapp|s-1|tool-use|tool-result");
}


// Every example question of docs/schema.md's "Views for people" runs and
// answers what it asks, on the session it names.
TEST(PeopleViewsTest, EveryExampleQuestionInSchemaMdAnswersIt) {
  TempDir dir;
  const std::string session = "8e41f0b2-6c7d-4a19-b3e5-90a1b2c3d4e5";
  WriteFile(dir / absl::StrCat("projects/-home-alice-webapp/", session, ".jsonl"),
            absl::StrReplaceAll(EveryKind(), {{"\"sessionId\":\"s-1\"", absl::StrCat("\"sessionId\":\"", session, "\"")},
                                              {"/home/t/webapp", "/home/alice/webapp"}}));
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  const std::string doc = ReadFile(absl::StrCat(CCO_SOURCE_DIR, "/docs/schema.md"));
  const size_t begin = doc.find("## Views for people");
  ASSERT_NE(begin, std::string::npos);
  const std::string section = doc.substr(begin, doc.find("\n## ", begin + 1) - begin);
  std::vector<std::string> queries;
  for (size_t at = section.find("```sql\n"); at != std::string::npos; at = section.find("```sql\n", at)) {
    at += 7;
    const size_t end = section.find("```", at);
    queries.push_back(section.substr(at, end - at));
    at = end + 3;
  }
  const std::vector<std::string> expected = {
      "2026-01-02T03:04:05.678Z|fix the login redirect in tail_reader.cc",
      "2026-01-02|1",
      "2026-01-02|/home/alice/webapp|claude-opus-4-6|3|45",
      "Bash|success|1000|2026-01-02T03:04:08.000Z|{\"command\":\"make test\"}",
      "agent-prompt|1\ncompaction-summary|1\nmeta|1\nprompt|1\nresponse|1\nsystem|1\nthinking|1\ntool-result|1\n"
      "tool-use|1",
  };
  ASSERT_EQ(queries.size(), expected.size()) << section;
  for (size_t i = 0; i < queries.size(); ++i) EXPECT_EQ(QueryRows(db, queries[i]), expected[i]) << queries[i];
}

}  // namespace
}  // namespace cco::testing

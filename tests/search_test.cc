// Search: every message's kind (stored by the writer, backfilled for older
// rows), scripts written without spaces in the word index, the views for
// people, and `cco search`.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/time/time.h"
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
#include "src/reader.h"
#include "src/search.h"
#include "src/sqlite.h"
#include "src/status.h"
#include "src/text.h"
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

// The definitions, code point by code point from the start (NextCodePoint's
// decoding), against which the word-at-a-time scan is checked.
bool HasUnspacedScriptByCodePoint(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const int32_t cp = NextCodePoint(text, &i);
    if (cp >= 0 && IsUnspacedScriptCodePoint(static_cast<char32_t>(cp))) return true;
  }
  return false;
}

std::optional<std::string> SplitUnspacedScriptByCodePoint(std::string_view text) {
  // Every code point with its class (0 separator, 1 word, 2 those scripts),
  // then a split wherever one of two neighbours is of those scripts and
  // neither is a separator.
  std::vector<std::pair<std::string_view, int>> points;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const int32_t cp = NextCodePoint(text, &i);
    int cls = 1;
    if (cp >= 0 && cp < 0x80 && !absl::ascii_isalnum(static_cast<unsigned char>(cp))) cls = 0;
    if (cp >= 0 && IsUnspacedScriptCodePoint(static_cast<char32_t>(cp))) cls = 2;
    points.emplace_back(text.substr(start, i - start), cls);
  }
  std::string out;
  bool any = false;
  for (size_t k = 0; k < points.size(); ++k) {
    const int before = k == 0 ? 0 : points[k - 1].second, here = points[k].second;
    if (before != 0 && here != 0 && (before == 2 || here == 2)) {
      out.append(kWordSplit);
      any = true;
    }
    out.append(points[k].first);
  }
  if (!any) return std::nullopt;
  return out;
}

TEST(MessageKindTest, TheFastScanAgreesWithDecodingEveryCodePoint) {
  // Pieces that meet in every way: ASCII letters and separators, 2-, 3- and
  // 4-byte characters in and out of those scripts, cut and stray bytes.
  const std::vector<std::string> pieces = {
      "a", "Z", "7", " ", "-", "\n", "é", "Ж", "—", "…", "→", "中", "テ", "한", "ภ", "ｻ", "🎉", "𠀀",
      std::string("\xE6\x82", 2), std::string("\x82", 1), std::string("\xff", 1), std::string("\xC3", 1),
      std::string("\xED\xA0\x80", 3), std::string("\xF4\x90\x80\x80", 4), "build-cache", "01234567"};
  uint64_t state = 42;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>(state >> 33);
  };
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const size_t n = next() % 24;
    for (size_t k = 0; k < n; ++k) text += pieces[next() % pieces.size()];
    ASSERT_EQ(HasUnspacedScript(text), HasUnspacedScriptByCodePoint(text)) << absl::CEscape(text);
    ASSERT_EQ(SplitUnspacedScript(text), SplitUnspacedScriptByCodePoint(text)) << absl::CEscape(text);
  }
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
    // The word index follows the text, not the flag.
    ASSERT_EQ(QueryInt(db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"悬 空 引\"'"), 1);
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
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"悬 空 引\"'"), 1);
  EXPECT_EQ(RunCco({"check", "--db", db}).exit_code, 0);
}

// ---------------------------------------------------------------------------
// The word index holds each character of a script written without spaces as
// a word of its own, with its position; every other word as before.

TEST(UnspacedScriptTest, SplitSetsApartEachCharacterOfThoseScriptsOnly) {
  EXPECT_EQ(SplitUnspacedScript("plain ASCII text, ünïcödé too"), std::nullopt) << "nothing to split: as it is";
  const std::string z(kWordSplit);
  EXPECT_EQ(SplitUnspacedScript("build-cache后，悬空 ok"),
            absl::StrCat("build-cache", z, "后", z, "，", z, "悬", z, "空 ok"));
  EXPECT_EQ(SplitUnspacedScript("テスト"), absl::StrCat("テ", z, "ス", z, "ト"));
  EXPECT_EQ(SplitUnspacedScript("(中) 文"), std::nullopt) << "no split beside ASCII punctuation or spaces";
  EXPECT_EQ(SplitUnspacedScript("a\xff中"), absl::StrCat("a\xff", z, "中")) << "invalid bytes kept as they are";
}

TEST(UnspacedScriptTest, EachCharacterIsAWordOfTheIndex) {
  TempDir dir;
  WriteFile(dir / "projects/-home-t-webapp/s-1.jsonl",
            Prompt("zh", "第二步重新运行build-cache后，悬空引用已经清零", "2026-01-02T03:05:00.000Z") +
                Prompt("ja", "サンドボックスでテストを実行して", "2026-01-02T03:05:01.000Z") +
                Prompt("en", "run the sandbox tests and build the cache", "2026-01-02T03:05:02.000Z"));
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_EQ(QueryRows(db, "SELECT uuid FROM messages WHERE trigram = 1 ORDER BY uuid"), "ja\nzh");
  auto words = [&](const std::string& match) {
    return QueryRows(db, absl::StrCat("SELECT m.uuid FROM messages_fts f JOIN messages m ON m.id = f.rowid"
                                      " WHERE messages_fts MATCH '", match, "' ORDER BY m.uuid"));
  };
  EXPECT_EQ(words("\"サ ン ド\""), "ja") << "a phrase of characters";
  EXPECT_EQ(words("\"ン サ\""), "") << "in their order";
  EXPECT_EQ(words("\"悬 空 引\""), "zh");
  EXPECT_EQ(words("cache"), "en\nzh") << "a Latin word written against Han is a word";
  EXPECT_EQ(words("cac"), "") << "and a part of a word is not one, in either message";
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'messages_trigram%'"), 0);
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

// ---------------------------------------------------------------------------
// The query translation, as a function.

TEST(TranslateQueryTest, PlainWordsAreQuotedAndAnded) {
  absl::StatusOr<TranslatedQuery> q = TranslateQuery("tail_reader.cc  --flag-x \"quoted", QuerySyntax::kWords);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->match, "\"tail_reader.cc\" \"--flag-x\" \"\"\"quoted\"");
  // Characters of scripts without spaces split as the index has them: each
  // word a phrase of its characters.
  const std::string z(kWordSplit);
  q = TranslateQuery("悬空 サンドボックス Go", QuerySyntax::kWords);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->match, absl::StrCat("\"悬", z, "空\" \"サ", z, "ン", z, "ド", z, "ボ", z, "ッ", z, "ク", z, "ス\" \"Go\""));
  q = TranslateQuery("fix * → bug", QuerySyntax::kWords);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->match, "\"fix\" \"bug\"") << "words without letters or digits are left out";
  q = TranslateQuery("NEAR(a b) OR c*", QuerySyntax::kFts5);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->match, "NEAR(a b) OR c*");
  q = TranslateQuery("NEAR(悬空 x) OR 中*", QuerySyntax::kFts5);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->match, absl::StrCat("NEAR(悬", z, "空 x) OR 中*")) << "FTS5 syntax, split the same way";
}

TEST(TranslateQueryTest, QueriesThatCannotBeSearchedAreRefusedWithAReason) {
  for (const std::string& bad : {std::string(""), std::string("   "), std::string("*"), std::string("-- ::"),
                                 std::string("a\0b", 3), std::string("\xff\xfe"), std::string("ab\xC3"),
                                 std::string(5000, 'x'), absl::StrJoin(std::vector<std::string>(65, "w"), " ")}) {
    absl::StatusOr<TranslatedQuery> q = TranslateQuery(bad, QuerySyntax::kWords);
    EXPECT_TRUE(absl::IsInvalidArgument(q.status())) << "'" << bad << "': " << q.status();
  }
  EXPECT_FALSE(TranslateQuery("", QuerySyntax::kFts5).ok());
  EXPECT_FALSE(TranslateQuery(std::string("a\0", 2), QuerySyntax::kFts5).ok());
}

// The full-text index the translation is for (messages_fts of the real
// schema, migrated into an in-memory database), and whether FTS5 parses
// `match` on it.
class Fts5Syntax {
 public:
  Fts5Syntax() {
    absl::StatusOr<Db> db = Db::Open(":memory:", Db::Mode::kReadWrite);
    EXPECT_TRUE(db.ok()) << db.status();
    db_.emplace(*std::move(db));
    absl::Status migrated = Migrate(*db_);
    EXPECT_TRUE(migrated.ok()) << migrated;
  }
  absl::Status Parses(const std::string& table, const std::string& match) {
    ASSIGN_OR_RETURN(Stmt s, db_->Prepare(absl::StrCat("SELECT count(*) FROM ", table, " WHERE ", table, " MATCH ?1")));
    return s.Bind(1, match).ForEachRow([](const Stmt&) { return true; });
  }

 private:
  std::optional<Db> db_;
};

// Hostile input in plain mode: every query is refused with a reason or
// becomes a query FTS5 parses (never a syntax error, never
// an operator or a column filter the person did not ask for).
TEST(TranslateQueryTest, PlainWordsAlwaysBecomeValidFts5) {
  Fts5Syntax fts;
  const std::vector<std::string> hostile = {
      "\"unbalanced", "unbalanced\"", "\"\"\"", "NEAR(", "NEAR(a b", "a OR", "OR", "AND b", "NOT", "a NOT b",
      "content: secret", "c : x", "{c}: x", "-c: x", "^start", "a + b", "prefix*", "* x", "x *", "(a", "a)",
      "((()))x", "'; DROP TABLE messages; --", "a\tb\nc", "x\x01y", "\xE6\x82\xAC\xE7\xA9\xBA", "ab",
      "「悬空」", "naïve café", "🎉 party", "\xCC\x81", "\xCC\x81 a", std::string(4000, 'a'),
      absl::StrJoin(std::vector<std::string>(64, "\"q"), " ")};
  for (const std::string& query : hostile) {
    absl::StatusOr<TranslatedQuery> q = TranslateQuery(query, QuerySyntax::kWords);
    if (!q.ok()) {
      EXPECT_TRUE(absl::IsInvalidArgument(q.status())) << query << ": " << q.status();
      continue;
    }
    EXPECT_TRUE(fts.Parses("messages_fts", q->match).ok()) << query << " -> " << q->match;
  }
  // Operators and column filters are words: quoted, never syntax.
  EXPECT_EQ(TranslateQuery("a OR b", QuerySyntax::kWords)->match, "\"a\" \"OR\" \"b\"");
  EXPECT_EQ(TranslateQuery("content: secret", QuerySyntax::kWords)->match, "\"content:\" \"secret\"");
  EXPECT_EQ(TranslateQuery("NEAR(a b)", QuerySyntax::kWords)->match, "\"NEAR(a\" \"b)\"");
  EXPECT_EQ(TranslateQuery("say \"hi\"", QuerySyntax::kWords)->match, "\"say\" \"\"\"hi\"\"\"");
  // In --fts mode the same texts are FTS5's to judge (the search says so).
  EXPECT_FALSE(fts.Parses("messages_fts", TranslateQuery("\"unbalanced", QuerySyntax::kFts5)->match).ok());
}

TEST(TranslateQueryTest, RefusalsSayWhy) {
  auto message = [](const std::string& query) {
    return std::string(TranslateQuery(query, QuerySyntax::kWords).status().message());
  };
  EXPECT_EQ(message(std::string("a\0b", 3)), "the query holds a NUL byte");
  EXPECT_EQ(message("bad\xff"), "the query is not valid UTF-8");
  EXPECT_EQ(message(std::string(10 * 1024, 'x')), "the query is 10240 bytes long; at most 4096");
  EXPECT_EQ(message("*"), "nothing to search for in '*': give a word with letters or digits (--fts for FTS5 syntax)");
  EXPECT_EQ(message(" \t"), "the query is empty");
  EXPECT_EQ(message(absl::StrJoin(std::vector<std::string>(65, "w"), " ")), "the query has more than 64 words");
}

// ---------------------------------------------------------------------------
// `cco search` on a tree with tokens planted in every form.

class SearchCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string other =
        Envelope("flag", "user", R"("message":{"role":"user","content":"why does --flag-x break the build"})",
                 "2026-02-10T08:00:00.000Z") +
        Envelope("zh", "user", R"("message":{"role":"user","content":"第二步重新运行build-cache后，悬空引用已经清零"})",
                 "2026-02-11T08:00:00.000Z") +
        Envelope("ja", "user", R"("message":{"role":"user","content":"サンドボックスでテストを実行して"})",
                 "2026-02-12T08:00:00.000Z") +
        Envelope("late", "user", R"("message":{"role":"user","content":"the login page again"})",
                 "2026-03-01T08:00:00.000Z") +
        Envelope("compact", "system", R"("subtype":"compact_boundary","content":"Conversation compacted")",
                 "2026-03-01T09:00:00.000Z");
    WriteFile(*dir_ / "projects/-home-t-webapp/s-1.jsonl", EveryKind());
    WriteFile(*dir_ / "projects/-home-t-other/s-2.jsonl",
              absl::StrReplaceAll(other, {{"\"sessionId\":\"s-1\"", "\"sessionId\":\"s-2\""},
                                          {"/home/t/webapp", "/home/t/other"}}));
    db_ = new std::string(*dir_ / "cco.db");
    CommandResult r = RunCco({"replay", *dir_ / "projects", "--db", *db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    delete dir_;
  }

  // `cco search --json ARGS…`: the uuids found, best first, joined by ' '.
  static std::string Uuids(std::vector<std::string> args, int* total = nullptr) {
    args.insert(args.begin(), {"search", "--db", *db_, "--json"});
    CommandResult r = RunCco(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> uuids;
    for (size_t at = r.out.find("\"uuid\":\""); at != std::string::npos; at = r.out.find("\"uuid\":\"", at)) {
      at += 8;
      uuids.push_back(r.out.substr(at, r.out.find('"', at) - at));
    }
    if (total != nullptr) *total = static_cast<int>(JsonInt(r.out, "total"));
    return absl::StrJoin(uuids, " ");
  }
  static std::string Sorted(std::string uuids) {
    std::vector<std::string> v = absl::StrSplit(uuids, ' ', absl::SkipEmpty());
    std::sort(v.begin(), v.end());
    return absl::StrJoin(v, " ");
  }

  static TempDir* dir_;
  static std::string* db_;
};
TempDir* SearchCommandTest::dir_ = nullptr;
std::string* SearchCommandTest::db_ = nullptr;

TEST_F(SearchCommandTest, CodeFormsAreFoundAsTyped) {
  EXPECT_EQ(Uuids({"tail_reader.cc"}), "prompt");
  EXPECT_EQ(Uuids({"src/x.cc"}), "tool-result");
  EXPECT_EQ(Uuids({"--", "--flag-x"}), "flag") << "after --, a word that starts with - is a word";
  EXPECT_EQ(Uuids({"ERR_X77"}), "tool-result");
  EXPECT_EQ(Uuids({"error: x"}), "tool-result") << "one argument with a space";
  EXPECT_EQ(Uuids({"error:", "x"}), "tool-result") << "several arguments";
  EXPECT_EQ(Uuids({"reader"}), "prompt") << "a part of an identifier is a word";
  EXPECT_EQ(Uuids({"LOGIN", "Redirect"}), "prompt") << "case ignored, every word required";
}

TEST_F(SearchCommandTest, WordsInScriptsWithoutSpacesAreFound) {
  EXPECT_EQ(Uuids({"悬空"}), "zh") << "two characters: a phrase of two";
  EXPECT_EQ(Uuids({"空"}), "zh") << "one character";
  EXPECT_EQ(Uuids({"サンドボックス"}), "ja");
  EXPECT_EQ(Uuids({"テスト"}), "ja");
  EXPECT_EQ(Uuids({"cache"}), "zh") << "a Latin word inside Chinese text";
  EXPECT_EQ(Uuids({"BUILD-CACHE", "悬空"}), "zh");
  EXPECT_EQ(Uuids({"悬空", "サンドボックス"}), "") << "every word required";
  EXPECT_EQ(Sorted(Uuids({"build"})), "flag zh") << "a Latin word written against Han is a word";
  EXPECT_EQ(Uuids({"--fts", "悬空*"}), "zh") << "FTS5 syntax on those characters";
}

// A word written in those scripts is found as the phrase of its characters;
// a Latin word beside them as a word, as in any other message, never as a
// part of one; the snippet marks the match without the splits.
TEST(UnspacedScriptSearchTest, CharactersAsPhrasesLatinAsWords) {
  TempDir dir;
  const std::string line = absl::StrCat(
      R"({"type":"user","uuid":"u-1","sessionId":"s-1","timestamp":"2026-03-04T10:00:00.000Z","cwd":"/w",)",
      R"("message":{"role":"user","content":"第一步 abcdXXbcde 完成了"}})", "\n");
  WriteFile(dir / "projects/-w/s-1.jsonl", line);
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  ASSERT_EQ(QueryInt(db, "SELECT trigram FROM messages"), 1);
  auto found = [&](const std::string& word) {
    CommandResult r = RunCco({"search", "--db", db, "--json", word});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return JsonInt(r.out, "total");
  };
  EXPECT_EQ(found("abcdxxbcde"), 1) << "a word, ASCII case folded";
  EXPECT_EQ(found("bcde"), 0) << "a part of a word is not a word";
  EXPECT_EQ(found("一步"), 1);
  EXPECT_EQ(found("步一"), 0) << "the characters in their order";
  EXPECT_EQ(found("第 完成"), 1) << "each word somewhere";
  EXPECT_EQ(found("完成了"), 1);
  CommandResult r = RunCco({"search", "--db", db, "一步"}, {"NO_COLOR=1"});
  EXPECT_NE(r.out.find("第[一步] abcdXXbcde 完成了"), std::string::npos) << r.out;
}

// Prompts u0, u1, … with these texts, each at 2026-01-01 plus its number of
// seconds, in one session, replayed into `dir`/cco.db; a reader on it.
std::unique_ptr<SqliteReader> ReplayPrompts(const TempDir& dir, const std::vector<std::pair<std::string, int>>& prompts) {
  std::string lines;
  const absl::Time start = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  for (size_t i = 0; i < prompts.size(); ++i) {
    lines += Prompt(absl::StrCat("u", i), prompts[i].first,
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", start + absl::Seconds(prompts[i].second),
                                     absl::UTCTimeZone()));
  }
  WriteFile(dir / "projects/-w/s-1.jsonl", lines);
  const std::string db = dir / "cco.db";
  CommandResult r = RunCco({"replay", dir / "projects", "--db", db});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(db);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? *std::move(reader) : nullptr;
}

// Without filters the page comes from the index alone ("index": FTS5 ranks;
// "time": the time index walked, the word index asked per message); with
// one, from the ordered join of every match. Both give the same page: the
// same messages in the same order, the same total and ranks. A word whose
// matches are all old makes the walk give up and the join answer.
TEST(SearchPlanTest, EveryWayToAPageGivesTheSamePage) {
  TempDir dir;
  std::vector<std::pair<std::string, int>> prompts;
  for (int i = 0; i < 600; ++i) {
    // Ids and times in different orders: every 5th line is written late.
    prompts.emplace_back(absl::StrCat("common word", i % 7, i % 3 == 0 ? " common again" : "",
                                      i < 300 && i % 5 != 0 ? " oldword" : ""),
                         i % 5 == 0 ? 600 + i : i);
  }
  const std::unique_ptr<SqliteReader> reader = ReplayPrompts(dir, prompts);
  ASSERT_NE(reader, nullptr);
  auto search = [&](const std::string& query, SearchOrder order, int offset, bool filtered) {
    SearchRequest request;
    request.query = query;
    request.order = order;
    request.offset = offset;
    if (filtered) request.since_ms = 0;  // a filter that keeps every match
    absl::StatusOr<SearchResult> result = reader->Search(request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : SearchResult{};
  };
  auto same = [](const SearchResult& a, const SearchResult& b) {
    EXPECT_EQ(a.total, b.total);
    ASSERT_EQ(a.hits.size(), b.hits.size());
    for (size_t i = 0; i < a.hits.size(); ++i) {
      EXPECT_EQ(a.hits[i].uuid, b.hits[i].uuid) << i;
      EXPECT_DOUBLE_EQ(a.hits[i].rank, b.hits[i].rank) << i;
      EXPECT_EQ(a.hits[i].snippet, b.hits[i].snippet) << i;
    }
  };
  for (int offset : {0, 40, 590}) {
    SearchResult walked = search("common", SearchOrder::kNewest, offset, false);
    SearchResult joined = search("common", SearchOrder::kNewest, offset, true);
    // The walk when it is the cheaper way: the page is near the newest.
    EXPECT_EQ(walked.plan, offset < 500 ? "time" : "join") << offset;
    EXPECT_EQ(joined.plan, "join") << offset;
    EXPECT_EQ(walked.total, 600);
    ASSERT_FALSE(walked.hits.empty());
    EXPECT_NE(walked.hits.front().rank, 0.0) << "the hits' bm25, newest first too";
    same(walked, joined);
    SearchResult ranked = search("common", SearchOrder::kRank, offset, false);
    EXPECT_EQ(ranked.plan, "index");
    same(ranked, search("common", SearchOrder::kRank, offset, true));
  }
  EXPECT_EQ(search("common", SearchOrder::kNewest, 0, false).hits.front().uuid, "u595") << "written last";
  SearchResult old = search("oldword", SearchOrder::kNewest, 0, false);
  EXPECT_EQ(old.plan, "join") << "the 360 newest messages do not hold it: the walk gives up";
  same(old, search("oldword", SearchOrder::kNewest, 0, true));
  EXPECT_EQ(search("common", SearchOrder::kNewest, 600, false).plan, "none");
  // A word, one phrase of two words (as typed: common-again) and two words:
  // the index's ranking (for one phrase, bm25's factor per row with the IDF
  // applied once the matches are counted) equals bm25() in the join, bit
  // for bit.
  for (const char* query : {"word3", "common-again", "common again"}) {
    const SearchResult index = search(query, SearchOrder::kRank, 0, false);
    const SearchResult join = search(query, SearchOrder::kRank, 0, true);
    EXPECT_EQ(index.plan, "index") << query;
    EXPECT_EQ(join.plan, "join") << query;
    ASSERT_FALSE(index.hits.empty()) << query;
    same(index, join);
    for (size_t i = 0; i < index.hits.size() && i < join.hits.size(); ++i) {
      EXPECT_EQ(index.hits[i].rank, join.hits[i].rank) << query << " " << i;
    }
  }
}

// Best first over more matches than rank_window ranks the newest window
// only (SearchRequest::rank_window; kRankWindow by default): the page is the
// best of those, by the same bm25 as a ranking of all; a filter ranks all.
TEST(SearchPlanTest, BestFirstRanksTheNewestWindowWhenTheMatchesAreMore) {
  TempDir dir;
  std::vector<std::pair<std::string, int>> prompts;
  for (int i = 0; i < 50; ++i) {
    // The older half says the word often in few words (the best bm25); the
    // newer half once among many.
    prompts.emplace_back(i < 25 ? absl::StrCat("alpha alpha alpha n", i)
                                : absl::StrCat("alpha ", std::string(40 + i, 'x'), " one two three four n", i),
                         i);
  }
  const std::unique_ptr<SqliteReader> reader = ReplayPrompts(dir, prompts);
  ASSERT_NE(reader, nullptr);
  auto search = [&](int64_t window, bool filtered) {
    SearchRequest request;
    request.query = "alpha";
    request.limit = 5;
    request.rank_window = window;
    if (filtered) request.since_ms = 0;  // a filter that keeps every match
    absl::StatusOr<SearchResult> result = reader->Search(request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : SearchResult{};
  };
  const SearchResult all = search(kRankWindow, false);
  EXPECT_EQ(all.plan, "index");
  EXPECT_EQ(all.total, 50);
  EXPECT_EQ(all.ranked, 50);
  // Every match's rank, from a ranking of all of them.
  SearchRequest every;
  every.query = "alpha";
  every.limit = 50;
  absl::StatusOr<SearchResult> full = reader->Search(every);
  ASSERT_TRUE(full.ok() && full->hits.size() == 50);
  std::vector<std::pair<double, int64_t>> newest;  // (rank, id) of the 10 newest
  for (const SearchHit& h : full->hits) {
    if (h.message_id > static_cast<int64_t>(full->hits.size()) - 10) newest.emplace_back(h.rank, h.message_id);
  }
  ASSERT_EQ(newest.size(), 10u);
  std::sort(newest.begin(), newest.end());

  const SearchResult windowed = search(10, false);
  EXPECT_EQ(windowed.plan, "index");
  EXPECT_EQ(windowed.total, 50) << "the total counts every match";
  EXPECT_EQ(windowed.ranked, 10);
  ASSERT_EQ(windowed.hits.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(windowed.hits[i].message_id, newest[i].second) << i;
    EXPECT_DOUBLE_EQ(windowed.hits[i].rank, newest[i].first) << i;
  }
  EXPECT_NE(windowed.hits.front().uuid, all.hits.front().uuid) << "the window changes the page here";
  // A window as large as the matches, or a filter, ranks every match.
  const SearchResult exact = search(50, false);
  EXPECT_EQ(exact.ranked, 50);
  EXPECT_EQ(exact.hits.front().uuid, all.hits.front().uuid);
  const SearchResult filtered = search(10, true);
  EXPECT_EQ(filtered.plan, "join");
  EXPECT_EQ(filtered.ranked, 50);
  EXPECT_EQ(filtered.hits.front().uuid, all.hits.front().uuid);
}

// A split scan's two connections are used together only when their index
// versions are equal (SqliteReader::Search): a change to what the index
// holds moves the version, so equal versions search the same messages.
TEST(SearchPlanTest, TheIndexVersionMovesWhenMessagesAreAddedForgottenOrBroughtBack) {
  TempDir dir;
  const std::string file = dir / "projects/-w/s-1.jsonl";
  WriteFile(file, Prompt("u1", "first words", "2026-01-01T00:00:00Z"));
  const std::string db = dir / "cco.db";
  auto version = [&db]() {
    absl::StatusOr<Db> open = Db::Open(db, Db::Mode::kReadOnly);
    EXPECT_TRUE(open.ok()) << open.status();
    if (!open.ok()) return std::string();
    absl::StatusOr<std::string> v = IndexVersion(*open);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::string();
  };
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  const std::string one = version();
  ASSERT_FALSE(one.empty());
  EXPECT_EQ(version(), one) << "read twice, the same";
  AppendFile(file, Prompt("u2", "second words", "2026-01-01T00:01:00Z"));
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  const std::string two = version();
  EXPECT_NE(two, one) << "a message added";
  CommandResult r = RunCco({"forget", "--session", "s-1", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string three = version();
  EXPECT_NE(three, two) << "a session forgotten";
  r = RunCco({"forget", "--undo", "--session", "s-1", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", db}).exit_code, 0);
  EXPECT_NE(version(), three) << "brought back";
  EXPECT_NE(version(), two) << "brought back under new change numbers";
}

// A large index is scanned in two halves by id at once, the older on a second
// connection (SearchRequest::split_scan_from): the page, the ranks, the
// total and what was ranked are those of one whole scan, for one word, one
// phrase, several words, words held by one half only, a window smaller than
// either half's matches or than the newer half's only, and a later page.
TEST(SearchPlanTest, AScanSplitInTwoGivesThePageOfAWholeScan) {
  TempDir dir;
  std::vector<std::pair<std::string, int>> prompts;
  for (int i = 0; i < 400; ++i) {
    prompts.emplace_back(absl::StrCat("n", i, i % 3 == 0 ? " alpha" : "", i % 7 == 0 ? " beta gamma" : " gamma beta",
                                      i % 11 == 0 ? " alpha alpha" : "", i >= 380 ? " lateword" : "",
                                      i < 30 ? " earlyword" : ""),
                         i);
  }
  const std::unique_ptr<SqliteReader> reader = ReplayPrompts(dir, prompts);
  ASSERT_NE(reader, nullptr);
  auto search = [&](const std::string& query, QuerySyntax syntax, int64_t window, int offset, bool split) {
    SearchRequest request;
    request.query = query;
    request.syntax = syntax;
    request.rank_window = window;
    request.offset = offset;
    request.limit = 7;
    request.split_scan_from = split ? 1 : std::numeric_limits<int64_t>::max();
    absl::StatusOr<SearchResult> result = reader->Search(request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : SearchResult{};
  };
  int pages = 0;
  for (const auto& [query, syntax] : std::vector<std::pair<std::string, QuerySyntax>>{
           {"alpha", QuerySyntax::kWords},
           {"\"beta gamma\"", QuerySyntax::kFts5},
           {"alpha gamma", QuerySyntax::kWords},
           {"lateword", QuerySyntax::kWords},
           {"earlyword", QuerySyntax::kWords},
           {"alpha OR lateword", QuerySyntax::kFts5}}) {
    // 79: exactly the newer half's matches of "alpha" (ids above 200).
    for (int64_t window : {kRankWindow, int64_t{10}, int64_t{79}, int64_t{100}}) {
      for (int offset : {0, 5}) {
        const std::string what = absl::StrCat(query, " window ", window, " offset ", offset);
        const SearchResult whole = search(query, syntax, window, offset, false);
        const SearchResult split = search(query, syntax, window, offset, true);
        EXPECT_FALSE(whole.split) << what;
        EXPECT_TRUE(split.split) << what;
        EXPECT_EQ(split.plan, "index") << what;
        EXPECT_EQ(split.total, whole.total) << what;
        EXPECT_EQ(split.ranked, whole.ranked) << what;
        ASSERT_EQ(split.hits.size(), whole.hits.size()) << what;
        for (size_t i = 0; i < whole.hits.size(); ++i) {
          EXPECT_EQ(split.hits[i].uuid, whole.hits[i].uuid) << what << " " << i;
          EXPECT_EQ(split.hits[i].rank, whole.hits[i].rank) << what << " " << i;
          EXPECT_EQ(split.hits[i].snippet, whole.hits[i].snippet) << what << " " << i;
        }
        pages += whole.hits.empty() ? 0 : 1;
      }
    }
  }
  EXPECT_EQ(pages, 48) << "every query, window and offset has a page";
  EXPECT_EQ(search("alpha", QuerySyntax::kWords, 10, 0, true).total, 158) << "counted past the window";
  const SearchResult early = search("earlyword", QuerySyntax::kWords, 10, 0, true);
  EXPECT_EQ(early.total, 30) << "matches in the older half only";
  EXPECT_EQ(early.ranked, 10);
  EXPECT_EQ(early.hits.size(), 7u);
}

TEST_F(SearchCommandTest, Fts5SyntaxWithFts) {
  EXPECT_EQ(Uuids({"--fts", "\"login redirect\""}), "prompt");
  EXPECT_EQ(Sorted(Uuids({"--fts", "redir*"})), "prompt response thinking");
  EXPECT_EQ(Uuids({"--fts", "NEAR(login tail_reader, 5)"}), "prompt");
  EXPECT_EQ(Sorted(Uuids({"--fts", "login NOT redirect"})), "late");
  EXPECT_EQ(Sorted(Uuids({"--fts", "warmup OR caveat"})), "agent-prompt meta");
}

TEST_F(SearchCommandTest, EveryFilterNarrowsTheMatches) {
  EXPECT_EQ(Sorted(Uuids({"login"})), "late prompt");
  EXPECT_EQ(Uuids({"login", "--project", "/home/t/other"}), "late");
  EXPECT_EQ(Uuids({"login", "--project", "-home-t-webapp"}), "prompt");
  EXPECT_EQ(Uuids({"login", "--session", "s-2"}), "late");
  EXPECT_EQ(Sorted(Uuids({"build", "--session", "s-2", "--kind", "prompt"})), "flag zh");
  EXPECT_EQ(Uuids({"login", "--since", "2026-02-01", "--tz", "UTC"}), "late");
  EXPECT_EQ(Uuids({"login", "--until", "2026-02-28", "--tz", "UTC"}), "prompt");
  EXPECT_EQ(Uuids({"login", "--since", "20260102", "--until", "20260102", "--tz", "UTC"}), "prompt");
  EXPECT_EQ(Uuids({"login", "--since", "2026-03-02", "--tz", "UTC"}), "");
  EXPECT_EQ(Uuids({"build", "--newest"}), "zh flag");
  int total = 0;
  EXPECT_EQ(Uuids({"build", "--newest", "--limit", "1"}, &total), "zh");
  EXPECT_EQ(total, 2) << "total counts every match";
  EXPECT_EQ(Uuids({"redirect", "--kind", "thinking,response"}), Uuids({"redirect", "--kind", "response", "--kind",
                                                                        "thinking"}));
}

// --offset pages through the matches: each page the next part of the same
// order, the total every match; past the last one a page says so.
TEST_F(SearchCommandTest, OffsetPagesThroughTheSameOrder) {
  int total = 0;
  const std::vector<std::string> all = absl::StrSplit(Uuids({"redirect", "--newest"}, &total), ' ');
  ASSERT_EQ(all.size(), 3u);
  ASSERT_EQ(total, 3);
  std::vector<std::string> paged;
  for (int offset = 0; offset < 3; ++offset) {
    int page_total = 0;
    paged.push_back(Uuids({"redirect", "--newest", "--limit", "1", "--offset", absl::StrCat(offset)}, &page_total));
    EXPECT_EQ(page_total, 3) << "offset " << offset;
  }
  EXPECT_EQ(paged, all);
  EXPECT_EQ(Uuids({"redirect", "--offset", "3"}, &total), "");
  EXPECT_EQ(total, 3) << "past the last match the total is still every match";
  CommandResult r = RunCco({"search", "--db", *db_, "--offset", "3", "redirect"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("3 messages match redirect, none past --offset 3"), std::string::npos) << r.out;
  r = RunCco({"search", "--db", *db_, "--tz", "UTC", "--offset", "1", "--limit", "1", "redirect"}, {"NO_COLOR=1"});
  EXPECT_NE(r.out.find("2-2 of 3 messages matching redirect"), std::string::npos) << r.out;
  for (const std::string bad : {"-1", "100001", "x"}) {
    r = RunCco({"search", "--db", *db_, "--offset", bad, "redirect"});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find(absl::StrCat("--offset '", bad, "' is not a number from 0 to 100000")), std::string::npos)
        << r.err;
  }
}

TEST_F(SearchCommandTest, EveryKindIsAFilter) {
  // A word only the message of each kind holds (its uuid is its kind).
  // (EveryKind's system line has no text: a compact boundary of s-2 has.)
  const std::vector<std::pair<std::string, std::string>> words = {
      {"prompt", "tail_reader"},    {"agent-prompt", "warmup"},  {"thinking", "consider"},
      {"tool-use", "make test"},    {"tool-result", "ERR_X77"},  {"response", "fixed"},
      {"meta", "caveat"},           {"compaction-summary", "continued"}, {"system", "compacted"}};
  ASSERT_EQ(words.size(), std::size(kMessageKinds));
  for (const auto& [kind, word] : words) {
    EXPECT_EQ(Uuids({word, "--kind", kind}), kind == "system" ? "compact" : kind) << word;
    const std::string other = kind == "prompt" ? "response" : "prompt";
    EXPECT_EQ(Uuids({word, "--kind", other}), "") << word << " is not a " << other;
  }
}

TEST_F(SearchCommandTest, JsonHasTheDocumentedShape) {
  CommandResult r = RunCco({"search", "--db", *db_, "--json", "ERR_X77"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "{\"results\":[{\"uuid\":\"tool-result\",\"session\":\"s-1\","
                                      "\"project\":\"/home/t/webapp\",\"timestamp\":\"2026-01-02T03:04:09.000Z\","
                                      "\"kind\":\"tool-result\",\"snippet\":\"error: [ERR_X77] in src/x.cc\",\"rank\":"))
      << r.out;
  EXPECT_TRUE(absl::EndsWith(r.out, "],\"total\":1}\n")) << r.out;
  r = RunCco({"search", "--db", *db_, "--json", "nothing-like-this"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"results\":[],\"total\":0}\n");
}

TEST_F(SearchCommandTest, TextNamesTheHitAndHowToOpenIt) {
  CommandResult r = RunCco({"search", "--db", *db_, "--tz", "UTC", "ERR_X77"}, {"NO_COLOR=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2026-01-02 03:04  /home/t/webapp  tool-result  s-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error: [ERR_X77] in src/x.cc"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cco show s-1 --at tool-result"), std::string::npos) << r.out;
  r = RunCco({"search", "--db", *db_, "nothing-like-this"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("no messages match"), std::string::npos) << r.out;
}

// Hostile queries: a clear one-line error (exit 2) or a result, never a
// crash, never SQLite's text.
TEST_F(SearchCommandTest, HostileQueriesGetAClearErrorOrAResult) {
  auto expect_usage = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"search", "--db", *db_});
    CommandResult r = RunCco(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(absl::StartsWith(r.err, "cco search: ")) << r.err;
    for (const char* leak : {"fts5", "SQL", "sqlite", "syntax error near", "prepare", "no such"}) {
      EXPECT_EQ(r.err.find(leak), std::string::npos) << leak << " in: " << r.err;
    }
  };
  expect_usage({"--fts", "\"unbalanced"});
  expect_usage({"--fts", "NEAR("});
  expect_usage({"--fts", "*"});
  expect_usage({"--fts", "nosuchcolumn: x"});
  expect_usage({"--fts", "a AND"});
  expect_usage({"*"});
  expect_usage({std::string(10 * 1024, 'q')});
  std::string prose;
  while (prose.size() < 10 * 1024) prose += "lorem ipsum dolor ";
  expect_usage({prose});
  expect_usage({"bad\xff\xfe"});
  expect_usage({"login", "--kind", "tool_use"});
  expect_usage({"login", "--limit", "0"});
  expect_usage({"login", "--since", "2026-13-01"});
  expect_usage({"login", "--session", "no-such-session"});
  // Searched as words: a result (here none), and the database untouched.
  EXPECT_EQ(Uuids({"'; DROP TABLE messages; --"}), "");
  EXPECT_EQ(Uuids({"\"unbalanced"}), "");
  EXPECT_EQ(Uuids({"NEAR(", "login"}), "") << "NEAR( is a word here";
  EXPECT_EQ(Uuids({"login\" OR \"x"}), "");
  EXPECT_EQ(Uuids({"tail_reader.cc\""}), "prompt");
  EXPECT_EQ(Uuids({"--fts", "\"messages\" OR zzzz"}), "meta");
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM messages"), 14);
}


TEST_F(SearchCommandTest, ADatabaseThatCannotBeOpenedIsAFailureNotAnEmptyResult) {
  TempDir dir;
  CommandResult r = RunCco({"search", "--db", dir / "missing.db", "login"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(absl::StartsWith(r.err, "cco search: ")) << r.err;
  EXPECT_EQ(RunCco({"search", "--db", *db_}).exit_code, 2) << "no query";
  EXPECT_EQ(RunCco({"search", "--db", *db_, "login", "--nonsense"}).exit_code, 2);
}

// Values of `"key":` in a --json answer, in order.
std::vector<std::string> JsonValues(const std::string& json, const std::string& key) {
  std::vector<std::string> out;
  const std::string needle = absl::StrCat("\"", key, "\":");
  for (size_t at = json.find(needle); at != std::string::npos; at = json.find(needle, at)) {
    at += needle.size();
    out.push_back(json.substr(at, json.find_first_of(",}", at) - at));
  }
  return out;
}

// The real transcripts: a prompt is found by its own words, newest first
// is by time, best first is by rank.
TEST(SearchCorpusTest, APromptIsFoundByItsWordsAndHitsAreOrdered) {
  if (CorpusDir().empty()) GTEST_SKIP() << "shared corpus not found; skipping";
  TempDir dir;
  const std::string db = dir / "cco.db";
  ASSERT_EQ(RunCco({"replay", CorpusDir() + "/projects", "--db", db}).exit_code, 0);
  const std::string row = QueryRows(db, "SELECT session_id || '|' || uuid || '|' || prompt FROM prompts"
                                        " WHERE length(prompt) BETWEEN 60 AND 2000 ORDER BY message_id LIMIT 1 OFFSET 20");
  const std::vector<std::string> parts = absl::StrSplit(row, absl::MaxSplits('|', 2));
  ASSERT_EQ(parts.size(), 3u) << row;
  // Its two longest words of letters.
  std::vector<std::string> words;
  for (absl::string_view w : absl::StrSplit(parts[2], absl::ByAnyChar(" \n\t.,;:!?()[]{}'\"`/\\-_"), absl::SkipEmpty())) {
    if (w.size() >= 4 && std::all_of(w.begin(), w.end(), [](char c) { return absl::ascii_isalpha(c); })) {
      words.emplace_back(w);
    }
  }
  std::sort(words.begin(), words.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  ASSERT_GE(words.size(), 2u) << parts[2];
  CommandResult r = RunCco({"search", "--db", db, "--json", "--limit", "1000", "--session", parts[0], "--kind",
                            "prompt", words[0], words[1]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> uuids = JsonValues(r.out, "uuid");
  EXPECT_NE(std::find(uuids.begin(), uuids.end(), absl::StrCat("\"", parts[1], "\"")), uuids.end())
      << words[0] << " " << words[1] << ": " << r.out;

  r = RunCco({"search", "--db", db, "--json", "--newest", "--limit", "200", "the"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> times = JsonValues(r.out, "timestamp");
  ASSERT_EQ(times.size(), 200u);
  EXPECT_TRUE(std::is_sorted(times.rbegin(), times.rend())) << r.out.substr(0, 2000);
  EXPECT_GT(JsonInt(r.out, "total"), 200);
  for (const std::string& v : JsonValues(r.out, "rank")) {
    EXPECT_LT(std::stod(v), 0) << "newest first still gives each hit shown its bm25";
  }
  r = RunCco({"search", "--db", db, "--json", "--limit", "200", "the"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<double> ranks;
  for (const std::string& v : JsonValues(r.out, "rank")) ranks.push_back(std::stod(v));
  ASSERT_EQ(ranks.size(), 200u);
  EXPECT_TRUE(std::is_sorted(ranks.begin(), ranks.end()));
  EXPECT_LT(ranks.front(), ranks.back()) << "bm25 tells the hits apart";
}

}  // namespace
}  // namespace cco::testing

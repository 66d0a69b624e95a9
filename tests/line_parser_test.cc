// Tests for cco::LineParser: what one transcript line becomes (message,
// event or quarantine record) and the searchable text of messages.

#include "ingest/line_parser.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/hash.h"

namespace cco {
namespace {

constexpr char kUserLine[] =
    R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/alice/webapp",)"
    R"("sessionId":"s-1","version":"2.1.27","type":"user","message":{"role":"user","content":"fix the login bug"},)"
    R"("uuid":"u-1","timestamp":"2026-01-06T09:15:59.901Z"})";

constexpr char kAssistantToolUseLine[] =
    R"({"parentUuid":"u-1","isSidechain":false,"cwd":"/home/alice/webapp","sessionId":"s-1","type":"assistant",)"
    R"("message":{"model":"claude-opus-4-5-20251101","id":"msg_01","type":"message","role":"assistant",)"
    R"("content":[{"type":"tool_use","id":"toolu_01","name":"Read","input":{"file_path":"/etc/hosts"}}],)"
    R"("usage":{"input_tokens":10,"output_tokens":3,"cache_creation_input_tokens":100,"cache_read_input_tokens":200}},)"
    R"("requestId":"req_01","uuid":"a-1","timestamp":"2026-01-06T09:16:06.951Z"})";

TEST(LineParserTest, UserLineBecomesMessageWithEnvelope) {
  LineParser parser;
  LineRecord rec = parser.Parse(kUserLine, 42);
  EXPECT_EQ(rec.kind, RecordKind::kMessage);
  EXPECT_EQ(rec.offset, 42);
  EXPECT_EQ(rec.length, static_cast<int64_t>(std::string(kUserLine).size()));
  EXPECT_EQ(rec.raw, kUserLine);
  EXPECT_EQ(rec.line_hash, StableHash(kUserLine));
  EXPECT_EQ(rec.type, "user");
  EXPECT_EQ(rec.uuid, "u-1");
  EXPECT_EQ(rec.session_id, "s-1");
  EXPECT_EQ(rec.cwd, "/home/alice/webapp");
  EXPECT_EQ(rec.content, "fix the login bug");
  ASSERT_TRUE(rec.timestamp_ms.has_value());
  EXPECT_EQ(*rec.timestamp_ms, 1767690959901);
}

TEST(LineParserTest, AssistantToolUseIsSearchableByToolNameAndInput) {
  LineParser parser;
  LineRecord rec = parser.Parse(kAssistantToolUseLine, 0);
  ASSERT_EQ(rec.kind, RecordKind::kMessage);
  EXPECT_EQ(rec.model, "claude-opus-4-5-20251101");
  EXPECT_EQ(rec.api_message_id, "msg_01");
  EXPECT_EQ(rec.request_id, "req_01");
  ASSERT_EQ(rec.tool_uses.size(), 1u);
  EXPECT_EQ(rec.tool_uses[0].id, "toolu_01");
  EXPECT_EQ(rec.tool_uses[0].name, "Read");
  EXPECT_TRUE(absl::StrContains(rec.content, "Read")) << rec.content;
  EXPECT_TRUE(absl::StrContains(rec.content, "/etc/hosts")) << rec.content;
  ASSERT_TRUE(rec.usage.has_value());
  EXPECT_EQ(rec.usage->input, 10);
  EXPECT_EQ(rec.usage->output, 3);
  EXPECT_EQ(rec.usage->cache_creation, 100);
  EXPECT_EQ(rec.usage->cache_read, 200);
}

TEST(LineParserTest, ThinkingTextAndToolResultAreSearchable) {
  LineParser parser;
  LineRecord thinking = parser.Parse(
      R"({"type":"assistant","uuid":"a-2","sessionId":"s-1","message":{"role":"assistant","content":[)"
      R"({"type":"thinking","thinking":"consider the redirect loop","signature":"EoQI"},)"
      R"({"type":"text","text":"I will read the file."}]}})",
      0);
  ASSERT_EQ(thinking.kind, RecordKind::kMessage);
  EXPECT_TRUE(absl::StrContains(thinking.content, "consider the redirect loop")) << thinking.content;
  EXPECT_TRUE(absl::StrContains(thinking.content, "I will read the file.")) << thinking.content;
  EXPECT_FALSE(absl::StrContains(thinking.content, "EoQI")) << "signatures are not searchable text";

  LineRecord result = parser.Parse(
      R"({"type":"user","uuid":"u-2","sessionId":"s-1","message":{"role":"user","content":[)"
      R"({"tool_use_id":"toolu_01","type":"tool_result","is_error":true,"content":"ENOENT: no such file"}]}})",
      0);
  ASSERT_EQ(result.kind, RecordKind::kMessage);
  ASSERT_EQ(result.tool_results.size(), 1u);
  EXPECT_EQ(result.tool_results[0].tool_use_id, "toolu_01");
  EXPECT_TRUE(result.tool_results[0].is_error);
  EXPECT_TRUE(absl::StrContains(result.content, "ENOENT: no such file")) << result.content;
}

// A tool's own run time from toolUseResult, whatever the tool calls it.
std::optional<int64_t> OwnDuration(const std::string& tool_use_result, const std::string& blocks = "") {
  LineParser parser;
  LineRecord rec = parser.Parse(
      absl::StrCat(R"({"type":"user","uuid":"u-9","sessionId":"s-1","message":{"role":"user","content":[)",
                   R"({"tool_use_id":"toolu_09","type":"tool_result","content":"ok"})", blocks,
                   R"(]},"toolUseResult":)", tool_use_result, "}"),
      0);
  EXPECT_EQ(rec.kind, RecordKind::kMessage) << rec.reason;
  if (rec.tool_results.empty()) return std::nullopt;
  return rec.tool_results[0].duration_ms;
}

TEST(LineParserTest, ToolResultCarriesTheToolsOwnDuration) {
  EXPECT_EQ(OwnDuration(R"({"query":"q","results":[],"durationSeconds":13.2004})"), 13200);  // WebSearch
  EXPECT_EQ(OwnDuration(R"({"filenames":[],"durationMs":41,"numFiles":0})"), 41);         // Glob
  EXPECT_EQ(OwnDuration(R"({"status":"completed","totalDurationMs":95250})"), 95250);      // Task
  EXPECT_EQ(OwnDuration(R"({"code":200,"durationMs":812.6})"), 813);                       // WebFetch
  // No duration, or not a usable one.
  EXPECT_EQ(OwnDuration(R"({"stdout":"","stderr":"","interrupted":false})"), std::nullopt);
  EXPECT_EQ(OwnDuration(R"("Error: File has not been read yet")"), std::nullopt);
  EXPECT_EQ(OwnDuration(R"({"durationMs":-5})"), std::nullopt);
  EXPECT_EQ(OwnDuration(R"({"durationMs":"41"})"), std::nullopt);
  EXPECT_EQ(OwnDuration(R"({"durationMs":null,"durationSeconds":2})"), 2000);
  // Two results on one line: whose time it is is unknown.
  EXPECT_EQ(OwnDuration(R"({"durationMs":41})", R"(,{"tool_use_id":"toolu_10","type":"tool_result","content":"ok"})"),
            std::nullopt);
}

TEST(LineParserTest, ImageBlockBecomesPlaceholderWithoutBase64) {
  const std::string base64(4000, 'Q');
  const std::string line = absl::StrCat(
      R"({"type":"user","uuid":"u-3","sessionId":"s-1","message":{"role":"user","content":[)",
      R"({"type":"text","text":"here is the screenshot"},)",
      R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":")", base64, R"("}}]}})");
  LineParser parser;
  LineRecord rec = parser.Parse(line, 0);
  ASSERT_EQ(rec.kind, RecordKind::kMessage);
  EXPECT_TRUE(absl::StrContains(rec.content, "here is the screenshot")) << rec.content;
  EXPECT_TRUE(absl::StrContains(rec.content, "[image]")) << rec.content;
  EXPECT_FALSE(absl::StrContains(rec.content, "QQQQ")) << "base64 leaked into the searchable text";
  EXPECT_EQ(rec.raw, line) << "the raw line is kept verbatim";
}

TEST(LineParserTest, SystemLineIsMessage) {
  LineParser parser;
  LineRecord rec = parser.Parse(
      R"({"type":"system","subtype":"compact_boundary","content":"Conversation compacted","uuid":"y-1",)"
      R"("sessionId":"s-1","timestamp":"2026-02-11T21:18:41.543Z"})",
      0);
  EXPECT_EQ(rec.kind, RecordKind::kMessage);
  EXPECT_EQ(rec.subtype, "compact_boundary");
  EXPECT_EQ(rec.content, "Conversation compacted");
}

TEST(LineParserTest, KnownNonConversationalTypesAreEvents) {
  LineParser parser;
  for (const char* line : {
           R"({"type":"summary","summary":"Login fix","leafUuid":"x"})",
           R"({"type":"file-history-snapshot","messageId":"m","snapshot":{},"isSnapshotUpdate":false})",
           R"({"type":"permission-mode","permissionMode":"default","sessionId":"s-1"})",
           R"({"type":"queue-operation","operation":"enqueue","timestamp":"2026-01-01T00:00:00Z","sessionId":"s-1"})",
           R"({"type":"progress","data":{"type":"hook_progress"},"uuid":"p-1","sessionId":"s-1"})",
       }) {
    LineRecord rec = parser.Parse(line, 0);
    EXPECT_EQ(rec.kind, RecordKind::kEvent) << line;
    EXPECT_EQ(rec.raw, line);
  }
}

TEST(LineParserTest, UnknownTypeBecomesEventWithRawJsonIntact) {
  const std::string line =
      R"({"type":"hologram-projection","uuid":"h-1","sessionId":"s-1","payload":{"nested":[1,2,{"x":"\u00e9"}]},"extra":null})";
  LineParser parser;
  LineRecord rec = parser.Parse(line, 7);
  EXPECT_EQ(rec.kind, RecordKind::kEvent);
  EXPECT_EQ(rec.type, "hologram-projection");
  EXPECT_EQ(rec.uuid, "h-1");
  EXPECT_EQ(rec.raw, line);
  EXPECT_EQ(rec.offset, 7);
}

TEST(LineParserTest, ObjectWithoutTypeIsEventNotQuarantine) {
  LineParser parser;
  LineRecord rec = parser.Parse(R"({"hello":"world"})", 0);
  EXPECT_EQ(rec.kind, RecordKind::kEvent);
  EXPECT_EQ(rec.raw, R"({"hello":"world"})");
}

TEST(LineParserTest, UnexpectedFieldShapesDoNotFailTheLine) {
  LineParser parser;
  // message is a string, content is a number, usage a string, timestamp garbage.
  LineRecord rec = parser.Parse(
      R"({"type":"assistant","uuid":"a-9","message":{"content":5,"usage":"lots","model":7},)"
      R"("timestamp":"yesterday","isSidechain":"yes"})",
      0);
  EXPECT_EQ(rec.kind, RecordKind::kMessage);
  EXPECT_FALSE(rec.timestamp_ms.has_value());
  EXPECT_FALSE(rec.usage.has_value());
  LineRecord rec2 = parser.Parse(R"({"type":"user","message":"just a string"})", 0);
  EXPECT_EQ(rec2.kind, RecordKind::kMessage);
}

// Hostile numbers: a count that does not fit an int64, or is beyond any
// real count, or negative, drops the usage (the line is still a message);
// ordinary counts, also written as 1.0e3 or beside a huge stray field
// outside usage, are kept. The 1e20 case once converted a double out of
// range (undefined behaviour; found by fuzz_line_parser).
TEST(LineParserTest, CountsThatAreNotCountsDropTheUsageNotTheLine) {
  LineParser parser;
  auto usage_of = [&parser](std::string_view usage_json) {
    return parser.Parse(absl::StrCat(R"({"type":"assistant","uuid":"a-1","message":{"model":"m","usage":)",
                                     std::string(usage_json), R"(},"timestamp":"2026-01-06T09:16:06.951Z"})"),
                        0);
  };
  for (std::string_view hostile : {
           R"({"input_tokens":1e20,"output_tokens":3})",
           R"({"input_tokens":-1e300,"output_tokens":3})",
           R"({"input_tokens":18446744073709551615,"output_tokens":3})",
           R"({"input_tokens":10,"output_tokens":9223372036854775807})",
           R"({"input_tokens":10,"output_tokens":3,"cache_read_input_tokens":1e19})",
           R"({"input_tokens":10,"output_tokens":3,"cache_creation_input_tokens":-5})",
           R"({"input_tokens":10,"output_tokens":3,"cache_creation":{"ephemeral_5m_input_tokens":9223372036854775807,)"
           R"("ephemeral_1h_input_tokens":9223372036854775807}})",
       }) {
    LineRecord rec = usage_of(hostile);
    EXPECT_EQ(rec.kind, RecordKind::kMessage) << hostile;
    EXPECT_FALSE(rec.usage.has_value()) << hostile;
  }
  LineRecord ok = usage_of(R"({"input_tokens":1.0e3,"output_tokens":3,"cache_read_input_tokens":1099511627776})");
  ASSERT_TRUE(ok.usage.has_value());
  EXPECT_EQ(ok.usage->input, 1000);
  EXPECT_EQ(ok.usage->cache_read, int64_t{1} << 40);
}

TEST(LineParserTest, InvalidJsonIsQuarantinedWithReason) {
  const std::string line = R"({"type":"user","message":{"content":"cut off here)";
  LineParser parser;
  LineRecord rec = parser.Parse(line, 100);
  EXPECT_EQ(rec.kind, RecordKind::kQuarantine);
  EXPECT_TRUE(absl::StartsWith(rec.reason, "invalid_json")) << rec.reason;
  EXPECT_EQ(rec.raw, line);
  EXPECT_EQ(rec.offset, 100);
  EXPECT_EQ(rec.length, static_cast<int64_t>(line.size()));
  EXPECT_FALSE(rec.raw_truncated);
}

TEST(LineParserTest, TrailingGarbageAfterObjectIsQuarantined) {
  LineParser parser;
  for (const char* line : {R"({"type":"user"} trailing)", R"({"type":"user"}{"type":"user"})",
                           R"({"type":"user",})"}) {
    LineRecord rec = parser.Parse(line, 0);
    EXPECT_EQ(rec.kind, RecordKind::kQuarantine) << line;
    EXPECT_TRUE(absl::StartsWith(rec.reason, "invalid_json")) << line << ": " << rec.reason;
  }
}

TEST(LineParserTest, ValidJsonThatIsNotAnObjectIsQuarantined) {
  LineParser parser;
  for (const char* line : {"[1,2]", R"("a string")", "42", "null", "true"}) {
    LineRecord rec = parser.Parse(line, 0);
    EXPECT_EQ(rec.kind, RecordKind::kQuarantine) << line;
    EXPECT_TRUE(absl::StartsWith(rec.reason, "not_an_object")) << line << ": " << rec.reason;
    EXPECT_EQ(rec.raw, line);
  }
}

TEST(LineParserTest, InvalidUtf8IsQuarantinedWithReason) {
  // A Latin-1 byte inside a JSON string: syntactically fine, not UTF-8.
  const std::string line = "{\"type\":\"user\",\"message\":{\"content\":\"caf\xe9\"}}";
  LineParser parser;
  LineRecord rec = parser.Parse(line, 0);
  EXPECT_EQ(rec.kind, RecordKind::kQuarantine);
  EXPECT_TRUE(absl::StartsWith(rec.reason, "invalid_utf8")) << rec.reason;
  EXPECT_EQ(rec.raw, line) << "the raw bytes are kept as they were";
}

// Regression: JSON allows any \uXXXX escape, and JavaScript's JSON.stringify
// writes a lone surrogate as one when a string was cut inside an emoji (a
// truncated tool output). simdjson rejects those, so such lines were
// quarantined though Python, Node and SQLite's json_valid accept them.
TEST(LineParserTest, LoneSurrogateEscapeIsValidJson) {
  const std::string cut = R"({"type":"user","uuid":"u-7","message":{"content":"output cut here \ud83d"}})";
  const std::string low = R"({"type":"user","uuid":"u-8","message":{"content":"a \ude00 b \ud83d\ude00 c"}})";
  const std::string escaped_backslash = R"({"type":"user","uuid":"u-9","message":{"content":"path C:\\ud83d\\x"}})";
  LineParser parser;
  LineRecord rec = parser.Parse(cut, 0);
  ASSERT_EQ(rec.kind, RecordKind::kMessage) << rec.reason;
  EXPECT_EQ(rec.raw, cut) << "the raw line keeps its escape";
  EXPECT_EQ(rec.content, "output cut here \xEF\xBF\xBD") << "U+FFFD in the searchable text";
  EXPECT_EQ(rec.line_hash, StableHash(cut));

  LineRecord rec2 = parser.Parse(low, 0);
  ASSERT_EQ(rec2.kind, RecordKind::kMessage) << rec2.reason;
  EXPECT_EQ(rec2.content, "a \xEF\xBF\xBD b \xF0\x9F\x98\x80 c") << "a proper pair stays the emoji";

  LineRecord rec3 = parser.Parse(escaped_backslash, 0);
  ASSERT_EQ(rec3.kind, RecordKind::kMessage) << rec3.reason;
  EXPECT_EQ(rec3.content, R"(path C:\ud83d\x)");

  // Still quarantined: a bad escape, and a surrogate escape in a line that
  // is broken anyway.
  EXPECT_EQ(parser.Parse(R"({"type":"user","message":{"content":"\uZZZZ"}})", 0).kind, RecordKind::kQuarantine);
  EXPECT_EQ(parser.Parse(R"({"type":"user","message":{"content":"\ud83d)", 0).kind, RecordKind::kQuarantine);
}

// A CRLF line is keyed like its LF copy but stored byte-exact, '\r' included
// (an export gives the transcript back as it was written).
TEST(LineParserTest, TrailingCarriageReturnIsKeptInRawButNotInTheKey) {
  const std::string body = R"({"type":"user","uuid":"u-5","message":{"content":"crlf"}})";
  LineParser parser;
  LineRecord rec = parser.Parse(body + "\r", 0);
  EXPECT_EQ(rec.kind, RecordKind::kMessage);
  EXPECT_EQ(rec.raw, body + "\r");
  EXPECT_EQ(rec.length, static_cast<int64_t>(body.size()));
  EXPECT_EQ(rec.line_hash, StableHash(body)) << "CRLF and LF copies of a line have the same key";
}

TEST(LineParserTest, ParserIsReusableAfterBadLines) {
  LineParser parser;
  EXPECT_EQ(parser.Parse("{not json", 0).kind, RecordKind::kQuarantine);
  EXPECT_EQ(parser.Parse("\xff\xfe", 0).kind, RecordKind::kQuarantine);
  LineRecord rec = parser.Parse(kUserLine, 0);
  EXPECT_EQ(rec.kind, RecordKind::kMessage);
  EXPECT_EQ(rec.content, "fix the login bug");
}

TEST(LineParserTest, OversizedLineRecordKeepsLengthAndMarksTruncation) {
  const std::string prefix(kQuarantinePrefixBytes, 'x');
  LineRecord rec = OversizedLineRecord(prefix, 10, 40 << 20, 99, 1 << 20);
  EXPECT_EQ(rec.kind, RecordKind::kQuarantine);
  EXPECT_EQ(rec.length, 40 << 20);
  EXPECT_TRUE(rec.raw_truncated);
  EXPECT_EQ(rec.raw.size(), kQuarantinePrefixBytes);
  EXPECT_TRUE(absl::StartsWith(rec.reason, "line_too_long")) << rec.reason;
}

TEST(LineParserTest, ParsesTimestampsToUtcMilliseconds) {
  EXPECT_EQ(ParseTimestampMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestampMs("2026-01-06T09:15:59.901Z"), 1767690959901);
  EXPECT_EQ(ParseTimestampMs("2026-01-06T09:15:59.9Z"), 1767690959900);
  EXPECT_EQ(ParseTimestampMs("2026-01-06T09:15:59.901234Z"), 1767690959901);
  EXPECT_EQ(ParseTimestampMs("2026-01-06T09:15:59Z"), 1767690959000);
  EXPECT_EQ(ParseTimestampMs("2026-01-06T14:45:59.901+05:30"), 1767690959901);
  EXPECT_EQ(ParseTimestampMs("2026-01-06T04:15:59.901-05:00"), 1767690959901);
  EXPECT_EQ(ParseTimestampMs("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_FALSE(ParseTimestampMs("").has_value());
  EXPECT_FALSE(ParseTimestampMs("yesterday").has_value());
  EXPECT_FALSE(ParseTimestampMs("2026-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseTimestampMs("2026-01-06T09:15:59.Z").has_value());
  EXPECT_FALSE(ParseTimestampMs("2026-01-06T09:15:59Zjunk").has_value());
}

TEST(LineParserTest, StableHashIsXxh64AndNotSaltedPerProcess) {
  // Persisted in files.checksum and line keys: must be the same in every
  // process and on every machine. Known XXH64 (seed 0) values.
  EXPECT_EQ(StableHash(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(StableHash("abc"), 0x44BC2CF5AD770999ull);
}

}  // namespace
}  // namespace cco

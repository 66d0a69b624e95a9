#include "ingest/line_parser.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ingest/json_line.h"
#include "src/hash.h"
#include "src/message_kind.h"
#include "src/status.h"

namespace cco {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::string_view StringOr(element e, std::string_view fallback = {}) {
  std::string_view s;
  return e.get(s) == simdjson::SUCCESS ? s : fallback;
}

std::string_view StringField(object o, std::string_view key) {
  element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return {};
  return StringOr(e);
}

bool BoolField(object o, std::string_view key) {
  element e;
  bool b = false;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return false;
  return e.get(b) == simdjson::SUCCESS && b;
}

// Integers may arrive as int64, uint64 or (rarely) doubles. A number that
// does not fit an int64 (1e20, 2^64-1) is not an
// integer here: absent, as a string would be.
std::optional<int64_t> IntValue(element e) {
  switch (e.type()) {
    case element_type::INT64: {
      int64_t v = 0;
      if (e.get(v) == simdjson::SUCCESS) return v;
      return std::nullopt;
    }
    case element_type::UINT64: {
      uint64_t v = 0;
      if (e.get(v) != simdjson::SUCCESS || v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<int64_t>(v);
    }
    case element_type::DOUBLE: {
      // 2^63 is exact as a double; every double in [-2^63, 2^63) converts.
      constexpr double kInt64End = 9223372036854775808.0;
      double v = 0;
      if (e.get(v) != simdjson::SUCCESS || !(v >= -kInt64End && v < kInt64End)) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    default:
      return std::nullopt;
  }
}

// A token count above this (2^40, a million times any context window) is
// not a count: the usage is dropped as if malformed, so sums over years of
// messages stay far inside int64 (SQLite's SUM fails on overflow).
constexpr int64_t kMaxTokenCount = int64_t{1} << 40;

// A token count field of `o`: nullopt when absent or not an integer; a
// number outside [0, kMaxTokenCount] (1e20 included) also clears *in_range.
std::optional<int64_t> CountField(object o, std::string_view key, bool* in_range) {
  element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
  std::optional<int64_t> v = IntValue(e);
  const bool number = e.type() == element_type::INT64 || e.type() == element_type::UINT64 ||
                      e.type() == element_type::DOUBLE;
  if (number && (!v.has_value() || *v < 0 || *v > kMaxTokenCount)) *in_range = false;
  return v;
}

void AppendBounded(std::string* out, std::string_view text, size_t limit) {
  if (out->size() >= limit) return;
  out->append(text.substr(0, limit - out->size()));
}

// Cuts `text` to at most `limit` bytes, before a UTF-8 continuation byte
// rather than inside a character; releases the memory it no longer needs.
void TruncateUtf8(std::string* text, size_t limit) {
  if (text->size() <= limit) return;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>((*text)[end]) & 0xC0) == 0x80) --end;
  text->resize(end);
  text->shrink_to_fit();
}

// Searchable text is cut at kMaxSearchableText at the end of Parse; what
// is built before stops a few bytes past it (room to find a character
// boundary) instead of copying a huge text whole first.
constexpr size_t kSearchableBuildLimit = kMaxSearchableText + 8;

void AppendText(std::string* out, std::string_view text) {
  if (text.empty()) return;
  if (!out->empty()) AppendBounded(out, "\n", kSearchableBuildLimit);
  AppendBounded(out, text, kSearchableBuildLimit);
}

// Usage as the reference reads it: needs integer input_tokens and
// output_tokens; cache fields default to 0. Any count outside
// [0, kMaxTokenCount] (negative, huge, not an int64) drops the usage.
std::optional<Usage> ParseUsage(element e) {
  object u;
  if (e.get(u) != simdjson::SUCCESS) return std::nullopt;
  bool counts_ok = true;
  std::optional<int64_t> input = CountField(u, "input_tokens", &counts_ok);
  std::optional<int64_t> output = CountField(u, "output_tokens", &counts_ok);
  Usage usage;
  usage.cache_read = CountField(u, "cache_read_input_tokens", &counts_ok).value_or(0);
  // The nested split prices 1-hour writes apart. Proxies write an empty or
  // partial split beside the total: the total counts, the unsplit remainder
  // at the 5-minute rate (the reference counts only the split).
  const int64_t flat = CountField(u, "cache_creation_input_tokens", &counts_ok).value_or(0);
  usage.cache_creation = flat;
  object nested;
  if (u.at_key("cache_creation").get(nested) == simdjson::SUCCESS) {
    usage.cache_creation_1h = CountField(nested, "ephemeral_1h_input_tokens", &counts_ok).value_or(0);
    const int64_t five_minute = CountField(nested, "ephemeral_5m_input_tokens", &counts_ok).value_or(0);
    if (counts_ok) usage.cache_creation = std::max(flat, five_minute + usage.cache_creation_1h);
  }
  if (!input.has_value() || !output.has_value() || !counts_ok) return std::nullopt;
  usage.input = *input;
  usage.output = *output;
  element speed;
  if (u.at_key("speed").get(speed) == simdjson::SUCCESS && speed.type() != element_type::NULL_VALUE) {
    usage.has_speed = true;
    usage.fast = StringOr(speed) == "fast";
  }
  return usage;
}

std::optional<double> DoubleValue(element e) {
  double d = 0;
  if (e.type() == element_type::DOUBLE && e.get(d) == simdjson::SUCCESS) return d;
  std::optional<int64_t> i = IntValue(e);
  if (i.has_value()) return static_cast<double>(*i);
  return std::nullopt;
}

// The run time a tool reports in its toolUseResult, in milliseconds, first
// found of: durationMs (Glob, WebFetch), totalDurationMs (Task, Agent),
// durationSeconds (WebSearch, a fraction; rounded). Absent, negative or not a
// number: nullopt.
std::optional<int64_t> ToolOwnDurationMs(object tool_use_result) {
  constexpr std::pair<std::string_view, double> kFields[] = {
      {"durationMs", 1.0}, {"totalDurationMs", 1.0}, {"durationSeconds", 1000.0}};
  for (const auto& [key, to_ms] : kFields) {
    element e;
    if (tool_use_result.at_key(key).get(e) != simdjson::SUCCESS) continue;
    std::optional<double> value = DoubleValue(e);
    if (!value.has_value() || !(*value >= 0 && *value * to_ms < 1e15)) continue;  // also NaN
    return std::llround(*value * to_ms);
  }
  return std::nullopt;
}

// Text of a tool_result's content: a string, or text / tool_reference blocks.
std::string ToolResultText(element content) {
  std::string text;
  std::string_view s;
  if (content.get(s) == simdjson::SUCCESS) {
    AppendBounded(&text, s, kMaxToolResultText);
    return text;
  }
  array blocks;
  if (content.get(blocks) != simdjson::SUCCESS) return text;
  for (element block : blocks) {
    object b;
    if (block.get(b) != simdjson::SUCCESS) continue;
    std::string_view type = StringField(b, "type");
    if (type == "text") {
      if (!text.empty()) AppendBounded(&text, "\n", kMaxToolResultText);
      AppendBounded(&text, StringField(b, "text"), kMaxToolResultText);
    } else if (type == "tool_reference") {
      if (!text.empty()) AppendBounded(&text, "\n", kMaxToolResultText);
      AppendBounded(&text, StringField(b, "tool_name"), kMaxToolResultText);
    } else if (type == "image") {
      if (!text.empty()) AppendBounded(&text, "\n", kMaxToolResultText);
      AppendBounded(&text, "[image]", kMaxToolResultText);
    }
  }
  return text;
}

// Fills content, tool uses and tool results from message.content, and
// counts its blocks into `shape`.
void ParseContent(element content, LineRecord& rec, MessageShape& shape) {
  std::string_view s;
  if (content.get(s) == simdjson::SUCCESS) {
    rec.content.assign(s.substr(0, kSearchableBuildLimit));
    shape.string_content = true;
    return;
  }
  array blocks;
  if (content.get(blocks) != simdjson::SUCCESS) return;
  for (element block : blocks) {
    object b;
    if (block.get(b) != simdjson::SUCCESS) continue;
    std::string_view type = StringField(b, "type");
    if (type == "text") {
      ++shape.text_blocks;
      AppendText(&rec.content, StringField(b, "text"));
    } else if (type == "thinking") {
      ++shape.thinking_blocks;
      AppendText(&rec.content, StringField(b, "thinking"));
    } else if (type == "redacted_thinking") {
      ++shape.thinking_blocks;
      AppendText(&rec.content, "[redacted thinking]");
    } else if (type == "tool_use" || type == "server_tool_use") {
      ++shape.tool_use_blocks;
      ToolUse use;
      use.id = StringField(b, "id");
      use.name = StringField(b, "name");
      element input;
      if (b.at_key("input").get(input) == simdjson::SUCCESS) use.input_json = simdjson::to_string(input);
      AppendText(&rec.content, absl::StrCat("[tool_use ", use.name, "] ", use.input_json));
      if (type == "tool_use") rec.tool_uses.push_back(std::move(use));
    } else if (type == "tool_result") {
      ++shape.tool_result_blocks;
      ToolResult result;
      result.tool_use_id = StringField(b, "tool_use_id");
      result.is_error = BoolField(b, "is_error");
      element c;
      if (b.at_key("content").get(c) == simdjson::SUCCESS) result.text = ToolResultText(c);
      AppendText(&rec.content, result.text);
      rec.tool_results.push_back(std::move(result));
    } else if (type == "image") {
      ++shape.text_blocks;
      AppendText(&rec.content, "[image]");
    } else if (type == "document") {
      ++shape.text_blocks;
      AppendText(&rec.content, "[document]");
    } else if (!type.empty()) {
      AppendText(&rec.content, absl::StrCat("[", AsAbsl(type), "]"));
    }
  }
}

// message{...} of user and assistant lines.
void ParseMessage(object message, LineRecord& rec, MessageShape& shape) {
  for (auto field : message) {
    std::string_view key = field.key;
    if (key == "content") {
      ParseContent(field.value, rec, shape);
    } else if (key == "model") {
      rec.model = StringOr(field.value);
    } else if (key == "id") {
      rec.api_message_id = StringOr(field.value);
    } else if (key == "stop_reason") {
      rec.stop_reason = StringOr(field.value);
    } else if (key == "usage") {
      rec.usage = ParseUsage(field.value);
    }
  }
}

// progress lines with data.message embedding an assistant message
// (agent_progress): tokens, model and id from data.message.message; time,
// requestId, isSidechain and costUSD from data.message itself.
void ParseProgressData(object data, LineRecord& rec) {
  rec.subtype = StringField(data, "type");
  object outer;
  if (data.at_key("message").get(outer) != simdjson::SUCCESS) return;
  object inner;
  if (outer.at_key("message").get(inner) != simdjson::SUCCESS) return;
  element usage_el;
  if (inner.at_key("usage").get(usage_el) != simdjson::SUCCESS) return;
  std::optional<Usage> usage = ParseUsage(usage_el);
  std::optional<int64_t> ts = ParseTimestampMs(StringField(outer, "timestamp"));
  if (!usage.has_value() || !ts.has_value()) return;
  EmbeddedResponse embedded;
  UsageCopy& copy = embedded.copy;
  copy.usage = *usage;
  copy.api_message_id = StringField(inner, "id");
  copy.model = StringField(inner, "model");
  copy.request_id = StringField(outer, "requestId");
  copy.timestamp_ms = *ts;
  copy.is_sidechain = BoolField(outer, "isSidechain");
  element cost;
  if (outer.at_key("costUSD").get(cost) == simdjson::SUCCESS) copy.cost_usd = DoubleValue(cost);
  embedded.api_error_message = BoolField(outer, "isApiErrorMessage");
  rec.embedded = std::move(embedded);
}

bool IsMessageType(std::string_view type) {
  return type == "user" || type == "assistant" || type == "system";
}

LineRecord Quarantine(std::string_view line, int64_t offset, uint64_t hash, std::string reason) {
  LineRecord rec;
  rec.kind = RecordKind::kQuarantine;
  rec.offset = offset;
  rec.length = static_cast<int64_t>(line.size());
  rec.line_hash = hash;
  rec.reason = std::move(reason);
  rec.raw_truncated = line.size() > kQuarantinePrefixBytes;
  rec.raw.assign(line.substr(0, kQuarantinePrefixBytes));
  return rec;
}

int DigitsValue(std::string_view s, size_t pos, size_t n, bool* ok) {
  int v = 0;
  if (pos + n > s.size()) {
    *ok = false;
    return 0;
  }
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<int64_t> ParseTimestampMs(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  bool ok = true;
  int year = DigitsValue(s, 0, 4, &ok);
  int month = DigitsValue(s, 5, 2, &ok);
  int day = DigitsValue(s, 8, 2, &ok);
  int hour = DigitsValue(s, 11, 2, &ok);
  int minute = DigitsValue(s, 14, 2, &ok);
  int second = DigitsValue(s, 17, 2, &ok);
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int sign = s[pos] == '-' ? -1 : 1;
      int oh = DigitsValue(s, pos + 1, 2, &ok);
      size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') ++mpos;
      int om = DigitsValue(s, mpos, 2, &ok);
      if (!ok) return std::nullopt;
      offset_minutes = sign * (oh * 60 + om);
      pos = mpos + 2;
    }
  }
  if (pos != s.size()) return std::nullopt;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

LineRecord OversizedLineRecord(std::string_view prefix, int64_t offset, int64_t length,
                               uint64_t line_hash, size_t max_line_bytes) {
  LineRecord rec = Quarantine(prefix, offset, line_hash,
                              absl::StrCat("line_too_long: ", length, " bytes exceeds the limit of ",
                                           max_line_bytes));
  rec.length = length;
  rec.raw_truncated = true;
  return rec;
}

LineRecord LineParser::Parse(std::string_view line, int64_t offset) {
  // A CRLF line is parsed and keyed without its '\r' (so its hash is the
  // same as the LF line's), but stored with it: raw is the bytes between the
  // two newlines, exactly.
  const std::string_view exact = line;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  LineRecord rec = ParseLine(exact, line, offset);
  if (line.size() > kParserKeepBytes) {
    parser_ = simdjson::dom::parser();
    padded_ = std::string();
  }
  return rec;
}

LineRecord LineParser::ParseLine(std::string_view exact, std::string_view line, int64_t offset) {
  const uint64_t hash = StableHash(line);

  element root;
  const simdjson::error_code err = ParseJsonLine(parser_, &padded_, line, &root);
  if (err != simdjson::SUCCESS) {
    const char* reason = err == simdjson::UTF8_ERROR ? "invalid_utf8" : "invalid_json";
    return Quarantine(exact, offset, hash, absl::StrCat(reason, ": ", simdjson::error_message(err)));
  }
  object top;
  if (root.get(top) != simdjson::SUCCESS) {
    return Quarantine(exact, offset, hash, "not_an_object: the line is valid JSON but not an object");
  }

  LineRecord rec;
  rec.offset = offset;
  rec.length = static_cast<int64_t>(line.size());
  rec.line_hash = hash;
  rec.raw.assign(exact);

  // One pass over the top-level fields; message/data are handled after the
  // type is known.
  element message, data, top_content, attachment;
  bool has_message = false, has_data = false, has_content = false, has_attachment = false;
  std::string_view operation;
  std::optional<int64_t> tool_duration_ms;
  MessageShape shape;
  for (auto field : top) {
    std::string_view key = field.key;
    element v = field.value;
    if (key == "type") {
      rec.type = StringOr(v);
    } else if (key == "uuid") {
      rec.uuid = StringOr(v);
    } else if (key == "parentUuid") {
      rec.parent_uuid = StringOr(v);
    } else if (key == "sessionId") {
      rec.session_id = StringOr(v);
    } else if (key == "agentId") {
      rec.agent_id = StringOr(v);
    } else if (key == "cwd") {
      rec.cwd = StringOr(v);
    } else if (key == "timestamp") {
      rec.timestamp_ms = ParseTimestampMs(StringOr(v));
    } else if (key == "isSidechain") {
      bool b = false;
      rec.is_sidechain = v.get(b) == simdjson::SUCCESS && b;
    } else if (key == "isMeta") {
      bool b = false;
      rec.is_meta = v.get(b) == simdjson::SUCCESS && b;
    } else if (key == "isCompactSummary") {
      bool b = false;
      shape.is_compact_summary = v.get(b) == simdjson::SUCCESS && b;
    } else if (key == "requestId") {
      rec.request_id = StringOr(v);
    } else if (key == "isApiErrorMessage") {
      bool b = false;
      rec.api_error_message = v.get(b) == simdjson::SUCCESS && b;
    } else if (key == "subtype") {
      rec.subtype = StringOr(v);
    } else if (key == "message") {
      message = v;
      has_message = true;
    } else if (key == "data") {
      data = v;
      has_data = true;
    } else if (key == "content") {
      top_content = v;
      has_content = true;
    } else if (key == "attachment") {
      attachment = v;
      has_attachment = true;
    } else if (key == "operation") {
      operation = StringOr(v);
    } else if (key == "summary" || key == "title" || key == "aiTitle" || key == "customTitle") {
      rec.title = StringOr(v);
    } else if (key == "costUSD") {
      rec.cost_usd = DoubleValue(v);
    } else if (key == "leafUuid") {
      rec.leaf_uuid = StringOr(v);
    } else if (key == "toolUseResult") {
      std::string_view s;
      object o;
      if (v.get(s) == simdjson::SUCCESS) {
        rec.tool_use_result_text = s.substr(0, 4096);
      } else if (v.get(o) == simdjson::SUCCESS) {
        rec.tool_use_result_interrupted = BoolField(o, "interrupted");
        tool_duration_ms = ToolOwnDurationMs(o);
      }
    }
  }

  // message.usage is read whatever the line's type (which usage counts is
  // CountedUsage's choice); content is kept for conversational lines.
  object m;
  const bool message_object = has_message && message.get(m) == simdjson::SUCCESS;
  if (message_object) ParseMessage(m, rec, shape);
  // toolUseResult describes the line's one tool_result (Claude Code writes
  // one per line); with several it is not known whose time it is.
  if (rec.tool_results.size() == 1) rec.tool_results.front().duration_ms = tool_duration_ms;

  if (IsMessageType(rec.type)) {
    rec.kind = RecordKind::kMessage;
    if (rec.content.empty() && has_content) {
      std::string_view s;
      if (top_content.get(s) == simdjson::SUCCESS) rec.content.assign(s.substr(0, kSearchableBuildLimit));
    }
    TruncateUtf8(&rec.content, kMaxSearchableText);
    shape.type = rec.type;
    shape.is_meta = rec.is_meta;
    shape.is_sidechain = rec.is_sidechain;
    shape.text_start = std::string_view(rec.content).substr(0, 64);
    rec.message_kind = MessageKindOf(shape);
    return rec;
  }

  rec.kind = RecordKind::kEvent;
  rec.content.clear();
  rec.tool_uses.clear();
  rec.tool_results.clear();
  if (rec.type == "progress" && has_data) {
    object d;
    if (data.get(d) == simdjson::SUCCESS) ParseProgressData(d, rec);
  } else if (rec.type == "attachment" && has_attachment) {
    object a;
    if (attachment.get(a) == simdjson::SUCCESS) rec.subtype = StringField(a, "type");
  } else if (rec.type == "queue-operation") {
    rec.subtype = operation;
  }
  if (rec.type != "summary" && rec.type != "ai-title" && rec.type != "custom-title") {
    rec.title.clear();
    rec.leaf_uuid.clear();
  }
  return rec;
}

}  // namespace cco

// Turns one complete transcript line into a LineRecord. Never fails: a line
// that is not valid JSON (checked in full, including UTF-8), or not an object,
// becomes a kQuarantine record with a reason.
//
// Thread-safety: one LineParser per thread; it reuses its simdjson parser and
// padded buffer across lines up to kParserKeepBytes long, and releases them
// after a longer one, so what it keeps between lines stays small.
#ifndef CCO_INGEST_LINE_PARSER_H_
#define CCO_INGEST_LINE_PARSER_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/record.h"

namespace cco {

// Bounds on what a record keeps of long texts. The raw line is always kept.
inline constexpr size_t kMaxToolResultText = 64 * 1024;
inline constexpr size_t kQuarantinePrefixBytes = 64 * 1024;
// A message's searchable text (`content`, indexed by FTS5) keeps its first
// MiB, cut at a UTF-8 character boundary: indexing one document costs SQLite
// several times its text in memory (FTS5 collects every term of a row
// before it writes), so this bounds the writer's memory for any line (see
// docs/memory.md). The longest real line seen is ~1 MB; the whole line stays
// in `raw`.
inline constexpr size_t kMaxSearchableText = 1 << 20;
// After a line longer than this, the parser's buffers (simdjson's capacity
// grows to the longest line parsed) are released instead of kept.
inline constexpr size_t kParserKeepBytes = 1 << 20;

class LineParser {
 public:
  LineParser() = default;
  LineParser(const LineParser&) = delete;
  LineParser& operator=(const LineParser&) = delete;

  // `line` excludes the '\n'. A trailing '\r' is not parsed nor hashed (a
  // CRLF line has its LF copy's key) but is kept in `raw`, which holds the
  // bytes exactly. REQUIRES: `line` is not empty after stripping.
  LineRecord Parse(std::string_view line, int64_t offset);

 private:
  // `line` is `exact` without its '\r'.
  LineRecord ParseLine(std::string_view exact, std::string_view line, int64_t offset);

  simdjson::dom::parser parser_;
  std::string padded_;
};

// A record for a line longer than the configured maximum, of which only the
// first bytes were kept.
LineRecord OversizedLineRecord(std::string_view prefix, int64_t offset, int64_t length,
                               uint64_t line_hash, size_t max_line_bytes);

// Parses an ISO-8601 timestamp ("2026-01-06T09:15:59.901Z", any number of
// fraction digits, 'Z' or ±HH:MM) to milliseconds since the epoch, UTC.
std::optional<int64_t> ParseTimestampMs(std::string_view text);

}  // namespace cco

#endif  // CCO_INGEST_LINE_PARSER_H_

// Parsing one transcript line as JSON, shared by everything that reads a
// transcript's lines (the line parser, the judge of a file's first line), so
// a line is JSON to all of them or to none.
#ifndef CCO_INGEST_JSON_LINE_H_
#define CCO_INGEST_JSON_LINE_H_

#include <string>
#include <string_view>

#include "simdjson.h"

namespace cco {

// Parses `line` (no newline) into `root`, valid until the next call with the
// same `parser` and `padded` (scratch space, reused). simdjson's rules,
// except that a lone UTF-16 surrogate escape (valid JSON; JavaScript writes
// one when it cuts a string inside an emoji) reads as U+FFFD instead of
// failing the line. Errors are simdjson's (UTF8_ERROR for invalid UTF-8,
// TAPE_ERROR and others for what is not JSON).
simdjson::error_code ParseJsonLine(simdjson::dom::parser& parser, std::string* padded, std::string_view line,
                                   simdjson::dom::element* root);

}  // namespace cco

#endif  // CCO_INGEST_JSON_LINE_H_

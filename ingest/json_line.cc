#include "ingest/json_line.h"

#include <cstdint>
#include <cstring>

namespace cco {
namespace {

bool HexUnit(const char* data, size_t size, size_t at, uint32_t* unit) {
  if (at + 4 > size) return false;
  uint32_t v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = data[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      v |= static_cast<uint32_t>((c | 0x20) - 'a' + 10);
    } else {
      return false;
    }
  }
  *unit = v;
  return true;
}

// JSON allows any \uXXXX escape, and JavaScript writes a lone UTF-16
// surrogate as one (a string cut inside an emoji), but simdjson rejects it.
// Rewrites each lone surrogate escape inside a string to \ufffd, in place and
// at the same length; returns whether anything changed.
bool ReplaceLoneSurrogateEscapes(char* data, size_t size) {
  bool changed = false;
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    if (!in_string) {
      in_string = data[i] == '"';
      continue;
    }
    if (data[i] == '"') {
      in_string = false;
      continue;
    }
    if (data[i] != '\\' || i + 1 >= size) continue;
    uint32_t unit = 0;
    if (data[i + 1] != 'u' || !HexUnit(data, size, i + 2, &unit)) {
      ++i;  // a two-character escape (or a bad one: the parser reports it)
      continue;
    }
    uint32_t low = 0;
    if (unit >= 0xD800 && unit <= 0xDBFF && i + 12 <= size && data[i + 6] == '\\' && data[i + 7] == 'u' &&
        HexUnit(data, size, i + 8, &low) && low >= 0xDC00 && low <= 0xDFFF) {
      i += 11;  // a proper pair
      continue;
    }
    if (unit >= 0xD800 && unit <= 0xDFFF) {
      std::memcpy(data + i, "\\ufffd", 6);
      changed = true;
    }
    i += 5;
  }
  return changed;
}

}  // namespace

simdjson::error_code ParseJsonLine(simdjson::dom::parser& parser, std::string* padded, std::string_view line,
                                   simdjson::dom::element* root) {
  padded->resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded->data(), line.data(), line.size());
  simdjson::error_code err = parser.parse(padded->data(), line.size(), false).get(*root);
  if (err == simdjson::STRING_ERROR && ReplaceLoneSurrogateEscapes(padded->data(), line.size())) {
    err = parser.parse(padded->data(), line.size(), false).get(*root);
  }
  return err;
}

}  // namespace cco

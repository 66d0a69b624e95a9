// libFuzzer target: the transcript line parser on arbitrary bytes.
//
// The input is cut at '\n' into lines as the tailer would hand them on; each
// non-blank line is parsed twice by one reused parser. What must hold for
// any bytes (else the process aborts and libFuzzer keeps the input):
// no crash or sanitizer report; a record's raw is the line's exact bytes
// (raw loses nothing, a CRLF's '\r' included); its key (line hash, kind,
// uuid) does not depend on what the parser saw before.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/line_parser.h"
#include "src/record.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cco::LineParser* parser = new cco::LineParser();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  int64_t offset = 0;
  while (offset < static_cast<int64_t>(input.size())) {
    size_t nl = input.find('\n', static_cast<size_t>(offset));
    if (nl == std::string_view::npos) nl = input.size();
    const std::string_view line = input.substr(static_cast<size_t>(offset), nl - static_cast<size_t>(offset));
    if (!line.empty() && line != "\r") {
      cco::LineRecord first = parser->Parse(line, offset);
      cco::LineRecord again = parser->Parse(line, offset);
      Require(first.raw == line);
      Require(first.offset == offset);
      Require(first.line_hash == again.line_hash && first.kind == again.kind && first.uuid == again.uuid &&
              first.session_id == again.session_id && first.content == again.content);
    }
    offset = static_cast<int64_t>(nl) + 1;
  }
  return 0;
}

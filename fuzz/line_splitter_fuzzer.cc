// libFuzzer target: the tailer's chunking of a byte stream (LineSplitter).
//
// The first bytes of the input choose the block sizes, the line limit and
// the kept prefix; the rest is the stream. The stream is fed in those blocks
// and, separately, in one piece. What must hold for any bytes: the lines
// and their offsets do not depend on the block sizes; lines are contiguous
// (each starts where the previous ended) and end just after a '\n' (or at
// the end, after Finish); a line within the limit is the stream's exact
// bytes; an oversized line keeps exactly its first bytes and its full
// length; consumed() is just after the last line handed on.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ingest/line_splitter.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

struct Line {
  std::string text;
  int64_t start, length, end;
  bool oversized;
  bool operator==(const Line&) const = default;
};

std::vector<Line> Split(std::string_view stream, const std::vector<size_t>& blocks, int64_t start,
                        int64_t max_line, size_t keep) {
  cco::LineSplitter splitter(start, max_line, keep);
  std::vector<Line> lines;
  auto take = [&](const cco::SplitLine& l) {
    lines.push_back({std::string(l.text), l.start, l.length, l.end, l.oversized});
    return absl::OkStatus();
  };
  size_t pos = 0, i = 0;
  while (pos < stream.size()) {
    const size_t n = std::min(stream.size() - pos, blocks.empty() ? stream.size() : blocks[i++ % blocks.size()]);
    Require(splitter.Feed(stream.substr(pos, n), take).ok());
    pos += n;
    Require(lines.empty() || splitter.consumed() == lines.back().end);
  }
  Require(splitter.Finish(take).ok());
  Require(splitter.consumed() == (lines.empty() ? start : lines.back().end));
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const int64_t max_line = 1 + data[0] % 64;  // small limits reach the oversized path often
  const size_t keep = static_cast<size_t>(data[1] % (max_line + 1));
  std::vector<size_t> blocks = {1 + static_cast<size_t>(data[2] % 17), 1 + static_cast<size_t>(data[3] % 5)};
  const std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);
  const int64_t start = 1000;

  const std::vector<Line> in_blocks = Split(stream, blocks, start, max_line, keep);
  const std::vector<Line> whole = Split(stream, {}, start, max_line, keep);
  Require(in_blocks == whole);

  int64_t at = start;
  for (size_t i = 0; i < whole.size(); ++i) {
    const Line& l = whole[i];
    Require(l.start == at);
    const std::string_view bytes = stream.substr(static_cast<size_t>(l.start - start), static_cast<size_t>(l.length));
    const bool last = i + 1 == whole.size();
    const bool has_newline = static_cast<size_t>(l.end - start) <= stream.size() && l.end == l.start + l.length + 1;
    Require(has_newline ? stream[static_cast<size_t>(l.end - start - 1)] == '\n'
                        : last && l.end == start + static_cast<int64_t>(stream.size()));
    Require(bytes.find('\n') == std::string_view::npos);
    Require(l.oversized == (l.length > max_line));
    Require(l.oversized ? l.text == bytes.substr(0, keep) : l.text == bytes);
    at = l.end;
  }
  Require(at == start + static_cast<int64_t>(stream.size()));
  return 0;
}

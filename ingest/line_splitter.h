// Splits bytes fed in blocks of any size into lines ending in '\n', each with
// its offsets in the file. Knows nothing of JSON or of transcripts: the
// tailer decides what a line becomes.
//
// Memory is bounded by max_line_bytes plus one block: a line longer than
// max_line_bytes is not kept whole; its first `keep_prefix_bytes` bytes and
// its full length are handed on instead (an oversized line), however long it
// grows.
//
// Thread-safety: one thread per splitter.
#ifndef CCO_INGEST_LINE_SPLITTER_H_
#define CCO_INGEST_LINE_SPLITTER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace cco {

struct SplitLine {
  // The line without its '\n'; for an oversized line only its first bytes.
  // Valid during the callback only.
  std::string_view text;
  int64_t start = 0;   // file offset of the line's first byte
  int64_t length = 0;  // the whole line's bytes, without '\n'
  int64_t end = 0;     // file offset just after the '\n' (after the last byte for a final line without one)
  bool oversized = false;  // length > max_line_bytes; `text` is the kept prefix
};

using LineCallback = absl::FunctionRef<absl::Status(const SplitLine&)>;

class LineSplitter {
 public:
  // `start` is the file offset of the first byte that will be fed.
  LineSplitter(int64_t start, int64_t max_line_bytes, size_t keep_prefix_bytes)
      : next_line_(start), max_line_bytes_(max_line_bytes), keep_prefix_bytes_(keep_prefix_bytes) {}

  // Feeds the next bytes of the file; calls `on_line` for every line they
  // complete, in file order. Stops at, and returns, the first error
  // `on_line` returns (the splitter must not be fed again after that).
  absl::Status Feed(std::string_view data, LineCallback on_line);

  // At the end of a file known to be complete (replay): hands on the bytes
  // after the last '\n', if any, as a final line.
  absl::Status Finish(LineCallback on_line);

  // The file offset just after the last line handed on.
  int64_t consumed() const { return next_line_; }

 private:
  void Append(std::string_view data);
  absl::Status Emit(std::string_view text, int64_t length, int64_t end, LineCallback on_line);

  int64_t next_line_;             // offset of the line being assembled
  const int64_t max_line_bytes_;
  const size_t keep_prefix_bytes_;
  std::string partial_;           // bytes of that line so far (at most max_line_bytes)
  bool skipping_ = false;         // that line is over the limit: only its prefix is kept
  int64_t skipped_length_ = 0;    // its bytes so far, while skipping
};

}  // namespace cco

#endif  // CCO_INGEST_LINE_SPLITTER_H_

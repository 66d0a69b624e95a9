#include "ingest/line_splitter.h"

#include <algorithm>

#include "src/status.h"

namespace cco {
namespace {

// A line buffer grown past this by a long line is given back once that line
// is handed on, rather than kept for the rest of the file.
constexpr size_t kKeepBufferBytes = 4 << 20;

}  // namespace

absl::Status LineSplitter::Emit(std::string_view text, int64_t length, int64_t end, LineCallback on_line) {
  SplitLine line;
  line.oversized = length > max_line_bytes_;
  line.text = line.oversized ? text.substr(0, keep_prefix_bytes_) : text;
  line.start = next_line_;
  line.length = length;
  line.end = end;
  next_line_ = end;
  return on_line(line);
}

void LineSplitter::Append(std::string_view data) {
  // Grows at most to what the longest accepted line needs (string growth
  // would double past it).
  if (partial_.size() + data.size() > partial_.capacity()) {
    partial_.reserve(std::max(partial_.size() + data.size(),
                              std::min(2 * partial_.capacity(), static_cast<size_t>(max_line_bytes_) + 1)));
  }
  partial_.append(data);
}

absl::Status LineSplitter::Feed(std::string_view data, LineCallback on_line) {
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    const size_t take = nl == std::string_view::npos ? data.size() : nl;
    if (skipping_) {
      // Inside an oversized line: keep its first bytes, count the rest.
      if (partial_.size() < keep_prefix_bytes_) {
        partial_.append(data.substr(0, std::min(take, keep_prefix_bytes_ - partial_.size())));
      }
      skipped_length_ += static_cast<int64_t>(take);
      if (nl == std::string_view::npos) return absl::OkStatus();
      const int64_t length = skipped_length_;
      skipping_ = false;
      skipped_length_ = 0;
      std::string prefix = std::move(partial_);
      partial_.clear();
      RETURN_IF_ERROR(Emit(prefix, length, next_line_ + length + 1, on_line));
    } else if (nl == std::string_view::npos) {
      // The line goes on in the next block: keep it, unless that would pass
      // the limit; then only its first bytes are kept from here on.
      if (static_cast<int64_t>(partial_.size() + data.size()) > max_line_bytes_) {
        skipping_ = true;
        skipped_length_ = static_cast<int64_t>(partial_.size() + data.size());
        if (partial_.size() < keep_prefix_bytes_) {
          partial_.append(data.substr(0, keep_prefix_bytes_ - partial_.size()));
        }
        partial_.resize(std::min(partial_.size(), keep_prefix_bytes_));
        partial_.shrink_to_fit();
      } else {
        Append(data);
      }
      return absl::OkStatus();
    } else if (partial_.empty()) {
      // A whole line inside this block: handed on without a copy.
      RETURN_IF_ERROR(Emit(data.substr(0, nl), static_cast<int64_t>(nl), next_line_ + static_cast<int64_t>(nl) + 1,
                           on_line));
    } else {
      Append(data.substr(0, nl));
      const int64_t length = static_cast<int64_t>(partial_.size());
      std::string line = std::move(partial_);
      partial_.clear();
      RETURN_IF_ERROR(Emit(line, length, next_line_ + length + 1, on_line));
      // Reuse the buffer for the next partial line, unless a long line grew it.
      if (line.capacity() <= kKeepBufferBytes) {
        partial_ = std::move(line);
        partial_.clear();
      }
    }
    data.remove_prefix(nl + 1);
  }
  return absl::OkStatus();
}

absl::Status LineSplitter::Finish(LineCallback on_line) {
  if (skipping_) {
    const int64_t length = skipped_length_;
    skipping_ = false;
    skipped_length_ = 0;
    std::string prefix = std::move(partial_);
    partial_.clear();
    return Emit(prefix, length, next_line_ + length, on_line);
  }
  if (partial_.empty()) return absl::OkStatus();
  std::string line = std::move(partial_);
  partial_.clear();
  const int64_t length = static_cast<int64_t>(line.size());
  return Emit(line, length, next_line_ + length, on_line);
}

}  // namespace cco

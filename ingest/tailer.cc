#include "ingest/tailer.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "ingest/identity.h"
#include "ingest/line_splitter.h"
#include "src/derive.h"
#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

bool IsBlank(std::string_view line) { return line.empty() || line == "\r"; }

// Editors on Windows may start a file with a UTF-8 byte-order mark. It is part
// of the file's encoding, not of its first line, so it is passed over there
// (and only there: the same bytes later in a file are a line's own content).
// The record's offset and length then cover the JSON alone; read_position and
// the fingerprints still count and hash every byte of the file.
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

void SkipByteOrderMark(std::string_view& line, int64_t& line_start) {
  if (line_start == 0 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    line.remove_prefix(kUtf8Bom.size());
    line_start = static_cast<int64_t>(kUtf8Bom.size());
  }
}

class ChunkBuilder {
 public:
  ChunkBuilder(FileState& state, RandomAccessFile& file, const FileInfo& info, const TailOptions& options,
               const ChunkSink& sink)
      : state_(state), file_(file), info_(info), options_(options), sink_(sink) {}

  void Begin(int64_t start, int64_t generation, bool new_generation) {
    chunk_ = FileChunk();
    chunk_.location = state_.location;
    chunk_.generation = generation;
    chunk_.new_generation = new_generation;
    chunk_.start = start;
    chunk_.end = start;
    chunk_.prior_checksum_len = state_.identity.checksum_len;
    chunk_.prior_checksum = state_.identity.checksum;
    lines_ = 0;
  }

  // Adds what `line` becomes (nothing for a blank line) and hands the chunk
  // on when it is full.
  absl::Status Take(const SplitLine& line, LineParser& parser) {
    chunk_.end = line.end;
    if (line.oversized) {
      chunk_.records.push_back(OversizedLineRecord(line.text, line.start, line.length,
                                                   StableHash(line.text) ^ static_cast<uint64_t>(line.length),
                                                   static_cast<size_t>(options_.max_line_bytes)));
      ++lines_;
    } else {
      std::string_view text = line.text;
      int64_t start = line.start;
      SkipByteOrderMark(text, start);
      if (!IsBlank(text)) {
        LineRecord rec = parser.Parse(text, start);
        rec.usage_copy = CountedUsage(rec);
        chunk_.records.push_back(std::move(rec));
        ++lines_;
      }
    }
    return Full() ? Flush(false) : absl::OkStatus();
  }

  bool Full() const {
    return chunk_.records.size() >= options_.chunk_records ||
           chunk_.end - chunk_.start >= options_.chunk_bytes;
  }

  // Hands the chunk on when it holds anything (or must create/renew the row).
  absl::Status Flush(bool force) {
    if (!force && chunk_.end == chunk_.start) return absl::OkStatus();
    FileIdentity& id = chunk_.identity;
    id.dev = info_.dev;
    id.inode = info_.inode;
    id.size = std::max<int64_t>(info_.size, chunk_.end);
    id.mtime_ns = info_.mtime_ns;
    RETURN_IF_ERROR(Fingerprint(file_, chunk_.end, &id));
    const int64_t end = chunk_.end;
    const int64_t generation = chunk_.generation;
    state_.identity = id;
    state_.generation = generation;
    state_.read_position = end;
    state_.line_count = (chunk_.new_generation ? 0 : state_.line_count) + lines_;
    state_.archived = false;
    RETURN_IF_ERROR(sink_(std::move(chunk_)));
    Begin(end, generation, false);
    return absl::OkStatus();
  }

 private:
  FileState& state_;
  RandomAccessFile& file_;
  const FileInfo& info_;
  const TailOptions& options_;
  const ChunkSink& sink_;
  FileChunk chunk_;
  int64_t lines_ = 0;
};

}  // namespace

absl::StatusOr<TailResult> TailFile(Env& env, FileState& state, const TailOptions& options, LineParser& parser,
                                    const ChunkSink& sink) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env.Open(state.location.path));
  ASSIGN_OR_RETURN(FileInfo info, file->Stat());
  return TailOpenFile(*file, info, state, options, parser, sink);
}

absl::StatusOr<TailResult> TailOpenFile(RandomAccessFile& file, const FileInfo& info, FileState& state,
                                        const TailOptions& options, LineParser& parser, const ChunkSink& sink) {
  const std::string& path = state.location.path;
  if (!info.is_regular()) return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));

  ASSIGN_OR_RETURN(IdentityCheck check, CheckIdentity(file, info, state));
  TailResult result;
  int64_t pos = state.read_position;
  int64_t generation = state.generation;
  if (check.decision == ResumeDecision::kNewGeneration) {
    result.new_generation = true;
    result.reason = check.reason;
    pos = 0;
    generation = state.generation + 1;
  }
  const int64_t start_position = pos;

  ChunkBuilder chunk(state, file, info, options, sink);
  chunk.Begin(pos, generation, result.new_generation);
  LineSplitter splitter(pos, options.max_line_bytes, kQuarantinePrefixBytes);
  auto on_line = [&](const SplitLine& line) { return chunk.Take(line, parser); };

  // Sized for what fstat says is pending, not always read_block: most calls
  // read a few appended lines, and a zero-filled 1 MiB block per call was
  // most of the cost of a reconcile over thousands of small files (and, under
  // TSan, ~100x more). Bytes appended meanwhile are still read, in more steps.
  const int64_t pending = std::max<int64_t>(info.size - pos, 0);
  std::string block(static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(options.read_block),
                                                          std::max<int64_t>(pending, 4096))),
                    '\0');
  // A read error ends the call: the chunks handed on so far stand (the state
  // is theirs), the lines after them are read again by the next call.
  for (int64_t read_at = pos;;) {
    ASSIGN_OR_RETURN(size_t n, file.Read(read_at, block.size(), block.data()));
    if (n == 0) break;
    read_at += static_cast<int64_t>(n);
    RETURN_IF_ERROR(splitter.Feed(std::string_view(block.data(), n), on_line));
  }
  if (options.take_unterminated_final_line) RETURN_IF_ERROR(splitter.Finish(on_line));
  RETURN_IF_ERROR(chunk.Flush(/*force=*/result.new_generation));
  result.bytes = state.read_position - start_position;
  return result;
}

}  // namespace cco

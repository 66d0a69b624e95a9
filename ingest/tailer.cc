#include "ingest/tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "ingest/identity.h"
#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool IsBlank(std::string_view line) { return line.empty() || line == "\r"; }

// Editors on Windows may start a file with a UTF-8 byte-order mark. It is part
// of the file's encoding, not of its first line, so it is passed over there
// (and only there: the same bytes later in a file are a line's own content).
// The record's offset and length then cover the JSON alone; read_position and
// the fingerprints still count and hash every byte of the file.
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// A line buffer grown past this by a long line is shrunk once it is used.
constexpr size_t kKeepBufferBytes = 4 << 20;

void SkipByteOrderMark(std::string_view& line, int64_t& line_start) {
  if (line_start == 0 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    line.remove_prefix(kUtf8Bom.size());
    line_start = static_cast<int64_t>(kUtf8Bom.size());
  }
}

class ChunkBuilder {
 public:
  ChunkBuilder(FileState& state, int fd, const struct stat& st, const TailOptions& options,
               const ChunkSink& sink)
      : state_(state), fd_(fd), st_(st), options_(options), sink_(sink) {}

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

  void Add(LineRecord&& rec, int64_t end) {
    chunk_.records.push_back(std::move(rec));
    chunk_.end = end;
    ++lines_;
  }
  void Skip(int64_t end) { chunk_.end = end; }

  bool Full() const {
    return chunk_.records.size() >= options_.chunk_records ||
           chunk_.end - chunk_.start >= options_.chunk_bytes;
  }

  // Hands the chunk on when it holds anything (or must create/renew the row).
  absl::Status Flush(bool force) {
    if (!force && chunk_.end == chunk_.start) return absl::OkStatus();
    FileIdentity& id = chunk_.identity;
    id.dev = static_cast<int64_t>(st_.st_dev);
    id.inode = static_cast<int64_t>(st_.st_ino);
    id.size = std::max<int64_t>(st_.st_size, chunk_.end);
    id.mtime_ns = MtimeNs(st_);
    RETURN_IF_ERROR(Fingerprint(fd_, chunk_.end, &id));
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
  int fd_;
  const struct stat& st_;
  const TailOptions& options_;
  const ChunkSink& sink_;
  FileChunk chunk_;
  int64_t lines_ = 0;
};

}  // namespace

absl::StatusOr<TailResult> TailFile(FileState& state, const TailOptions& options,
                                    LineParser& parser, const ChunkSink& sink) {
  const std::string& path = state.location.path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", path));
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, absl::StrCat("cannot stat ", path));
  return TailOpenFile(fd, st, state, options, parser, sink);
}

absl::StatusOr<TailResult> TailOpenFile(int fd, const struct stat& st, FileState& state,
                                        const TailOptions& options, LineParser& parser,
                                        const ChunkSink& sink) {
  const std::string& path = state.location.path;
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));

  ASSIGN_OR_RETURN(IdentityCheck check, CheckIdentity(fd, st, state));
  TailResult result;
  int64_t pos = state.read_position;  // file offset of buf[0]
  int64_t generation = state.generation;
  if (check.decision == ResumeDecision::kNewGeneration) {
    result.new_generation = true;
    result.reason = check.reason;
    pos = 0;
    generation = state.generation + 1;
  }
  const int64_t start_position = pos;

  ChunkBuilder chunk(state, fd, st, options, sink);
  chunk.Begin(pos, generation, result.new_generation);

  std::string buf;        // bytes of the current partial line, from pos
  const size_t line_buffer_cap = static_cast<size_t>(options.max_line_bytes) + options.read_block + 1;
  size_t scan_from = 0;   // where to look for the next '\n' in buf
  bool skipping = false;  // inside a line longer than max_line_bytes
  std::string oversized_prefix;
  int64_t oversized_len = 0;
  // Sized for what fstat says is pending, not always read_block: most calls
  // read a few appended lines, and a zero-filled 1 MiB block per call was
  // most of the cost of a reconcile over thousands of small files (and, under
  // TSan, ~100x more). Bytes appended meanwhile are still read, in more steps.
  const int64_t pending = std::max<int64_t>(st.st_size - pos, 0);
  std::string block(static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(options.read_block),
                                                          std::max<int64_t>(pending, 4096))),
                    '\0');
  int64_t read_at = pos;
  bool eof = false;

  auto consume_line = [&](std::string_view line, int64_t line_start, int64_t line_end) {
    SkipByteOrderMark(line, line_start);
    if (!IsBlank(line)) {
      chunk.Add(parser.Parse(line, line_start), line_end);
      ++result.lines;
    } else {
      chunk.Skip(line_end);
    }
  };

  while (!eof) {
    ssize_t n = ::pread(fd, block.data(), block.size(), read_at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("cannot read ", path));
    }
    if (n == 0) {
      eof = true;
      break;
    }
    read_at += n;
    std::string_view data(block.data(), static_cast<size_t>(n));
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (skipping) {
        size_t take = nl == std::string_view::npos ? data.size() : nl;
        if (oversized_prefix.size() < kQuarantinePrefixBytes) {
          oversized_prefix.append(data.substr(0, std::min(take, kQuarantinePrefixBytes - oversized_prefix.size())));
        }
        oversized_len += static_cast<int64_t>(take);
        if (nl == std::string_view::npos) break;
        int64_t line_end = pos + oversized_len + 1;
        chunk.Add(OversizedLineRecord(oversized_prefix, pos, oversized_len,
                                      StableHash(oversized_prefix) ^ static_cast<uint64_t>(oversized_len),
                                      static_cast<size_t>(options.max_line_bytes)),
                  line_end);
        ++result.lines;
        pos = line_end;
        skipping = false;
        oversized_prefix.clear();
        oversized_len = 0;
        data.remove_prefix(nl + 1);
        if (chunk.Full()) RETURN_IF_ERROR(chunk.Flush(false));
        continue;
      }
      const std::string_view piece = nl == std::string_view::npos ? data : data.substr(0, nl + 1);
      data.remove_prefix(piece.size());
      // Grow the line buffer at most to what the longest accepted line
      // needs (string growth would double past it).
      if (buf.size() + piece.size() > buf.capacity()) {
        buf.reserve(std::max(buf.size() + piece.size(),
                             std::min(2 * buf.capacity(), line_buffer_cap)));
      }
      buf.append(piece);
      // Lines complete within buf.
      size_t start = 0;
      size_t found;
      while ((found = buf.find('\n', scan_from)) != std::string::npos) {
        std::string_view line(buf.data() + start, found - start);
        int64_t line_start = pos + static_cast<int64_t>(start);
        int64_t line_end = pos + static_cast<int64_t>(found) + 1;
        if (static_cast<int64_t>(line.size()) > options.max_line_bytes) {
          chunk.Add(OversizedLineRecord(line.substr(0, kQuarantinePrefixBytes), line_start,
                                        static_cast<int64_t>(line.size()),
                                        StableHash(line.substr(0, kQuarantinePrefixBytes)) ^ line.size(),
                                        static_cast<size_t>(options.max_line_bytes)),
                    line_end);
          ++result.lines;
        } else {
          consume_line(line, line_start, line_end);
        }
        start = found + 1;
        scan_from = start;
        if (chunk.Full()) RETURN_IF_ERROR(chunk.Flush(false));
      }
      if (start > 0) {
        pos += static_cast<int64_t>(start);
        buf.erase(0, start);
        // After a long line, give its buffer back rather than keep it for
        // the rest of the file.
        if (buf.capacity() > kKeepBufferBytes && buf.size() < kKeepBufferBytes / 2) buf.shrink_to_fit();
      }
      scan_from = buf.size();
      if (static_cast<int64_t>(buf.size()) > options.max_line_bytes) {
        // No '\n' within the limit: skip the rest of this line in bounded steps.
        skipping = true;
        oversized_prefix.assign(buf.data(), std::min(buf.size(), kQuarantinePrefixBytes));
        oversized_len = static_cast<int64_t>(buf.size());
        buf.clear();
        buf.shrink_to_fit();
        scan_from = 0;
      }
    }
  }

  if (options.take_unterminated_final_line) {
    if (skipping) {
      chunk.Add(OversizedLineRecord(oversized_prefix, pos, oversized_len,
                                    StableHash(oversized_prefix) ^ static_cast<uint64_t>(oversized_len),
                                    static_cast<size_t>(options.max_line_bytes)),
                pos + oversized_len);
      ++result.lines;
    } else if (!buf.empty()) {
      consume_line(buf, pos, pos + static_cast<int64_t>(buf.size()));
    }
  }
  const bool must_record = result.new_generation;
  RETURN_IF_ERROR(chunk.Flush(must_record));
  result.bytes = state.read_position - start_position;
  return result;
}

}  // namespace cco

// Reads the complete new lines of one transcript from its stored read
// position and hands them on as FileChunks: records plus the file state after
// them, so that rows and position commit together.
//
// Only bytes up to the last '\n' are consumed; a trailing fragment waits for
// the next call (replay mode takes it as a final line). Memory is bounded by
// the read buffer plus the longest accepted line: a line longer than
// max_line_bytes is skipped through in bounded steps and quarantined with its
// first bytes kept.
#ifndef CCO_INGEST_TAILER_H_
#define CCO_INGEST_TAILER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "ingest/env.h"
#include "ingest/line_parser.h"
#include "src/memory_budget.h"
#include "src/record.h"

namespace cco {

struct TailOptions {
  int64_t max_line_bytes = kDefaultMaxLineBytes;  // see src/memory_budget.h
  int64_t chunk_bytes = 4 << 20;     // a chunk closes after this many bytes of lines
  size_t chunk_records = 2048;       // … or this many records
  size_t read_block = 1 << 20;
  bool take_unterminated_final_line = false;  // replay: files are complete
};

struct TailResult {
  int64_t bytes = 0;       // bytes consumed
  bool new_generation = false;
  std::string reason;      // why a new generation
};

using ChunkSink = std::function<absl::Status(FileChunk&&)>;

// Tails `state.location.path`, opened through `env`. `state` is the stored
// state (generation 0 for a file never seen) and is advanced to the state
// after the last chunk handed to `sink`. A chunk with no records is still
// handed on for a new file or a new generation, so the files table knows it.
// Errors: the file's (open, stat, read: the chunks handed on before a read
// error stand, and `state` is theirs, so the next call reads on from there
// and no line is lost or handed on twice) and the sink's.
absl::StatusOr<TailResult> TailFile(Env& env, FileState& state, const TailOptions& options, LineParser& parser,
                                    const ChunkSink& sink);

// The same on a file already open: `file` and its own Stat() `info`. The
// caller that chose the row by this very file's inode reads the same file
// it chose, however fast its path changes meanwhile.
absl::StatusOr<TailResult> TailOpenFile(RandomAccessFile& file, const FileInfo& info, FileState& state,
                                        const TailOptions& options, LineParser& parser, const ChunkSink& sink);

}  // namespace cco

#endif  // CCO_INGEST_TAILER_H_

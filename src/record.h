// What a transcript line becomes, and the unit the writer commits: a FileChunk
// holds the records of a run of complete lines of one file together with the
// file state after them, so rows and read position commit atomically.
//
// Records own all their data (no views into parser buffers).
#ifndef CCO_SRC_RECORD_H_
#define CCO_SRC_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cco {

// Token counts of one API response copy, as written on the line.
struct Usage {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cache_creation = 0;     // nested cache_creation 5m+1h when present, else the flat field
  int64_t cache_creation_1h = 0;  // the part written to the 1-hour cache (priced higher)
  int64_t cache_read = 0;
  bool has_speed = false;         // usage.speed present (wins ties, as in the reference)
  bool fast = false;              // usage.speed == "fast": priced with the model's fast multiplier
  int64_t total() const { return input + output + cache_creation + cache_read; }
};

// A usage-bearing copy of an API response: a line's own message.usage, or an
// assistant message embedded in a progress line (agent_progress). Which one
// counts for a line is token accounting's choice (CountedUsage, derive.h).
struct UsageCopy {
  std::string api_message_id;  // message.id; empty when absent (never deduplicated)
  std::string request_id;      // empty when absent
  std::string model;
  Usage usage;
  int64_t timestamp_ms = 0;
  bool is_sidechain = false;
  std::optional<double> cost_usd;  // the line's own costUSD, which overrides the price table
};

// An assistant response embedded in a progress line's data.message, as
// written: usage, model and id from data.message.message; time, requestId,
// isSidechain, costUSD and isApiErrorMessage from data.message.
struct EmbeddedResponse {
  UsageCopy copy;
  bool api_error_message = false;
};

struct ToolUse {
  std::string id;  // toolu_…
  std::string name;
  std::string input_json;
};

struct ToolResult {
  std::string tool_use_id;
  bool is_error = false;
  std::string text;  // result text, bounded
  // The tool's own run time from its line's toolUseResult (durationMs,
  // totalDurationMs, or durationSeconds x 1000), when it carries one.
  std::optional<int64_t> duration_ms;
};

enum class RecordKind { kMessage, kEvent, kQuarantine };

// A stored value (a line's raw bytes, a message's searchable text)
// compressed before it reaches the writer (RecordEncoder, compressor.h), on
// the producer's thread, so the writer thread only binds it. The writer
// uses it only when it was made with the dictionary the writer itself would
// use now; otherwise (ready false, or a dictionary trained or forgotten
// since) it compresses the value itself.
struct PreEncoded {
  bool ready = false;
  bool compressed = false;  // frame holds one zstd frame; else the value is stored as it is
  uint32_t dict_id = 0;     // the dictionary it was compressed with (0: none)
  std::string frame;
};

struct LineRecord {
  RecordKind kind = RecordKind::kEvent;
  int64_t offset = 0;     // byte offset of the line in the file
  int64_t length = 0;     // bytes of the line without '\n' (and without a stripped '\r')
  uint64_t line_hash = 0; // StableHash of the line bytes
  std::string raw;        // the line (quarantine: possibly only its first bytes)

  // Envelope (any may be empty: summary, snapshots and others lack some).
  std::string type;
  std::string subtype;
  std::string uuid;
  std::string parent_uuid;
  std::string session_id;
  std::string agent_id;
  std::string cwd;
  std::optional<int64_t> timestamp_ms;
  bool is_sidechain = false;
  bool is_meta = false;

  // Messages.
  std::string model;
  std::string api_message_id;
  std::string request_id;
  std::string stop_reason;  // message.stop_reason; empty when null or absent (a streamed block)
  std::string content;  // searchable text
  // What the message is to a reader (MessageKindOf, message_kind.h): set by
  // the parser for user/assistant/system lines, empty for other records.
  std::string message_kind;
  std::optional<Usage> usage;            // the line's own message.usage
  std::optional<double> cost_usd;        // the line's own costUSD
  bool api_error_message = false;        // isApiErrorMessage
  // A progress line's embedded response with usage and a timestamp.
  std::optional<EmbeddedResponse> embedded;
  // What counts for tokens (own or embedded), with a timestamp: set by
  // CountedUsage (derive.h) after parsing, never by the parser.
  std::optional<UsageCopy> usage_copy;
  std::vector<ToolUse> tool_uses;
  std::vector<ToolResult> tool_results;
  std::string tool_use_result_text;  // toolUseResult when it is a string ("User rejected tool use", …)
  bool tool_use_result_interrupted = false;  // toolUseResult.interrupted (Bash)

  // Events.
  std::string title;        // summary / ai-title / custom-title text
  std::string leaf_uuid;    // summary.leafUuid: the session that owns it gets the title

  // Quarantine.
  std::string reason;
  bool raw_truncated = false;

  // `raw` and (messages) `content` as they will be stored, when compressed
  // before the writer.
  PreEncoded raw_encoded;
  PreEncoded content_encoded;
};

// Where a file sits in the roots, derived from its path alone.
struct FileLocation {
  std::string path;          // absolute
  std::string root;          // the projects/ directory
  std::string project_dir;   // first directory under root
  std::string session_id;    // stem, or the parent session for agent files
  std::string agent_id;      // agent-<id> files only
  std::string agent_type;    // agentType of the agent-<id>.meta.json sidecar, if any
  std::string report_session;  // ccusage's key: stem, or parent dir for subagents/
};

// The identity of the bytes read, checked before resuming.
struct FileIdentity {
  int64_t dev = 0;
  int64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t head_len = 0;
  uint64_t head_checksum = 0;
  int64_t checksum_len = 0;  // bytes just before read_position that checksum covers
  uint64_t checksum = 0;
};

// What the files table remembers of one path.
struct FileState {
  int64_t file_id = 0;
  FileLocation location;
  FileIdentity identity;
  int64_t generation = 0;  // 0: never seen
  int64_t read_position = 0;
  int64_t line_count = 0;
  bool archived = false;
};

// A run of complete lines of one file plus the file state after them.
struct FileChunk {
  FileLocation location;
  FileIdentity identity;      // after this chunk
  int64_t generation = 1;     // generation these lines belong to
  bool new_generation = false;  // first chunk of a generation read from 0
  std::string renamed_from;     // the files row at this path moved here (same file, new name)
  // The row that held this path so far moves aside to this placeholder path
  // first (another file took its name: a swap, or a new file at a name whose
  // file went elsewhere), to be claimed by its file under its new name or
  // archived. The chunk then continues renamed_from's row, or a new row.
  std::string displaced_to;
  int64_t start = 0;          // read_position before
  // The identity of the bytes before `start` this chunk continues (the
  // checksum the files row must hold, unless new_generation): a chunk whose
  // numbers happen to match another file's row is still refused.
  int64_t prior_checksum_len = 0;
  uint64_t prior_checksum = 0;
  int64_t end = 0;            // read_position after (just after a '\n', or EOF in replay)
  std::vector<LineRecord> records;
  int64_t bytes() const { return end - start; }
};

// A path that disappeared: archive its files row (messages stay).
struct FileRemoval {
  std::string path;
};

}  // namespace cco

#endif  // CCO_SRC_RECORD_H_

// The memory budget of a writing command (`cco rescan`, `replay`, `watch`):
// the bound its peak resident set stays under for any input, and the limits
// that make it hold. docs/memory.md explains each term and how it was
// measured; tests/memory_test.cc checks the bound with real processes.
//
//   peak RSS  <=  kBaseBytes + kLineFactor * max_line_bytes
//
// kBaseBytes: code, libraries and stacks (~16 MiB), SQLite's page cache
// (kWriterCacheBytes), the records submitted to the writer and not yet
// committed (kWriterInFlightBytes), and the chunk being built with the
// parser's and FTS5's working memory for ordinary lines (~16 MiB).
// kLineFactor: what one line of the maximum size can cost at once — the
// reader's line buffer and simdjson's padded copy (2), simdjson's document
// (a line dense in numbers or brackets fills its tape and structural index:
// up to ~12 bytes per input byte), the record's copy of the line, and SQLite
// binding and storing it; searchable text is capped (kMaxSearchableText in
// ingest/line_parser.h), so indexing adds little. Measured: ~14.5 bytes per
// byte of the worst line (dense numbers), ~10 for a text of distinct words.
#ifndef CCO_SRC_MEMORY_BUDGET_H_
#define CCO_SRC_MEMORY_BUDGET_H_

#include <cstdint>

namespace cco {

// The writer connection's page cache (PRAGMA cache_size).
inline constexpr int64_t kWriterCacheBytes = int64_t{32} << 20;
// Records submitted and not yet committed (WriterOptions::max_queued_bytes).
inline constexpr int64_t kWriterInFlightBytes = int64_t{16} << 20;
// A batch closes at this many bytes of records (half the in-flight budget,
// so the reader fills the next batch while one commits).
inline constexpr int64_t kWriterBatchBytes = kWriterInFlightBytes / 2;
// The longest line read whole (--max-line-bytes); a longer one is
// quarantined with its first 64 KiB kept. The longest line in a large real
// corpus is ~1 MB.
inline constexpr int64_t kDefaultMaxLineBytes = int64_t{4} << 20;

inline constexpr int64_t kBaseBytes = (int64_t{32} << 20) + kWriterCacheBytes + kWriterInFlightBytes;
inline constexpr int64_t kLineFactor = 16;

// The bound on a writing command's peak RSS, in bytes, for its max line size.
constexpr int64_t PeakRssBound(int64_t max_line_bytes) { return kBaseBytes + kLineFactor * max_line_bytes; }

}  // namespace cco

#endif  // CCO_SRC_MEMORY_BUDGET_H_

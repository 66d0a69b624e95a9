// Verifies the derived data against a from-scratch recompute in SQL: every
// token rollup (by bucket and by session), activity counter and every
// conversation's stats must
// equal what the stored rows (usage winners, messages, tool executions)
// imply. Incremental maintenance is correct exactly when this finds nothing.
#ifndef CCO_SRC_CHECK_H_
#define CCO_SRC_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

// One FTS5 table's integrity-check (maintenance.h).
struct FtsCheckResult {
  std::string table;
  std::string error;     // "" when it holds
  bool skipped = false;  // not run (no read-write connection: read-only storage)
};

// Where a files row's read_position stands in its file on disk.
struct ReadPositionReport {
  int64_t checked = 0;  // rows whose file is there and unchanged
  int64_t skipped = 0;  // archived, gone, or changed since (another inode, shorter)
  std::vector<std::string> wrong;  // "PATH at N: ..." for positions not just after a '\n'
};

struct CheckReport {
  bool integrity_ok = false;
  std::string integrity;                 // PRAGMA integrity_check's first line
  int64_t rollup_mismatches = 0;         // analytics keys whose value differs
  int64_t session_mismatches = 0;
  int64_t conversation_mismatches = 0;
  int64_t block_start_mismatches = 0;    // billing_block_starts against a recompute (blocks.h)
  int64_t foreign_key_violations = 0;    // rows of PRAGMA foreign_key_check
  // Files whose line_count differs from the lines accounted for in their
  // current generation: rows, quarantined lines, duplicates and forgotten
  // lines (exactly once each).
  int64_t accounting_mismatches = 0;
  std::vector<FtsCheckResult> fts;       // every FTS5 table (filled by the caller)
  ReadPositionReport read_positions;     // filled by the caller (it reads files)
  std::vector<std::string> examples;     // a few mismatches, for people
  bool fts_ok() const {
    for (const FtsCheckResult& f : fts) {
      if (!f.error.empty()) return false;
    }
    return true;
  }
  // All of ok() but the line accounting: what a rebuild of derived data
  // (rederive) must leave true. No rebuild changes which lines are stored,
  // so a count an older version left wrong is reported by `cco check` and
  // does not keep every later rebuild (and the writer that runs it) from
  // going ahead.
  bool derived_ok() const {
    return integrity_ok && rollup_mismatches == 0 && session_mismatches == 0 && conversation_mismatches == 0 &&
           block_start_mismatches == 0 && foreign_key_violations == 0 && fts_ok() && read_positions.wrong.empty();
  }
  bool ok() const { return derived_ok() && accounting_mismatches == 0; }
};

// The checks that need only a read connection: integrity (and every stored
// value decodes), foreign keys, the recomputes. A file that fails its
// integrity check is reported as such, without the recomputes (which
// would only repeat SQLite's error).
absl::StatusOr<CheckReport> CheckDatabase(Db& db);

// FTS5's integrity-check of every FTS5 table (maintenance.h) on `rw`, a
// read-write connection to the same database.
absl::StatusOr<std::vector<FtsCheckResult>> CheckFullTextIndexes(Db& rw);

// What the database holds of a file, for the checks that compare it with
// the file on disk (the caller reads the disk: the core knows no files).

// One files row: where it is, how far it is committed, and the identity it
// had then.
struct StoredFile {
  std::string path;
  int64_t read_position = 0;  // bytes committed
  bool archived = false;      // gone from disk, history kept
  int64_t dev = 0;
  int64_t inode = 0;
  int64_t size = 0;
  int64_t updated_ms = 0;  // 0 for rows `cco replay` wrote (no clock)
};

// Every files row, by path (`cco check`'s read positions).
absl::StatusOr<std::vector<StoredFile>> LoadStoredFiles(Db& db);

// A file a session's messages or events came from (a session from several
// files appears once per file).
struct SessionSource {
  std::string session_id;
  std::string path;
  std::string root;
  int64_t read_position = 0;  // bytes committed
  bool archived = false;      // gone from disk, history kept
};

// Every session's source files, in no particular order (`cco check
// --sources`: which sessions a fresh replay can be compared with).
absl::StatusOr<std::vector<SessionSource>> LoadSessionSources(Db& db);

}  // namespace cco

#endif  // CCO_SRC_CHECK_H_

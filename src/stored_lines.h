// A transcript's lines read back from the database, byte-exact: the bytes
// between two newlines as they were read ('\r' of a CRLF line included),
// for the file's current generation, in file order. A line stored once
// under another file (a duplicate: the same key seen again) is given by the
// stored row with its content hash.
//
// Exceptions (docs/schema.md "What is kept byte-exact"): blank lines are not
// stored; a line over the max line size is kept as a quarantined prefix
// (`truncated`); a line whose later revision replaced the stored row gives
// the revision's bytes (`revised`), and an earlier revision recorded as a
// duplicate is found only by its hash.
#ifndef CCO_SRC_STORED_LINES_H_
#define CCO_SRC_STORED_LINES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

struct StoredLine {
  int64_t byte_offset = 0;
  std::string bytes;
  bool truncated = false;  // a quarantined prefix of an over-long line
  bool found = true;       // false: a duplicate whose stored copy is not in the database
};

// The lines of files row `file_id` (its current generation), by offset.
// NotFound when there is no such row.
absl::StatusOr<std::vector<StoredLine>> StoredLinesOfFile(Db& db, int64_t file_id);

}  // namespace cco

#endif  // CCO_SRC_STORED_LINES_H_

// A canonical dump of a database: what it holds, by natural keys only — no
// row ids, clock columns, generation numbers, byte offsets, absolute paths
// or duplicate records — so two databases built from the same transcripts
// in any way (one replay, rescans of files growing piece by piece, the live
// service, files replaced or rewritten on the way) compare equal line for
// line. Rows, usage winners, every rollup (zero rows dropped), tool
// executions, conversation stats and full-text hits for a fixed set of
// words. Used by `cco check --sources` and the differential tests.
#ifndef CCO_SRC_CANONICAL_H_
#define CCO_SRC_CANONICAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

struct CanonicalOptions {
  // Non-empty: per-session sections keep only these sessions, and the
  // rollups across sessions are left out.
  std::vector<std::string> only_sessions;
  // Each line's values after its first two cells as a 64-bit hash, so a
  // large database's dump stays small (a difference is still a difference).
  bool digest_values = false;
};

// Sorted lines, each "<table>|<natural key>|<values…>", all read in one
// read transaction.
absl::StatusOr<std::vector<std::string>> CanonicalDump(Db& db, const CanonicalOptions& options = {});

}  // namespace cco

#endif  // CCO_SRC_CANONICAL_H_

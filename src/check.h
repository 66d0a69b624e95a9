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

struct CheckReport {
  bool integrity_ok = false;
  std::string integrity;                 // PRAGMA integrity_check's first line
  int64_t rollup_mismatches = 0;         // analytics keys whose value differs
  int64_t session_mismatches = 0;
  int64_t conversation_mismatches = 0;
  std::vector<std::string> examples;     // a few mismatches, for people
  bool ok() const {
    return integrity_ok && rollup_mismatches == 0 && session_mismatches == 0 && conversation_mismatches == 0;
  }
};

absl::StatusOr<CheckReport> CheckDatabase(Db& db);

}  // namespace cco

#endif  // CCO_SRC_CHECK_H_

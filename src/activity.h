// What is happening now, for `cco top`: tokens and cost by model over a
// range, the sessions with usage in the last minutes, the latest tool
// errors. Each reads the rollups or an index, bounded however long the
// history, so a view refreshed every second costs milliseconds.
#ifndef CCO_SRC_ACTIVITY_H_
#define CCO_SRC_ACTIVITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

struct ModelUsage {
  std::string model;  // "" for usage without a model
  int64_t tokens = 0;  // input, output, cache creation and cache read
  int64_t cost_nanousd = 0;
};

// Tokens and cost by model of the 15-minute buckets in [from_ms, to_ms)
// (token_rollups), models that made an API call only, the costliest first
// (then by name).
absl::StatusOr<std::vector<ModelUsage>> UsageByModel(Db& db, int64_t from_ms, int64_t to_ms);

struct ActiveSession {
  std::string session;  // the report session
  std::string project;  // its project's cwd, else its directory name
  int64_t last_ms = 0;  // its latest usage in the range
  int64_t cost_nanousd = 0;  // the session's whole cost, not only the range's
};

// Sessions with usage stamped in [from_ms, to_ms], the latest first, at most
// `limit` of them.
absl::StatusOr<std::vector<ActiveSession>> ActiveSessions(Db& db, int64_t from_ms, int64_t to_ms, int64_t limit);

struct ToolError {
  int64_t at_ms = 0;   // when the call started
  std::string tool;    // "?" when unknown
  std::string output;  // "" when none
};

// The latest `limit` tool calls that ended in an error, started at or before
// `until_ms`, the latest first.
absl::StatusOr<std::vector<ToolError>> RecentToolErrors(Db& db, int64_t until_ms, int64_t limit);

}  // namespace cco

#endif  // CCO_SRC_ACTIVITY_H_

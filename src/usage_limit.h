// Claude Code's usage-limit notices: when a plan's limit is reached, Claude
// Code writes an assistant line of its own (`"model": "<synthetic>"` and/or
// `"isApiErrorMessage": true`, zero usage) whose text says so, with the reset
// time in one of two shapes:
//   - "Claude AI usage limit reached|1764570000" (older versions): the reset
//     as Unix seconds after a '|' (ccusage reads the same);
//   - "5-hour limit reached ∙ resets 2pm (Europe/Berlin)", "You've hit your
//     limit · resets 3:30pm (America/Los_Angeles)" (2.x): a clock time, taken
//     as its next occurrence after the line's timestamp in the named zone;
//     without a zone (or with one this system does not know) the reset is
//     unknown.
// The writer keeps them in `usage_limits` (docs/schema.md); blocks, the
// statusline and top show the known reset time.
#ifndef CCO_SRC_USAGE_LIMIT_H_
#define CCO_SRC_USAGE_LIMIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/record.h"
#include "src/sqlite.h"

namespace cco {

struct UsageLimitNotice {
  int64_t timestamp_ms = 0;
  std::optional<int64_t> reset_ms;  // nullopt: the notice gave none we can place in time
  std::string text;                 // the notice's text, at most 200 bytes
};

// The notice a stored line is, if any: an assistant line flagged as Claude
// Code's own (synthetic model or isApiErrorMessage) with a timestamp, whose
// text starts with one of the shapes above.
std::optional<UsageLimitNotice> UsageLimitOf(const LineRecord& rec);

// The reset time a notice's text gives, for a line written at `line_ms`.
std::optional<int64_t> ParseUsageLimitReset(std::string_view text, int64_t line_ms);

// The newest notice written at or before `now_ms` whose reset is still
// ahead of `now_ms` (the limit is in force): what statusline and top show.
absl::StatusOr<std::optional<UsageLimitNotice>> CurrentUsageLimit(Db& db, int64_t now_ms);

}  // namespace cco

#endif  // CCO_SRC_USAGE_LIMIT_H_

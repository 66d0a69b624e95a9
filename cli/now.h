// The current time as the reading commands see it: the clock, or $CCO_NOW
// when set, so that tests and golden comparisons fix "now" (which block is
// active, its projection, the statusline's time left).
#ifndef CCO_CLI_NOW_H_
#define CCO_CLI_NOW_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace cco {

// Milliseconds since the epoch. $CCO_NOW is an ISO 8601 time with an offset
// or Z (2026-01-01T10:00:00.000Z) or an integer of milliseconds since the
// epoch; anything else is InvalidArgument naming the variable.
absl::StatusOr<int64_t> CommandNowMs();

}  // namespace cco

#endif  // CCO_CLI_NOW_H_

#include "cli/now.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cco {

absl::StatusOr<int64_t> CommandNowMs() {
  const char* fixed = std::getenv("CCO_NOW");
  if (fixed == nullptr || *fixed == '\0') return absl::ToUnixMillis(absl::Now());
  int64_t ms = 0;
  if (absl::SimpleAtoi(fixed, &ms)) return ms;
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, fixed, &t, &error)) return absl::ToUnixMillis(t);
  return absl::InvalidArgumentError(
      absl::StrCat("CCO_NOW='", fixed, "' is not a time (2026-01-01T10:00:00Z or milliseconds since the epoch)"));
}

}  // namespace cco

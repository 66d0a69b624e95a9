// Formatting shared by the commands' human-readable output.
#ifndef CCO_CLI_FORMAT_H_
#define CCO_CLI_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace cco {

// "1.5 MB": decimal units, as file managers show sizes.
inline std::string HumanBytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return absl::StrFormat(u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
}

// ISO-8601 UTC with milliseconds, the transcripts' own format.
inline std::string IsoMs(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace cco

#endif  // CCO_CLI_FORMAT_H_

// Formatting shared by the commands' human-readable output.
#ifndef CCO_CLI_FORMAT_H_
#define CCO_CLI_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"

namespace cco {

// "1.5 MB": decimal units, as file managers show sizes.
inline std::string HumanBytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f %s", b, units[u])
                : absl::StrFormat("%.1f %s", b, units[u]);
}

// "1,234,567".
inline std::string Thousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return v < 0 ? "-" + out : out;
}

// "1 file", "2 files", "1,024 files": `plural` defaults to `singular` + "s".
inline std::string Plural(int64_t n, const std::string& singular, const std::string& plural = "") {
  return Thousands(n) + " " + (n == 1 ? singular : plural.empty() ? singular + "s" : plural);
}

// A duration as a person reads it: "850 ms", "12.4s", "54m 46s", "3h 05m",
// "2d 04h".
inline std::string HumanDuration(double ms) {
  if (ms < 1000) return absl::StrFormat("%.0f ms", ms);
  if (ms < 60'000) return absl::StrFormat("%.1fs", ms / 1000);
  const int64_t s = static_cast<int64_t>(ms / 1000 + 0.5);
  if (s < 3600) return absl::StrFormat("%dm %02ds", s / 60, s % 60);
  if (s < 86'400) return absl::StrFormat("%dh %02dm", s / 3600, s % 3600 / 60);
  return absl::StrFormat("%dd %02dh", s / 86'400, s % 86'400 / 3600);
}

}  // namespace cco

#endif  // CCO_CLI_FORMAT_H_

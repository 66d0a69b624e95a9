#include "cli/time_zone.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace cco {
namespace {

// "+09:00", "-0330", "+9": seconds east of UTC, or false.
bool ParseOffset(const std::string& text, int* seconds) {
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return false;
  std::string digits;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] == ':' && i == 3 && text.size() == 6) continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
    digits.push_back(text[i]);
  }
  int hours = 0;
  int minutes = 0;
  if (digits.size() <= 2) {
    if (!absl::SimpleAtoi(digits, &hours)) return false;
  } else if (digits.size() == 4) {
    if (!absl::SimpleAtoi(digits.substr(0, 2), &hours) || !absl::SimpleAtoi(digits.substr(2), &minutes)) return false;
  } else {
    return false;
  }
  if (hours > 14 || minutes >= 60 || (hours == 14 && minutes > 0)) return false;
  *seconds = (text[0] == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  return true;
}

// "Asia/Tokyo" from "/usr/share/zoneinfo/Asia/Tokyo" (or a posix/ or right/
// subtree of it); "" when the path is not under a zoneinfo directory.
std::string ZoneFromPath(const std::string& path) {
  const size_t at = path.rfind("zoneinfo/");
  if (at == std::string::npos) return "";
  std::string name = path.substr(at + 9);
  for (const char* prefix : {"posix/", "right/"}) {
    if (absl::StartsWith(name, prefix)) name = name.substr(std::string(prefix).size());
  }
  return name;
}

absl::StatusOr<ReportZone> Named(const std::string& name, const std::string& from) {
  ReportZone zone;
  if (name == "UTC" || name == "utc" || name == "Etc/UTC" || name == "Z" || name == "UTC0") {
    return ReportZone{absl::UTCTimeZone(), "UTC"};
  }
  int offset = 0;
  if (ParseOffset(name, &offset)) {
    const int m = offset < 0 ? -offset / 60 : offset / 60;
    return ReportZone{absl::FixedTimeZone(offset),
                      absl::StrFormat("UTC%c%02d:%02d", offset < 0 ? '-' : '+', m / 60, m % 60)};
  }
  if (!absl::LoadTimeZone(name, &zone.tz)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone '", name, "'", from,
        " (use an IANA name such as Europe/Berlin, UTC, or an offset such as +09:00 or -03:30)"));
  }
  zone.name = name;
  return zone;
}

}  // namespace

absl::StatusOr<ReportZone> ResolveReportZone(const std::string& flag) {
  if (!flag.empty()) return Named(flag, "");
  if (const char* tz = std::getenv("TZ"); tz != nullptr) {
    std::string name(absl::StripPrefix(tz, ":"));
    if (name.empty()) return ReportZone{absl::UTCTimeZone(), "UTC"};
    if (name[0] == '/') {
      std::string from_path = ZoneFromPath(name);
      if (!from_path.empty()) name = from_path;
    }
    return Named(name, " in $TZ; pass --tz to choose another");
  }
  char target[PATH_MAX];
  const ssize_t n = ::readlink("/etc/localtime", target, sizeof(target) - 1);
  if (n > 0) {
    std::string name = ZoneFromPath(std::string(target, static_cast<size_t>(n)));
    if (!name.empty()) return Named(name, " (from /etc/localtime); pass --tz to choose another");
  }
  std::ifstream timezone_file("/etc/timezone");
  std::string line;
  if (timezone_file && std::getline(timezone_file, line) && !absl::StripAsciiWhitespace(line).empty()) {
    return Named(std::string(absl::StripAsciiWhitespace(line)), " (from /etc/timezone); pass --tz to choose another");
  }
  if (::access("/etc/localtime", F_OK) == 0) {
    // A copied zone file without a name: its rules are right, its name unknown.
    return ReportZone{absl::LocalTimeZone(), "system zone"};
  }
  return ReportZone{absl::UTCTimeZone(), "UTC"};
}

}  // namespace cco

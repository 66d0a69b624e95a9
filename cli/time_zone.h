// The zone a report's days are cut in: --tz, else the system's zone, the
// way ccusage and date(1) find it (TZ, else /etc/localtime).
#ifndef CCO_CLI_TIME_ZONE_H_
#define CCO_CLI_TIME_ZONE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cco {

struct ReportZone {
  absl::TimeZone tz;
  std::string name;  // as shown in a report's title: "Asia/Tokyo", "UTC", "UTC+09:00"
};

// `flag` is --tz's value: an IANA name ("Europe/Berlin"), "utc"/"UTC", or a
// fixed offset "+09:00", "-03:30", "+0930" (UTC-14:00 … UTC+14:00). Empty:
// the system zone — $TZ (a leading ':' is dropped; a path under a zoneinfo
// directory names its zone; an empty TZ is UTC, as in glibc), else the zone
// /etc/localtime links to, else /etc/timezone, else UTC when /etc/localtime
// is absent. InvalidArgument naming what was not understood.
absl::StatusOr<ReportZone> ResolveReportZone(const std::string& flag);

}  // namespace cco

#endif  // CCO_CLI_TIME_ZONE_H_

// `cco report blocks`, called by `cco report` once the shared flags (zone,
// dates, database) are parsed.
#ifndef CCO_CLI_BLOCKS_COMMAND_H_
#define CCO_CLI_BLOCKS_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "cli/flags.h"
#include "cli/table.h"
#include "src/blocks.h"
#include "src/reader.h"

namespace cco {

struct BlocksView {
  absl::TimeZone tz;      // times are shown in it; blocks are cut in UTC whatever it is
  std::string zone_name;  // for the title
  TableStyle style;
  int64_t session_ms = kDefaultSessionMs;
};

// --active, --recent, --token-limit N|max, --session-length H, --order, --json.
int RunBlocksReport(const Args& args, const BlocksView& view, const ReportFilter& filter, Reader& db);

}  // namespace cco

#endif  // CCO_CLI_BLOCKS_COMMAND_H_

// `cco report blocks`, called by `cco report` once the shared flags (zone,
// dates, database) are parsed.
#ifndef CCO_CLI_BLOCKS_COMMAND_H_
#define CCO_CLI_BLOCKS_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

struct BlocksAnswer {
  BlocksView view;  // with --session-length applied
  std::vector<BillingBlock> blocks;
  std::optional<int64_t> limit;  // --token-limit (max: the largest completed block)
  int64_t now_ms = 0;
  bool active_only = false;
};

// The blocks the flags ask for (--active, --recent, --token-limit N|max,
// --session-length H, --order). InvalidArgument with the message a user
// sees for a flag that is not understood. `cco serve`'s /api/report/blocks
// answers BlocksJson of the same.
absl::StatusOr<BlocksAnswer> AnswerBlocks(const Args& args, const BlocksView& view, const ReportFilter& filter,
                                          Reader& db);

// --active, --recent, --token-limit N|max, --session-length H, --order, --json.
int RunBlocksReport(const Args& args, const BlocksView& view, const ReportFilter& filter, Reader& db);

}  // namespace cco

#endif  // CCO_CLI_BLOCKS_COMMAND_H_

// Billing blocks: Claude's subscription plans meter usage in 5-hour windows.
// The rules are ccusage's (`ccusage claude blocks`, v20.0.24; its
// identifySessionBlocks, calculateBurnRate and projectBlockUsage), applied to
// cco's usage winners (one entry per API response, counted as every report
// counts, see docs/token-accounting.md):
//
//   - entries in time order; a block starts at its first entry floored to the
//     UTC hour and ends `session_ms` (5 h) later;
//   - an entry starts a new block when it falls more than `session_ms` after
//     the block's start or more than `session_ms` after the previous entry;
//   - a gap of more than `session_ms` between two entries is a gap block from
//     the earlier entry + `session_ms` to the later entry;
//   - a block is active when now − its last entry < `session_ms` and now is
//     before its end;
//   - burn rate (active blocks only): tokens per minute (all four kinds, and
//     input + output for the indicator) and cost per hour over first → last
//     entry; none when they coincide;
//   - projection (active blocks only): the burn rate carried to the block's
//     end over the remaining minutes (rounded), tokens rounded, cost to cents.
//
// Everything is read from usage_winners through its index on timestamp_ms
// (migration 0012), never from messages. Times are ms since the epoch, UTC;
// money is nano-USD as stored (the JSON says USD).
#ifndef CCO_SRC_BLOCKS_H_
#define CCO_SRC_BLOCKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "src/report.h"
#include "src/sqlite.h"

namespace cco {

inline constexpr int64_t kDefaultSessionMs = 5 * 3600 * 1000;

// One usage winner, as a block sees it.
struct BlockEntry {
  int64_t timestamp_ms = 0;
  std::string model;
  TokenTotals tokens;  // api_calls = 1
};

struct BurnRate {
  double tokens_per_minute = 0;                // all four token kinds
  double tokens_per_minute_for_indicator = 0;  // input + output only
  double cost_per_hour_usd = 0;
};

struct Projection {
  int64_t total_tokens = 0;   // rounded
  double total_cost_usd = 0;  // rounded to cents
  int64_t remaining_minutes = 0;
};

struct BillingBlock {
  std::string id;  // ISO start time ("2026-01-01T10:00:00.000Z"), "gap-<ISO start>" for a gap
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::optional<int64_t> first_entry_ms;  // nullopt for a gap
  std::optional<int64_t> actual_end_ms;   // the last entry; nullopt for a gap
  bool is_active = false;
  bool is_gap = false;
  int64_t entries = 0;
  TokenTotals tokens;
  std::vector<std::string> models;  // in order of first use within the block
  std::optional<BurnRate> burn_rate;    // active blocks only
  std::optional<Projection> projection;  // active blocks only
  // The reset time of the last usage-limit notice inside the block
  // (usage_limits), when Claude Code reported one.
  std::optional<int64_t> usage_limit_reset_ms;
};

// The rule's one decision: an entry at `t_ms` starts a new block when it
// falls more than `session_ms` after the current block's start or after the
// previous entry.
inline bool StartsNewBlock(int64_t block_start_ms, int64_t previous_ms, int64_t t_ms, int64_t session_ms) {
  return t_ms - block_start_ms > session_ms || t_ms - previous_ms > session_ms;
}

// The start of the block whose first entry is at `first_entry_ms`: that
// time floored to the UTC hour.
int64_t BlockStartOf(int64_t first_entry_ms);

// The first entry of every block, over entry times sorted ascending: the
// blocks of IdentifyBlocks without their sums.
std::vector<int64_t> BlockFirstEntries(const std::vector<int64_t>& sorted_ms, int64_t session_ms = kDefaultSessionMs);

// The pure rule over entries sorted by time (ties in any fixed order).
std::vector<BillingBlock> IdentifyBlocks(const std::vector<BlockEntry>& sorted, int64_t now_ms,
                                  int64_t session_ms = kDefaultSessionMs);

// Burn rate of a block (also of an inactive one), nullopt for a gap or when
// its first and last entry coincide.
std::optional<BurnRate> BurnRateOf(const BillingBlock& block);
// Projection of a block at `now_ms` to its end; nullopt without a burn rate.
std::optional<Projection> ProjectionOf(const BillingBlock& block, int64_t now_ms);

struct BlocksQuery {
  int64_t now_ms = 0;
  int64_t session_ms = kDefaultSessionMs;
  // Filters on the blocks found over the whole history (as ccusage filters):
  // blocks whose start falls on these days of `tz`.
  absl::TimeZone tz = absl::UTCTimeZone();
  std::optional<absl::CivilDay> since;
  std::optional<absl::CivilDay> until;
  bool recent = false;       // started in the last 3 days, or active
  bool active_only = false;  // the active block alone
  // A team server's usage of these users and machines only (empty: all the
  // role reads). Blocks meter one person's plan, so a server asked for
  // blocks over several users' usage refuses (InvalidArgument).
  std::vector<std::string> users;
  std::vector<std::string> machines;
};

// The blocks of `all` (every block of the history, oldest first) that the
// query's filters keep: its days, --recent, --active.
std::vector<BillingBlock> FilterBlocks(std::vector<BillingBlock> all, const BlocksQuery& query);

// Every block of the history, filtered; oldest first.
absl::StatusOr<std::vector<BillingBlock>> LoadBlocks(Db& db, const BlocksQuery& query);

// The active block at `now_ms`, if any: what `cco statusline` and `cco top`
// ask every second. For the default session length it reads the last
// recorded block start at or before now (billing_block_starts, migration
// 0020) and the winners from there on: one block's entries, whatever the
// history. Otherwise (another session length, an older database, a start
// not yet recorded) it reads back from now to the last gap of more than
// `session_ms`, which for round-the-clock use is the whole history.
absl::StatusOr<std::optional<BillingBlock>> LoadActiveBlock(Db& db, int64_t now_ms, int64_t session_ms = kDefaultSessionMs);

// Brings billing_block_starts up to date with usage_winners: re-walks the
// blocks from the last recorded start before the first changed winner time
// (billing_blocks_state, set by triggers on usage_winners) until a new
// start past the last changed time is one already recorded (from there on
// nothing can differ), then clears the state. Nothing to do when nothing
// changed. REQUIRES: inside the writer's transaction (the writer calls it
// before every commit that may have changed usage winners).
absl::Status RefreshBlockStarts(Db& db);

// `cco check`: the recorded block starts against a recompute over every
// usage winner. Returns the number of differences (a start recorded and
// not recomputed or the reverse, a state left not up to date) and adds a
// few to `examples`. 0 for a database older than migration 0020.
absl::StatusOr<int64_t> BlockStartMismatches(Db& db, std::vector<std::string>* examples);

// `--token-limit max`: the most tokens of any completed (not active, not
// gap) block; 0 when there is none.
int64_t MaxCompletedBlockTokens(const std::vector<BillingBlock>& blocks);

// The same over the whole history at `now_ms`, without reading every entry:
// with a whole number of hours as `session_ms`, the completed blocks are
// runs of the hourly rollups (token_rollups_hourly) plus the entries stamped
// exactly on a block's end; only the blocks from the last one that may be
// active on are read entry by entry. Other lengths read every block.
absl::StatusOr<int64_t> LoadMaxCompletedBlockTokens(Db& db, int64_t now_ms, int64_t session_ms = kDefaultSessionMs);

// What a projection says against a token limit (ccusage's tokenLimitStatus):
// "exceeds" above the limit, "warning" above 80 % of it, else "ok".
struct TokenLimitStatus {
  int64_t limit = 0;
  int64_t projected = 0;
  double percent_used = 0;  // of the projection
  std::string status;
};
std::optional<TokenLimitStatus> LimitStatus(const BillingBlock& block, std::optional<int64_t> limit);

// ccusage's `blocks --json` shape: {"blocks":[…]} with id, startTime,
// endTime, actualEndTime, isActive, isGap, entries, tokenCounts, totalTokens,
// costUSD, models, burnRate, projection, tokenLimitStatus (with a limit) and
// usageLimitResetTime (when known); keys in ccusage's (alphabetical) order.
std::string BlocksJson(const std::vector<BillingBlock>& blocks, std::optional<int64_t> token_limit);

// The given time as ISO 8601 UTC with milliseconds.
std::string IsoUtcMs(int64_t ms);

}  // namespace cco

#endif  // CCO_SRC_BLOCKS_H_

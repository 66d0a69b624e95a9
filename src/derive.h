// Pure rules of the derived data: how a tool result's status is read, which
// copy of an API response wins, which 15-minute bucket a time falls in, and
// what a response costs. No I/O; the SQLite deriver applies them.
#ifndef CCO_SRC_DERIVE_H_
#define CCO_SRC_DERIVE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/record.h"

namespace cco {

inline constexpr int64_t kBucketMs = 15 * 60 * 1000;

// Start of the 15-minute UTC bucket holding `ms` (floor, also before 1970).
inline int64_t BucketStart(int64_t ms) {
  int64_t q = ms / kBucketMs;
  if (ms % kBucketMs < 0) --q;
  return q * kBucketMs;
}

inline constexpr int64_t kHourMs = 60 * 60 * 1000;

// Start of the UTC hour holding `ms`.
inline int64_t HourStart(int64_t ms) {
  int64_t q = ms / kHourMs;
  if (ms % kHourMs < 0) --q;
  return q * kHourMs;
}

// tool_executions.status values.
inline constexpr char kToolPending[] = "pending";
inline constexpr char kToolSuccess[] = "success";
inline constexpr char kToolError[] = "error";
inline constexpr char kToolRejected[] = "rejected";
inline constexpr char kToolInterrupted[] = "interrupted";

// Status of a finished tool call from its result's structured fields:
// interrupted when toolUseResult.interrupted is true; else success unless
// is_error is true; an is_error result is rejected or interrupted when its
// text (or the string toolUseResult, after an "Error: ") *starts* with Claude
// Code's rejection or interruption text, else error. Texts are never looked
// for inside a result: a file or command output may quote them.
const char* ClassifyToolResult(const ToolResult& result, std::string_view tool_use_result_text,
                               bool tool_use_result_interrupted);

// Claude Code's own notices (an API error, a usage limit, an interruption)
// are written as assistant lines with model "<synthetic>" or
// isApiErrorMessage, and zero usage: no model was called, so they are not
// API calls (never an unpriced one).
bool IsLocalNotice(std::string_view model, bool api_error_message, const Usage& usage);

// The usage a parsed line offers for token accounting, or nullopt: its own
// message.usage when it has one (whatever the line's type, as in the
// reference), with the line's timestamp, requestId, message.id, model,
// isSidechain and costUSD; failing that, a progress line's embedded
// response. Neither counts without a timestamp or when it is a local notice.
std::optional<UsageCopy> CountedUsage(const LineRecord& rec);

// One copy of an API response's usage, with what decides between copies.
struct UsageCandidate {
  bool is_sidechain = false;
  int64_t total = 0;
  int64_t cost_nanousd = 0;
  bool has_speed = false;
  std::string path;
  int64_t byte_offset = 0;
};

// True when `a` should count instead of `b`: a non-sidechain copy, then the
// larger total, then the higher cost, then one with usage.speed, then the
// smaller path, then the smaller offset. A strict total order, so the winner
// does not depend on arrival order.
bool CopyBeats(const UsageCandidate& a, const UsageCandidate& b);

// Prices in nano-USD per token (integers keep sums exact and
// order-independent).
struct ModelPrice {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cache_write_5m = 0;
  int64_t cache_write_1h = 0;
  int64_t cache_read = 0;
  int64_t tier_threshold = 0;  // 0: no tier; else the *_above prices apply to tokens above it
  int64_t input_above = 0;
  int64_t output_above = 0;
  int64_t cache_write_5m_above = 0;
  int64_t cache_write_1h_above = 0;
  int64_t cache_read_above = 0;
  double fast_multiplier = 1.0;  // applied to a speed:"fast" response's whole cost
};

// Cost of one response: each token kind priced on its own, marginally above
// the tier threshold; 1-hour cache writes at their own rate.
int64_t CostNanoUsd(const Usage& usage, const ModelPrice& price);

// Candidate names under which a model's price is looked up, most specific
// first: the name itself, then without an "anthropic/" prefix, a "[1m]"
// suffix or a -YYYYMMDD date suffix.
std::vector<std::string> PriceLookupNames(std::string_view model);

// The slot key of a copy: (message.id, requestId), or message.id alone when
// the requestId is absent or "" (older Claude Code versions and API proxies
// write every block line of one response that way, in any session that
// repeats it). A deliberate difference from ccusage 20.0.24, which counts a
// missing requestId once per line and drops a "" one.
// REQUIRES: api_message_id is not empty.
std::string DedupKey(std::string_view api_message_id, std::string_view request_id);

}  // namespace cco

#endif  // CCO_SRC_DERIVE_H_

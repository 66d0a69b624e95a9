#include "src/derive.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "src/status.h"

namespace cco {

namespace {

// Claude Code's texts for a tool call the user refused (REJECT_MESSAGE,
// optionally followed by the user's reason; CANCEL_MESSAGE for calls cancelled
// with it) and for one stopped by an interrupt (INTERRUPT_MESSAGE and
// INTERRUPT_MESSAGE_FOR_TOOL_USE share this prefix). A string toolUseResult
// repeats the text, sometimes behind "Error: ".
constexpr std::string_view kRejectedPrefixes[] = {
    "The user doesn't want to proceed with this tool use",
    "The user doesn't want to take this action",
    "User rejected tool use",
};
constexpr std::string_view kInterruptedPrefixes[] = {"[Request interrupted by user"};

bool StartsWithAny(std::string_view text, absl::Span<const std::string_view> prefixes) {
  for (std::string_view p : prefixes) {
    if (text.substr(0, p.size()) == p) return true;
  }
  return false;
}

// Whether `result` or the line's string toolUseResult starts with `prefixes`.
bool ResultStartsWith(std::string_view text, std::string_view tool_use_result_text,
                      absl::Span<const std::string_view> prefixes) {
  constexpr std::string_view kError = "Error: ";
  if (tool_use_result_text.substr(0, kError.size()) == kError) tool_use_result_text.remove_prefix(kError.size());
  return StartsWithAny(text, prefixes) || StartsWithAny(tool_use_result_text, prefixes);
}

}  // namespace

const char* ClassifyToolResult(const ToolResult& result, std::string_view tool_use_result_text,
                               bool tool_use_result_interrupted) {
  if (tool_use_result_interrupted) return kToolInterrupted;
  // A result without is_error is the tool's output, whatever it says: a file
  // or a command output may quote any of the texts below.
  if (!result.is_error) return kToolSuccess;
  if (ResultStartsWith(result.text, tool_use_result_text, kRejectedPrefixes)) return kToolRejected;
  if (ResultStartsWith(result.text, tool_use_result_text, kInterruptedPrefixes)) return kToolInterrupted;
  return kToolError;
}

bool CopyBeats(const UsageCandidate& a, const UsageCandidate& b) {
  if (a.is_sidechain != b.is_sidechain) return !a.is_sidechain;
  if (a.total != b.total) return a.total > b.total;
  if (a.cost_nanousd != b.cost_nanousd) return a.cost_nanousd > b.cost_nanousd;
  if (a.has_speed != b.has_speed) return a.has_speed;
  if (a.path != b.path) return a.path < b.path;
  return a.byte_offset < b.byte_offset;
}

int64_t CostNanoUsd(const Usage& u, const ModelPrice& p) {
  auto tiered = [&p](int64_t tokens, int64_t base, int64_t above) {
    if (p.tier_threshold <= 0 || tokens <= p.tier_threshold) return tokens * base;
    return p.tier_threshold * base + (tokens - p.tier_threshold) * above;
  };
  const int64_t cache_5m = u.cache_creation - u.cache_creation_1h;
  int64_t cost = tiered(u.input, p.input, p.input_above) + tiered(u.output, p.output, p.output_above) +
                 tiered(cache_5m, p.cache_write_5m, p.cache_write_5m_above) +
                 tiered(u.cache_creation_1h, p.cache_write_1h, p.cache_write_1h_above) +
                 tiered(u.cache_read, p.cache_read, p.cache_read_above);
  if (u.fast && p.fast_multiplier != 1.0) {
    cost = static_cast<int64_t>(static_cast<double>(cost) * p.fast_multiplier + 0.5);
  }
  return cost;
}

std::vector<std::string> PriceLookupNames(std::string_view model) {
  std::vector<std::string> names = {std::string(model)};
  std::string base(model);
  if (absl::StartsWith(base, "anthropic/")) base = base.substr(10);
  if (absl::EndsWith(base, "[1m]")) base.resize(base.size() - 4);
  if (base != model) names.push_back(base);
  // A -YYYYMMDD date suffix.
  if (base.size() > 9 && base[base.size() - 9] == '-') {
    bool digits = true;
    for (size_t i = base.size() - 8; i < base.size(); ++i) digits = digits && base[i] >= '0' && base[i] <= '9';
    if (digits) names.push_back(base.substr(0, base.size() - 9));
  }
  return names;
}

std::string DedupKey(std::string_view api_message_id, std::string_view request_id) {
  if (!request_id.empty()) return absl::StrCat("r:", AsAbsl(api_message_id), ":", AsAbsl(request_id));
  return absl::StrCat("m:", AsAbsl(api_message_id));
}

bool IsLocalNotice(std::string_view model, bool api_error_message, const Usage& usage) {
  return (model == "<synthetic>" || api_error_message) && usage.total() == 0;
}

std::optional<UsageCopy> CountedUsage(const LineRecord& rec) {
  if (rec.usage.has_value()) {
    if (!rec.timestamp_ms.has_value() || IsLocalNotice(rec.model, rec.api_error_message, *rec.usage)) {
      return std::nullopt;
    }
    UsageCopy copy;
    copy.api_message_id = rec.api_message_id;
    copy.request_id = rec.request_id;
    copy.model = rec.model;
    copy.usage = *rec.usage;
    copy.timestamp_ms = *rec.timestamp_ms;
    copy.is_sidechain = rec.is_sidechain;
    copy.cost_usd = rec.cost_usd;
    return copy;
  }
  if (rec.embedded.has_value() &&
      !IsLocalNotice(rec.embedded->copy.model, rec.embedded->api_error_message, rec.embedded->copy.usage)) {
    return rec.embedded->copy;
  }
  return std::nullopt;
}

}  // namespace cco

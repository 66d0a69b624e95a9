// `cco report blocks`: 5-hour billing blocks (src/blocks.h), as a table or
// in ccusage's JSON shape.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/blocks_command.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/now.h"
#include "cli/report_query.h"
#include "cli/table.h"
#include "src/blocks.h"
#include "src/status.h"

namespace cco {
namespace {

int BlocksUsage(const std::string& message) {
  std::fprintf(stderr, "cco report blocks: %s (see cco help report)\n", message.c_str());
  return kExitUsage;
}

std::string LocalTime(int64_t ms, const absl::TimeZone& tz) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ms), tz);
}

// "2h 05m".
std::string HoursMinutes(int64_t minutes) {
  if (minutes < 0) minutes = 0;
  return absl::StrFormat("%dh %02dm", minutes / 60, minutes % 60);
}

std::string Usd(double usd) { return absl::StrFormat("$%.2f", usd); }
double UsdOf(const TokenTotals& t) { return static_cast<double>(t.cost_nanousd) / 1e9; }

std::string Percent(int64_t tokens, int64_t limit) {
  return absl::StrFormat("%.1f%%", static_cast<double>(tokens) / static_cast<double>(limit) * 100);
}

void PrintBlocks(const std::vector<BillingBlock>& blocks, const BlocksView& view, std::optional<int64_t> limit,
                 int64_t now_ms) {
  std::vector<TableColumn> columns = {{"BillingBlock start", false, true},
                                      {"Duration/status", false, true},
                                      {"Models", false, false, true},
                                      {"Tokens", true, true}};
  if (limit) columns.push_back({"% of limit", true, true});
  columns.push_back({"Cost (USD)", true, true});
  Table table(columns);
  auto row = [&](std::vector<std::string> cells, const std::string& pct, const std::string& cost,
                 Table::RowKind kind = Table::RowKind::kNormal) {
    if (limit) cells.push_back(pct);
    cells.push_back(cost);
    table.AddRow(std::move(cells), kind);
  };
  const BillingBlock* active = nullptr;
  for (const BillingBlock& b : blocks) {
    const std::string start = LocalTime(b.start_ms, view.tz);
    if (b.is_gap) {
      row({start, absl::StrCat("gap of ", HumanDuration(static_cast<double>(b.end_ms - b.start_ms))), "-", "-"}, "-",
          "-", Table::RowKind::kSub);
      continue;
    }
    std::vector<std::string> models;
    for (const std::string& m : b.models) models.push_back(m);
    std::string status;
    if (b.is_active) {
      active = &b;
      status = absl::StrCat("ACTIVE, ", HoursMinutes((b.end_ms - now_ms + 30'000) / 60'000), " left");
    } else {
      status = HumanDuration(static_cast<double>(*b.actual_end_ms - b.start_ms));
    }
    row({start, status, absl::StrJoin(models, "\n"), Thousands(b.tokens.total())},
        limit ? Percent(b.tokens.total(), *limit) : "", Usd(UsdOf(b.tokens)));
    if (b.is_active && b.projection) {
      row({"", "projected", "", Thousands(b.projection->total_tokens)},
          limit ? Percent(b.projection->total_tokens, *limit) : "", Usd(b.projection->total_cost_usd),
          Table::RowKind::kSub);
    }
  }
  std::printf("Billing blocks (%s each), %s\n\n%s", HumanDuration(static_cast<double>(view.session_ms)).c_str(),
              view.zone_name.c_str(), table.Render(view.style).c_str());
  if (active != nullptr) {
    std::printf("\nActive block: %s to %s, %s left.\n", LocalTime(active->start_ms, view.tz).c_str(),
                LocalTime(active->end_ms, view.tz).c_str(),
                HoursMinutes((active->end_ms - now_ms + 30'000) / 60'000).c_str());
    if (active->burn_rate) {
      std::printf("Burn rate: %s tokens/min, %s/hour.\n",
                  Thousands(static_cast<int64_t>(active->burn_rate->tokens_per_minute + 0.5)).c_str(),
                  Usd(active->burn_rate->cost_per_hour_usd).c_str());
    }
    if (active->usage_limit_reset_ms) {
      std::printf("Usage limit reached; it resets at %s.\n", LocalTime(*active->usage_limit_reset_ms, view.tz).c_str());
    }
    if (std::optional<TokenLimitStatus> s = LimitStatus(*active, limit); s && s->status != "ok") {
      std::printf("warning: the active block is projected to use %.1f%% of the %s-token limit%s.\n", s->percent_used,
                  Thousands(s->limit).c_str(), s->status == "exceeds" ? " (exceeds it)" : "");
    }
  }
}

}  // namespace

absl::StatusOr<BlocksAnswer> AnswerBlocks(const Args& args, const BlocksView& view_in, const ReportFilter& filter,
                                          Reader& db) {
  BlocksAnswer answer;
  answer.view = view_in;
  BlocksView& view = answer.view;
  for (const char* flag : {"project", "breakdown", "by-agent", "start-of-week"}) {
    if (args.Has(flag)) return absl::InvalidArgumentError(absl::StrCat("--", flag, " does not go with the blocks report"));
  }
  RETURN_IF_ERROR(CheckTeamFilters(db, filter.users, filter.machines));
  if (args.Has("session-length")) {
    double hours = 0;
    if (!absl::SimpleAtod(args.Get("session-length"), &hours) || !(hours > 0) || hours > 24 * 365) {
      return absl::InvalidArgumentError(absl::StrCat("--session-length '", args.Get("session-length"),
                                                     "' is not a positive number of hours"));
    }
    view.session_ms = static_cast<int64_t>(hours * 3600 * 1000);
  }
  absl::StatusOr<int64_t> now = CommandNowMs();
  if (!now.ok()) return absl::InvalidArgumentError(now.status().message());
  answer.now_ms = *now;

  BlocksQuery query;
  query.now_ms = *now;
  query.session_ms = view.session_ms;
  query.tz = filter.tz;
  query.since = filter.since;
  query.until = filter.until;
  query.recent = args.Has("recent");
  query.active_only = args.Has("active");
  query.users = filter.users;
  query.machines = filter.machines;
  answer.active_only = query.active_only;

  const std::string limit_text = args.Get("token-limit");
  bool limit_max = false;
  if (args.Has("token-limit")) {
    int64_t n = 0;
    if (limit_text == "max") {
      limit_max = true;
    } else if (absl::SimpleAtoi(limit_text, &n) && n > 0) {
      answer.limit = n;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--token-limit '", limit_text, "' is not a positive number of tokens or max"));
    }
  }
  if (limit_max) {
    // The largest completed block of the whole history, before any filter.
    ASSIGN_OR_RETURN(int64_t max, db.MaxCompletedBlock(query));
    if (max > 0) answer.limit = max;
  }

  ASSIGN_OR_RETURN(answer.blocks, db.Blocks(query));
  if (args.Get("order") == "desc") std::reverse(answer.blocks.begin(), answer.blocks.end());
  return answer;
}

int RunBlocksReport(const Args& args, const BlocksView& view, const ReportFilter& filter, Reader& db) {
  absl::StatusOr<BlocksAnswer> answer = AnswerBlocks(args, view, filter, db);
  if (!answer.ok()) {
    if (absl::IsInvalidArgument(answer.status())) return BlocksUsage(std::string(answer.status().message()));
    return ReportFailure(answer.status(), "cco report");
  }
  if (args.Has("json")) {
    std::printf("%s\n", BlocksJson(answer->blocks, answer->limit).c_str());
  } else if (answer->blocks.empty()) {
    std::printf(answer->active_only ? "no active block\n" : "no usage found\n");
  } else {
    PrintBlocks(answer->blocks, answer->view, answer->limit, answer->now_ms);
  }
  return kExitOk;
}

}  // namespace cco

#include "cli/report_query.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"
#include "src/json_writer.h"
#include "src/status.h"

namespace cco {
namespace {

double Usd(int64_t nano) { return static_cast<double>(nano) / 1e9; }

void WriteTokens(JsonWriter& j, const TokenTotals& t) {
  j.Field("inputTokens", t.input)
      .Field("outputTokens", t.output)
      .Field("cacheCreationTokens", t.cache_creation)
      .Field("cacheReadTokens", t.cache_read)
      .Field("totalTokens", t.total());
}

// The figures of a `tools` row or of its totals.
void WriteToolFields(JsonWriter& j, const ToolRow& r) {
  j.Field("calls", r.calls)
      .Field("errors", r.errors)
      .Field("rejected", r.rejected)
      .Field("interrupted", r.interrupted)
      .Field("pending", r.pending)
      .Field("errorRate", r.error_rate())
      .Field("meanDurationMs", r.mean_ms)
      .Field("p95DurationMs", r.p95_ms);
}

// modelsUsed and modelBreakdowns of a row or an agent.
void WriteModels(JsonWriter& j, const std::vector<ModelTotals>& models) {
  j.Key("modelsUsed").BeginArray();
  for (const ModelTotals& m : models) j.String(m.model);
  j.EndArray();
  j.Key("modelBreakdowns").BeginArray();
  for (const ModelTotals& m : models) {
    j.BeginObject().Field("modelName", m.model);
    j.Field("inputTokens", m.tokens.input)
        .Field("outputTokens", m.tokens.output)
        .Field("cacheCreationTokens", m.tokens.cache_creation)
        .Field("cacheReadTokens", m.tokens.cache_read)
        .Field("cost", Usd(m.tokens.cost_nanousd));
    if (m.tokens.unpriced_calls > 0) {
      j.Field("missingPricing", true).Field("unpricedCalls", m.tokens.unpriced_calls);
    }
    j.EndObject();
  }
  j.EndArray();
}

void WriteUsageRow(JsonWriter& j, const UsageRow& row, const char* key_name, bool session) {
  j.BeginObject();
  j.Field(key_name, row.key);
  if (session) {
    j.Field("projectPath", row.project);
    j.Field("firstActivity", IsoUtcMs(row.first_ms));
    j.Field("lastActivity", IsoUtcMs(row.last_ms));
  }
  WriteTokens(j, row.tokens);
  j.Field("totalCost", Usd(row.tokens.cost_nanousd));
  WriteModels(j, row.models);
  if (!row.agents.empty()) {
    // --by-agent: the session per agent; agentId null is the main transcript.
    j.Key("agents").BeginArray();
    for (const AgentRow& a : row.agents) {
      j.BeginObject();
      if (a.agent_id.empty()) {
        j.Key("agentId").Null();
      } else {
        j.Field("agentId", a.agent_id);
      }
      if (a.agent_type.empty()) {
        j.Key("agentType").Null();
      } else {
        j.Field("agentType", a.agent_type);
      }
      WriteTokens(j, a.tokens);
      j.Field("totalCost", Usd(a.tokens.cost_nanousd));
      WriteModels(j, a.models);
      j.EndObject();
    }
    j.EndArray();
  }
  j.EndObject();
}

std::string UsageJson(const std::vector<UsageRow>& rows, const char* array_name, const char* key_name,
                      bool session) {
  TokenTotals totals;
  JsonWriter j;
  j.BeginObject().Key(array_name).BeginArray();
  for (const UsageRow& row : rows) {
    WriteUsageRow(j, row, key_name, session);
    totals.Add(row.tokens);
  }
  j.EndArray().Key("totals").BeginObject();
  WriteTokens(j, totals);
  j.Field("totalCost", Usd(totals.cost_nanousd));
  if (totals.unpriced_calls > 0) {
    j.Field("unpricedCalls", totals.unpriced_calls);
    j.Key("unpricedModels").BeginArray();
    for (const auto& entry : UnpricedModels(rows)) j.String(entry.first);
    j.EndArray();
  }
  j.EndObject().EndObject();
  return j.str();
}

std::string ToolsJson(const std::vector<ToolRow>& rows, const ToolRow& total) {
  JsonWriter j;
  j.BeginObject().Key("tools").BeginArray();
  for (const ToolRow& r : rows) {
    j.BeginObject().Field("tool", r.tool);
    WriteToolFields(j, r);
    j.EndObject();
  }
  j.EndArray().Key("totals").BeginObject();
  WriteToolFields(j, total);
  j.EndObject().EndObject();
  return j.str();
}

constexpr const char* kWeekdays[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
constexpr absl::Weekday kWeekdayValues[] = {absl::Weekday::sunday,   absl::Weekday::monday, absl::Weekday::tuesday,
                                            absl::Weekday::wednesday, absl::Weekday::thursday, absl::Weekday::friday,
                                            absl::Weekday::saturday};

// A day name ("monday"), its first three letters ("mon"), any case, or a
// number 0-7 counted as cron and JavaScript's Date.getDay() do: 0 (and 7)
// sunday, 1 monday … 6 saturday.
std::optional<absl::Weekday> ParseWeekday(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  int number = 0;
  if (absl::SimpleAtoi(lower, &number) && number >= 0 && number <= 7) return kWeekdayValues[number % 7];
  for (int i = 0; i < 7; ++i) {
    if (lower == kWeekdays[i] || lower == std::string(kWeekdays[i]).substr(0, 3)) return kWeekdayValues[i];
  }
  return std::nullopt;
}

}  // namespace

std::string WeekdayName(absl::Weekday day) {
  for (int i = 0; i < 7; ++i) {
    if (kWeekdayValues[i] == day) return kWeekdays[i];
  }
  return "";
}

std::optional<absl::CivilDay> ParseDay(const std::string& text) {
  std::string s = text;
  if (s.size() == 8 && s.find('-') == std::string::npos) s = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6);
  if (s.size() != 10) return std::nullopt;
  absl::CivilDay day;
  if (!absl::ParseCivilTime(s, &day) || absl::FormatCivilTime(day) != s) return std::nullopt;
  return day;
}

std::map<std::string, std::pair<int64_t, std::vector<std::string>>> UnpricedModels(
    const std::vector<UsageRow>& rows) {
  std::map<std::string, std::pair<int64_t, std::vector<std::string>>> out;
  for (const UsageRow& row : rows) {
    for (const ModelTotals& m : row.models) {
      if (m.tokens.unpriced_calls == 0) continue;
      auto& [calls, keys] = out[m.model];
      calls += m.tokens.unpriced_calls;
      keys.push_back(row.key);
    }
  }
  return out;
}

absl::StatusOr<ReportQuery> ParseReportQuery(const Args& args) {
  if (args.positional().empty()) {
    return absl::InvalidArgumentError("which report? daily, weekly, monthly, session, project, tools or blocks");
  }
  ReportQuery q;
  q.kind = args.positional()[0];
  if (std::find(ReportKinds().begin(), ReportKinds().end(), q.kind) == ReportKinds().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown report '", q.kind, "' (one of: ", absl::StrJoin(ReportKinds(), ", "), ")"));
  }
  ASSIGN_OR_RETURN(q.zone, ResolveReportZone(args.Get("tz")));
  q.filter.tz = q.zone.tz;
  q.filter.users = args.GetAll("user");        // a team server's rows only
  q.filter.machines = args.GetAll("machine");
  RETURN_IF_ERROR(ParseDayRange(args, &q.filter));
  if (args.Has("start-of-week")) {
    auto day = ParseWeekday(args.Get("start-of-week"));
    if (!day.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--start-of-week '", args.Get("start-of-week"),
                       "' is not a day (one of: sunday, monday, tuesday, wednesday, thursday, friday, "
                       "saturday; sun … sat; 0-6 with 0 = sunday)"));
    }
    q.filter.week_start = *day;
  }
  if (q.kind != "blocks") {
    for (const char* flag : {"active", "recent", "token-limit", "session-length"}) {
      if (args.Has(flag)) return absl::InvalidArgumentError(absl::StrCat("--", flag, " goes with the blocks report"));
    }
  }
  q.order = args.Get("order");
  if (args.Has("order") && (q.kind == "project" || q.kind == "tools")) {
    return absl::InvalidArgumentError("--order goes with daily, weekly, monthly and session");
  }
  q.by_agent = args.Has("by-agent");
  if (q.by_agent && q.kind != "session") return absl::InvalidArgumentError("--by-agent goes with the session report");
  q.breakdown = args.Has("breakdown");
  if (q.breakdown && q.kind == "tools") {
    return absl::InvalidArgumentError("--breakdown goes with the usage reports, not tools");
  }
  q.project = args.Get("project");
  return q;
}

absl::Status ParseDayRange(const Args& args, ReportFilter* filter) {
  for (const char* flag : {"since", "until"}) {
    if (!args.Has(flag)) continue;
    auto day = ParseDay(args.Get(flag));
    if (!day.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " '", args.Get(flag), "' is not a date (YYYY-MM-DD or YYYYMMDD)"));
    }
    (std::string(flag) == "since" ? filter->since : filter->until) = day;
  }
  if (filter->since && filter->until && *filter->since > *filter->until) {
    return absl::InvalidArgumentError(absl::StrCat("--since ", absl::FormatCivilTime(*filter->since),
                                                   " is after --until ", absl::FormatCivilTime(*filter->until)));
  }
  return absl::OkStatus();
}

absl::Status CheckTeamFilters(const Reader& db, const std::vector<std::string>& users,
                              const std::vector<std::string>& machines) {
  if (db.IsTeamServer() || (users.empty() && machines.empty())) return absl::OkStatus();
  return absl::InvalidArgumentError("user and machine filters go with a team server (--db postgresql://…)");
}

absl::Status ResolveReportProject(Reader& db, ReportQuery* query, std::vector<std::string>* closest) {
  RETURN_IF_ERROR(CheckTeamFilters(db, query->filter.users, query->filter.machines));
  if (query->project.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(query->filter.project_ids, ProjectIdsNamed(db, query->project, closest));
  query->filter.restrict_projects = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> ProjectIdsNamed(Reader& db, const std::string& name,
                                                     std::vector<std::string>* closest) {
  ASSIGN_OR_RETURN(ProjectMatch match, db.MatchProjects(name));
  if (match.ids.empty()) {
    // A name that matches nothing is a mistake to show, not an empty answer.
    if (closest != nullptr) *closest = std::move(match.closest);
    return absl::NotFoundError(absl::StrCat("no project matches '", name, "'"));
  }
  return std::move(match.ids);
}

absl::StatusOr<ReportAnswer> AnswerReport(Reader& db, const ReportQuery& q) {
  ReportAnswer a;
  if (q.kind == "blocks") return absl::InvalidArgumentError("blocks are answered by RunBlocksReport");
  if (q.kind == "tools") {
    ASSIGN_OR_RETURN(a.tools, db.ToolReport(q.filter, &a.tools_total));
    return a;
  }
  if (q.kind == "daily" || q.kind == "weekly" || q.kind == "monthly") {
    const Period period = q.kind == "daily" ? Period::kDay : q.kind == "weekly" ? Period::kWeek : Period::kMonth;
    ASSIGN_OR_RETURN(a.rows, db.PeriodReport(period, q.filter));
    if (q.order == "desc") std::reverse(a.rows.begin(), a.rows.end());
    return a;
  }
  if (q.kind == "session") {
    ASSIGN_OR_RETURN(a.rows, db.SessionReport(q.filter));
  } else {
    ASSIGN_OR_RETURN(a.rows, db.ProjectReport(q.filter));
  }
  if (q.by_agent) RETURN_IF_ERROR(db.AddAgentBreakdown(q.filter, &a.rows));
  if (!q.order.empty()) {
    // By last activity; without --order, most expensive first.
    std::stable_sort(a.rows.begin(), a.rows.end(), [&q](const UsageRow& x, const UsageRow& y) {
      return q.order == "asc" ? x.last_ms < y.last_ms : x.last_ms > y.last_ms;
    });
  }
  return a;
}

std::string ReportJson(const ReportQuery& q, const ReportAnswer& a) {
  if (q.kind == "tools") return ToolsJson(a.tools, a.tools_total);
  const char* array = q.kind == "session" ? "sessions" : q.kind == "project" ? "projects" : q.kind.c_str();
  const char* key = q.kind == "daily"     ? "date"
                    : q.kind == "weekly"  ? "week"
                    : q.kind == "monthly" ? "month"
                    : q.kind == "session" ? "sessionId"
                                          : "project";
  return UsageJson(a.rows, array, key, q.kind == "session");
}

}  // namespace cco

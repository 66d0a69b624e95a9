// `cco report daily|weekly|monthly|session|project|tools`: reads the
// rollups through a read-only connection; works while the daemon writes.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/blocks_command.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/table.h"
#include "cli/time_zone.h"
#include "src/json_writer.h"
#include "src/daemon/paths.h"
#include "src/reader.h"

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
    j.Field("firstActivity", IsoMs(row.first_ms));
    j.Field("lastActivity", IsoMs(row.last_ms));
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

// Models with unpriced calls: how many, and the rows (days, sessions…) they
// fall in, so a user sees which figures are low.
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

// "opus-4-6" for claude-opus-4-6-20260101: the family and version a reader
// recognises, as ccusage shows them.
std::string ShortModel(const std::string& model) {
  std::string name = absl::StrReplaceAll(model, {{"claude-", ""}});
  if (name.size() > 9 && name[name.size() - 9] == '-' &&
      std::all_of(name.end() - 8, name.end(), [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    name.resize(name.size() - 9);
  }
  return name;
}

// One model per line (the row grows taller instead of wider).
std::string ShortModels(const std::vector<ModelTotals>& models) {
  std::vector<std::string> names;
  for (const ModelTotals& m : models) {
    std::string name = ShortModel(m.model);
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return absl::StrJoin(names, "\n");
}

std::string Cost(const TokenTotals& t) { return absl::StrFormat("$%.2f", Usd(t.cost_nanousd)); }

struct ReportView {
  std::string kind;  // daily, weekly, monthly, session, project
  ReportZone zone;
  bool breakdown = false;
  std::string home;  // $HOME, shown as "~" in paths
};

// The path a session worked in, "~/src/app" rather than "/home/u/src/app";
// the project's directory name when no cwd was seen.
std::string ProjectLabel(const UsageRow& row, const ReportView& view) {
  if (row.project_cwd.empty()) return row.project;
  if (!view.home.empty() && absl::StartsWith(row.project_cwd, view.home + "/")) {
    return "~" + row.project_cwd.substr(view.home.size());
  }
  return row.project_cwd;
}

std::string LocalMinute(int64_t ms, const absl::TimeZone& tz) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ms), tz);
}

// The columns of a usage table; `label` is the column that names sub-rows
// (--breakdown models, --by-agent agents).
struct UsageLayout {
  std::vector<TableColumn> columns;
  size_t label = 0;
};

UsageLayout LayoutFor(const std::string& kind) {
  const TableColumn input{"Input", true, true};
  const TableColumn output{"Output", true, true};
  const TableColumn create{"Cache create", true, false};
  const TableColumn read{"Cache read", true, false};
  const TableColumn cost{"Cost (USD)", true, true};
  const TableColumn models{"Models", false, true, true};
  if (kind == "session") {
    // Compact: when, where, what, how much.
    return {{{"Session", false, false, true},
             {"Last activity", false, true},
             {"Project", false, true, true, true},
             {"Title", false, true, true},
             {"Models", false, false, true},
             {"Input", true, false},
             {"Output", true, false},
             create,
             read,
             {"Total tokens", true, true},
             cost},
            3};
  }
  const char* heading = kind == "daily" ? "Date" : kind == "weekly" ? "Week of" : kind == "monthly" ? "Month" : "Project";
  return {{{heading, false, true, kind == "project", kind == "project"},
           models,
           input,
           output,
           create,
           read,
           {"Total tokens", true, false},
           cost},
          0};
}

// The cells of one row: `label` in the layout's label column (and the
// session columns from `row` when it is a session's own row).
std::vector<std::string> UsageCells(const ReportView& view, const std::string& label, const std::string& models,
                                    const TokenTotals& t, const UsageRow* session) {
  std::vector<std::string> tokens = {Thousands(t.input), Thousands(t.output), Thousands(t.cache_creation),
                                     Thousands(t.cache_read), Thousands(t.total()), Cost(t)};
  if (view.kind == "session") {
    std::vector<std::string> cells(4);
    if (session != nullptr) {
      cells = {session->key, LocalMinute(session->last_ms, view.zone.tz), ProjectLabel(*session, view),
               session->title.empty() ? session->key : session->title};
    } else {
      cells[3] = label;
    }
    cells.push_back(models);
    cells.insert(cells.end(), tokens.begin(), tokens.end());
    return cells;
  }
  std::vector<std::string> cells = {label, models};
  cells.insert(cells.end(), tokens.begin(), tokens.end());
  return cells;
}

constexpr const char* kWeekdays[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
constexpr absl::Weekday kWeekdayValues[] = {absl::Weekday::sunday,   absl::Weekday::monday, absl::Weekday::tuesday,
                                            absl::Weekday::wednesday, absl::Weekday::thursday, absl::Weekday::friday,
                                            absl::Weekday::saturday};

std::string WeekdayName(absl::Weekday day) {
  for (int i = 0; i < 7; ++i) {
    if (kWeekdayValues[i] == day) return kWeekdays[i];
  }
  return "";
}

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

std::string Title(const ReportView& view, const ReportFilter& filter) {
  std::string what = view.kind == "daily"     ? "per day"
                     : view.kind == "weekly"  ? absl::StrCat("per week (from ", WeekdayName(filter.week_start), ")")
                     : view.kind == "monthly" ? "per month"
                     : view.kind == "session" ? "per session"
                                              : "per project";
  return absl::StrCat("Token usage and estimated cost ", what, ", ", view.zone.name);
}

void PrintUsage(const std::vector<UsageRow>& rows, const ReportView& view, const ReportFilter& filter,
                const TableStyle& style) {
  UsageLayout layout = LayoutFor(view.kind);
  Table table(layout.columns);
  TokenTotals totals;
  for (const UsageRow& row : rows) {
    const std::string label = view.kind == "project" ? row.key : row.key;
    table.AddRow(UsageCells(view, label, ShortModels(row.models), row.tokens, &row));
    if (view.breakdown) {
      for (const ModelTotals& m : row.models) {
        table.AddRow(UsageCells(view, "  └ " + ShortModel(m.model), "", m.tokens, nullptr), Table::RowKind::kSub);
      }
    }
    for (const AgentRow& a : row.agents) {
      std::string label = a.agent_id.empty() ? "  main" : absl::StrCat("  agent ", a.agent_id);
      if (!a.agent_type.empty()) absl::StrAppend(&label, " (", a.agent_type, ")");
      table.AddRow(UsageCells(view, label, ShortModels(a.models), a.tokens, nullptr), Table::RowKind::kSub);
    }
    totals.Add(row.tokens);
  }
  std::vector<std::string> total_cells = UsageCells(view, "", "", totals, nullptr);
  total_cells[0] = "Total";
  if (view.kind == "session") total_cells[1] = "Total";  // the compact form has no Session column
  table.AddRow(total_cells, Table::RowKind::kTotal);
  std::printf("%s\n\n%s", Title(view, filter).c_str(), table.Render(style).c_str());
  if (totals.unpriced_calls > 0) {
    std::printf("\n%s used models without a known price and count 0 USD:\n",
                Plural(totals.unpriced_calls, "API call").c_str());
    for (const auto& [model, where] : UnpricedModels(rows)) {
      std::printf("  %s: %s (%s)\n", model.c_str(), Plural(where.first, "call").c_str(),
                  absl::StrJoin(where.second, ", ").c_str());
    }
    std::printf("A cco whose price table knows them prices them again (see cco rederive).\n");
  }
  std::printf("\nOutput tokens are a lower bound: most Claude Code versions never write a\n"
              "streamed response's final usage to the transcript.\n");
}

void PrintTools(const std::vector<ToolRow>& rows, const ToolRow& total, const ReportView& view,
                const TableStyle& style) {
  Table table({{"Tool", false, true, true},
               {"Calls", true, true},
               {"Errors", true, true},
               {"Error rate", true, true},
               {"Rejected", true, false},
               {"Interrupted", true, false},
               {"Pending", true, false},
               {"Mean", true, true},
               {"p95", true, true}});
  auto cells = [](const ToolRow& r) {
    return std::vector<std::string>{r.tool,
                                    Thousands(r.calls),
                                    Thousands(r.errors),
                                    absl::StrFormat("%.1f%%", r.error_rate() * 100),
                                    Thousands(r.rejected),
                                    Thousands(r.interrupted),
                                    Thousands(r.pending),
                                    HumanDuration(r.mean_ms),
                                    HumanDuration(static_cast<double>(r.p95_ms))};
  };
  for (const ToolRow& r : rows) table.AddRow(cells(r));
  table.AddRow(cells(total), Table::RowKind::kTotal);
  std::printf("Tool calls, errors and durations, %s\n\n%s", view.zone.name.c_str(), table.Render(style).c_str());
}

std::optional<absl::CivilDay> ParseDay(const std::string& text) {
  std::string s = text;
  if (s.size() == 8 && s.find('-') == std::string::npos) s = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6);
  if (s.size() != 10) return std::nullopt;
  absl::CivilDay day;
  if (!absl::ParseCivilTime(s, &day) || absl::FormatCivilTime(day) != s) return std::nullopt;
  return day;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "cco report: %s (see cco help report)\n", message.c_str());
  return kExitUsage;
}

// "between 2026-01-01 and 2026-01-31 (Asia/Tokyo) for all projects"
std::string RangeText(const ReportFilter& filter, const ReportView& view, const std::string& project) {
  return absl::StrCat("between ", filter.since ? absl::FormatCivilTime(*filter.since) : "the first record", " and ",
                      filter.until ? absl::FormatCivilTime(*filter.until) : "now", " (", view.zone.name, ") for ",
                      project.empty() ? "all projects" : absl::StrCat("project ", project));
}

}  // namespace

int RunReport(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("report"));
  if (!args.ok()) return Usage(std::string(args.status().message()));
  if (args->positional().empty()) {
    return Usage("which report? daily, weekly, monthly, session, project, tools or blocks");
  }
  const std::string kind = args->positional()[0];
  static const std::vector<std::string> kKinds = {"daily", "weekly", "monthly", "session", "project", "tools",
                                                  "blocks"};
  if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end()) {
    return Usage(absl::StrCat("unknown report '", kind, "' (one of: ", absl::StrJoin(kKinds, ", "), ")"));
  }

  ReportFilter filter;
  auto zone = ResolveReportZone(args->Get("tz"));
  if (!zone.ok()) {
    std::fprintf(stderr, "cco report: %s\n", std::string(zone.status().message()).c_str());
    return kExitUsage;
  }
  filter.tz = zone->tz;
  for (const char* flag : {"since", "until"}) {
    if (!args->Has(flag)) continue;
    auto day = ParseDay(args->Get(flag));
    if (!day.has_value()) {
      return Usage(absl::StrCat("--", flag, " '", args->Get(flag), "' is not a date (YYYY-MM-DD or YYYYMMDD)"));
    }
    (std::string(flag) == "since" ? filter.since : filter.until) = day;
  }
  if (filter.since && filter.until && *filter.since > *filter.until) {
    return Usage(absl::StrCat("--since ", absl::FormatCivilTime(*filter.since), " is after --until ",
                              absl::FormatCivilTime(*filter.until)));
  }
  if (args->Has("start-of-week")) {
    auto day = ParseWeekday(args->Get("start-of-week"));
    if (!day.has_value()) {
      return Usage(absl::StrCat("--start-of-week '", args->Get("start-of-week"),
                                "' is not a day (one of: sunday, monday, tuesday, wednesday, thursday, friday, "
                                "saturday; sun … sat; 0-6 with 0 = sunday)"));
    }
    filter.week_start = *day;
  }
  if (kind != "blocks") {
    for (const char* flag : {"active", "recent", "token-limit", "session-length"}) {
      if (args->Has(flag)) return Usage(absl::StrCat("--", flag, " goes with the blocks report"));
    }
  }
  const std::string order = args->Get("order");
  if (args->Has("order")) {
    if (kind == "project" || kind == "tools") return Usage("--order goes with daily, weekly, monthly and session");
  }
  const bool json = args->Has("json");
  const bool by_agent = args->Has("by-agent");
  if (by_agent && kind != "session") return Usage("--by-agent goes with the session report");
  if (args->Has("breakdown") && kind == "tools") return Usage("--breakdown goes with the usage reports, not tools");

  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return Usage(std::string(db_path.status().message()));
  absl::StatusOr<std::unique_ptr<SqliteReader>> opened = SqliteReader::Open(*db_path);
  if (!opened.ok()) return ReportFailure(opened.status(), "cco report");
  Reader& db = **opened;
  if (kind == "blocks") {
    BlocksView blocks_view;
    blocks_view.tz = zone->tz;
    blocks_view.zone_name = zone->name;
    blocks_view.style = StdoutStyle(args->Has("compact"));
    return RunBlocksReport(*args, blocks_view, filter, db);
  }
  if (args->Has("project")) {
    // A name that matches nothing is a mistake to show, not an empty report.
    const std::string query = args->Get("project");
    auto match = db.MatchProjects(query);
    if (!match.ok()) return ReportFailure(match.status(), "cco report");
    if (match->ids.empty()) {
      std::fprintf(stderr, "cco report: no project matches '%s'\n", query.c_str());
      if (!match->closest.empty()) {
        std::fprintf(stderr, "closest known projects:\n");
        for (const std::string& name : match->closest) std::fprintf(stderr, "  %s\n", name.c_str());
      }
      return kExitUsage;
    }
    filter.restrict_projects = true;
    filter.project_ids = std::move(match->ids);
  }

  ReportView view;
  view.kind = kind;
  view.zone = *zone;
  view.breakdown = args->Has("breakdown");
  if (const char* home = std::getenv("HOME"); home != nullptr) view.home = home;
  while (view.home.size() > 1 && view.home.back() == '/') view.home.pop_back();
  const TableStyle style = StdoutStyle(args->Has("compact"));
  const std::string range = RangeText(filter, view, args->Get("project"));

  auto fail = [](const absl::Status& s) { return ReportFailure(s, "cco report"); };
  if (kind == "tools") {
    ToolRow total;
    auto rows = db.ToolReport(filter, &total);
    if (!rows.ok()) return fail(rows.status());
    if (json) {
      JsonWriter j;
      j.BeginObject().Key("tools").BeginArray();
      for (const ToolRow& r : *rows) {
        j.BeginObject().Field("tool", r.tool);
        WriteToolFields(j, r);
        j.EndObject();
      }
      j.EndArray().Key("totals").BeginObject();
      WriteToolFields(j, total);
      j.EndObject().EndObject();
      std::printf("%s\n", j.str().c_str());
    } else if (rows->empty()) {
      std::printf("no tool calls found %s\n", range.c_str());
    } else {
      PrintTools(*rows, total, view, style);
    }
    return kExitOk;
  }

  absl::StatusOr<std::vector<UsageRow>> rows;
  if (kind == "daily" || kind == "weekly" || kind == "monthly") {
    Period period = kind == "daily" ? Period::kDay : kind == "weekly" ? Period::kWeek : Period::kMonth;
    rows = db.PeriodReport(period, filter);
    if (rows.ok() && order == "desc") std::reverse(rows->begin(), rows->end());
  } else {
    rows = kind == "session" ? db.SessionReport(filter) : db.ProjectReport(filter);
    if (rows.ok() && by_agent) {
      if (absl::Status s = db.AddAgentBreakdown(filter, &*rows); !s.ok()) return fail(s);
    }
    if (rows.ok() && !order.empty()) {
      // By last activity; without --order, most expensive first.
      std::stable_sort(rows->begin(), rows->end(), [&order](const UsageRow& a, const UsageRow& b) {
        return order == "asc" ? a.last_ms < b.last_ms : a.last_ms > b.last_ms;
      });
    }
  }
  if (!rows.ok()) return fail(rows.status());
  if (json) {
    const char* array = kind == "session" ? "sessions" : kind == "project" ? "projects" : kind.c_str();
    const char* key = kind == "daily"     ? "date"
                      : kind == "weekly"  ? "week"
                      : kind == "monthly" ? "month"
                      : kind == "session" ? "sessionId"
                                          : "project";
    std::printf("%s\n", UsageJson(*rows, array, key, kind == "session").c_str());
  } else if (rows->empty()) {
    // An empty table with a zero total looks like an answer; say there is none.
    std::printf("no usage found %s\n", range.c_str());
  } else {
    PrintUsage(*rows, view, filter, style);
  }
  return kExitOk;
}

}  // namespace cco

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
#include "cli/open_reader.h"
#include "cli/report_query.h"
#include "cli/table.h"
#include "cli/time_zone.h"
#include "src/json_writer.h"
#include "src/reader.h"

namespace cco {
namespace {

double Usd(int64_t nano) { return static_cast<double>(nano) / 1e9; }

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
  absl::StatusOr<ReportQuery> query = ParseReportQuery(*args);
  if (!query.ok()) return Usage(std::string(query.status().message()));
  const bool json = args->Has("json");

  int exit_code = kExitOk;
  std::unique_ptr<Reader> reader = OpenReader(
      "report", args->Get("db"), !query->filter.users.empty() || !query->filter.machines.empty(), &exit_code);
  if (reader == nullptr) return exit_code;
  Reader& db = *reader;
  if (query->kind == "blocks") {
    BlocksView blocks_view;
    blocks_view.tz = query->zone.tz;
    blocks_view.zone_name = query->zone.name;
    blocks_view.style = StdoutStyle(args->Has("compact"));
    return RunBlocksReport(*args, blocks_view, query->filter, db);
  }
  std::vector<std::string> closest;
  if (absl::Status s = ResolveReportProject(db, &*query, &closest); !s.ok()) {
    if (!absl::IsNotFound(s)) return ReportFailure(s, "cco report");
    return ReportNoProject("cco report", query->project, closest);
  }

  ReportView view;
  view.kind = query->kind;
  view.zone = query->zone;
  view.breakdown = query->breakdown;
  if (const char* home = std::getenv("HOME"); home != nullptr) view.home = home;
  while (view.home.size() > 1 && view.home.back() == '/') view.home.pop_back();
  const TableStyle style = StdoutStyle(args->Has("compact"));
  const std::string range = RangeText(query->filter, view, query->project);

  absl::StatusOr<ReportAnswer> answer = AnswerReport(db, *query);
  if (!answer.ok()) return ReportFailure(answer.status(), "cco report");
  if (json) {
    std::printf("%s\n", ReportJson(*query, *answer).c_str());
  } else if (query->kind == "tools") {
    if (answer->tools.empty()) {
      std::printf("no tool calls found %s\n", range.c_str());
    } else {
      PrintTools(answer->tools, answer->tools_total, view, style);
    }
  } else if (answer->rows.empty()) {
    // An empty table with a zero total looks like an answer; say there is none.
    std::printf("no usage found %s\n", range.c_str());
  } else {
    PrintUsage(answer->rows, view, query->filter, style);
  }
  return kExitOk;
}

}  // namespace cco

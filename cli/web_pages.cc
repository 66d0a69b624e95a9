#include "cli/web_pages.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "cli/flags.h"
#include "cli/format.h"
#include "cli/help.h"
#include "cli/blocks_command.h"
#include "cli/now.h"
#include "cli/report_query.h"
#include "cli/search_query.h"
#include "src/conversation.h"
#include "src/message_kind.h"
#include "src/search.h"
#include "src/sqlite.h"
#include "src/text.h"
#include "src/session_list.h"

namespace cco {
namespace {

constexpr int kSessionsPerPage = 50;
// A conversation page shows this many messages (a long session is paged).
constexpr int64_t kMessagesPerPage = 200;
// Series colours, readable on white and told apart by most colour-blind
// readers (Okabe-Ito); more series than colours repeat them.
constexpr const char* kColours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                    "#56B4E9", "#D55E00", "#F0E442", "#000000"};

std::string Get(const PageParams& params, const std::string& name, const std::string& fallback = "") {
  auto it = params.find(name);
  return it == params.end() || it->second.empty() ? fallback : it->second;
}

// The first characters of an id, as lists show it (cut at a character).
std::string ShortId(const std::string& id) { return TruncateUtf8(id, 8); }

std::string Usd(int64_t nano) { return absl::StrFormat("$%.2f", static_cast<double>(nano) / 1e9); }

std::string Layout(const std::string& title, const std::string& active, const std::string& body,
                   const PageContext& ctx) {
  std::string nav;
  for (const auto& [href, name] : std::vector<std::pair<std::string, std::string>>{
           {"/", "Overview"}, {"/sessions", "Sessions"}, {"/search", "Search"}, {"/tools", "Tools"},
           {"/status", "Status"}}) {
    absl::StrAppend(&nav, "<a href=\"", href, "\"", name == active ? " aria-current=\"page\"" : "", ">", name,
                    "</a>");
  }
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      HtmlEscape(title), " · cco</title><link rel=\"stylesheet\" href=\"/static/conversation.css\">"
      "<link rel=\"stylesheet\" href=\"/static/cco.css\">"
      "<script src=\"/static/cco.js\" defer></script></head>\n<body data-change-seq=\"",
      ctx.change_seq, "\"><header><strong>cco</strong><nav>", nav, "</nav><span class=\"db\">",
      HtmlEscape(ctx.db_path), "</span></header>\n<main id=\"main\"><h1>", HtmlEscape(title), "</h1>\n", body,
      "</main></body></html>\n");
}

// The report flags of a page, parsed as `cco report` parses them.
absl::StatusOr<ReportQuery> QueryFor(Reader& db, const std::string& kind, const PageParams& params) {
  ASSIGN_OR_RETURN(Args args, ParseArgs(ReportArgv(kind, params), FlagsFor("report")));
  ASSIGN_OR_RETURN(ReportQuery q, ParseReportQuery(args));
  RETURN_IF_ERROR(ResolveReportProject(db, &q));
  return q;
}

// Default range of a page: the last 30 days, in the report's zone.
PageParams WithDefaultRange(PageParams params) {
  if (Get(params, "since").empty() && Get(params, "until").empty()) {
    auto zone = ResolveReportZone(Get(params, "tz"));
    if (zone.ok()) {
      const absl::CivilDay today = absl::ToCivilDay(absl::Now(), zone->tz);
      params["since"] = absl::FormatCivilTime(today - 29);
    }
  }
  return params;
}

// The pickers every report page shares: period (overview only), range,
// zone, project; on a team server, user and machine.
std::string Pickers(Reader& db, const std::string& action, const PageParams& params, bool period,
                    const std::string& extra = "", const std::string& first = "") {
  std::string out = absl::StrCat("<form class=\"pickers\" method=\"get\" action=\"", action, "\">", first);
  if (period) {
    absl::StrAppend(&out, "<label>Period <select name=\"period\">");
    for (const char* p : {"daily", "weekly", "monthly"}) {
      absl::StrAppend(&out, "<option", Get(params, "period", "daily") == p ? " selected" : "", ">", p, "</option>");
    }
    absl::StrAppend(&out, "</select></label>");
  }
  absl::StrAppend(&out, "<label>From <input type=\"date\" name=\"since\" value=\"", HtmlEscape(Get(params, "since")),
                  "\"></label><label>To <input type=\"date\" name=\"until\" value=\"",
                  HtmlEscape(Get(params, "until")), "\"></label><label>Zone <input name=\"tz\" size=\"14\" value=\"",
                  HtmlEscape(Get(params, "tz")), "\" placeholder=\"system\"></label>");
  absl::StrAppend(&out, "<label>Project <select name=\"project\"><option value=\"\">all</option>");
  // Every project by name (an index read), not a report over all time.
  absl::StatusOr<std::vector<std::string>> names = db.ProjectNames();
  if (names.ok()) {
    for (const std::string& name : *names) {
      absl::StrAppend(&out, "<option value=\"", HtmlEscape(name), "\"",
                      Get(params, "project") == name ? " selected" : "", ">", HtmlEscape(name), "</option>");
    }
  }
  absl::StrAppend(&out, "</select></label>");
  if (db.IsTeamServer()) {
    // A team server's rows by user and machine (comma-separated names).
    for (const char* name : {"user", "machine"}) {
      absl::StrAppend(&out, "<label>", name == std::string_view("user") ? "User" : "Machine", " <input name=\"", name,
                      "\" size=\"12\" value=\"", HtmlEscape(Get(params, name)), "\" placeholder=\"all\"></label>");
    }
  }
  absl::StrAppend(&out, extra, "<button type=\"submit\">Show</button></form>\n");
  return out;
}

// A link to `path` with the page's parameters, `changes` applied (an empty
// value drops one), escaped for an attribute.
std::string PageLink(const std::string& path, const PageParams& params,
                     const std::map<std::string, std::string>& changes) {
  PageParams p = params;
  for (const auto& [k, v] : changes) p[k] = v;
  std::vector<std::string> parts;
  for (const auto& [k, v] : p) {
    if (!v.empty()) parts.push_back(absl::StrCat(UrlEncode(k), "=", UrlEncode(v)));
  }
  return HtmlEscape(absl::StrCat(path, "?", absl::StrJoin(parts, "&")));
}

// Previous/next links of a paged list (none when it fits one page).
std::string PageNav(const std::string& path, const PageParams& params, int64_t page, int64_t pages) {
  if (pages <= 1) return "";
  std::string out = "<nav class=\"pages\" aria-label=\"pages\">";
  if (page > 1) {
    absl::StrAppend(&out, "<a rel=\"prev\" href=\"", PageLink(path, params, {{"page", absl::StrCat(page - 1)}}),
                    "\">previous</a> ");
  }
  if (page < pages) {
    absl::StrAppend(&out, "<a rel=\"next\" href=\"", PageLink(path, params, {{"page", absl::StrCat(page + 1)}}),
                    "\">next</a>");
  }
  return absl::StrCat(out, "</nav>");
}

// The page number a `page` parameter asks for: 1 when it is not one, at
// most kMaxPage (a page past the end shows the last one; the bound keeps
// page × page size far from overflowing).
constexpr int64_t kMaxPage = 10'000'000;
int64_t PageNumber(const PageParams& params) {
  int64_t page = 1;
  if (!absl::SimpleAtoi(Get(params, "page", "1"), &page) || page < 1) page = 1;
  return std::min(page, kMaxPage);
}

struct Series {
  std::string name;
  std::vector<double> values;
};

// A stacked bar per label, drawn as SVG; the numbers are in the table the
// caller puts beside it (`table_id`), which the figure names for assistive
// technology.
std::string StackedBars(const std::string& id, const std::string& caption, const std::vector<std::string>& labels,
                        const std::vector<Series>& series, const std::string& table_id,
                        const std::function<std::string(double)>& format) {
  constexpr int kWidth = 880, kHeight = 260, kLeft = 70, kBottom = 40, kTop = 10;
  double max = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double sum = 0;
    for (const Series& s : series) sum += s.values[i];
    max = std::max(max, sum);
  }
  if (max <= 0) max = 1;
  const double plot_h = kHeight - kBottom - kTop;
  const double slot = labels.empty() ? 1 : static_cast<double>(kWidth - kLeft - 10) / static_cast<double>(labels.size());
  std::string svg = absl::StrFormat(
      "<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"%s-caption\" "
      "aria-describedby=\"%s\">",
      id, kWidth, kHeight, id, table_id);
  for (int tick = 0; tick <= 4; ++tick) {
    const double v = max * tick / 4;
    const double y = kTop + plot_h - plot_h * tick / 4;
    absl::StrAppend(&svg, absl::StrFormat("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", kLeft,
                                          kWidth - 10, y, y),
                    absl::StrFormat("<text x=\"%d\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%s</text>", kLeft - 6,
                                    y + 4, HtmlEscape(format(v))));
  }
  const size_t label_every = std::max<size_t>(1, labels.size() / 12 + (labels.size() % 12 ? 1 : 0));
  for (size_t i = 0; i < labels.size(); ++i) {
    double base = 0;
    const double x = kLeft + slot * static_cast<double>(i) + slot * 0.1;
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = series[s].values[i];
      if (v <= 0) continue;
      const double h = plot_h * v / max;
      const double y = kTop + plot_h - plot_h * (base + v) / max;
      absl::StrAppend(&svg,
                      absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                                      "<title>%s · %s: %s</title></rect>",
                                      x, y, std::max(1.0, slot * 0.8), std::max(0.5, h), kColours[s % 8],
                                      HtmlEscape(labels[i]), HtmlEscape(series[s].name), HtmlEscape(format(v))));
      base += v;
    }
    if (i % label_every == 0) {
      absl::StrAppend(&svg, absl::StrFormat("<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">%s</text>",
                                            x + slot * 0.4, kHeight - kBottom + 16, HtmlEscape(labels[i])));
    }
  }
  absl::StrAppend(&svg, "</svg>");
  std::string legend = "<ul class=\"legend\">";
  for (size_t s = 0; s < series.size(); ++s) {
    absl::StrAppend(&legend, "<li><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" "
                    "fill=\"", kColours[s % 8], "\"/></svg> ", HtmlEscape(series[s].name), "</li>");
  }
  absl::StrAppend(&legend, "</ul>");
  return absl::StrCat("<figure><figcaption id=\"", id, "-caption\">", HtmlEscape(caption), "</figcaption>", svg,
                      legend, "</figure>");
}

std::string Cell(const std::string& text, bool number = false) {
  return absl::StrCat(number ? "<td class=\"num\">" : "<td>", HtmlEscape(text), "</td>");
}

std::string ErrorNote(const absl::Status& status) {
  return absl::StrCat("<p class=\"error\" role=\"alert\">", HtmlEscape(std::string(status.message())), "</p>");
}

int StatusFor(const absl::Status& status) {
  return absl::IsInvalidArgument(status) || absl::IsNotFound(status) ? 400 : 500;
}

// The active 5-hour billing block (`cco report blocks --active`) against
// the limit `--token-limit max` sets: the largest completed block.
std::string ActiveBlockSection(Reader& db, const ReportQuery& q) {
  std::string out = "<section class=\"block\" aria-labelledby=\"block-h\"><h2 id=\"block-h\">Active block</h2>";
  absl::StatusOr<Args> args = ParseArgs({"blocks", "--active", "--token-limit", "max"}, FlagsFor("report"));
  BlocksView view;
  view.tz = q.zone.tz;
  view.zone_name = q.zone.name;
  ReportFilter every;  // every project and day: the block is the plan's, not a project's
  every.tz = q.zone.tz;
  every.users = q.filter.users;
  every.machines = q.filter.machines;
  absl::StatusOr<BlocksAnswer> a = args.ok() ? AnswerBlocks(*args, view, every, db) : args.status();
  if (!a.ok() && db.IsTeamServer() && absl::IsInvalidArgument(a.status())) {
    // Several people's usage: a block is one person's (pick a user).
    return absl::StrCat(out, "<p id=\"block-user\" class=\"note\">", HtmlEscape(std::string(a.status().message())),
                        " (the User field above).</p></section>\n");
  }
  if (!a.ok()) return absl::StrCat(out, ErrorNote(a.status()), "</section>\n");
  if (a->blocks.empty()) return absl::StrCat(out, "<p id=\"block-none\">No active block: no usage in the last 5 hours.</p></section>\n");
  // The block holding now (blocks of lines stamped in the future are
  // "active" too, as ccusage counts them).
  const BillingBlock* current = &a->blocks.front();
  for (const BillingBlock& candidate : a->blocks) {
    if (candidate.start_ms <= a->now_ms && a->now_ms < candidate.end_ms) current = &candidate;
  }
  const BillingBlock& b = *current;
  auto local = [&q](int64_t ms) { return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ms), q.zone.tz); };
  absl::StrAppend(&out, "<dl><dt>From</dt><dd>", HtmlEscape(local(b.start_ms)), "</dd><dt>To</dt><dd>",
                  HtmlEscape(local(b.end_ms)), "</dd><dt>Tokens</dt><dd id=\"block-tokens\">", Thousands(b.tokens.total()),
                  "</dd><dt>Cost</dt><dd>", Usd(b.tokens.cost_nanousd), "</dd>");
  if (b.burn_rate.has_value()) {
    absl::StrAppend(&out, "<dt>Burn rate</dt><dd>", Thousands(static_cast<int64_t>(b.burn_rate->tokens_per_minute)),
                    " tokens/min, ", absl::StrFormat("$%.2f/hour", b.burn_rate->cost_per_hour_usd), "</dd>");
  }
  if (b.projection.has_value()) {
    absl::StrAppend(&out, "<dt>Projected</dt><dd>", Thousands(b.projection->total_tokens), " tokens, ",
                    absl::StrFormat("$%.2f", b.projection->total_cost_usd), "</dd>");
  }
  std::optional<TokenLimitStatus> limit = LimitStatus(b, a->limit);
  if (limit.has_value()) {
    absl::StrAppend(&out, "<dt>Limit</dt><dd id=\"block-limit\">", Thousands(limit->limit),
                    " tokens (the largest completed block): projected ", absl::StrFormat("%.1f%%", limit->percent_used),
                    ", ", HtmlEscape(limit->status), "</dd>");
  }
  absl::StrAppend(&out, "</dl>");
  if (limit.has_value() && limit->limit > 0) {
    const double used = std::min(1.0, static_cast<double>(b.tokens.total()) / static_cast<double>(limit->limit));
    absl::StrAppend(&out, absl::StrFormat("<svg class=\"meter\" viewBox=\"0 0 400 16\" role=\"img\" aria-label=\"%.1f%% "
                                          "of the limit used\"><rect width=\"400\" height=\"16\" fill=\"#e4e4e4\"/>"
                                          "<rect width=\"%.1f\" height=\"16\" fill=\"%s\"/></svg>",
                                          used * 100, used * 400, used > 0.8 ? "#D55E00" : "#009E73"));
  }
  return absl::StrCat(out, "</section>\n");
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

// A team server's ?user= and ?machine= (each a comma-separated list) as
// repeated --user and --machine flags.
void AppendTeamFlags(const PageParams& params, std::vector<std::string>* argv) {
  for (const char* flag : {"user", "machine"}) {
    for (absl::string_view v : absl::StrSplit(Get(params, flag), ',', absl::SkipEmpty())) {
      argv->insert(argv->end(), {absl::StrCat("--", flag), std::string(v)});
    }
  }
}

std::vector<std::string> ReportArgv(const std::string& kind, const PageParams& params) {
  std::vector<std::string> argv = {kind};
  AppendTeamFlags(params, &argv);
  for (const char* flag : {"tz", "since", "until", "project", "start-of-week", "order", "token-limit", "session-length"}) {
    const std::string v = Get(params, flag);
    if (!v.empty()) {
      argv.push_back(absl::StrCat("--", flag));
      argv.push_back(v);
    }
  }
  for (const char* flag : {"by-agent", "breakdown", "active", "recent"}) {
    auto it = params.find(flag);
    if (it != params.end() && it->second != "0" && it->second != "false") argv.push_back(absl::StrCat("--", flag));
  }
  return argv;
}

Page ErrorPage(int status, const std::string& message, const PageContext& ctx) {
  return {status, Layout("Error", "", absl::StrCat("<p class=\"error\" role=\"alert\">", HtmlEscape(message), "</p>"),
                         ctx)};
}

Page OverviewPage(Reader& db, const PageContext& ctx, const PageParams& raw) {
  const PageParams params = WithDefaultRange(raw);
  std::string period = Get(params, "period", "daily");
  if (period != "daily" && period != "weekly" && period != "monthly") {
    return ErrorPage(400, "period is one of: daily, weekly, monthly", ctx);
  }
  const bool tokens = Get(params, "metric") == "tokens";
  std::string body = Pickers(db, "/", params, true,
                             absl::StrCat("<label>Show <select name=\"metric\"><option value=\"cost\"",
                                          tokens ? "" : " selected", ">cost</option><option value=\"tokens\"",
                                          tokens ? " selected" : "", ">tokens</option></select></label>"));
  absl::StatusOr<ReportQuery> q = QueryFor(db, period, params);
  if (!q.ok()) return {StatusFor(q.status()), Layout("Overview", "Overview", body + ErrorNote(q.status()), ctx)};

  // Today so far, in the report's zone.
  {
    ReportQuery today = *q;
    today.kind = "daily";
    // $CCO_NOW when set, as the active block's "now" (fixed clocks in tests
    // and the README's screenshot).
    absl::StatusOr<int64_t> now_ms = CommandNowMs();
    const absl::Time now = now_ms.ok() ? absl::FromUnixMillis(*now_ms) : absl::Now();
    today.filter.since = today.filter.until = absl::ToCivilDay(now, q->zone.tz);
    auto a = AnswerReport(db, today);
    TokenTotals t;
    if (a.ok()) {
      for (const UsageRow& r : a->rows) t.Add(r.tokens);
    }
    absl::StrAppend(&body, "<section class=\"today\" aria-labelledby=\"today-h\"><h2 id=\"today-h\">Today so far (",
                    HtmlEscape(absl::FormatCivilTime(*today.filter.since)), ", ", HtmlEscape(q->zone.name),
                    ")</h2><dl><dt>Cost</dt><dd id=\"today-cost\">", Usd(t.cost_nanousd),
                    "</dd><dt>Tokens</dt><dd id=\"today-tokens\">", Thousands(t.total()),
                    "</dd><dt>API calls</dt><dd id=\"today-calls\">", Thousands(t.api_calls), "</dd></dl></section>\n");
  }

  absl::StrAppend(&body, ActiveBlockSection(db, *q));

  absl::StatusOr<ReportAnswer> answer = AnswerReport(db, *q);
  if (!answer.ok()) {
    return {500, Layout("Overview", "Overview", body + ErrorNote(answer.status()), ctx)};
  }
  // Models by their share of the range, largest first.
  std::map<std::string, int64_t> model_cost;
  TokenTotals range_total;
  for (const UsageRow& r : answer->rows) {
    range_total.Add(r.tokens);
    for (const ModelTotals& m : r.models) model_cost[m.model] += tokens ? m.tokens.total() : m.tokens.cost_nanousd;
  }
  std::vector<std::string> models;
  for (const auto& [m, v] : model_cost) models.push_back(m);
  std::stable_sort(models.begin(), models.end(),
                   [&](const std::string& a, const std::string& b) { return model_cost[a] > model_cost[b]; });
  std::vector<std::string> labels;
  std::vector<Series> series;
  for (const std::string& m : models) series.push_back(Series{m, {}});
  for (const UsageRow& r : answer->rows) {
    labels.push_back(r.key);
    for (size_t i = 0; i < models.size(); ++i) {
      double v = 0;
      for (const ModelTotals& m : r.models) {
        if (m.model == models[i]) {
          v += tokens ? static_cast<double>(m.tokens.total()) : static_cast<double>(m.tokens.cost_nanousd) / 1e9;
        }
      }
      series[i].values.push_back(v);
    }
  }
  const std::string what = period == "daily" ? "day" : period == "weekly" ? "week" : "month";
  auto fmt = [tokens](double v) {
    return tokens ? Thousands(static_cast<int64_t>(std::llround(v))) : absl::StrFormat("$%.2f", v);
  };
  absl::StrAppend(&body, "<section aria-labelledby=\"usage-h\"><h2 id=\"usage-h\">", tokens ? "Tokens" : "Cost",
                  " per ", what, " by model (", HtmlEscape(q->zone.name), ")</h2>");
  if (answer->rows.empty()) {
    absl::StrAppend(&body, "<p class=\"empty\">No usage in this range.</p>");
  } else {
    absl::StrAppend(&body, StackedBars("usage-chart", absl::StrCat(tokens ? "Tokens" : "Estimated cost (USD)", " per ",
                                                                   what, ", stacked by model"),
                                       labels, series, "usage-table", fmt));
  }
  absl::StrAppend(&body, "<table id=\"usage-table\"><caption>", tokens ? "Tokens" : "Cost", " per ", what,
                  " and model</caption><thead><tr><th scope=\"col\">", period == "daily" ? "Date" : "Period", "</th>");
  for (const std::string& m : models) absl::StrAppend(&body, "<th scope=\"col\">", HtmlEscape(m), "</th>");
  absl::StrAppend(&body, "<th scope=\"col\">Total tokens</th><th scope=\"col\">Cost (USD)</th></tr></thead><tbody>");
  for (size_t i = 0; i < answer->rows.size(); ++i) {
    const UsageRow& r = answer->rows[i];
    absl::StrAppend(&body, "<tr><th scope=\"row\">", HtmlEscape(r.key), "</th>");
    for (const Series& s : series) absl::StrAppend(&body, Cell(fmt(s.values[i]), true));
    absl::StrAppend(&body, Cell(Thousands(r.tokens.total()), true), Cell(Usd(r.tokens.cost_nanousd), true), "</tr>");
  }
  absl::StrAppend(&body, "</tbody><tfoot><tr><th scope=\"row\">Total</th>");
  for (const std::string& m : models) absl::StrAppend(&body, Cell(fmt(tokens ? static_cast<double>(model_cost[m])
                                                                             : static_cast<double>(model_cost[m]) / 1e9),
                                                                  true));
  absl::StrAppend(&body, Cell(Thousands(range_total.total()), true), Cell(Usd(range_total.cost_nanousd), true),
                  "</tr></tfoot></table></section>\n");

  // By project, over the same range.
  ReportQuery by_project = *q;
  by_project.kind = "project";
  by_project.order.clear();
  absl::StatusOr<ReportAnswer> projects = AnswerReport(db, by_project);
  if (projects.ok() && !projects->rows.empty()) {
    std::vector<std::string> names;
    Series cost{tokens ? "tokens" : "cost", {}};
    for (const UsageRow& r : projects->rows) {
      names.push_back(r.key);
      cost.values.push_back(tokens ? static_cast<double>(r.tokens.total())
                                   : static_cast<double>(r.tokens.cost_nanousd) / 1e9);
    }
    absl::StrAppend(&body, "<section aria-labelledby=\"project-h\"><h2 id=\"project-h\">By project</h2>",
                    StackedBars("project-chart", absl::StrCat(tokens ? "Tokens" : "Estimated cost (USD)",
                                                              " per project in the range"),
                                names, {cost}, "project-table", fmt),
                    "<table id=\"project-table\"><caption>Usage per project</caption><thead><tr>"
                    "<th scope=\"col\">Project</th><th scope=\"col\">Input</th><th scope=\"col\">Output</th>"
                    "<th scope=\"col\">Cache create</th><th scope=\"col\">Cache read</th>"
                    "<th scope=\"col\">Total tokens</th><th scope=\"col\">Cost (USD)</th></tr></thead><tbody>");
    for (const UsageRow& r : projects->rows) {
      absl::StrAppend(&body, "<tr><th scope=\"row\">", HtmlEscape(r.key), "</th>", Cell(Thousands(r.tokens.input), true),
                      Cell(Thousands(r.tokens.output), true), Cell(Thousands(r.tokens.cache_creation), true),
                      Cell(Thousands(r.tokens.cache_read), true), Cell(Thousands(r.tokens.total()), true),
                      Cell(Usd(r.tokens.cost_nanousd), true), "</tr>");
    }
    absl::StrAppend(&body, "</tbody></table></section>\n");
  }
  absl::StrAppend(&body, "<p class=\"note\">Output tokens are a lower bound: most Claude Code versions never write a "
                         "streamed response's final usage to the transcript. The same numbers as JSON: "
                         "<a href=\"/api/report/", period, "\">/api/report/", period, "</a>.</p>");
  return {200, Layout("Overview", "Overview", body, ctx)};
}

Page SessionsPage(Reader& db, const PageContext& ctx, const PageParams& raw) {
  const PageParams params = WithDefaultRange(raw);
  const std::string filter_text = Get(params, "q");
  std::string body = Pickers(db, "/sessions", params, false,
                             absl::StrCat("<label>Filter <input type=\"search\" name=\"q\" value=\"",
                                          HtmlEscape(filter_text), "\" placeholder=\"title, project, id\"></label>"));
  PageParams report_params = params;
  report_params.erase("order");
  absl::StatusOr<ReportQuery> q = QueryFor(db, "session", report_params);
  if (!q.ok()) return {StatusFor(q.status()), Layout("Sessions", "Sessions", body + ErrorNote(q.status()), ctx)};

  static const std::vector<std::pair<std::string, SessionSort>> kSorts = {
      {"last", SessionSort::kLast},   {"first", SessionSort::kFirst},       {"cost", SessionSort::kCost},
      {"tokens", SessionSort::kTokens}, {"calls", SessionSort::kCalls},   {"messages", SessionSort::kMessages},
      {"project", SessionSort::kProject}, {"title", SessionSort::kTitle}};
  std::string sort = Get(params, "sort", "last");
  auto chosen = std::find_if(kSorts.begin(), kSorts.end(), [&sort](const auto& s) { return s.first == sort; });
  if (chosen == kSorts.end()) {
    sort = "last";
    chosen = kSorts.begin();
  }
  const bool text_sort = sort == "project" || sort == "title";
  const std::string dir = Get(params, "dir", text_sort ? "asc" : "desc") == "asc" ? "asc" : "desc";
  int64_t page = PageNumber(params);

  // The database filters, sorts and cuts the page (src/session_list.h).
  SessionListQuery list_query;
  list_query.filter = q->filter;
  list_query.text = filter_text;
  list_query.sort = chosen->second;
  list_query.ascending = dir == "asc";
  list_query.limit = kSessionsPerPage;
  list_query.offset = (page - 1) * kSessionsPerPage;
  absl::StatusOr<SessionList> list = db.Sessions(list_query);
  if (!list.ok()) return {500, Layout("Sessions", "Sessions", body + ErrorNote(list.status()), ctx)};
  const int64_t total = list->total;
  const int64_t pages = std::max<int64_t>(1, (total + kSessionsPerPage - 1) / kSessionsPerPage);
  if (page > pages) {
    // Past the end (the list shrank, or a hand-made link): the last page.
    page = pages;
    list_query.offset = (page - 1) * kSessionsPerPage;
    list = db.Sessions(list_query);
    if (!list.ok()) return {500, Layout("Sessions", "Sessions", body + ErrorNote(list.status()), ctx)};
  }

  // Links keep every other parameter.
  auto link = [&params](const std::map<std::string, std::string>& changes) {
    return PageLink("/sessions", params, changes);
  };
  auto header = [&](const std::string& key, const std::string& label) {
    const bool current = key == sort;
    const std::string next = current ? (dir == "asc" ? "desc" : "asc") : (key == "project" || key == "title" ? "asc" : "desc");
    return absl::StrCat("<th scope=\"col\"", current ? absl::StrCat(" aria-sort=\"", dir == "asc" ? "ascending" : "descending", "\"") : "",
                        "><a href=\"", link({{"sort", key}, {"dir", next}, {"page", "1"}}), "\">", label, "</a></th>");
  };
  absl::StrAppend(&body, "<p class=\"count\" id=\"session-count\">", Plural(total, "session"),
                  pages > 1 ? absl::StrCat(", page ", page, " of ", pages) : "", "</p>");
  absl::StrAppend(&body, "<table id=\"sessions-table\"><caption>Sessions (", HtmlEscape(q->zone.name),
                  ")</caption><thead><tr><th scope=\"col\">Session</th>", header("project", "Project"),
                  header("title", "Title"), header("first", "First activity"), header("last", "Last activity"),
                  header("messages", "Messages"), header("calls", "API calls"), header("tokens", "Tokens"),
                  header("cost", "Cost (USD)"), "</tr></thead><tbody>");
  for (const SessionListRow& row : list->rows) {
    const UsageRow& r = row.usage;
    absl::StrAppend(&body, "<tr class=\"session\" data-session=\"", HtmlEscape(r.key), "\"><td><a href=\"/conversation/",
                    UrlEncode(r.key), "\"><code>", HtmlEscape(ShortId(r.key)), "</code></a></td>",
                    Cell(r.project_cwd.empty() ? r.project : r.project_cwd), Cell(r.title),
                    Cell(absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(r.first_ms), q->zone.tz)),
                    Cell(absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(r.last_ms), q->zone.tz)));
    absl::StrAppend(&body, "<td class=\"num messages\">", Thousands(row.messages), "</td>",
                    Cell(Thousands(r.tokens.api_calls), true), Cell(Thousands(r.tokens.total()), true),
                    Cell(Usd(r.tokens.cost_nanousd), true), "</tr>");
  }
  absl::StrAppend(&body, "</tbody></table>", PageNav("/sessions", params, page, pages));
  return {200, Layout("Sessions", "Sessions", body, ctx)};
}

namespace {

constexpr const char* kSearchValueParams[] = {"project", "session", "kind", "since", "until", "tz", "limit", "offset",
                                              "user", "machine"};
constexpr const char* kSearchSwitchParams[] = {"newest", "fts"};
constexpr int kHitsPerPage = 20;
// What the search marks a matched term with in a snippet before the page
// escapes it, then replaced by <mark> and </mark>: control characters,
// which a snippet's own text never holds (the search makes them spaces).
constexpr char kMarkBegin[] = "\x01";
constexpr char kMarkEnd[] = "\x02";

bool SwitchOn(const PageParams& params, const std::string& name) {
  auto it = params.find(name);
  return it != params.end() && it->second != "0" && it->second != "false";
}

}  // namespace

const std::vector<std::string>& SearchParams() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>{"q"};
    v->insert(v->end(), std::begin(kSearchValueParams), std::end(kSearchValueParams));
    v->insert(v->end(), std::begin(kSearchSwitchParams), std::end(kSearchSwitchParams));
    return v;
  }();
  return *names;
}

std::vector<std::string> SearchArgv(const PageParams& params) {
  std::vector<std::string> argv;
  AppendTeamFlags(params, &argv);
  for (const char* flag : kSearchValueParams) {
    if (std::string_view(flag) == "user" || std::string_view(flag) == "machine") continue;  // AppendTeamFlags
    const std::string v = Get(params, flag);
    if (!v.empty()) argv.insert(argv.end(), {absl::StrCat("--", flag), v});
  }
  for (const char* flag : kSearchSwitchParams) {
    if (SwitchOn(params, flag)) argv.push_back(absl::StrCat("--", flag));
  }
  // After "--": words starting with "-" are words, not flags.
  const std::string words = Get(params, "q");
  if (!words.empty()) argv.insert(argv.end(), {"--", words});
  return argv;
}

Page SearchPage(Reader& db, const PageContext& ctx, const PageParams& raw) {
  PageParams params = raw;
  params.erase("limit");   // the page's own size and place
  params.erase("offset");
  const std::string words = Get(params, "q");
  const bool newest = SwitchOn(params, "newest");
  std::string kinds = "<label>Kind <select name=\"kind\"><option value=\"\">any</option>";
  for (std::string_view k : kMessageKinds) {
    absl::StrAppend(&kinds, "<option", Get(params, "kind") == k ? " selected" : "", ">", std::string(k), "</option>");
  }
  absl::StrAppend(&kinds, "</select></label><label class=\"switch\"><input type=\"checkbox\" name=\"newest\" "
                          "value=\"1\"", newest ? " checked" : "", "> newest first</label>",
                  "<label class=\"switch\"><input type=\"checkbox\" name=\"fts\" value=\"1\"",
                  SwitchOn(params, "fts") ? " checked" : "", "> FTS5 syntax</label>");
  if (!Get(params, "session").empty()) {
    absl::StrAppend(&kinds, "<input type=\"hidden\" name=\"session\" value=\"", HtmlEscape(Get(params, "session")),
                    "\">");
  }
  std::string body = Pickers(
      db, "/search", params, false, kinds,
      absl::StrCat("<label>Words <input type=\"search\" name=\"q\" size=\"32\" value=\"", HtmlEscape(words),
                   "\" placeholder=\"what to find\"></label>"));
  if (words.empty()) {
    absl::StrAppend(&body, "<p class=\"note\" id=\"search-help\">Every stored message holding all the words, best "
                           "match first: code as typed (<code>src/x.cc</code>, <code>ERR_X77</code>), case and accents "
                           "ignored. The same search as <code>cco search</code>; as JSON: "
                           "<code>/api/search?q=WORDS</code>.</p>");
    return {200, Layout("Search", "Search", body, ctx)};
  }
  if (!Get(params, "session").empty()) {
    absl::StrAppend(&body, "<p class=\"note\">In session <code>", HtmlEscape(Get(params, "session")), "</code> only (<a href=\"",
                    PageLink("/search", params, {{"session", ""}, {"page", ""}}), "\">search everywhere</a>).</p>");
  }
  const std::string title = absl::StrCat("Search: ", words);
  int64_t page = PageNumber(params);
  PageParams asked = params;
  asked["limit"] = absl::StrCat(kHitsPerPage);
  absl::StatusOr<SearchQuery> q = [&]() -> absl::StatusOr<SearchQuery> {
    ASSIGN_OR_RETURN(Args args, ParseArgs(SearchArgv(asked), FlagsFor("search")));
    ASSIGN_OR_RETURN(SearchQuery query, ParseSearchQuery(args));
    RETURN_IF_ERROR(ResolveSearchProject(db, &query));
    return query;
  }();
  if (!q.ok()) return {StatusFor(q.status()), Layout(title, "Search", body + ErrorNote(q.status()), ctx)};
  q->request.mark_begin = kMarkBegin;
  q->request.mark_end = kMarkEnd;
  // Offsets past kMaxSearchOffset are not asked for: the last page there.
  page = std::min<int64_t>(page, kMaxSearchOffset / kHitsPerPage + 1);
  q->request.offset = static_cast<int>((page - 1) * kHitsPerPage);
  absl::StatusOr<SearchResult> result = db.Search(q->request);
  // The matches a page can show: best first, those ranked (SearchResult::ranked).
  auto pageable = [newest](const SearchResult& r) { return newest || r.ranked == 0 ? r.total : r.ranked; };
  if (result.ok() && result->hits.empty() && pageable(*result) > 0) {
    // Past the end (fewer matches since, or a hand-made link): the last page.
    page = std::min<int64_t>((pageable(*result) + kHitsPerPage - 1) / kHitsPerPage,
                             kMaxSearchOffset / kHitsPerPage + 1);
    q->request.offset = static_cast<int>((page - 1) * kHitsPerPage);
    result = db.Search(q->request);
  }
  if (!result.ok()) return {StatusFor(result.status()), Layout(title, "Search", body + ErrorNote(result.status()), ctx)};
  const int64_t total = result->total;
  const int64_t shown = pageable(*result);
  const int64_t pages =
      std::min<int64_t>(std::max<int64_t>(1, (shown + kHitsPerPage - 1) / kHitsPerPage), kMaxSearchOffset / kHitsPerPage + 1);
  absl::StrAppend(&body, "<p class=\"count\" id=\"search-count\">", Plural(total, "message"), " match",
                  total == 1 ? "es" : "", ", ",
                  newest           ? "newest first"
                  : shown < total  ? absl::StrCat("best first among the newest ", Thousands(shown),
                                                  " (more words, a project or a range rank them all)")
                                   : "best first",
                  pages > 1 ? absl::StrCat(", page ", page, " of ", pages) : "", " (times in ", HtmlEscape(q->zone.name),
                  ")",
                  shown > pages * kHitsPerPage
                      ? absl::StrCat("; the first ", Thousands(pages * kHitsPerPage),
                                     " can be paged through: narrow the search for the others")
                      : "",
                  "</p>");
  if (!result->hits.empty()) {
    absl::StrAppend(&body, "<ol class=\"hits\" id=\"search-results\" start=\"", q->request.offset + 1, "\">");
  }
  for (const SearchHit& h : result->hits) {
    const std::string when = h.timestamp_ms.has_value()
                                 ? absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(*h.timestamp_ms), q->zone.tz)
                                 : "(no time)";
    // The page holding the message, scrolled to it (a line without uuid by
    // its row id).
    const std::string href =
        h.uuid.empty() ? absl::StrCat("/conversation/", UrlEncode(h.session), "?r=", h.message_id, "#r-", h.message_id)
                       : absl::StrCat("/conversation/", UrlEncode(h.session), "?m=", UrlEncode(h.uuid), "#m-",
                                      UrlEncode(h.uuid));
    const std::string snippet = absl::StrReplaceAll(HtmlEscape(h.snippet), {{kMarkBegin, "<mark>"}, {kMarkEnd, "</mark>"}});
    absl::StrAppend(&body, "<li class=\"hit\" data-session=\"", HtmlEscape(h.session), "\"><p class=\"where\"><a href=\"",
                    HtmlEscape(href), "\">", HtmlEscape(when), "</a> · ", HtmlEscape(h.project), " · ",
                    HtmlEscape(h.kind.empty() ? "message" : h.kind), " · <code>", HtmlEscape(ShortId(h.session)),
                    "</code></p><p class=\"snippet\">", snippet, "</p></li>");
  }
  if (!result->hits.empty()) absl::StrAppend(&body, "</ol>");
  absl::StrAppend(&body, PageNav("/search", params, page, pages));
  return {200, Layout(title, "Search", body, ctx)};
}

Page ToolsPage(Reader& db, const PageContext& ctx, const PageParams& raw) {
  const PageParams params = WithDefaultRange(raw);
  std::string body = Pickers(db, "/tools", params, false);
  absl::StatusOr<ReportQuery> q = QueryFor(db, "tools", params);
  if (!q.ok()) return {StatusFor(q.status()), Layout("Tools", "Tools", body + ErrorNote(q.status()), ctx)};
  absl::StatusOr<ReportAnswer> answer = AnswerReport(db, *q);
  if (!answer.ok()) return {500, Layout("Tools", "Tools", body + ErrorNote(answer.status()), ctx)};
  if (answer->tools.empty()) {
    absl::StrAppend(&body, "<p class=\"empty\">No tool calls in this range.</p>");
    return {200, Layout("Tools", "Tools", body, ctx)};
  }
  std::vector<std::string> names;
  Series ok{"succeeded", {}}, failed{"errors", {}}, other{"rejected, interrupted or pending", {}};
  for (const ToolRow& r : answer->tools) {
    names.push_back(r.tool);
    failed.values.push_back(static_cast<double>(r.errors));
    other.values.push_back(static_cast<double>(r.rejected + r.interrupted + r.pending));
    ok.values.push_back(static_cast<double>(r.calls - r.errors - r.rejected - r.interrupted - r.pending));
  }
  absl::StrAppend(&body, "<section aria-labelledby=\"tools-h\"><h2 id=\"tools-h\">Calls per tool</h2>",
                  StackedBars("tools-chart", "Calls per tool, by outcome", names, {ok, failed, other}, "tools-table",
                              [](double v) { return Thousands(static_cast<int64_t>(std::llround(v))); }),
                  "<table id=\"tools-table\"><caption>Tool calls, errors and durations</caption><thead><tr>"
                  "<th scope=\"col\">Tool</th><th scope=\"col\">Calls</th><th scope=\"col\">Errors</th>"
                  "<th scope=\"col\">Error rate</th><th scope=\"col\">Rejected</th><th scope=\"col\">Interrupted</th>"
                  "<th scope=\"col\">Pending</th><th scope=\"col\">Mean</th><th scope=\"col\">p95</th></tr></thead>"
                  "<tbody>");
  auto row = [](const ToolRow& r, bool total) {
    return absl::StrCat(total ? "<tr class=\"total\">" : "<tr>", "<th scope=\"row\">", HtmlEscape(r.tool), "</th>",
                        Cell(Thousands(r.calls), true), Cell(Thousands(r.errors), true),
                        Cell(absl::StrFormat("%.1f%%", r.error_rate() * 100), true), Cell(Thousands(r.rejected), true),
                        Cell(Thousands(r.interrupted), true), Cell(Thousands(r.pending), true),
                        Cell(HumanDuration(r.mean_ms), true), Cell(HumanDuration(static_cast<double>(r.p95_ms)), true),
                        "</tr>");
  };
  for (const ToolRow& r : answer->tools) absl::StrAppend(&body, row(r, false));
  absl::StrAppend(&body, "</tbody><tfoot>", row(answer->tools_total, true), "</tfoot></table></section>\n");

  // Over time, per day of the zone, from the tool rollups' histograms.
  absl::StatusOr<std::vector<ToolDayRow>> timeline = db.ToolTimeline(q->filter);
  if (!timeline.ok()) {
    absl::StrAppend(&body, ErrorNote(timeline.status()));
  } else if (!timeline->empty()) {
    // The six most called tools have their own series; the rest are "other".
    std::vector<std::string> top;
    for (const ToolRow& r : answer->tools) {
      if (top.size() < 6) top.push_back(r.tool);
    }
    std::vector<std::string> days;
    for (const ToolDayRow& d : *timeline) {
      if (days.empty() || days.back() != d.day) days.push_back(d.day);
    }
    std::vector<Series> per_tool;
    for (const std::string& t : top) per_tool.push_back(Series{t, std::vector<double>(days.size(), 0)});
    per_tool.push_back(Series{"other", std::vector<double>(days.size(), 0)});
    size_t day_index = 0;
    for (const ToolDayRow& d : *timeline) {
      while (days[day_index] != d.day) ++day_index;
      const size_t s = static_cast<size_t>(std::find(top.begin(), top.end(), d.tool.tool) - top.begin());
      per_tool[std::min(s, top.size())].values[day_index] += static_cast<double>(d.tool.calls);
    }
    if (std::all_of(per_tool.back().values.begin(), per_tool.back().values.end(), [](double v) { return v == 0; })) {
      per_tool.pop_back();
    }
    absl::StrAppend(&body, "<section aria-labelledby=\"timeline-h\"><h2 id=\"timeline-h\">Over time (",
                    HtmlEscape(q->zone.name), ")</h2>",
                    StackedBars("timeline-chart", "Calls per day, stacked by tool", days, per_tool,
                                "timeline-table",
                                [](double v) { return Thousands(static_cast<int64_t>(std::llround(v))); }),
                    "<table id=\"timeline-table\"><caption>Calls, errors and p95 duration per tool and day</caption>"
                    "<thead><tr><th scope=\"col\">Day</th><th scope=\"col\">Tool</th><th scope=\"col\">Calls</th>"
                    "<th scope=\"col\">Errors</th><th scope=\"col\">Error rate</th><th scope=\"col\">p95</th>"
                    "</tr></thead><tbody>");
    for (const ToolDayRow& d : *timeline) {
      absl::StrAppend(&body, "<tr><th scope=\"row\">", HtmlEscape(d.day), "</th>", Cell(d.tool.tool),
                      Cell(Thousands(d.tool.calls), true), Cell(Thousands(d.tool.errors), true),
                      Cell(absl::StrFormat("%.1f%%", d.tool.error_rate() * 100), true),
                      Cell(d.tool.p95_ms > 0 || d.tool.mean_ms > 0 ? HumanDuration(static_cast<double>(d.tool.p95_ms))
                                                                    : "-",
                           true),
                      "</tr>");
    }
    absl::StrAppend(&body, "</tbody></table><p class=\"note\">Durations come from the tool rollups' histograms: "
                           "p95 is exact below one second and at most 1 % low above it.</p></section>\n");
  }
  return {200, Layout("Tools", "Tools", body, ctx)};
}

Page StatusPage(const StatusView& s, const PageContext& ctx) {
  std::string body = "<dl class=\"status\">";
  auto item = [&body](const std::string& term, const std::string& value, const std::string& id = "") {
    absl::StrAppend(&body, "<dt>", HtmlEscape(term), "</dt><dd", id.empty() ? "" : absl::StrCat(" id=\"", id, "\""),
                    ">", HtmlEscape(value), "</dd>");
  };
  std::string writer = "not running";
  if (s.running) {
    writer = absl::StrCat(s.db.writer_command.empty() ? "running" : s.db.writer_command,
                          s.pid.has_value() ? absl::StrCat(" (pid ", *s.pid, ")") : "");
    if (s.db.writer_started_ms.has_value() && *s.db.writer_started_ms > 0) {
      absl::StrAppend(&writer, " since ", IsoUtcMs(*s.db.writer_started_ms));
    }
  } else if (!s.db.writer_command.empty()) {
    absl::StrAppend(&writer, " (last: ", s.db.writer_command, ")");
  }
  item("Writer", writer, "writer");
  item("Database", absl::StrCat(s.db_path, " (", HumanBytes(static_cast<double>(s.db_bytes)), ", WAL ",
                                HumanBytes(static_cast<double>(s.wal_bytes)), ")"));
  std::string last = "never";
  if (s.db.last_commit_ms.has_value()) {
    last = *s.db.last_commit_ms == 0 ? "not recorded (cco replay keeps no clock)" : IsoUtcMs(*s.db.last_commit_ms);
  }
  item("Last commit", last, "last-commit");
  item("Queue", s.running ? Plural(s.db.queue_depth, "chunk") : "-");
  if (s.walk_open) {
    const WalkStatus& w = *s.db.walk;
    item(s.running ? "Backfill" : "Interrupted walk",
         absl::StrCat(w.files_read, " of ", Plural(w.files, "file"), ", ",
                      HumanBytes(static_cast<double>(w.bytes_read)), " of ", HumanBytes(static_cast<double>(w.bytes)),
                      s.eta_s.has_value() ? absl::StrCat(", ETA ", *s.eta_s, " s") : ""));
  }
  item("Files", absl::StrCat(s.db.files, " live, ", s.db.files_archived, " archived",
                             s.files_missing > 0 ? absl::StrCat(", ", s.files_missing, " gone since last check") : ""));
  item("Rows", absl::StrCat(Thousands(s.db.messages), " messages, ", Thousands(s.db.events), " events"), "rows");
  item("Quarantined lines", Thousands(s.db.quarantined), "quarantined");
  item("Lag", absl::StrCat(HumanBytes(static_cast<double>(s.pending_bytes)), " in ", Plural(s.pending_files, "file"),
                           s.walk_open ? " not yet read" : " not yet committed"), "lag");
  if (s.db.refused_chunks > 0) item("Refused chunks", Thousands(s.db.refused_chunks));
  if (!s.skipped.empty()) item("Skipped paths", Thousands(static_cast<int64_t>(s.skipped.size())));
  absl::StrAppend(&body, "</dl>");
  if (!s.db.roots.empty()) {
    absl::StrAppend(&body, "<table id=\"roots-table\"><caption>Roots</caption><thead><tr><th scope=\"col\">Root</th>"
                           "<th scope=\"col\">Files</th><th scope=\"col\">Archived</th><th scope=\"col\">Pending</th>"
                           "</tr></thead><tbody>");
    for (size_t i = 0; i < s.db.roots.size(); ++i) {
      const RootCounts& r = s.db.roots[i];
      absl::StrAppend(&body, "<tr><th scope=\"row\">", HtmlEscape(r.root), "</th>", Cell(Thousands(r.files), true),
                      Cell(Thousands(r.archived), true),
                      Cell(HumanBytes(static_cast<double>(i < s.root_pending.size() ? s.root_pending[i] : 0)), true),
                      "</tr>");
    }
    absl::StrAppend(&body, "</tbody></table>");
  }
  if (!s.lagging.empty()) {
    absl::StrAppend(&body, "<table id=\"lagging-table\"><caption>Files behind</caption><thead><tr>"
                           "<th scope=\"col\">File</th><th scope=\"col\">Pending</th></tr></thead><tbody>");
    for (const LaggingFile& f : s.lagging) {
      absl::StrAppend(&body, "<tr>", Cell(f.path), Cell(HumanBytes(static_cast<double>(f.pending_bytes)), true),
                      "</tr>");
    }
    absl::StrAppend(&body, "</tbody></table>");
  }
  absl::StrAppend(&body, "<p class=\"note\">As JSON: <a href=\"/api/status\">/api/status</a> (the same as "
                         "<code>cco status --json</code>).</p>");
  return {200, Layout("Status", "Status", body, ctx)};
}

Page ServerStatusPage(const ServerStatusView& s, const PageContext& ctx) {
  std::string body = "<dl class=\"status\">";
  absl::StrAppend(&body, "<dt>Team server</dt><dd>", HtmlEscape(s.server), " (as far as this role may read)</dd>",
                  "<dt>Rows</dt><dd id=\"rows\">", Thousands(s.messages), " messages, ", Thousands(s.events),
                  " events</dd></dl>");
  if (s.machines.empty()) {
    absl::StrAppend(&body, "<p id=\"machines-none\">No machine has pushed yet.</p>");
  } else {
    absl::StrAppend(&body, "<table id=\"machines-table\"><caption>Machines</caption><thead><tr>"
                           "<th scope=\"col\">Machine</th><th scope=\"col\">User</th>"
                           "<th scope=\"col\">Pushed up to change</th><th scope=\"col\">Rows over time</th>"
                           "<th scope=\"col\">Last push</th></tr></thead><tbody>");
    for (const PushedMachine& m : s.machines) {
      absl::StrAppend(&body, "<tr><th scope=\"row\">", HtmlEscape(m.machine), "</th>", Cell(m.user),
                      Cell(Thousands(m.pushed_seq), true), Cell(Thousands(m.rows), true), Cell(IsoUtcMs(m.pushed_at_ms)),
                      "</tr>");
    }
    absl::StrAppend(&body, "</tbody></table>");
  }
  absl::StrAppend(&body, "<p class=\"note\">As JSON: <a href=\"/api/status\">/api/status</a> (the same as "
                         "<code>cco status --db URL --json</code>).</p>");
  return {200, Layout("Status", "Status", body, ctx)};
}

Page ConversationPage(Reader& db, const PageContext& ctx, const std::string& requested, const PageParams& params) {
  absl::StatusOr<std::string> session = db.ResolveSession(requested);
  if (!session.ok()) {
    return ErrorPage(absl::IsNotFound(session.status()) ? 404 : 400, std::string(session.status().message()), ctx);
  }
  // The page holding ?m=UUID (or ?r=ROW, a line without uuid) unless a
  // ?page is asked for; past the end (a hand-made link), the last page.
  const std::string anchor = Get(params, "m");
  int64_t anchor_row = 0;
  if (!absl::SimpleAtoi(Get(params, "r"), &anchor_row) || anchor_row < 0) anchor_row = 0;
  MessageWindow window;
  window.offset = (PageNumber(params) - 1) * kMessagesPerPage;
  window.limit = kMessagesPerPage;
  if (Get(params, "page").empty()) {
    window.around_uuid = anchor;
    window.around_id = anchor_row;
  }
  absl::StatusOr<Conversation> c = db.LoadConversation(*session, window);
  if (!c.ok()) return ErrorPage(500, std::string(c.status().message()), ctx);
  const int64_t page = c->window_offset / kMessagesPerPage + 1;
  const int64_t pages = std::max<int64_t>(1, (c->stored_messages + kMessagesPerPage - 1) / kMessagesPerPage);
  std::string body;
  absl::StrAppend(&body, "<p class=\"note\">The stored lines, byte-exact, one copy of each transcript (as <code>cco "
                         "export --format jsonl</code>): "
                         "<a href=\"/api/conversation/", UrlEncode(c->session_id), "\">/api/conversation/",
                  HtmlEscape(c->session_id), "</a>.</p>\n");
  absl::StrAppend(&body, "<form class=\"pickers\" method=\"get\" action=\"/search\"><input type=\"hidden\" "
                         "name=\"session\" value=\"", HtmlEscape(c->session_id), "\"><label>Search this conversation "
                         "<input type=\"search\" name=\"q\" size=\"32\"></label><button type=\"submit\">Search</button>"
                         "</form>\n");
  // Long conversations a page at a time; links keep the page only.
  std::string nav;
  if (pages > 1) {
    const std::string path = absl::StrCat("/conversation/", UrlEncode(c->session_id));
    const int64_t last = c->window_offset + kMessagesPerPage < c->stored_messages ? c->window_offset + kMessagesPerPage
                                                                                   : c->stored_messages;
    nav = absl::StrCat("<p class=\"count\">Messages ", Thousands(c->window_offset + 1), "–", Thousands(last), " of ",
                       Thousands(c->stored_messages), ", page ", page, " of ", pages, "</p>",
                       PageNav(path, {}, page, pages));
  }
  HtmlRenderOptions options;
  options.anchor_uuid = anchor;
  options.anchor_id = anchor.empty() ? anchor_row : 0;
  absl::StrAppend(&body, nav, RenderConversationHtml(*c, options), nav);
  return {200, Layout(c->title.empty() ? absl::StrCat("Session ", c->session_id) : c->title, "Sessions", body, ctx)};
}

const std::string& StylesheetText() {
  static const std::string* text = new std::string(R"css(
:root { font-family: system-ui, sans-serif; color: #1a1a1a; background: #fff; }
body { margin: 0; max-width: none; padding: 0; }
header { display: flex; gap: 1.5em; align-items: baseline; padding: .6em 1.2em; background: #0b3954; color: #fff; }
header a { color: #fff; margin-right: 1em; text-decoration: none; }
header a[aria-current] { text-decoration: underline; font-weight: bold; }
header .db { margin-left: auto; font-size: .8em; opacity: .8; }
main { padding: 0 1.2em 2em; max-width: 1200px; }
h1 { font-size: 1.4em; }
h2 { font-size: 1.1em; margin-top: 1.6em; }
form.pickers { display: flex; flex-wrap: wrap; gap: .8em; align-items: end; margin: .5em 0 1em; }
form.pickers label { display: flex; flex-direction: column; font-size: .85em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
th[scope=row] { white-space: nowrap; }
th, td { padding: .25em .6em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.num, tfoot td { text-align: right; font-variant-numeric: tabular-nums; }
tfoot th, tfoot td, tr.total th, tr.total td { font-weight: bold; border-top: 2px solid #888; }
figure { margin: 0; }
svg.chart { width: 100%; max-width: 880px; height: auto; }
svg .grid { stroke: #e4e4e4; }
svg .axis { font-size: 11px; fill: #555; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1em; font-size: .85em; }
.today dl { display: grid; grid-template-columns: max-content max-content; gap: .2em 1em; }
dl.status { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1.2em; }
dt { font-weight: bold; }
dd { margin: 0; }
.error { color: #a00; font-weight: bold; }
.note { font-size: .85em; color: #555; }
nav.pages a { margin-right: 1em; }
form.pickers label.switch { flex-direction: row; gap: .3em; align-items: center; }
ol.hits { padding-left: 2.2em; }
ol.hits li { margin: .2em 0 1em; }
ol.hits p { margin: .1em 0; }
ol.hits .where { font-size: .85em; color: #555; }
mark { background: #ffe08a; color: inherit; }
)css");
  return *text;
}

// Live updates: polls the change sequence and, when it moved, fetches the
// page again and swaps its <main>. No inline script anywhere (the policy
// forbids it); this file is the only script.
const std::string& ScriptText() {
  static const std::string* text = new std::string(R"js('use strict';
(function () {
  var seq = document.body.dataset.changeSeq;
  var busy = false;
  function refresh() {
    busy = true;
    fetch(location.href, {credentials: 'same-origin'}).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var fresh = doc.getElementById('main');
      if (fresh) {
        document.getElementById('main').replaceWith(document.adoptNode(fresh));
        seq = doc.body.dataset.changeSeq;
        document.body.dataset.changeSeq = seq;
      }
    }).catch(function () {}).finally(function () { busy = false; });
  }
  function poll() {
    // Not while the person types into a form of the page (the swap would
    // take their input away); the next poll after they leave it.
    var active = document.activeElement;
    if (busy || document.hidden || (active && active.closest && active.closest('form'))) return;
    fetch('/api/changes', {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (c) {
      if (String(c.changeSeq) !== String(seq)) refresh();
    }).catch(function () {});
  }
  setInterval(poll, 2000);
})();
)js");
  return *text;
}

}  // namespace cco

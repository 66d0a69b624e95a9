// `cco top`: a live terminal view, refreshed every second, of what the
// database that `cco watch` keeps says now: the active billing block against
// a token limit with its projection and burn rate, a period's tokens and
// cost by model, sessions active in the last minutes, recent tool errors and
// a usage limit in force. ncurses draws it (resizes, any terminal terminfo
// knows, over ssh); --no-color or NO_COLOR (set and not empty, as
// no-color.org says) turns colour off. Read-only, through indexes
// and rollups: a refresh costs milliseconds however long the history.
#include <curses.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/format.h"
#include "cli/help.h"
#include "cli/now.h"
#include "cli/time_zone.h"
#include "src/activity.h"
#include "src/blocks.h"
#include "src/daemon/paths.h"
#include "src/reader.h"
#include "src/usage_limit.h"

namespace cco {
namespace {

enum class Span { kToday, kWeek, kMonth };

// One refresh's answers.
struct View {
  int64_t now_ms = 0;
  std::optional<BillingBlock> block;
  std::vector<ModelUsage> models;
  std::vector<ActiveSession> sessions;
  std::vector<ToolError> errors;
  std::optional<UsageLimitNotice> limit;
  std::string problem;  // a query that failed, said on the screen
};

constexpr int64_t kActiveSessionMs = 10 * 60 * 1000;

absl::Status Load(Reader& reader, Db& db, Span span, const absl::TimeZone& tz, int64_t now_ms, View* v) {
  v->now_ms = now_ms;
  ASSIGN_OR_RETURN(v->block, reader.ActiveBlock(now_ms, kDefaultSessionMs));
  const absl::CivilDay today = absl::ToCivilDay(absl::FromUnixMillis(now_ms), tz);
  absl::CivilDay first = today;
  if (span == Span::kWeek) first = today - 6;
  if (span == Span::kMonth) first = absl::CivilDay(absl::CivilMonth(today));
  ASSIGN_OR_RETURN(v->models, UsageByModel(db, absl::ToUnixMillis(absl::FromCivil(first, tz)),
                                            absl::ToUnixMillis(absl::FromCivil(today + 1, tz))));
  ASSIGN_OR_RETURN(v->sessions, ActiveSessions(db, now_ms - kActiveSessionMs, now_ms, 20));
  ASSIGN_OR_RETURN(v->errors, RecentToolErrors(db, now_ms, 8));
  ASSIGN_OR_RETURN(v->limit, CurrentUsageLimit(db, now_ms));
  return absl::OkStatus();
}

std::string Usd(int64_t nano) { return absl::StrFormat("$%.2f", static_cast<double>(nano) / 1e9); }

std::string Left(int64_t ms) {
  const int64_t minutes = std::max<int64_t>(0, (ms + 30'000) / 60'000);
  return absl::StrFormat("%dh %02dm", minutes / 60, minutes % 60);
}

// One line, cut to the screen's width (printing past it would wrap).
void Line(int y, const std::string& text, int attrs = 0) {
  if (y >= LINES) return;
  if (attrs != 0) attron(attrs);
  mvaddnstr(y, 0, text.c_str(), std::max(0, COLS));
  if (attrs != 0) attroff(attrs);
}

// Colour pairs: 1 ok, 2 warning, 3 over; 0 when colour is off.
int Level(bool color, double percent) {
  if (!color) return 0;
  return COLOR_PAIR(percent >= 100 ? 3 : percent >= 80 ? 2 : 1);
}

void Draw(const View& v, Span span, std::optional<int64_t> limit, const absl::TimeZone& tz, bool color) {
  erase();
  int y = 0;
  const char* span_name = span == Span::kToday ? "today" : span == Span::kWeek ? "last 7 days" : "this month";
  Line(y++, absl::StrCat("cco top  ", absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(v.now_ms), tz),
                         "   [d]ay [w]eek [m]onth  [q]uit"),
       A_BOLD);
  ++y;
  if (v.block.has_value()) {
    const BillingBlock& b = *v.block;
    Line(y++, absl::StrCat("Active block  ", absl::FormatTime("%H:%M", absl::FromUnixMillis(b.start_ms), tz), " - ",
                           absl::FormatTime("%H:%M", absl::FromUnixMillis(b.end_ms), tz), "   ",
                           Left(b.end_ms - v.now_ms), " left   ", Thousands(b.tokens.total()), " tokens   ",
                           Usd(b.tokens.cost_nanousd)),
         A_BOLD);
    if (limit.has_value() && *limit > 0) {
      const double used = static_cast<double>(b.tokens.total()) / static_cast<double>(*limit) * 100;
      const double projected =
          b.projection ? static_cast<double>(b.projection->total_tokens) / static_cast<double>(*limit) * 100 : used;
      const int width = std::max(10, COLS - 30);
      std::string bar(static_cast<size_t>(width), '.');
      const int filled = std::min(width, static_cast<int>(used / 100 * width));
      const int mark = std::min(width - 1, static_cast<int>(projected / 100 * width));
      for (int i = 0; i < filled; ++i) bar[static_cast<size_t>(i)] = '#';
      if (mark >= filled) bar[static_cast<size_t>(mark)] = '|';
      Line(y++, absl::StrFormat("[%s] %5.1f%% of %s", bar, used, Thousands(*limit)), Level(color, projected));
      if (b.projection) {
        Line(y++, absl::StrFormat("Projected at its end: %s tokens (%.1f%% of the limit), $%.2f", Thousands(b.projection->total_tokens),
                                  projected, b.projection->total_cost_usd),
             Level(color, projected));
      }
    }
    if (b.burn_rate) {
      Line(y++, absl::StrFormat("Burn rate: %s tokens/min, $%.2f/hour", Thousands(static_cast<int64_t>(b.burn_rate->tokens_per_minute + 0.5)),
                                b.burn_rate->cost_per_hour_usd));
    }
  } else {
    Line(y++, "No active block (no usage in the last 5 hours).");
  }
  if (v.limit.has_value() && v.limit->reset_ms) {
    Line(y++, absl::StrCat("Usage limit reached; resets ", absl::FormatTime("%a %H:%M", absl::FromUnixMillis(*v.limit->reset_ms), tz)),
         color ? COLOR_PAIR(3) | A_BOLD : A_BOLD);
  }
  ++y;
  Line(y++, absl::StrCat("Tokens and cost by model, ", span_name), A_BOLD);
  int64_t tokens = 0, cost = 0;
  for (const ModelUsage& m : v.models) {
    Line(y++, absl::StrFormat("  %-34s %15s %10s", m.model.empty() ? "(none)" : m.model, Thousands(m.tokens), Usd(m.cost_nanousd)));
    tokens += m.tokens;
    cost += m.cost_nanousd;
  }
  Line(y++, absl::StrFormat("  %-34s %15s %10s", "total", Thousands(tokens), Usd(cost)));
  ++y;
  Line(y++, "Sessions active in the last 10 minutes", A_BOLD);
  if (v.sessions.empty()) Line(y++, "  none");
  for (const ActiveSession& s : v.sessions) {
    Line(y++, absl::StrFormat("  %s  %-8.8s  %10s  %s", absl::FormatTime("%H:%M", absl::FromUnixMillis(s.last_ms), tz),
                              s.session, Usd(s.cost_nanousd), s.project));
  }
  ++y;
  Line(y++, "Recent tool errors", A_BOLD);
  if (v.errors.empty()) Line(y++, "  none");
  for (const ToolError& e : v.errors) {
    std::string out = e.output;
    std::replace(out.begin(), out.end(), '\n', ' ');
    std::replace(out.begin(), out.end(), '\t', ' ');
    Line(y++, absl::StrFormat("  %s  %-10s %s", absl::FormatTime("%m-%d %H:%M", absl::FromUnixMillis(e.at_ms), tz), e.tool, out));
  }
  if (!v.problem.empty()) Line(LINES - 1, v.problem, A_REVERSE);
  refresh();
}

int TopUsage(const std::string& message) {
  std::fprintf(stderr, "cco top: %s (see cco help top)\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int RunTop(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("top"));
  if (!args.ok()) return TopUsage(std::string(args.status().message()));
  auto zone = ResolveReportZone(args->Get("tz"));
  if (!zone.ok()) return TopUsage(std::string(zone.status().message()));
  if (!CommandNowMs().ok()) return TopUsage(std::string(CommandNowMs().status().message()));
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return TopUsage(std::string(db_path.status().message()));
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(*db_path);
  if (!reader.ok()) return ReportFailure(reader.status(), "cco top");

  std::optional<int64_t> limit;
  const std::string limit_text = args->Get("token-limit", "max");
  if (limit_text == "max") {
    // From the hourly rollups, as the dashboard reads it: not every block.
    BlocksQuery history;
    history.now_ms = *CommandNowMs();
    absl::StatusOr<int64_t> max = (*reader)->MaxCompletedBlock(history);
    if (!max.ok()) return ReportFailure(max.status(), "cco top");
    if (*max > 0) limit = *max;
  } else {
    int64_t n = 0;
    if (!absl::SimpleAtoi(limit_text, &n) || n <= 0) {
      return TopUsage(absl::StrCat("--token-limit '", limit_text, "' is not a positive number of tokens or max"));
    }
    limit = n;
  }

  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  const bool color = has_colors() && ColorWanted(*args);
  if (color) {
    start_color();
    use_default_colors();
    init_pair(1, COLOR_GREEN, -1);
    init_pair(2, COLOR_YELLOW, -1);
    init_pair(3, COLOR_RED, -1);
  }
  timeout(1000);  // getch waits at most a second: the refresh period
  Span span = Span::kToday;
  View view;
  for (;;) {
    view.problem.clear();
    absl::StatusOr<int64_t> now = CommandNowMs();
    if (absl::Status s = Load(**reader, (*reader)->db(), span, zone->tz, now.value_or(0), &view); !s.ok()) {
      view.problem = std::string(s.message());
    }
    Draw(view, span, limit, zone->tz, color);
    const int key = getch();
    if (key == 'q' || key == 'Q' || key == 27) break;
    if (key == 'd') span = Span::kToday;
    if (key == 'w') span = Span::kWeek;
    if (key == 'm') span = Span::kMonth;
    // KEY_RESIZE: ncurses has updated LINES and COLS; the next Draw fits.
  }
  endwin();
  return kExitOk;
}

}  // namespace cco

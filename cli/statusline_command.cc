// `cco statusline`: Claude Code's statusline command. Claude Code runs it
// every few hundred milliseconds with a JSON payload on stdin and shows the
// one line it prints. It must cost nothing and can never pile up:
//   - one process, no children, no threads; SIGTERM and SIGPIPE keep (or get
//     back) their default action, so either ends it at once;
//   - a hard deadline (SIGALRM): past it, the last good line for the session
//     (kept in a small file under $XDG_RUNTIME_DIR, else beside the
//     database) is printed instead of waiting, or the payload's own part;
//   - the database is opened read-only and read through its indexes (the
//     rollups and the usage winners' time index), never written, and no
//     transcript is read;
//   - it always prints a line and exits 0: an empty or invalid payload, a
//     missing database or a failed query leave out what they would have
//     given.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/now.h"
#include "cli/time_zone.h"
#include "src/blocks.h"
#include "src/daemon/lock.h"
#include "src/daemon/paths.h"
#include "src/reader.h"
#include "src/report.h"
#include "src/usage_limit.h"

namespace cco {
namespace {

// ----------------------------------------------------------------- deadline

// What SIGALRM prints: two buffers, the handler reads the one `g_ready`
// names (set after the buffer is complete), so it never sees half a line.
constexpr size_t kLineBytes = 2048;
char g_lines[2][kLineBytes];
size_t g_lengths[2] = {0, 0};
volatile sig_atomic_t g_ready = -1;

void OnDeadline(int) {
  const int i = g_ready;
  if (i >= 0) {
    const ssize_t ignored = write(STDOUT_FILENO, g_lines[i], g_lengths[i]);
    (void)ignored;
  }
  _exit(0);
}

// The line printed if the deadline passes from now on ("\n" added).
void SetFallback(const std::string& line) {
  const int next = g_ready == 0 ? 1 : 0;
  const size_t n = std::min(line.size(), kLineBytes - 1);
  std::memcpy(g_lines[next], line.data(), n);
  g_lines[next][n] = '\n';
  g_lengths[next] = n + 1;
  g_ready = next;
}

void ArmDeadline(int64_t ms) {
  struct sigaction sa = {};
  sa.sa_handler = OnDeadline;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, nullptr);
  itimerval t = {};
  t.it_value.tv_sec = ms / 1000;
  t.it_value.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  setitimer(ITIMER_REAL, &t, nullptr);
}

// ------------------------------------------------------------------ payload

struct Payload {
  std::string session_id;
  std::string model;  // display name, else id
  std::optional<double> session_cost_usd;  // Claude Code's own count (cost.total_cost_usd)
  std::optional<double> context_percent;
  std::optional<double> five_hour_percent, seven_day_percent;
  std::optional<int64_t> five_hour_reset_ms, seven_day_reset_ms;
};

std::optional<double> NumberAt(simdjson::dom::element e, std::string_view pointer) {
  simdjson::dom::element v;
  if (e.at_pointer(pointer).get(v) != simdjson::SUCCESS) return std::nullopt;
  double d = 0;
  if (v.get(d) == simdjson::SUCCESS) return d;
  int64_t i = 0;
  if (v.get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  uint64_t u = 0;
  if (v.get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  return std::nullopt;
}

std::string StringAt(simdjson::dom::element e, std::string_view pointer) {
  std::string_view v;
  if (e.at_pointer(pointer).get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

// Whatever of the payload is there and well-typed; unknown fields are
// ignored, an invalid payload is an empty one.
Payload ParsePayload(const std::string& text) {
  Payload p;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (text.empty() || parser.parse(text).get(doc) != simdjson::SUCCESS || !doc.is_object()) return p;
  p.session_id = StringAt(doc, "/session_id");
  p.model = StringAt(doc, "/model/display_name");
  if (p.model.empty()) p.model = StringAt(doc, "/model/id");
  p.session_cost_usd = NumberAt(doc, "/cost/total_cost_usd");
  p.context_percent = NumberAt(doc, "/context_window/used_percentage");
  if (!p.context_percent.has_value()) {
    // Older payloads: the window's size and its current usage.
    std::optional<double> size = NumberAt(doc, "/context_window/context_window_size");
    std::optional<double> in = NumberAt(doc, "/context_window/current_usage/input_tokens");
    if (size && *size > 0 && in) {
      double used = *in + NumberAt(doc, "/context_window/current_usage/cache_creation_input_tokens").value_or(0) +
                    NumberAt(doc, "/context_window/current_usage/cache_read_input_tokens").value_or(0);
      p.context_percent = used / *size * 100;
    }
  }
  p.five_hour_percent = NumberAt(doc, "/rate_limits/five_hour/used_percentage");
  p.seven_day_percent = NumberAt(doc, "/rate_limits/seven_day/used_percentage");
  if (auto r = NumberAt(doc, "/rate_limits/five_hour/resets_at")) p.five_hour_reset_ms = static_cast<int64_t>(*r) * 1000;
  if (auto r = NumberAt(doc, "/rate_limits/seven_day/resets_at")) p.seven_day_reset_ms = static_cast<int64_t>(*r) * 1000;
  return p;
}

// ------------------------------------------------------------------- output

struct Style {
  bool color = false;
  double warn = 50;
  double critical = 80;
};

std::string Paint(const Style& s, const std::string& text, double percent) {
  if (!s.color) return text;
  const char* code = percent >= s.critical ? "31" : percent >= s.warn ? "33" : "32";
  return absl::StrCat("\x1b[", code, "m", text, "\x1b[0m");
}

std::string Usd(double usd) { return absl::StrFormat("$%.2f", usd); }

// "2h05m", "45m".
std::string Left(int64_t ms) {
  const int64_t minutes = std::max<int64_t>(0, (ms + 30'000) / 60'000);
  if (minutes < 60) return absl::StrCat(minutes, "m");
  return absl::StrFormat("%dh%02dm", minutes / 60, minutes % 60);
}

std::string Clock(int64_t ms, const absl::TimeZone& tz, int64_t now_ms) {
  const char* format = ms - now_ms < 20 * 3600 * 1000 ? "%H:%M" : "%a %H:%M";
  return absl::FormatTime(format, absl::FromUnixMillis(ms), tz);
}

// The parts the payload alone gives: model, context, plan usage.
std::vector<std::string> PayloadParts(const Payload& p, const Style& s, const absl::TimeZone& tz, int64_t now_ms) {
  std::vector<std::string> parts;
  parts.push_back(p.model.empty() ? "cco" : p.model);
  if (p.context_percent) {
    parts.push_back(Paint(s, absl::StrFormat("ctx %.0f%%", *p.context_percent), *p.context_percent));
  }
  std::vector<std::string> plan;
  if (p.five_hour_percent) {
    std::string t = absl::StrFormat("5h %.0f%%", *p.five_hour_percent);
    if (p.five_hour_reset_ms && *p.five_hour_reset_ms > now_ms) absl::StrAppend(&t, " ↻", Left(*p.five_hour_reset_ms - now_ms));
    plan.push_back(Paint(s, t, *p.five_hour_percent));
  }
  if (p.seven_day_percent) {
    std::string t = absl::StrFormat("7d %.0f%%", *p.seven_day_percent);
    if (p.seven_day_reset_ms && *p.seven_day_reset_ms > now_ms) absl::StrAppend(&t, " ↻", Clock(*p.seven_day_reset_ms, tz, now_ms));
    plan.push_back(Paint(s, t, *p.seven_day_percent));
  }
  if (!plan.empty()) parts.push_back(absl::StrJoin(plan, " "));
  return parts;
}

// ------------------------------------------------------------------- cache

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// $XDG_RUNTIME_DIR/cco (a private tmpfs, gone at logout), else the
// database's directory; one small file per session.
std::string CacheDir(const std::string& db_path) {
  std::string dir;
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run != nullptr && *run == '/') {
    dir = absl::StrCat(run, "/cco");
    mkdir(dir.c_str(), 0700);
  } else {
    const size_t slash = db_path.rfind('/');
    dir = slash == std::string::npos ? "." : db_path.substr(0, slash);
  }
  return dir;
}

// The last good line of a session; "" for the last one of any session,
// which is what a call still waiting for its payload has.
std::string CachePath(const std::string& dir, const std::string& session_id) {
  if (session_id.empty()) return absl::StrCat(dir, "/statusline-last.line");
  return absl::StrFormat("%s/statusline-%016x.line", dir, Fnv1a(session_id));
}

std::string ReadSmall(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return "";
  char buf[kLineBytes];
  const ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

void WriteSmall(const std::string& path, const std::string& line) {
  const std::string tmp = absl::StrCat(path, ".", getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  const bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) unlink(tmp.c_str());
}

std::string ReadStdin(size_t limit) {
  std::string in;
  char buf[16384];
  while (in.size() < limit) {
    const ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

int StatuslineUsage(const std::string& message) {
  // Claude Code shows stdout: say it there too, briefly.
  std::printf("cco statusline: %s\n", message.c_str());
  std::fprintf(stderr, "cco statusline: %s (see cco help statusline)\n", message.c_str());
  return kExitUsage;
}

// The database's part: session, today, the active block, a limit in force.
std::vector<std::string> DatabaseParts(Reader& reader, Db& db, const Payload& p, const Style& s,
                                       const absl::TimeZone& tz, int64_t now_ms) {
  std::vector<std::string> parts;
  if (!p.session_id.empty()) {
    // The session as cco counts it; the payload's own cost until cco has
    // stored some of it.
    const absl::StatusOr<std::optional<int64_t>> cost = SessionCostNanousd(db, p.session_id);
    if (cost.ok() && cost->has_value()) {
      parts.push_back(absl::StrCat("session ", Usd(static_cast<double>(**cost) / 1e9)));
    } else if (cost.ok() && p.session_cost_usd) {
      parts.push_back(absl::StrCat("session ", Usd(*p.session_cost_usd)));
    }
  }
  const absl::CivilDay today = absl::ToCivilDay(absl::FromUnixMillis(now_ms), tz);
  if (absl::StatusOr<int64_t> cost = CostNanousdBetween(db, absl::ToUnixMillis(absl::FromCivil(today, tz)),
                                                        absl::ToUnixMillis(absl::FromCivil(today + 1, tz)));
      cost.ok()) {
    parts.push_back(absl::StrCat("today ", Usd(static_cast<double>(*cost) / 1e9)));
  }
  if (auto block = reader.ActiveBlock(now_ms, kDefaultSessionMs); block.ok() && block->has_value()) {
    const BillingBlock& b = **block;
    std::string t = absl::StrCat("block ", Usd(static_cast<double>(b.tokens.cost_nanousd) / 1e9), " ",
                                 Left(b.end_ms - now_ms), " left");
    if (b.burn_rate) absl::StrAppend(&t, " ", Usd(b.burn_rate->cost_per_hour_usd), "/h");
    parts.push_back(t);
  }
  if (auto limit = CurrentUsageLimit(db, now_ms); limit.ok() && limit->has_value() && (*limit)->reset_ms) {
    parts.push_back(Paint(s, absl::StrCat("limit reached, resets ", Clock(*(*limit)->reset_ms, tz, now_ms)), 100));
  }
  return parts;
}

}  // namespace

int RunStatusline(const std::vector<std::string>& argv) {
  // Claude Code may start it with SIGPIPE ignored; either signal ends it now.
  signal(SIGPIPE, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  auto args = ParseArgs(argv, FlagsFor("statusline"));
  if (!args.ok()) return StatuslineUsage(std::string(args.status().message()));
  Style style;
  style.color = ColorWanted(*args);
  int64_t deadline_ms = 100;
  if (args->Has("deadline-ms") &&
      (!absl::SimpleAtoi(args->Get("deadline-ms"), &deadline_ms) || deadline_ms < 1 || deadline_ms > 60'000)) {
    return StatuslineUsage("--deadline-ms takes 1 to 60000");
  }
  for (const char* flag : {"warn", "critical"}) {
    double v = 0;
    if (!args->Has(flag)) continue;
    if (!absl::SimpleAtod(args->Get(flag), &v) || v < 0) {
      return StatuslineUsage(absl::StrCat("--", flag, " takes a percentage"));
    }
    (std::string(flag) == "warn" ? style.warn : style.critical) = v;
  }
  auto zone = ResolveReportZone(args->Get("tz"));
  if (!zone.ok()) return StatuslineUsage(std::string(zone.status().message()));
  auto now = CommandNowMs();
  if (!now.ok()) return StatuslineUsage(std::string(now.status().message()));

  auto db_path = ResolveDbPath(args->Get("db"));
  const std::string cache_dir = CacheDir(db_path.ok() ? *db_path : "");
  std::string last = ReadSmall(CachePath(cache_dir, ""));
  SetFallback(last.empty() ? "cco" : last);
  ArmDeadline(deadline_ms);
  const Payload payload = ParsePayload(ReadStdin(1 << 20));
  std::vector<std::string> parts = PayloadParts(payload, style, zone->tz, *now);
  SetFallback(absl::StrJoin(parts, " | "));
  if (!db_path.ok()) {
    parts.push_back("no database");
    std::printf("%s\n", absl::StrJoin(parts, " | ").c_str());
    return kExitOk;
  }
  const std::string cache = CachePath(cache_dir, payload.session_id);
  if (!payload.session_id.empty()) {
    if (std::string mine = ReadSmall(cache); !mine.empty()) SetFallback(mine);
  }

  ReaderOptions options;
  options.accept_older_schema = true;  // a service not yet upgraded still has answers
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(*db_path, options);
  if (!reader.ok()) {
    parts.push_back(CheckDatabaseFile(*db_path).ok() ? "database unreadable" : "no database yet");
  } else {
    for (std::string& part : DatabaseParts(**reader, (*reader)->db(), payload, style, zone->tz, *now)) {
      parts.push_back(std::move(part));
    }
  }
  if (!LockHolder(*db_path).has_value()) parts.push_back("cco watch not running");
  const std::string line = absl::StrJoin(parts, " | ");
  // Finished in time: disarm, print, keep it for the next call's deadline.
  itimerval off = {};
  setitimer(ITIMER_REAL, &off, nullptr);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (reader.ok()) {
    WriteSmall(cache, line);
    if (!payload.session_id.empty()) WriteSmall(CachePath(cache_dir, ""), line);
  }
  return kExitOk;
}

}  // namespace cco

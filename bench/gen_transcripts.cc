// gen_transcripts: deterministic, seeded generator of synthetic Claude Code transcripts.
//
//   gen_transcripts --out DIR --seed N --size-mb M [--projects P] [--sessions-per-project S]
//                   [--with-subagents] [--force]
//
// Writes DIR/projects/<encoded-cwd>/<session-uuid>.jsonl until the bytes written reach M MiB, and
// prints {"files":…,"lines":…,"bytes":…} on stdout. The lines imitate what Claude Code writes
// (see ../shared/docs/transcript-format.md): user prompts, assistant responses streamed as one line
// per content block sharing message.id + requestId with repeated usage, tool_use / tool_result
// pairs with tool-specific toolUseResult, progress lines (2.1.x), file-history-snapshot, system
// lines, the occasional summary. Sessions are spread over seven months and take the line layout of
// the Claude Code generation their date falls in (1.0.x in-file sidechains, 2.0.x flat
// agent-<8hex>.jsonl files, 2.1.x <sid>/subagents/agent-<id>.jsonl and agent_progress lines).
// Subagent files are only written with --with-subagents. All content is synthetic.
//
// Determinism: the same arguments give byte-identical output on any platform. std::mt19937_64 is
// exactly specified by the standard; every distribution is implemented here with integer
// arithmetic only (the std:: distributions and libm differ between implementations). Output does
// not depend on the clock, the locale or the file system.
//
// Line lengths (bytes, whole 100 MiB trees, measured over several seeds): median 620-750,
// p90 ~2.8 KB, p99 23-28 KB, p99.9 ~160 KB, max a few hundred KB (large Read results and
// pasted screenshots). The real corpus: median 729, p90 2,963, p99 28,367.
//
// Sizes: M MiB is a target, reached at a turn boundary, so the total slightly exceeds it. Without
// --sessions-per-project there is one session per ~2 MiB (at least one per project); with it,
// P*S sessions share the size (fewer if the target is reached first). Speed: ~300 MB/s on one
// core, most of it JSON escaping.
//
// Build: g++ -std=c++20 -O2 -Wall -Wextra -Werror -o gen_transcripts gen_transcripts.cc

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Randomness: engine from the standard, distributions by hand (portable).

// High 64 bits of the 128-bit product a * b, in plain 64-bit arithmetic.
uint64_t MulHigh(uint64_t a, uint64_t b) {
  const uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
  const uint64_t p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo, p3 = a_hi * b_hi;
  const uint64_t mid = (p0 >> 32) + (p1 & 0xffffffffu) + (p2 & 0xffffffffu);
  return p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  uint64_t Next() { return engine_(); }

  // Uniform in [0, n); n > 0. Multiply-shift: a fixed mapping of the 64-bit draw.
  uint64_t Below(uint64_t n) { return MulHigh(engine_(), n); }

  // Uniform in [lo, hi], inclusive.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability per_million / 1e6.
  bool Chance(uint32_t per_million) { return Below(1000000) < per_million; }

  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

// A piecewise-linear inverse CDF: points (cumulative probability in millionths, value).
// The first point has p = 0 and the last p = 1000000.
struct Quantile {
  uint32_t p;
  uint32_t v;
};

template <size_t N>
uint64_t Sample(Rng& rng, const std::array<Quantile, N>& table) {
  const uint64_t u = rng.Below(1000000);
  for (size_t i = 1; i < N; ++i) {
    if (u < table[i].p) {
      const Quantile& a = table[i - 1];
      const Quantile& b = table[i];
      const uint64_t span = b.p - a.p;
      if (b.v >= a.v) return a.v + (static_cast<uint64_t>(b.v - a.v) * (u - a.p)) / span;
      return a.v - (static_cast<uint64_t>(a.v - b.v) * (u - a.p)) / span;
    }
  }
  return table[N - 1].v;
}

// Weighted choice over an array of weights.
template <size_t N>
size_t PickWeighted(Rng& rng, const std::array<uint32_t, N>& weights) {
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  uint64_t r = rng.Below(total);
  for (size_t i = 0; i < N; ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return N - 1;
}

// Payload sizes in bytes. Tuned so the whole-tree line lengths match the real corpus.
constexpr std::array<Quantile, 7> kPromptLen{{{0, 12},
                                              {300000, 60},
                                              {500000, 130},
                                              {800000, 380},
                                              {950000, 1100},
                                              {990000, 3500},
                                              {1000000, 12000}}};
constexpr std::array<Quantile, 7> kTextLen{{{0, 8},
                                            {300000, 50},
                                            {500000, 120},
                                            {800000, 380},
                                            {950000, 1200},
                                            {990000, 3200},
                                            {1000000, 9000}}};
constexpr std::array<Quantile, 5> kThinkingLen{
    {{0, 60}, {500000, 450}, {900000, 1800}, {990000, 5500}, {1000000, 14000}}};
constexpr std::array<Quantile, 10> kFileLen{{{0, 60},
                                             {250000, 600},
                                             {500000, 2000},
                                             {800000, 7000},
                                             {900000, 16000},
                                             {950000, 38000},
                                             {990000, 85000},
                                             {998000, 110000},
                                             {999500, 170000},
                                             {1000000, 280000}}};
constexpr std::array<Quantile, 8> kBashOutLen{{{0, 0},
                                               {200000, 20},
                                               {500000, 200},
                                               {800000, 1500},
                                               {900000, 4000},
                                               {950000, 10000},
                                               {990000, 40000},
                                               {1000000, 100000}}};
constexpr std::array<Quantile, 5> kBashProgressLen{
    {{0, 0}, {500000, 90}, {900000, 500}, {990000, 3000}, {1000000, 20000}}};
constexpr std::array<Quantile, 5> kSearchLen{
    {{0, 20}, {500000, 260}, {900000, 1800}, {990000, 7000}, {1000000, 20000}}};
constexpr std::array<Quantile, 5> kEditLen{
    {{0, 10}, {500000, 140}, {900000, 700}, {990000, 2800}, {1000000, 8000}}};
constexpr std::array<Quantile, 5> kWriteLen{
    {{0, 150}, {500000, 2200}, {900000, 7000}, {990000, 18000}, {1000000, 45000}}};
constexpr std::array<Quantile, 5> kWebLen{
    {{0, 200}, {500000, 1800}, {900000, 5500}, {990000, 14000}, {1000000, 40000}}};
constexpr std::array<Quantile, 4> kTaskResultLen{
    {{0, 80}, {500000, 1100}, {900000, 3200}, {1000000, 9000}}};

// ---------------------------------------------------------------------------------------------
// Text pools. Generated once from the seed; payloads are UTF-8-safe slices of them.

constexpr std::string_view kWords[] = {
    "the",       "a",       "to",      "of",        "and",      "in",          "is",
    "for",       "that",    "it",      "with",      "on",       "this",        "we",
    "should",    "can",     "when",    "not",       "be",       "from",        "file",
    "function",  "test",    "error",   "value",     "config",   "request",     "response",
    "handler",   "cache",   "index",   "query",     "schema",   "table",       "column",
    "session",   "token",   "parser",  "buffer",    "stream",   "retry",       "timeout",
    "build",     "compile", "deploy",  "branch",    "commit",   "merge",       "review",
    "update",    "remove",  "rename",  "refactor",  "check",    "verify",      "return",
    "instead",   "because", "already", "missing",   "works",    "fails",       "passes",
    "expected",  "actual",  "output",  "input",     "path",     "module",      "package",
    "import",    "export",  "server",  "client",    "worker",   "queue",       "batch",
    "line",      "offset",  "logic",   "state",     "event",    "listener",    "hook",
    "component", "render",  "layout",  "migration", "database", "transaction", "lock",
    "thread",    "memory",  "latency", "endpoint",  "payload",  "struct"};

constexpr std::string_view kIdents[] = {
    "loadConfig", "parseArgs",   "user_id",     "retryCount", "handleRequest",
    "buildIndex", "ctx",         "opts",        "result",     "err",
    "fetchRows",  "writeBatch",  "session",     "tokenCount", "isReady",
    "queue",      "worker_pool", "renderList",  "onSubmit",   "props",
    "state",      "dispatch",    "db",          "tx",         "logger",
    "metrics",    "cursor",      "offset",      "limit",      "payload",
    "schema",     "migrate",     "openFile",    "readLines",  "encode",
    "decode",     "timeoutMs",   "max_retries", "flushAfter", "BackoffPolicy"};

constexpr std::string_view kUnicode[] = {"\u2192", "\u00e9",     "\u2014",       "\u2713",
                                         "\u00fc", "\u2026",     "\u00b7",       "\u2715",
                                         "\u00e7", "\U0001F680", "\u4e2d\u6587", "\u00df"};

struct Pools {
  std::string prose;
  std::string code;
};

void AppendSentence(Rng& rng, std::string& s) {
  const int n = static_cast<int>(rng.Range(5, 18));
  for (int i = 0; i < n; ++i) {
    std::string_view w = rng.Pick(kWords);
    if (rng.Chance(60000)) {
      s += '`';
      s += rng.Pick(kIdents);
      s += '`';
    } else if (i == 0) {
      s += static_cast<char>(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0]);
      s.append(w.substr(1));
    } else {
      s += w;
    }
    if (rng.Chance(8000)) s += rng.Pick(kUnicode);
    if (i + 1 < n) s += rng.Chance(50000) ? ", " : " ";
  }
  s += rng.Chance(100000) ? "? " : ". ";
}

std::string MakeProse(Rng& rng, size_t size) {
  std::string s;
  s.reserve(size + 256);
  while (s.size() < size) {
    const uint64_t k = rng.Below(100);
    if (k < 8) {
      s += "\n\n";
    } else if (k < 14) {
      s += "\n- ";
    } else if (k < 16) {
      s += "\n\"";
      AppendSentence(rng, s);
      s += "\" ";
    }
    AppendSentence(rng, s);
  }
  return s;
}

std::string MakeCode(Rng& rng, size_t size) {
  std::string s;
  s.reserve(size + 256);
  int indent = 0;
  while (s.size() < size) {
    s.append(static_cast<size_t>(indent) * 2, ' ');
    const uint64_t k = rng.Below(10);
    std::string_view a = rng.Pick(kIdents), b = rng.Pick(kIdents), c = rng.Pick(kIdents);
    switch (k) {
      case 0:
        s += "// ";
        AppendSentence(rng, s);
        break;
      case 1:
        s.append("if (").append(a).append(" == nullptr) {");
        if (indent < 6) ++indent;
        break;
      case 2:
        s.append("const ").append(a).append(" = await ").append(b).append("(\"");
        s.append(rng.Pick(kWords)).append("/").append(rng.Pick(kWords)).append("\");");
        break;
      case 3:
        s.append("return ").append(a).append(".").append(b).append("(").append(c).append(");");
        break;
      case 4:
        s.append("fn ").append(a).append("(").append(b).append(": &str) -> Result<()> {");
        if (indent < 6) ++indent;
        break;
      case 5:
        s.append("}");
        if (indent > 0) --indent;
        break;
      case 6:
        s.append(a).append(" += ").append(std::to_string(rng.Below(1000))).append(";");
        break;
      case 7:
        s.append("log.Printf(\"").append(b).append(": %v\\n\", ").append(c).append(")");
        break;
      case 8:
        s.append("assert ").append(a).append("[").append(std::to_string(rng.Below(64)));
        s.append("] == '").append(rng.Pick(kWords)).append("'");
        break;
      default:
        s.append(a).append(" = ").append(b).append("\t# ").append(rng.Pick(kWords));
        if (rng.Chance(30000)) s.append(" ").append(rng.Pick(kUnicode));
        break;
    }
    s += '\n';
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// JSON writing.

constexpr std::array<bool, 256> MakeEscapeTable() {
  std::array<bool, 256> t{};
  for (int i = 0; i < 0x20; ++i) t[static_cast<size_t>(i)] = true;
  t['"'] = true;
  t['\\'] = true;
  t[0x7f] = true;
  return t;
}
constexpr std::array<bool, 256> kNeedsEscape = MakeEscapeTable();

void AppendEscaped(std::string& out, std::string_view s) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (!kNeedsEscape[c]) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
}

// Appends n (>= 0) in decimal.
void AppendInt(std::string& out, int64_t n) {
  char buf[24];
  char* p = buf + sizeof buf;
  const bool neg = n < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (neg) *--p = '-';
  out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

// Writes one JSON object's members in call order (key order matters for realism).
class Obj {
 public:
  explicit Obj(std::string& out) : out_(out) { out_ += '{'; }
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;

  Obj& Str(std::string_view key, std::string_view v) {
    Key(key);
    out_ += '"';
    AppendEscaped(out_, v);
    out_ += '"';
    return *this;
  }
  Obj& Int(std::string_view key, int64_t v) {
    Key(key);
    AppendInt(out_, v);
    return *this;
  }
  Obj& Bool(std::string_view key, bool v) {
    Key(key);
    out_ += v ? "true" : "false";
    return *this;
  }
  Obj& Null(std::string_view key) {
    Key(key);
    out_ += "null";
    return *this;
  }
  Obj& StrOrNull(std::string_view key, const std::string& v) {
    return v.empty() ? Null(key) : Str(key, v);
  }
  Obj& Raw(std::string_view key, std::string_view json) {
    Key(key);
    out_ += json;
    return *this;
  }
  // Writes the key; the caller appends the value to the returned string.
  std::string& Begin(std::string_view key) {
    Key(key);
    return out_;
  }
  void End() { out_ += '}'; }

 private:
  void Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }
  std::string& out_;
  bool first_ = true;
};

// Comma handling for arrays.
class Arr {
 public:
  explicit Arr(std::string& out) : out_(out) { out_ += '['; }
  std::string& Next() {
    if (!first_) out_ += ',';
    first_ = false;
    return out_;
  }
  void End() { out_ += ']'; }

 private:
  std::string& out_;
  bool first_ = true;
};

// ---------------------------------------------------------------------------------------------
// Ids and time.

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr char kHexDigits[] = "0123456789abcdef";

std::string Base62(Rng& rng, std::string_view prefix, int n) {
  std::string s(prefix);
  uint64_t v = 0;
  int left = 0;
  for (int i = 0; i < n; ++i) {
    if (left == 0) {
      v = rng.Next();
      left = 10;
    }
    s += kBase62[v % 62];
    v /= 62;
    --left;
  }
  return s;
}

std::string Hex(Rng& rng, int n) {
  std::string s;
  uint64_t v = rng.Next();
  for (int i = 0; i < n; ++i) {
    if (i % 16 == 15) v = rng.Next();
    s += kHexDigits[v & 15];
    v >>= 4;
  }
  return s;
}

std::string Uuid(Rng& rng) {
  const uint64_t hi = rng.Next(), lo = rng.Next();
  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[static_cast<size_t>(i)] = static_cast<unsigned char>(hi >> (8 * i));
    b[static_cast<size_t>(8 + i)] = static_cast<unsigned char>(lo >> (8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string s;
  s.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHexDigits[b[i] >> 4];
    s += kHexDigits[b[i] & 15];
  }
  return s;
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string FormatTimestamp(int64_t ms) {
  const int64_t days = ms / 86400000;
  const int64_t rem = ms % 86400000;
  // civil_from_days
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
  // Fixed-width digits by hand (ms is within years 1970..9999 here).
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](size_t at, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10)
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + v % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, rem / 3600000, 2);
  put(14, rem / 60000 % 60, 2);
  put(17, rem / 1000 % 60, 2);
  put(20, rem % 1000, 3);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generator.

struct Options {
  std::string out;
  uint64_t seed = 0;
  uint64_t size_mb = 0;
  int projects = 4;
  int sessions_per_project = 0;  // 0 = derived from the size
  bool with_subagents = false;
  bool force = false;
};

enum class Era { k10, k20, k21 };  // Claude Code 1.0.x, 2.0.x, 2.1.x

struct Ctx {
  std::string session_id;
  std::string cwd;
  std::string version;
  std::string branch;
  std::string slug;
  std::string agent_id;  // non-empty in 2.0.x/2.1.x agent files
  std::string model;
  bool sidechain = false;
  bool final_usage = false;  // version writes the final stop_reason and output_tokens
  Era era = Era::k21;
};

struct Usage {
  int64_t input = 0, cache_creation = 0, cache_read = 0, output = 0;
};

// A subagent assistant line, kept to be echoed by agent_progress lines in the main file.
struct EchoedMessage {
  std::string message_json, message_id, request_id, uuid, timestamp;
};

constexpr std::string_view kProjectNames[] = {
    "billing-api", "webapp",     "infra",       "data-pipeline", "mobile-app",
    "cli-tools",   "docs-site",  "ml-service",  "auth-gateway",  "search",
    "dashboard",   "sdk-python", "game-engine", "notebooks"};
constexpr std::string_view kUsers[] = {"dev", "alice", "bob", "carol", "dana", "eve"};
constexpr std::string_view kDirs[] = {
    "src",     "src/lib", "tests", "internal/store", "cmd/server", "web/components", "docs",
    "scripts", "pkg/api", "lib"};
constexpr std::string_view kExts[] = {".ts", ".py", ".go", ".rs", ".cc", ".md", ".json", ".tsx"};
constexpr std::string_view kSlugA[] = {"quiet", "brisk",  "hazy",  "lucid",  "amber",  "silent",
                                       "woven", "gentle", "rapid", "frosty", "golden", "tidy"};
constexpr std::string_view kSlugB[] = {"orbiting", "folding",   "drifting",  "humming",
                                       "painting", "sprouting", "wandering", "glowing",
                                       "tumbling", "weaving",   "leaping",   "singing"};
constexpr std::string_view kSlugC[] = {"lantern",  "heron",  "comet",  "piglet",
                                       "thompson", "otter",  "meadow", "harbor",
                                       "beacon",   "falcon", "willow", "pebble"};
constexpr std::string_view kBashCmds[] = {"git status --short",
                                          "npm test",
                                          "cargo test -p core",
                                          "pytest -q tests",
                                          "go test ./...",
                                          "make -j8",
                                          "git diff --stat",
                                          "git log --oneline -n 20",
                                          "ls -la src",
                                          "npm run lint",
                                          "cargo clippy --all-targets",
                                          "docker compose up -d db"};

enum Tool {
  kBash,
  kRead,
  kEdit,
  kTodoWrite,
  kWrite,
  kGlob,
  kGrep,
  kTask,
  kWebFetch,
  kWebSearch,
  kMultiEdit,
  kToolCount
};
constexpr std::string_view kToolNames[kToolCount] = {
    "Bash", "Read", "Edit",     "TodoWrite", "Write",    "Glob",
    "Grep", "Task", "WebFetch", "WebSearch", "MultiEdit"};
constexpr std::array<uint32_t, kToolCount> kMainToolWeights{300, 200, 140, 50, 40, 40,
                                                            40,  30,  15,  15, 20};
constexpr std::array<uint32_t, kToolCount> kAgentToolWeights{200, 400, 0, 0,  0, 150,
                                                             200, 0,   0, 50, 0};

struct ToolCall {
  Tool tool = kBash;
  std::string id;
  std::string assistant_uuid;
  std::string file_path;
  std::string prompt;  // Task prompt, already JSON-escaped
};

// A Claude Code version and the day (counted from 2025-09-01) from which sessions use it.
struct VersionSpan {
  int from_day;
  const char* version;
  const char* model;
  bool final_usage;
  Era era;
};
// Sessions start between 2025-09-01 and 2026-03-31. The eras are not the real release dates:
// 2.1.x gets the larger share so that, as in real trees, hook progress lines are about half of
// all lines (which is what puts the median line near 700 bytes).
constexpr int64_t kSpanDays = 211;
constexpr std::array<VersionSpan, 12> kVersions{{
    {0, "1.0.98", "claude-sonnet-4-20250514", false, Era::k10},
    {6, "1.0.108", "claude-sonnet-4-20250514", false, Era::k10},
    {11, "1.0.128", "claude-opus-4-1-20250805", false, Era::k10},
    {16, "2.0.28", "claude-sonnet-4-5-20250929", false, Era::k20},
    {30, "2.0.37", "claude-sonnet-4-5-20250929", true, Era::k20},
    {44, "2.0.46", "claude-opus-4-5-20251101", true, Era::k20},
    {56, "2.0.55", "claude-opus-4-5-20251101", false, Era::k20},
    {68, "2.0.76", "claude-opus-4-5-20251101", false, Era::k20},
    {80, "2.1.17", "claude-opus-4-6", false, Era::k21},
    {120, "2.1.39", "claude-opus-4-6", false, Era::k21},
    {160, "2.1.42", "claude-opus-4-6", false, Era::k21},
    {185, "2.1.114", "claude-opus-4-7", true, Era::k21},
}};

std::string ProjectCwd(int p) {
  std::string name(kProjectNames[static_cast<size_t>(p) % std::size(kProjectNames)]);
  if (static_cast<size_t>(p) >= std::size(kProjectNames)) {
    name += "-" + std::to_string(p / static_cast<int>(std::size(kProjectNames)) + 1);
  }
  return "/home/" + std::string(kUsers[static_cast<size_t>(p) % std::size(kUsers)]) + "/src/" +
         name;
}

std::string EncodeCwd(std::string cwd) {
  for (char& c : cwd) {
    if (c == '/' || c == '.') c = '-';
  }
  return cwd;
}

class Generator {
 public:
  Generator(const Options& opt, Rng& rng, const Pools& pools)
      : opt_(opt), rng_(rng), pools_(pools), root_(fs::path(opt.out) / "projects") {}

  // Writes the whole tree. Returns false (after printing why) on an I/O error.
  bool Run();
  uint64_t files() const { return files_; }
  uint64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void GenerateSession(int index, int64_t start_ms, uint64_t budget);
  void FlushMain();
  void WriteWholeFile(const fs::path& path, const std::string& data);

  void Turn();
  void AssistantRound(bool final_round);
  void ToolResult(const ToolCall& call);
  std::string RunSubagent(const ToolCall& call, std::string* agent_id);
  void Compact();

  void Envelope(Obj& o, const std::string& parent, const std::string* logical_parent = nullptr);
  void EndLine() {
    *out_ += '\n';
    ++lines_;
  }
  std::string AssistantLine(const std::string& mid, const std::string& rid, const Usage& u,
                            std::string_view stop, const std::string& block_json);
  void UserPrompt(const std::string* escaped_text = nullptr);
  void FileHistorySnapshot(const std::string& message_id);
  void HookProgress(std::string_view event, std::string_view hook, const std::string& tool_id);
  void SystemLine(std::string_view subtype, std::string_view tool = "Edit");
  void Summary();

  void AppendPool(std::string& out, const std::string& pool, uint64_t len);
  std::string Pool(const std::string& pool, uint64_t len) {
    std::string s;
    AppendPool(s, pool, len);
    return s;
  }
  static std::string Numbered(const std::string& escaped, int64_t first_line, int64_t* lines);
  void TextField(Obj& o, std::string_view key, const std::string& pool, uint64_t len) {
    std::string& s = o.Begin(key);
    s += '"';
    AppendPool(s, pool, len);
    s += '"';
  }
  std::string FilePath();
  std::string Ts() const { return FormatTimestamp(now_ms_); }
  void Advance(int64_t lo_ms, int64_t hi_ms) { now_ms_ += rng_.Range(lo_ms, hi_ms); }
  uint64_t SessionBytes() const { return session_bytes_ + main_.size(); }

  const Options& opt_;
  Rng& rng_;
  const Pools& pools_;
  fs::path root_;

  // Current session. The main file is buffered in main_ and flushed in large writes; agent files
  // are built whole in their own buffer. out_ points at the buffer lines go to.
  fs::path project_dir_;
  FILE* main_file_ = nullptr;
  std::string main_;
  std::string* out_ = &main_;
  uint64_t session_bytes_ = 0;
  Ctx ctx_;
  std::string last_uuid_;  // parentUuid of the next conversational line; "" means null
  std::string last_prompt_;
  int64_t now_ms_ = 0;
  int64_t context_tokens_ = 0;
  int turn_messages_ = 0;
  bool interrupted_ = false;
  std::vector<EchoedMessage>* echo_ = nullptr;  // collects 2.1.x subagent assistant lines

  uint64_t files_ = 0, lines_ = 0, bytes_ = 0;
  std::string io_error_;
};

void Generator::AppendPool(std::string& out, const std::string& pool, uint64_t len) {
  // Copies about len bytes from a random offset, cut on UTF-8 character boundaries, wrapping
  // around the pool for very long payloads; JSON-escaped.
  const size_t n = pool.size();
  auto continuation = [&](size_t i) {
    return (static_cast<unsigned char>(pool[i]) & 0xC0) == 0x80;
  };
  size_t pos = static_cast<size_t>(rng_.Below(n));
  for (size_t k = 0; k < 24 && pos + 1 < n && len > 8; ++k) {  // start on a word
    if (pool[pos++] == ' ') break;
  }
  uint64_t left = len;
  while (left > 0) {
    while (pos < n && continuation(pos)) ++pos;
    if (pos >= n) pos = 0;
    size_t end = pos + static_cast<size_t>(std::min<uint64_t>(left, n - pos));
    while (end < n && end > pos && continuation(end)) --end;
    if (end == pos) {  // one multi-byte character is longer than what is left: take it whole
      end = pos + 1;
      while (end < n && continuation(end)) ++end;
    }
    AppendEscaped(out, std::string_view(pool).substr(pos, end - pos));
    left -= std::min<uint64_t>(left, end - pos);
    pos = end;
  }
}

// Adds the Read tool's "cat -n" prefixes ("     1→") to already-escaped text.
std::string Generator::Numbered(const std::string& escaped, int64_t first_line, int64_t* lines) {
  std::string out;
  out.reserve(escaped.size() + escaped.size() / 6 + 16);
  int64_t line_no = first_line;
  auto prefix = [&out](int64_t n) {
    char buf[24];
    const int w = std::snprintf(buf, sizeof buf, "%6lld\u2192", static_cast<long long>(n));
    out.append(buf, static_cast<size_t>(w));
  };
  prefix(line_no);
  size_t run = 0;
  for (size_t i = 0; i + 1 < escaped.size(); ++i) {
    if (escaped[i] != '\\') continue;
    if (escaped[i + 1] == 'n' && i + 2 < escaped.size()) {
      out.append(escaped, run, i + 2 - run);
      run = i + 2;
      prefix(++line_no);
    }
    ++i;  // skip the escaped character
  }
  out.append(escaped, run, std::string::npos);
  if (lines) *lines = line_no - first_line + 1;
  return out;
}

std::string Generator::FilePath() {
  std::string p = ctx_.cwd;
  p += '/';
  p += rng_.Pick(kDirs);
  p += '/';
  p += rng_.Pick(kIdents);
  p += rng_.Pick(kExts);
  return p;
}

void Generator::Envelope(Obj& o, const std::string& parent, const std::string* logical_parent) {
  o.StrOrNull("parentUuid", parent);
  if (logical_parent) o.Str("logicalParentUuid", *logical_parent);
  o.Bool("isSidechain", ctx_.sidechain);
  o.Str("userType", "external");
  o.Str("cwd", ctx_.cwd);
  o.Str("sessionId", ctx_.session_id);
  o.Str("version", ctx_.version);
  o.Str("gitBranch", ctx_.branch);
  if (!ctx_.agent_id.empty()) o.Str("agentId", ctx_.agent_id);
  if (ctx_.era != Era::k10) o.Str("slug", ctx_.slug);
}

std::string Generator::AssistantLine(const std::string& mid, const std::string& rid, const Usage& u,
                                     std::string_view stop, const std::string& block_json) {
  std::string msg;
  {
    Obj m(msg);
    if (ctx_.era == Era::k10) {
      m.Str("id", mid).Str("type", "message").Str("role", "assistant").Str("model", ctx_.model);
    } else {
      m.Str("model", ctx_.model).Str("id", mid).Str("type", "message").Str("role", "assistant");
    }
    std::string& c = m.Begin("content");
    c += '[';
    c += block_json;
    c += ']';
    if (stop.empty()) {
      m.Null("stop_reason");
    } else {
      m.Str("stop_reason", stop);
    }
    m.Null("stop_sequence");
    {
      Obj us(m.Begin("usage"));
      us.Int("input_tokens", u.input);
      us.Int("cache_creation_input_tokens", u.cache_creation);
      us.Int("cache_read_input_tokens", u.cache_read);
      if (ctx_.era != Era::k10) {
        Obj cc(us.Begin("cache_creation"));
        cc.Int("ephemeral_5m_input_tokens", u.cache_creation);
        cc.Int("ephemeral_1h_input_tokens", 0);
        cc.End();
      }
      us.Int("output_tokens", u.output);
      us.Str("service_tier", "standard");
      if (ctx_.era == Era::k21) {
        us.Str("inference_geo", ctx_.sidechain ? "not_available" : "global");
      }
      us.End();
    }
    m.End();
  }
  std::string uuid = Uuid(rng_);
  const std::string ts = Ts();
  {
    Obj o(*out_);
    Envelope(o, last_uuid_);
    o.Raw("message", msg);
    o.Str("requestId", rid);
    o.Str("type", "assistant");
    o.Str("uuid", uuid);
    o.Str("timestamp", ts);
    o.End();
  }
  EndLine();
  if (echo_) echo_->push_back({std::move(msg), mid, rid, uuid, ts});
  last_uuid_ = uuid;
  ++turn_messages_;
  return uuid;
}

void Generator::Summary() {
  Obj o(*out_);
  o.Str("type", "summary");
  TextField(o, "summary", pools_.prose, static_cast<uint64_t>(rng_.Range(18, 60)));
  o.Str("leafUuid", Uuid(rng_));  // points into another session, as real summaries do
  o.End();
  EndLine();
}

void Generator::FileHistorySnapshot(const std::string& message_id) {
  Obj o(*out_);
  o.Str("type", "file-history-snapshot");
  o.Str("messageId", message_id);
  {
    Obj snap(o.Begin("snapshot"));
    snap.Str("messageId", message_id);
    {
      Obj backups(snap.Begin("trackedFileBackups"));
      const int n = rng_.Chance(400000) ? static_cast<int>(rng_.Range(1, 4)) : 0;
      for (int i = 0; i < n; ++i) {
        Obj b(backups.Begin(FilePath()));
        if (rng_.Chance(200000)) {
          b.Null("backupFileName");
        } else {
          b.Str("backupFileName", Hex(rng_, 16) + "@v" + std::to_string(i + 1));
        }
        b.Int("version", i + 1);
        b.Str("backupTime", Ts());
        b.End();
      }
      backups.End();
    }
    snap.Str("timestamp", Ts());
    snap.End();
  }
  o.Bool("isSnapshotUpdate", rng_.Chance(550000));
  o.End();
  EndLine();
}

void Generator::HookProgress(std::string_view event, std::string_view hook,
                             const std::string& tool_id) {
  std::string uuid = Uuid(rng_);
  Obj o(*out_);
  Envelope(o, last_uuid_);
  o.Str("type", "progress");
  {
    Obj d(o.Begin("data"));
    d.Str("type", "hook_progress");
    d.Str("hookEvent", event);
    std::string name(event);
    name += ':';
    name += hook;
    d.Str("hookName", name);
    d.Str("command", rng_.Chance(500000) ? "~/.claude/hooks/format-on-save.sh"
                                         : "${CLAUDE_PLUGIN_ROOT}/hooks/audit.sh");
    d.End();
  }
  o.Str("parentToolUseID", tool_id);
  o.Str("toolUseID", tool_id);
  o.Str("timestamp", Ts());
  o.Str("uuid", uuid);
  o.End();
  EndLine();
  last_uuid_ = std::move(uuid);
}

void Generator::SystemLine(std::string_view subtype, std::string_view tool) {
  std::string uuid = Uuid(rng_);
  Obj o(*out_);
  Envelope(o, last_uuid_);
  o.Str("type", "system");
  if (subtype.empty()) {  // the old (1.0.x) hook message, with ANSI escapes
    o.Str("content", "Running \x1b[1mPostToolUse:" + std::string(tool) + "\x1b[22m...");
    o.Bool("isMeta", false);
    o.Str("timestamp", Ts());
    o.Str("uuid", uuid);
    o.Str("toolUseID", Base62(rng_, "toolu_01", 22));
    o.Str("level", "info");
  } else if (subtype == "turn_duration") {
    o.Str("subtype", subtype);
    o.Int("durationMs", rng_.Range(4000, 900000));
    o.Int("messageCount", turn_messages_);
    o.Str("timestamp", Ts());
    o.Str("uuid", uuid);
    o.Bool("isMeta", false);
  } else {  // stop_hook_summary
    o.Str("subtype", subtype);
    o.Int("hookCount", 1);
    o.Raw("hookInfos", "[{\"command\":\"~/.claude/hooks/notify-done.sh\"}]");
    o.Raw("hookErrors", "[]");
    o.Bool("preventedContinuation", false);
    o.Str("stopReason", "");
    o.Bool("hasOutput", rng_.Chance(300000));
    o.Str("level", "suggestion");
    o.Str("timestamp", Ts());
    o.Str("uuid", uuid);
    o.Str("toolUseID", Uuid(rng_));
  }
  o.End();
  EndLine();
  last_uuid_ = std::move(uuid);
}

// A user prompt; escaped_text, if given, is the prompt (subagent roots), else one is made up.
void Generator::UserPrompt(const std::string* escaped_text) {
  std::string uuid = Uuid(rng_);
  const bool main = !ctx_.sidechain;
  if (main && ctx_.era != Era::k10 && rng_.Chance(650000)) FileHistorySnapshot(uuid);
  if (main && ctx_.era == Era::k21 && rng_.Chance(40000)) {
    for (const char* op : {"enqueue", "dequeue"}) {
      Obj q(*out_);
      q.Str("type", "queue-operation");
      q.Str("operation", op);
      q.Str("timestamp", Ts());
      q.Str("sessionId", ctx_.session_id);
      if (op[0] == 'e')
        TextField(q, "content", pools_.prose, static_cast<uint64_t>(rng_.Range(20, 200)));
      q.End();
      EndLine();
    }
  }
  if (main) Advance(5000, 600000);
  Obj o(*out_);
  Envelope(o, main ? last_uuid_ : std::string());
  o.Str("type", "user");
  {
    Obj m(o.Begin("message"));
    m.Str("role", "user");
    std::string& s = m.Begin("content");
    const size_t start = s.size();
    const uint64_t len = Sample(rng_, kPromptLen);
    if (escaped_text) {
      s += '"';
      s += *escaped_text;
      s += '"';
    } else if (rng_.Chance(2500)) {  // a pasted screenshot: a rare very long line
      s += "[{\"type\":\"text\",\"text\":\"";
      AppendPool(s, pools_.prose, len);
      s += "\"},{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\","
           "\"data\":\"iVBORw0KGgo";
      static constexpr char kB64[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const int64_t n = rng_.Range(60000, 700000) / 4 * 4 + 1;  // + the 11 chars above = 4k
      uint64_t v = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (i % 10 == 0) v = rng_.Next();
        s += kB64[v & 63];
        v >>= 6;
      }
      s += "\"}}]";
    } else if (rng_.Chance(50000)) {
      s += "\"<command-name>/review</command-name>\\n            <command-message>review"
           "</command-message>\\n            <command-args>";
      AppendPool(s, pools_.prose, len / 4);
      s += "</command-args>\"";
    } else {
      s += '"';
      AppendPool(s, pools_.prose, len);
      s += '"';
    }
    if (main && !escaped_text) {
      // For last-prompt lines: a prefix of the prompt, cut where it cannot split an escape.
      std::string_view p(s.data() + start, s.size() - start);
      if (!p.empty() && p[0] == '"') {
        p.remove_prefix(1);
        p.remove_suffix(1);
        // Cut after a space: a space is never inside an escape or a multi-byte character.
        size_t cut = std::min<size_t>(p.size(), 200);
        while (cut > 0 && p[cut - 1] != ' ') --cut;
        last_prompt_.assign(p.data(), cut);
      }
    }
    m.End();
  }
  o.Str("uuid", uuid);
  o.Str("timestamp", Ts());
  if (main && ctx_.era == Era::k21 && rng_.Chance(300000)) {
    o.Str("permissionMode", rng_.Chance(500000) ? "default" : "acceptEdits");
  }
  o.End();
  EndLine();
  last_uuid_ = std::move(uuid);
}

// One API response: optional thinking, optional text, then 0-3 tool_use blocks, one line each,
// all sharing message.id + requestId and repeating the usage; output_tokens peaks on the last line.
void Generator::AssistantRound(bool final_round) {
  const std::string mid = Base62(rng_, "msg_01", 22);
  const std::string rid = Base62(rng_, "req_011C", 20);
  Usage u;
  u.input = rng_.Range(1, 12);
  u.cache_creation = rng_.Chance(150000) ? 0 : rng_.Range(80, 6000);
  u.cache_read = context_tokens_;
  const int64_t placeholder = rng_.Range(1, 10);
  const int64_t real = rng_.Range(20, 1800);
  const bool grows = rng_.Chance(450000);

  const int n_tools =
      final_round ? 0
                  : static_cast<int>(PickWeighted(rng_, std::array<uint32_t, 3>{72, 20, 8})) + 1;
  const bool thinking = rng_.Chance(ctx_.era == Era::k10 ? 80000 : 250000);
  const bool text = n_tools == 0 || rng_.Chance(600000);
  const int n_lines = (thinking ? 1 : 0) + (text ? 1 : 0) + n_tools;
  std::string_view stop;
  if (ctx_.final_usage) stop = n_tools > 0 ? "tool_use" : "end_turn";

  int line = 0;
  auto usage_for_line = [&]() {
    Usage v = u;
    ++line;
    if (ctx_.final_usage) {
      v.output = real;
    } else {
      v.output = (line == n_lines && grows) ? real : placeholder;
    }
    return v;
  };
  Advance(1500, 9000);
  if (thinking) {
    std::string b;
    Obj o(b);
    o.Str("type", "thinking");
    TextField(o, "thinking", pools_.prose, Sample(rng_, kThinkingLen));
    o.Str("signature", Base62(rng_, "Eq", static_cast<int>(rng_.Range(180, 900))) + "==");
    o.End();
    AssistantLine(mid, rid, usage_for_line(), stop, b);
    Advance(200, 2500);
  }
  if (text) {
    std::string b;
    Obj o(b);
    o.Str("type", "text");
    TextField(o, "text", pools_.prose, Sample(rng_, kTextLen));
    o.End();
    AssistantLine(mid, rid, usage_for_line(), stop, b);
    Advance(200, 2500);
  }
  const auto& weights = ctx_.sidechain ? kAgentToolWeights : kMainToolWeights;
  std::vector<ToolCall> pending;
  for (int i = 0; i < n_tools; ++i) {
    ToolCall call;
    call.tool = static_cast<Tool>(PickWeighted(rng_, weights));
    call.id = Base62(rng_, "toolu_01", 22);
    std::string b;
    {
      Obj o(b);
      o.Str("type", "tool_use");
      o.Str("id", call.id);
      o.Str("name", kToolNames[call.tool]);
      Obj in(o.Begin("input"));
      switch (call.tool) {
        case kBash:
          in.Str("command", rng_.Pick(kBashCmds));
          TextField(in, "description", pools_.prose, static_cast<uint64_t>(rng_.Range(12, 60)));
          if (rng_.Chance(100000)) in.Int("timeout", 600000);
          break;
        case kRead:
        case kWrite:
        case kEdit:
        case kMultiEdit:
          call.file_path = FilePath();
          in.Str("file_path", call.file_path);
          if (call.tool == kWrite) TextField(in, "content", pools_.code, Sample(rng_, kWriteLen));
          if (call.tool == kEdit) {
            TextField(in, "old_string", pools_.code, Sample(rng_, kEditLen));
            TextField(in, "new_string", pools_.code, Sample(rng_, kEditLen));
          }
          if (call.tool == kMultiEdit) {
            Arr edits(in.Begin("edits"));
            for (int k = 0; k < 2; ++k) {
              Obj e(edits.Next());
              TextField(e, "old_string", pools_.code, Sample(rng_, kEditLen));
              TextField(e, "new_string", pools_.code, Sample(rng_, kEditLen));
              e.End();
            }
            edits.End();
          }
          break;
        case kGlob:
          in.Str("pattern", "**/*" + std::string(rng_.Pick(kExts)));
          break;
        case kGrep:
          in.Str("pattern", rng_.Pick(kIdents));
          in.Str("path", ctx_.cwd);
          in.Str("output_mode", rng_.Chance(500000) ? "content" : "files_with_matches");
          break;
        case kTodoWrite: {
          Arr todos(in.Begin("todos"));
          const int n = static_cast<int>(rng_.Range(2, 7));
          for (int k = 0; k < n; ++k) {
            Obj t(todos.Next());
            TextField(t, "content", pools_.prose, static_cast<uint64_t>(rng_.Range(20, 90)));
            t.Str("status", k == 0 ? "in_progress" : "pending");
            TextField(t, "activeForm", pools_.prose, static_cast<uint64_t>(rng_.Range(20, 60)));
            t.End();
          }
          todos.End();
          break;
        }
        case kTask:
          TextField(in, "description", pools_.prose, static_cast<uint64_t>(rng_.Range(15, 40)));
          call.prompt = Pool(pools_.prose, static_cast<uint64_t>(rng_.Range(120, 1500)));
          in.Raw("prompt", "\"" + call.prompt + "\"");
          in.Str("subagent_type", rng_.Chance(500000) ? "Explore" : "general-purpose");
          break;
        case kWebFetch:
          in.Str("url", "https://docs.example.org/" + std::string(rng_.Pick(kWords)));
          TextField(in, "prompt", pools_.prose, static_cast<uint64_t>(rng_.Range(30, 200)));
          break;
        default:  // kWebSearch
          TextField(in, "query", pools_.prose, static_cast<uint64_t>(rng_.Range(15, 70)));
          break;
      }
      in.End();
      if (ctx_.version == std::string_view("2.1.114")) o.Raw("caller", "{\"type\":\"direct\"}");
      o.End();
    }
    call.assistant_uuid = AssistantLine(mid, rid, usage_for_line(), stop, b);
    Advance(100, 1500);
    // Parallel calls: sometimes a result lands between two blocks of the same message.
    if (i + 1 < n_tools && rng_.Chance(150000)) {
      ToolResult(call);
    } else {
      pending.push_back(std::move(call));
    }
  }
  context_tokens_ += u.cache_creation + real;
  for (const ToolCall& c : pending) {
    if (interrupted_) break;
    ToolResult(c);
  }
}

// A subagent run for a Task call. Layout depends on the era: in-file sidechain lines (1.0.x), a
// flat agent-<8hex>.jsonl (2.0.x) or <sid>/subagents/agent-<id>.jsonl (2.1.x) plus agent_progress
// lines echoing its assistant messages in the main file. Returns the escaped final answer.
std::string Generator::RunSubagent(const ToolCall& call, std::string* agent_id) {
  const std::string answer = Pool(pools_.prose, Sample(rng_, kTaskResultLen));
  if (!opt_.with_subagents) {
    Advance(20000, 240000);
    agent_id->clear();
    return answer;
  }
  const Ctx saved_ctx = ctx_;
  std::string* const saved_out = out_;
  const std::string saved_last = last_uuid_;
  const int64_t saved_context = context_tokens_;
  const int saved_turn = turn_messages_;

  std::string agent_file;
  std::vector<EchoedMessage> echoes;
  ctx_.sidechain = true;
  ctx_.model = rng_.Chance(600000) ? "claude-haiku-4-5-20251001" : "claude-sonnet-4-5-20250929";
  if (ctx_.era == Era::k10) {
    ctx_.model = "claude-sonnet-4-20250514";
    ctx_.agent_id.clear();  // sidechain lines live in the main file
  } else {
    ctx_.agent_id = ctx_.era == Era::k20                          ? Hex(rng_, 8)
                    : ctx_.version == std::string_view("2.1.114") ? "a" + Hex(rng_, 16)
                                                                  : "a" + Hex(rng_, 6);
    out_ = &agent_file;
    if (ctx_.era == Era::k21) echo_ = &echoes;
  }
  last_uuid_.clear();
  context_tokens_ = rng_.Range(2000, 15000);
  UserPrompt(&call.prompt);
  const int rounds = static_cast<int>(rng_.Range(0, 4));
  for (int r = 0; r < rounds && !interrupted_; ++r) AssistantRound(false);
  interrupted_ = false;
  {
    // The final answer, as one text line.
    const std::string mid = Base62(rng_, "msg_01", 22);
    const std::string rid = Base62(rng_, "req_011C", 20);
    Usage u{rng_.Range(1, 6), rng_.Range(100, 3000), context_tokens_, rng_.Range(40, 900)};
    std::string b = "{\"type\":\"text\",\"text\":\"" + answer + "\"}";
    Advance(2000, 20000);
    AssistantLine(mid, rid, u, ctx_.final_usage ? "end_turn" : "", b);
  }
  *agent_id = ctx_.agent_id;
  const Era era = ctx_.era;
  echo_ = nullptr;
  out_ = saved_out;
  ctx_ = saved_ctx;
  last_uuid_ = saved_last;
  context_tokens_ = saved_context;
  turn_messages_ = saved_turn;

  if (era == Era::k20) {
    WriteWholeFile(project_dir_ / ("agent-" + *agent_id + ".jsonl"), agent_file);
  } else if (era == Era::k21) {
    WriteWholeFile(project_dir_ / ctx_.session_id / "subagents" / ("agent-" + *agent_id + ".jsonl"),
                   agent_file);
    size_t shown = 0;
    for (const EchoedMessage& e : echoes) {
      if (++shown > 8) break;
      std::string uuid = Uuid(rng_);
      Obj o(*out_);
      Envelope(o, last_uuid_);
      o.Str("type", "progress");
      {
        Obj d(o.Begin("data"));
        {
          Obj m(d.Begin("message"));
          m.Str("type", "assistant");
          m.Str("timestamp", e.timestamp);
          m.Raw("message", e.message_json);
          m.Str("requestId", e.request_id);
          m.Str("uuid", e.uuid);
          m.End();
        }
        d.Raw("normalizedMessages", "[]");
        d.Str("type", "agent_progress");
        d.Raw("prompt", "\"" + call.prompt + "\"");
        d.Str("agentId", *agent_id);
        d.End();
      }
      o.Str("toolUseID", "agent_" + e.message_id);
      o.Str("parentToolUseID", call.id);
      o.Str("uuid", uuid);
      o.Str("timestamp", e.timestamp);
      o.End();
      EndLine();
      last_uuid_ = std::move(uuid);
    }
  }
  return answer;
}

void Generator::ToolResult(const ToolCall& call) {
  const bool main = !ctx_.sidechain;
  // 2.1.x writes a progress line per hook run; most lines of real 2.1.x sessions are these.
  const int pre_hooks =
      main && ctx_.era == Era::k21
          ? static_cast<int>(PickWeighted(rng_, std::array<uint32_t, 5>{10, 25, 35, 20, 10}))
          : 0;
  for (int k = 0; k < pre_hooks; ++k) HookProgress("PreToolUse", kToolNames[call.tool], call.id);
  // The tool runs.
  std::string agent_id, answer;
  if (call.tool == kTask) {
    answer = RunSubagent(call, &agent_id);
  } else if (call.tool == kBash) {
    Advance(300, 60000);
    if (main && ctx_.era == Era::k21 && rng_.Chance(450000)) {
      const int n = static_cast<int>(rng_.Range(1, 5));
      for (int k = 0; k < n; ++k) {
        std::string uuid = Uuid(rng_);
        Obj o(*out_);
        Envelope(o, last_uuid_);
        o.Str("type", "progress");
        {
          Obj d(o.Begin("data"));
          d.Str("type", "bash_progress");
          const uint64_t full = Sample(rng_, kBashProgressLen);
          TextField(d, "output", pools_.code, full / 3);
          TextField(d, "fullOutput", pools_.code, full);
          d.Int("elapsedTimeSeconds", k * 3 + 3);
          d.Int("totalLines", rng_.Range(1, 400));
          d.Int("timeoutMs", 120000);
          d.End();
        }
        o.Str("toolUseID", "bash-progress-" + std::to_string(k));
        o.Str("parentToolUseID", call.id);
        o.Str("uuid", uuid);
        o.Str("timestamp", Ts());
        o.End();
        EndLine();
        last_uuid_ = std::move(uuid);
        Advance(1000, 5000);
      }
    }
  } else {
    Advance(40, 3000);
  }

  // Its result: the tool_result block's content, is_error, and the toolUseResult value.
  std::string content, tur;
  int is_error = -1;  // -1: absent
  const uint64_t roll = rng_.Below(1000);
  if (call.tool != kTask && roll < 60) {
    const std::string msg =
        "Error: " + Pool(pools_.prose, static_cast<uint64_t>(rng_.Range(30, 300)));
    content = "\"" + msg + "\"";
    tur = content;
    is_error = 1;
  } else if (call.tool != kTask && roll < 70) {
    content =
        "\"The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if "
        "it was a file edit, the new_string was NOT written to the file). STOP what you are doing "
        "and wait for the user to tell you how to proceed.\"";
    tur = "\"User rejected tool use\"";
    is_error = 1;
  } else if (main && call.tool == kBash && roll < 110) {
    content = "\"[Request interrupted by user for tool use]\"";
    tur = "{\"stdout\":\"\",\"stderr\":\"\",\"interrupted\":true,\"isImage\":false}";
    is_error = 1;
    interrupted_ = true;
  } else {
    switch (call.tool) {
      case kRead: {
        const std::string raw = Pool(pools_.code, Sample(rng_, kFileLen));
        int64_t n = 0;
        content = "\"" + Numbered(raw, 1, &n) + "\"";
        tur = "{\"type\":\"text\",\"file\":{\"filePath\":\"" + call.file_path +
              "\",\"content\":\"" + raw + "\",\"numLines\":" + std::to_string(n) +
              ",\"startLine\":1,\"totalLines\":" + std::to_string(n) + "}}";
        break;
      }
      case kBash: {
        const std::string out = Pool(pools_.code, Sample(rng_, kBashOutLen));
        content = "\"" + out + "\"";
        is_error = 0;
        tur =
            "{\"stdout\":\"" + out + "\",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}";
        break;
      }
      case kEdit:
      case kMultiEdit: {
        const std::string olds = Pool(pools_.code, Sample(rng_, kEditLen));
        const std::string news = Pool(pools_.code, Sample(rng_, kEditLen));
        const int64_t at = rng_.Range(1, 400);
        content = "\"The file " + call.file_path +
                  " has been updated. Here's the result of running `cat -n` on a snippet of the "
                  "edited file:\\n" +
                  Numbered(news, at, nullptr) + "\"";
        std::string& t = tur;
        Obj o(t);
        o.Str("filePath", call.file_path);
        o.Raw("oldString", "\"" + olds + "\"");
        o.Raw("newString", "\"" + news + "\"");
        TextField(o, "originalFile", pools_.code, Sample(rng_, kFileLen));
        {
          Arr patch(o.Begin("structuredPatch"));
          Obj h(patch.Next());
          h.Int("oldStart", at).Int("oldLines", 3).Int("newStart", at).Int("newLines", 4);
          Arr ls(h.Begin("lines"));
          for (int k = 0; k < 4; ++k) {
            std::string& s = ls.Next();
            s += k == 0 ? "\" " : k < 3 ? "\"-" : "\"+";
            AppendPool(s, pools_.code, static_cast<uint64_t>(rng_.Range(10, 70)));
            s += '"';
          }
          ls.End();
          h.End();
          patch.End();
        }
        o.Bool("userModified", false);
        o.Bool("replaceAll", false);
        o.End();
        break;
      }
      case kWrite: {
        content = "\"File created successfully at: " + call.file_path + "\"";
        Obj o(tur);
        o.Str("type", "create");
        o.Str("filePath", call.file_path);
        TextField(o, "content", pools_.code, Sample(rng_, kWriteLen));
        o.Raw("structuredPatch", "[]");
        o.End();
        break;
      }
      case kGlob: {
        std::string list;
        const int n = static_cast<int>(Sample(rng_, kSearchLen) / 40 + 1);
        Obj o(tur);
        Arr names(o.Begin("filenames"));
        for (int k = 0; k < n; ++k) {
          std::string p = FilePath();
          if (k) list += "\\n";
          AppendEscaped(list, p);
          std::string& s = names.Next();
          s += '"';
          AppendEscaped(s, p);
          s += '"';
        }
        names.End();
        o.Int("durationMs", rng_.Range(5, 400));
        o.Int("numFiles", n);
        o.Bool("truncated", false);
        o.End();
        content = "\"" + list + "\"";
        break;
      }
      case kGrep: {
        const std::string out = Pool(pools_.code, Sample(rng_, kSearchLen));
        content = "\"" + out + "\"";
        Obj o(tur);
        o.Str("mode", "content");
        o.Int("numFiles", rng_.Range(1, 30));
        o.Raw("filenames", "[]");
        o.Raw("content", content);
        o.Int("numLines", rng_.Range(1, 200));
        o.End();
        break;
      }
      case kTodoWrite: {
        content =
            "\"Todos have been modified successfully. Ensure that you continue to use the todo "
            "list to track your progress. Please proceed with the current tasks if applicable\"";
        Obj o(tur);
        o.Raw("oldTodos", "[]");
        Arr todos(o.Begin("newTodos"));
        const int n = static_cast<int>(rng_.Range(2, 6));
        for (int k = 0; k < n; ++k) {
          Obj t(todos.Next());
          TextField(t, "content", pools_.prose, static_cast<uint64_t>(rng_.Range(20, 90)));
          t.Str("status", k == 0 ? "completed" : k == 1 ? "in_progress" : "pending");
          TextField(t, "activeForm", pools_.prose, static_cast<uint64_t>(rng_.Range(20, 60)));
          t.End();
        }
        todos.End();
        o.End();
        break;
      }
      case kTask: {
        const std::string block = "[{\"type\":\"text\",\"text\":\"" + answer + "\"}]";
        content = block;
        Obj o(tur);
        o.Str("status", "completed");
        o.Raw("prompt", "\"" + call.prompt + "\"");
        if (!agent_id.empty()) o.Str("agentId", agent_id);
        o.Raw("content", block);
        o.Int("totalDurationMs", rng_.Range(8000, 400000));
        const int64_t in = rng_.Range(1, 40), cc = rng_.Range(500, 20000),
                      cr = rng_.Range(0, 90000), out = rng_.Range(40, 4000);
        o.Int("totalTokens", in + cc + cr + out);
        o.Int("totalToolUseCount", rng_.Range(0, 25));
        {
          Obj u(o.Begin("usage"));  // duplicates the subagent's own tokens; never count it
          u.Int("input_tokens", in);
          u.Int("cache_creation_input_tokens", cc);
          u.Int("cache_read_input_tokens", cr);
          u.Int("output_tokens", out);
          u.Str("service_tier", "standard");
          u.End();
        }
        o.End();
        break;
      }
      case kWebFetch: {
        const std::string out = Pool(pools_.prose, Sample(rng_, kWebLen));
        content = "\"" + out + "\"";
        Obj o(tur);
        o.Int("bytes", rng_.Range(2000, 400000));
        o.Int("code", 200);
        o.Str("codeText", "OK");
        o.Raw("result", content);
        o.Int("durationMs", rng_.Range(200, 9000));
        o.Str("url", "https://docs.example.org/" + std::string(rng_.Pick(kWords)));
        o.End();
        break;
      }
      default: {  // kWebSearch
        const std::string out = Pool(pools_.prose, Sample(rng_, kWebLen));
        content = "\"Web search results:\\n\\n" + out + "\"";
        Obj o(tur);
        TextField(o, "query", pools_.prose, static_cast<uint64_t>(rng_.Range(15, 70)));
        o.Raw("results", "[\"" + out + "\"]");
        o.Int("durationSeconds", rng_.Range(1, 30));
        o.End();
        break;
      }
    }
  }

  std::string uuid = Uuid(rng_);
  {
    Obj o(*out_);
    Envelope(o, call.tool == kTask && !opt_.with_subagents ? call.assistant_uuid : last_uuid_);
    o.Str("type", "user");
    {
      Obj m(o.Begin("message"));
      m.Str("role", "user");
      Arr blocks(m.Begin("content"));
      Obj r(blocks.Next());
      r.Str("tool_use_id", call.id);
      r.Str("type", "tool_result");
      r.Raw("content", content);
      if (is_error >= 0) r.Bool("is_error", is_error == 1);
      r.End();
      blocks.End();
      m.End();
    }
    o.Str("uuid", uuid);
    o.Str("timestamp", Ts());
    o.Raw("toolUseResult", tur);
    if (ctx_.era == Era::k21) o.Str("sourceToolAssistantUUID", call.assistant_uuid);
    o.End();
    EndLine();
  }
  last_uuid_ = std::move(uuid);
  if (main && ctx_.era == Era::k21) {
    const int post =
        static_cast<int>(PickWeighted(rng_, std::array<uint32_t, 6>{10, 20, 30, 25, 10, 5}));
    for (int k = 0; k < post; ++k) HookProgress("PostToolUse", kToolNames[call.tool], call.id);
  }
  if (ctx_.era == Era::k10 && main && rng_.Chance(400000)) SystemLine("", kToolNames[call.tool]);
  if (interrupted_) {
    std::string u2 = Uuid(rng_);
    Obj o(*out_);
    Envelope(o, last_uuid_);
    o.Str("type", "user");
    o.Raw("message",
          "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"[Request interrupted by "
          "user for tool use]\"}]}");
    o.Str("uuid", u2);
    o.Str("timestamp", Ts());
    o.End();
    EndLine();
    last_uuid_ = std::move(u2);
  }
}

void Generator::Compact() {
  const std::string pre = last_uuid_;
  const std::string summary = Pool(pools_.prose, static_cast<uint64_t>(rng_.Range(1500, 9000)));
  if (opt_.with_subagents && ctx_.era == Era::k21) {
    const Ctx saved = ctx_;
    std::string file;
    out_ = &file;
    ctx_.sidechain = true;
    ctx_.agent_id = "acompact-" + Hex(rng_, 6);
    std::string prompt =
        "Write a detailed summary of the conversation so far, so that work can continue in a "
        "fresh context. Cover the requests, files, errors and what is still open.";
    UserPrompt(&prompt);
    const std::string mid = Base62(rng_, "msg_01", 22);
    const std::string rid = Base62(rng_, "req_011C", 20);
    Usage u{rng_.Range(1, 12), 0, context_tokens_, rng_.Range(800, 4000)};
    Advance(20000, 90000);
    AssistantLine(mid, rid, u, ctx_.final_usage ? "end_turn" : "",
                  "{\"type\":\"text\",\"text\":\"" + summary + "\"}");
    const fs::path path =
        project_dir_ / saved.session_id / "subagents" / ("agent-" + ctx_.agent_id + ".jsonl");
    ctx_ = saved;
    out_ = &main_;
    WriteWholeFile(path, file);
  }
  last_uuid_ = pre;
  std::string uuid = Uuid(rng_);
  {
    Obj o(*out_);
    Envelope(o, std::string(), &pre);
    o.Str("type", "system");
    o.Str("subtype", "compact_boundary");
    o.Str("content", "Conversation compacted");
    o.Bool("isMeta", false);
    o.Str("timestamp", Ts());
    o.Str("uuid", uuid);
    o.Str("level", "info");
    o.Raw("compactMetadata",
          "{\"trigger\":\"auto\",\"preTokens\":" + std::to_string(context_tokens_) + "}");
    o.End();
    EndLine();
  }
  std::string u2 = Uuid(rng_);
  {
    Obj o(*out_);
    Envelope(o, uuid);
    o.Str("type", "user");
    o.Raw("message",
          "{\"role\":\"user\",\"content\":\"This session is being continued from a previous "
          "conversation that ran out of context. The conversation is summarized below:\\n" +
              summary + "\"}");
    o.Bool("isVisibleInTranscriptOnly", true);
    o.Bool("isCompactSummary", true);
    o.Str("uuid", u2);
    o.Str("timestamp", Ts());
    o.End();
    EndLine();
  }
  last_uuid_ = std::move(u2);
  context_tokens_ = rng_.Range(15000, 30000);
}

void Generator::Turn() {
  turn_messages_ = 0;
  interrupted_ = false;
  UserPrompt();
  if (ctx_.era == Era::k21) {
    const std::string id = Uuid(rng_);
    const int n = static_cast<int>(rng_.Range(1, 3));
    for (int k = 0; k < n; ++k) HookProgress("UserPromptSubmit", "submit", id);
  }
  const int tool_rounds =
      static_cast<int>(PickWeighted(rng_, std::array<uint32_t, 9>{20, 22, 16, 12, 9, 7, 6, 4, 4}));
  for (int r = 0; r < tool_rounds && !interrupted_; ++r) AssistantRound(false);
  if (!interrupted_) AssistantRound(true);
  if (ctx_.era == Era::k21) HookProgress("Stop", "notify", Uuid(rng_));
  if (ctx_.era != Era::k10) {
    if (rng_.Chance(200000)) SystemLine("stop_hook_summary");
    if (ctx_.era == Era::k21 && rng_.Chance(350000)) SystemLine("turn_duration");
    if (context_tokens_ > 160000) Compact();
  } else if (context_tokens_ > 160000) {
    context_tokens_ = rng_.Range(15000, 30000);  // 1.0.x: /compact wrote no boundary line
  }
}

void Generator::FlushMain() {
  if (main_.empty()) return;
  if (main_file_ && std::fwrite(main_.data(), 1, main_.size(), main_file_) != main_.size()) {
    if (io_error_.empty()) io_error_ = std::strerror(errno);
  }
  bytes_ += main_.size();
  session_bytes_ += main_.size();
  main_.clear();
}

void Generator::WriteWholeFile(const fs::path& path, const std::string& data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data.data(), 1, data.size(), f) != data.size()) {
    if (io_error_.empty()) io_error_ = path.string() + ": " + std::strerror(errno);
  }
  if (f && std::fclose(f) != 0 && io_error_.empty()) io_error_ = path.string() + ": close failed";
  ++files_;
  bytes_ += data.size();
  session_bytes_ += data.size();
}

void Generator::GenerateSession(int index, int64_t start_ms, uint64_t budget) {
  const int p = index % opt_.projects;
  ctx_ = Ctx();
  ctx_.cwd = ProjectCwd(p);
  project_dir_ = root_ / EncodeCwd(ctx_.cwd);
  ctx_.session_id = Uuid(rng_);
  const int64_t day = (start_ms / 86400000) - DaysFromCivil(2025, 9, 1);
  const VersionSpan* v = &kVersions[0];
  for (const VersionSpan& s : kVersions) {
    if (s.from_day <= day) v = &s;
  }
  ctx_.version = v->version;
  ctx_.model = v->model;
  ctx_.final_usage = v->final_usage;
  ctx_.era = v->era;
  ctx_.branch = rng_.Chance(400000) ? "main" : "feature/" + std::string(rng_.Pick(kIdents));
  ctx_.slug = std::string(rng_.Pick(kSlugA)) + "-" + std::string(rng_.Pick(kSlugB)) + "-" +
              std::string(rng_.Pick(kSlugC));

  std::error_code ec;
  fs::create_directories(project_dir_, ec);
  const fs::path path = project_dir_ / (ctx_.session_id + ".jsonl");
  main_file_ = std::fopen(path.c_str(), "wb");
  if (!main_file_ && io_error_.empty()) io_error_ = path.string() + ": " + std::strerror(errno);
  ++files_;
  main_.clear();
  out_ = &main_;
  session_bytes_ = 0;
  last_uuid_.clear();
  now_ms_ = start_ms;
  context_tokens_ = rng_.Range(9000, 22000);

  if (ctx_.era != Era::k21 && rng_.Chance(250000)) Summary();
  if (ctx_.era == Era::k21 && rng_.Chance(700000)) {
    const std::string id = Uuid(rng_);
    HookProgress("SessionStart", "startup", id);
    last_uuid_.clear();
  }
  do {
    Turn();
    if (main_.size() >= (4u << 20)) FlushMain();
  } while (SessionBytes() < budget && io_error_.empty());
  if (ctx_.era == Era::k21) {
    const int n = rng_.Chance(400000) ? static_cast<int>(rng_.Range(1, 2)) : 0;
    for (int i = 0; i < n; ++i) {  // real sessions repeat this line verbatim
      main_ += "{\"type\":\"permission-mode\",\"permissionMode\":\"acceptEdits\",\"sessionId\":\"" +
               ctx_.session_id + "\"}\n";
      ++lines_;
    }
    if (rng_.Chance(600000) && !last_prompt_.empty()) {
      Obj o(main_);
      o.Str("type", "last-prompt");
      o.Raw("lastPrompt", "\"" + last_prompt_ + "\u2026\"");
      o.Str("sessionId", ctx_.session_id);
      o.End();
      EndLine();
    }
  }
  FlushMain();
  if (main_file_ && std::fclose(main_file_) != 0 && io_error_.empty()) {
    io_error_ = path.string() + ": close failed";
  }
  main_file_ = nullptr;
}

bool Generator::Run() {
  const uint64_t target = opt_.size_mb << 20;
  int total = opt_.sessions_per_project > 0
                  ? opt_.projects * opt_.sessions_per_project
                  : static_cast<int>(std::max<uint64_t>(static_cast<uint64_t>(opt_.projects),
                                                        (target + (2u << 20) - 1) >> 21));
  const int64_t t0 = DaysFromCivil(2025, 9, 1) * 86400000;
  const int64_t slot = kSpanDays * 86400000 / total;
  for (int i = 0; i < total && bytes_ < target && io_error_.empty(); ++i) {
    const uint64_t remaining = target - bytes_;
    uint64_t budget = remaining;
    if (i + 1 < total)
      budget = remaining / static_cast<uint64_t>(total - i) * rng_.Range(50, 150) / 100;
    const int64_t start = t0 + slot * i + rng_.Range(0, std::max<int64_t>(slot / 2, 1));
    GenerateSession(i, start, budget);
  }
  if (!io_error_.empty()) {
    std::fprintf(stderr, "gen_transcripts: write failed: %s\n", io_error_.c_str());
    return false;
  }
  return true;
}

bool ParseUint(const char* s, uint64_t max, uint64_t* out) {
  if (!s || !*s) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno || *end || s[0] == '-' || v > max) return false;
  *out = v;
  return true;
}

int PrintUsage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --out DIR --seed N --size-mb M [--projects P] "
               "[--sessions-per-project S] [--with-subagents] [--force]\n"
               "  Writes DIR/projects/<encoded-cwd>/<uuid>.jsonl (M MiB in total) and prints\n"
               "  {\"files\":…,\"lines\":…,\"bytes\":…}. Same arguments, same bytes.\n"
               "  --force removes an existing DIR/projects first.\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  bool have_out = false, have_seed = false, have_size = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const char* val = i + 1 < argc ? argv[i + 1] : nullptr;
    uint64_t n = 0;
    if (a == "--out" && val) {
      opt.out = val;
      have_out = true;
      ++i;
    } else if (a == "--seed" && ParseUint(val, UINT64_MAX, &n)) {
      opt.seed = n;
      have_seed = true;
      ++i;
    } else if (a == "--size-mb" && ParseUint(val, 1u << 20, &n) && n > 0) {
      opt.size_mb = n;
      have_size = true;
      ++i;
    } else if (a == "--projects" && ParseUint(val, 10000, &n) && n > 0) {
      opt.projects = static_cast<int>(n);
      ++i;
    } else if (a == "--sessions-per-project" && ParseUint(val, 100000, &n) && n > 0) {
      opt.sessions_per_project = static_cast<int>(n);
      ++i;
    } else if (a == "--with-subagents") {
      opt.with_subagents = true;
    } else if (a == "--force") {
      opt.force = true;
    } else {
      std::fprintf(stderr, "gen_transcripts: bad or incomplete argument: %s\n", argv[i]);
      return PrintUsage(argv[0]);
    }
  }
  if (!have_out || !have_seed || !have_size) return PrintUsage(argv[0]);
  if (static_cast<uint64_t>(opt.projects) *
          static_cast<uint64_t>(std::max(opt.sessions_per_project, 1)) >
      1000000) {
    std::fprintf(stderr, "gen_transcripts: too many sessions\n");
    return 2;
  }

  const fs::path projects = fs::path(opt.out) / "projects";
  std::error_code ec;
  if (fs::exists(projects, ec) && !fs::is_empty(projects, ec)) {
    if (!opt.force) {
      std::fprintf(stderr, "gen_transcripts: %s is not empty (remove it or pass --force)\n",
                   projects.c_str());
      return 1;
    }
    fs::remove_all(projects, ec);
    if (ec) {
      std::fprintf(stderr, "gen_transcripts: cannot remove %s: %s\n", projects.c_str(),
                   ec.message().c_str());
      return 1;
    }
  }
  fs::create_directories(projects, ec);
  if (ec) {
    std::fprintf(stderr, "gen_transcripts: cannot create %s: %s\n", projects.c_str(),
                 ec.message().c_str());
    return 1;
  }

  Rng rng(opt.seed);
  Pools pools;
  pools.prose = MakeProse(rng, 3u << 20);
  pools.code = MakeCode(rng, 3u << 20);
  Generator gen(opt, rng, pools);
  if (!gen.Run()) return 1;
  std::printf("{\"files\":%llu,\"lines\":%llu,\"bytes\":%llu}\n",
              static_cast<unsigned long long>(gen.files()),
              static_cast<unsigned long long>(gen.lines()),
              static_cast<unsigned long long>(gen.bytes()));
  return 0;
}

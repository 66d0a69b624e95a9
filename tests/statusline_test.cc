// `cco statusline`: fed Claude Code's payloads (with and without
// rate_limits, unknown fields, empty, invalid), it prints one sane line and
// exits 0; it never writes the database; past its deadline it prints the
// last good line; SIGTERM and SIGPIPE end it even when its parent ignored
// them. Real processes, real pipes, real signals. Every test runs both as
// `cco statusline` and as the small `cco-statusline` executable.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {


// The generated tree of the blocks golden: an active block, a usage-limit
// notice, and its "now".
constexpr char kSession[] = "b10c0000-0000-4000-8000-000000000001";

struct Child {
  pid_t pid = -1;
  int in = -1;   // the child's stdin (write end)
  int out = -1;  // the child's stdout (read end)
};

// The statusline's two spellings: `cco statusline` and `cco-statusline`.
std::vector<std::string> Command(bool lean) {
  if (lean) return {CCO_STATUSLINE_BINARY};
  return {CCO_BINARY, "statusline"};
}

// Starts the statusline with a pipe on stdin and stdout; `ignore` makes
// SIGTERM and SIGPIPE ignored in the child before exec (as a parent may
// leave them).
Child Start(bool lean, const std::vector<std::string>& args, const std::vector<std::string>& env,
            bool ignore = false) {
  int in[2], out[2];
  EXPECT_EQ(pipe(in), 0);
  EXPECT_EQ(pipe(out), 0);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    int err = open("/dev/null", O_WRONLY);
    dup2(err, 2);
    close(in[1]);
    close(out[0]);
    if (ignore) {
      signal(SIGTERM, SIG_IGN);
      signal(SIGPIPE, SIG_IGN);
    }
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<std::string> all = Command(lean);
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  c.in = in[1];
  c.out = out[0];
  return c;
}

std::string ReadAll(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return s;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

struct Outcome {
  int status = 0;
  std::string out;
};

Outcome Feed(bool lean, const std::string& payload, const std::vector<std::string>& args,
             const std::vector<std::string>& env) {
  Child c = Start(lean, args, env);
  if (!payload.empty()) {
    EXPECT_EQ(write(c.in, payload.data(), payload.size()), static_cast<ssize_t>(payload.size()));
  }
  close(c.in);
  Outcome r;
  r.out = ReadAll(c.out);
  r.status = Wait(c.pid);
  return r;
}

class StatuslineTest : public ::testing::TestWithParam<bool> {
 protected:
  bool lean() const { return GetParam(); }

  void SetUp() override {
    db_ = dir_ / "g.db";
    CommandResult r = RunCco({"replay", Golden("blocks_tree/projects"), "--db", db_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string golden = ReadFile(Golden("ccusage_blocks_generated.json"));
    const size_t at = golden.find("\"now\": ");
    ASSERT_NE(at, std::string::npos);
    now_ms_ = std::stoll(golden.substr(at + 7));
    env_ = {"CCO_NOW=" + std::to_string(now_ms_), "XDG_RUNTIME_DIR=" + dir_.path(), "NO_COLOR=1"};
  }

  // One line, exit 0. The deadline is set far away: these tests assert what
  // the line says, and a loaded machine must not turn it into the fallback
  // line (the deadline has its own test below).
  std::string Line(const std::string& payload, std::vector<std::string> args = {}) {
    args.insert(args.end(), {"--db", db_, "--tz", "UTC", "--deadline-ms", "60000"});
    Outcome r = Feed(lean(), payload, args, env_);
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.status;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_TRUE(!r.out.empty() && r.out.back() == '\n') << r.out;
    return r.out;
  }

  std::string Payload(bool rate_limits, const std::string& extra = "") {
    std::string p = absl::StrCat(R"({"session_id":")", kSession, R"(","transcript_path":"/tmp/x.jsonl",)",
                                 R"("model":{"id":"claude-opus-4-6","display_name":"Opus 4.6"},)",
                                 R"("workspace":{"current_dir":"/home/u","project_dir":"/home/u"},)",
                                 R"("cost":{"total_cost_usd":9.99,"total_duration_ms":1000},)",
                                 R"("context_window":{"used_percentage":42.4,"context_window_size":200000})");
    if (rate_limits) {
      absl::StrAppend(&p, R"(,"rate_limits":{"five_hour":{"used_percentage":23,"resets_at":)",
                      now_ms_ / 1000 + 7200, R"(},"seven_day":{"used_percentage":81.2,"resets_at":)",
                      now_ms_ / 1000 + 90000, "}}");
    }
    return p + extra + "}";
  }

  TempDir dir_;
  std::string db_;
  int64_t now_ms_ = 0;
  std::vector<std::string> env_;
};

TEST_P(StatuslineTest, FullPayloadGivesEveryPart) {
  const std::string line = Line(Payload(true));
  EXPECT_EQ(line.find("Opus 4.6 | ctx 42% | 5h 23% ↻2h00m 7d 81% ↻"), 0u) << line;
  // This session's cost as cco counts it (not the payload's 9.99), today's,
  // the active block with time left and burn rate, the usage limit in force.
  EXPECT_NE(line.find("| session $0.46 |"), std::string::npos) << line;
  EXPECT_NE(line.find("| today $"), std::string::npos) << line;
  EXPECT_NE(line.find("| block $0.26 2h25m left $0.13/h |"), std::string::npos) << line;
  EXPECT_NE(line.find("| limit reached, resets "), std::string::npos) << line;
  EXPECT_NE(line.find("cco watch not running"), std::string::npos) << line;
  EXPECT_EQ(line.find("\x1b["), std::string::npos) << "NO_COLOR";
}

TEST_P(StatuslineTest, WithoutRateLimitsOrWithUnknownFields) {
  const std::string plain = Line(Payload(false));
  EXPECT_EQ(plain.find("5h "), std::string::npos) << plain;
  EXPECT_EQ(plain.find("Opus 4.6 | ctx 42% | session $0.46"), 0u) << plain;
  const std::string unknown =
      Line(Payload(false, R"(,"future":{"nested":[1,2,{"x":null}]},"output_style":{"name":"default"},"version":"9.9")"));
  EXPECT_EQ(unknown, plain);
}

TEST_P(StatuslineTest, EmptyOrInvalidPayloadStillGivesALine) {
  const std::string empty = Line("");
  EXPECT_EQ(empty.find("cco | today $"), 0u) << empty;
  EXPECT_NE(empty.find("block $0.26"), std::string::npos) << empty;
  EXPECT_EQ(Line("{not json"), empty);
  EXPECT_EQ(Line("[1,2,3]"), empty);
  EXPECT_EQ(Line(R"({"model":42,"context_window":{"used_percentage":"x"}})"), empty);
}

TEST_P(StatuslineTest, NeverWritesTheDatabaseAndSaysWhenThereIsNone) {
  const int64_t before = QueryInt(db_, "SELECT count(*) FROM usage_winners");
  const std::string bytes = ReadFile(db_);
  Line(Payload(true));
  EXPECT_EQ(ReadFile(db_), bytes);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM usage_winners"), before);
  // A database that does not exist is said so, and not created.
  const std::string none = dir_ / "none.db";
  Outcome r = Feed(lean(), Payload(false), {"--db", none}, env_);
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
  EXPECT_EQ(r.out, "Opus 4.6 | ctx 42% | no database yet | cco watch not running\n");
  EXPECT_NE(access(none.c_str(), F_OK), 0);
}

TEST_P(StatuslineTest, PastTheDeadlineItPrintsTheLastGoodLine) {
  const std::string good = Line(Payload(true));
  // A payload that never ends (Claude Code stuck): the deadline answers.
  Child c = Start(lean(), {"--db", db_, "--tz", "UTC", "--deadline-ms", "200"}, env_);
  const std::string out = ReadAll(c.out);
  const int status = Wait(c.pid);
  close(c.in);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(out, good);
}

TEST_P(StatuslineTest, SigtermAndSigpipeEndItEvenWhenTheParentIgnoredThem) {
  Child c = Start(lean(), {"--db", db_, "--deadline-ms", "60000"}, env_, /*ignore=*/true);
  // Once it runs cco and SIGTERM is no longer ignored (its first act), the
  // signal must end it, whatever it waits for (here its payload).
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::error_code ec;
        if (std::filesystem::read_symlink("/proc/" + std::to_string(c.pid) + "/exe", ec) !=
            std::filesystem::canonical(Command(lean()).front())) {
          return false;
        }
        const std::string status = ReadFile("/proc/" + std::to_string(c.pid) + "/status");
        const size_t at = status.find("SigIgn:\t");
        return at != std::string::npos && (std::stoull(status.substr(at + 8, 16), nullptr, 16) & (1ULL << (SIGTERM - 1))) == 0;
      },
      std::chrono::seconds(60)));
  ASSERT_EQ(kill(c.pid, SIGTERM), 0);
  int status = Wait(c.pid);
  close(c.in);
  close(c.out);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  // Its reader gone: the line it writes raises SIGPIPE, which ends it.
  c = Start(lean(), {"--db", db_}, env_, /*ignore=*/true);
  close(c.out);
  close(c.in);
  status = Wait(c.pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) << status;
}

INSTANTIATE_TEST_SUITE_P(BothCommands, StatuslineTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Lean" : "Cco"; });

// Claude Code starts the status line every few hundred milliseconds: the
// small executable must not load the libraries only other commands need
// (each costs the dynamic loader at every start), nor, in a build with
// CCO_STATIC_DEPS (the default), abseil's, SQLite's, zstd's or xxHash's,
// linked in.
TEST(StatuslineBinaryTest, LoadsOnlyWhatTheStatuslineNeeds) {
  CommandResult r = RunCommand({"/usr/bin/readelf", "-d", CCO_STATUSLINE_BINARY});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> needed;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    const size_t at = line.find("Shared library: [");
    if (at != absl::string_view::npos) needed.emplace_back(line.substr(at + 17, line.find(']', at) - at - 17));
  }
  ASSERT_FALSE(needed.empty()) << r.out;
  std::vector<std::string> unwanted = {"libpq", "libssl", "libcrypto", "libcpp-httplib", "libncurses", "libtinfo"};
  if (CCO_STATIC_DEPS_LINKED) unwanted.insert(unwanted.end(), {"libabsl_", "libsqlite3", "libzstd", "libxxhash"});
  for (const std::string& lib : needed) {
    for (const std::string& heavy : unwanted) EXPECT_EQ(lib.find(heavy), std::string::npos) << lib;
  }
  if (CCO_STATIC_DEPS_LINKED) {
    EXPECT_LE(needed.size(), 8u) << absl::StrJoin(needed, " ");
  }
}

}  // namespace
}  // namespace cco::testing

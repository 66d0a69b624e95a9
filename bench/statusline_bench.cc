// statusline_bench: what `cco statusline` costs as Claude Code runs it — a
// whole process per call, a payload on stdin, one line on stdout.
//
//   statusline_bench --cco PATH --db DB [--calls 1000] [--concurrent 1] [--seconds 0]
//                    [--wait-for-db]
//
// --cco names `cco` (called as `cco statusline`) or `cco-statusline`.
// --concurrent 1: --calls calls one after another; prints p50/p90/p99/max
// of the wall time of each (spawn to exit, payload written and output read).
// --concurrent N: N threads call it back to back for --seconds (or --calls
// each), as N Claude Code sessions would; prints the same over every call
// and the calls per second. --wait-for-db waits until DB exists (a daemon
// still creating it). Every call must exit 0 with one line; failures are
// counted and printed. Prints a human-readable line and one JSON line
// (prefix "json: ").
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "percentile.h"

extern char** environ;

namespace {

using cco::Percentile;

using Clock = std::chrono::steady_clock;

struct Options {
  std::string cco, db;
  int calls = 1000;
  int concurrent = 1;
  int seconds = 0;
  bool wait_for_db = false;
};

const char kPayload[] =
    R"({"session_id":"bench-session-0001","transcript_path":"/tmp/none.jsonl","cwd":"/home/u/app",)"
    R"("model":{"id":"claude-opus-4-6","display_name":"Opus 4.6"},"workspace":{"current_dir":"/home/u/app",)"
    R"("project_dir":"/home/u/app"},"version":"2.1.90","cost":{"total_cost_usd":1.25,"total_duration_ms":60000},)"
    R"("context_window":{"used_percentage":37.5,"context_window_size":200000},)"
    R"("rate_limits":{"five_hour":{"used_percentage":41,"resets_at":1900000000},)"
    R"("seven_day":{"used_percentage":12,"resets_at":1900300000}}})";

// One call: microseconds, or -1 when it failed (exit status, no line).
int64_t Call(const Options& o) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<std::string> args = {o.cco, "--db", o.db};
  const size_t slash = o.cco.rfind('/');
  if (o.cco.substr(slash == std::string::npos ? 0 : slash + 1) != "cco-statusline") {
    args.insert(args.begin() + 1, "statusline");
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto start = Clock::now();
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, o.cco.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    return -1;
  }
  const ssize_t w = write(in[1], kPayload, sizeof(kPayload) - 1);
  close(in[1]);
  std::string line;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof(buf))) > 0;) line.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  const bool ok = w > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !line.empty() &&
                  std::count(line.begin(), line.end(), '\n') == 1;
  return ok ? us : -1;
}

// Milliseconds, from the calls' microseconds.
double Pct(const std::vector<int64_t>& us, double p) { return Percentile(us, p) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "statusline_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--cco") o.cco = value();
    else if (a == "--db") o.db = value();
    else if (a == "--calls") o.calls = std::atoi(value().c_str());
    else if (a == "--concurrent") o.concurrent = std::atoi(value().c_str());
    else if (a == "--seconds") o.seconds = std::atoi(value().c_str());
    else if (a == "--wait-for-db") o.wait_for_db = true;
    else {
      std::fprintf(stderr, "statusline_bench: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.cco.empty() || o.db.empty() || o.calls < 1 || o.concurrent < 1) {
    std::fprintf(stderr, "usage: statusline_bench --cco PATH --db DB [--calls N] [--concurrent N] [--seconds S]\n");
    return 2;
  }
  while (o.wait_for_db && access(o.db.c_str(), F_OK) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));

  std::vector<int64_t> all;
  std::mutex mu;
  std::atomic<int64_t> failures{0};
  const auto start = Clock::now();
  const auto until = start + std::chrono::seconds(o.seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < o.concurrent; ++t) {
    threads.emplace_back([&] {
      std::vector<int64_t> mine;
      for (int c = 0; o.seconds > 0 ? Clock::now() < until : c < o.calls; ++c) {
        const int64_t us = Call(o);
        if (us < 0) {
          ++failures;
        } else {
          mine.push_back(us);
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(all.begin(), all.end());
  std::printf("statusline: %zu calls, %d concurrent, %.1f calls/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, "
              "failures %lld\n",
              all.size(), o.concurrent, static_cast<double>(all.size()) / elapsed, Pct(all, 50), Pct(all, 90),
              Pct(all, 99), Pct(all, 100), static_cast<long long>(failures.load()));
  std::printf("json: {\"calls\":%zu,\"concurrent\":%d,\"calls_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
              "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"failures\":%lld}\n",
              all.size(), o.concurrent, static_cast<double>(all.size()) / elapsed, Pct(all, 50), Pct(all, 90),
              Pct(all, 99), Pct(all, 100), static_cast<long long>(failures.load()));
  return failures.load() == 0 ? 0 : 1;
}

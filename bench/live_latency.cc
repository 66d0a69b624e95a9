// live_latency: what the live service costs and how fast it is, measured
// against a real `cco watch` process.
//
//   live_latency --cco PATH [--dir DIR] [--idle-files 20000] [--tree DIR] [--idle-seconds 60]
//                [--sessions 50] [--live-seconds 30] [--mean-interval-ms 1000] [--seed 1]
//
// 1. Writes --idle-files small transcripts (5 lines each, 200 projects), or
//    with --tree takes an existing transcript tree as it is (bench/run passes
//    its generated tree; live transcripts then go to a second root,
//    DIR/live/projects, so the tree is never written), starts `cco watch` on them with
//    a private $NOTIFY_SOCKET and waits for READY=1 (backfill committed).
// 2. Idle: samples the daemon's CPU time (/proc/<pid>/stat utime+stime) over
//    --idle-seconds, its open fds (/proc/<pid>/fd), RSS and threads; its peak
//    RSS (VmHWM) right after the backfill and at the end.
// 3. Reconcile cost: SIGHUP forces the full stat-only reconcile the daemon
//    runs every 300 s; its CPU time, amortised over that period, is added to
//    the idle figure.
// 4. Live: --sessions writer threads append to their own new transcripts for
//    --live-seconds, in bursts (a user line, then 1-4 assistant lines 20 ms
//    apart, as Claude Code streams content blocks), bursts separated by an
//    exponential pause of mean --mean-interval-ms; line sizes median ~700 B,
//    p90 ~3 KB, p99 ~20 KB. One write(2) per line. A reader thread on its own
//    read-only SQLite connection polls for new messages every 2 ms; latency is
//    from just before write(2) to the poll that first sees the row. Reports
//    p50/p90/p99/max, lines lost (must be 0), fds and CPU while live.
// 5. SIGTERM: time to exit and exit code.
//
// Prints a human-readable report and one JSON line (prefix "json: ").
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "percentile.h"

namespace {

using cco::Percentile;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string cco = CCO_BINARY;
  std::string dir;
  std::string tree;  // an existing tree instead of generated idle files
  int idle_files = 20000;
  int idle_seconds = 60;
  int sessions = 50;
  int live_seconds = 30;
  int mean_interval_ms = 1000;
  uint64_t seed = 1;
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "live_latency: %s\n", msg.c_str());
  std::exit(1);
}

std::string Text(std::mt19937_64& rng, size_t n) {
  static const char kWords[][10] = {"the", "daemon", "reads", "only", "appended", "bytes", "and", "commits",
                                    "each", "line", "exactly", "once", "into", "sqlite", "while", "tools", "run"};
  std::string out;
  while (out.size() < n) {
    out += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    out += ' ';
  }
  out.resize(n);
  return out;
}

// Content size: median ~600 B, p90 ~3 KB, p99 ~20 KB.
size_t ContentSize(std::mt19937_64& rng) {
  const uint64_t r = rng() % 1000;
  if (r < 600) return 200 + rng() % 700;
  if (r < 900) return 900 + rng() % 2500;
  if (r < 990) return 3400 + rng() % 12000;
  return 15000 + rng() % 15000;
}

std::string Timestamp() {
  return "2026-01-02T03:04:05.678Z";  // content does not matter to latency
}

std::string UserLine(const std::string& session, const std::string& uuid, const std::string& text) {
  return "{\"parentUuid\":null,\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"/home/bench/p\","
         "\"sessionId\":\"" + session + "\",\"version\":\"2.1.1\",\"type\":\"user\",\"message\":{\"role\":\"user\","
         "\"content\":\"" + text + "\"},\"uuid\":\"" + uuid + "\",\"timestamp\":\"" + Timestamp() + "\"}\n";
}

std::string AssistantLine(const std::string& session, const std::string& uuid, const std::string& msg_id,
                          const std::string& text) {
  return "{\"parentUuid\":null,\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"/home/bench/p\","
         "\"sessionId\":\"" + session + "\",\"version\":\"2.1.1\",\"message\":{\"model\":\"claude-sonnet-4-5-20250929\","
         "\"id\":\"" + msg_id + "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
         "\"text\":\"" + text + "\"}],\"stop_reason\":null,\"usage\":{\"input_tokens\":4,\"cache_creation_input_tokens\":"
         "120,\"cache_read_input_tokens\":5000,\"output_tokens\":30}},\"requestId\":\"req_" + msg_id +
         "\",\"type\":\"assistant\",\"uuid\":\"" + uuid + "\",\"timestamp\":\"" + Timestamp() + "\"}\n";
}

void AppendAll(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
  if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) Die("short write " + path);
  ::close(fd);
}

// --- the daemon --------------------------------------------------------------

struct ProcStat {
  double cpu_seconds = 0;
  int64_t rss_kb = 0;
  int64_t hwm_kb = 0;  // peak RSS so far
  int threads = 0;
  int fds = 0;
};

ProcStat Sample(pid_t pid) {
  ProcStat s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the ")" that ends comm: state is field 3; utime 14, stime 15.
  const size_t close = content.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(content.substr(close + 2));
    std::vector<std::string> f;
    std::string tok;
    while (rest >> tok) f.push_back(tok);
    // f[0] is field 3.
    if (f.size() > 17) {
      const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      s.threads = std::stoi(f[17]);
    }
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::atoll(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) s.hwm_kb = std::atoll(line.c_str() + 6);
  }
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++s.fds;
    }
    ::closedir(d);
  }
  return s;
}

class Daemon {
 public:
  Daemon(const Options& opt, const std::vector<std::string>& roots, const std::string& db,
         const std::string& sock_path) {
    sock_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ::unlink(sock_path.c_str());
    std::strncpy(addr.sun_path, sock_path.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(sock_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("bind notify socket");
    const std::string log = fs::path(db).parent_path().string() + "/daemon.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 2);
      ::setenv("NOTIFY_SOCKET", sock_path.c_str(), 1);
      ::setenv("CCO_LOG", "info", 1);
      std::vector<std::string> args = {opt.cco, "watch", "--db", db};
      for (const std::string& r : roots) {
        args.push_back("--root");
        args.push_back(r);
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(opt.cco.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(sock_);
  }
  pid_t pid() const { return pid_; }

  bool WaitReady(std::chrono::seconds timeout) {
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      // A daemon that exited (a refused root, a bad database) never says READY.
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      pollfd p{sock_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(sock_, buf, sizeof(buf), 0);
      if (n > 0 && std::string(buf, static_cast<size_t>(n)).find("READY=1") != std::string::npos) return true;
    }
    return false;
  }

  // SIGTERM; returns {exit code, milliseconds to exit}.
  std::pair<int, int64_t> Stop() {
    const auto start = Clock::now();
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    pid_ = -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ms};
  }

 private:
  pid_t pid_ = -1;
  int sock_ = -1;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--cco") o.cco = next();
    else if (a == "--dir") o.dir = next();
    else if (a == "--idle-files") o.idle_files = std::stoi(next());
    else if (a == "--tree") o.tree = next();
    else if (a == "--idle-seconds") o.idle_seconds = std::stoi(next());
    else if (a == "--sessions") o.sessions = std::stoi(next());
    else if (a == "--live-seconds") o.live_seconds = std::stoi(next());
    else if (a == "--mean-interval-ms") o.mean_interval_ms = std::stoi(next());
    else if (a == "--seed") o.seed = std::stoull(next());
    else Die("unknown argument " + a);
  }
  if (o.dir.empty()) {
    char templ[] = "/tmp/cco-live-XXXXXX";
    if (::mkdtemp(templ) == nullptr) Die("mkdtemp");
    o.dir = templ;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Options opt = Parse(argc, argv);
  // Without --tree the live transcripts sit beside the generated idle ones;
  // with it, in a root of their own.
  const std::string root = opt.tree.empty() ? opt.dir + "/projects" : opt.tree;
  // A root must be a projects/ directory (or a Claude config directory).
  const std::string live_root = opt.tree.empty() ? root : opt.dir + "/live/projects";
  const std::string db = opt.dir + "/data/cco.db";
  fs::remove_all(opt.dir + "/data");
  fs::create_directories(opt.dir + "/data");
  std::mt19937_64 rng(opt.seed);

  // 1. Idle transcripts.
  int idle_files = opt.idle_files;
  if (!opt.tree.empty()) {
    idle_files = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file() && e.path().extension() == ".jsonl") ++idle_files;
    }
  } else if (!fs::exists(root)) {
    for (int i = 0; i < opt.idle_files; ++i) {
      const std::string project = root + "/-home-bench-idle" + std::to_string(i % 200);
      fs::create_directories(project);
      const std::string session = "idle-" + std::to_string(i);
      std::string lines;
      for (int k = 0; k < 5; ++k) {
        const std::string uuid = session + "-" + std::to_string(k);
        lines += k % 2 == 0 ? UserLine(session, uuid, Text(rng, 200))
                            : AssistantLine(session, uuid, "msg_" + uuid, Text(rng, 200));
      }
      AppendAll(project + "/" + session + ".jsonl", lines);
    }
  }
  for (int p = 0; p < 5; ++p) fs::remove_all(live_root + "/-home-bench-live" + std::to_string(p));
  fs::create_directories(live_root);
  std::vector<std::string> roots = {root};
  if (live_root != root) roots.push_back(live_root);
  const auto backfill_start = Clock::now();
  Daemon daemon(opt, roots, db, opt.dir + "/data/notify.sock");
  if (!daemon.WaitReady(std::chrono::seconds(7200))) Die("no READY=1 from cco watch (see its log: " + opt.dir + "/data/daemon.log)");
  const double backfill_s = std::chrono::duration<double>(Clock::now() - backfill_start).count();
  const int64_t backfill_peak_kb = Sample(daemon.pid()).hwm_kb;
  std::printf("backfill of %d idle transcripts: %.2f s to READY, peak rss %lld KB\n", idle_files, backfill_s,
              static_cast<long long>(backfill_peak_kb));

  // 2. Idle.
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the post-backfill checkpoint pass
  const ProcStat idle_a = Sample(daemon.pid());
  std::this_thread::sleep_for(std::chrono::seconds(opt.idle_seconds));
  const ProcStat idle_b = Sample(daemon.pid());
  const double idle_cpu_pct = 100.0 * (idle_b.cpu_seconds - idle_a.cpu_seconds) / opt.idle_seconds;
  std::printf("idle %d s: cpu %.3f s = %.3f%% of one core; fds %d; rss %lld KB; threads %d\n", opt.idle_seconds,
              idle_b.cpu_seconds - idle_a.cpu_seconds, idle_cpu_pct, idle_b.fds,
              static_cast<long long>(idle_b.rss_kb), idle_b.threads);

  // 3. One full reconcile (what runs every 300 s).
  const ProcStat rec_a = Sample(daemon.pid());
  ::kill(daemon.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const ProcStat rec_b = Sample(daemon.pid());
  const double reconcile_cpu = rec_b.cpu_seconds - rec_a.cpu_seconds;
  std::printf("full stat-only reconcile: cpu %.2f s = %.3f%% of one core amortised over 300 s\n", reconcile_cpu,
              100.0 * reconcile_cpu / 300.0);

  // 4. Live.
  sqlite3* reader = nullptr;
  if (sqlite3_open_v2(db.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) Die("open reader");
  sqlite3_busy_timeout(reader, 5000);
  sqlite3_stmt* poll_stmt = nullptr;
  if (sqlite3_prepare_v2(reader, "SELECT id, uuid FROM messages WHERE id > ?1 ORDER BY id", -1, &poll_stmt,
                         nullptr) != SQLITE_OK) {
    Die(sqlite3_errmsg(reader));
  }
  int64_t last_id = 0;
  {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(reader, "SELECT coalesce(max(id), 0) FROM messages", -1, &s, nullptr);
    if (sqlite3_step(s) == SQLITE_ROW) last_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  std::mutex mu;
  std::map<std::string, Clock::time_point> written;  // uuid -> just before write(2)
  std::vector<double> latencies_ms;
  std::atomic<bool> writers_done{false};
  std::atomic<int64_t> lines_written{0}, bytes_written{0};
  const std::string live = live_root + "/-home-bench-live";
  for (int p = 0; p < 5; ++p) fs::create_directories(live + std::to_string(p));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // project dirs watched

  std::vector<std::thread> writers;
  const auto live_end = Clock::now() + std::chrono::seconds(opt.live_seconds);
  for (int s = 0; s < opt.sessions; ++s) {
    writers.emplace_back([&, s] {
      std::mt19937_64 r(opt.seed * 1000 + static_cast<uint64_t>(s));
      std::exponential_distribution<double> pause(1.0 / opt.mean_interval_ms);
      const std::string session = "live-" + std::to_string(s);
      const std::string path = live + std::to_string(s % 5) + "/" + session + ".jsonl";
      int seq = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(r() % 1000));
      while (Clock::now() < live_end) {
        const int burst = 1 + static_cast<int>(r() % 5);  // a user line, then up to 4 assistant lines
        for (int b = 0; b < burst; ++b) {
          const std::string uuid = session + "-" + std::to_string(seq++);
          const std::string text = Text(r, ContentSize(r));
          const std::string line = b == 0 ? UserLine(session, uuid, text)
                                          : AssistantLine(session, uuid, "msg_" + session + std::to_string(seq), text);
          {
            std::lock_guard<std::mutex> l(mu);
            written[uuid] = Clock::now();
          }
          AppendAll(path, line);
          lines_written.fetch_add(1);
          bytes_written.fetch_add(static_cast<int64_t>(line.size()));
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::this_thread::sleep_until(
            std::min(live_end, Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(pause(r)))));
      }
    });
  }
  // Joined off the polling thread, so the reader never stalls.
  std::thread joiner([&] {
    for (std::thread& t : writers) t.join();
    writers_done = true;
  });
  const ProcStat live_a = Sample(daemon.pid());
  int max_fds = 0;
  int64_t seen = 0;
  auto last_sample = Clock::now();
  const auto drain_deadline = live_end + std::chrono::seconds(30);
  while (Clock::now() < drain_deadline) {
    sqlite3_bind_int64(poll_stmt, 1, last_id);
    const auto now = Clock::now();
    while (sqlite3_step(poll_stmt) == SQLITE_ROW) {
      last_id = sqlite3_column_int64(poll_stmt, 0);
      const char* uuid = reinterpret_cast<const char*>(sqlite3_column_text(poll_stmt, 1));
      std::lock_guard<std::mutex> l(mu);
      auto it = written.find(uuid != nullptr ? uuid : "");
      if (it == written.end()) continue;
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
      written.erase(it);
      ++seen;
    }
    sqlite3_reset(poll_stmt);
    if (now - last_sample > std::chrono::milliseconds(250)) {
      max_fds = std::max(max_fds, Sample(daemon.pid()).fds);
      last_sample = now;
    }
    if (writers_done.load()) {
      std::lock_guard<std::mutex> l(mu);
      if (written.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  joiner.join();
  const ProcStat live_b = Sample(daemon.pid());
  sqlite3_finalize(poll_stmt);
  sqlite3_close(reader);
  const int64_t lost = lines_written.load() - seen;
  const double live_cpu_pct = 100.0 * (live_b.cpu_seconds - live_a.cpu_seconds) / opt.live_seconds;
  std::printf("live %d s, %d sessions: %lld lines (%.1f lines/s, %.1f KB/s), lost %lld\n", opt.live_seconds,
              opt.sessions, static_cast<long long>(lines_written.load()),
              static_cast<double>(lines_written.load()) / opt.live_seconds,
              static_cast<double>(bytes_written.load()) / 1000.0 / opt.live_seconds, static_cast<long long>(lost));
  std::printf("latency write->visible: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              Percentile(latencies_ms, 50), Percentile(latencies_ms, 90), Percentile(latencies_ms, 99),
              Percentile(latencies_ms, 100));
  std::printf("live: cpu %.1f%% of one core; fds max %d; rss %lld KB\n", live_cpu_pct, max_fds,
              static_cast<long long>(live_b.rss_kb));

  // 5. Shutdown.
  const int64_t peak_kb = Sample(daemon.pid()).hwm_kb;
  const auto [code, stop_ms] = daemon.Stop();
  std::printf("SIGTERM: exit %d after %lld ms\n", code, static_cast<long long>(stop_ms));
  std::printf(
      "json: {\"idle_files\":%d,\"backfill_s\":%.2f,\"idle_seconds\":%d,\"idle_cpu_pct\":%.4f,\"idle_fds\":%d,"
      "\"idle_rss_kb\":%lld,\"reconcile_cpu_s\":%.3f,\"sessions\":%d,\"live_seconds\":%d,\"lines\":%lld,"
      "\"lost\":%lld,\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"live_cpu_pct\":%.2f,"
      "\"live_max_fds\":%d,\"stop_exit\":%d,\"stop_ms\":%lld,\"backfill_peak_rss_kb\":%lld,\"peak_rss_kb\":%lld}\n",
      idle_files, backfill_s, opt.idle_seconds, idle_cpu_pct, idle_b.fds, static_cast<long long>(idle_b.rss_kb),
      reconcile_cpu, opt.sessions, opt.live_seconds, static_cast<long long>(lines_written.load()),
      static_cast<long long>(lost), Percentile(latencies_ms, 50), Percentile(latencies_ms, 90),
      Percentile(latencies_ms, 99), Percentile(latencies_ms, 100), live_cpu_pct, max_fds, code,
      static_cast<long long>(stop_ms), static_cast<long long>(backfill_peak_kb), static_cast<long long>(peak_kb));
  return lost == 0 && code == 0 ? 0 : 1;
}

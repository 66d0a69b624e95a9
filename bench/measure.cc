// measure: runs one command and reports what it cost, as one JSON line.
//
//   measure [--out FILE] -- COMMAND [ARGS...]
//
// Prints on stderr (or writes to FILE) {"exit":…,"wall_s":…,"user_s":…,"sys_s":…,
// "max_rss_kb":…,"rchar":…,"read_bytes":…}; the command's own stdout and
// stderr pass through. max_rss_kb is the child's ru_maxrss (getrusage of the
// reaped child: its peak resident set, KiB); rchar is the bytes the child
// read through read(2)/pread(2) (page cache included), read_bytes what it
// made the kernel fetch from storage, both from /proc/<pid>/io, read while
// the child is a zombie (waitid WNOWAIT) so that nothing is lost to a race.
// busiest_thread_cpu_s is the CPU time (user + system) of the child's
// busiest thread, sampled from /proc/<pid>/task/*/stat every 20 ms while it
// runs (so at most ~20 ms short): for a pipeline of threads (cco's reader and
// its single writer) the work on its critical path, which a machine shared
// with other processes stretches in wall time but does not change.
// The exit code is the child's (128+signal when killed).
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

// rchar and read_bytes of `pid` from /proc/<pid>/io; -1 when unreadable.
void ReadIo(pid_t pid, long long* rchar, long long* read_bytes) {
  *rchar = -1;
  *read_bytes = -1;
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  long long value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") *rchar = value;
    if (key == "read_bytes:") *read_bytes = value;
  }
}

// utime + stime of every thread of `pid`, in clock ticks, into `ticks`
// (the largest seen per thread id is kept).
void SampleThreads(pid_t pid, std::map<long, long long>* ticks) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    // After "pid (comm)": state is field 3, utime and stime fields 14 and 15.
    std::vector<std::string> fields;
    size_t pos = close + 2;
    while (pos < stat.size() && fields.size() < 13) {
      const size_t space = stat.find(' ', pos);
      fields.push_back(stat.substr(pos, space - pos));
      if (space == std::string::npos) break;
      pos = space + 1;
    }
    if (fields.size() < 13) continue;
    const long long t = std::atoll(fields[11].c_str()) + std::atoll(fields[12].c_str());
    long long& kept = (*ticks)[std::atol(e->d_name)];
    if (t > kept) kept = t;
  }
  ::closedir(d);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else {
      std::fprintf(stderr, "usage: measure [--out FILE] -- COMMAND [ARGS...]\n");
      return 2;
    }
  }
  if (i >= argc) {
    std::fprintf(stderr, "usage: measure [--out FILE] -- COMMAND [ARGS...]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("measure: fork");
    return 2;
  }
  if (pid == 0) {
    ::execvp(argv[i], argv + i);
    std::fprintf(stderr, "measure: cannot run %s: %s\n", argv[i], std::strerror(errno));
    ::_exit(127);
  }
  siginfo_t info{};
  std::map<long, long long> thread_ticks;
  while (true) {
    info = siginfo_t{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | WNOHANG) != 0) {
      if (errno == EINTR) continue;
      std::perror("measure: waitid");
      return 2;
    }
    if (info.si_pid == pid) break;  // exited (a zombie until wait4 below)
    SampleThreads(pid, &thread_ticks);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  long long busiest = 0;
  for (const auto& [tid, t] : thread_ticks) busiest = std::max(busiest, t);
  const double busiest_s = static_cast<double>(busiest) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long long rchar = 0, read_bytes = 0;
  ReadIo(pid, &rchar, &read_bytes);
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("measure: wait4");
      return 2;
    }
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  char line[512];
  std::snprintf(line, sizeof(line),
                "{\"exit\":%d,\"wall_s\":%.3f,\"user_s\":%.3f,\"sys_s\":%.3f,\"max_rss_kb\":%ld,"
                "\"rchar\":%lld,\"read_bytes\":%lld,\"busiest_thread_cpu_s\":%.2f}\n",
                code, wall, secs(usage.ru_utime), secs(usage.ru_stime), usage.ru_maxrss, rchar, read_bytes,
                busiest_s);
  if (out.empty()) {
    std::fputs(line, stderr);
  } else {
    FILE* f = std::fopen(out.c_str(), "w");
    if (f == nullptr) {
      std::perror("measure: --out");
      return 2;
    }
    std::fputs(line, f);
    std::fclose(f);
  }
  return code;
}

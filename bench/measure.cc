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
// The exit code is the child's (128+signal when killed).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0) {
    if (errno != EINTR) {
      std::perror("measure: waitid");
      return 2;
    }
  }
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
                "\"rchar\":%lld,\"read_bytes\":%lld}\n",
                code, wall, secs(usage.ru_utime), secs(usage.ru_stime), usage.ru_maxrss, rchar, read_bytes);
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

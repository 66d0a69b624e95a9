#include "tests/process_support.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

std::string MakeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/cco-proc-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

// This process's environment with `env` ("NAME=value") added or replacing,
// without the runner's own systemd and cco settings, nor `dropped`.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& env,
                                          const std::vector<std::string>& dropped) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const std::string& o : env) overridden |= o.substr(0, o.find('=')) == name;
    // A test must not inherit the runner's own systemd or cco settings.
    if (name == "NOTIFY_SOCKET" || name == "WATCHDOG_USEC" || name == "WATCHDOG_PID" || name == "CCO_DB") continue;
    if (std::find(dropped.begin(), dropped.end(), name) != dropped.end()) continue;
    if (!overridden) out.push_back(std::move(entry));
  }
  out.insert(out.end(), env.begin(), env.end());
  return out;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  io_dir_ = MakeTempDir();
  out_path_ = io_dir_ + "/out";
  err_path_ = io_dir_ + "/err";
  // Everything the child needs is prepared before fork(): the child only
  // calls async-signal-safe functions.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = ChildEnvironment(env, {});
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::dup2(in, 0);
    // Default dispositions and an empty mask, whatever the test runner set.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  ::close(in);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::kill(pid_, SIGCONT);
    WaitExit(std::chrono::seconds(10));
  }
  ::unlink(out_path_.c_str());
  ::unlink(err_path_.c_str());
  ::rmdir(io_dir_.c_str());
}

void ChildProcess::Reap(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool ChildProcess::running() {
  if (exit_code_.has_value() || pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    Reap(status);
    return false;
  }
  return true;
}

void ChildProcess::Signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

struct PtyProcess::State {
  std::mutex mu;
  std::string output;
  bool closed = false;
  int master = -1;
  std::thread reader;
};

PtyProcess::PtyProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, int columns)
    : state_(std::make_shared<State>()) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The terminal's own width and colour decide, not the runner's.
  std::vector<std::string> env_strings = ChildEnvironment(env, {"COLUMNS", "NO_COLOR"});
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  struct winsize ws {};
  ws.ws_col = static_cast<unsigned short>(columns);
  ws.ws_row = 24;
  int master = -1;
  pid_ = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid_ == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  state_->master = master;
  state_->reader = std::thread([state = state_] {
    char buf[4096];
    while (true) {
      const ssize_t n = ::read(state->master, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EIO: every slave end is closed
      std::lock_guard<std::mutex> lock(state->mu);
      state->output.append(buf, static_cast<size_t>(n));
    }
    std::lock_guard<std::mutex> lock(state->mu);
    state->closed = true;
  });
}

PtyProcess::~PtyProcess() {
  if (!exit_code_.has_value()) {
    ::kill(pid_, SIGKILL);
    WaitExit(std::chrono::seconds(10));
  }
  if (state_->reader.joinable()) state_->reader.join();
  ::close(state_->master);
}

void PtyProcess::Signal(int sig) {
  if (!exit_code_.has_value()) ::kill(pid_, sig);
}

bool PtyProcess::WaitForOutput(const std::string& needle, std::chrono::milliseconds timeout) {
  return WaitUntil([&] { return output().find(needle) != std::string::npos; }, timeout);
}

std::optional<int> PtyProcess::WaitExit(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_.has_value()) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The reader ends when the terminal has nothing more (the child and any
  // descendants closed it).
  if (state_->reader.joinable()) state_->reader.join();
  return exit_code_;
}

std::string PtyProcess::output() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->output;
}

CommandResult RunCcoInPty(const std::vector<std::string>& args, const std::vector<std::string>& env, int columns) {
  std::vector<std::string> argv = {CCO_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  PtyProcess child(argv, env, columns);
  CommandResult r;
  r.exit_code = child.WaitExit(std::chrono::seconds(60)).value_or(-1);
  r.out = child.output();
  return r;
}

std::optional<int> ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

std::string ChildProcess::Stdout() const { return ReadFile(out_path_); }
std::string ChildProcess::Stderr() const { return ReadFile(err_path_); }

RusageResult RunCcoMeasured(const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<std::string> argv = {CCO_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  RusageResult r;
  if (::wait4(pid, &status, 0, &usage) != pid) return r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kb = usage.ru_maxrss;
  return r;
}

std::unique_ptr<ChildProcess> StartCco(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {CCO_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<ChildProcess>(argv, env);
}

NotifySocket::NotifySocket(const std::string& dir, bool abstract) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  socklen_t len;
  if (abstract) {
    name_ = "@cco-test-notify-" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    std::memcpy(addr.sun_path + 1, name_.data() + 1, name_.size() - 1);
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
  } else {
    path_ = dir + "/notify.sock";
    name_ = path_;
    if (path_.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long");
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    ::unlink(path_.c_str());  // a previous daemon's socket in the same directory
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size() + 1);
  }
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    throw std::runtime_error(std::string("bind failed: ") + std::strerror(errno));
  }
}

NotifySocket::~NotifySocket() {
  ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

bool NotifySocket::ReceiveOne(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (n <= 0) return false;
  char buf[4096];
  ssize_t got = ::recv(fd_, buf, sizeof(buf), 0);
  if (got < 0) return false;
  messages_.emplace_back(buf, static_cast<size_t>(got));
  return true;
}

bool NotifySocket::WaitFor(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;
  while (true) {
    for (; checked < messages_.size(); ++checked) {
      for (absl::string_view line : absl::StrSplit(messages_[checked], '\n')) {
        if (line == needle) return true;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) return false;
    ReceiveOne(std::chrono::duration_cast<std::chrono::milliseconds>(end - now) + std::chrono::milliseconds(1));
  }
}

int NotifySocket::Count(const std::string& line) const {
  int n = 0;
  for (const std::string& m : messages_) {
    for (absl::string_view l : absl::StrSplit(m, '\n')) n += l == line ? 1 : 0;
  }
  return n;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ScopedSysctl::ScopedSysctl(const std::string& path, const std::string& value) : path_(path) {
  if (::access(path.c_str(), W_OK) != 0) return;
  // Test processes running at the same time (ctest -j, two checkouts) take
  // turns, so none reads another's temporary value as the one to restore.
  lock_fd_ = ::open("/tmp/cco-test-sysctl.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX) != 0) return;
  old_ = std::string(absl::StripAsciiWhitespace(ReadFile(path)));
  int fd = old_.empty() ? -1 : ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ok_ = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    ::close(fd);
  }
  if (!ok_) Unlock();
}

void ScopedSysctl::Restore() {
  if (ok_) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (::write(fd, old_.data(), old_.size()) == static_cast<ssize_t>(old_.size())) ok_ = false;
      ::close(fd);
    }
  }
  Unlock();
}

void ScopedSysctl::Unlock() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  lock_fd_ = -1;
}

}  // namespace cco::testing

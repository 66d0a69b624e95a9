// Helpers for tests that run the cco daemon as a real process: start it in
// the background, signal it, wait for its exit with a deadline; listen as
// systemd's $NOTIFY_SOCKET; poll a condition with a deadline; change a
// sysctl for the length of a scope.
#ifndef CCO_TESTS_PROCESS_SUPPORT_H_
#define CCO_TESTS_PROCESS_SUPPORT_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace cco::testing {

// A child process running argv (argv[0] a path), stdout and stderr captured
// in files. Killed (SIGKILL) and reaped in the destructor if still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int sig);
  // The exit code (128 + signal for a signal death), or nullopt if it is
  // still running after `timeout`.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  void Reap(int status);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
  std::string io_dir_;
};

// A child process running argv on a pseudo-terminal of `columns` x 24
// (stdin, stdout and stderr all on it, so isatty() holds and TIOCGWINSZ
// answers), as a user's shell would start it. The terminal's output is
// read by a thread into output(). Killed and reaped in the destructor.
class PtyProcess {
 public:
  PtyProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}, int columns = 80);
  ~PtyProcess();
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // True once `needle` appeared in the output, false after `timeout`.
  bool WaitForOutput(const std::string& needle, std::chrono::milliseconds timeout);
  // The exit code (128 + signal), or nullopt after `timeout`; the output is
  // complete once it returns a code.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  std::string output() const;

 private:
  struct State;
  pid_t pid_ = -1;
  std::shared_ptr<State> state_;
  std::optional<int> exit_code_;
};

// Runs cco on a pseudo-terminal until it exits (at most 60 s): exit code
// and everything it wrote (stdout and stderr interleaved, "\r\n" line ends).
CommandResult RunCcoInPty(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                          int columns = 80);

// Runs the cco binary under test to its end, stdin, stdout and stderr on
// /dev/null; its exit code (128 + signal for a signal death) and its peak
// resident set (ru_maxrss of the reaped child, KiB).
struct RusageResult {
  int exit_code = -1;
  int64_t max_rss_kb = 0;
};
RusageResult RunCcoMeasured(const std::vector<std::string>& args);

// Runs the cco binary under test in the background.
std::unique_ptr<ChildProcess> StartCco(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// An AF_UNIX datagram socket standing in for systemd's notify socket. With
// `abstract`, the name is in the abstract namespace ("@…").
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& dir, bool abstract = false);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // "NOTIFY_SOCKET=…" for the child's environment.
  std::string EnvEntry() const { return "NOTIFY_SOCKET=" + name_; }
  // Receives datagrams until one contains `needle` as a whole line
  // ("READY=1") or `timeout` passes. Every datagram is kept in messages().
  bool WaitFor(const std::string& needle, std::chrono::milliseconds timeout);
  // Count of received lines equal to `line` so far.
  int Count(const std::string& line) const;
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  bool ReceiveOne(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::string name_;
  std::string path_;  // for cleanup (not abstract)
  std::vector<std::string> messages_;
};

// Polls `done` every 20 ms until it returns true or `timeout` passes;
// returns its last value.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// Writes `value` to a /proc/sys file for the scope, restoring the old value
// after. ok() is false (and nothing changed) when the file is not writable.
// Holds an exclusive lock (/tmp/cco-test-sysctl.lock) from the change until
// the restore, so concurrent test processes never interleave.
class ScopedSysctl {
 public:
  ScopedSysctl(const std::string& path, const std::string& value);
  ~ScopedSysctl() { Restore(); }
  ScopedSysctl(const ScopedSysctl&) = delete;
  ScopedSysctl& operator=(const ScopedSysctl&) = delete;
  bool ok() const { return ok_; }
  void Restore();

 private:
  void Unlock();

  std::string path_;
  std::string old_;
  bool ok_ = false;
  int lock_fd_ = -1;
};

}  // namespace cco::testing

#endif  // CCO_TESTS_PROCESS_SUPPORT_H_

// The daemon's signals: SIGTERM and SIGINT ask it to stop, SIGHUP to
// reconcile everything. The handlers only record the request in lock-free
// atomics and call a wake-up hook (the watcher's Wake(), an eventfd write:
// the self-pipe pattern), so the main loop, blocked in poll(), sees the
// request at once and acts on it outside signal context.
//
// Thread-safety: the accessors may be called from any thread; the handlers
// may run on any thread of the process.
#ifndef CCO_SRC_DAEMON_SIGNALS_H_
#define CCO_SRC_DAEMON_SIGNALS_H_

#include <memory>

#include "absl/status/statusor.h"

namespace cco {

class SignalMonitor {
 public:
  // Called from the signal handler: must be async-signal-safe.
  using WakeFn = void (*)(void* arg);

  // Installs the handlers (SA_RESTART) and ignores SIGPIPE. At most one
  // monitor may exist at a time (FailedPrecondition otherwise).
  // REQUIRES: whatever `arg` points to outlives the monitor.
  static absl::StatusOr<std::unique_ptr<SignalMonitor>> Install(WakeFn wake, void* arg);

  // Restores the previous dispositions; signals after this are handled as
  // before Install().
  ~SignalMonitor();
  SignalMonitor(const SignalMonitor&) = delete;
  SignalMonitor& operator=(const SignalMonitor&) = delete;

  // A stop was requested (sticky).
  bool stop_requested() const;
  // The signal that asked to stop (SIGTERM or SIGINT), 0 if none.
  int stop_signal() const;
  // True once after one or more SIGHUPs.
  bool TakeReload();

 private:
  SignalMonitor() = default;
};

}  // namespace cco

#endif  // CCO_SRC_DAEMON_SIGNALS_H_

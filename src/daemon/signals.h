// The daemon's signals: SIGTERM and SIGINT ask it to stop, SIGHUP to
// reconcile everything. A thread of the monitor takes them with sigwait()
// (they are blocked in every other thread: see BlockInThisThread()); it,
// or a handler on a thread that does not block them, only records the
// request in lock-free atomics and calls a wake-up hook (the watcher's
// Wake(), an eventfd write: the self-pipe pattern), so the main loop,
// blocked in poll(), sees the request at once and acts on it.
//
// Thread-safety: the accessors may be called from any thread; the handlers
// run on any thread that does not block the signals (see
// BlockInThisThread()).
#ifndef CCO_SRC_DAEMON_SIGNALS_H_
#define CCO_SRC_DAEMON_SIGNALS_H_

#include <memory>

#include "absl/status/statusor.h"

namespace cco {

class SignalMonitor {
 public:
  // Called from the signal handler: must be async-signal-safe.
  using WakeFn = void (*)(void* arg);

  // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread. Called before
  // a command starts its threads (which inherit the mask), it leaves the
  // signals to the monitor's waiting thread alone. A signal arriving before
  // Install() waits, pending, for it.
  static void BlockInThisThread();

  // Installs the handlers (SA_RESTART), blocks the signals in the calling
  // thread, starts the thread that waits for them, and ignores SIGPIPE. At
  // most one monitor may exist at a time (FailedPrecondition otherwise).
  // `wake` is called from that thread or from a handler: it must be
  // async-signal-safe.
  // REQUIRES: whatever `arg` points to outlives the monitor.
  static absl::StatusOr<std::unique_ptr<SignalMonitor>> Install(WakeFn wake, void* arg);

  // Stops the waiting thread, restores the previous dispositions and
  // unblocks the signals in the calling thread; signals after this are
  // handled as before Install().
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

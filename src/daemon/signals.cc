#include "src/daemon/signals.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "src/status.h"

namespace cco {
namespace {

// Signal handlers cannot carry context, so the one monitor's state is global.
// Only lock-free atomics are touched from the handler.
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<void*>::is_always_lock_free);
static_assert(std::atomic<SignalMonitor::WakeFn>::is_always_lock_free);

std::atomic<bool> g_installed{false};
std::atomic<int> g_stop_signal{0};
std::atomic<int> g_reload{0};
std::atomic<SignalMonitor::WakeFn> g_wake{nullptr};
std::atomic<void*> g_wake_arg{nullptr};

struct sigaction g_previous[3];
constexpr int kSignals[3] = {SIGTERM, SIGINT, SIGHUP};
struct sigaction g_previous_pipe;

// Records `sig` and wakes the main loop: from the handler (async-signal-
// safe) or from the waiting thread.
void Record(int sig) {
  if (sig == SIGHUP) {
    g_reload.store(1);
  } else {
    int expected = 0;
    g_stop_signal.compare_exchange_strong(expected, sig);
  }
  SignalMonitor::WakeFn wake = g_wake.load();
  if (wake != nullptr) wake(g_wake_arg.load());
}

void OnSignal(int sig) {
  const int saved_errno = errno;
  Record(sig);
  errno = saved_errno;
}

// The thread that takes the signals blocked everywhere (sigwait): no
// handler interrupts anyone, so nothing can hold a handler back (a
// sanitizer's runtime defers handlers to the interrupted thread's next
// call into it, which for a thread entering a long poll() is too late).
std::atomic<bool> g_closing{false};
std::thread* g_waiter = nullptr;

sigset_t MonitoredSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kSignals) sigaddset(&set, sig);
  return set;
}

}  // namespace

void SignalMonitor::BlockInThisThread() {
  const sigset_t set = MonitoredSignals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::StatusOr<std::unique_ptr<SignalMonitor>> SignalMonitor::Install(WakeFn wake, void* arg) {
  if (g_installed.exchange(true)) return absl::FailedPreconditionError("signal monitor already installed");
  g_stop_signal.store(0);
  g_reload.store(0);
  g_wake_arg.store(arg);
  g_wake.store(wake);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : kSignals) sigaddset(&sa.sa_mask, sig);  // handlers never nest
  sa.sa_flags = SA_RESTART;
  for (int i = 0; i < 3; ++i) {
    if (::sigaction(kSignals[i], &sa, &g_previous[i]) != 0) {
      const int err = errno;
      for (int j = 0; j < i; ++j) ::sigaction(kSignals[j], &g_previous[j], nullptr);
      g_wake.store(nullptr);
      g_installed.store(false);
      return ErrnoStatus(err, "sigaction");
    }
  }
  // A write to a closed socket or pipe must be an error, not a death.
  struct sigaction ignore;
  std::memset(&ignore, 0, sizeof(ignore));
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &g_previous_pipe);
  // Blocked here too (and so in every thread started from here on), and
  // taken by the waiting thread; the handlers above remain for a thread
  // started before BlockInThisThread().
  const sigset_t set = MonitoredSignals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  g_closing.store(false);
  g_waiter = new std::thread([set] {
    for (;;) {
      int sig = 0;
      if (::sigwait(&set, &sig) != 0) continue;
      if (g_closing.load()) return;
      Record(sig);
    }
  });
  return std::unique_ptr<SignalMonitor>(new SignalMonitor());
}

SignalMonitor::~SignalMonitor() {
  g_closing.store(true);
  ::pthread_kill(g_waiter->native_handle(), SIGHUP);  // its sigwait returns
  g_waiter->join();
  delete g_waiter;
  g_waiter = nullptr;
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
  ::sigaction(SIGPIPE, &g_previous_pipe, nullptr);
  g_wake.store(nullptr);
  g_wake_arg.store(nullptr);
  // As before Install(): the signals reach this thread again.
  const sigset_t set = MonitoredSignals();
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  g_installed.store(false);
}

bool SignalMonitor::stop_requested() const { return g_stop_signal.load() != 0; }

int SignalMonitor::stop_signal() const { return g_stop_signal.load(); }

bool SignalMonitor::TakeReload() { return g_reload.exchange(0) != 0; }

}  // namespace cco

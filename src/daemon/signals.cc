#include "src/daemon/signals.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>

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

void OnSignal(int sig) {
  const int saved_errno = errno;
  if (sig == SIGHUP) {
    g_reload.store(1);
  } else {
    int expected = 0;
    g_stop_signal.compare_exchange_strong(expected, sig);
  }
  SignalMonitor::WakeFn wake = g_wake.load();
  if (wake != nullptr) wake(g_wake_arg.load());
  errno = saved_errno;
}

}  // namespace

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
  return std::unique_ptr<SignalMonitor>(new SignalMonitor());
}

SignalMonitor::~SignalMonitor() {
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
  ::sigaction(SIGPIPE, &g_previous_pipe, nullptr);
  g_wake.store(nullptr);
  g_wake_arg.store(nullptr);
  g_installed.store(false);
}

bool SignalMonitor::stop_requested() const { return g_stop_signal.load() != 0; }

int SignalMonitor::stop_signal() const { return g_stop_signal.load(); }

bool SignalMonitor::TakeReload() { return g_reload.exchange(0) != 0; }

}  // namespace cco

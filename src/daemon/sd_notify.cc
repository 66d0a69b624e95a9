#include "src/daemon/sd_notify.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "src/status.h"

namespace cco {
namespace {

// Never block the main loop on a listener that does not read (a full
// datagram queue drops the message instead), never die of SIGPIPE.
#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_DONTWAIT | MSG_NOSIGNAL;
#else
constexpr int kSendFlags = MSG_DONTWAIT;
#endif

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

SdNotifier SdNotifier::FromEnvironment() {
  SdNotifier n;
  std::string path = Env("NOTIFY_SOCKET");
  // Only absolute paths and abstract names are valid (sd_notify(3)).
  if (!path.empty() && (path[0] == '/' || path[0] == '@') && path.size() < sizeof(sockaddr_un::sun_path)) {
    n.socket_path_ = std::move(path);
  }
  uint64_t usec = 0;
  const std::string watchdog_pid = Env("WATCHDOG_PID");
  int64_t pid = 0;
  const bool for_us = watchdog_pid.empty() ||
                      (absl::SimpleAtoi(watchdog_pid, &pid) && pid == static_cast<int64_t>(::getpid()));
  if (n.enabled() && for_us && absl::SimpleAtoi(Env("WATCHDOG_USEC"), &usec) && usec > 0) {
    n.watchdog_interval_ = absl::Microseconds(static_cast<int64_t>(usec / 2));
  }
  return n;
}

SdNotifier::SdNotifier(SdNotifier&& other) noexcept
    : socket_path_(std::move(other.socket_path_)),
      fd_(std::exchange(other.fd_, -1)),
      watchdog_interval_(other.watchdog_interval_),
      last_ping_(other.last_ping_),
      ping_warned_(other.ping_warned_) {
  other.socket_path_.clear();
}

SdNotifier& SdNotifier::operator=(SdNotifier&& other) noexcept {
  if (this != &other) {
    Close();
    socket_path_ = std::move(other.socket_path_);
    other.socket_path_.clear();
    fd_ = std::exchange(other.fd_, -1);
    watchdog_interval_ = other.watchdog_interval_;
    last_ping_ = other.last_ping_;
    ping_warned_ = other.ping_warned_;
  }
  return *this;
}

SdNotifier::~SdNotifier() { Close(); }

void SdNotifier::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status SdNotifier::Notify(std::string_view state) {
  if (!enabled()) return absl::OkStatus();
  if (fd_ < 0) {
#ifdef SOCK_CLOEXEC
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
#else
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd_ >= 0) ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
#endif
    if (fd_ < 0) return ErrnoStatus(errno, "notify socket");
  }
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  if (socket_path_[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract namespace: no terminating NUL in the length
  } else {
    len += 1;
  }
  ssize_t n;
  do {
    n = ::sendto(fd_, state.data(), state.size(), kSendFlags, reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus(errno, absl::StrCat("notify ", socket_path_));
  return absl::OkStatus();
}

absl::Duration SdNotifier::UntilNextPing() const {
  if (!watchdog_interval_.has_value()) return absl::InfiniteDuration();
  // Due a little early, so that a loop woken by a rounded-down timer still
  // pings on this pass instead of one interval later.
  const absl::Duration due = *watchdog_interval_ * 0.9;
  return std::max(absl::ZeroDuration(), due - (absl::Now() - last_ping_));
}

void SdNotifier::PingWatchdog(bool force) {
  if (!watchdog_interval_.has_value()) return;
  const absl::Time now = absl::Now();
  if (!force && UntilNextPing() > absl::ZeroDuration()) return;
  last_ping_ = now;
  if (absl::Status s = Notify("WATCHDOG=1"); !s.ok()) {
    spdlog::log(ping_warned_ ? spdlog::level::debug : spdlog::level::warn, "watchdog ping failed error=\"{}\"",
                s.message());
    ping_warned_ = true;
  }
}

}  // namespace cco

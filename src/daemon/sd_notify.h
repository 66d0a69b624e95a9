// The systemd notification protocol (sd_notify(3)), written directly so that
// `Type=notify` and `WatchdogSec=` work without linking libsystemd: each
// message is one datagram of newline-separated VAR=value assignments sent to
// the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract name
// when it starts with '@').
//
// Without $NOTIFY_SOCKET (not run by systemd, or on macOS) every call is a
// cheap no-op, so callers never need to check.
//
// Thread-safety: one thread at a time (the daemon's main loop).
#ifndef CCO_SRC_DAEMON_SD_NOTIFY_H_
#define CCO_SRC_DAEMON_SD_NOTIFY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cco {

class SdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. The watchdog is on
  // when WATCHDOG_USEC is a positive number and WATCHDOG_PID is unset or this
  // process's pid.
  static SdNotifier FromEnvironment();

  // A notifier that sends nothing.
  SdNotifier() = default;
  SdNotifier(SdNotifier&& other) noexcept;
  SdNotifier& operator=(SdNotifier&& other) noexcept;
  SdNotifier(const SdNotifier&) = delete;
  SdNotifier& operator=(const SdNotifier&) = delete;
  ~SdNotifier();

  bool enabled() const { return !socket_path_.empty(); }

  // Sends `state`, e.g. "READY=1\nSTATUS=following 12 files". OK (and
  // nothing sent) when disabled; the errno status when the datagram could not
  // be sent (the caller logs it). Never blocks: when the listener's queue is
  // full the message is dropped (Unavailable).
  absl::Status Notify(std::string_view state);

  // How often to send WATCHDOG=1: half of WATCHDOG_USEC, as systemd
  // recommends; nullopt when no watchdog is expected from this process.
  std::optional<absl::Duration> watchdog_interval() const { return watchdog_interval_; }

  // Sends WATCHDOG=1 if the interval has passed since the last ping (or
  // `force`). Cheap when not due; call it from the main loop only, so that a
  // stuck loop stops the pings and systemd restarts the service.
  void PingWatchdog(bool force = false);

  // Time until PingWatchdog() would send again (zero when due; infinite
  // without a watchdog): the longest the main loop may sleep.
  absl::Duration UntilNextPing() const;

 private:
  void Close();

  std::string socket_path_;  // as given, '@' for abstract names
  int fd_ = -1;              // created on first use
  std::optional<absl::Duration> watchdog_interval_;
  absl::Time last_ping_ = absl::InfinitePast();
  bool ping_warned_ = false;  // a failed ping is logged as a warning once
};

}  // namespace cco

#endif  // CCO_SRC_DAEMON_SD_NOTIFY_H_

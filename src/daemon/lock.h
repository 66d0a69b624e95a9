// One writer process per database: an flock on "<db>.lock" with the holder's
// pid inside. The kernel drops the lock when the process dies, kill -9
// included, so a stale file never blocks.
#ifndef CCO_SRC_DAEMON_LOCK_H_
#define CCO_SRC_DAEMON_LOCK_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace cco {

class WriterLock {
 public:
  // Takes the lock without waiting. FailedPrecondition naming the holder's
  // pid, with ErrorKind::kInUse (errors.h), when another process has it.
  static absl::StatusOr<WriterLock> Acquire(const std::string& db_path);

  WriterLock(WriterLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  WriterLock& operator=(WriterLock&&) = delete;
  ~WriterLock();

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

// The pid holding the writer lock of `db_path`, if any (reads, never takes it).
std::optional<int> LockHolder(const std::string& db_path);

std::string LockPath(const std::string& db_path);

}  // namespace cco

#endif  // CCO_SRC_DAEMON_LOCK_H_

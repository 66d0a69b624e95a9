#include "src/daemon/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/errors.h"
#include "src/status.h"

namespace cco {
namespace {

std::optional<int> ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return std::nullopt;
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, static_cast<size_t>(n))), &pid)) {
    return std::nullopt;
  }
  return pid;
}

}  // namespace

std::string LockPath(const std::string& db_path) { return db_path + ".lock"; }

absl::StatusOr<WriterLock> WriterLock::Acquire(const std::string& db_path) {
  const std::string path = LockPath(db_path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open lock file ", path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::optional<int> holder = ReadPid(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return WithKind(absl::FailedPreconditionError(absl::StrCat(
                          "database ", db_path, " is in use by another cco writer",
                          holder.has_value() ? absl::StrCat(" (pid ", *holder, ")") : std::string(),
                          "; stop it first (for the service: systemctl --user stop cco)")),
                      ErrorKind::kInUse);
    }
    return ErrnoStatus(err, absl::StrCat("cannot lock ", path));
  }
  std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, absl::StrCat("cannot write lock file ", path));
  }
  return WriterLock(fd);
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

std::optional<int> LockHolder(const std::string& db_path) {
  const std::string path = LockPath(db_path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<int> holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    holder = ReadPid(fd);
    if (!holder.has_value()) holder = 0;
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return holder;
}

}  // namespace cco

// Small filesystem helpers shared by the watcher backends: move-only owners
// of file descriptors and directory streams, and path handling.
#ifndef CCO_INGEST_FS_UTIL_H_
#define CCO_INGEST_FS_UTIL_H_

#include <dirent.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cco {

// Move-only owner of a file descriptor; closes it in the destructor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

// "<something>.jsonl" (a bare ".jsonl" is not a transcript).
bool IsJsonlName(absl::string_view name);

std::string JoinPath(absl::string_view dir, absl::string_view name);

// Absolute, without trailing slashes; InvalidArgument for "".
absl::StatusOr<std::string> NormalizeRoot(const std::string& dir);

// poll(2) timeout in ms for `d`, rounded up; -1 for infinite.
int ToPollTimeoutMs(absl::Duration d);

}  // namespace cco

#endif  // CCO_INGEST_FS_UTIL_H_

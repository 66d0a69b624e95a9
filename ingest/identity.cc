#include "ingest/identity.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

absl::StatusOr<uint64_t> HashRange(int fd, int64_t start, int64_t len) {
  std::string buf(static_cast<size_t>(len), '\0');
  int64_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf.data() + done, static_cast<size_t>(len - done), start + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "pread");
    }
    if (n == 0) return absl::OutOfRangeError("file shrank while fingerprinting");
    done += n;
  }
  return StableHash(buf);
}

}  // namespace

absl::Status Fingerprint(int fd, int64_t position, FileIdentity* identity) {
  identity->head_len = std::min(position, kFingerprintBytes);
  ASSIGN_OR_RETURN(identity->head_checksum, HashRange(fd, 0, identity->head_len));
  identity->checksum_len = std::min(position, kFingerprintBytes);
  ASSIGN_OR_RETURN(identity->checksum,
                   HashRange(fd, position - identity->checksum_len, identity->checksum_len));
  return absl::OkStatus();
}

absl::StatusOr<IdentityCheck> CheckIdentity(int fd, const struct stat& st, const FileState& prev) {
  if (prev.generation == 0) return IdentityCheck{ResumeDecision::kNewGeneration, "new"};
  const FileIdentity& id = prev.identity;
  if (static_cast<int64_t>(st.st_dev) != id.dev || static_cast<int64_t>(st.st_ino) != id.inode) {
    return IdentityCheck{ResumeDecision::kNewGeneration, "replaced"};
  }
  if (st.st_size < prev.read_position) {
    return IdentityCheck{ResumeDecision::kNewGeneration, "truncated"};
  }
  if (prev.read_position == 0) return IdentityCheck{ResumeDecision::kResume, ""};
  FileIdentity now;
  absl::Status s = Fingerprint(fd, prev.read_position, &now);
  if (absl::IsOutOfRange(s)) return IdentityCheck{ResumeDecision::kNewGeneration, "truncated"};
  RETURN_IF_ERROR(s);
  if (now.head_len != id.head_len || now.head_checksum != id.head_checksum ||
      now.checksum_len != id.checksum_len || now.checksum != id.checksum) {
    return IdentityCheck{ResumeDecision::kNewGeneration, "rewritten"};
  }
  // Resuming is only sound just after a '\n'. `cco replay` takes a final line
  // that lacks one; if that file grows later, the rest of the line must not
  // be read as a line of its own: read the file again (stored lines are
  // recognised as duplicates).
  // (A file that did not grow has nothing to read either way.)
  if (st.st_size > prev.read_position) {
    char last = '\n';
    if (::pread(fd, &last, 1, prev.read_position - 1) != 1) return ErrnoStatus(errno, "pread");
    if (last != '\n') return IdentityCheck{ResumeDecision::kNewGeneration, "unterminated"};
  }
  return IdentityCheck{ResumeDecision::kResume, ""};
}

}  // namespace cco

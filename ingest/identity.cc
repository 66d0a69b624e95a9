#include "ingest/identity.h"

#include <algorithm>
#include <string>

#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

absl::StatusOr<uint64_t> HashRange(RandomAccessFile& file, int64_t start, int64_t len) {
  std::string buf;
  absl::Status read = ReadFully(file, start, static_cast<size_t>(len), &buf);
  if (absl::IsOutOfRange(read)) return absl::OutOfRangeError("file shrank while fingerprinting");
  RETURN_IF_ERROR(read);
  return StableHash(buf);
}

}  // namespace

absl::Status Fingerprint(RandomAccessFile& file, int64_t position, FileIdentity* identity) {
  identity->head_len = std::min(position, kFingerprintBytes);
  ASSIGN_OR_RETURN(identity->head_checksum, HashRange(file, 0, identity->head_len));
  identity->checksum_len = std::min(position, kFingerprintBytes);
  ASSIGN_OR_RETURN(identity->checksum,
                   HashRange(file, position - identity->checksum_len, identity->checksum_len));
  return absl::OkStatus();
}

absl::StatusOr<IdentityCheck> CheckIdentity(RandomAccessFile& file, const FileInfo& info, const FileState& prev) {
  if (prev.generation == 0) return IdentityCheck{ResumeDecision::kNewGeneration, "new"};
  const FileIdentity& id = prev.identity;
  if (info.dev != id.dev || info.inode != id.inode) {
    return IdentityCheck{ResumeDecision::kNewGeneration, "replaced"};
  }
  if (info.size < prev.read_position) {
    return IdentityCheck{ResumeDecision::kNewGeneration, "truncated"};
  }
  if (prev.read_position == 0) return IdentityCheck{ResumeDecision::kResume, ""};
  FileIdentity now;
  absl::Status s = Fingerprint(file, prev.read_position, &now);
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
  if (info.size > prev.read_position) {
    std::string last;
    absl::Status read = ReadFully(file, prev.read_position - 1, 1, &last);
    if (absl::IsOutOfRange(read)) return IdentityCheck{ResumeDecision::kNewGeneration, "truncated"};
    RETURN_IF_ERROR(read);
    if (last != "\n") return IdentityCheck{ResumeDecision::kNewGeneration, "unterminated"};
  }
  return IdentityCheck{ResumeDecision::kResume, ""};
}

}  // namespace cco

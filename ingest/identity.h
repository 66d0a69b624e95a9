// File identity: decides whether a file can be resumed at its stored
// read_position or must be read again from 0 as a new generation.
//
// Resume only when the same (dev, inode) is at least as large as the stored
// read position and both fingerprints still match: the first bytes and the
// bytes just before read_position. Anything else (truncation, copy-truncate,
// inode reuse, atomic replace) starts a new generation; duplicate content is
// caught by the line keys in the store.
#ifndef CCO_INGEST_IDENTITY_H_
#define CCO_INGEST_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "ingest/env.h"
#include "src/record.h"

namespace cco {

// How many bytes each fingerprint covers at most.
inline constexpr int64_t kFingerprintBytes = 1024;

enum class ResumeDecision {
  kResume,         // same file, read on from read_position
  kNewGeneration,  // read from 0 as a new generation
};

struct IdentityCheck {
  ResumeDecision decision = ResumeDecision::kResume;
  std::string reason;  // why a new generation: "new", "replaced", "truncated", "rewritten"
};

// REQUIRES: `info` is `file`'s own Stat().
absl::StatusOr<IdentityCheck> CheckIdentity(RandomAccessFile& file, const FileInfo& info, const FileState& prev);

// Fingerprints of the bytes [0, min(position, kFingerprintBytes)) and
// [max(0, position - kFingerprintBytes), position), read from `file`.
// OutOfRange when the file is shorter than `position`.
absl::Status Fingerprint(RandomAccessFile& file, int64_t position, FileIdentity* identity);

}  // namespace cco

#endif  // CCO_INGEST_IDENTITY_H_

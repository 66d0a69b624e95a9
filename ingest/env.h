// The one way ingest reaches the file system, in the shape of LevelDB's Env:
// open a file for positioned reads, stat it (one portable mtime in ns), list
// a directory, resolve a path. Everything in ingest/ that reads transcripts
// or walks the roots goes through an Env, so that
//   * there is one stat conversion (st_mtim on Linux, st_mtimespec on macOS),
//     one errno mapping (ErrnoStatus, with the errno kept as a payload for
//     the few callers that must tell ELOOP from ENOENT), and every descriptor
//     is owned (closed by a destructor);
//   * tests can supply an Env that fails the way disks fail (short reads,
//     EIO, ENOSPC) without a faulty disk.
//
// Thread-safety: Env::Default() is thread-safe; a RandomAccessFile is used by
// one thread at a time.
#ifndef CCO_INGEST_ENV_H_
#define CCO_INGEST_ENV_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cco {

enum class FileType { kRegular, kDirectory, kSymlink, kOther, kUnknown };

// What stat(2) says of a file, in portable units.
struct FileInfo {
  int64_t dev = 0;
  int64_t inode = 0;
  int64_t size = 0;      // bytes
  int64_t mtime_ns = 0;  // last modification, ns since the epoch
  int64_t nlink = 1;
  FileType type = FileType::kOther;

  bool is_regular() const { return type == FileType::kRegular; }
  bool is_directory() const { return type == FileType::kDirectory; }
  bool SameFile(const FileInfo& o) const { return dev == o.dev && inode == o.inode; }
  // The whole seconds of mtime_ns (what st_mtime says), rounded down.
  int64_t mtime_s() const {
    constexpr int64_t kNsPerS = 1000000000;
    return mtime_ns / kNsPerS - (mtime_ns % kNsPerS < 0 ? 1 : 0);
  }
};

// One name in a directory ("." and ".." are never listed). `type` is what
// the directory says (d_type) and may be kUnknown or kSymlink: a caller that
// needs the target's type stats it.
struct DirEntry {
  std::string name;
  FileType type = FileType::kUnknown;
  int64_t inode = 0;  // d_ino: a hint for quick filtering; stat for the truth
};

// A file open for positioned reads. Closed by its destructor.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Reads up to `n` bytes at `offset` into `scratch`. Returns how many were
  // read: 0 only at end of file; fewer than `n` is allowed anywhere (a short
  // read), so callers loop. EINTR is retried inside. Errors: the read's, as
  // FileError (e.g. Internal "…: Input/output error" for EIO).
  virtual absl::StatusOr<size_t> Read(int64_t offset, size_t n, char* scratch) = 0;

  // fstat of the open file (never of whatever its path names now).
  virtual absl::StatusOr<FileInfo> Stat() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation.
  static Env& Default();

  // Opens `path` read-only (following symlinks, never becoming the
  // controlling terminal, never blocking on a FIFO). NotFound when it does
  // not exist.
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> Open(const std::string& path) = 0;

  // stat(2) (follows symlinks) and lstat(2) (does not).
  virtual absl::StatusOr<FileInfo> Stat(const std::string& path) = 0;
  virtual absl::StatusOr<FileInfo> LinkStat(const std::string& path) = 0;

  // The entries of the directory `path`, in no particular order.
  virtual absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& path) = 0;

  // realpath(3): absolute, every symlink resolved.
  virtual absl::StatusOr<std::string> RealPath(const std::string& path) = 0;

  // Whether the process may read `path` (access(2) with R_OK).
  virtual absl::Status CheckReadable(const std::string& path) = 0;
};

// ErrnoStatus(err, context) with `err` attached, so that ErrnoOf can tell
// the causes apart that share a status code (ELOOP and ENOTDIR, say).
absl::Status FileError(int err, std::string_view context);

// The errno a FileError carries; nullopt for any other status.
std::optional<int> ErrnoOf(const absl::Status& status);

// Reads exactly `n` bytes at `offset` into `out` (resized to `n`), looping
// over short reads. OutOfRange when the file ends first (`out` then holds
// what was there).
absl::Status ReadFully(RandomAccessFile& file, int64_t offset, size_t n, std::string* out);

}  // namespace cco

#endif  // CCO_INGEST_ENV_H_

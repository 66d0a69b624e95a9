// Env over POSIX: open/pread/fstat, stat/lstat, opendir/readdir, realpath.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ingest/env.h"
#include "ingest/fs_util.h"
#include "src/status.h"

namespace cco {
namespace {

// The one place a struct stat becomes a FileInfo. Linux and the BSDs name
// the modification time differently.
FileInfo InfoOf(const struct stat& st) {
#ifdef __APPLE__
  const struct timespec& mtime = st.st_mtimespec;
#else
  const struct timespec& mtime = st.st_mtim;
#endif
  FileInfo info;
  info.dev = static_cast<int64_t>(st.st_dev);
  info.inode = static_cast<int64_t>(st.st_ino);
  info.size = static_cast<int64_t>(st.st_size);
  info.mtime_ns = static_cast<int64_t>(mtime.tv_sec) * 1000000000 + mtime.tv_nsec;
  info.nlink = static_cast<int64_t>(st.st_nlink);
  if (S_ISREG(st.st_mode)) {
    info.type = FileType::kRegular;
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileType::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileType::kSymlink;
  } else {
    info.type = FileType::kOther;
  }
  return info;
}

FileType TypeOf(unsigned char d_type) {
  switch (d_type) {
    case DT_REG:
      return FileType::kRegular;
    case DT_DIR:
      return FileType::kDirectory;
    case DT_LNK:
      return FileType::kSymlink;
    case DT_UNKNOWN:
      return FileType::kUnknown;
    default:
      return FileType::kOther;
  }
}

class PosixFile final : public RandomAccessFile {
 public:
  PosixFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  absl::StatusOr<size_t> Read(int64_t offset, size_t n, char* scratch) override {
    while (true) {
      const ssize_t got = ::pread(fd_.get(), scratch, n, static_cast<off_t>(offset));
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return FileError(errno, absl::StrCat("cannot read ", path_));
    }
  }

  absl::StatusOr<FileInfo> Stat() override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return FileError(errno, absl::StrCat("cannot stat ", path_));
    return InfoOf(st);
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> Open(const std::string& path) override {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) return FileError(errno, absl::StrCat("cannot open ", path));
    return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixFile>(path, std::move(fd)));
  }

  absl::StatusOr<FileInfo> Stat(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return FileError(errno, path);
    return InfoOf(st);
  }

  absl::StatusOr<FileInfo> LinkStat(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return FileError(errno, path);
    return InfoOf(st);
  }

  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& path) override {
    UniqueDir d(::opendir(path.c_str()));
    if (d == nullptr) return FileError(errno, path);
    std::vector<DirEntry> out;
    errno = 0;
    while (const struct dirent* ent = ::readdir(d.get())) {
      const std::string_view name = ent->d_name;
      if (name != "." && name != "..") out.push_back(DirEntry{std::string(name), TypeOf(ent->d_type), static_cast<int64_t>(ent->d_ino)});
      errno = 0;
    }
    if (errno != 0) return FileError(errno, path);
    return out;
  }

  absl::StatusOr<std::string> RealPath(const std::string& path) override {
    std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr), &std::free);
    if (resolved == nullptr) return FileError(errno, path);
    return std::string(resolved.get());
  }

  absl::Status CheckReadable(const std::string& path) override {
    if (::access(path.c_str(), R_OK) != 0) return FileError(errno, path);
    return absl::OkStatus();
  }
};

}  // namespace

Env& Env::Default() {
  static Env* const env = new PosixEnv();
  return *env;
}

}  // namespace cco

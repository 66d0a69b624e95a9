#include "src/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/status.h"

namespace cco {
namespace {

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

absl::StatusOr<File> OpenFile(const std::string& path, const char* mode) {
  File f(std::fopen(path.c_str(), mode));
  if (f == nullptr) return ErrnoStatus(errno, absl::StrCat("cannot open ", path));
  return f;
}

// Flushes and fsyncs `f`, then closes it.
absl::Status CloseDurably(File f, const std::string& path) {
  if (std::fflush(f.get()) != 0 || ::fsync(::fileno(f.get())) != 0) {
    return ErrnoStatus(errno, absl::StrCat("cannot write ", path));
  }
  if (std::fclose(f.release()) != 0) return ErrnoStatus(errno, absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

absl::Status CompressFile(const std::string& src, const std::string& dest) {
  ASSIGN_OR_RETURN(File in, OpenFile(src, "rb"));
  ASSIGN_OR_RETURN(File out, OpenFile(dest, "wb"));
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  std::string in_buf(ZSTD_CStreamInSize(), '\0'), out_buf(ZSTD_CStreamOutSize(), '\0');
  while (true) {
    const size_t n = std::fread(in_buf.data(), 1, in_buf.size(), in.get());
    if (std::ferror(in.get())) return ErrnoStatus(errno, absl::StrCat("cannot read ", src));
    const bool last = n < in_buf.size();
    ZSTD_inBuffer input{in_buf.data(), n, 0};
    bool finished = false;
    while (!finished) {
      ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
      const size_t left = ZSTD_compressStream2(cctx.get(), &output, &input, last ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(left)) return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(left)));
      if (std::fwrite(out_buf.data(), 1, output.pos, out.get()) != output.pos) {
        return ErrnoStatus(errno, absl::StrCat("cannot write ", dest));
      }
      finished = last ? left == 0 : input.pos == input.size;
    }
    if (last) break;
  }
  return CloseDurably(std::move(out), dest);
}

// Decompresses `src` into `out` (nullptr: only verify).
absl::Status Decompress(const std::string& src, FILE* out, const std::string& dest) {
  ASSIGN_OR_RETURN(File in, OpenFile(src, "rb"));
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string in_buf(ZSTD_DStreamInSize(), '\0'), out_buf(ZSTD_DStreamOutSize(), '\0');
  size_t pending = 1;  // 0 once a frame is complete
  bool any = false;
  while (true) {
    const size_t n = std::fread(in_buf.data(), 1, in_buf.size(), in.get());
    if (std::ferror(in.get())) return ErrnoStatus(errno, absl::StrCat("cannot read ", src));
    if (n == 0) break;
    any = true;
    ZSTD_inBuffer input{in_buf.data(), n, 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
      pending = ZSTD_decompressStream(dctx.get(), &output, &input);
      if (ZSTD_isError(pending)) {
        return absl::DataLossError(absl::StrCat(src, " is damaged (zstd: ", ZSTD_getErrorName(pending), ")"));
      }
      if (out != nullptr && std::fwrite(out_buf.data(), 1, output.pos, out) != output.pos) {
        return ErrnoStatus(errno, absl::StrCat("cannot write ", dest));
      }
    }
  }
  if (!any || pending != 0) return absl::DataLossError(absl::StrCat(src, " is cut short (an incomplete zstd frame)"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> IsCompressedFile(const std::string& path) {
  ASSIGN_OR_RETURN(File in, OpenFile(path, "rb"));
  unsigned char magic[4] = {0, 0, 0, 0};
  const size_t n = std::fread(magic, 1, 4, in.get());
  return n == 4 && magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F && magic[3] == 0xFD;
}

absl::Status DecompressFile(const std::string& src, const std::string& dest) {
  ASSIGN_OR_RETURN(File out, OpenFile(dest, "wb"));
  RETURN_IF_ERROR(Decompress(src, out.get(), dest));
  return CloseDurably(std::move(out), dest);
}

absl::Status VerifyDatabaseCopy(const std::string& path) {
  ASSIGN_OR_RETURN(Db db, Db::Open(path, Db::Mode::kAsItIs));
  std::string answer;
  {
    absl::StatusOr<Stmt> check = db.Prepare("PRAGMA integrity_check");
    absl::StatusOr<bool> row = check.ok() ? check->Step() : check.status();
    answer = row.ok() && *row ? check->ColumnText(0) : sqlite3_errmsg(db.get());
  }
  if (answer != "ok") return absl::DataLossError(absl::StrCat(path, " fails PRAGMA integrity_check: ", answer));
  return absl::OkStatus();
}

absl::StatusOr<BackupResult> BackupDatabase(Db& source, const std::string& dest, const BackupOptions& options) {
  if (!options.replace && ::access(dest.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(dest, " exists (--force replaces it)"));
  }
  const std::string copy = absl::StrCat(dest, ".partial-", ::getpid());
  const std::string packed = copy + ".zst";
  struct Cleanup {
    std::string a, b;
    ~Cleanup() {
      std::remove(a.c_str());
      std::remove(b.c_str());
      std::remove((a + "-journal").c_str());
    }
  } cleanup{copy, packed};
  std::remove(copy.c_str());
  {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(copy.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> conn(raw, sqlite3_close_v2);
    if (rc != SQLITE_OK) return absl::InternalError(absl::StrCat("cannot create ", copy, ": ", sqlite3_errstr(rc)));
    ::chmod(copy.c_str(), 0600);
    // One step: the whole copy is read in one transaction, so it is one
    // snapshot whatever the writer commits meanwhile (WAL).
    sqlite3_backup* backup = sqlite3_backup_init(raw, "main", source.get(), "main");
    if (backup == nullptr) return absl::InternalError(absl::StrCat("cannot start the backup: ", sqlite3_errmsg(raw)));
    rc = sqlite3_backup_step(backup, -1);
    const int finish = sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE || finish != SQLITE_OK) {
      return absl::InternalError(absl::StrCat("the backup failed: ", sqlite3_errstr(rc != SQLITE_DONE ? rc : finish)));
    }
    // A self-contained file: no -wal beside it.
    char* error = nullptr;
    if (sqlite3_exec(raw, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      return absl::InternalError(absl::StrCat("cannot finish the backup: ", message));
    }
  }
  RETURN_IF_ERROR(VerifyDatabaseCopy(copy));
  {
    ASSIGN_OR_RETURN(File f, OpenFile(copy, "rb+"));
    RETURN_IF_ERROR(CloseDurably(std::move(f), copy));
  }
  BackupResult result;
  result.database_bytes = FileSize(copy);
  std::string ready = copy;
  if (options.compress) {
    RETURN_IF_ERROR(CompressFile(copy, packed));
    RETURN_IF_ERROR(Decompress(packed, nullptr, ""));
    ready = packed;
  }
  result.written_bytes = FileSize(ready);
  if (!options.replace && ::access(dest.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(dest, " exists (--force replaces it)"));
  }
  if (std::rename(ready.c_str(), dest.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("cannot move the backup to ", dest));
  }
  return result;
}

absl::Status RecordBackup(const std::string& db_path, const std::string& backup_path, int64_t now_ms) {
  char resolved[PATH_MAX];
  const std::string absolute = ::realpath(backup_path.c_str(), resolved) != nullptr ? resolved : backup_path;
  const std::string list = db_path + ".backups";
  const int fd = ::open(list.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot record the backup in ", list));
  const std::string line = absl::StrCat(now_ms, "\t", absolute, "\n");
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) return ErrnoStatus(errno, absl::StrCat("cannot record the backup in ", list));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RecordedBackups(const std::string& db_path) {
  std::vector<std::string> out;
  File f(std::fopen((db_path + ".backups").c_str(), "rb"));
  if (f == nullptr) return out;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) text.append(buf, n);
  std::set<std::string> seen;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t tab = line.find('\t');
    if (tab == absl::string_view::npos) continue;
    std::string path(line.substr(tab + 1));
    if (::access(path.c_str(), F_OK) == 0 && seen.insert(path).second) out.push_back(std::move(path));
  }
  return out;
}

}  // namespace cco

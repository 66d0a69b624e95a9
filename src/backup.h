// Backups of the database and their restore, as files: an online copy of an
// open database (SQLite's backup API, one consistent snapshot while the
// writer goes on), optionally zstd-compressed, verified before it is
// published; a list of the backups made, kept beside the database so that
// `cco forget` can name the copies that still hold what it removed.
//
// Files are written under a temporary name and renamed into place, so a
// failed or interrupted backup leaves no file at its destination.
#ifndef CCO_SRC_BACKUP_H_
#define CCO_SRC_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

struct BackupOptions {
  bool compress = false;  // a zstd frame (with its checksum) of the database file
  bool replace = false;   // replace an existing destination (else AlreadyExists)
};

struct BackupResult {
  int64_t database_bytes = 0;  // the copy's size as a database
  int64_t written_bytes = 0;   // what `dest` holds (compressed or not)
};

// Copies `source` (an open connection; a read-only one is enough) to
// `dest`: one snapshot, in rollback-journal mode so that the copy is a
// single self-contained file, checked with PRAGMA integrity_check before it
// is renamed to `dest`. AlreadyExists when `dest` exists and not
// `options.replace`; DataLoss when the copy fails its check.
absl::StatusOr<BackupResult> BackupDatabase(Db& source, const std::string& dest, const BackupOptions& options);

// True when `path` starts with the zstd frame magic.
absl::StatusOr<bool> IsCompressedFile(const std::string& path);

// Decompresses the zstd file `src` into `dest` (created, replaced),
// verifying the frames' checksums. DataLoss for a damaged file.
absl::Status DecompressFile(const std::string& src, const std::string& dest);

// PRAGMA integrity_check of the SQLite file at `path` (opened read-write
// in place: use it on a copy). DataLoss with the check's first line when it
// does not answer "ok".
absl::Status VerifyDatabaseCopy(const std::string& path);

// The backups `cco backup` made of `db_path`, as recorded in
// "<db_path>.backups" (one line each: milliseconds since the epoch, a tab,
// the absolute path). RecordedBackups lists those whose file still exists,
// oldest first.
absl::Status RecordBackup(const std::string& db_path, const std::string& backup_path, int64_t now_ms);
absl::StatusOr<std::vector<std::string>> RecordedBackups(const std::string& db_path);

}  // namespace cco

#endif  // CCO_SRC_BACKUP_H_

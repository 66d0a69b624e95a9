// Operations on the database as a whole: `cco backup` (an online copy,
// verified) and `cco restore` (a verified copy put in place, the old
// database kept).
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "ingest/env.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "src/backup.h"
#include "src/daemon/lock.h"
#include "src/daemon/paths.h"
#include "src/errors.h"
#include "src/json_writer.h"
#include "src/maintenance.h"
#include "src/reader.h"

namespace cco {
namespace {

int Usage(const std::string& who, const std::string& message) {
  std::fprintf(stderr, "%s: %s (see cco help %s)\n", who.c_str(), message.c_str(), who.substr(4).c_str());
  return kExitUsage;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// The size of the file at `path`; 0 when it cannot be looked at.
int64_t FileSize(const std::string& path) {
  absl::StatusOr<FileInfo> info = Env::Default().Stat(path);
  return info.ok() ? info->size : 0;
}

}  // namespace

int RunBackup(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("backup"));
  if (!args.ok()) return Usage("cco backup", std::string(args.status().message()));
  if (args->positional().empty()) return Usage("cco backup", "where to? give the backup's path (DEST)");
  const std::string dest = args->positional()[0];
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return Usage("cco backup", std::string(db_path.status().message()));
  if (Exists(dest) && !args->Has("force")) {
    std::fprintf(stderr, "cco backup: %s exists; --force replaces it\n", dest.c_str());
    return kExitUsage;
  }
  // The reader's checks (a cco database, not newer than this binary), and
  // a read-only connection: the copy never writes to the database.
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader =
      SqliteReader::Open(*db_path, ReaderOptions{.accept_older_schema = true});
  if (!reader.ok()) return ReportFailure(reader.status(), "cco backup");
  BackupOptions options;
  options.compress = args->Has("compress");
  options.replace = args->Has("force");
  absl::StatusOr<BackupResult> result = BackupDatabase((*reader)->db(), dest, options);
  if (!result.ok()) return ReportFailure(result.status(), "cco backup");
  absl::Status recorded = RecordBackup(*db_path, dest, absl::ToUnixMillis(absl::Now()));
  if (!recorded.ok()) {
    std::fprintf(stderr, "cco backup: warning: %s\n", std::string(recorded.message()).c_str());
  }
  if (args->Has("json")) {
    JsonWriter j;
    j.BeginObject()
        .Field("backup", dest)
        .Field("db", *db_path)
        .Field("compressed", options.compress)
        .Field("database_bytes", result->database_bytes)
        .Field("bytes", result->written_bytes)
        .Field("verified", true)
        .EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("backup of %s written to %s (%.1f MB%s), verified with PRAGMA integrity_check\n", db_path->c_str(),
                dest.c_str(), static_cast<double>(result->written_bytes) / 1e6,
                options.compress ? absl::StrCat(", zstd; ", result->database_bytes / 1000000, " MB as a database").c_str()
                                 : "");
  }
  return kExitOk;
}

int RunRestore(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("restore"));
  if (!args.ok()) return Usage("cco restore", std::string(args.status().message()));
  if (args->positional().empty()) return Usage("cco restore", "from where? give the backup's path (SRC)");
  const std::string src = args->positional()[0];
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return Usage("cco restore", std::string(db_path.status().message()));
  if (!Exists(src)) {
    std::fprintf(stderr, "cco restore: no backup at %s\n", src.c_str());
    return kExitUsage;
  }
  absl::Status dir = EnsureDbDirectory(*db_path);
  if (!dir.ok()) return ReportFailure(dir, "cco restore");
  // No writer may run meanwhile: hold its lock for the whole restore.
  absl::StatusOr<WriterLock> lock = WriterLock::Acquire(*db_path);
  if (!lock.ok()) return ReportFailure(lock.status(), "cco restore");

  // 1. A verified copy beside the database (same file system: renamed in).
  const std::string staged = absl::StrCat(*db_path, ".restore-", ::getpid());
  struct RemoveStaged {
    std::string path;
    ~RemoveStaged() {
      std::remove(path.c_str());
      std::remove((path + "-journal").c_str());
    }
  } remove_staged{staged};
  absl::StatusOr<bool> compressed = IsCompressedFile(src);
  if (!compressed.ok()) return ReportFailure(compressed.status(), "cco restore");
  absl::Status copied;
  if (*compressed) {
    copied = DecompressFile(src, staged);
  } else {
    // Through SQLite's backup of the source, so a source in WAL mode with
    // its -wal beside it is copied whole; opened read-only, never changed.
    absl::StatusOr<Db> source = OpenDbReadOnly(src);
    copied = source.status();
    if (source.ok()) copied = BackupDatabase(*source, staged, BackupOptions{.replace = true}).status();
  }
  if (copied.ok()) copied = VerifyDatabaseCopy(staged);
  if (copied.ok()) {
    // A cco database this binary can read (not a newer schema).
    copied = SqliteReader::Open(staged, ReaderOptions{.accept_older_schema = true}).status();
  }
  if (!copied.ok()) {
    std::fprintf(stderr, "cco restore: %s is not a usable backup, nothing changed: %s\n", src.c_str(),
                 std::string(copied.message()).c_str());
    return ExitCodeFor(copied) == kExitUsage ? kExitFailure : ExitCodeFor(copied);
  }

  // 2. The old database (with its -wal and -shm) renamed aside, the copy
  // renamed in and verified in place; on failure the old one comes back.
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", std::gmtime(&now));
  const std::string kept = absl::StrCat(*db_path, ".before-restore-", stamp);
  const bool had_old = Exists(*db_path);
  std::vector<std::string> moved;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string from = *db_path + suffix;
    if (!Exists(from)) continue;
    if (std::rename(from.c_str(), (kept + suffix).c_str()) != 0) {
      const int error = errno;
      for (const std::string& s : moved) std::rename((kept + s).c_str(), (*db_path + s).c_str());
      return ReportFailure(ErrnoStatus(error, absl::StrCat("cannot move ", from, " aside")), "cco restore");
    }
    moved.push_back(suffix);
  }
  absl::Status placed;
  if (std::rename(staged.c_str(), db_path->c_str()) != 0) placed = ErrnoStatus(errno, "cannot move the copy in");
  if (placed.ok()) placed = SqliteReader::Open(*db_path, ReaderOptions{.accept_older_schema = true}).status();
  if (placed.ok()) placed = VerifyDatabaseCopy(*db_path);
  if (!placed.ok()) {
    std::remove(db_path->c_str());
    for (const std::string& s : moved) std::rename((kept + s).c_str(), (*db_path + s).c_str());
    return ReportFailure(Prefixed(placed, "the restored database failed its check; the old one is back"),
                         "cco restore");
  }
  if (args->Has("json")) {
    JsonWriter j;
    j.BeginObject().Field("db", *db_path).Field("restored_from", src).Field("verified", true);
    if (had_old) j.Field("previous", kept);
    j.EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("restored %s from %s (verified with PRAGMA integrity_check)\n", db_path->c_str(), src.c_str());
    if (had_old) std::printf("the previous database is kept as %s (delete it when you no longer need it)\n", kept.c_str());
  }
  return kExitOk;
}

int RunOptimize(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("optimize"));
  if (!args.ok()) return Usage("cco optimize", std::string(args.status().message()));
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return Usage("cco optimize", std::string(db_path.status().message()));
  // The reader's checks first: never create a database, never touch one
  // written by a newer cco.
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(*db_path);
  if (!reader.ok()) return ReportFailure(reader.status(), "cco optimize");
  reader->reset();
  absl::StatusOr<Db> db = Db::Open(*db_path, Db::Mode::kReadWrite);
  if (!db.ok()) return ReportFailure(db.status(), "cco optimize");
  auto fail = [](const absl::Status& s) { return ReportFailure(s, "cco optimize"); };
  if (absl::Status s = RefreshStatistics(*db); !s.ok()) return fail(s);
  absl::StatusOr<std::vector<std::string>> tables = FtsTables(*db);
  if (!tables.ok()) return fail(tables.status());
  for (const std::string& t : *tables) {
    if (absl::Status s = FtsOptimize(*db, t); !s.ok()) return fail(s);
  }
  const bool vacuum = args->Has("vacuum");
  int64_t bytes_before = 0;
  if (vacuum) {
    absl::StatusOr<CheckpointResult> before = Checkpoint(*db, /*truncate=*/false);
    if (!before.ok()) return fail(before.status());
    bytes_before = FileSize(*db_path);
    if (absl::Status s = Vacuum(*db); !s.ok()) return fail(s);
  }
  absl::StatusOr<CheckpointResult> checkpoint = Checkpoint(*db, /*truncate=*/true);
  if (!checkpoint.ok()) return fail(checkpoint.status());
  const int64_t wal = FileSize(*db_path + "-wal");
  const int64_t size = FileSize(*db_path);
  if (args->Has("json")) {
    JsonWriter j;
    j.BeginObject().Field("db", *db_path);
    j.Key("fts").BeginArray();
    for (const std::string& t : *tables) j.String(t);
    j.EndArray();
    j.Field("wal_frames", checkpoint->wal_frames)
        .Field("checkpointed", checkpoint->checkpointed)
        .Field("wal_busy", checkpoint->busy)
        .Field("bytes", size)
        .Field("wal_bytes", wal)
        .Field("vacuumed", vacuum);
    if (vacuum) j.Field("bytes_before", bytes_before);
    j.EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("optimized %s: statistics refreshed; %zu full-text %s merged; %sWAL %s (%lld of %lld frames "
                "copied); database %.1f MB, WAL %.1f MB\n",
                db_path->c_str(), tables->size(), tables->size() == 1 ? "index" : "indexes",
                vacuum ? absl::StrFormat("vacuumed (%.1f MB before); ", static_cast<double>(bytes_before) / 1e6).c_str()
                       : "",
                checkpoint->busy ? "checkpointed in part (a reader holds the rest)" : "checkpointed",
                static_cast<long long>(checkpoint->checkpointed), static_cast<long long>(checkpoint->wal_frames),
                static_cast<double>(size) / 1e6, static_cast<double>(wal) / 1e6);
  }
  return kExitOk;
}

}  // namespace cco

// `cco status`: is a daemon running, and how far behind is the database?
// Read-only: never creates the database, its directory or its lock file. A
// missing database is not an error (exit 0, "db_exists": false), so that
// scripts and monitoring can ask before the first run; an unreadable one is
// (exit 1).
//
// `running` comes from the writer lock (the kernel drops it when the holder
// dies), never from the heartbeat row, which a killed daemon leaves behind.
// Lag is measured here: each live file's size minus its committed read
// position.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ingest/roots.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/flags.h"
#include "cli/writer_setup.h"
#include "src/json_writer.h"
#include "src/daemon/lock.h"
#include "src/daemon/paths.h"
#include "src/sqlite.h"
#include "src/status.h"

namespace cco {
namespace {

constexpr size_t kTopLagging = 10;

struct RootStatus {
  std::string root;
  int64_t files = 0;
  int64_t archived = 0;
  int64_t pending_bytes = 0;
};

struct LaggingFile {
  std::string path;
  int64_t pending_bytes = 0;
};

struct DaemonStatus {
  std::string db_path;
  bool running = false;
  std::optional<int> pid;
  bool db_exists = false;
  std::optional<int64_t> last_commit_ms;  // newest files row update or archive
  std::optional<int64_t> heartbeat_ms;    // the writer's last heartbeat
  int64_t queue_depth = 0;
  int64_t files = 0;  // live (not archived)
  int64_t files_archived = 0;
  int64_t files_missing = 0;  // live rows whose file is gone (archived at the next check)
  int64_t messages = 0;
  int64_t events = 0;
  int64_t quarantined = 0;
  // Chunks the writer refused (its reader was out of step with the file;
  // the file was read again): a count over the database's life.
  int64_t refused_chunks = 0;
  std::string last_refusal;
  std::optional<int64_t> last_refusal_ms;
  int64_t pending_bytes = 0;
  int64_t pending_files = 0;
  int64_t db_bytes = 0;
  int64_t wal_bytes = 0;
  std::vector<RootStatus> roots;
  std::vector<LaggingFile> lagging;
  // Entries below the roots that ingest cannot take (symlink loops, dangling
  // symlinks, unreadable), found by walking the roots now.
  std::vector<std::string> skipped;
};

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

absl::StatusOr<int64_t> Count(Db& db, std::string_view sql) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, db.QueryInt(sql));
  return v.value_or(0);
}

absl::Status ReadDatabase(DaemonStatus* out) {
  ASSIGN_OR_RETURN(Db db, Db::Open(out->db_path, Db::Mode::kReadOnly));
  // One read transaction: every figure from the same snapshot.
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  ASSIGN_OR_RETURN(std::optional<int64_t> tables,
                   db.QueryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                               "('files', 'messages', 'events', 'quarantine', 'writer_state')"));
  if (tables.value_or(0) != 5) {
    return absl::FailedPreconditionError(absl::StrCat(out->db_path, " is not a cco database (or predates it)"));
  }
  ASSIGN_OR_RETURN(out->messages, Count(db, "SELECT count(*) FROM messages"));
  ASSIGN_OR_RETURN(out->events, Count(db, "SELECT count(*) FROM events"));
  ASSIGN_OR_RETURN(out->quarantined, Count(db, "SELECT count(*) FROM quarantine"));
  ASSIGN_OR_RETURN(out->last_commit_ms,
                   db.QueryInt("SELECT max(coalesce(max(updated_ms), 0), coalesce(max(archived_ms), 0)) FROM files"
                               " HAVING count(*) > 0"));
  {
    ASSIGN_OR_RETURN(Stmt hb, db.Prepare("SELECT heartbeat_ms, queue_depth FROM writer_state WHERE id = 1"));
    ASSIGN_OR_RETURN(bool row, hb.Step());
    if (row) {
      out->heartbeat_ms = hb.ColumnOptionalInt(0);
      // A dead writer's queue died with it.
      out->queue_depth = out->running ? hb.ColumnInt(1) : 0;
    }
  }
  ASSIGN_OR_RETURN(int64_t has_refusals,
                   Count(db, "SELECT count(*) FROM pragma_table_info('writer_state') WHERE name = 'refused_chunks'"));
  if (has_refusals > 0) {  // a database not yet migrated to 0004 has none
    ASSIGN_OR_RETURN(Stmt rf, db.Prepare("SELECT refused_chunks, last_refusal, last_refusal_ms FROM writer_state"
                                         " WHERE id = 1"));
    ASSIGN_OR_RETURN(bool row, rf.Step());
    if (row) {
      out->refused_chunks = rf.ColumnInt(0);
      out->last_refusal = rf.ColumnText(1);
      out->last_refusal_ms = rf.ColumnOptionalInt(2);
    }
  }
  ASSIGN_OR_RETURN(Stmt files, db.Prepare("SELECT path, root, read_position, archived_ms IS NOT NULL FROM files"
                                          " ORDER BY root, path"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, files.Step());
    if (!row) break;
    const std::string root = files.ColumnText(1);
    if (out->roots.empty() || out->roots.back().root != root) out->roots.push_back(RootStatus{root});
    RootStatus& r = out->roots.back();
    if (files.ColumnInt(3) != 0) {
      ++r.archived;
      ++out->files_archived;
      continue;
    }
    ++r.files;
    ++out->files;
    const std::string path = files.ColumnText(0);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      ++out->files_missing;
      continue;
    }
    const int64_t pending = std::max<int64_t>(0, static_cast<int64_t>(st.st_size) - files.ColumnInt(2));
    if (pending == 0) continue;
    r.pending_bytes += pending;
    out->pending_bytes += pending;
    ++out->pending_files;
    out->lagging.push_back(LaggingFile{path, pending});
  }
  std::sort(out->lagging.begin(), out->lagging.end(), [](const LaggingFile& a, const LaggingFile& b) {
    return a.pending_bytes != b.pending_bytes ? a.pending_bytes > b.pending_bytes : a.path < b.path;
  });
  if (out->lagging.size() > kTopLagging) out->lagging.resize(kTopLagging);
  RETURN_IF_ERROR(db.Exec("COMMIT"));
  for (const RootStatus& r : out->roots) {
    for (const SkippedPath& skipped : WalkTranscripts(r.root).skipped) {
      out->skipped.push_back(absl::StrCat(skipped.path, ": ", skipped.reason));
    }
  }
  return absl::OkStatus();
}

std::string Ago(int64_t ms) {
  const int64_t secs = std::max<int64_t>(0, (absl::ToUnixMillis(absl::Now()) - ms) / 1000);
  if (secs < 120) return absl::StrCat(secs, "s ago");
  if (secs < 7200) return absl::StrCat(secs / 60, "m ago");
  if (secs < 172800) return absl::StrCat(secs / 3600, "h ago");
  return absl::StrCat(secs / 86400, "d ago");
}

void PrintJson(const DaemonStatus& s) {
  JsonWriter j;
  j.BeginObject().Field("running", s.running);
  if (s.pid.has_value() && *s.pid > 0) {
    j.Field("pid", *s.pid);
  } else {
    j.Key("pid").Null();
  }
  j.Field("db", s.db_path).Field("db_exists", s.db_exists);
  if (s.last_commit_ms.has_value()) {
    j.Field("last_commit", IsoMs(*s.last_commit_ms)).Field("last_commit_ms", *s.last_commit_ms);
  } else {
    j.Key("last_commit").Null().Key("last_commit_ms").Null();
  }
  if (s.heartbeat_ms.has_value()) {
    j.Field("heartbeat_ms", *s.heartbeat_ms);
  } else {
    j.Key("heartbeat_ms").Null();
  }
  j.Field("queue_depth", s.queue_depth)
      .Field("files", s.files)
      .Field("files_archived", s.files_archived)
      .Field("files_missing", s.files_missing)
      .Field("messages", s.messages)
      .Field("events", s.events)
      .Field("quarantined", s.quarantined)
      .Field("refused_chunks", s.refused_chunks);
  if (s.last_refusal_ms.has_value()) {
    j.Key("last_refusal").BeginObject().Field("reason", s.last_refusal).Field("at", IsoMs(*s.last_refusal_ms))
        .EndObject();
  } else {
    j.Key("last_refusal").Null();
  }
  j.Field("skipped", static_cast<int64_t>(s.skipped.size()));
  j.Key("skipped_paths").BeginArray();
  for (size_t i = 0; i < s.skipped.size() && i < kTopLagging; ++i) j.String(s.skipped[i]);
  j.EndArray();
  j.Field("pending_bytes", s.pending_bytes)
      .Field("pending_files", s.pending_files)
      .Field("db_bytes", s.db_bytes)
      .Field("wal_bytes", s.wal_bytes);
  j.Key("roots").BeginArray();
  for (const RootStatus& r : s.roots) {
    j.BeginObject()
        .Field("root", r.root)
        .Field("files", r.files)
        .Field("archived", r.archived)
        .Field("pending_bytes", r.pending_bytes)
        .EndObject();
  }
  j.EndArray();
  j.Key("lagging").BeginArray();
  for (const LaggingFile& f : s.lagging) {
    j.BeginObject().Field("path", f.path).Field("pending_bytes", f.pending_bytes).EndObject();
  }
  j.EndArray();
  if (!s.db_exists) j.Field("note", "no database yet: `cco watch` or `cco rescan` creates it");
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
}

void PrintText(const DaemonStatus& s) {
  if (s.running) {
    std::printf("daemon:      running%s\n", s.pid.has_value() && *s.pid > 0
                                                 ? absl::StrCat(" (pid ", *s.pid, ")").c_str()
                                                 : "");
  } else {
    std::printf("daemon:      not running\n");
  }
  if (!s.db_exists) {
    std::printf("database:    %s does not exist yet (`cco watch` or `cco rescan` creates it)\n",
                s.db_path.c_str());
    return;
  }
  std::printf("database:    %s (%s, WAL %s)\n", s.db_path.c_str(), HumanBytes(static_cast<double>(s.db_bytes)).c_str(),
              HumanBytes(static_cast<double>(s.wal_bytes)).c_str());
  std::printf("last commit: %s\n", s.last_commit_ms.has_value()
                                       ? absl::StrCat(IsoMs(*s.last_commit_ms), " (", Ago(*s.last_commit_ms), ")")
                                             .c_str()
                                       : "never");
  if (s.running) std::printf("queue:       %lld chunks\n", static_cast<long long>(s.queue_depth));
  std::printf("files:       %lld live, %lld archived (history kept)%s\n", static_cast<long long>(s.files),
              static_cast<long long>(s.files_archived),
              s.files_missing > 0 ? absl::StrCat(", ", s.files_missing, " gone since last check").c_str() : "");
  for (const RootStatus& r : s.roots) {
    std::printf("  %s: %lld files, %lld archived, %s pending\n", r.root.c_str(), static_cast<long long>(r.files),
                static_cast<long long>(r.archived), HumanBytes(static_cast<double>(r.pending_bytes)).c_str());
  }
  std::printf("rows:        %lld messages, %lld events, %lld quarantined lines\n",
              static_cast<long long>(s.messages), static_cast<long long>(s.events),
              static_cast<long long>(s.quarantined));
  if (s.refused_chunks > 0) {
    std::printf("refused:     %lld chunks re-read after the file moved under the reader (last %s: %s)\n",
                static_cast<long long>(s.refused_chunks),
                s.last_refusal_ms.has_value() ? IsoMs(*s.last_refusal_ms).c_str() : "?", s.last_refusal.c_str());
  }
  if (!s.skipped.empty()) {
    std::printf("skipped:     %zu paths below the roots cannot be read\n", s.skipped.size());
    for (size_t i = 0; i < s.skipped.size() && i < kTopLagging; ++i) std::printf("  %s\n", s.skipped[i].c_str());
  }
  std::printf("pending:     %s in %lld files\n", HumanBytes(static_cast<double>(s.pending_bytes)).c_str(),
              static_cast<long long>(s.pending_files));
  for (const LaggingFile& f : s.lagging) {
    std::printf("  %10s  %s\n", HumanBytes(static_cast<double>(f.pending_bytes)).c_str(), f.path.c_str());
  }
}

}  // namespace

int RunStatus(const std::vector<std::string>& argv) {
  FlagSpec spec;
  spec.value_flags = {"db"};
  spec.bool_flags = {"json"};
  absl::StatusOr<Args> args = ParseArgs(argv, spec);
  if (!args.ok()) return ReportFailure(args.status());
  DaemonStatus s;
  absl::StatusOr<std::string> db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return ReportFailure(db_path.status());
  s.db_path = *db_path;
  s.pid = LockHolder(s.db_path);
  s.running = s.pid.has_value();
  struct stat st;
  s.db_exists = ::stat(s.db_path.c_str(), &st) == 0;
  if (s.db_exists) {
    if (absl::Status read = ReadDatabase(&s); !read.ok()) {
      return ReportFailure(absl::Status(read.code(), absl::StrCat("cannot read ", s.db_path, ": ", read.message())));
    }
    s.db_bytes = FileSize(s.db_path);
    s.wal_bytes = FileSize(s.db_path + "-wal");
  }
  if (args->Has("json")) {
    PrintJson(s);
  } else {
    PrintText(s);
  }
  return kExitOk;
}

}  // namespace cco

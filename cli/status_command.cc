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
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ingest/env.h"
#include "ingest/roots.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/status_view.h"
#include "cli/writer_setup.h"
#include "src/daemon/lock.h"
#include "src/daemon/paths.h"
#include "src/errors.h"
#include "src/json_writer.h"
#include "src/pg.h"
#include "src/pg_reader.h"
#include "src/reader.h"
#include "src/status.h"

namespace cco {
namespace {

int64_t FileSize(const std::string& path) {
  absl::StatusOr<FileInfo> info = Env::Default().Stat(path);
  return info.ok() ? info->size : 0;
}

// Whether the `bytes` after `offset` in `path` hold no newline (read up to
// 1 MiB: a longer unfinished line counts as one).
bool NoNewlineAfter(const std::string& path, int64_t offset, int64_t bytes) {
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = Env::Default().Open(path);
  if (!file.ok()) return false;
  char buf[64 << 10];
  bool newline = false;
  for (int64_t done = 0; done < std::min<int64_t>(bytes, 1 << 20) && !newline;) {
    const absl::StatusOr<size_t> n = (*file)->Read(offset + done, sizeof(buf), buf);
    if (!n.ok() || *n == 0) break;
    const int64_t got = static_cast<int64_t>(*n);
    newline = std::memchr(buf, '\n', static_cast<size_t>(std::min<int64_t>(got, bytes - done))) != nullptr;
    done += got;
  }
  return !newline;
}

// Lag, measured here: each followed file's size now minus its committed
// read position.
void MeasureFiles(StatusView* s) {
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  s->root_pending.assign(s->db.roots.size(), 0);
  size_t root_index = 0;
  for (const FollowedFile& f : s->db.followed) {
    while (root_index < s->db.roots.size() && s->db.roots[root_index].root != f.root) ++root_index;
    const absl::StatusOr<FileInfo> info = Env::Default().Stat(f.path);
    if (!info.ok()) {
      ++s->files_missing;
      continue;
    }
    const int64_t pending = std::max<int64_t>(0, info->size - f.read_position);
    if (pending == 0) continue;
    if (root_index < s->root_pending.size()) s->root_pending[root_index] += pending;
    s->pending_bytes += pending;
    ++s->pending_files;
    s->lagging.push_back(LaggingFile{f.path, pending});
    const int64_t waiting_s = now_s - info->mtime_s();
    if (waiting_s > kUnterminatedAfterS && NoNewlineAfter(f.path, f.read_position, pending)) {
      s->unterminated.push_back(UnterminatedFile{f.path, pending, waiting_s});
    }
  }
  // While a walk has not read everything it found, files it has not reached
  // have no row to measure: what it found is the backlog.
  if (s->db.walk.has_value() && !s->db.walk->done()) {
    const WalkStatus& w = *s->db.walk;
    s->walk_open = true;
    s->pending_files = std::max<int64_t>(0, w.files - w.files_read);
    s->pending_bytes = std::max<int64_t>(0, w.bytes - w.bytes_read);
    const int64_t elapsed_ms = w.updated_ms.value_or(0) - w.started_ms.value_or(0);
    if (s->running && w.bytes_read > 0 && elapsed_ms > 0) {
      const double rate = static_cast<double>(w.bytes_read) / static_cast<double>(elapsed_ms);  // bytes per ms
      s->eta_s = static_cast<int64_t>(static_cast<double>(s->pending_bytes) / rate / 1000.0 + 0.5);
    }
  }
  std::sort(s->lagging.begin(), s->lagging.end(), [](const LaggingFile& a, const LaggingFile& b) {
    return a.pending_bytes != b.pending_bytes ? a.pending_bytes > b.pending_bytes : a.path < b.path;
  });
  if (s->lagging.size() > kTopLagging) s->lagging.resize(kTopLagging);
  std::vector<std::string> roots = s->db.writer_roots;
  if (roots.empty()) {  // a writer from before writers recorded their roots
    for (const RootCounts& r : s->db.roots) roots.push_back(r.root);
  }
  for (const std::string& root : roots) {
    for (const SkippedPath& skipped : WalkTranscripts(root).skipped) {
      s->skipped.push_back(absl::StrCat(skipped.path, ": ", skipped.reason));
    }
  }
}

std::string Span(int64_t secs) {
  secs = std::max<int64_t>(0, secs);
  if (secs < 120) return absl::StrCat(secs, "s");
  if (secs < 7200) return absl::StrCat(secs / 60, "m");
  if (secs < 172800) return absl::StrCat(secs / 3600, "h");
  return absl::StrCat(secs / 86400, "d");
}

std::string Ago(int64_t ms) { return Span((absl::ToUnixMillis(absl::Now()) - ms) / 1000) + " ago"; }

std::string Files(int64_t n) { return absl::StrCat(n, n == 1 ? " file" : " files"); }

// A writer recorded itself (0010) and is the one holding the lock now.
bool RecordedWriterRuns(const StatusView& s) {
  return s.running && !s.db.writer_command.empty() && s.pid.has_value() && s.db.writer_pid == *s.pid;
}

// "2 of 3 files, 394 B of 591 B"
std::string WalkLine(const WalkStatus& w) {
  return absl::StrCat(w.files_read, " of ", Files(w.files), ", ", HumanBytes(static_cast<double>(w.bytes_read)),
                      " of ", HumanBytes(static_cast<double>(w.bytes)));
}

}  // namespace

std::string StatusJson(const StatusView& s) {
  JsonWriter j;
  j.BeginObject().Field("running", s.running);
  if (s.pid.has_value() && *s.pid > 0) {
    j.Field("pid", *s.pid);
  } else {
    j.Key("pid").Null();
  }
  j.Field("db", s.db_path).Field("db_exists", s.db_exists);
  // The writer's own record: which command, since when (the last one's,
  // when none runs).
  if (s.db.writer_command.empty()) {
    j.Key("command").Null();
  } else {
    j.Field("command", s.db.writer_command);
  }
  if (s.db.writer_started_ms.has_value() && *s.db.writer_started_ms > 0) {
    j.Field("since", IsoUtcMs(*s.db.writer_started_ms)).Field("since_ms", *s.db.writer_started_ms);
  } else {
    j.Key("since").Null().Key("since_ms").Null();
  }
  // Why the running service polls besides watching; null when it does not
  // (or none runs).
  if (RecordedWriterRuns(s) && !s.db.polling.empty()) {
    j.Field("polling", s.db.polling);
  } else {
    j.Key("polling").Null();
  }
  j.Key("writer_roots").BeginArray();
  for (const std::string& r : s.db.writer_roots) j.String(r);
  j.EndArray();
  // `cco replay` keeps no clock: its commits carry time 0.
  j.Field("clock", !(s.db.last_commit_ms.has_value() && *s.db.last_commit_ms == 0));
  if (s.db.walk.has_value()) {
    const WalkStatus& w = *s.db.walk;
    j.Field("walk_files", w.files)
        .Field("walk_files_read", w.files_read)
        .Field("walk_bytes", w.bytes)
        .Field("walk_bytes_read", w.bytes_read)
        .Field("walk_done", w.done());
  }
  if (s.eta_s.has_value()) {
    j.Field("eta_s", *s.eta_s);
  } else {
    j.Key("eta_s").Null();
  }
  if (s.db.last_commit_ms.has_value() && *s.db.last_commit_ms == 0) {
    j.Key("last_commit").Null().Field("last_commit_ms", int64_t{0});
  } else if (s.db.last_commit_ms.has_value()) {
    j.Field("last_commit", IsoUtcMs(*s.db.last_commit_ms)).Field("last_commit_ms", *s.db.last_commit_ms);
  } else {
    j.Key("last_commit").Null().Key("last_commit_ms").Null();
  }
  if (s.db.heartbeat_ms.has_value()) {
    j.Field("heartbeat_ms", *s.db.heartbeat_ms);
  } else {
    j.Key("heartbeat_ms").Null();
  }
  j.Field("queue_depth", s.running ? s.db.queue_depth : 0)
      .Field("files", s.db.files)
      .Field("files_archived", s.db.files_archived)
      .Field("files_missing", s.files_missing)
      .Field("messages", s.db.messages)
      .Field("events", s.db.events)
      .Field("quarantined", s.db.quarantined)
      .Field("refused_chunks", s.db.refused_chunks);
  if (s.db.last_refusal_ms.has_value()) {
    j.Key("last_refusal").BeginObject().Field("reason", s.db.last_refusal).Field("at", IsoUtcMs(*s.db.last_refusal_ms))
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
  for (size_t i = 0; i < s.db.roots.size(); ++i) {
    const RootCounts& r = s.db.roots[i];
    j.BeginObject()
        .Field("root", r.root)
        .Field("files", r.files)
        .Field("archived", r.archived)
        .Field("pending_bytes", s.root_pending[i])
        .EndObject();
  }
  j.EndArray();
  j.Key("lagging").BeginArray();
  for (const LaggingFile& f : s.lagging) {
    j.BeginObject().Field("path", f.path).Field("pending_bytes", f.pending_bytes).EndObject();
  }
  j.EndArray();
  j.Key("unterminated").BeginArray();
  for (const UnterminatedFile& f : s.unterminated) {
    j.BeginObject().Field("path", f.path).Field("bytes", f.bytes).Field("waiting_s", f.waiting_s).EndObject();
  }
  j.EndArray();
  j.Key("push").BeginArray();
  for (const PushTarget& t : s.push) {
    j.BeginObject()
        .Field("server", t.target)
        .Field("machine", t.machine)
        .Field("usage_only", t.usage_only)
        .Field("rows_behind", t.rows_behind)
        .Field("rows_pushed", t.rows_pushed);
    j.Key("excluded_projects").BeginArray();
    for (const std::string& p : t.excluded_projects) j.String(p);
    j.EndArray();
    if (t.last_success_ms.has_value()) {
      j.Field("last_success", IsoUtcMs(*t.last_success_ms));
    } else {
      j.Key("last_success").Null();
    }
    if (t.last_error.empty()) {
      j.Key("last_error").Null();
    } else {
      j.Field("last_error", t.last_error);
    }
    j.EndObject();
  }
  j.EndArray();
  if (!s.db_exists) j.Field("note", "no database yet: `cco watch` or `cco rescan` creates it");
  j.EndObject();
  return j.str();
}

namespace {

void PrintText(const StatusView& s) {
  const std::string since =
      s.db.writer_started_ms.has_value() && *s.db.writer_started_ms > 0
          ? absl::StrCat(IsoUtcMs(*s.db.writer_started_ms), " (", Ago(*s.db.writer_started_ms), ")")
          : "an unknown time (no clock)";
  if (RecordedWriterRuns(s)) {
    std::printf("writer:      %s (pid %d) since %s\n", s.db.writer_command.c_str(), *s.pid, since.c_str());
  } else if (s.running) {
    std::printf("writer:      running%s\n",
                s.pid.has_value() && *s.pid > 0 ? absl::StrCat(" (pid ", *s.pid, ")").c_str() : "");
  } else if (!s.db.writer_command.empty()) {
    std::printf("writer:      not running (last: %s, pid %lld, started %s)\n", s.db.writer_command.c_str(),
                static_cast<long long>(s.db.writer_pid.value_or(0)), since.c_str());
  } else {
    std::printf("writer:      not running\n");
  }
  if (!s.db_exists) {
    std::printf("database:    %s does not exist yet (`cco watch` or `cco rescan` creates it)\n",
                s.db_path.c_str());
    return;
  }
  std::printf("database:    %s (%s, WAL %s)\n", s.db_path.c_str(), HumanBytes(static_cast<double>(s.db_bytes)).c_str(),
              HumanBytes(static_cast<double>(s.wal_bytes)).c_str());
  std::string last_commit = "never";
  if (s.db.last_commit_ms.has_value() && *s.db.last_commit_ms == 0) {
    last_commit = "not recorded (written by `cco replay`, which keeps no clock)";
  } else if (s.db.last_commit_ms.has_value()) {
    last_commit = absl::StrCat(IsoUtcMs(*s.db.last_commit_ms), " (", Ago(*s.db.last_commit_ms), ")");
  }
  std::printf("last commit: %s\n", last_commit.c_str());
  if (!s.db.writer_roots.empty()) std::printf("roots:       %s\n", absl::StrJoin(s.db.writer_roots, ", ").c_str());
  if (s.running) std::printf("queue:       %lld chunks\n", static_cast<long long>(s.db.queue_depth));
  if (RecordedWriterRuns(s) && !s.db.polling.empty()) std::printf("polling:     %s\n", s.db.polling.c_str());
  if (s.walk_open && s.running) {
    std::printf("backfill:    %s, ETA %s\n", WalkLine(*s.db.walk).c_str(),
                s.eta_s.has_value() ? Span(*s.eta_s).c_str() : "unknown (nothing read yet)");
  } else if (s.walk_open) {
    std::printf("interrupted: %s read by the last %s; `cco rescan` or `cco watch` reads the rest\n",
                WalkLine(*s.db.walk).c_str(),
                s.db.writer_command.empty() ? "writer" : s.db.writer_command.c_str());
  }
  std::printf("files:       %lld live, %lld archived (history kept)%s\n", static_cast<long long>(s.db.files),
              static_cast<long long>(s.db.files_archived),
              s.files_missing > 0 ? absl::StrCat(", ", s.files_missing, " gone since last check").c_str() : "");
  for (size_t i = 0; i < s.db.roots.size(); ++i) {
    const RootCounts& r = s.db.roots[i];
    std::printf("  %s: %lld files, %lld archived, %s pending\n", r.root.c_str(), static_cast<long long>(r.files),
                static_cast<long long>(r.archived), HumanBytes(static_cast<double>(s.root_pending[i])).c_str());
  }
  std::printf("rows:        %lld messages, %lld events, %lld quarantined lines\n",
              static_cast<long long>(s.db.messages), static_cast<long long>(s.db.events),
              static_cast<long long>(s.db.quarantined));
  if (s.db.refused_chunks > 0) {
    std::printf("refused:     %lld chunks re-read after the file moved under the reader (last %s: %s)\n",
                static_cast<long long>(s.db.refused_chunks),
                s.db.last_refusal_ms.has_value() ? IsoUtcMs(*s.db.last_refusal_ms).c_str() : "?",
                s.db.last_refusal.c_str());
  }
  for (const PushTarget& t : s.push) {
    std::printf("push:        %s as %s: %lld rows behind, last success %s%s%s%s\n", t.target.c_str(),
                t.machine.empty() ? "?" : t.machine.c_str(), static_cast<long long>(t.rows_behind),
                t.last_success_ms.has_value() ? IsoUtcMs(*t.last_success_ms).c_str() : "never",
                t.usage_only ? ", usage only" : "",
                t.excluded_projects.empty() ? "" : absl::StrCat(", excluding ", absl::StrJoin(t.excluded_projects, ", ")).c_str(),
                t.last_error.empty() ? "" : absl::StrCat("; last attempt failed: ", t.last_error).c_str());
  }
  if (!s.skipped.empty()) {
    std::printf("skipped:     %zu paths below the roots cannot be read\n", s.skipped.size());
    for (size_t i = 0; i < s.skipped.size() && i < kTopLagging; ++i) std::printf("  %s\n", s.skipped[i].c_str());
  }
  std::printf("pending:     %s in %s%s\n", HumanBytes(static_cast<double>(s.pending_bytes)).c_str(),
              Files(s.pending_files).c_str(), s.walk_open ? " not yet read" : "");
  for (const LaggingFile& f : s.lagging) {
    std::printf("  %10s  %s\n", HumanBytes(static_cast<double>(f.pending_bytes)).c_str(), f.path.c_str());
  }
  if (!s.unterminated.empty()) {
    std::printf("waiting:     %s whose last line has no newline yet (taken once it ends; a line cut off by a crash"
                " stays until Claude Code writes after it)\n",
                Files(static_cast<int64_t>(s.unterminated.size())).c_str());
    for (const UnterminatedFile& f : s.unterminated) {
      std::printf("  %s: %s unterminated for %s\n", f.path.c_str(), HumanBytes(static_cast<double>(f.bytes)).c_str(),
                  Span(f.waiting_s).c_str());
    }
  }
}

}  // namespace

absl::StatusOr<StatusView> CollectStatus(const std::string& db_path) {
  StatusView s;
  s.db_path = db_path;
  s.pid = LockHolder(s.db_path);
  s.running = s.pid.has_value();
  ReaderOptions options;
  options.accept_older_schema = true;  // a writer not upgraded yet still has a status
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(s.db_path, options);
  // A missing database is an answer, not an error: scripts and monitoring
  // may ask before the first run.
  s.db_exists = KindOf(reader.status()) != ErrorKind::kNoDatabase;
  if (s.db_exists) {
    if (!reader.ok()) return reader.status();
    absl::StatusOr<DatabaseStatus> db = (*reader)->Status();
    if (!db.ok()) return Prefixed(db.status(), absl::StrCat("cannot read ", s.db_path));
    s.db = std::move(*db);
    absl::StatusOr<std::vector<PushTarget>> push = ReadPushTargets((*reader)->db());
    if (!push.ok()) return Prefixed(push.status(), absl::StrCat("cannot read ", s.db_path));
    s.push = std::move(*push);
    MeasureFiles(&s);
    s.db_bytes = FileSize(s.db_path);
    s.wal_bytes = FileSize(s.db_path + "-wal");
  }
  return s;
}

absl::StatusOr<ServerStatusView> CollectServerStatus(PgReader& server, const std::string& url) {
  ServerStatusView s;
  s.server = RedactedUrl(url);
  ASSIGN_OR_RETURN(DatabaseStatus counts, server.Status());
  s.messages = counts.messages;
  s.events = counts.events;
  ASSIGN_OR_RETURN(s.machines, server.Machines());
  return s;
}

std::string ServerStatusJson(const ServerStatusView& s) {
  JsonWriter j;
  j.BeginObject()
      .Field("server", s.server)
      .Field("messages", s.messages)
      .Field("events", s.events)
      .Key("machines")
      .BeginArray();
  for (const PushedMachine& m : s.machines) {
    j.BeginObject()
        .Field("machine", m.machine)
        .Field("user", m.user)
        .Field("pushed_seq", m.pushed_seq)
        .Field("rows", m.rows)
        .Field("pushed_at", IsoUtcMs(m.pushed_at_ms))
        .EndObject();
  }
  j.EndArray().EndObject();
  return j.str();
}

namespace {

// `cco status --db postgresql://…`: what the team server holds, as far as
// the role may read: its messages and events, and each machine's mark.
int RunServerStatus(const std::string& url, bool json) {
  absl::StatusOr<std::unique_ptr<PgReader>> server = PgReader::Open(url);
  if (!server.ok()) return ReportFailure(server.status(), "cco status");
  absl::StatusOr<ServerStatusView> s = CollectServerStatus(**server, url);
  if (!s.ok()) return ReportFailure(s.status(), "cco status");
  if (json) {
    std::printf("%s\n", ServerStatusJson(*s).c_str());
    return kExitOk;
  }
  std::printf("team server %s, as far as this role may read\n", s->server.c_str());
  std::printf("  %s messages, %s events\n", Thousands(s->messages).c_str(), Thousands(s->events).c_str());
  if (s->machines.empty()) std::printf("  no machine has pushed yet\n");
  for (const PushedMachine& m : s->machines) {
    std::printf("  machine %s (user %s): up to change %lld, %s over time, last push %s\n", m.machine.c_str(),
                m.user.c_str(), static_cast<long long>(m.pushed_seq), Plural(m.rows, "row").c_str(),
                IsoUtcMs(m.pushed_at_ms).c_str());
  }
  return kExitOk;
}

}  // namespace

int RunStatus(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = ParseArgs(argv, FlagsFor("status"));
  if (!args.ok()) return ReportFailure(args.status());
  if (IsPostgresUrl(args->Get("db"))) return RunServerStatus(args->Get("db"), args->Has("json"));
  absl::StatusOr<std::string> db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return ReportFailure(db_path.status());
  absl::StatusOr<StatusView> s = CollectStatus(*db_path);
  if (!s.ok()) return ReportFailure(s.status());
  if (args->Has("json")) {
    std::printf("%s\n", StatusJson(*s).c_str());
  } else {
    PrintText(*s);
  }
  return kExitOk;
}

}  // namespace cco

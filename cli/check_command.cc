// `cco check`: integrity of the database file and of the derived data
// (rollups and conversation stats equal a from-scratch recompute).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "ingest/env.h"
#include "ingest/scanner.h"
#include "src/canonical.h"
#include "cli/writer_setup.h"

#include "src/check.h"
#include "src/maintenance.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "src/json_writer.h"
#include "src/daemon/paths.h"
#include "src/reader.h"
#include "src/sqlite.h"

namespace cco {
namespace {

// Whether `path` is there and holds `size` bytes.
bool SizeIs(const std::string& path, int64_t size) {
  absl::StatusOr<FileInfo> info = Env::Default().Stat(path);
  return info.ok() && info->size == size;
}

// `check --sources`: the database against a fresh replay of the transcripts
// it came from, for every session whose files all still exist and are read
// to their end (history whose source Claude Code deleted cannot be re-read).
struct SourcesReport {
  int64_t sessions_compared = 0;
  int64_t sessions_skipped = 0;  // a file gone (history kept) or not read to its end yet
  int64_t differences = 0;
  std::vector<std::string> examples;
};

absl::StatusOr<SourcesReport> CompareWithSources(Db& db) {
  SourcesReport out;
  std::map<std::string, bool> settled;  // session -> comparable
  std::set<std::string> roots;
  ASSIGN_OR_RETURN(std::vector<SessionSource> files, LoadSessionSources(db));
  for (const SessionSource& f : files) {
    const bool live = !f.archived && SizeIs(f.path, f.read_position);
    auto [it, inserted] = settled.try_emplace(f.session_id, true);
    it->second = it->second && live;
    if (!f.archived) roots.insert(f.root);
  }
  std::vector<std::string> sessions;
  for (const auto& [session, ok] : settled) {
    if (ok) sessions.push_back(session);
    ++(ok ? out.sessions_compared : out.sessions_skipped);
  }
  if (sessions.empty()) return out;

  std::string dir = absl::StrCat(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp",
                                 "/cco-check-XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) return ErrnoStatus(errno, "cannot create a temporary directory");
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } remove_dir{dir};
  const std::string fresh_path = dir + "/replay.db";
  {
    SqliteStoreOptions store_options;
    store_options.now_ms = [] { return int64_t{0}; };
    // Read as `cco replay` reads: a file's last line is taken without its
    // newline. Only sessions whose files were stored to their very end are
    // compared, so a stored file that ends without a newline had that line
    // taken (by `cco replay`); `rescan` and `watch` wait for the newline and
    // leave such a session unread to its end, skipped here.
    ScanOptions scan_options;
    scan_options.tail.take_unterminated_final_line = true;
    const std::vector<std::string> root_list(roots.begin(), roots.end());
    RETURN_IF_ERROR(ScanOnce(fresh_path, WriterStart{"check", root_list}, store_options, scan_options).status());
  }
  // A session whose files changed while they were replayed (a live
  // session) cannot be compared: skip it.
  std::vector<std::string> compared;
  ASSIGN_OR_RETURN(files, LoadSessionSources(db));
  for (const SessionSource& f : files) {
    if (!f.archived && !SizeIs(f.path, f.read_position)) settled[f.session_id] = false;
  }
  for (const std::string& session : sessions) {
    if (settled[session]) compared.push_back(session);
  }
  out.sessions_skipped += static_cast<int64_t>(sessions.size() - compared.size());
  out.sessions_compared = static_cast<int64_t>(compared.size());
  CanonicalOptions options;
  options.only_sessions = compared;
  options.digest_values = true;
  ASSIGN_OR_RETURN(Db fresh, OpenDbReadOnly(fresh_path));
  ASSIGN_OR_RETURN(std::vector<std::string> stored, CanonicalDump(db, options));
  ASSIGN_OR_RETURN(std::vector<std::string> replayed, CanonicalDump(fresh, options));
  std::vector<std::string> only_stored, only_replayed;
  std::set_difference(stored.begin(), stored.end(), replayed.begin(), replayed.end(),
                      std::back_inserter(only_stored));
  std::set_difference(replayed.begin(), replayed.end(), stored.begin(), stored.end(),
                      std::back_inserter(only_replayed));
  out.differences = static_cast<int64_t>(only_stored.size() + only_replayed.size());
  for (const std::string& line : only_stored) {
    if (out.examples.size() < 5) out.examples.push_back(absl::StrCat("stored only: ", line.substr(0, 200)));
  }
  for (const std::string& line : only_replayed) {
    if (out.examples.size() < 10) out.examples.push_back(absl::StrCat("replay only: ", line.substr(0, 200)));
  }
  return out;
}

// Every followed file's read_position is just after a '\n' of the file on
// disk (or 0). Skipped: archived rows, and files changed since (another
// inode, or shorter than the position: a new generation is due). `cco
// replay` takes a final line without '\n', so its rows (no clock:
// updated_ms 0) may also sit at the file's end.
absl::StatusOr<ReadPositionReport> CheckReadPositions(Db& db) {
  ReadPositionReport out;
  ASSIGN_OR_RETURN(std::vector<StoredFile> files, LoadStoredFiles(db));
  for (const StoredFile& f : files) {
    const std::string& path = f.path;
    const int64_t position = f.read_position;
    if (f.archived) {
      ++out.skipped;
      continue;
    }
    absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = Env::Default().Open(path);
    absl::StatusOr<FileInfo> info = file.ok() ? (*file)->Stat() : file.status();
    if (!info.ok() || info->dev != f.dev || info->inode != f.inode || info->size < position) {
      ++out.skipped;
      continue;
    }
    char before = '\n';
    bool read = position == 0;
    if (!read) {
      absl::StatusOr<size_t> n = (*file)->Read(position - 1, 1, &before);
      read = n.ok() && *n == 1;
    }
    const bool replay_end = f.updated_ms == 0 && position == f.size;
    ++out.checked;
    if (!read) {
      out.wrong.push_back(absl::StrCat(path, " at ", position, ": cannot read the byte before it"));
    } else if (before != '\n' && !replay_end) {
      out.wrong.push_back(absl::StrCat(path, " at ", position, ": not just after a newline"));
    }
  }
  return out;
}

}  // namespace

int RunCheck(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("check"));
  if (!args.ok()) {
    std::fprintf(stderr, "cco check: %s (see cco help check)\n",
                 std::string(args.status().message()).c_str());
    return kExitUsage;
  }
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) {
    std::fprintf(stderr, "cco check: %s\n", std::string(db_path.status().message()).c_str());
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(*db_path);
  if (!reader.ok()) return ReportFailure(reader.status(), "cco check");
  Db* db = &(*reader)->db();
  auto report = CheckDatabase(*db);
  if (!report.ok()) {
    std::fprintf(stderr, "cco check: %s\n", std::string(report.status().message()).c_str());
    return kExitFailure;
  }
  if (report->integrity_ok) {
    // FTS5's integrity-check is an INSERT: it needs a read-write
    // connection, and writes nothing (a running writer waits a moment).
    absl::StatusOr<Db> rw = Db::Open(*db_path, Db::Mode::kReadWrite);
    absl::StatusOr<std::vector<FtsCheckResult>> fts =
        rw.ok() ? CheckFullTextIndexes(*rw) : absl::StatusOr<std::vector<FtsCheckResult>>(rw.status());
    if (fts.ok()) {
      report->fts = std::move(*fts);
    } else {
      absl::StatusOr<std::vector<std::string>> tables = FtsTables(*db);
      for (const std::string& t : tables.ok() ? *tables : std::vector<std::string>{"messages_fts"}) {
        report->fts.push_back(FtsCheckResult{t, "", true});
      }
    }
    absl::StatusOr<ReadPositionReport> positions = CheckReadPositions(*db);
    if (!positions.ok()) {
      std::fprintf(stderr, "cco check: %s\n", std::string(positions.status().message()).c_str());
      return kExitFailure;
    }
    report->read_positions = std::move(*positions);
  }
  std::optional<SourcesReport> sources;
  if (args->Has("sources")) {
    absl::StatusOr<SourcesReport> compared = CompareWithSources(*db);
    if (!compared.ok()) {
      std::fprintf(stderr, "cco check: cannot compare with the sources: %s\n",
                   std::string(compared.status().message()).c_str());
      return kExitFailure;
    }
    sources = std::move(*compared);
  }
  const bool ok = report->ok() && (!sources.has_value() || sources->differences == 0);
  if (args->Has("json")) {
    JsonWriter j;
    j.BeginObject()
        .Field("ok", ok)
        .Field("integrity", report->integrity)
        .Field("rollup_mismatches", report->rollup_mismatches)
        .Field("session_mismatches", report->session_mismatches)
        .Field("conversation_mismatches", report->conversation_mismatches)
        .Field("block_start_mismatches", report->block_start_mismatches)
        .Field("foreign_key_violations", report->foreign_key_violations)
        .Field("accounting_mismatches", report->accounting_mismatches);
    j.Key("fts").BeginArray();
    for (const FtsCheckResult& f : report->fts) {
      j.BeginObject().Field("table", f.table).Field("ok", f.error.empty() && !f.skipped).Field("skipped", f.skipped);
      if (!f.error.empty()) j.Field("error", f.error);
      j.EndObject();
    }
    j.EndArray();
    j.Key("read_positions").BeginObject()
        .Field("checked", report->read_positions.checked)
        .Field("skipped", report->read_positions.skipped);
    j.Key("wrong").BeginArray();
    for (const std::string& w : report->read_positions.wrong) j.String(w);
    j.EndArray().EndObject();
    j.Key("examples").BeginArray();
    for (const std::string& e : report->examples) j.String(e);
    j.EndArray();
    if (sources.has_value()) {
      j.Key("sources").BeginObject()
          .Field("sessions_compared", sources->sessions_compared)
          .Field("sessions_skipped", sources->sessions_skipped)
          .Field("differences", sources->differences);
      j.Key("examples").BeginArray();
      for (const std::string& e : sources->examples) j.String(e);
      j.EndArray().EndObject();
    }
    j.EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    if (report->integrity_ok) {
      std::printf("integrity: ok\n");
    } else {
      std::printf("integrity: FAILED: the database file is damaged (%s); restore a backup (cco restore) or build a "
                  "new database from the transcripts (cco rescan --db NEW)\n",
                  report->integrity.c_str());
    }
    if (report->integrity_ok) {
      std::printf("foreign keys: %s (%lld violations)\n", report->foreign_key_violations == 0 ? "ok" : "FAILED",
                  static_cast<long long>(report->foreign_key_violations));
      std::printf("every line accounted for once (a row, a quarantined line, a duplicate or a forgotten line): %s\n",
                  report->accounting_mismatches == 0
                      ? "ok"
                      : absl::StrCat("FAILED (", report->accounting_mismatches, " files)").c_str());
      for (const FtsCheckResult& f : report->fts) {
        std::printf("full-text index %s: %s\n", f.table.c_str(),
                    f.skipped ? "not checked (no read-write access to the database)"
                              : f.error.empty() ? "ok" : ("FAILED: " + f.error).c_str());
      }
      const ReadPositionReport& rp = report->read_positions;
      std::printf("read positions: %s (%lld files checked, %lld skipped: archived or changed since)\n",
                  rp.wrong.empty() ? "ok, each just after a newline" : "FAILED", static_cast<long long>(rp.checked),
                  static_cast<long long>(rp.skipped));
      for (size_t i = 0; i < rp.wrong.size() && i < 10; ++i) std::printf("  %s\n", rp.wrong[i].c_str());
    }
    if (!report->integrity_ok) {
      std::printf("rollups: not compared (the file is damaged)\n");
    } else {
      std::printf("rollups equal a recompute: %s (%lld analytics, %lld session, %lld conversation mismatches)\n",
                report->rollup_mismatches + report->session_mismatches + report->conversation_mismatches == 0 ? "yes" : "NO", static_cast<long long>(report->rollup_mismatches),
                static_cast<long long>(report->session_mismatches),
                static_cast<long long>(report->conversation_mismatches));
      std::printf("billing block starts equal a recompute: %s (%lld differences)\n",
                  report->block_start_mismatches == 0 ? "yes" : "NO",
                  static_cast<long long>(report->block_start_mismatches));
    }
    for (const std::string& e : report->examples) std::printf("  %s\n", e.c_str());
    if (sources.has_value()) {
      std::printf("equal to a fresh replay of the sources: %s (%lld sessions compared, %lld skipped: a file gone"
                  " or not read to its end; %lld differences)\n",
                  sources->differences == 0 ? "yes" : "NO", static_cast<long long>(sources->sessions_compared),
                  static_cast<long long>(sources->sessions_skipped), static_cast<long long>(sources->differences));
      for (const std::string& e : sources->examples) std::printf("  %s\n", e.c_str());
    }
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace cco

#include "src/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/change_sequence.h"
#include "src/errors.h"
#include "src/migrate.h"
#include "src/status.h"

namespace cco {
namespace {

// Every SQLite database file starts with these 16 bytes (SQLite's file
// format, section 1.3.1).
constexpr char kSqliteHeader[] = "SQLite format 3";  // + its terminating NUL

absl::StatusOr<int64_t> Count(Db& db, std::string_view sql) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, db.QueryInt(sql));
  return v.value_or(0);
}

absl::StatusOr<bool> HasColumn(Db& db, std::string_view table, std::string_view column) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2"));
  stmt.Bind(1, table).Bind(2, column);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row && stmt.ColumnInt(0) > 0;
}

// Db::Open's errors in the user's terms (its own name SQL and SQLite's).
absl::Status OpenError(const absl::Status& opened) {
  if (absl::IsDataLoss(opened)) {
    return WithKind(absl::DataLossError("the file is damaged (SQLite reports it malformed); `cco check` says more"),
                    ErrorKind::kCorrupt);
  }
  if (absl::IsPermissionDenied(opened)) {
    return WithKind(absl::PermissionDeniedError("permission denied"), ErrorKind::kPermission);
  }
  return opened;
}

}  // namespace

absl::Status CheckDatabaseFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return WithKind(absl::NotFoundError("nothing there"), ErrorKind::kNoDatabase);
    return WithKind(ErrnoStatus(errno, "cannot look at it"), ErrorKind::kPermission);
  }
  if (S_ISDIR(st.st_mode)) {
    return WithKind(absl::InvalidArgumentError("it is a directory, not a database file"), ErrorKind::kIsDirectory);
  }
  if (!S_ISREG(st.st_mode)) {
    return WithKind(absl::InvalidArgumentError("not a cco database (not a regular file)"),
                    ErrorKind::kNotCcoDatabase);
  }
  if (st.st_size == 0) return absl::OkStatus();  // SQLite's empty database
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return WithKind(ErrnoStatus(errno, "cannot open it"), ErrorKind::kPermission);
  char header[sizeof(kSqliteHeader)] = {};
  const ssize_t n = ::pread(fd, header, sizeof(header), 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof(header)) || std::memcmp(header, kSqliteHeader, sizeof(header)) != 0) {
    return WithKind(absl::FailedPreconditionError("not a cco database (not an SQLite file)"),
                    ErrorKind::kNotCcoDatabase);
  }
  return absl::OkStatus();
}

absl::Status CheckDatabaseForWriter(const std::string& path) {
  absl::Status file = CheckDatabaseFile(path);
  if (KindOf(file) == ErrorKind::kNoDatabase) return absl::OkStatus();
  if (!file.ok()) return file;
  absl::StatusOr<Db> db = OpenDbReadOnly(path);
  if (!db.ok()) return absl::OkStatus();  // the writer's own open says why
  absl::StatusOr<std::optional<int64_t>> tables =
      db->QueryInt("SELECT count(*) FROM sqlite_master WHERE name != 'schema_migrations'");
  absl::StatusOr<std::optional<int64_t>> ours =
      db->QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'");
  if (tables.ok() && ours.ok() && tables->value_or(0) > 0 && ours->value_or(0) == 0) {
    return WithKind(absl::FailedPreconditionError("not a cco database (an SQLite file without cco's tables)"),
                    ErrorKind::kNotCcoDatabase);
  }
  return absl::OkStatus();
}

absl::StatusOr<Db> OpenDbReadOnly(const std::string& path) { return Db::Open(path, Db::Mode::kReadOnly); }

absl::StatusOr<std::unique_ptr<SqliteReader>> SqliteReader::Open(const std::string& path, ReaderOptions options) {
  if (absl::Status file = CheckDatabaseFile(path); !file.ok()) {
    if (KindOf(file) == ErrorKind::kNoDatabase) {
      return WithKind(absl::NotFoundError(absl::StrCat("no database at ", path,
                                                       " (`cco rescan` or `cco watch` creates it)")),
                      ErrorKind::kNoDatabase);
    }
    return Prefixed(file, absl::StrCat("cannot read ", path));
  }
  absl::StatusOr<Db> db = OpenDbReadOnly(path);
  Db::Mode mode = Db::Mode::kReadOnly;
  // A copy on read-only storage: a reader cannot create the WAL index beside
  // it, but nothing writes it either.
  if (absl::IsPermissionDenied(db.status())) {
    mode = Db::Mode::kImmutable;
    db = Db::Open(path, mode);
  }
  if (!db.ok()) return Prefixed(OpenError(db.status()), absl::StrCat("cannot read ", path));
  absl::Status schema = options.accept_older_schema ? CheckSchemaReadable(*db) : CheckSchema(*db);
  if (!schema.ok()) {
    if (KindOf(schema) == ErrorKind::kNotCcoDatabase) {
      return Prefixed(WithKind(absl::FailedPreconditionError("not a cco database (an SQLite file without cco's "
                                                             "tables)"),
                               ErrorKind::kNotCcoDatabase),
                      absl::StrCat("cannot read ", path));
    }
    if (KindOf(schema) == ErrorKind::kNone) return Prefixed(OpenError(schema), absl::StrCat("cannot read ", path));
    return schema;  // names the path and the migration
  }
  return std::unique_ptr<SqliteReader>(new SqliteReader(std::move(*db), mode));
}

absl::StatusOr<ProjectMatch> SqliteReader::MatchProjects(const std::string& query) {
  return cco::MatchProjects(db_, query);
}

// Each report from one snapshot: its statements see the same commit (and
// the connection takes the WAL's read lock once, not per statement).
absl::StatusOr<std::vector<UsageRow>> SqliteReader::PeriodReport(Period period, const ReportFilter& filter) {
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db_));
  return cco::PeriodReport(db_, period, filter);
}

absl::StatusOr<std::vector<UsageRow>> SqliteReader::SessionReport(const ReportFilter& filter) {
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db_));
  return cco::SessionReport(db_, filter);
}

absl::StatusOr<std::vector<UsageRow>> SqliteReader::ProjectReport(const ReportFilter& filter) {
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db_));
  return cco::ProjectReport(db_, filter);
}

absl::StatusOr<std::vector<std::string>> SqliteReader::ProjectNames() {
  ASSIGN_OR_RETURN(Stmt s, db_.Prepare("SELECT dir_name FROM projects ORDER BY dir_name"));
  std::vector<std::string> names;
  RETURN_IF_ERROR(s.ForEachRow([&names](const Stmt& r) {
    names.push_back(r.ColumnText(0));
    return true;
  }));
  return names;
}

absl::StatusOr<int64_t> Reader::MaxCompletedBlock(const BlocksQuery& query) {
  BlocksQuery all;
  all.now_ms = query.now_ms;
  all.session_ms = query.session_ms;
  all.users = query.users;
  all.machines = query.machines;
  ASSIGN_OR_RETURN(std::vector<BillingBlock> every, Blocks(all));
  return MaxCompletedBlockTokens(every);
}

absl::StatusOr<std::vector<std::string>> Reader::ProjectNames() {
  ReportFilter every;
  ASSIGN_OR_RETURN(std::vector<UsageRow> projects, ProjectReport(every));
  std::vector<std::string> names;
  for (const UsageRow& r : projects) names.push_back(r.key);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status SqliteReader::AddAgentBreakdown(const ReportFilter& filter, std::vector<UsageRow>* sessions) {
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db_));
  return cco::AddAgentBreakdown(db_, filter, sessions);
}

absl::StatusOr<std::vector<ToolRow>> SqliteReader::ToolReport(const ReportFilter& filter, ToolRow* total) {
  return cco::ToolReport(db_, filter, total);
}

absl::StatusOr<DatabaseStatus> SqliteReader::Status() {
  DatabaseStatus out;
  // Every figure from the same snapshot.
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db_));
  ASSIGN_OR_RETURN(out.messages, Count(db_, "SELECT count(*) FROM messages"));
  ASSIGN_OR_RETURN(out.events, Count(db_, "SELECT count(*) FROM events"));
  ASSIGN_OR_RETURN(out.quarantined, Count(db_, "SELECT count(*) FROM quarantine"));
  ASSIGN_OR_RETURN(out.last_commit_ms,
                   db_.QueryInt("SELECT max(coalesce(max(updated_ms), 0), coalesce(max(archived_ms), 0)) FROM files"
                                " HAVING count(*) > 0"));
  {
    ASSIGN_OR_RETURN(Stmt hb, db_.Prepare("SELECT heartbeat_ms, queue_depth FROM writer_state WHERE id = 1"));
    ASSIGN_OR_RETURN(bool row, hb.Step());
    if (row) {
      out.heartbeat_ms = hb.ColumnOptionalInt(0);
      out.queue_depth = hb.ColumnInt(1);
    }
  }
  ASSIGN_OR_RETURN(bool has_refusals, HasColumn(db_, "writer_state", "refused_chunks"));
  if (has_refusals) {  // a database not yet migrated to 0004 has none
    ASSIGN_OR_RETURN(Stmt rf, db_.Prepare("SELECT refused_chunks, last_refusal, last_refusal_ms FROM writer_state"
                                          " WHERE id = 1"));
    ASSIGN_OR_RETURN(bool row, rf.Step());
    if (row) {
      out.refused_chunks = rf.ColumnInt(0);
      out.last_refusal = rf.ColumnText(1);
      out.last_refusal_ms = rf.ColumnOptionalInt(2);
    }
  }
  ASSIGN_OR_RETURN(bool has_activity, HasColumn(db_, "writer_state", "command"));
  if (has_activity) {  // 0010: the writer records itself and its walk
    ASSIGN_OR_RETURN(Stmt w, db_.Prepare(
        "SELECT command, pid, started_ms, walk_started_ms, walk_updated_ms, walk_done_ms, walk_files,"
        " walk_files_read, walk_bytes, walk_bytes_read, walk_files IS NOT NULL FROM writer_state WHERE id = 1"));
    ASSIGN_OR_RETURN(bool row, w.Step());
    if (row) {
      out.writer_command = w.ColumnText(0);
      out.writer_pid = w.ColumnOptionalInt(1);
      out.writer_started_ms = w.ColumnOptionalInt(2);
      if (w.ColumnInt(10) != 0) {
        WalkStatus walk;
        walk.started_ms = w.ColumnOptionalInt(3);
        walk.updated_ms = w.ColumnOptionalInt(4);
        walk.done_ms = w.ColumnOptionalInt(5);
        walk.files = w.ColumnInt(6);
        walk.files_read = w.ColumnInt(7);
        walk.bytes = w.ColumnInt(8);
        walk.bytes_read = w.ColumnInt(9);
        out.walk = walk;
      }
    }
    ASSIGN_OR_RETURN(bool has_polling, HasColumn(db_, "writer_state", "polling"));
    if (has_polling) {  // 0017
      ASSIGN_OR_RETURN(Stmt p, db_.Prepare("SELECT polling FROM writer_state WHERE id = 1"));
      ASSIGN_OR_RETURN(bool prow, p.Step());
      if (prow) out.polling = p.ColumnText(0);
    }
    ASSIGN_OR_RETURN(Stmt roots, db_.Prepare("SELECT root FROM writer_roots ORDER BY root"));
    RETURN_IF_ERROR(roots.ForEachRow([&out](const Stmt& row) {
      out.writer_roots.push_back(row.ColumnText(0));
      return true;
    }));
  }
  ASSIGN_OR_RETURN(Stmt files, db_.Prepare("SELECT path, root, read_position, archived_ms IS NOT NULL FROM files"
                                           " ORDER BY root, path"));
  RETURN_IF_ERROR(files.ForEachRow([&out](const Stmt& row) {
    const std::string root = row.ColumnText(1);
    if (out.roots.empty() || out.roots.back().root != root) out.roots.push_back(RootCounts{root});
    RootCounts& r = out.roots.back();
    if (row.ColumnInt(3) != 0) {
      ++r.archived;
      ++out.files_archived;
      return true;
    }
    ++r.files;
    ++out.files;
    out.followed.push_back(FollowedFile{row.ColumnText(0), root, row.ColumnInt(2)});
    return true;
  }));
  return out;
}

absl::StatusOr<SearchResult> Reader::Search(const SearchRequest&) {
  return absl::UnimplementedError(absl::StrCat("search is not available on ", location()));
}

Db* SqliteReader::Second() {
  // Two connections on two threads need a thread-safe SQLite build.
  if (sqlite3_threadsafe() == 0) return nullptr;
  if (!second_.has_value()) {
    absl::StatusOr<Db> db = Db::Open(db_.path(), mode_);
    if (!db.ok()) return nullptr;  // searched whole, on one connection; tried again next time
    second_.emplace(std::move(*db));
  }
  // A transaction left open (a failed COMMIT) would pin an old snapshot.
  if (sqlite3_get_autocommit(second_->get()) == 0 && !second_->Exec("ROLLBACK").ok()) {
    second_.reset();
    return nullptr;
  }
  return &*second_;
}

absl::StatusOr<SearchResult> SqliteReader::Search(const SearchRequest& request) {
  // The count, the hits and their snippets from one snapshot: a commit in
  // between (a revision, a forget) cannot leave a hit without its text.
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db_));
  // A split scan's second connection reads a snapshot of its own, begun
  // after the first one's: used only when both hold the same index, else
  // the scan runs whole (a commit came in between).
  std::optional<ReadSnapshot> second_snapshot;
  auto second = [this, &second_snapshot]() -> Db* {
    Db* db = Second();
    if (db == nullptr) return nullptr;
    absl::StatusOr<ReadSnapshot> begun = ReadSnapshot::Begin(*db);
    if (!begun.ok()) return nullptr;
    second_snapshot.emplace(std::move(*begun));
    absl::StatusOr<std::string> mine = IndexVersion(db_), theirs = IndexVersion(*db);
    if (!mine.ok() || !theirs.ok() || *mine != *theirs) {
      second_snapshot.reset();
      return nullptr;
    }
    return db;
  };
  return SearchMessages(db_, request, second);
}

absl::StatusOr<int64_t> SqliteReader::ChangeSeq() { return CommittedChangeSeq(db_); }

absl::StatusOr<Conversation> SqliteReader::LoadConversation(const std::string& session_id,
                                                            const MessageWindow& window) {
  // Its place, counts and window from one snapshot: they cannot straddle a commit.
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db_));
  return cco::LoadConversation(db_, session_id, window);
}

}  // namespace cco

#include "src/push.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"
#include "src/change_sequence.h"
#include "src/errors.h"
#include "src/migrate.h"
#include "src/pg_schema.h"
#include "src/reader.h"
#include "src/report.h"
#include "src/status.h"
#include "src/text.h"

namespace cco {
namespace {

// How a column travels: an integer, text, searchable text, a raw line
// (bytea, byte-exact), or text that --usage-only keeps local. Every text
// goes as valid UTF-8 without NUL (ValidUtf8WithoutNul): PostgreSQL refuses
// anything else, and one refused row would stop every later push.
enum class Col { kInt, kText, kContent, kBytes, kPrivate };

struct Column {
  const char* name;
  Col type;
};

// One replicable table: its server columns (after machine, user_name) and
// the local SELECT giving, for change_seq in (?1, ?2], the row's local
// project id first and then those columns in order. Expressions that read
// private values (content, raw lines) are listed in `private_exprs`: with
// --usage-only they are replaced by NULL, so they are not even read.
struct Table {
  const char* name;
  const char* conflict;  // the server key after machine
  std::vector<Column> columns;
  const char* select;
  std::vector<const char*> private_exprs;
};

const std::vector<Table>& Tables() {
  using C = Col;
  static const std::vector<Table> kTables = {
      {"projects", "id",
       {{"id", C::kInt}, {"project", C::kText}, {"cwd", C::kText}, {"first_seen_ms", C::kInt}, {"change_seq", C::kInt}},
       "SELECT id, id, dir_name, cwd, first_seen_ms, change_seq FROM projects"
       " WHERE change_seq > ?1 AND change_seq <= ?2",
       {}},
      {"conversations", "id",
       {{"id", C::kInt}, {"project", C::kText}, {"session_id", C::kText}, {"project_id", C::kInt},
        {"title", C::kPrivate}, {"title_source", C::kText}, {"message_count", C::kInt}, {"tool_use_count", C::kInt},
        {"total_tokens", C::kInt}, {"started_ms", C::kInt}, {"ended_ms", C::kInt}, {"change_seq", C::kInt}},
       "SELECT c.project_id, c.id, coalesce(p.dir_name, ''), c.session_id, c.project_id, c.title, c.title_source,"
       " c.message_count, c.tool_use_count, c.total_tokens, c.started_ms, c.ended_ms, c.change_seq"
       " FROM conversations c LEFT JOIN projects p ON p.id = c.project_id"
       " WHERE c.change_seq > ?1 AND c.change_seq <= ?2",
       {}},
      {"messages", "id",
       {{"id", C::kInt}, {"project", C::kText}, {"conversation_id", C::kInt}, {"uuid", C::kText},
        {"parent_uuid", C::kText}, {"type", C::kText}, {"subtype", C::kText}, {"timestamp_ms", C::kInt},
        {"model", C::kText}, {"api_message_id", C::kText}, {"request_id", C::kText}, {"is_sidechain", C::kInt},
        {"is_meta", C::kInt}, {"agent_id", C::kText}, {"input_tokens", C::kInt}, {"output_tokens", C::kInt},
        {"cache_creation_tokens", C::kInt}, {"cache_read_tokens", C::kInt}, {"content", C::kContent},
        {"raw", C::kBytes}, {"stop_reason", C::kText}, {"revisions", C::kInt}, {"change_seq", C::kInt}},
       "SELECT f.project_id, m.id, coalesce(p.dir_name, ''), m.conversation_id, m.uuid, m.parent_uuid, m.type,"
       " m.subtype, m.timestamp_ms, m.model, m.api_message_id, m.request_id, m.is_sidechain, m.is_meta, m.agent_id,"
       " m.input_tokens, m.output_tokens, m.cache_creation_tokens, m.cache_read_tokens, cco_text(m.content),"
       " cco_raw(m.raw), m.stop_reason, m.revisions, m.change_seq"
       " FROM messages m JOIN files f ON f.id = m.file_id LEFT JOIN projects p ON p.id = f.project_id"
       " WHERE m.change_seq > ?1 AND m.change_seq <= ?2",
       {"cco_text(m.content)", "cco_raw(m.raw)"}},
      {"events", "id",
       {{"id", C::kInt}, {"project", C::kText}, {"conversation_id", C::kInt}, {"uuid", C::kText}, {"type", C::kText},
        {"subtype", C::kText}, {"timestamp_ms", C::kInt}, {"raw", C::kBytes}, {"revisions", C::kInt},
        {"change_seq", C::kInt}},
       "SELECT f.project_id, e.id, coalesce(p.dir_name, ''), e.conversation_id, e.uuid, e.type, e.subtype,"
       " e.timestamp_ms, cco_raw(e.raw), e.revisions, e.change_seq"
       " FROM events e JOIN files f ON f.id = e.file_id LEFT JOIN projects p ON p.id = f.project_id"
       " WHERE e.change_seq > ?1 AND e.change_seq <= ?2",
       {"cco_raw(e.raw)"}},
      {"tool_executions", "id",
       {{"id", C::kInt}, {"project", C::kText}, {"tool_use_id", C::kText}, {"conversation_id", C::kInt},
        {"project_id", C::kInt}, {"use_message_id", C::kInt}, {"result_message_id", C::kInt},
        {"tool_name", C::kText}, {"model", C::kText}, {"input", C::kPrivate}, {"status", C::kText},
        {"output", C::kPrivate}, {"started_ms", C::kInt}, {"completed_ms", C::kInt}, {"duration_ms", C::kInt},
        {"tool_duration_ms", C::kInt}, {"change_seq", C::kInt}},
       "SELECT t.project_id, t.id, coalesce(p.dir_name, ''), t.tool_use_id, t.conversation_id, t.project_id,"
       " t.use_message_id, t.result_message_id, t.tool_name, t.model, t.input, t.status, t.output, t.started_ms,"
       " t.completed_ms, t.duration_ms, t.tool_duration_ms, t.change_seq"
       " FROM tool_executions t LEFT JOIN projects p ON p.id = t.project_id"
       " WHERE t.change_seq > ?1 AND t.change_seq <= ?2",
       {}},
      // The agent of each winner, as the local agent breakdown reads it
      // (report.cc AddAgentBreakdown): the file of its line, or a progress
      // line's data.agentId; its type from that agent's sidecar.
      {"usage_winners", "dedup_key",
       {{"dedup_key", C::kText}, {"project", C::kText}, {"api_message_id", C::kText}, {"request_id", C::kText},
        {"source", C::kText}, {"source_id", C::kInt}, {"conversation_id", C::kInt}, {"project_id", C::kInt},
        {"report_session", C::kText}, {"agent_id", C::kText}, {"agent_type", C::kText}, {"timestamp_ms", C::kInt},
        {"model", C::kText}, {"input_tokens", C::kInt}, {"output_tokens", C::kInt},
        {"cache_creation_tokens", C::kInt}, {"cache_read_tokens", C::kInt}, {"cost_nanousd", C::kInt},
        {"priced", C::kInt}, {"change_seq", C::kInt}},
       "WITH a AS (SELECT w.dedup_key AS k, coalesce(f.agent_id, CASE WHEN w.source = 'event'"
       "   THEN json_extract(cco_raw(ev.raw), '$.data.agentId') END, '') AS agent_id"
       "   FROM usage_winners w LEFT JOIN messages m ON w.source = 'message' AND m.id = w.source_id"
       "   LEFT JOIN events ev ON w.source = 'event' AND ev.id = w.source_id"
       "   LEFT JOIN files f ON f.id = coalesce(m.file_id, ev.file_id)"
       "   WHERE w.change_seq > ?1 AND w.change_seq <= ?2)"
       " SELECT w.project_id, w.dedup_key, coalesce(p.dir_name, ''), w.api_message_id, w.request_id, w.source,"
       " w.source_id, w.conversation_id, w.project_id, w.report_session, a.agent_id,"
       " coalesce((SELECT max(f2.agent_type) FROM files f2 WHERE f2.report_session = w.report_session"
       "   AND f2.agent_id = a.agent_id), ''),"
       " w.timestamp_ms, w.model, w.input_tokens, w.output_tokens, w.cache_creation_tokens, w.cache_read_tokens,"
       " w.cost_nanousd, w.priced, w.change_seq"
       " FROM usage_winners w JOIN a ON a.k = w.dedup_key LEFT JOIN projects p ON p.id = w.project_id",
       {}},
  };
  return kTables;
}

std::string ColumnList(const Table& t) {
  std::vector<std::string> names = {"machine", "user_name"};
  for (const Column& c : t.columns) names.push_back(c.name);
  return absl::StrJoin(names, ", ");
}

// The batch_rows-th change_seq above `mark` over every replicable table and
// the tombstones (each read in index order, at most `rows` from each), or
// nullopt when fewer remain.
absl::StatusOr<std::optional<int64_t>> BatchBound(Db& db, int64_t mark, int64_t rows) {
  std::vector<std::string> parts;
  for (const Table& t : Tables()) {
    parts.push_back(absl::StrCat("SELECT * FROM (SELECT change_seq FROM ", t.name,
                                 " WHERE change_seq > ?1 ORDER BY change_seq LIMIT ?2)"));
  }
  parts.push_back("SELECT * FROM (SELECT change_seq FROM tombstones WHERE change_seq > ?1 ORDER BY change_seq LIMIT ?2)");
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrCat("SELECT change_seq FROM (", absl::StrJoin(parts, " UNION ALL "),
                                                      ") ORDER BY change_seq LIMIT 1 OFFSET ?2 - 1")));
  stmt.Bind(1, mark).Bind(2, rows);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::nullopt;
  return stmt.ColumnInt(0);
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

absl::StatusOr<std::unique_ptr<Pusher>> Pusher::Open(const std::string& db_path, PushOptions options) {
  if (absl::Status file = CheckDatabaseFile(db_path); !file.ok()) return Prefixed(file, db_path);
  ASSIGN_OR_RETURN(Db db, Db::Open(db_path, Db::Mode::kReadWrite));
  RETURN_IF_ERROR(CheckSchema(db));
  auto pusher = std::unique_ptr<Pusher>(new Pusher(std::move(db), std::move(options)));
  RETURN_IF_ERROR(pusher->LoadSettings());
  return pusher;
}

absl::StatusOr<int64_t> Pusher::LocalSeq() { return CommittedChangeSeq(db_); }

absl::Status Pusher::LoadSettings() {
  // The stored settings and what they still have to take back.
  ASSIGN_OR_RETURN(Stmt read, db_.Prepare("SELECT usage_only, excluded_projects, take_back_text, take_back_projects"
                                          " FROM push_targets WHERE target = ?1"));
  bool found = false, stored_usage_only = false;
  std::vector<std::string> excluded;
  pending_ = {};
  RETURN_IF_ERROR(read.Bind(1, RedactedUrl(options_.url)).ForEachRow([&](const Stmt& r) {
    found = true;
    stored_usage_only = r.ColumnInt(0) != 0;
    excluded = absl::StrSplit(r.ColumnText(1), '\n', absl::SkipEmpty());
    pending_.text = r.ColumnInt(2) != 0;
    pending_.projects = absl::StrSplit(r.ColumnText(3), '\n', absl::SkipEmpty());
    return false;
  }));
  // Widened now: recorded together with what it takes back. A target new
  // here may be a server this machine pushed to under another spelling of
  // its URL (or from a database that lost the row): take back as well (on
  // a server without this machine's rows that changes nothing).
  bool widened = false;
  if (options_.usage_only && !stored_usage_only) {
    pending_.text = true;
    widened = true;
  }
  for (const std::string& p : options_.exclude_projects) {
    if (std::find(excluded.begin(), excluded.end(), p) != excluded.end()) continue;
    excluded.push_back(p);
    if (std::find(pending_.projects.begin(), pending_.projects.end(), p) == pending_.projects.end()) {
      pending_.projects.push_back(p);
    }
    widened = true;
  }
  options_.usage_only = options_.usage_only || stored_usage_only;
  options_.exclude_projects = excluded;
  if (found && !widened) return absl::OkStatus();
  ASSIGN_OR_RETURN(Stmt write, db_.Prepare(
      "INSERT INTO push_targets (target, usage_only, excluded_projects, take_back_text, take_back_projects)"
      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (target) DO UPDATE SET usage_only = excluded.usage_only,"
      " excluded_projects = excluded.excluded_projects, take_back_text = excluded.take_back_text,"
      " take_back_projects = excluded.take_back_projects"));
  write.Bind(1, RedactedUrl(options_.url))
      .Bind(2, options_.usage_only ? 1 : 0)
      .Bind(3, absl::StrJoin(options_.exclude_projects, "\n"))
      .Bind(4, pending_.text ? 1 : 0)
      .Bind(5, absl::StrJoin(pending_.projects, "\n"));
  return write.Run();
}

absl::StatusOr<bool> Pusher::SettingsWidened() {
  ASSIGN_OR_RETURN(Stmt read, db_.Prepare("SELECT usage_only, excluded_projects FROM push_targets WHERE target = ?1"));
  bool widened = false;
  RETURN_IF_ERROR(read.Bind(1, RedactedUrl(options_.url)).ForEachRow([&](const Stmt& r) {
    if (r.ColumnInt(0) != 0 && !options_.usage_only) widened = true;
    for (const std::string& p : std::vector<std::string>(absl::StrSplit(r.ColumnText(1), '\n', absl::SkipEmpty()))) {
      if (std::find(options_.exclude_projects.begin(), options_.exclude_projects.end(), p) ==
          options_.exclude_projects.end()) {
        widened = true;
      }
    }
    return false;
  }));
  return widened;
}

absl::StatusOr<int64_t> Pusher::TakeBack(PgConn& pg, const std::string& machine) {
  // The newly excluded projects by their directory names, as batches send
  // them (a pattern matching nothing locally takes nothing back).
  std::vector<std::string> names;
  for (const std::string& p : pending_.projects) {
    ASSIGN_OR_RETURN(ProjectMatch match, MatchProjects(db_, p));
    for (int64_t id : match.ids) {
      ASSIGN_OR_RETURN(std::optional<std::string> name, ProjectDirName(db_, id));
      if (name.has_value()) names.push_back(ValidUtf8WithoutNul(*name));
    }
  }
  int64_t changed = 0;
  auto run = [&](const std::string& sql, const std::vector<std::optional<std::string>>& params) -> absl::Status {
    ASSIGN_OR_RETURN(PgResult r, pg.Query(sql, params));
    changed += r.affected();
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(pg.Exec("BEGIN"));
  absl::Status done = [&]() -> absl::Status {
    // After any batch of this machine in flight (which holds this row):
    // what it wrote is cleared too.
    RETURN_IF_ERROR(pg.Query("SELECT pushed_seq FROM push_marks WHERE machine = $1 FOR UPDATE", {machine}).status());
    for (const std::string& project : names) {
      for (const char* table : {"messages", "events", "tool_executions", "usage_winners", "conversations", "projects"}) {
        RETURN_IF_ERROR(run(absl::StrCat("DELETE FROM ", table, " WHERE machine = $1 AND project = $2"),
                            {machine, project}));
      }
    }
    if (pending_.text) {
      // What --usage-only never sends (the kPrivate and text columns).
      RETURN_IF_ERROR(run("UPDATE messages SET content = NULL, raw = NULL"
                          " WHERE machine = $1 AND (content IS NOT NULL OR raw IS NOT NULL)", {machine}));
      RETURN_IF_ERROR(run("UPDATE events SET raw = NULL WHERE machine = $1 AND raw IS NOT NULL", {machine}));
      RETURN_IF_ERROR(run("UPDATE conversations SET title = NULL WHERE machine = $1 AND title IS NOT NULL", {machine}));
      RETURN_IF_ERROR(run("UPDATE tool_executions SET input = NULL, output = NULL"
                          " WHERE machine = $1 AND (input IS NOT NULL OR output IS NOT NULL)", {machine}));
    }
    return pg.Exec("COMMIT");
  }();
  if (!done.ok()) {
    (void)pg.Exec("ROLLBACK");
    return done;
  }
  // Done: cleared unless another push widened further meanwhile (then the
  // next push takes back again, the new part included).
  ASSIGN_OR_RETURN(Stmt clear, db_.Prepare(
      "UPDATE push_targets SET take_back_text = 0, take_back_projects = ''"
      " WHERE target = ?1 AND take_back_text = ?2 AND take_back_projects = ?3"));
  RETURN_IF_ERROR(clear.Bind(1, RedactedUrl(options_.url))
                      .Bind(2, pending_.text ? 1 : 0)
                      .Bind(3, absl::StrJoin(pending_.projects, "\n"))
                      .Run());
  pending_ = {};
  return changed;
}

absl::Status Pusher::Record(const absl::Status& status, const PushResult& result) {
  const int64_t now = NowMs();
  ASSIGN_OR_RETURN(Stmt stmt, db_.Prepare(
      status.ok()
          ? "UPDATE push_targets SET machine = ?2, pushed_seq = ?3, rows_pushed = rows_pushed + ?4,"
            " last_attempt_ms = ?5, last_success_ms = ?5, last_error = NULL WHERE target = ?1"
          : "UPDATE push_targets SET last_attempt_ms = ?5, last_error = ?6 WHERE target = ?1"));
  stmt.Bind(1, RedactedUrl(options_.url)).Bind(5, now);
  if (status.ok()) {
    stmt.Bind(2, result.machine).Bind(3, result.pushed_seq).Bind(4, result.rows);
  } else {
    stmt.Bind(6, std::string(status.message()));
  }
  return stmt.Run();
}

absl::StatusOr<PushResult> Pusher::Push() {
  absl::StatusOr<PushResult> result = PushOnce();
  if (!result.ok()) {
    conn_.reset();  // a failed transaction or a lost server: start afresh
    if (absl::Status recorded = Record(result.status(), {}); !recorded.ok()) {
      spdlog::warn("push: could not record the failure locally: {}", recorded.message());
    }
  }
  return result;
}

absl::StatusOr<PushResult> Pusher::PushOnce() {
  PushResult result;
  if (!conn_.has_value()) {
    ASSIGN_OR_RETURN(PgConn conn, PgConn::Connect(options_.url));
    RETURN_IF_ERROR(CheckPgSchema(conn));
    conn_.emplace(std::move(conn));
    staged_ = false;
  }
  PgConn& pg = *conn_;
  // Which machine this role pushes for, and as which user: the server's
  // registry says (cco_machines), so a role cannot push as another.
  ASSIGN_OR_RETURN(PgResult mine, pg.Query("SELECT machine, user_name FROM cco_machines WHERE role_name = current_user"
                                           " ORDER BY machine"));
  std::vector<std::string> machines;
  for (int i = 0; i < mine.rows(); ++i) {
    machines.push_back(mine.Text(i, 0));
    if (mine.Text(i, 0) == options_.machine || (options_.machine.empty() && mine.rows() == 1)) {
      result.machine = mine.Text(i, 0);
      result.user = mine.Text(i, 1);
    }
  }
  if (result.machine.empty()) {
    if (machines.empty() || !options_.machine.empty()) {
      return absl::PermissionDeniedError(absl::StrCat(
          pg.where(), ": this role may not push ",
          options_.machine.empty() ? "for any machine" : absl::StrCat("as machine '", options_.machine, "'"),
          machines.empty() ? " (a team lead registers it in cco_machines: docs/team.md)"
                           : absl::StrCat(" (it pushes as: ", absl::StrJoin(machines, ", "), ")")));
    }
    return absl::InvalidArgumentError(absl::StrCat(pg.where(), ": this role pushes for several machines (",
                                                   absl::StrJoin(machines, ", "), "); choose one with --machine"));
  }
  // The settings as stored now (another push may have widened them since
  // this one started), and what they still have to take back, first.
  RETURN_IF_ERROR(LoadSettings());
  if (pending_.text || !pending_.projects.empty()) {
    ASSIGN_OR_RETURN(result.taken_back, TakeBack(pg, result.machine));
    spdlog::info("push: took back {} rows from {} (a privacy setting widened)", result.taken_back, pg.where());
  }
  ASSIGN_OR_RETURN(PgResult marked, pg.Query("SELECT pushed_seq FROM push_marks WHERE machine = $1", {result.machine}));
  int64_t mark = marked.rows() == 0 ? -1 : marked.Int(0, 0);
  result.pushed_seq = mark;

  while (true) {
    // One SQLite read transaction per batch: a consistent snapshot, and the
    // WAL is not held back for a whole initial push.
    std::vector<std::string> copies(Tables().size());
    std::vector<int64_t> counts(Tables().size(), 0);
    struct Tomb {
      int64_t seq;
      std::string kind, table, key;
    };
    std::vector<Tomb> tombs;
    int64_t bound = 0;
    {
      RETURN_IF_ERROR(db_.Exec("BEGIN"));
      absl::Status read = [&]() -> absl::Status {
        ASSIGN_OR_RETURN(const int64_t snapshot, CommittedChangeSeq(db_));
        if (mark > snapshot) {
          // The server holds more of this machine than this database ever
          // numbered: another (or an older, restored) database pushed as it.
          return absl::FailedPreconditionError(absl::StrCat(
              pg.where(), " holds machine '", result.machine, "' up to change ", mark, ", beyond this database's ",
              snapshot, ": another database pushed as this machine; push this one as another machine (--machine), "
              "or have a lead delete the machine's rows and mark (docs/team.md)"));
        }
        if (mark >= snapshot) {
          bound = mark;
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(std::optional<int64_t> b, BatchBound(db_, mark, options_.batch_rows));
        bound = std::min(b.value_or(snapshot), snapshot);
        absl::flat_hash_set<int64_t> excluded;
        for (const std::string& p : options_.exclude_projects) {
          ASSIGN_OR_RETURN(ProjectMatch match, MatchProjects(db_, p));
          excluded.insert(match.ids.begin(), match.ids.end());
        }
        for (size_t ti = 0; ti < Tables().size(); ++ti) {
          const Table& t = Tables()[ti];
          std::string sql = t.select;
          if (options_.usage_only) {
            for (const char* expr : t.private_exprs) sql = absl::StrReplaceAll(sql, {{expr, "NULL"}});
          }
          ASSIGN_OR_RETURN(Stmt stmt, db_.Prepare(sql));
          stmt.Bind(1, mark).Bind(2, bound);
          std::string& out = copies[ti];
          RETURN_IF_ERROR(stmt.ForEachRow([&](const Stmt& r) {
            if (!r.ColumnIsNull(0) && excluded.contains(r.ColumnInt(0))) return true;
            CopyText(&out, result.machine);
            CopyText(&out, result.user);
            for (size_t ci = 0; ci < t.columns.size(); ++ci) {
              const int col = static_cast<int>(ci) + 1;
              const Col type = t.columns[ci].type;
              if (r.ColumnIsNull(col) || (type == Col::kPrivate && options_.usage_only)) {
                CopyNull(&out);
              } else if (type == Col::kInt) {
                CopyInt(&out, r.ColumnInt(col));
              } else if (type == Col::kBytes) {
                CopyBytes(&out, r.ColumnView(col));
              } else {
                CopyText(&out, ValidUtf8WithoutNul(r.ColumnView(col)));
              }
            }
            EndRow(&out);
            ++counts[ti];
            return true;
          }));
        }
        ASSIGN_OR_RETURN(Stmt ts, db_.Prepare(
            "SELECT change_seq, kind, coalesce(table_name, ''), coalesce(key, '') FROM tombstones"
            " WHERE change_seq > ?1 AND change_seq <= ?2 ORDER BY change_seq"));
        ts.Bind(1, mark).Bind(2, bound);
        RETURN_IF_ERROR(ts.ForEachRow([&tombs](const Stmt& r) {
          // The key as the rows it names were sent (a project's name may
          // not be valid UTF-8).
          tombs.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), ValidUtf8WithoutNul(r.ColumnView(3))});
          return true;
        }));
        return absl::OkStatus();
      }();
      absl::Status ended = db_.Exec("COMMIT");
      RETURN_IF_ERROR(read);
      RETURN_IF_ERROR(ended);
    }
    if (bound <= mark) break;

    int64_t batch_rows = static_cast<int64_t>(tombs.size());
    for (int64_t n : counts) batch_rows += n;
    // The batch in one server transaction, with the new mark.
    bool widened = false;
    RETURN_IF_ERROR(pg.Exec("BEGIN"));
    absl::Status sent = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(PgResult held, pg.Query("SELECT pushed_seq FROM push_marks WHERE machine = $1 FOR UPDATE",
                                               {result.machine}));
      const int64_t server_mark = held.rows() == 0 ? -1 : held.Int(0, 0);
      if (server_mark != mark) {
        // Another push for this machine moved the mark meanwhile.
        return absl::AbortedError(absl::StrCat("mark moved to ", server_mark));
      }
      // Holding the mark: the settings this batch was read with are still
      // the stored ones (another push may have widened them and taken back
      // since; this batch must not bring back what it took).
      ASSIGN_OR_RETURN(widened, SettingsWidened());
      if (widened) return absl::AbortedError("the privacy settings widened meanwhile");
      if (!staged_) {
        for (const Table& t : Tables()) {
          std::vector<std::string> cols = {"machine", "user_name"};
          for (const Column& c : t.columns) cols.push_back(c.name);
          RETURN_IF_ERROR(pg.Exec(absl::StrCat("CREATE TEMP TABLE IF NOT EXISTS stage_", t.name,
                                               " ON COMMIT DELETE ROWS AS SELECT ", absl::StrJoin(cols, ", "),
                                               " FROM ", t.name, " WITH NO DATA")));
        }
      }
      for (const Tomb& tomb : tombs) {
        const std::string seq = absl::StrCat(tomb.seq);
        if (tomb.kind == "rederive") {
          const bool ours = std::any_of(Tables().begin(), Tables().end(),
                                        [&](const Table& t) { return tomb.table == t.name; });
          if (!ours) continue;
          RETURN_IF_ERROR(pg.Query(absl::StrCat("DELETE FROM ", tomb.table, " WHERE machine = $1 AND change_seq < $2"),
                                   {result.machine, seq})
                              .status());
        } else if (const absl::string_view kind = absl::StripSuffix(tomb.kind, "-lifted");
                   kind == "session" || kind == "project") {
          for (const char* table : {"messages", "events", "tool_executions", "usage_winners", "conversations"}) {
            const std::string where =
                kind == "project" ? "project = $3"
                : std::string_view(table) == "conversations"
                    ? "session_id = $3"
                    : "conversation_id IN (SELECT id FROM conversations WHERE machine = $1 AND session_id = $3)";
            RETURN_IF_ERROR(pg.Query(absl::StrCat("DELETE FROM ", table, " WHERE machine = $1 AND change_seq < $2 AND ",
                                                  where),
                                     {result.machine, seq, tomb.key})
                                .status());
          }
          if (kind == "project") {
            RETURN_IF_ERROR(pg.Query("DELETE FROM projects WHERE machine = $1 AND change_seq < $2 AND project = $3",
                                     {result.machine, seq, tomb.key})
                                .status());
          }
        } else {
          spdlog::warn("push: tombstone {} of unknown kind '{}' left on the server", tomb.seq, tomb.kind);
        }
      }
      for (size_t ti = 0; ti < Tables().size(); ++ti) {
        if (counts[ti] == 0) continue;
        const Table& t = Tables()[ti];
        const std::string cols = ColumnList(t);
        RETURN_IF_ERROR(pg.CopyIn(absl::StrCat("COPY stage_", t.name, " (", cols, ") FROM STDIN"), copies[ti]));
        std::vector<std::string> sets = {"user_name = EXCLUDED.user_name"};
        for (const Column& c : t.columns) {
          if (std::string_view(c.name) != t.conflict) sets.push_back(absl::StrCat(c.name, " = EXCLUDED.", c.name));
        }
        RETURN_IF_ERROR(pg.Exec(absl::StrCat("INSERT INTO ", t.name, " (", cols, ") SELECT ", cols, " FROM stage_",
                                             t.name, " ON CONFLICT (machine, ", t.conflict, ") DO UPDATE SET ",
                                             absl::StrJoin(sets, ", "))));
        result.rows += counts[ti];
      }
      result.rows += static_cast<int64_t>(tombs.size());
      RETURN_IF_ERROR(pg.Query("INSERT INTO push_marks (machine, user_name, pushed_seq, rows) VALUES ($1, $2, $3, $4)"
                               " ON CONFLICT (machine) DO UPDATE SET pushed_seq = EXCLUDED.pushed_seq,"
                               " rows = push_marks.rows + EXCLUDED.rows, pushed_at = now()",
                               {result.machine, result.user, absl::StrCat(bound), absl::StrCat(batch_rows)})
                          .status());
      if (options_.before_commit) options_.before_commit(result.batches + 1);
      return pg.Exec("COMMIT");
    }();
    if (!sent.ok()) {
      (void)pg.Exec("ROLLBACK");
      if (widened) {
        // Read again with the wider settings, after taking back.
        RETURN_IF_ERROR(LoadSettings());
        if (pending_.text || !pending_.projects.empty()) {
          ASSIGN_OR_RETURN(int64_t n, TakeBack(pg, result.machine));
          result.taken_back += n;
        }
        continue;
      }
      if (absl::IsAborted(sent)) {
        ASSIGN_OR_RETURN(PgResult again, pg.Query("SELECT pushed_seq FROM push_marks WHERE machine = $1",
                                                  {result.machine}));
        mark = again.rows() == 0 ? -1 : again.Int(0, 0);
        continue;
      }
      return sent;
    }
    staged_ = true;
    mark = bound;
    result.pushed_seq = mark;
    ++result.batches;
    PushResult batch = result;
    batch.rows = batch_rows;
    RETURN_IF_ERROR(Record(absl::OkStatus(), batch));
  }
  if (result.batches == 0) RETURN_IF_ERROR(Record(absl::OkStatus(), result));  // up to date: a success too
  return result;
}

absl::StatusOr<std::vector<PushTarget>> ReadPushTargets(Db& db) {
  std::vector<PushTarget> out;
  ASSIGN_OR_RETURN(std::optional<int64_t> has,
                   db.QueryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'push_targets'"));
  if (has.value_or(0) == 0) return out;  // a database older than push
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(
      "SELECT target, coalesce(machine, ''), usage_only, excluded_projects, pushed_seq, rows_pushed,"
      " last_attempt_ms, last_success_ms, coalesce(last_error, '') FROM push_targets ORDER BY target"));
  RETURN_IF_ERROR(stmt.ForEachRow([&out](const Stmt& r) {
    PushTarget t;
    t.target = r.ColumnText(0);
    t.machine = r.ColumnText(1);
    t.usage_only = r.ColumnInt(2) != 0;
    t.excluded_projects = absl::StrSplit(r.ColumnText(3), '\n', absl::SkipEmpty());
    t.pushed_seq = r.ColumnOptionalInt(4);
    t.rows_pushed = r.ColumnInt(5);
    t.last_attempt_ms = r.ColumnOptionalInt(6);
    t.last_success_ms = r.ColumnOptionalInt(7);
    t.last_error = r.ColumnText(8);
    out.push_back(std::move(t));
    return true;
  }));
  // Rows behind: every replicable row and tombstone above the mark
  // (excluded projects' rows included: they are what stays local).
  for (PushTarget& t : out) {
    std::vector<std::string> parts;
    for (const Table& table : Tables()) {
      parts.push_back(absl::StrCat("(SELECT count(*) FROM ", table.name, " WHERE change_seq > ?1)"));
    }
    parts.push_back("(SELECT count(*) FROM tombstones WHERE change_seq > ?1)");
    ASSIGN_OR_RETURN(Stmt behind, db.Prepare(absl::StrCat("SELECT ", absl::StrJoin(parts, " + "))));
    behind.Bind(1, t.pushed_seq.value_or(-1));
    ASSIGN_OR_RETURN(bool row, behind.Step());
    if (row) t.rows_behind = behind.ColumnInt(0);
  }
  return out;
}

}  // namespace cco

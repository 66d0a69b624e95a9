#include "src/check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "src/blocks.h"
#include "src/maintenance.h"
#include "src/status.h"
#include "src/tool_rollups.h"

namespace cco {
namespace {

// Floor to the 15-minute bucket, correct for negative times too.
#define BUCKET(col) "(" col " - (((" col ") % 900000) + 900000) % 900000)"

// Expected analytics rows, recomputed from the stored rows.
constexpr char kExpectedAnalytics[] =
    "SELECT " BUCKET("m.timestamp_ms") " AS b, f.project_id AS p,"
    "   CASE WHEN m.type = 'assistant' THEN coalesce(m.model, '') ELSE '' END AS m, 'messages:' || m.type AS k,"
    "   count(*) AS v FROM messages m JOIN files f ON f.id = m.file_id WHERE m.timestamp_ms IS NOT NULL"
    "   GROUP BY 1, 2, 3, 4"
    " UNION ALL SELECT " BUCKET("started_ms") ", project_id, coalesce(model, ''),"
    "   'tool_calls:' || tool_name || ':' || status, count(*) FROM tool_executions"
    "   WHERE use_message_id IS NOT NULL AND started_ms IS NOT NULL GROUP BY 1, 2, 3, 4"
    " UNION ALL SELECT " BUCKET("started_ms") ", project_id, coalesce(model, ''),"
    "   'tool_duration_ms:' || tool_name, sum(duration_ms) FROM tool_executions"
    "   WHERE use_message_id IS NOT NULL AND started_ms IS NOT NULL AND duration_ms IS NOT NULL"
    "   GROUP BY 1, 2, 3, 4"
    " UNION ALL SELECT " BUCKET("started_ms") ", project_id, coalesce(model, ''),"
    "   'tool_durations:' || tool_name, count(*) FROM tool_executions"
    "   WHERE use_message_id IS NOT NULL AND started_ms IS NOT NULL AND duration_ms IS NOT NULL"
    "   GROUP BY 1, 2, 3, 4";

// Token rollups minus their recompute from usage_winners, keyed by `key`
// (a bucket, an hour or a report session) and `project` (a column, or a
// constant for tables across projects); rows that differ anywhere.
std::string TokenMismatches(const char* table, const char* key, const char* winner_key,
                            const char* project = "project_id") {
  return absl::StrCat(
      "SELECT k, p, m, 'tokens', sum(i) || ' ' || sum(o) || ' ' || sum(cc) || ' ' || sum(cr) || ' ' || sum(c)"
      " || ' ' || sum(n) || ' ' || sum(u) FROM ("
      " SELECT ", winner_key, " AS k, ", project, " AS p, model AS m, sum(input_tokens) AS i,"
      "  sum(output_tokens) AS o, sum(cache_creation_tokens) AS cc, sum(cache_read_tokens) AS cr,"
      "  sum(cost_nanousd) AS c, count(*) AS n, sum(1 - priced) AS u FROM usage_winners GROUP BY 1, 2, 3"
      " UNION ALL SELECT ", key, ", ", project, ", model, -input_tokens, -output_tokens, -cache_creation_tokens,"
      "  -cache_read_tokens, -cost_nanousd, -api_calls, -unpriced_calls FROM ", table,
      ") GROUP BY k, p, m HAVING sum(i) != 0 OR sum(o) != 0 OR sum(cc) != 0 OR sum(cr) != 0 OR sum(c) != 0"
      " OR sum(n) != 0 OR sum(u) != 0");
}

// Conversation stats recomputed; one row per conversation whose stored
// stats differ.
constexpr char kConversationMismatches[] =
    "SELECT c.session_id, c.message_count, coalesce(m.n, 0), c.tool_use_count, coalesce(t.n, 0),"
    "  c.total_tokens, coalesce(w.n, 0), c.started_ms, m.first, c.ended_ms, m.last"
    " FROM conversations c"
    " LEFT JOIN (SELECT conversation_id, count(*) AS n, min(timestamp_ms) AS first,"
    "   max(timestamp_ms) AS last FROM messages GROUP BY 1) m ON m.conversation_id = c.id"
    " LEFT JOIN (SELECT conversation_id, count(*) AS n FROM tool_executions"
    "   WHERE use_message_id IS NOT NULL GROUP BY 1) t ON t.conversation_id = c.id"
    " LEFT JOIN (SELECT conversation_id, sum(input_tokens + output_tokens + cache_creation_tokens"
    "   + cache_read_tokens) AS n FROM usage_winners GROUP BY 1) w ON w.conversation_id = c.id"
    " WHERE c.message_count != coalesce(m.n, 0) OR c.tool_use_count != coalesce(t.n, 0)"
    "   OR c.total_tokens != coalesce(w.n, 0) OR c.started_ms IS NOT m.first OR c.ended_ms IS NOT m.last";

absl::StatusOr<int64_t> CountDifferences(Db& db, const std::string& sql, const char* what,
                                         std::vector<std::string>* examples) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
  int64_t n = 0;
  RETURN_IF_ERROR(stmt.ForEachRow([&](const Stmt& r) {
    if (examples->size() < 10) {
      examples->push_back(absl::StrCat(what, " ", r.ColumnText(0), " ", r.ColumnText(1), " ", r.ColumnText(2), " ",
                                       r.ColumnText(3), ": recomputed minus stored = ", r.ColumnText(4)));
    }
    ++n;
    return true;
  }));
  return n;
}

}  // namespace

absl::StatusOr<CheckReport> CheckDatabase(Db& db) {
  CheckReport report;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("PRAGMA integrity_check"));
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    report.integrity = row ? stmt.ColumnText(0) : "no answer";
    report.integrity_ok = report.integrity == "ok";
  }
  if (report.integrity_ok) {
    // Every stored line and text decodes (a damaged compressed value, or
    // one naming a missing dictionary, is an error of cco_raw()).
    absl::StatusOr<std::optional<int64_t>> decoded = db.QueryInt(
        "SELECT (SELECT count(*) FROM messages WHERE cco_raw(raw) IS NULL OR cco_text(content) IS NULL)"
        " + (SELECT count(*) FROM events WHERE cco_raw(raw) IS NULL)"
        " + (SELECT count(*) FROM quarantine WHERE cco_raw(raw) IS NULL)");
    if (!decoded.ok()) {
      report.integrity_ok = false;
      report.integrity = absl::StrCat("stored lines do not decode: ", decoded.status().message());
    }
  }
  if (!report.integrity_ok) return report;
  {
    ASSIGN_OR_RETURN(Stmt fk, db.Prepare("PRAGMA foreign_key_check"));
    RETURN_IF_ERROR(fk.ForEachRow([&report](const Stmt& r) {
      if (report.examples.size() < 10) {
        report.examples.push_back(absl::StrCat("foreign key: ", r.ColumnText(0), " row ", r.ColumnText(1),
                                               " points to a missing ", r.ColumnText(2), " row"));
      }
      ++report.foreign_key_violations;
      return true;
    }));
  }
  {
    // Exactly once: every non-blank line a file's current generation
    // consumed is one row, quarantined line, duplicate or forgotten line.
    ASSIGN_OR_RETURN(
        Stmt acc,
        db.Prepare("WITH r AS (SELECT file_id, generation, count(*) AS n FROM messages GROUP BY 1, 2"
                   " UNION ALL SELECT file_id, generation, count(*) FROM events GROUP BY 1, 2"
                   " UNION ALL SELECT file_id, generation, count(*) FROM quarantine GROUP BY 1, 2"
                   " UNION ALL SELECT file_id, generation, count(*) FROM duplicates GROUP BY 1, 2)"
                   " SELECT f.path, f.line_count, coalesce(sum(r.n), 0), f.forgotten_lines FROM files f"
                   " LEFT JOIN r ON r.file_id = f.id AND r.generation = f.generation GROUP BY f.id"
                   " HAVING f.line_count != coalesce(sum(r.n), 0) + f.forgotten_lines"));
    RETURN_IF_ERROR(acc.ForEachRow([&report](const Stmt& r) {
      if (report.examples.size() < 10) {
        report.examples.push_back(absl::StrCat("lines of ", r.ColumnText(0), ": ", r.ColumnText(1),
                                               " consumed, ", r.ColumnText(2), " stored or recorded + ",
                                               r.ColumnText(3), " forgotten"));
      }
      ++report.accounting_mismatches;
      return true;
    }));
  }
  ASSIGN_OR_RETURN(report.rollup_mismatches,
                   CountDifferences(db,
                                    absl::StrCat("SELECT b, p, m, k, sum(v) FROM (", kExpectedAnalytics,
                                                 " UNION ALL SELECT bucket_ms, project_id, model, metric, -value"
                                                 " FROM analytics) GROUP BY b, p, m, k HAVING sum(v) != 0"),
                                    "analytics", &report.examples));
  ASSIGN_OR_RETURN(int64_t token_mismatches,
                   CountDifferences(db, TokenMismatches("token_rollups", "bucket_ms", BUCKET("timestamp_ms")),
                                    "token_rollups", &report.examples));
  report.rollup_mismatches += token_mismatches;
  ASSIGN_OR_RETURN(int64_t hourly_mismatches,
                   CountDifferences(db,
                                    TokenMismatches("token_rollups_hourly", "hour_ms",
                                                    "(timestamp_ms - ((timestamp_ms % 3600000) + 3600000) % 3600000)",
                                                    "0"),
                                    "token_rollups_hourly", &report.examples));
  report.rollup_mismatches += hourly_mismatches;
  ASSIGN_OR_RETURN(int64_t tool_mismatches,
                   CountDifferences(db,
                                    absl::StrCat(
                                        "SELECT bucket_ms, tool_name, project_id, duration_bin, sum(calls) || ' ' ||"
                                        " sum(errors) || ' ' || sum(rejected) || ' ' || sum(interrupted) || ' ' ||"
                                        " sum(pending) || ' ' || sum(duration_sum_ms) FROM (",
                                        kExpectedToolRollups,
                                        " UNION ALL SELECT bucket_ms, tool_name, project_id, duration_bin, -calls,"
                                        " -errors, -rejected, -interrupted, -pending, -duration_sum_ms"
                                        " FROM tool_rollups) GROUP BY 1, 2, 3, 4 HAVING sum(calls) != 0"
                                        " OR sum(errors) != 0 OR sum(rejected) != 0 OR sum(interrupted) != 0"
                                        " OR sum(pending) != 0 OR sum(duration_sum_ms) != 0"
                                        // A row whose counts fell to 0 is deleted (0027).
                                        " UNION ALL SELECT bucket_ms, tool_name, project_id, duration_bin, 'a row at 0'"
                                        " FROM tool_rollups WHERE calls = 0 AND errors = 0 AND rejected = 0"
                                        " AND interrupted = 0 AND pending = 0 AND duration_sum_ms = 0"),
                                    "tool_rollups", &report.examples));
  report.rollup_mismatches += tool_mismatches;
  ASSIGN_OR_RETURN(int64_t daily_mismatches,
                   CountDifferences(db,
                                    absl::StrCat(kToolRollupsDailyMismatches,
                                                 " UNION ALL SELECT day_ms, tool_name, project_id, 'a row at 0', 0"
                                                 " FROM tool_rollups_daily WHERE calls = 0 AND errors = 0"
                                                 " AND rejected = 0 AND interrupted = 0 AND pending = 0"
                                                 " AND duration_sum_ms = 0"),
                                    "tool_rollups_daily", &report.examples));
  report.rollup_mismatches += daily_mismatches;
  ASSIGN_OR_RETURN(report.session_mismatches,
                   CountDifferences(db, TokenMismatches("session_token_rollups", "report_session", "report_session"),
                                    "session_token_rollups", &report.examples));
  ASSIGN_OR_RETURN(Stmt conv, db.Prepare(kConversationMismatches));
  RETURN_IF_ERROR(conv.ForEachRow([&report](const Stmt& r) {
    if (report.examples.size() < 20) {
      report.examples.push_back(absl::StrCat(
          "conversation ", r.ColumnText(0), ": messages ", r.ColumnText(1), " vs ", r.ColumnText(2), ", tool uses ",
          r.ColumnText(3), " vs ", r.ColumnText(4), ", tokens ", r.ColumnText(5), " vs ", r.ColumnText(6),
          ", start ", r.ColumnText(7), " vs ", r.ColumnText(8), ", end ", r.ColumnText(9), " vs ",
          r.ColumnText(10)));
    }
    ++report.conversation_mismatches;
    return true;
  }));
  ASSIGN_OR_RETURN(report.block_start_mismatches, BlockStartMismatches(db, &report.examples));
  return report;
}

absl::StatusOr<std::vector<FtsCheckResult>> CheckFullTextIndexes(Db& rw) {
  ASSIGN_OR_RETURN(std::vector<std::string> tables, FtsTables(rw));
  std::vector<FtsCheckResult> out;
  for (const std::string& table : tables) {
    FtsCheckResult r;
    r.table = table;
    if (absl::Status s = FtsIntegrityCheck(rw, table); !s.ok()) r.error = std::string(s.message());
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<StoredFile>> LoadStoredFiles(Db& db) {
  std::vector<StoredFile> out;
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT path, read_position, archived_ms IS NOT NULL, dev, inode, size,"
                                      " updated_ms FROM files ORDER BY path"));
  RETURN_IF_ERROR(s.ForEachRow([&out](const Stmt& r) {
    out.push_back(StoredFile{r.ColumnText(0), r.ColumnInt(1), r.ColumnInt(2) != 0, r.ColumnInt(3), r.ColumnInt(4),
                             r.ColumnInt(5), r.ColumnInt(6)});
    return true;
  }));
  return out;
}

absl::StatusOr<std::vector<SessionSource>> LoadSessionSources(Db& db) {
  std::vector<SessionSource> out;
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(
      "SELECT c.session_id, f.path, f.root, f.read_position, f.archived_ms IS NOT NULL FROM files f"
      " JOIN (SELECT DISTINCT conversation_id, file_id FROM messages"
      "       UNION SELECT DISTINCT conversation_id, file_id FROM events) r ON r.file_id = f.id"
      " JOIN conversations c ON c.id = r.conversation_id"));
  RETURN_IF_ERROR(s.ForEachRow([&out](const Stmt& r) {
    out.push_back(SessionSource{r.ColumnText(0), r.ColumnText(1), r.ColumnText(2), r.ColumnInt(3), r.ColumnInt(4) != 0});
    return true;
  }));
  return out;
}

}  // namespace cco

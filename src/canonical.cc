#include "src/canonical.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

struct Section {
  const char* name;
  bool per_session;  // first column is a session id
  const char* sql;
};

// A uuid-less line's key: its stream (name under the root), bytes and
// occurrence.
#define LINE_KEY(t) \
  "coalesce(" t ".uuid, (SELECT name FROM streams WHERE id = " t ".stream_id) || ':' || " t ".line_hash || ':' || " t \
  ".occurrence)"

constexpr Section kSections[] = {
    {"conversation", true,
     "SELECT c.session_id, p.dir_name, c.message_count, c.tool_use_count, c.total_tokens, c.started_ms,"
     " c.ended_ms, c.title FROM conversations c JOIN projects p ON p.id = c.project_id"},
    {"message", true,
     "SELECT c.session_id, " LINE_KEY("m") ", m.type, m.subtype, m.timestamp_ms, m.model, m.stop_reason,"
     " m.input_tokens, m.output_tokens, m.cache_creation_tokens, m.cache_read_tokens, m.is_sidechain,"
     " cco_text(m.content), cco_raw(m.raw) FROM messages m JOIN conversations c ON c.id = m.conversation_id"},
    {"event", true,
     "SELECT c.session_id, " LINE_KEY("e") ", e.type, e.subtype, e.timestamp_ms, cco_raw(e.raw)"
     " FROM events e JOIN conversations c ON c.id = e.conversation_id"},
    {"usage", true,
     "SELECT c.session_id, w.dedup_key, w.api_message_id, w.request_id, w.source, w.report_session,"
     " w.is_sidechain, w.has_speed, w.timestamp_ms, w.model, w.input_tokens, w.output_tokens,"
     " w.cache_creation_tokens, w.cache_read_tokens, w.cost_nanousd, w.priced"
     " FROM usage_winners w JOIN conversations c ON c.id = w.conversation_id"},
    {"tool", true,
     "SELECT c.session_id, t.tool_use_id, t.tool_name, t.model, t.status, t.input, t.output, t.started_ms,"
     " t.completed_ms, t.duration_ms, um.uuid, rm.uuid FROM tool_executions t"
     " LEFT JOIN conversations c ON c.id = t.conversation_id"
     " LEFT JOIN messages um ON um.id = t.use_message_id LEFT JOIN messages rm ON rm.id = t.result_message_id"},
    {"quarantine", false,
     "SELECT (SELECT name FROM streams WHERE id = q.stream_id), q.line_hash, q.occurrence, q.reason, q.length,"
     " hex(cco_raw(q.raw)) FROM quarantine q"},
    {"token_rollup", false,
     "SELECT r.bucket_ms, p.dir_name, r.model, r.input_tokens, r.output_tokens, r.cache_creation_tokens,"
     " r.cache_read_tokens, r.cost_nanousd, r.api_calls, r.unpriced_calls FROM token_rollups r"
     " JOIN projects p ON p.id = r.project_id WHERE r.input_tokens OR r.output_tokens OR r.cache_creation_tokens"
     " OR r.cache_read_tokens OR r.cost_nanousd OR r.api_calls OR r.unpriced_calls"},
    {"token_rollup_hourly", false,
     "SELECT hour_ms, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_nanousd,"
     " api_calls, unpriced_calls FROM token_rollups_hourly WHERE input_tokens OR output_tokens"
     " OR cache_creation_tokens OR cache_read_tokens OR cost_nanousd OR api_calls OR unpriced_calls"},
    {"session_rollup", false,
     "SELECT r.report_session, p.dir_name, r.model, r.input_tokens, r.output_tokens, r.cache_creation_tokens,"
     " r.cache_read_tokens, r.cost_nanousd, r.api_calls, r.unpriced_calls FROM session_token_rollups r"
     " JOIN projects p ON p.id = r.project_id WHERE r.input_tokens OR r.output_tokens OR r.cache_creation_tokens"
     " OR r.cache_read_tokens OR r.cost_nanousd OR r.api_calls OR r.unpriced_calls"},
    {"analytics", false,
     "SELECT a.bucket_ms, p.dir_name, a.model, a.metric, a.value FROM analytics a"
     " JOIN projects p ON p.id = a.project_id WHERE a.value != 0"},
    {"tool_rollup", false,
     "SELECT r.bucket_ms, r.tool_name, p.dir_name, r.duration_bin, r.calls, r.errors, r.rejected, r.interrupted,"
     " r.pending, r.duration_sum_ms FROM tool_rollups r JOIN projects p ON p.id = r.project_id"
     " WHERE r.calls OR r.errors OR r.rejected OR r.interrupted OR r.pending OR r.duration_sum_ms"},
    // Its bins in bin order (the JSON object's order is the order they came in).
    {"tool_rollup_daily", false,
     "SELECT r.day_ms, r.tool_name, p.dir_name, r.calls, r.errors, r.rejected, r.interrupted, r.pending,"
     " r.duration_sum_ms, (SELECT group_concat(key || ':' || value, ' ') FROM (SELECT key, value"
     " FROM json_each(r.durations) ORDER BY CAST(key AS INTEGER))) FROM tool_rollups_daily r"
     " JOIN projects p ON p.id = r.project_id"},
    // Derived at commit from the winners (blocks.h): equal to a fresh
    // replay's whatever order the lines came in.
    {"billing_block_start", false, "SELECT first_entry_ms FROM billing_block_starts"},
};

#undef LINE_KEY

// Words whose full-text hits are compared: common in transcripts, code and
// prose alike.
constexpr const char* kSearchWords[] = {"the", "error", "file", "test", "function", "src", "return", "build"};

std::string Cell(const Stmt& s, int col) {
  if (s.ColumnIsNull(col)) return "∅";
  return s.ColumnText(col);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CanonicalDump(Db& db, const CanonicalOptions& options) {
  const absl::flat_hash_set<std::string> sessions(options.only_sessions.begin(), options.only_sessions.end());
  std::vector<std::string> out;
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db));  // while a writer goes on
  for (const Section& section : kSections) {
    if (!sessions.empty() && !section.per_session) continue;
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(section.sql));
    RETURN_IF_ERROR(stmt.ForEachRow([&](const Stmt& s) {
      if (!sessions.empty() && !sessions.contains(Cell(s, 0))) return true;
      std::vector<std::string> cells;
      for (int i = 0; i < s.ColumnCount(); ++i) cells.push_back(Cell(s, i));
      if (options.digest_values && cells.size() > 2) {
        const std::string values = absl::StrJoin(cells.begin() + 2, cells.end(), "|");
        cells.resize(2);
        cells.push_back(absl::StrCat(absl::Hex(StableHash(values), absl::kZeroPad16)));
      }
      out.push_back(absl::StrCat(section.name, "|", absl::StrJoin(cells, "|")));
      return true;
    }));
  }
  for (const char* word : kSearchWords) {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(
        "SELECT c.session_id, coalesce(m.uuid, m.line_hash) FROM messages_fts f"
        " JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.id = m.conversation_id"
        " WHERE messages_fts MATCH ?1"));
    stmt.Bind(1, absl::StrCat("\"", word, "\""));
    RETURN_IF_ERROR(stmt.ForEachRow([&](const Stmt& s) {
      if (!sessions.empty() && !sessions.contains(Cell(s, 0))) return true;
      out.push_back(absl::StrCat("search|", word, "|", Cell(s, 0), "|", Cell(s, 1)));
      return true;
    }));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cco

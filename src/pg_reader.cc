#include "src/pg_reader.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_join.h"
#include "src/pg_schema.h"
#include "src/search.h"
#include "src/status.h"

namespace cco {
namespace {

// The seven sums of the usage reports over usage_winners or token_rollups.
constexpr char kWinnerSums[] =
    "sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_nanousd),"
    " count(*), count(*) FILTER (WHERE priced = 0)";
constexpr char kRollupSums[] =
    "sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_nanousd),"
    " sum(api_calls), sum(unpriced_calls)";

void AddSums(TokenTotals& t, const PgResult& r, int row, int col) {
  t.input += r.Int(row, col);
  t.output += r.Int(row, col + 1);
  t.cache_creation += r.Int(row, col + 2);
  t.cache_read += r.Int(row, col + 3);
  t.cost_nanousd += r.Int(row, col + 4);
  t.api_calls += r.Int(row, col + 5);
  t.unpriced_calls += r.Int(row, col + 6);
}

// A PostgreSQL array literal of `values` ({"a","b"}).
std::string ArrayLiteral(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& v : values) {
    std::string q = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    quoted.push_back(q + "\"");
  }
  return absl::StrCat("{", absl::StrJoin(quoted, ","), "}");
}

// The filter's conditions on a table with machine, user_name and project
// columns, as " AND …" with their parameters appended to `params`.
std::string FilterClause(const ReportFilter& f, std::vector<std::optional<std::string>>* params) {
  std::string sql;
  auto add = [&](const char* column, const std::vector<std::string>& values) {
    params->push_back(ArrayLiteral(values));
    absl::StrAppend(&sql, " AND ", column, " = ANY($", params->size(), "::text[])");
  };
  if (!f.users.empty()) add("user_name", f.users);
  if (!f.machines.empty()) add("machine", f.machines);
  if (f.restrict_projects) {
    std::vector<std::string> ids;
    for (int64_t id : f.project_ids) ids.push_back(absl::StrCat(id));
    params->push_back(absl::StrCat("{", absl::StrJoin(ids, ","), "}"));
    absl::StrAppend(&sql, " AND project IN (SELECT project FROM projects WHERE gid = ANY($", params->size(),
                    "::bigint[]))");
  }
  return sql;
}

// Parameters $1, $2: the filter's bounds.
std::vector<std::optional<std::string>> BoundParams(const ReportFilter& f) {
  auto [start, end] = ReportBounds(f);
  return {absl::StrCat(start), absl::StrCat(end)};
}

bool ByCost(const UsageRow& a, const UsageRow& b) {
  if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
  return a.key < b.key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgReader>> PgReader::Open(const std::string& url) {
  ASSIGN_OR_RETURN(PgConn conn, PgConn::Connect(url));
  RETURN_IF_ERROR(CheckPgSchema(conn));
  return std::unique_ptr<PgReader>(new PgReader(std::move(conn)));
}

absl::StatusOr<ProjectMatch> PgReader::MatchProjects(const std::string& query) {
  std::string q = query;
  while (q.size() > 1 && q.back() == '/') q.pop_back();
  // Claude Code's directory name for a working directory (report.h).
  std::string encoded = q;
  for (char& c : encoded) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  }
  ASSIGN_OR_RETURN(PgResult r, conn_.Query("SELECT gid FROM projects WHERE project = $1 OR cwd = $1 OR project = $2"
                                           " ORDER BY gid",
                                           {q, encoded}));
  ProjectMatch match;
  for (int i = 0; i < r.rows(); ++i) match.ids.push_back(r.Int(i, 0));
  if (match.ids.empty()) {
    ASSIGN_OR_RETURN(PgResult names, conn_.Query(
        "SELECT DISTINCT coalesce(cwd || ' (' || project || ')', project) FROM projects ORDER BY 1 LIMIT 3"));
    for (int i = 0; i < names.rows(); ++i) match.closest.push_back(names.Text(i, 0));
  }
  return match;
}

absl::StatusOr<std::vector<UsageRow>> PgReader::PeriodReport(Period period, const ReportFilter& filter) {
  std::vector<std::optional<std::string>> params = BoundParams(filter);
  const std::string where = FilterClause(filter, &params);
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(absl::StrCat("SELECT bucket_ms, model, ", kRollupSums,
                                                        " FROM token_rollups WHERE bucket_ms >= $1 AND bucket_ms < $2",
                                                        where, " GROUP BY bucket_ms, model ORDER BY bucket_ms"),
                                           params));
  UsageGroups grouped;
  for (int i = 0; i < r.rows(); ++i) {
    AddSums(grouped[ReportPeriodKey(r.Int(i, 0), period, filter)][r.Text(i, 1)], r, i, 2);
  }
  return FinishUsageRows(grouped);
}

absl::StatusOr<std::vector<UsageRow>> PgReader::SessionReport(const ReportFilter& filter) {
  std::vector<std::optional<std::string>> params;
  const std::string where = FilterClause(filter, &params);
  // Every winner of a session (its span is not cut by the range, as on
  // SQLite: a session is in range when its last activity is).
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(
      absl::StrCat("SELECT report_session, project, model, ", kWinnerSums, ", min(timestamp_ms), max(timestamp_ms)"
                   " FROM usage_winners WHERE true", where, " GROUP BY report_session, project, model"),
      params));
  UsageGroups grouped;
  absl::flat_hash_map<std::string, std::string> project_of;
  absl::flat_hash_map<std::string, std::pair<int64_t, int64_t>> span;
  for (int i = 0; i < r.rows(); ++i) {
    const std::string key = r.Text(i, 0);
    project_of[key] = r.Text(i, 1);
    AddSums(grouped[key][r.Text(i, 2)], r, i, 3);
    auto [it, added] = span.try_emplace(key, r.Int(i, 10), r.Int(i, 11));
    if (!added) it->second = {std::min(it->second.first, r.Int(i, 10)), std::max(it->second.second, r.Int(i, 11))};
  }
  ASSIGN_OR_RETURN(PgResult titles, conn_.Query(
      "SELECT session_id, max(title) FROM conversations WHERE title IS NOT NULL GROUP BY session_id"));
  absl::flat_hash_map<std::string, std::string> title_of;
  for (int i = 0; i < titles.rows(); ++i) title_of[titles.Text(i, 0)] = titles.Text(i, 1);
  ASSIGN_OR_RETURN(PgResult cwds, conn_.Query("SELECT project, max(cwd) FROM projects GROUP BY project"));
  absl::flat_hash_map<std::string, std::string> cwd_of;
  for (int i = 0; i < cwds.rows(); ++i) cwd_of[cwds.Text(i, 0)] = cwds.Text(i, 1);

  auto [start, end] = ReportBounds(filter);
  std::vector<UsageRow> out;
  for (UsageRow& row : FinishUsageRows(grouped)) {
    std::tie(row.first_ms, row.last_ms) = span[row.key];
    if (row.last_ms < start || row.last_ms >= end) continue;
    row.project = project_of[row.key];
    row.project_cwd = cwd_of[row.project];
    row.title = title_of[row.key];
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), ByCost);
  return out;
}

absl::StatusOr<std::vector<UsageRow>> PgReader::ProjectReport(const ReportFilter& filter) {
  std::vector<std::optional<std::string>> params = BoundParams(filter);
  const std::string where = FilterClause(filter, &params);
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(absl::StrCat("SELECT project, model, ", kRollupSums,
                                                        " FROM token_rollups WHERE bucket_ms >= $1 AND bucket_ms < $2",
                                                        where, " GROUP BY project, model"),
                                           params));
  UsageGroups grouped;
  for (int i = 0; i < r.rows(); ++i) AddSums(grouped[r.Text(i, 0)][r.Text(i, 1)], r, i, 2);
  std::vector<UsageRow> rows = FinishUsageRows(grouped);
  std::sort(rows.begin(), rows.end(), ByCost);
  return rows;
}

absl::Status PgReader::AddAgentBreakdown(const ReportFilter& filter, std::vector<UsageRow>* sessions) {
  for (UsageRow& session : *sessions) {
    std::vector<std::optional<std::string>> params = {session.key};
    const std::string where = FilterClause(filter, &params);
    ASSIGN_OR_RETURN(PgResult r, conn_.Query(absl::StrCat("SELECT agent_id, model, ", kWinnerSums, ", max(agent_type)"
                                                          " FROM usage_winners WHERE report_session = $1",
                                                          where, " GROUP BY agent_id, model"),
                                             params));
    UsageGroups by_agent;
    absl::flat_hash_map<std::string, std::string> type_of;
    for (int i = 0; i < r.rows(); ++i) {
      AddSums(by_agent[r.Text(i, 0)][r.Text(i, 1)], r, i, 2);
      if (!r.Text(i, 9).empty()) type_of[r.Text(i, 0)] = r.Text(i, 9);
    }
    session.agents.clear();
    for (UsageRow& row : FinishUsageRows(by_agent)) {
      session.agents.push_back({row.key, type_of[row.key], row.tokens, std::move(row.models)});
    }
    std::sort(session.agents.begin(), session.agents.end(), [](const AgentRow& a, const AgentRow& b) {
      if (a.agent_id.empty() != b.agent_id.empty()) return a.agent_id.empty();
      if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
      return a.agent_id < b.agent_id;
    });
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ToolRow>> PgReader::ToolReport(const ReportFilter& filter, ToolRow* total) {
  std::vector<std::optional<std::string>> params = BoundParams(filter);
  const std::string where = FilterClause(filter, &params);
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(
      absl::StrCat("SELECT tool_name, status, duration_ms FROM tool_executions"
                   " WHERE tool_name IS NOT NULL AND started_ms >= $1 AND started_ms < $2",
                   where, " ORDER BY tool_name COLLATE \"C\""),
      params));
  ToolTally tally;
  for (int i = 0; i < r.rows(); ++i) tally.Add(r.Text(i, 0), r.Text(i, 1), r.OptionalInt(i, 2));
  return tally.Finish(total);
}

absl::StatusOr<SearchResult> PgReader::Search(const SearchRequest& request) {
  RETURN_IF_ERROR(CheckSearchPage(request));
  if (request.syntax == QuerySyntax::kFts5) {
    return absl::InvalidArgumentError("--fts (FTS5 syntax) is for a local database; a team server searches plain "
                                      "words, each as a phrase");
  }
  if (!request.kinds.empty()) {
    return absl::InvalidArgumentError("--kind is for a local database; a team server keeps no message kinds");
  }
  ASSIGN_OR_RETURN(TranslatedQuery q, TranslateQuery(request.query, request.syntax));
  SearchResult result;
  if (request.restrict_projects && request.project_ids.empty()) return result;
  // $1 …: each word, then the filters' values.
  std::vector<std::optional<std::string>> params;
  std::vector<std::string> phrases;
  for (const std::string& word : q.words) {
    params.push_back(word);
    phrases.push_back(absl::StrCat("phraseto_tsquery('simple', $", params.size(), ")"));
  }
  std::string where;
  auto add = [&](const std::string& condition, std::string value) {
    params.push_back(std::move(value));
    absl::StrAppend(&where, " AND ", absl::StrReplaceAll(condition, {{"$?", absl::StrCat("$", params.size())}}));
  };
  if (!request.users.empty()) add("m.user_name = ANY($?::text[])", ArrayLiteral(request.users));
  if (!request.machines.empty()) add("m.machine = ANY($?::text[])", ArrayLiteral(request.machines));
  if (request.restrict_projects) {
    std::vector<std::string> ids;
    for (int64_t id : request.project_ids) ids.push_back(absl::StrCat(id));
    add("m.project IN (SELECT project FROM projects WHERE gid = ANY($?::bigint[]))",
        absl::StrCat("{", absl::StrJoin(ids, ","), "}"));
  }
  if (!request.session.empty()) {
    // A session id, or the start of one (as locally, without the check
    // that it names one session: a team's sessions are many machines').
    std::string prefix;
    for (char c : request.session) {
      if (c == '%' || c == '_' || c == '\\') prefix.push_back('\\');
      prefix.push_back(c);
    }
    add("c.session_id LIKE $? || '%'", prefix);
  }
  if (request.since_ms) add("m.timestamp_ms >= $?::bigint", absl::StrCat(*request.since_ms));
  if (request.until_ms) add("m.timestamp_ms < $?::bigint", absl::StrCat(*request.until_ms));
  const bool newest = request.order == SearchOrder::kNewest;
  // The page, then a snippet for each of its hits only.
  params.push_back(std::string(kSnippetBegin));
  const size_t begin = params.size();
  params.push_back(std::string(kSnippetEnd));
  const size_t end = params.size();
  // The matches (what the page and the count read), and their order (by
  // the page's output names).
  const std::string matches = absl::StrCat(
      " FROM messages m CROSS JOIN (SELECT ", absl::StrJoin(phrases, " && "), " AS q) q"
      " JOIN conversations c ON c.machine = m.machine AND c.id = m.conversation_id"
      " WHERE m.content_tsv @@ q.q", where);
  const std::string order =
      newest ? "timestamp_ms DESC NULLS LAST, machine DESC, id DESC" : "score DESC, machine, id";
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(absl::StrCat(
      "WITH hits AS (SELECT m.machine, m.id, coalesce(m.uuid, '') AS uuid, c.session_id,"
      " coalesce((SELECT p.cwd FROM projects p WHERE p.machine = m.machine AND p.project = m.project LIMIT 1),"
      " m.project) AS project, m.timestamp_ms, ts_rank_cd(m.content_tsv, q.q) AS score,"
      " m.content, q.q, count(*) OVER () AS total", matches,
      " ORDER BY ", order, " LIMIT ", request.limit, " OFFSET ", request.offset, ")"
      " SELECT uuid, session_id, project, timestamp_ms, score, total,"
      " ts_headline('simple', left(content, 200000), q, 'StartSel=' || $", begin, " || ', StopSel=' || $", end,
      " || ', MaxWords=", std::max(request.snippet_tokens, 4), ", MinWords=", std::max(request.snippet_tokens / 2, 2),
      ", MaxFragments=1')"
      " FROM hits ORDER BY ", order),
      params));
  for (int i = 0; i < r.rows(); ++i) {
    SearchHit hit;
    hit.uuid = r.Text(i, 0);
    hit.session = r.Text(i, 1);
    hit.project = r.Text(i, 2);
    hit.timestamp_ms = r.OptionalInt(i, 3);
    double score = 0;
    (void)absl::SimpleAtod(r.Text(i, 4), &score);
    hit.rank = -score;
    result.total = r.Int(i, 5);
    hit.snippet = MarkSnippet(r.Text(i, 6), request);
    result.hits.push_back(std::move(hit));
  }
  if (result.hits.empty() && request.offset > 0) {
    // Past the last match: count alone.
    ASSIGN_OR_RETURN(PgResult n, conn_.Query(absl::StrCat("SELECT count(*)", matches),
                                             std::vector<std::optional<std::string>>(params.begin(), params.end() - 2)));
    result.total = n.Int(0, 0);
  }
  return result;
}

absl::StatusOr<std::vector<PushedMachine>> PgReader::Machines() {
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(
      "SELECT machine, user_name, pushed_seq, rows, (extract(epoch FROM pushed_at) * 1000)::bigint"
      " FROM push_marks ORDER BY machine COLLATE \"C\""));
  std::vector<PushedMachine> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.Text(i, 0), r.Text(i, 1), r.Int(i, 2), r.Int(i, 3), r.Int(i, 4)});
  }
  return out;
}

absl::StatusOr<DatabaseStatus> PgReader::Status() {
  ASSIGN_OR_RETURN(PgResult r, conn_.Query("SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM events),"
                                           " (SELECT max(pushed_at) FROM push_marks)"));
  DatabaseStatus s;
  s.messages = r.Int(0, 0);
  s.events = r.Int(0, 1);
  return s;
}

}  // namespace cco

#include "src/pg_reader.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

absl::StatusOr<PgResult> PgReader::ToolExecutions(const ReportFilter& filter) {
  std::vector<std::optional<std::string>> params = BoundParams(filter);
  const std::string where = FilterClause(filter, &params);
  return conn_.Query(absl::StrCat("SELECT tool_name, status, duration_ms, started_ms FROM tool_executions"
                                  " WHERE tool_name IS NOT NULL AND started_ms >= $1 AND started_ms < $2",
                                  where, " ORDER BY tool_name COLLATE \"C\""),
                     params);
}

absl::StatusOr<std::vector<ToolRow>> PgReader::ToolReport(const ReportFilter& filter, ToolRow* total) {
  ASSIGN_OR_RETURN(PgResult r, ToolExecutions(filter));
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
  if (request.order == SearchOrder::kRank) result.ranked = result.total;  // every match ranked
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

absl::StatusOr<std::vector<ToolDayRow>> PgReader::ToolTimeline(const ReportFilter& filter) {
  ASSIGN_OR_RETURN(PgResult r, ToolExecutions(filter));
  // A tally per day of the filter's zone, each fed its tools in name order.
  std::map<absl::CivilDay, ToolTally> days;
  for (int i = 0; i < r.rows(); ++i) {
    const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMillis(r.Int(i, 3)), filter.tz);
    days[day].Add(r.Text(i, 0), r.Text(i, 1), r.OptionalInt(i, 2));
  }
  std::vector<ToolDayRow> out;
  for (auto& [day, tally] : days) {
    std::vector<ToolRow> tools = tally.Finish(nullptr);
    std::sort(tools.begin(), tools.end(), [](const ToolRow& a, const ToolRow& b) { return a.tool < b.tool; });
    for (ToolRow& t : tools) out.push_back(ToolDayRow{absl::FormatCivilTime(day), std::move(t)});
  }
  return out;
}

absl::StatusOr<std::vector<BillingBlock>> PgReader::Blocks(const BlocksQuery& query) {
  ReportFilter who;
  who.users = query.users;
  who.machines = query.machines;
  std::vector<std::optional<std::string>> params;
  const std::string where = FilterClause(who, &params);
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(
      absl::StrCat("SELECT timestamp_ms, model, input_tokens, output_tokens, cache_creation_tokens,"
                   " cache_read_tokens, cost_nanousd, priced, user_name FROM usage_winners WHERE true",
                   where, " ORDER BY timestamp_ms, machine, dedup_key"),
      params));
  std::set<std::string> users;
  std::vector<BlockEntry> entries;
  entries.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    users.insert(r.Text(i, 8));
    BlockEntry e;
    e.timestamp_ms = r.Int(i, 0);
    e.model = r.Text(i, 1);
    e.tokens.input = r.Int(i, 2);
    e.tokens.output = r.Int(i, 3);
    e.tokens.cache_creation = r.Int(i, 4);
    e.tokens.cache_read = r.Int(i, 5);
    e.tokens.cost_nanousd = r.Int(i, 6);
    e.tokens.api_calls = 1;
    e.tokens.unpriced_calls = r.Int(i, 7) == 0 ? 1 : 0;
    entries.push_back(std::move(e));
  }
  if (users.size() > 1) {
    std::vector<std::string> named(users.begin(), users.end());
    if (named.size() > 5) {
      named.resize(6);
      named.back() = "…";
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "billing blocks meter one person's plan, and this role reads the usage of ", users.size(),
        " users (", absl::StrJoin(named, ", "), "): name one with --user"));
  }
  return FilterBlocks(IdentifyBlocks(entries, query.now_ms, query.session_ms), query);
}

absl::StatusOr<int64_t> PgReader::ChangeSeq() {
  ASSIGN_OR_RETURN(PgResult r, conn_.Query("SELECT coalesce(sum(pushed_seq), 0) + coalesce(sum(rows), 0)"
                                           " FROM push_marks"));
  return r.Int(0, 0);
}

absl::StatusOr<SessionList> PgReader::Sessions(const SessionListQuery& q) {
  ASSIGN_OR_RETURN(std::vector<UsageRow> sessions, SessionReport(q.filter));
  ASSIGN_OR_RETURN(PgResult counts, conn_.Query("SELECT session_id, sum(message_count) FROM conversations"
                                                " GROUP BY session_id"));
  absl::flat_hash_map<std::string, int64_t> messages;
  for (int i = 0; i < counts.rows(); ++i) messages[counts.Text(i, 0)] = counts.Int(i, 1);
  const std::string text = absl::AsciiStrToLower(q.text);
  auto has_text = [&text](const std::string& field) {
    return absl::StrContains(absl::AsciiStrToLower(field), text);
  };
  std::vector<SessionListRow> rows;
  for (UsageRow& u : sessions) {
    if (u.tokens.total() <= 0) continue;
    if (!text.empty() && !has_text(u.title) && !has_text(u.project) && !has_text(u.project_cwd) &&
        !has_text(u.key)) {
      continue;
    }
    u.models.clear();
    SessionListRow row;
    row.messages = messages.contains(u.key) ? messages[u.key] : 0;
    row.usage = std::move(u);
    rows.push_back(std::move(row));
  }
  // ListSessions' order: the sort key, ties by session id, both in the
  // asked direction.
  auto key_less = [&q](const SessionListRow& a, const SessionListRow& b) -> int {
    auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
    const UsageRow &x = a.usage, &y = b.usage;
    switch (q.sort) {
      case SessionSort::kFirst: return cmp(x.first_ms, y.first_ms);
      case SessionSort::kCost: return cmp(x.tokens.cost_nanousd, y.tokens.cost_nanousd);
      case SessionSort::kTokens: return cmp(x.tokens.total(), y.tokens.total());
      case SessionSort::kCalls: return cmp(x.tokens.api_calls, y.tokens.api_calls);
      case SessionSort::kMessages: return cmp(a.messages, b.messages);
      case SessionSort::kProject: return cmp(x.project, y.project);
      case SessionSort::kTitle: return cmp(x.title, y.title);
      case SessionSort::kLast: break;
    }
    return cmp(x.last_ms, y.last_ms);
  };
  std::sort(rows.begin(), rows.end(), [&](const SessionListRow& a, const SessionListRow& b) {
    int c = key_less(a, b);
    if (c == 0) c = a.usage.key < b.usage.key ? -1 : (b.usage.key < a.usage.key ? 1 : 0);
    return q.ascending ? c < 0 : c > 0;
  });
  SessionList out;
  out.total = static_cast<int64_t>(rows.size());
  const int64_t from = std::clamp<int64_t>(q.offset, 0, out.total);
  const int64_t to = std::clamp<int64_t>(from + q.limit, from, out.total);
  out.rows.assign(std::make_move_iterator(rows.begin() + from), std::make_move_iterator(rows.begin() + to));
  return out;
}

absl::StatusOr<std::string> PgReader::ResolveSession(const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) return ChooseSession(id_or_prefix, false, {});
  ASSIGN_OR_RETURN(PgResult exact, conn_.Query("SELECT 1 FROM conversations WHERE session_id = $1 LIMIT 1",
                                               {id_or_prefix}));
  std::vector<std::string> prefixed;
  if (exact.rows() == 0 && id_or_prefix.size() >= 4) {
    ASSIGN_OR_RETURN(PgResult found, conn_.Query("SELECT session_id FROM conversations WHERE starts_with(session_id, $1)"
                                                 " GROUP BY session_id ORDER BY session_id COLLATE \"C\" LIMIT 6",
                                                 {id_or_prefix}));
    for (int i = 0; i < found.rows(); ++i) prefixed.push_back(found.Text(i, 0));
  }
  return ChooseSession(id_or_prefix, exact.rows() > 0, std::move(prefixed));
}

absl::StatusOr<std::pair<std::string, int64_t>> PgReader::ConversationOf(const std::string& session_id) {
  ASSIGN_OR_RETURN(PgResult r, conn_.Query("SELECT machine, id FROM conversations WHERE session_id = $1"
                                           " ORDER BY machine COLLATE \"C\", id LIMIT 1",
                                           {session_id}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("no session '", session_id, "' on ", location()));
  return std::make_pair(r.Text(0, 0), r.Int(0, 1));
}

absl::StatusOr<Conversation> PgReader::LoadConversation(const std::string& session_id, const MessageWindow& window) {
  ASSIGN_OR_RETURN(auto where, ConversationOf(session_id));
  const std::string machine = where.first, id = absl::StrCat(where.second);
  // One snapshot for the header, the parts and the window.
  RETURN_IF_ERROR(conn_.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  absl::Cleanup end = [this] { (void)conn_.Exec("COMMIT"); };
  Conversation c;
  {
    ASSIGN_OR_RETURN(PgResult r, conn_.Query(
        "SELECT c.session_id, c.project, coalesce(p.cwd, ''), coalesce(c.title, ''), c.started_ms, c.ended_ms,"
        " coalesce(c.message_count, 0) FROM conversations c"
        " LEFT JOIN projects p ON p.machine = c.machine AND p.id = c.project_id"
        " WHERE c.machine = $1 AND c.id = $2",
        {machine, id}));
    if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("no session '", session_id, "' on ", location()));
    c.session_id = r.Text(0, 0);
    c.project = r.Text(0, 1);
    c.cwd = r.Text(0, 2);
    c.title = r.Text(0, 3);
    c.started_ms = r.OptionalInt(0, 4);
    c.ended_ms = r.OptionalInt(0, 5);
    c.message_count = r.Int(0, 6);
  }
  // The parts: the main transcript's lines (no agent id) first, then each
  // agent's by its first line's time, then id; an agent's type from the
  // session's usage winners (their index by report session).
  {
    ASSIGN_OR_RETURN(PgResult r, conn_.Query(
        "SELECT m.agent, count(*), min(m.timestamp_ms),"
        " (SELECT max(w.agent_type) FROM usage_winners w WHERE w.report_session = $3 AND w.machine = $1"
        "   AND w.agent_id = m.agent)"
        " FROM (SELECT coalesce(agent_id, '') AS agent, timestamp_ms FROM messages"
        "       WHERE machine = $1 AND conversation_id = $2::bigint) m"
        " GROUP BY m.agent ORDER BY m.agent <> '', min(m.timestamp_ms) NULLS LAST, m.agent COLLATE \"C\"",
        {machine, id, c.session_id}));
    for (int i = 0; i < r.rows(); ++i) {
      ConversationPart part;
      part.file.file_id = i;
      part.file.agent_id = r.Text(i, 0);
      part.file.agent_type = r.Text(i, 3);
      part.file.main = i == 0 && part.file.agent_id.empty();
      part.file.first_ms = r.OptionalInt(i, 2);
      part.stored = r.Int(i, 1);
      c.parts.push_back(std::move(part));
    }
  }
  std::optional<int64_t> place;
  if (window.Anchored()) {
    const bool by_uuid = !window.around_uuid.empty();
    ASSIGN_OR_RETURN(PgResult at, conn_.Query(
        absl::StrCat("SELECT coalesce(m.agent_id, ''), (SELECT count(*) FROM messages b WHERE b.machine = $1"
                     " AND b.conversation_id = $2::bigint AND coalesce(b.agent_id, '') = coalesce(m.agent_id, '')"
                     " AND b.id < m.id) FROM messages m WHERE m.machine = $1 AND m.conversation_id = $2::bigint AND ",
                     by_uuid ? "m.uuid = $3" : "m.id = $3::bigint", " LIMIT 1"),
        {machine, id, by_uuid ? window.around_uuid : absl::StrCat(window.around_id)}));
    if (at.rows() > 0) {
      int64_t before = 0;
      for (const ConversationPart& p : c.parts) {
        if (p.file.agent_id == at.Text(0, 0)) {
          place = before + at.Int(0, 1);
          break;
        }
        before += p.stored;
      }
    }
  }
  const std::vector<int64_t> counts = ApplyWindow(window, place, &c);
  if (!scratch_.has_value()) {
    ASSIGN_OR_RETURN(Db scratch, Db::Open(":memory:", Db::Mode::kAsItIs));
    scratch_.emplace(std::move(scratch));
  }
  ASSIGN_OR_RETURN(LineBlocks blocks, LineBlocks::Prepare(*scratch_));
  for (size_t i = 0; i < c.parts.size(); ++i) {
    ConversationPart& part = c.parts[i];
    if (counts[i] == 0) continue;
    ASSIGN_OR_RETURN(PgResult r, conn_.Query(
        "SELECT id, coalesce(uuid, ''), type, coalesce(subtype, ''), timestamp_ms, coalesce(is_sidechain, 0),"
        " coalesce(is_meta, 0), coalesce(model, ''), raw FROM messages"
        " WHERE machine = $1 AND conversation_id = $2::bigint AND coalesce(agent_id, '') = $3"
        " ORDER BY id LIMIT $4::bigint OFFSET $5::bigint",
        {machine, id, part.file.agent_id, absl::StrCat(counts[i]), absl::StrCat(part.first)}));
    for (int row = 0; row < r.rows(); ++row) {
      ConversationMessage m;
      m.id = r.Int(row, 0);
      m.uuid = r.Text(row, 1);
      m.type = r.Text(row, 2);
      m.subtype = r.Text(row, 3);
      m.timestamp_ms = r.OptionalInt(row, 4);
      m.is_sidechain = r.Int(row, 5) != 0;
      m.is_meta = r.Int(row, 6) != 0;
      m.model = r.Text(row, 7);
      if (!r.IsNull(row, 8)) RETURN_IF_ERROR(blocks.Read(r.Bytes(row, 8), &m));
      part.messages.push_back(std::move(m));
    }
  }
  return c;
}

absl::Status PgReader::ExportJsonl(const std::string& session_id, std::string* out, ExportCounts* counts) {
  ASSIGN_OR_RETURN(auto where, ConversationOf(session_id));
  ASSIGN_OR_RETURN(PgResult r, conn_.Query(
      "SELECT raw FROM (SELECT raw, timestamp_ms, 0 AS source, id FROM messages"
      "  WHERE machine = $1 AND conversation_id = $2::bigint"
      " UNION ALL SELECT raw, timestamp_ms, 1, id FROM events WHERE machine = $1 AND conversation_id = $2::bigint) l"
      " ORDER BY timestamp_ms NULLS FIRST, source, id",
      {where.first, absl::StrCat(where.second)}));
  for (int i = 0; i < r.rows(); ++i) {
    if (r.IsNull(i, 0)) {
      ++counts->missing;
      continue;
    }
    absl::StrAppend(out, r.Bytes(i, 0), "\n");
    ++counts->lines;
  }
  return absl::OkStatus();
}

}  // namespace cco

#include "src/sqlite_deriver.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/hash.h"
#include "src/status.h"
#include "src/text.h"
#include "src/usage_limit.h"

namespace cco {

// The stored winning copy of one API response slot.
struct SqliteDeriver::Winner {
  std::string key;
  std::string api_message_id;
  std::string request_id;
  std::string dsids;  // '|'-joined sessions of the slot's copies
  std::string source;
  int64_t source_id = 0;
  int64_t conversation_id = 0;
  int64_t project_id = 0;
  std::string report_session;
  std::string path;
  int64_t byte_offset = 0;
  bool is_sidechain = false;
  int64_t timestamp_ms = 0;
  std::string model;
  Usage usage;
  int64_t cost = 0;
  bool priced = false;

  UsageCandidate candidate() const {
    return {is_sidechain, usage.total(), cost, usage.has_speed, path, byte_offset};
  }
  bool HasSession(const std::string& dsid) const {
    return absl::StrContains(absl::StrCat("|", dsids, "|"), absl::StrCat("|", dsid, "|"));
  }
};

namespace {
// Staged changes written before they grow past these (a rederive derives
// every row in one transaction).
constexpr size_t kMaxStagedExecutions = 4096;
constexpr size_t kMaxRollupDeltas = 65536;
}  // namespace

namespace {

// Tool inputs and outputs are kept as bounded previews (UTF-8 safe, in
// bytes); the whole text is in the messages the execution references
// (use_message_id, result_message_id), stored once.
constexpr size_t kToolPreviewBytes = 256;

constexpr char kWinnerColumns[] =
    "dedup_key, api_message_id, request_id, dsids, source, source_id, conversation_id, project_id,"
    " report_session, path, byte_offset, is_sidechain, has_speed, timestamp_ms, model, input_tokens,"
    " output_tokens, cache_creation_tokens, cache_read_tokens, cost_nanousd, priced";

// Prices are stored per million tokens in USD; nano-USD per token is
// price * 1000. Rounded to an integer (all real prices are exact).
int64_t PerTokenNano(double per_mtok) { return static_cast<int64_t>(std::llround(per_mtok * 1000.0)); }

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteDeriver>> SqliteDeriver::Create(Db& db) {
  std::unique_ptr<SqliteDeriver> d(new SqliteDeriver(db));
  RETURN_IF_ERROR(d->Prepare());
  RETURN_IF_ERROR(d->LoadPrices());
  return d;
}

absl::Status SqliteDeriver::Prepare() {
  auto prep = [&](std::optional<Stmt>& slot, std::string_view sql) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, db_.Prepare(sql, /*persistent=*/true));
    slot.emplace(std::move(s));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(prep(upsert_usage_limit_,
                       "INSERT OR REPLACE INTO usage_limits(message_id, conversation_id, timestamp_ms, reset_ms, text)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)"));
  RETURN_IF_ERROR(prep(delete_usage_limit_, "DELETE FROM usage_limits WHERE message_id = ?1"));
  RETURN_IF_ERROR(prep(add_rollup_,
                       "INSERT INTO analytics(bucket_ms, project_id, model, metric, value)"
                       " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(bucket_ms, project_id, model, metric)"
                       " DO UPDATE SET value = value + excluded.value"));
  RETURN_IF_ERROR(prep(delete_zero_rollup_,
                       "DELETE FROM analytics WHERE bucket_ms = ?1 AND project_id = ?2 AND model = ?3"
                       " AND metric = ?4 AND value = 0"));
  constexpr char kTokenUpsertSet[] =
      " input_tokens = input_tokens + ?4, output_tokens = output_tokens + ?5,"
      " cache_creation_tokens = cache_creation_tokens + ?6, cache_read_tokens = cache_read_tokens + ?7,"
      " cost_nanousd = cost_nanousd + ?8, api_calls = api_calls + ?9, unpriced_calls = unpriced_calls + ?10";
  const std::string kTokenUpsert = absl::StrCat(
      " input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_nanousd, api_calls,"
      " unpriced_calls) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO UPDATE SET",
      kTokenUpsertSet);
  RETURN_IF_ERROR(prep(add_token_rollup_,
                       absl::StrCat("INSERT INTO token_rollups(bucket_ms, project_id, model,", kTokenUpsert)));
  RETURN_IF_ERROR(prep(add_session_rollup_, absl::StrCat("INSERT INTO session_token_rollups(report_session,"
                                                         " project_id, model,", kTokenUpsert)));
  // ?2 (project) is unused: hourly rows span all projects.
  RETURN_IF_ERROR(prep(add_hourly_rollup_, absl::StrCat("INSERT INTO token_rollups_hourly(hour_ms, model,",
                                                        " input_tokens, output_tokens, cache_creation_tokens,"
                                                        " cache_read_tokens, cost_nanousd, api_calls, unpriced_calls)"
                                                        " VALUES (?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                                                        " ON CONFLICT DO UPDATE SET",
                                                        kTokenUpsertSet)));
  RETURN_IF_ERROR(prep(select_winner_, absl::StrCat("SELECT ", kWinnerColumns,
                                                    " FROM usage_winners WHERE dedup_key = ?1")));
  RETURN_IF_ERROR(prep(insert_winner_, absl::StrCat("INSERT OR REPLACE INTO usage_winners(", kWinnerColumns,
                                                    ", change_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                                                    " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
                                                    " cco_change_seq())")));
  RETURN_IF_ERROR(prep(select_slots_by_api_id_, absl::StrCat(
      "SELECT ", kWinnerColumns, " FROM usage_winners WHERE api_message_id = ?1 ORDER BY dedup_key")));
  RETURN_IF_ERROR(prep(add_conversation_tokens_,
                       "UPDATE conversations SET total_tokens = total_tokens + ?2, change_seq = cco_change_seq() WHERE id = ?1"));
  RETURN_IF_ERROR(prep(add_conversation_tools_,
                       "UPDATE conversations SET tool_use_count = tool_use_count + ?2, change_seq = cco_change_seq()"
                       " WHERE id = ?1"));
  RETURN_IF_ERROR(prep(select_execution_,
                       "SELECT id, conversation_id, project_id, use_message_id, result_message_id,"
                       " tool_name, model, input, status, output, started_ms, completed_ms, duration_ms,"
                       " tool_duration_ms FROM tool_executions WHERE tool_use_id = ?1"));
  RETURN_IF_ERROR(prep(upsert_execution_,
                       "INSERT INTO tool_executions(tool_use_id, conversation_id, project_id,"
                       " use_message_id, result_message_id, tool_name, model, input, status, output,"
                       " started_ms, completed_ms, duration_ms, tool_duration_ms, change_seq)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, cco_change_seq())"
                       " ON CONFLICT(tool_use_id) DO UPDATE SET conversation_id = excluded.conversation_id,"
                       " project_id = excluded.project_id, use_message_id = excluded.use_message_id,"
                       " result_message_id = excluded.result_message_id, tool_name = excluded.tool_name,"
                       " model = excluded.model, input = excluded.input, status = excluded.status,"
                       " output = excluded.output, started_ms = excluded.started_ms,"
                       " completed_ms = excluded.completed_ms, duration_ms = excluded.duration_ms,"
                       " tool_duration_ms = excluded.tool_duration_ms, change_seq = excluded.change_seq"));
  RETURN_IF_ERROR(prep(insert_pending_title_,
                       "INSERT OR IGNORE INTO pending_titles(leaf_uuid, title, source, event_id)"
                       " VALUES (?1, ?2, ?3, ?4)"));
  RETURN_IF_ERROR(prep(select_pending_titles_,
                       "SELECT title, source, event_id FROM pending_titles WHERE leaf_uuid = ?1"));
  RETURN_IF_ERROR(prep(select_leaf_conversations_,
                       "SELECT DISTINCT conversation_id FROM messages WHERE uuid = ?1"));
  RETURN_IF_ERROR(prep(select_title_,
                       "SELECT title_source, title_event_id FROM conversations WHERE id = ?1"));
  RETURN_IF_ERROR(prep(update_title_,
                       "UPDATE conversations SET title = ?2, title_source = ?3, title_event_id = ?4,"
                       " change_seq = cco_change_seq() WHERE id = ?1"));
  return absl::OkStatus();
}

absl::Status SqliteDeriver::LoadPrices() {
  ASSIGN_OR_RETURN(Stmt stmt, db_.Prepare(
      "SELECT model, input_per_mtok, output_per_mtok, cache_write_5m_per_mtok, cache_write_1h_per_mtok,"
      " cache_read_per_mtok, coalesce(tier_threshold_tokens, 0), input_above_tier_per_mtok,"
      " output_above_tier_per_mtok, cache_write_above_tier_per_mtok, cache_write_1h_above_tier_per_mtok,"
      " cache_read_above_tier_per_mtok, fast_multiplier FROM model_prices"));
  RETURN_IF_ERROR(stmt.ForEachRow([this](const Stmt& r) {
    ModelPrice p;
    p.input = PerTokenNano(r.ColumnDouble(1));
    p.output = PerTokenNano(r.ColumnDouble(2));
    p.cache_write_5m = PerTokenNano(r.ColumnDouble(3));
    p.cache_write_1h = PerTokenNano(r.ColumnDouble(4));
    p.cache_read = PerTokenNano(r.ColumnDouble(5));
    p.tier_threshold = r.ColumnInt(6);
    // Without a price above the tier, the base price goes on.
    auto above = [&r](int col, int64_t base) {
      return r.ColumnIsNull(col) ? base : PerTokenNano(r.ColumnDouble(col));
    };
    p.input_above = above(7, p.input);
    p.output_above = above(8, p.output);
    p.cache_write_5m_above = above(9, p.cache_write_5m);
    p.cache_write_1h_above = above(10, p.cache_write_1h);
    p.cache_read_above = above(11, p.cache_read);
    p.fast_multiplier = r.ColumnDouble(12);
    prices_[r.ColumnText(0)] = p;
    return true;
  }));
  return absl::OkStatus();
}

const ModelPrice* SqliteDeriver::PriceOf(const std::string& model) const {
  for (const std::string& name : PriceLookupNames(model)) {
    auto it = prices_.find(name);
    if (it != prices_.end()) return &it->second;
  }
  return nullptr;
}

absl::Status SqliteDeriver::AddRollup(int64_t bucket, int64_t project_id, const std::string& model,
                                      const std::string& metric, int64_t delta) {
  if (delta == 0) return absl::OkStatus();
  auto [it, inserted] = rollup_deltas_.try_emplace(RollupKey(bucket, project_id, model, metric), 0);
  if (inserted) rollup_order_.push_back(it->first);
  it->second += delta;
  return absl::OkStatus();
}

absl::Status SqliteDeriver::Flush() {
  for (const std::string& id : changed_) {
    const StagedExecution& s = staged_.at(id);
    if (s.stored.has_value()) RETURN_IF_ERROR(ApplyExecutionContribution(*s.stored, -1));
    RETURN_IF_ERROR(ApplyExecutionContribution(*s.current, +1));
    RETURN_IF_ERROR(SaveExecution(*s.current));
  }
  staged_.clear();
  changed_.clear();
  // A value that nets to 0 leaves no row (nor one written by an earlier
  // transaction): which rows exist must not depend on how rows were batched.
  for (const RollupKey& key : rollup_order_) {
    const int64_t delta = rollup_deltas_.at(key);
    if (delta == 0) continue;
    const auto& [bucket, project_id, model, metric] = key;
    RETURN_IF_ERROR(
        add_rollup_->Bind(1, bucket).Bind(2, project_id).Bind(3, model).Bind(4, metric).Bind(5, delta).Run());
    if (delta < 0) {
      RETURN_IF_ERROR(delete_zero_rollup_->Bind(1, bucket).Bind(2, project_id).Bind(3, model).Bind(4, metric).Run());
    }
  }
  rollup_deltas_.clear();
  rollup_order_.clear();
  return absl::OkStatus();
}

void SqliteDeriver::Discard() {
  staged_.clear();
  changed_.clear();
  rollup_deltas_.clear();
  rollup_order_.clear();
}

// ---------------------------------------------------------------- messages

absl::Status SqliteDeriver::OnMessage(const LineRecord& rec, const RowContext& ctx) {
  if (staged_.size() >= kMaxStagedExecutions || rollup_deltas_.size() >= kMaxRollupDeltas) RETURN_IF_ERROR(Flush());
  if (rec.timestamp_ms.has_value()) {
    RETURN_IF_ERROR(AddRollup(BucketStart(*rec.timestamp_ms), ctx.project_id,
                              rec.type == "assistant" ? rec.model : std::string(),
                              absl::StrCat("messages:", rec.type), 1));
  }
  for (const ToolUse& use : rec.tool_uses) RETURN_IF_ERROR(OnToolUse(use, rec, ctx));
  for (const ToolResult& result : rec.tool_results) RETURN_IF_ERROR(OnToolResult(result, rec, ctx));
  if (rec.usage_copy.has_value()) RETURN_IF_ERROR(ApplyUsage(*rec.usage_copy, rec, "message", ctx));
  if (std::optional<UsageLimitNotice> limit = UsageLimitOf(rec); limit.has_value()) {
    RETURN_IF_ERROR(upsert_usage_limit_->Bind(1, ctx.row_id)
                        .Bind(2, ctx.conversation_id)
                        .Bind(3, limit->timestamp_ms)
                        .BindOptional(4, limit->reset_ms)
                        .Bind(5, limit->text)
                        .Run());
  }
  // A summary elsewhere may have named this message as its leaf.
  if (!rec.uuid.empty()) {
    Stmt& sel = *select_pending_titles_;
    sel.Bind(1, rec.uuid);
    std::vector<std::tuple<std::string, std::string, int64_t>> titles;
    RETURN_IF_ERROR(sel.ForEachRow([&titles](const Stmt& r) {
      titles.emplace_back(r.ColumnText(0), r.ColumnText(1), r.ColumnInt(2));
      return true;
    }));
    for (const auto& [title, source, event_id] : titles) {
      RETURN_IF_ERROR(OfferTitle(ctx.conversation_id, title, source, event_id));
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteDeriver::OnMessageRevised(const LineRecord& rec, const RowContext& ctx, bool shown,
                                             const StoredMessage& old) {
  if (!shown) {
    return rec.usage_copy.has_value() ? ApplyUsage(*rec.usage_copy, rec, "message", ctx) : absl::OkStatus();
  }
  if (old.timestamp_ms.has_value()) {
    RETURN_IF_ERROR(AddRollup(BucketStart(*old.timestamp_ms), ctx.project_id,
                              old.type == "assistant" ? old.model : std::string(),
                              absl::StrCat("messages:", old.type), -1));
  }
  // A notice the row showed goes; the revision's own is derived below.
  RETURN_IF_ERROR(delete_usage_limit_->Bind(1, ctx.row_id).Run());
  // Tool uses and results this row holds are re-derived from the revision
  // (OnToolUse/OnToolResult recognise the row as theirs); usage offers the
  // revision's copy to its slot.
  return OnMessage(rec, ctx);
}

absl::Status SqliteDeriver::OnEventRevised(const LineRecord& rec, const RowContext& ctx, bool shown) {
  if (shown) return OnEvent(rec, ctx);
  return rec.usage_copy.has_value() ? ApplyUsage(*rec.usage_copy, rec, "event", ctx) : absl::OkStatus();
}

// ------------------------------------------------------------------ events

absl::Status SqliteDeriver::OnEvent(const LineRecord& rec, const RowContext& ctx) {
  if (rec.usage_copy.has_value()) RETURN_IF_ERROR(ApplyUsage(*rec.usage_copy, rec, "event", ctx));
  if (rec.title.empty()) return absl::OkStatus();
  if (rec.type == "summary") {
    if (rec.leaf_uuid.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(insert_pending_title_->Bind(1, rec.leaf_uuid).Bind(2, rec.title).Bind(3, rec.type)
                        .Bind(4, ctx.row_id).Run());
    std::vector<int64_t> conversations;
    Stmt& sel = *select_leaf_conversations_;
    sel.Bind(1, rec.leaf_uuid);
    RETURN_IF_ERROR(sel.ForEachRow([&conversations](const Stmt& r) {
      conversations.push_back(r.ColumnInt(0));
      return true;
    }));
    for (int64_t c : conversations) RETURN_IF_ERROR(OfferTitle(c, rec.title, rec.type, ctx.row_id));
    return absl::OkStatus();
  }
  // ai-title / custom-title name their own session.
  return OfferTitle(ctx.conversation_id, rec.title, rec.type, ctx.row_id);
}

namespace {
int TitleRank(std::string_view source) {
  if (source == "custom-title") return 3;
  if (source == "ai-title") return 2;
  if (source == "summary") return 1;
  return 0;
}
}  // namespace

absl::Status SqliteDeriver::OfferTitle(int64_t conversation_id, const std::string& title,
                                       const std::string& source, int64_t event_id) {
  Stmt& sel = *select_title_;
  sel.Bind(1, conversation_id);
  ASSIGN_OR_RETURN(bool found, sel.Step());
  std::string current_source = found ? sel.ColumnText(0) : std::string();
  int64_t current_event = found ? sel.ColumnInt(1) : 0;
  sel.Reset();
  if (!found) return absl::OkStatus();
  // Higher source rank wins; within a rank the later event (by id).
  int have = TitleRank(current_source), offered = TitleRank(source);
  if (offered < have || (offered == have && event_id <= current_event)) return absl::OkStatus();
  return update_title_->Bind(1, conversation_id).Bind(2, title).Bind(3, source).Bind(4, event_id).Run();
}

// ------------------------------------------------------------ token usage

absl::Status SqliteDeriver::ApplyWinnerContribution(const Winner& w, int sign) {
  auto bind_values = [&w, sign](Stmt& s) -> Stmt& {
    return s.Bind(4, sign * w.usage.input)
        .Bind(5, sign * w.usage.output)
        .Bind(6, sign * w.usage.cache_creation)
        .Bind(7, sign * w.usage.cache_read)
        .Bind(8, sign * w.cost)
        .Bind(9, sign)
        .Bind(10, w.priced ? 0 : sign);
  };
  RETURN_IF_ERROR(bind_values(add_token_rollup_->Bind(1, BucketStart(w.timestamp_ms)).Bind(2, w.project_id)
                                  .Bind(3, w.model)).Run());
  RETURN_IF_ERROR(bind_values(add_session_rollup_->Bind(1, w.report_session).Bind(2, w.project_id)
                                  .Bind(3, w.model)).Run());
  RETURN_IF_ERROR(bind_values(add_hourly_rollup_->Bind(1, HourStart(w.timestamp_ms)).Bind(3, w.model)).Run());
  return add_conversation_tokens_->Bind(1, w.conversation_id).Bind(2, sign * w.usage.total()).Run();
}

absl::Status SqliteDeriver::StoreWinner(const Winner& w) {
  return insert_winner_->Bind(1, w.key)
      .BindTextOrNull(2, w.api_message_id)
      .BindTextOrNull(3, w.request_id)
      .Bind(4, w.dsids)
      .Bind(5, w.source)
      .Bind(6, w.source_id)
      .Bind(7, w.conversation_id)
      .Bind(8, w.project_id)
      .Bind(9, w.report_session)
      .Bind(10, w.path)
      .Bind(11, w.byte_offset)
      .Bind(12, w.is_sidechain ? 1 : 0)
      .Bind(13, w.usage.has_speed ? 1 : 0)
      .Bind(14, w.timestamp_ms)
      .Bind(15, w.model)
      .Bind(16, w.usage.input)
      .Bind(17, w.usage.output)
      .Bind(18, w.usage.cache_creation)
      .Bind(19, w.usage.cache_read)
      .Bind(20, w.cost)
      .Bind(21, w.priced ? 1 : 0)
      .Run();
}

namespace {

// Reads a usage_winners row selected with kWinnerColumns. The 1-hour cache
// split and the fast flag only matter for pricing, which is stored.
void ReadWinnerRow(const Stmt& s, std::string* key, std::string* api_id, std::string* request_id,
                   std::string* dsids, std::string* source, int64_t* source_id, int64_t* conversation_id,
                   int64_t* project_id, std::string* session, std::string* path, int64_t* offset,
                   bool* sidechain, bool* has_speed, int64_t* ts, std::string* model, Usage* u, int64_t* cost,
                   bool* priced) {
  *key = s.ColumnText(0);
  *api_id = s.ColumnText(1);
  *request_id = s.ColumnText(2);
  *dsids = s.ColumnText(3);
  *source = s.ColumnText(4);
  *source_id = s.ColumnInt(5);
  *conversation_id = s.ColumnInt(6);
  *project_id = s.ColumnInt(7);
  *session = s.ColumnText(8);
  *path = s.ColumnText(9);
  *offset = s.ColumnInt(10);
  *sidechain = s.ColumnInt(11) != 0;
  *has_speed = s.ColumnInt(12) != 0;
  *ts = s.ColumnInt(13);
  *model = s.ColumnText(14);
  u->input = s.ColumnInt(15);
  u->output = s.ColumnInt(16);
  u->cache_creation = s.ColumnInt(17);
  u->cache_read = s.ColumnInt(18);
  *cost = s.ColumnInt(19);
  *priced = s.ColumnInt(20) != 0;
}

}  // namespace

void SqliteDeriver::LoadWinner(const Stmt& s, Winner* w) {
  ReadWinnerRow(s, &w->key, &w->api_message_id, &w->request_id, &w->dsids, &w->source, &w->source_id,
                &w->conversation_id, &w->project_id, &w->report_session, &w->path, &w->byte_offset,
                &w->is_sidechain, &w->usage.has_speed, &w->timestamp_ms, &w->model, &w->usage, &w->cost,
                &w->priced);
}

absl::Status SqliteDeriver::ApplyUsage(const UsageCopy& copy, const LineRecord& rec, const char* source,
                                       const RowContext& ctx) {
  // The session the reference deduplicates within: the line's sessionId,
  // else the one the path implies.
  const std::string& dsid = rec.session_id.empty() ? ctx.location->session_id : rec.session_id;
  Winner w;
  w.api_message_id = copy.api_message_id;
  w.request_id = copy.request_id;
  w.dsids = dsid;
  w.source = source;
  w.source_id = ctx.row_id;
  w.conversation_id = ctx.conversation_id;
  w.project_id = ctx.project_id;
  w.report_session = ctx.location->report_session;
  w.path = ctx.location->path;
  w.byte_offset = ctx.byte_offset;
  w.is_sidechain = copy.is_sidechain;
  w.timestamp_ms = copy.timestamp_ms;
  w.model = copy.usage.fast && !copy.model.empty() ? absl::StrCat(copy.model, "-fast") : copy.model;
  w.usage = copy.usage;
  const ModelPrice* price = PriceOf(copy.model);
  if (copy.cost_usd.has_value()) {
    w.cost = static_cast<int64_t>(std::llround(*copy.cost_usd * 1e9));
    w.priced = true;
  } else {
    w.priced = price != nullptr;
    w.cost = price != nullptr ? CostNanoUsd(copy.usage, *price) : 0;
  }
  if (copy.api_message_id.empty()) {
    // Never deduplicated across lines: the row is its own slot. A revision
    // of the row offers another copy to that slot (the larger counts).
    w.key = absl::StrCat("line:", source, ":", ctx.row_id);
    Stmt& sel = *select_winner_;
    sel.Bind(1, w.key);
    ASSIGN_OR_RETURN(bool found, sel.Step());
    std::optional<Winner> stored;
    if (found) {
      stored.emplace();
      LoadWinner(sel, &*stored);
    }
    sel.Reset();
    if (stored.has_value()) {
      if (!CopyBeats(w.candidate(), stored->candidate())) return absl::OkStatus();
      RETURN_IF_ERROR(ApplyWinnerContribution(*stored, -1));
    }
    RETURN_IF_ERROR(StoreWinner(w));
    return ApplyWinnerContribution(w, +1);
  }
  w.key = DedupKey(copy.api_message_id, copy.request_id);

  // The slot: the exact key, else a slot of the same message id and
  // session that is a sidechain replay (either side a sidechain copy).
  std::optional<Winner> slot;
  {
    Stmt& sel = *select_winner_;
    sel.Bind(1, w.key);
    ASSIGN_OR_RETURN(bool found, sel.Step());
    if (found) {
      slot.emplace();
      LoadWinner(sel, &*slot);
    }
    sel.Reset();
  }
  if (!slot.has_value()) {
    Stmt& sel = *select_slots_by_api_id_;
    sel.Bind(1, copy.api_message_id);
    RETURN_IF_ERROR(sel.ForEachRow([&](const Stmt& r) {
      Winner other;
      LoadWinner(r, &other);
      if (other.HasSession(dsid) && (other.is_sidechain || w.is_sidechain)) {
        slot = std::move(other);
        return false;
      }
      return true;
    }));
  }
  if (!slot.has_value()) {
    RETURN_IF_ERROR(StoreWinner(w));
    return ApplyWinnerContribution(w, +1);
  }
  // Merge into the slot: it keeps its key and gains this copy's session.
  std::string dsids = slot->HasSession(dsid) ? slot->dsids : absl::StrCat(slot->dsids, "|", dsid);
  if (!CopyBeats(w.candidate(), slot->candidate())) {
    if (dsids == slot->dsids) return absl::OkStatus();
    slot->dsids = dsids;
    return StoreWinner(*slot);
  }
  RETURN_IF_ERROR(ApplyWinnerContribution(*slot, -1));
  w.key = slot->key;
  w.dsids = dsids;
  RETURN_IF_ERROR(StoreWinner(w));
  return ApplyWinnerContribution(w, +1);
}

// ------------------------------------------------------------------- tools

absl::StatusOr<std::optional<SqliteDeriver::Execution>> SqliteDeriver::LoadExecution(
    const std::string& tool_use_id) {
  if (auto it = staged_.find(tool_use_id); it != staged_.end()) return it->second.current;
  Stmt& s = *select_execution_;
  s.Bind(1, tool_use_id);
  ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) {
    s.Reset();
    staged_[tool_use_id];  // known to be absent
    return std::optional<Execution>();
  }
  Execution e;
  e.id = s.ColumnInt(0);
  e.tool_use_id = tool_use_id;
  e.conversation_id = s.ColumnOptionalInt(1);
  e.project_id = s.ColumnOptionalInt(2);
  e.use_message_id = s.ColumnOptionalInt(3);
  e.result_message_id = s.ColumnOptionalInt(4);
  e.tool_name = s.ColumnText(5);
  e.model = s.ColumnText(6);
  e.input = s.ColumnText(7);
  e.status = s.ColumnText(8);
  e.output = s.ColumnText(9);
  e.started_ms = s.ColumnOptionalInt(10);
  e.completed_ms = s.ColumnOptionalInt(11);
  e.duration_ms = s.ColumnOptionalInt(12);
  e.tool_duration_ms = s.ColumnOptionalInt(13);
  s.Reset();
  StagedExecution& staged = staged_[tool_use_id];
  staged.stored = e;
  staged.current = e;
  return std::optional<Execution>(std::move(e));
}

void SqliteDeriver::StageExecution(Execution e) {
  StagedExecution& staged = staged_[e.tool_use_id];  // LoadExecution made it
  if (!staged.changed) changed_.push_back(e.tool_use_id);
  staged.changed = true;
  staged.current = std::move(e);
}

absl::Status SqliteDeriver::SaveExecution(const Execution& e) {
  Stmt& s = *upsert_execution_;
  s.Bind(1, e.tool_use_id)
      .BindOptional(2, e.conversation_id)
      .BindOptional(3, e.project_id)
      .BindOptional(4, e.use_message_id)
      .BindOptional(5, e.result_message_id)
      .BindTextOrNull(6, e.tool_name)
      .BindTextOrNull(7, e.model)
      .BindTextOrNull(8, e.input)
      .Bind(9, e.status)
      .BindTextOrNull(10, e.output)
      .BindOptional(11, e.started_ms)
      .BindOptional(12, e.completed_ms)
      .BindOptional(13, e.duration_ms)
      .BindOptional(14, e.tool_duration_ms);
  return s.Run();
}

// An execution counts in the rollups once its tool_use is known (name and
// start time); its status and duration are part of that contribution.
absl::Status SqliteDeriver::ApplyExecutionContribution(const Execution& e, int sign) {
  if (!e.use_message_id.has_value() || !e.started_ms.has_value() || !e.project_id.has_value()) {
    return absl::OkStatus();
  }
  const int64_t bucket = BucketStart(*e.started_ms);
  RETURN_IF_ERROR(AddRollup(bucket, *e.project_id, e.model, absl::StrCat("tool_calls:", e.tool_name, ":", e.status),
                            sign));
  if (e.duration_ms.has_value()) {
    RETURN_IF_ERROR(AddRollup(bucket, *e.project_id, e.model, absl::StrCat("tool_duration_ms:", e.tool_name),
                              sign * *e.duration_ms));
    RETURN_IF_ERROR(AddRollup(bucket, *e.project_id, e.model, absl::StrCat("tool_durations:", e.tool_name), sign));
  }
  return absl::OkStatus();
}

namespace {
// The tool's own run time when its result reports one: the gap between the
// lines also holds the wait for the user's permission and, in parallel calls,
// the other tools' time. Else that gap, never negative.
std::optional<int64_t> Duration(const std::optional<int64_t>& own, const std::optional<int64_t>& start,
                                const std::optional<int64_t>& end) {
  if (own.has_value()) return own;
  if (!start.has_value() || !end.has_value()) return std::nullopt;
  return std::max<int64_t>(0, *end - *start);
}
}  // namespace

absl::Status SqliteDeriver::OnToolUse(const ToolUse& use, const LineRecord& rec, const RowContext& ctx) {
  if (use.id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<Execution> existing, LoadExecution(use.id));
  Execution e;
  bool revised = false;
  if (existing.has_value()) {
    // A copy of a use another row holds; this row's own use when revised.
    if (existing->use_message_id.has_value() && *existing->use_message_id != ctx.row_id) return absl::OkStatus();
    e = std::move(*existing);
    revised = e.use_message_id.has_value();
  } else {
    e.tool_use_id = use.id;
  }
  e.conversation_id = ctx.conversation_id;
  e.project_id = ctx.project_id;
  e.use_message_id = ctx.row_id;
  e.tool_name = use.name;
  e.model = rec.model;
  e.input = TruncateUtf8(use.input_json, kToolPreviewBytes);
  e.started_ms = rec.timestamp_ms;
  e.duration_ms = Duration(e.tool_duration_ms, e.started_ms, e.completed_ms);
  StageExecution(std::move(e));
  if (!revised) RETURN_IF_ERROR(add_conversation_tools_->Bind(1, ctx.conversation_id).Bind(2, 1).Run());
  return absl::OkStatus();
}

absl::Status SqliteDeriver::OnToolResult(const ToolResult& result, const LineRecord& rec,
                                         const RowContext& ctx) {
  if (result.tool_use_id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<Execution> existing, LoadExecution(result.tool_use_id));
  Execution e;
  if (existing.has_value()) {
    // Closed by another row; this row's own result when revised.
    if (existing->result_message_id.has_value() && *existing->result_message_id != ctx.row_id) {
      return absl::OkStatus();
    }
    e = std::move(*existing);
  } else {
    e.tool_use_id = result.tool_use_id;
    e.conversation_id = ctx.conversation_id;
    e.project_id = ctx.project_id;
  }
  e.result_message_id = ctx.row_id;
  e.status = ClassifyToolResult(result, rec.tool_use_result_text, rec.tool_use_result_interrupted);
  e.output = TruncateUtf8(result.text, kToolPreviewBytes);
  e.completed_ms = rec.timestamp_ms;
  e.tool_duration_ms = result.duration_ms;
  e.duration_ms = Duration(e.tool_duration_ms, e.started_ms, e.completed_ms);
  StageExecution(std::move(e));
  return absl::OkStatus();
}

}  // namespace cco

#include "src/blocks.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "src/json_writer.h"
#include "src/status.h"

namespace cco {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kRecentMs = 3 * 24 * kHourMs;  // ccusage's DEFAULT_RECENT_DAYS

int64_t FloorToHour(int64_t ms) { return ms - (((ms % kHourMs) + kHourMs) % kHourMs); }

// JavaScript's Math.round (ties toward +infinity), which ccusage's numbers follow.
double JsRound(double x) { return std::floor(x + 0.5); }

BillingBlock MakeBlock(int64_t start_ms, const BlockEntry* first, const BlockEntry* last, int64_t now_ms,
                int64_t session_ms) {
  BillingBlock b;
  b.id = IsoUtcMs(start_ms);
  b.start_ms = start_ms;
  b.end_ms = start_ms + session_ms;
  b.first_entry_ms = first->timestamp_ms;
  b.actual_end_ms = (last - 1)->timestamp_ms;
  b.is_active = now_ms - *b.actual_end_ms < session_ms && now_ms < b.end_ms;
  for (const BlockEntry* e = first; e != last; ++e) {
    ++b.entries;
    b.tokens.Add(e->tokens);
    if (!e->model.empty() && std::find(b.models.begin(), b.models.end(), e->model) == b.models.end()) {
      b.models.push_back(e->model);
    }
  }
  if (b.is_active) {
    b.burn_rate = BurnRateOf(b);
    b.projection = ProjectionOf(b, now_ms);
  }
  return b;
}

BillingBlock MakeGap(int64_t last_activity_ms, int64_t next_activity_ms, int64_t session_ms) {
  BillingBlock g;
  g.start_ms = last_activity_ms + session_ms;
  g.end_ms = next_activity_ms;
  g.id = absl::StrCat("gap-", IsoUtcMs(g.start_ms));
  g.is_gap = true;
  return g;
}

// The winners from `from_ms` on (all of them for the minimum), in time order.
absl::StatusOr<std::vector<BlockEntry>> ReadEntries(Db& db, int64_t from_ms) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(
                               "SELECT timestamp_ms, model, input_tokens, output_tokens, cache_creation_tokens,"
                               " cache_read_tokens, cost_nanousd, priced FROM usage_winners INDEXED BY "
                               "usage_winners_time WHERE timestamp_ms >= ? ORDER BY timestamp_ms"));
  s.Bind(1, from_ms);
  std::vector<BlockEntry> out;
  RETURN_IF_ERROR(s.ForEachRow([&](const Stmt& r) {
    BlockEntry e;
    e.timestamp_ms = r.ColumnInt(0);
    e.model = r.ColumnText(1);
    e.tokens.input = r.ColumnInt(2);
    e.tokens.output = r.ColumnInt(3);
    e.tokens.cache_creation = r.ColumnInt(4);
    e.tokens.cache_read = r.ColumnInt(5);
    e.tokens.cost_nanousd = r.ColumnInt(6);
    e.tokens.api_calls = 1;
    e.tokens.unpriced_calls = r.ColumnInt(7) == 0 ? 1 : 0;
    out.push_back(std::move(e));
    return true;
  }));
  return out;
}

// The reset time of the last usage-limit notice inside each block (its
// start to its end), as ccusage shows the last one among a block's entries.
absl::Status AttachUsageLimits(Db& db, std::vector<BillingBlock>& blocks) {
  if (blocks.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT timestamp_ms, reset_ms FROM usage_limits WHERE reset_ms IS NOT NULL"
                                      " AND timestamp_ms >= ? AND timestamp_ms < ? ORDER BY timestamp_ms"));
  s.Bind(1, blocks.front().start_ms).Bind(2, blocks.back().end_ms);
  size_t i = 0;
  return s.ForEachRow([&](const Stmt& r) {
    const int64_t at = r.ColumnInt(0);
    while (i < blocks.size() && (blocks[i].is_gap || blocks[i].end_ms <= at)) ++i;
    if (i == blocks.size()) return false;
    if (at >= blocks[i].start_ms) blocks[i].usage_limit_reset_ms = r.ColumnInt(1);
    return true;
  });
}

// Where the block chain holding `at_ms` starts: the last entry at or before
// it that follows the one before by more than session_ms (the minimum when
// the chain reaches back to the first entry). No block before it can be
// active at `at_ms`: its last entry is more than session_ms before that one.
// Reads the chain's entries back from `at_ms`, newest first.
absl::StatusOr<int64_t> ChainStart(Db& db, int64_t at_ms, int64_t session_ms) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT timestamp_ms FROM usage_winners INDEXED BY usage_winners_time"
                                      " WHERE timestamp_ms <= ? ORDER BY timestamp_ms DESC"));
  s.Bind(1, at_ms);
  int64_t start = std::numeric_limits<int64_t>::min();
  std::optional<int64_t> later;
  RETURN_IF_ERROR(s.ForEachRow([&](const Stmt& r) {
    const int64_t t = r.ColumnInt(0);
    if (later.has_value() && *later - t > session_ms) {
      start = *later;
      return false;
    }
    later = t;
    return true;
  }));
  return start;
}

// The last recorded block start usable at `now_ms`: at or before now, and
// before the first winner time changed since the starts were brought up to
// date. nullopt when there is none, or the database is older than migration
// 0020 (a reader may open one).
absl::StatusOr<std::optional<int64_t>> RecordedAnchor(Db& db, int64_t now_ms) {
  ASSIGN_OR_RETURN(std::optional<int64_t> known,
                   db.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'billing_block_starts'"));
  if (known.value_or(0) == 0) return std::nullopt;
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(
      "SELECT max(first_entry_ms) FROM billing_block_starts WHERE first_entry_ms <= ?1"
      " AND first_entry_ms < coalesce((SELECT dirty_from_ms FROM billing_blocks_state), ?1 + 1)"));
  s.Bind(1, now_ms);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.ColumnIsNull(0)) return std::nullopt;
  return s.ColumnInt(0);
}

// Where reading the winners may begin so that the blocks from there on are
// the whole history's and hold every block that can be active at `now_ms`:
// the last recorded block start at or before now (a few rows), else, for
// another session length or a database before migration 0020, the start
// of the chain holding now (read back to a silence of session_ms).
absl::StatusOr<int64_t> ActiveChainFrom(Db& db, int64_t now_ms, int64_t session_ms) {
  if (session_ms == kDefaultSessionMs) {
    // No block before the last one starting at or before now can be active
    // (each ends by the next one's start).
    ASSIGN_OR_RETURN(std::optional<int64_t> anchor, RecordedAnchor(db, now_ms));
    if (anchor.has_value()) return *anchor;
  }
  return ChainStart(db, now_ms, session_ms);
}

}  // namespace

std::string IsoUtcMs(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

int64_t BlockStartOf(int64_t first_entry_ms) { return FloorToHour(first_entry_ms); }

std::vector<int64_t> BlockFirstEntries(const std::vector<int64_t>& sorted_ms, int64_t session_ms) {
  std::vector<int64_t> firsts;
  for (size_t i = 0; i < sorted_ms.size(); ++i) {
    if (i == 0 || StartsNewBlock(BlockStartOf(firsts.back()), sorted_ms[i - 1], sorted_ms[i], session_ms)) {
      firsts.push_back(sorted_ms[i]);
    }
  }
  return firsts;
}

std::vector<BillingBlock> IdentifyBlocks(const std::vector<BlockEntry>& sorted, int64_t now_ms, int64_t session_ms) {
  std::vector<BillingBlock> blocks;
  if (sorted.empty()) return blocks;
  const BlockEntry* begin = sorted.data();
  const BlockEntry* end = begin + sorted.size();
  const BlockEntry* block_first = begin;
  int64_t block_start = FloorToHour(begin->timestamp_ms);
  for (const BlockEntry* e = begin + 1; e != end; ++e) {
    if (StartsNewBlock(block_start, (e - 1)->timestamp_ms, e->timestamp_ms, session_ms)) {
      blocks.push_back(MakeBlock(block_start, block_first, e, now_ms, session_ms));
      if (e->timestamp_ms - (e - 1)->timestamp_ms > session_ms) {
        blocks.push_back(MakeGap((e - 1)->timestamp_ms, e->timestamp_ms, session_ms));
      }
      block_start = FloorToHour(e->timestamp_ms);
      block_first = e;
    }
  }
  blocks.push_back(MakeBlock(block_start, block_first, end, now_ms, session_ms));
  return blocks;
}

std::optional<BurnRate> BurnRateOf(const BillingBlock& block) {
  if (block.is_gap || block.entries == 0 || !block.first_entry_ms || !block.actual_end_ms) return std::nullopt;
  const double minutes = static_cast<double>(*block.actual_end_ms - *block.first_entry_ms) / 60000.0;
  if (minutes <= 0) return std::nullopt;
  BurnRate r;
  r.tokens_per_minute = static_cast<double>(block.tokens.total()) / minutes;
  r.tokens_per_minute_for_indicator = static_cast<double>(block.tokens.input + block.tokens.output) / minutes;
  r.cost_per_hour_usd = static_cast<double>(block.tokens.cost_nanousd) / 1e9 / minutes * 60;
  return r;
}

std::optional<Projection> ProjectionOf(const BillingBlock& block, int64_t now_ms) {
  std::optional<BurnRate> rate = BurnRateOf(block);
  if (!rate.has_value()) return std::nullopt;
  Projection p;
  const double remaining = std::max(0.0, static_cast<double>(block.end_ms - now_ms) / 60000.0);
  // ccusage carries the rate over the rounded remaining minutes.
  p.remaining_minutes = static_cast<int64_t>(JsRound(remaining));
  const double minutes = static_cast<double>(p.remaining_minutes);
  p.total_tokens = static_cast<int64_t>(JsRound(static_cast<double>(block.tokens.total()) + rate->tokens_per_minute * minutes));
  const double cost = static_cast<double>(block.tokens.cost_nanousd) / 1e9 + rate->cost_per_hour_usd / 60 * minutes;
  p.total_cost_usd = JsRound(cost * 100) / 100;
  return p;
}

absl::StatusOr<std::vector<BillingBlock>> LoadBlocks(Db& db, const BlocksQuery& q) {
  // Active blocks all lie from ActiveChainFrom on: only that is read.
  int64_t from = std::numeric_limits<int64_t>::min();
  if (q.active_only) {
    ASSIGN_OR_RETURN(from, ActiveChainFrom(db, q.now_ms, q.session_ms));
  }
  ASSIGN_OR_RETURN(std::vector<BlockEntry> entries, ReadEntries(db, from));
  std::vector<BillingBlock> all = IdentifyBlocks(entries, q.now_ms, q.session_ms);
  RETURN_IF_ERROR(AttachUsageLimits(db, all));
  return FilterBlocks(std::move(all), q);
}

std::vector<BillingBlock> FilterBlocks(std::vector<BillingBlock> all, const BlocksQuery& q) {
  std::vector<BillingBlock> out;
  for (BillingBlock& b : all) {
    const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMillis(b.start_ms), q.tz);
    if (q.since && day < *q.since) continue;
    if (q.until && day > *q.until) continue;
    if (q.recent && !(b.start_ms >= q.now_ms - kRecentMs || b.is_active)) continue;
    if (q.active_only && !b.is_active) continue;
    out.push_back(std::move(b));
  }
  return out;
}

namespace {

// The active block among the blocks from a recorded first entry on.
absl::StatusOr<std::optional<BillingBlock>> ActiveFrom(Db& db, const std::vector<BlockEntry>& chain, int64_t now_ms,
                                                       int64_t session_ms) {
  for (BillingBlock& b : IdentifyBlocks(chain, now_ms, session_ms)) {
    if (!b.is_active) continue;
    std::vector<BillingBlock> one = {std::move(b)};
    RETURN_IF_ERROR(AttachUsageLimits(db, one));
    return std::move(one.front());
  }
  return std::nullopt;
}

// The times of the winners from `from_ms` on, ascending (the time index
// alone).
absl::StatusOr<Stmt> WinnerTimesFrom(Db& db, int64_t from_ms) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT timestamp_ms FROM usage_winners INDEXED BY usage_winners_time"
                                      " WHERE timestamp_ms >= ? ORDER BY timestamp_ms"));
  s.Bind(1, from_ms);
  return s;
}

}  // namespace

absl::Status RefreshBlockStarts(Db& db) {
  ASSIGN_OR_RETURN(Stmt state, db.Prepare("SELECT dirty_from_ms, dirty_to_ms FROM billing_blocks_state"));
  ASSIGN_OR_RETURN(bool row, state.Step());
  if (!row || state.ColumnIsNull(0)) return absl::OkStatus();
  const int64_t changed_from = state.ColumnInt(0);
  const int64_t changed_to = state.ColumnIsNull(1) ? std::numeric_limits<int64_t>::max() : state.ColumnInt(1);
  state.Reset();
  // Every winner before the first change is as it was, so the last start
  // recorded before it still starts a block and the walk may begin there.
  ASSIGN_OR_RETURN(Stmt before, db.Prepare("SELECT max(first_entry_ms) FROM billing_block_starts"
                                           " WHERE first_entry_ms < ?"));
  before.Bind(1, changed_from);
  ASSIGN_OR_RETURN(row, before.Step());
  const int64_t low = row && !before.ColumnIsNull(0) ? before.ColumnInt(0) : std::numeric_limits<int64_t>::min();
  before.Reset();
  ASSIGN_OR_RETURN(Stmt recorded, db.Prepare("SELECT 1 FROM billing_block_starts WHERE first_entry_ms = ?"));
  ASSIGN_OR_RETURN(Stmt times, WinnerTimesFrom(db, low));
  std::vector<int64_t> starts;
  int64_t high = std::numeric_limits<int64_t>::max();
  std::optional<int64_t> previous;
  absl::Status inner;
  RETURN_IF_ERROR(times.ForEachRow([&](const Stmt& r) {
    const int64_t t = r.ColumnInt(0);
    if (!previous.has_value() || StartsNewBlock(BlockStartOf(starts.back()), *previous, t, kDefaultSessionMs)) {
      if (t > changed_to) {
        // Past every change, a start the old walk also had: the same
        // winners follow it, so the same blocks do.
        recorded.Bind(1, t);
        absl::StatusOr<bool> known = recorded.Step();
        recorded.Reset();
        if (!known.ok()) {
          inner = known.status();
          return false;
        }
        if (*known) {
          high = t;
          return false;
        }
      }
      starts.push_back(t);
    }
    previous = t;
    return true;
  }));
  RETURN_IF_ERROR(inner);
  ASSIGN_OR_RETURN(Stmt drop, db.Prepare("DELETE FROM billing_block_starts WHERE first_entry_ms >= ? AND first_entry_ms < ?"));
  RETURN_IF_ERROR(drop.Bind(1, low).Bind(2, high).Run());
  ASSIGN_OR_RETURN(Stmt add, db.Prepare("INSERT INTO billing_block_starts(first_entry_ms) VALUES (?)"));
  for (int64_t t : starts) RETURN_IF_ERROR(add.Bind(1, t).Run());
  return db.Exec("UPDATE billing_blocks_state SET dirty_from_ms = NULL, dirty_to_ms = NULL");
}

absl::StatusOr<int64_t> BlockStartMismatches(Db& db, std::vector<std::string>* examples) {
  ASSIGN_OR_RETURN(std::optional<int64_t> known,
                   db.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'billing_block_starts'"));
  if (known.value_or(0) == 0) return 0;
  int64_t n = 0;
  auto example = [&](const std::string& text) {
    if (examples->size() < 20) examples->push_back(text);
    ++n;
  };
  ASSIGN_OR_RETURN(std::optional<int64_t> dirty, db.QueryInt("SELECT dirty_from_ms FROM billing_blocks_state"));
  if (dirty.has_value()) {
    example(absl::StrCat("billing_blocks_state: block starts not brought up to date from ", IsoUtcMs(*dirty)));
  }
  std::vector<int64_t> times;
  ASSIGN_OR_RETURN(Stmt all, WinnerTimesFrom(db, std::numeric_limits<int64_t>::min()));
  RETURN_IF_ERROR(all.ForEachRow([&times](const Stmt& r) {
    times.push_back(r.ColumnInt(0));
    return true;
  }));
  const std::vector<int64_t> expected = BlockFirstEntries(times);
  std::vector<int64_t> stored;
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT first_entry_ms FROM billing_block_starts ORDER BY first_entry_ms"));
  RETURN_IF_ERROR(s.ForEachRow([&stored](const Stmt& r) {
    stored.push_back(r.ColumnInt(0));
    return true;
  }));
  size_t i = 0, j = 0;
  while (i < expected.size() || j < stored.size()) {
    if (j == stored.size() || (i < expected.size() && expected[i] < stored[j])) {
      example(absl::StrCat("billing_block_starts: a block starting at ", IsoUtcMs(expected[i++]), " is not recorded"));
    } else if (i == expected.size() || stored[j] < expected[i]) {
      example(absl::StrCat("billing_block_starts: ", IsoUtcMs(stored[j++]), " is recorded but starts no block"));
    } else {
      ++i;
      ++j;
    }
  }
  return n;
}

absl::StatusOr<std::optional<BillingBlock>> LoadActiveBlock(Db& db, int64_t now_ms, int64_t session_ms) {
  ASSIGN_OR_RETURN(int64_t from, ActiveChainFrom(db, now_ms, session_ms));
  ASSIGN_OR_RETURN(std::vector<BlockEntry> entries, ReadEntries(db, from));
  return ActiveFrom(db, entries, now_ms, session_ms);
}

absl::StatusOr<int64_t> LoadMaxCompletedBlockTokens(Db& db, int64_t now_ms, int64_t session_ms) {
  if (session_ms <= 0 || session_ms % kHourMs != 0) {
    BlocksQuery all;
    all.now_ms = now_ms;
    all.session_ms = session_ms;
    ASSIGN_OR_RETURN(std::vector<BillingBlock> every, LoadBlocks(db, all));
    return MaxCompletedBlockTokens(every);
  }
  // A block starts on the hour of its first entry and holds every entry up
  // to session_ms later (IdentifyBlocks splits only past it, and no gap
  // longer than session_ms fits inside), so with whole-hour lengths a block
  // is a run of whole hours of the hourly rollups, plus any entry stamped
  // exactly at its end. The next block starts at the next hour with usage.
  struct Hour {
    int64_t hour_ms;
    int64_t tokens;
    int64_t calls;
  };
  std::vector<Hour> hours;
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(
                               "SELECT hour_ms, sum(input_tokens + output_tokens + cache_creation_tokens +"
                               " cache_read_tokens), sum(api_calls) FROM token_rollups_hourly GROUP BY hour_ms"
                               " HAVING sum(api_calls) > 0 ORDER BY hour_ms"));
  RETURN_IF_ERROR(s.ForEachRow([&](const Stmt& r) {
    hours.push_back(Hour{r.ColumnInt(0), r.ColumnInt(1), r.ColumnInt(2)});
    return true;
  }));
  ASSIGN_OR_RETURN(Stmt at, db.Prepare(
                                "SELECT count(*), coalesce(sum(input_tokens + output_tokens + cache_creation_tokens +"
                                " cache_read_tokens), 0) FROM usage_winners INDEXED BY usage_winners_time"
                                " WHERE timestamp_ms = ?"));
  int64_t max = 0;
  // The hour whose entries stamped exactly on it went to the block before.
  int64_t consumed_on = std::numeric_limits<int64_t>::min();
  size_t i = 0;
  while (i < hours.size()) {
    const int64_t start = hours[i].hour_ms;
    const int64_t end = start + session_ms;
    if (end > now_ms) break;  // may be active: the entries from here decide
    int64_t tokens = 0;
    for (; i < hours.size() && hours[i].hour_ms < end; ++i) tokens += hours[i].tokens;
    if (i < hours.size() && hours[i].hour_ms == end) {
      at.Bind(1, end);
      ASSIGN_OR_RETURN(bool row, at.Step());
      const int64_t on_end = row ? at.ColumnInt(0) : 0;
      const int64_t on_end_tokens = row ? at.ColumnInt(1) : 0;
      at.Reset();
      if (on_end > 0) {
        tokens += on_end_tokens;
        hours[i].tokens -= on_end_tokens;
        hours[i].calls -= on_end;
        consumed_on = end;
        if (hours[i].calls == 0) ++i;  // else the later entries start the next block on this hour
      }
    }
    max = std::max(max, tokens);
  }
  if (i < hours.size()) {
    const int64_t from = hours[i].hour_ms + (hours[i].hour_ms == consumed_on ? 1 : 0);
    ASSIGN_OR_RETURN(std::vector<BlockEntry> entries, ReadEntries(db, from));
    max = std::max(max, MaxCompletedBlockTokens(IdentifyBlocks(entries, now_ms, session_ms)));
  }
  return max;
}

int64_t MaxCompletedBlockTokens(const std::vector<BillingBlock>& blocks) {
  int64_t max = 0;
  for (const BillingBlock& b : blocks) {
    if (!b.is_gap && !b.is_active) max = std::max(max, b.tokens.total());
  }
  return max;
}

std::optional<TokenLimitStatus> LimitStatus(const BillingBlock& block, std::optional<int64_t> limit) {
  if (!limit.has_value() || *limit <= 0 || !block.projection.has_value()) return std::nullopt;
  TokenLimitStatus s;
  s.limit = *limit;
  s.projected = block.projection->total_tokens;
  s.percent_used = static_cast<double>(s.projected) / static_cast<double>(s.limit) * 100;
  s.status = s.projected > s.limit                                       ? "exceeds"
             : static_cast<double>(s.projected) > static_cast<double>(s.limit) * 0.8 ? "warning"
                                                                                    : "ok";
  return s;
}

std::string BlocksJson(const std::vector<BillingBlock>& blocks, std::optional<int64_t> token_limit) {
  JsonWriter j;
  j.BeginObject().Key("blocks").BeginArray();
  for (const BillingBlock& b : blocks) {
    j.BeginObject();
    if (b.actual_end_ms.has_value()) {
      j.Field("actualEndTime", IsoUtcMs(*b.actual_end_ms));
    } else {
      j.Key("actualEndTime").Null();
    }
    j.Key("burnRate");
    if (b.burn_rate.has_value()) {
      j.BeginObject()
          .Field("costPerHour", b.burn_rate->cost_per_hour_usd)
          .Field("tokensPerMinute", b.burn_rate->tokens_per_minute)
          .Field("tokensPerMinuteForIndicator", b.burn_rate->tokens_per_minute_for_indicator)
          .EndObject();
    } else {
      j.Null();
    }
    j.Field("costUSD", static_cast<double>(b.tokens.cost_nanousd) / 1e9)
        .Field("endTime", IsoUtcMs(b.end_ms))
        .Field("entries", b.entries)
        .Field("id", b.id)
        .Field("isActive", b.is_active)
        .Field("isGap", b.is_gap);
    j.Key("models").BeginArray();
    for (const std::string& m : b.models) j.String(m);
    j.EndArray();
    j.Key("projection");
    if (b.projection.has_value()) {
      j.BeginObject()
          .Field("remainingMinutes", b.projection->remaining_minutes)
          .Field("totalCost", b.projection->total_cost_usd)
          .Field("totalTokens", b.projection->total_tokens)
          .EndObject();
    } else {
      j.Null();
    }
    j.Field("startTime", IsoUtcMs(b.start_ms));
    j.Key("tokenCounts")
        .BeginObject()
        .Field("cacheCreationInputTokens", b.tokens.cache_creation)
        .Field("cacheReadInputTokens", b.tokens.cache_read)
        .Field("inputTokens", b.tokens.input)
        .Field("outputTokens", b.tokens.output)
        .EndObject();
    if (std::optional<TokenLimitStatus> s = LimitStatus(b, token_limit); s.has_value()) {
      j.Key("tokenLimitStatus")
          .BeginObject()
          .Field("limit", s->limit)
          .Field("percentUsed", s->percent_used)
          .Field("projectedUsage", s->projected)
          .Field("status", s->status)
          .EndObject();
    }
    j.Field("totalTokens", b.tokens.total());
    if (b.usage_limit_reset_ms.has_value()) j.Field("usageLimitResetTime", IsoUtcMs(*b.usage_limit_reset_ms));
    j.EndObject();
  }
  j.EndArray().EndObject();
  return j.str();
}

}  // namespace cco

// The Deriver (deriver.h) over SQLite: applies the derived-data rules
// (derive.h) inside the writer's transaction: tool executions, usage
// winners, rollup deltas, conversation stats and titles. Every change is
// "subtract the old contribution, add the new one", so the rollups always
// equal a recompute over the stored rows.
//
// Thread-safety: writer thread only; shares the store's connection and
// transaction.
#ifndef CCO_SRC_SQLITE_DERIVER_H_
#define CCO_SRC_SQLITE_DERIVER_H_

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "src/derive.h"
#include "src/deriver.h"
#include "src/record.h"
#include "src/sqlite.h"

namespace cco {

class SqliteDeriver final : public Deriver {
 public:
  // REQUIRES: `db` outlives the deriver and has the 0002 schema.
  static absl::StatusOr<std::unique_ptr<SqliteDeriver>> Create(Db& db);

  absl::Status OnMessage(const LineRecord& rec, const RowContext& ctx) override;
  absl::Status OnEvent(const LineRecord& rec, const RowContext& ctx) override;
  absl::Status OnMessageRevised(const LineRecord& rec, const RowContext& ctx, bool shown,
                                const StoredMessage& old) override;
  absl::Status OnEventRevised(const LineRecord& rec, const RowContext& ctx, bool shown) override;
  // Writes the tool executions and analytics deltas this transaction
  // changed: each execution once, in its final state of the transaction
  // (its old contribution out, its new one in); each analytics key once,
  // deleted when its value falls to 0.
  absl::Status Flush() override;
  void Discard() override;

 private:
  struct Winner;
  struct Execution {
    int64_t id = 0;  // 0: not stored yet
    std::string tool_use_id;
    std::optional<int64_t> conversation_id, project_id, use_message_id, result_message_id;
    std::string tool_name, model, input, status = kToolPending, output;
    std::optional<int64_t> started_ms, completed_ms, duration_ms;
    std::optional<int64_t> tool_duration_ms;  // the tool's own, from its result
  };
  // A tool execution as this transaction found it and as it leaves it.
  struct StagedExecution {
    std::optional<Execution> stored;   // in the table before this transaction
    std::optional<Execution> current;  // as this transaction leaves it
    bool changed = false;
  };

  explicit SqliteDeriver(Db& db) : db_(db) {}
  absl::Status Prepare();
  absl::Status LoadPrices();

  absl::Status ApplyUsage(const UsageCopy& copy, const LineRecord& rec, const char* source,
                          const RowContext& ctx);
  absl::Status StoreWinner(const Winner& w);
  static void LoadWinner(const Stmt& s, Winner* w);
  const ModelPrice* PriceOf(const std::string& model) const;
  absl::Status ApplyWinnerContribution(const Winner& w, int sign);
  absl::Status OnToolUse(const ToolUse& use, const LineRecord& rec, const RowContext& ctx);
  absl::Status OnToolResult(const ToolResult& result, const LineRecord& rec, const RowContext& ctx);
  absl::Status ApplyExecutionContribution(const Execution& e, int sign);
  absl::Status SaveExecution(const Execution& e);
  absl::StatusOr<std::optional<Execution>> LoadExecution(const std::string& tool_use_id);
  // Keeps `e` as the execution's state in this transaction, for Flush.
  void StageExecution(Execution e);
  absl::Status AddRollup(int64_t bucket, int64_t project_id, const std::string& model,
                         const std::string& metric, int64_t delta);
  absl::Status OfferTitle(int64_t conversation_id, const std::string& title, const std::string& source,
                          int64_t event_id);

  using RollupKey = std::tuple<int64_t, int64_t, std::string, std::string>;  // bucket, project, model, metric

  Db& db_;
  absl::flat_hash_map<std::string, ModelPrice> prices_;
  absl::flat_hash_map<std::string, StagedExecution> staged_;  // by tool_use_id: read or changed
  std::vector<std::string> changed_;                           // staged_ keys changed, in order
  absl::flat_hash_map<RollupKey, int64_t> rollup_deltas_;
  std::vector<RollupKey> rollup_order_;                        // rollup_deltas_ keys, in order
  std::optional<Stmt> add_rollup_, delete_zero_rollup_, add_token_rollup_, add_session_rollup_, add_hourly_rollup_;
  std::optional<Stmt> select_winner_, insert_winner_, select_slots_by_api_id_;
  std::optional<Stmt> add_conversation_tokens_, add_conversation_tools_;
  std::optional<Stmt> select_execution_, upsert_execution_;
  std::optional<Stmt> insert_pending_title_, select_pending_titles_, select_leaf_conversations_;
  std::optional<Stmt> select_title_, update_title_;
  std::optional<Stmt> upsert_usage_limit_, delete_usage_limit_;
};

}  // namespace cco

#endif  // CCO_SRC_SQLITE_DERIVER_H_

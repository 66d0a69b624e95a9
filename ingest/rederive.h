// Rebuilds every table derived from the stored lines — usage winners and
// costs, token and activity rollups, tool executions, conversation stats and
// titles, and each message's searchable text and token columns — by parsing
// every stored line again (messages.raw, events.raw) with today's parser and
// applying today's rules and price table, exactly as ingest would.
//
// Why: the derived data of a database is only as right as the rules and
// prices it was built with. A user whose model was unknown at ingest time
// had $0 for it; after the price table learns the model (a migration), a
// rederive prices it. A migration that changes a rule or a price adds a row
// to rederive_requests; the writer rederives before it ingests
// (RederiveIfRequested), and `cco rederive` does it on demand.
//
// All in one transaction: killed half-way, nothing changed and the request is
// still there, so the next writer does it again (resumable). Before it
// commits, the result is verified with the same recompute `cco check` runs
// (check.h); a mismatch rolls everything back.
//
// Not rebuilt: what only the source files know. Earlier revisions of a
// rewritten line and copies recorded as duplicates were never stored, so a
// copy that is not a stored row offers no usage (see docs/token-accounting.md).
//
// REQUIRES: the caller holds the database's writer lock (lock.h).
#ifndef CCO_INGEST_REDERIVE_H_
#define CCO_INGEST_REDERIVE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

// Calls whose model has no price, per model, after the rebuild.
struct UnpricedModel {
  std::string model;
  int64_t calls = 0;
  int64_t tokens = 0;
};

struct RederiveReport {
  int64_t messages = 0;         // rows parsed again
  int64_t events = 0;
  int64_t unparsable = 0;       // stored rows today's parser rejects (left as they are, counted)
  int64_t rows_updated = 0;     // messages whose searchable text or token columns changed
  int64_t api_calls = 0;        // usage winners after
  int64_t unpriced_calls = 0;
  int64_t cost_before_nanousd = 0;
  int64_t cost_after_nanousd = 0;
  std::vector<UnpricedModel> unpriced;   // by model name
  std::vector<std::string> requests;     // rederive_requests rows this rebuild answered
};

// Rebuilds the derived data of `db` (migrated, read-write) in one
// transaction and clears rederive_requests. Errors: the database's own; an
// Internal error when the result does not equal the recompute (rolled back).
absl::StatusOr<RederiveReport> Rederive(Db& db);

// Opens and migrates the database at `path`; when rederive_requests has a
// row, rederives and returns the report, else nullopt.
absl::StatusOr<std::optional<RederiveReport>> RederiveIfRequested(const std::string& path);

}  // namespace cco

#endif  // CCO_INGEST_REDERIVE_H_

// `cco export --format jsonl` of one session, shared with `cco serve`'s
// /api/conversation/SESSION, which answers the same bytes.
#ifndef CCO_CLI_CONVERSATION_EXPORT_H_
#define CCO_CLI_CONVERSATION_EXPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "src/sqlite.h"

namespace cco {

struct ExportCounts {
  int64_t lines = 0;
  int64_t truncated = 0;  // over-long lines: only a prefix is stored
  int64_t missing = 0;    // a duplicate whose stored copy is gone
};

// Appends the stored lines of `session` (exact id), byte-exact, one per
// line: the main transcript, then each agent's (SessionFiles' order).
absl::Status ExportJsonl(Db& db, const std::string& session, std::string* out, ExportCounts* counts);

}  // namespace cco

#endif  // CCO_CLI_CONVERSATION_EXPORT_H_

// Which revision of a keyed line a row shows. Claude Code rewrites history:
// a transcript replaced atomically with the same uuids but the final usage
// filled in, or a same-uuid copy appended after a compaction boundary. A
// keyed line (a uuid within its session) seen again with other bytes is a
// revision of the stored row; the row shows the revision this order ranks
// first, so any arrival order gives the same database:
//   1. a final stop_reason (a finished response) over none (a streamed block),
//   2. then the larger usage total (input + output + cache write + cache read),
//   3. then the longer line, then the larger bytes (a strict total order).
// Pure; the store applies it (sqlite_store.cc).
#ifndef CCO_SRC_REVISION_H_
#define CCO_SRC_REVISION_H_

#include <cstdint>
#include <string_view>

namespace cco {

struct Revision {
  bool has_stop_reason = false;
  int64_t usage_total = 0;
  std::string_view raw;  // the line's bytes
};

// True when `a` should be shown instead of `b`. Identical lines never beat
// each other (a duplicate, not a revision).
bool RevisionBeats(const Revision& a, const Revision& b);

}  // namespace cco

#endif  // CCO_SRC_REVISION_H_

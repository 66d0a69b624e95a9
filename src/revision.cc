#include "src/revision.h"

namespace cco {

bool RevisionBeats(const Revision& a, const Revision& b) {
  if (a.has_stop_reason != b.has_stop_reason) return a.has_stop_reason;
  if (a.usage_total != b.usage_total) return a.usage_total > b.usage_total;
  if (a.raw.size() != b.raw.size()) return a.raw.size() > b.raw.size();
  return a.raw > b.raw;
}

}  // namespace cco

// A one-line progress bar on stderr for a pass over the transcripts: files,
// bytes, rate, ETA. Drawn only when enabled (stderr is a terminal), redrawn
// at most every 100 ms, and erased (the line cleared) by Finish().
#ifndef CCO_CLI_PROGRESS_H_
#define CCO_CLI_PROGRESS_H_

#include "absl/time/time.h"
#include "ingest/scanner.h"

namespace cco {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(absl::Now()) {}
  void Update(const ScanProgress& p);
  // Clears the bar's line if it was drawn; Update() draws it again.
  void Finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  absl::Time start_;
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace cco

#endif  // CCO_CLI_PROGRESS_H_

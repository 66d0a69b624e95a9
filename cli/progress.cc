#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/format.h"

namespace cco {

void ProgressBar::Update(const ScanProgress& p) {
  if (!enabled_) return;
  absl::Time now = absl::Now();
  if (now - last_ < absl::Milliseconds(100) && p.files_done < p.files_total) return;
  last_ = now;
  double secs = std::max(1e-3, absl::ToDoubleSeconds(now - start_));
  double rate = static_cast<double>(p.bytes_done) / secs;
  double frac = p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total)
                                  : 1.0;
  frac = std::min(frac, 1.0);
  std::string eta = "--";
  if (rate > 0 && p.bytes_total > p.bytes_done) {
    eta = absl::StrFormat("%.0fs", static_cast<double>(p.bytes_total - p.bytes_done) / rate);
  } else if (p.bytes_done >= p.bytes_total) {
    eta = "0s";
  }
  const std::string text = absl::StrFormat(
      "%3.0f%%  files %lld/%lld  %s/%s  %s/s  ETA %s", frac * 100, static_cast<long long>(p.files_done),
      static_cast<long long>(p.files_total), HumanBytes(static_cast<double>(p.bytes_done)),
      HumanBytes(static_cast<double>(p.bytes_total)), HumanBytes(rate), eta);
  // One line that never wraps: a wrapped line cannot be redrawn or erased
  // with "\r", and would be left behind cut in two.
  struct winsize ws {};
  const int columns = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  const int room = columns - 1 - static_cast<int>(text.size()) - 3;
  const int width = std::min(24, room);
  std::string line;
  if (width >= 6) {
    const int filled = static_cast<int>(frac * width);
    line = "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.') +
           "] ";
  }
  line += text;
  if (static_cast<int>(line.size()) > columns - 1) line.resize(static_cast<size_t>(std::max(0, columns - 1)));
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (drawn_) std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

}  // namespace cco

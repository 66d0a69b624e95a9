#include "cli/table.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cli/flags.h"

namespace cco {
namespace {

constexpr char kBold[] = "\033[1m";
constexpr char kDim[] = "\033[2m";
constexpr char kReset[] = "\033[0m";
constexpr size_t kSeparator = 2;   // spaces between columns
constexpr size_t kMinShrunk = 8;   // a cut column keeps at least this many

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The first (or, with `from_end`, last) `n` code points of `s`.
std::string TakeCodePoints(const std::string& s, size_t n, bool from_end) {
  if (!from_end) {
    size_t count = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (!IsContinuation(s[i]) && count++ == n) return s.substr(0, i);
    }
    return s;
  }
  size_t count = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (!IsContinuation(s[i]) && ++count == n) return s.substr(i);
  }
  return s;
}

std::string Fit(const std::string& s, size_t width, bool cut_left) {
  if (DisplayWidth(s) <= width) return s;
  if (width == 0) return "";
  if (!cut_left) return TakeCodePoints(s, width - 1, false) + "…";
  // A path keeps whole components when it can: "…/src/app", not "…rc/app".
  std::string tail = TakeCodePoints(s, width - 1, true);
  if (const size_t slash = tail.find('/'); slash != std::string::npos && slash > 0 && slash + 1 < tail.size()) {
    tail = tail.substr(slash);
  }
  return "…" + tail;
}

}  // namespace

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += IsContinuation(c) ? 0 : 1;
  return n;
}

TableStyle StdoutStyle(bool compact) {
  TableStyle style;
  style.compact = compact;
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  struct winsize ws {};
  if (tty && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    style.width = ws.ws_col;
  } else if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    int value = 0;
    if (absl::SimpleAtoi(columns, &value) && value > 0) style.width = value;
  }
  style.color = tty && !NoColorFromEnvironment();
  return style;
}

void Table::AddRow(std::vector<std::string> cells, RowKind kind) {
  cells.resize(columns_.size());
  rows_.push_back({std::move(cells), kind});
}

std::string Table::Render(const TableStyle& style) const {
  // Natural width of each column: its header and its longest cell line.
  std::vector<size_t> natural(columns_.size(), 0);
  for (size_t c = 0; c < columns_.size(); ++c) {
    natural[c] = DisplayWidth(columns_[c].header);
    for (const Row& row : rows_) {
      for (absl::string_view line : absl::StrSplit(row.cells[c], '\n')) {
        natural[c] = std::max(natural[c], DisplayWidth(std::string(line)));
      }
    }
  }
  auto total_width = [&](const std::vector<size_t>& shown, const std::vector<size_t>& width) {
    size_t sum = 0;
    for (size_t c : shown) sum += width[c];
    return shown.empty() ? 0 : sum + kSeparator * (shown.size() - 1);
  };
  std::vector<size_t> shown;
  for (size_t c = 0; c < columns_.size(); ++c) shown.push_back(c);
  const size_t limit = style.width > 0 ? static_cast<size_t>(style.width) : SIZE_MAX;
  if (style.compact || total_width(shown, natural) > limit) {
    shown.clear();
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c].compact) shown.push_back(c);
    }
  }
  // Still too wide: cut the widest shrinkable column, one code point at a
  // time, until it fits or none can give more.
  std::vector<size_t> width = natural;
  while (total_width(shown, width) > limit) {
    size_t widest = SIZE_MAX;
    for (size_t c : shown) {
      if (!columns_[c].shrinkable || width[c] <= kMinShrunk) continue;
      if (widest == SIZE_MAX || width[c] > width[widest]) widest = c;
    }
    if (widest == SIZE_MAX) break;
    --width[widest];
  }

  std::string out;
  auto emit_line = [&](const std::vector<std::string>& cells, const char* color) {
    std::vector<std::vector<std::string>> lines;
    size_t height = 1;
    for (size_t c : shown) {
      lines.push_back(absl::StrSplit(cells[c], '\n'));
      height = std::max(height, lines.back().size());
    }
    for (size_t h = 0; h < height; ++h) {
      std::string line;
      for (size_t i = 0; i < shown.size(); ++i) {
        const size_t c = shown[i];
        const std::string cell = Fit(h < lines[i].size() ? lines[i][h] : "", width[c], columns_[c].cut_left);
        const std::string pad(width[c] - DisplayWidth(cell), ' ');
        const bool last = i + 1 == shown.size();
        line += columns_[c].right ? pad + cell : (last ? cell : cell + pad);
        if (!last) line += std::string(kSeparator, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();  // empty cells at the end
      if (color != nullptr && style.color) line = color + line + kReset;
      out += line + "\n";
    }
  };
  const std::string rule(total_width(shown, width), '-');
  std::vector<std::string> headers;
  for (const TableColumn& column : columns_) headers.push_back(column.header);
  emit_line(headers, kBold);
  out += rule + "\n";
  for (const Row& row : rows_) {
    if (row.kind == RowKind::kTotal) out += rule + "\n";
    emit_line(row.cells, row.kind == RowKind::kTotal ? kBold : row.kind == RowKind::kSub ? kDim : nullptr);
  }
  return out;
}

}  // namespace cco

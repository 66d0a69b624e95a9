#include "src/usage_limit.h"

#include <cctype>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "src/status.h"

namespace cco {
namespace {

constexpr size_t kTextBytes = 200;

// Cuts at a UTF-8 character boundary at most `n` bytes in.
std::string Prefix(absl::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

bool IsNotice(absl::string_view lower) {
  for (absl::string_view start : {"claude ai usage limit reached", "you've hit your", "you\xE2\x80\x99ve hit your",
                                 "you're out of extra usage", "you\xE2\x80\x99re out of extra usage"}) {
    if (absl::StartsWith(lower, start)) return true;
  }
  // "5-hour limit reached ∙ resets 2pm", "Weekly limit reached ∙ …"
  const size_t at = lower.find("limit reached");
  return at != absl::string_view::npos && at < 40;
}

size_t Digits(absl::string_view s, size_t i) {
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

}  // namespace

std::optional<int64_t> ParseUsageLimitReset(std::string_view text_in, int64_t line_ms) {
  const absl::string_view text(text_in.data(), text_in.size());
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  constexpr absl::string_view kEpoch = "claude ai usage limit reached|";
  if (absl::StartsWith(lower, kEpoch)) {
    const size_t end = Digits(lower, kEpoch.size());
    int64_t n = 0;
    const absl::string_view digits = absl::string_view(lower).substr(kEpoch.size(), end - kEpoch.size());
    if (digits.empty() || !absl::SimpleAtoi(digits, &n)) {
      return std::nullopt;
    }
    return n < 1'000'000'000'000 ? n * 1000 : n;
  }
  // "… resets 3:30pm (America/Los_Angeles)", "… resets at 14:00 (Europe/Berlin)"
  size_t i = lower.find("resets ");
  if (i == std::string::npos) return std::nullopt;
  i += 7;
  if (lower.compare(i, 3, "at ") == 0) i += 3;
  size_t end = Digits(lower, i);
  int hour = 0, minute = 0;
  if (end == i || end - i > 2 || !absl::SimpleAtoi(lower.substr(i, end - i), &hour)) return std::nullopt;
  i = end;
  if (i < lower.size() && lower[i] == ':') {
    end = Digits(lower, i + 1);
    if (end - (i + 1) != 2 || !absl::SimpleAtoi(lower.substr(i + 1, 2), &minute)) return std::nullopt;
    i = end;
  }
  if (lower.compare(i, 2, "am") == 0 || lower.compare(i, 2, "pm") == 0) {
    if (hour < 1 || hour > 12) return std::nullopt;
    hour = hour % 12 + (lower[i] == 'p' ? 12 : 0);
    i += 2;
  }
  if (hour > 23 || minute > 59) return std::nullopt;
  // The zone, as Claude Code names it in parentheses (original case).
  const size_t open = text.find('(', i);
  const size_t close = open == absl::string_view::npos ? open : text.find(')', open);
  if (close == absl::string_view::npos) return std::nullopt;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(std::string(text.substr(open + 1, close - open - 1)), &tz)) return std::nullopt;
  const absl::Time line = absl::FromUnixMillis(line_ms);
  const absl::CivilDay day = absl::ToCivilDay(line, tz);
  for (int d = 0; d < 2; ++d) {
    const absl::Time t = absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day() + d, hour, minute), tz);
    if (t > line) return absl::ToUnixMillis(t);
  }
  return std::nullopt;
}

std::optional<UsageLimitNotice> UsageLimitOf(const LineRecord& rec) {
  if (rec.kind != RecordKind::kMessage || rec.type != "assistant" || !rec.timestamp_ms.has_value()) return std::nullopt;
  if (!rec.api_error_message && rec.model != "<synthetic>") return std::nullopt;
  const absl::string_view text = absl::StripAsciiWhitespace(absl::string_view(rec.content));
  if (!IsNotice(absl::AsciiStrToLower(std::string(text.substr(0, 80))))) return std::nullopt;
  UsageLimitNotice n;
  n.timestamp_ms = *rec.timestamp_ms;
  const absl::string_view head = text.substr(0, 400);
  n.reset_ms = ParseUsageLimitReset(std::string_view(head.data(), head.size()), n.timestamp_ms);
  n.text = Prefix(text, kTextBytes);
  return n;
}

absl::StatusOr<std::optional<UsageLimitNotice>> CurrentUsageLimit(Db& db, int64_t now_ms) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT timestamp_ms, reset_ms, text FROM usage_limits"
                                      " WHERE timestamp_ms <= ?1 AND reset_ms > ?1"
                                      " ORDER BY timestamp_ms DESC LIMIT 1"));
  s.Bind(1, now_ms);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<UsageLimitNotice>();
  UsageLimitNotice n;
  n.timestamp_ms = s.ColumnInt(0);
  n.reset_ms = s.ColumnOptionalInt(1);
  n.text = s.ColumnText(2);
  return std::optional<UsageLimitNotice>(std::move(n));
}

}  // namespace cco

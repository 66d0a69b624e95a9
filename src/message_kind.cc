#include "src/message_kind.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "src/text.h"

namespace cco {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Texts Claude Code writes in a user line's place that the person did not
// type (transcript-format.md section 5).
bool IsInjectedText(std::string_view text) {
  static constexpr std::string_view kInjected[] = {
      "<local-command-stdout>", "<local-command-stderr>", "<local-command-caveat>", "<bash-stdout>",
      "<bash-stderr>",          "<system-reminder>",      "<task-notification>",    "Caveat: The messages below were generated",
  };
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\n' || t.front() == '\r' || t.front() == '\t')) {
    t.remove_prefix(1);
  }
  return std::any_of(std::begin(kInjected), std::end(kInjected),
                     [t](std::string_view p) { return StartsWith(t, p); });
}

}  // namespace

std::string_view MessageKindOf(const MessageShape& s) {
  if (s.type == "assistant") {
    if (s.tool_use_blocks > 0) return "tool-use";
    if (s.thinking_blocks > 0 && s.text_blocks == 0) return "thinking";
    return "response";
  }
  if (s.type == "user") {
    if (s.is_compact_summary) return "compaction-summary";
    if (s.tool_result_blocks > 0) return "tool-result";
    if (s.is_meta || IsInjectedText(s.text_start)) return "meta";
    return s.is_sidechain ? "agent-prompt" : "prompt";
  }
  return "system";
}

bool IsMessageKind(std::string_view kind) { return MessageKindCode(kind) != 0; }

int MessageKindCode(std::string_view kind) {
  const auto* at = std::find(std::begin(kMessageKinds), std::end(kMessageKinds), kind);
  return at == std::end(kMessageKinds) ? 0 : static_cast<int>(at - std::begin(kMessageKinds)) + 1;
}

bool IsUnspacedScriptCodePoint(char32_t cp) {
  return (cp >= 0x0E00 && cp <= 0x0EFF)      // Thai, Lao
         || (cp >= 0x0F00 && cp <= 0x0FFF)   // Tibetan
         || (cp >= 0x1000 && cp <= 0x109F)   // Myanmar
         || (cp >= 0x1100 && cp <= 0x11FF)   // Hangul Jamo
         || (cp >= 0x1780 && cp <= 0x17FF)   // Khmer
         || (cp >= 0x2E80 && cp <= 0x2FDF)   // CJK radicals
         || (cp >= 0x3040 && cp <= 0x30FF)   // Hiragana, Katakana
         || (cp >= 0x3100 && cp <= 0x31FF)   // Bopomofo, Hangul compatibility Jamo, Katakana ext.
         || (cp >= 0x3400 && cp <= 0x4DBF)   // CJK extension A
         || (cp >= 0x4E00 && cp <= 0x9FFF)   // CJK unified ideographs
         || (cp >= 0xA960 && cp <= 0xA97F)   // Hangul Jamo extended A
         || (cp >= 0xAC00 && cp <= 0xD7FF)   // Hangul syllables, Jamo extended B
         || (cp >= 0xF900 && cp <= 0xFAFF)   // CJK compatibility ideographs
         || (cp >= 0xFF66 && cp <= 0xFFDC)   // half-width Katakana and Hangul
         || (cp >= 0x20000 && cp <= 0x3FFFF);  // CJK extensions B-H
}

namespace {

// The offset of the first code point of those scripts in `text`, or npos.
// Every such script is at U+0E00 or above, so only a lead byte of 0xE0 or
// more can start one; the other bytes are skipped eight at a time. A byte of
// 0xE0 or more is never a continuation byte, so NextCodePoint, scanning from
// the start, would decode from each one of them just as here.
size_t FindUnspacedScript(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      // A byte b has b >= 0xE0 iff b & 0xE0 == 0xE0: the word's bytes with
      // that pattern become zero bytes of x, found by the usual test.
      const uint64_t x = (w & 0xE0E0E0E0E0E0E0E0ULL) ^ 0xE0E0E0E0E0E0E0E0ULL;
      if (((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (p[i] < 0xE0) {
      ++i;
      continue;
    }
    size_t next = i;
    const int32_t cp = NextCodePoint(text, &next);
    if (cp >= 0 && IsUnspacedScriptCodePoint(static_cast<char32_t>(cp))) return i;
    i = next;
  }
  return std::string_view::npos;
}

// What a code point is beside a split: 0 a separator already (ASCII other
// than letters and digits), 1 part of a word, 2 a character of those
// scripts.
int SplitClass(int32_t cp) {
  if (cp >= 0 && cp < 0x80) {
    const auto c = static_cast<unsigned char>(cp);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? 1 : 0;
  }
  return cp >= 0 && IsUnspacedScriptCodePoint(static_cast<char32_t>(cp)) ? 2 : 1;
}

}  // namespace

bool HasUnspacedScript(std::string_view text) { return FindUnspacedScript(text) != std::string_view::npos; }

std::optional<std::string> SplitUnspacedScript(std::string_view text) {
  const size_t first = FindUnspacedScript(text);
  if (first == std::string_view::npos) return std::nullopt;
  // Nothing before the first such character is split. The code point just
  // before it is ASCII (its own class), or else a word's (a code point of
  // those scripts would have been found first; an invalid byte is a word's).
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  out.append(text.substr(0, first));
  int prev = first == 0 ? 0
             : static_cast<unsigned char>(text[first - 1]) < 0x80 ? SplitClass(static_cast<unsigned char>(text[first - 1]))
                                                                  : 1;
  bool any = false;
  for (size_t i = first; i < text.size();) {
    const size_t start = i;
    const int32_t cp = NextCodePoint(text, &i);
    const int cls = SplitClass(cp);
    if ((cls == 2 && prev != 0) || (prev == 2 && cls != 0)) {
      out.append(kWordSplit);
      any = true;
    }
    out.append(text.substr(start, i - start));
    prev = cls;
  }
  if (!any) return std::nullopt;
  return out;
}

}  // namespace cco

#include "src/message_kind.h"

#include <algorithm>
#include <cstdint>

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

bool HasUnspacedScript(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const int32_t cp = NextCodePoint(text, &i);
    if (cp >= 0 && IsUnspacedScriptCodePoint(static_cast<char32_t>(cp))) return true;
  }
  return false;
}

std::optional<std::string> SplitUnspacedScript(std::string_view text) {
  // Every such script is at U+0E00 or above: a lead byte of 0xE0 or more.
  if (std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xE0; })) {
    return std::nullopt;
  }
  // What a code point is beside a split: 0 a separator already (ASCII other
  // than letters and digits), 1 part of a word, 2 a character of those
  // scripts.
  auto class_of = [](int32_t cp) {
    if (cp >= 0 && cp < 0x80) {
      const auto c = static_cast<unsigned char>(cp);
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? 1 : 0;
    }
    return cp >= 0 && IsUnspacedScriptCodePoint(static_cast<char32_t>(cp)) ? 2 : 1;
  };
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  bool any = false;
  int prev = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const int32_t cp = NextCodePoint(text, &i);
    const int cls = class_of(cp);
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

// Text helpers that keep UTF-8 valid.
#ifndef CCO_SRC_TEXT_H_
#define CCO_SRC_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace cco {

// The longest prefix of `s` of at most `max_bytes` bytes that does not end
// inside a UTF-8 sequence.
inline std::string TruncateUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

// Decodes the UTF-8 character at s[*i] and advances *i past it. An invalid
// sequence (a stray or missing continuation byte, an overlong form, a
// surrogate, beyond U+10FFFF, cut at the end) gives -1 and advances one byte.
inline int32_t NextCodePoint(std::string_view s, size_t* i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char c = p[*i];
  if (c < 0x80) {
    ++*i;
    return c;
  }
  const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || c > 0xF4 || *i + len > s.size()) {
    ++*i;
    return -1;
  }
  int32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) {
    if ((p[*i + k] & 0xC0) != 0x80) {
      ++*i;
      return -1;
    }
    cp = (cp << 6) | (p[*i + k] & 0x3F);
  }
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*i;
    return -1;
  }
  *i += len;
  return cp;
}

// `s` as valid UTF-8 without NUL, for a text column that takes nothing else
// (PostgreSQL's): each byte NextCodePoint refuses (a lone surrogate decoded
// from a JSON escape, a Latin-1 file name) and each NUL becomes U+FFFD.
inline std::string ValidUtf8WithoutNul(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    const int32_t cp = NextCodePoint(s, &i);
    if (cp <= 0) {
      out.append("\xEF\xBF\xBD");
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace cco

#endif  // CCO_SRC_TEXT_H_

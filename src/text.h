// Text helpers that keep UTF-8 valid.
#ifndef CCO_SRC_TEXT_H_
#define CCO_SRC_TEXT_H_

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

}  // namespace cco

#endif  // CCO_SRC_TEXT_H_

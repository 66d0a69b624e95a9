// A conversation (conversation.h) as text for people: the terminal form of
// `cco show` and the Markdown document of `cco export --format md`.
// Prompts and responses in full; thinking, tool calls and tool results
// folded to one line each; sidechain lines and agent transcripts marked.
// Times are UTC.
#ifndef CCO_SRC_RENDER_TEXT_H_
#define CCO_SRC_RENDER_TEXT_H_

#include <string>

#include "src/conversation.h"

namespace cco {

struct TextRenderOptions {
  // Start at this message (messages.uuid): the ones before it are counted,
  // not shown. Empty: from the beginning.
  std::string anchor_uuid;
  // Longest folded line (tool calls, results, thinking), in bytes.
  size_t fold_bytes = 100;
};

// `cco show`: NotFound when `anchor_uuid` is not a message of the
// conversation.
absl::StatusOr<std::string> RenderTerminal(const Conversation& c, const TextRenderOptions& options);

// `cco export --format md`: a Markdown document (a heading per session and
// per agent transcript, prompts and responses as paragraphs, transcript text
// in fenced blocks so that nothing in it is taken as Markdown or HTML).
std::string RenderMarkdown(const Conversation& c);

// "2026-01-02 03:04:05" (UTC) or "--" without a time.
std::string UtcTime(const std::optional<int64_t>& ms);

}  // namespace cco

#endif  // CCO_SRC_RENDER_TEXT_H_

// What a message is to a person reading a conversation: the `kind` column of
// `messages` (docs/schema.md "Message kinds"), and how the word index sees
// scripts written without spaces (docs/schema.md "Full-text search").
//
// Both are pure functions of a parsed line, so the writer (new rows), the
// backfill (rows stored before migration 0015) and rederive give the same
// answer. Rules are from docs/transcript-format.md sections 4-5, 10.
#ifndef CCO_SRC_MESSAGE_KIND_H_
#define CCO_SRC_MESSAGE_KIND_H_

#include <optional>
#include <string>
#include <string_view>

namespace cco {

// The facts of one user/assistant/system line the kind is decided from.
struct MessageShape {
  std::string_view type;     // user | assistant | system
  bool is_meta = false;      // isMeta: injected by Claude Code, not typed
  bool is_sidechain = false; // isSidechain: a subagent's line
  bool is_compact_summary = false;  // isCompactSummary: the summary a compaction wrote
  bool string_content = false;      // message.content is a string (a typed prompt or a wrapper)
  // Blocks of message.content, counted by what they are.
  int text_blocks = 0;       // text, image, document
  int thinking_blocks = 0;   // thinking, redacted_thinking
  int tool_use_blocks = 0;   // tool_use, server_tool_use
  int tool_result_blocks = 0;
  // The searchable text's first bytes: wrappers Claude Code writes around
  // command output (`<local-command-stdout>`, `<bash-stdout>`, …).
  std::string_view text_start;
};

// One of kMessageKinds. Stable values (scripts may compare them).
//   prompt              typed by the person: text (a slash command or `!` bash
//                       input included), or images
//   agent-prompt        the task a subagent was given (a sidechain's user
//                       text, written by the model that started the agent)
//   response            the model's text
//   thinking            the model's thinking, with nothing else on the line
//   tool-use            the model calls a tool (tool_use / server_tool_use)
//   tool-result         a tool's output handed back (user line with tool_result)
//   compaction-summary  the summary that continues a compacted conversation
//   meta                injected by Claude Code (isMeta, caveats, system
//                       reminders, command output, task notifications)
//   system              a system line (hooks, compact boundaries, durations, …)
std::string_view MessageKindOf(const MessageShape& shape);

inline constexpr std::string_view kMessageKinds[] = {
    "prompt", "agent-prompt", "response", "thinking", "tool-use", "tool-result", "compaction-summary", "meta", "system"};

// True when `kind` is one of kMessageKinds.
bool IsMessageKind(std::string_view kind);

// The stored value of `kind` (messages.kind): its place in kMessageKinds,
// from 1 (the view message_kinds names them); 0 for an unknown kind.
int MessageKindCode(std::string_view kind);

// True when `text` (UTF-8) holds a character of a script written without
// spaces between words: Han (CJK ideographs), Hiragana, Katakana, Hangul,
// Thai, Lao, Khmer, Myanmar, Tibetan (messages.trigram, a name kept from
// migration 0015). Invalid UTF-8 bytes are skipped.
bool HasUnspacedScript(std::string_view text);

// The text as the word index tokenizes it: each character of those scripts
// a word of its own. unicode61 sees a run of them (and a word written
// against them, `build-cache后`) as one token; here U+200B ZERO WIDTH SPACE
// (a separator to unicode61) is put between such a character and a letter,
// digit or other character beside it, so `悬空` is found as the phrase of
// its characters and `cache` as a word. Nothing else changes, nor does a
// text without those scripts (nullopt then: use the text as it is).
// Invalid UTF-8 bytes are kept as they are.
std::optional<std::string> SplitUnspacedScript(std::string_view text);

// U+200B as UTF-8: what SplitUnspacedScript inserts (and a snippet drops).
inline constexpr std::string_view kWordSplit = "\xE2\x80\x8B";

// True when `cp` is a code point of one of those scripts.
bool IsUnspacedScriptCodePoint(char32_t cp);

}  // namespace cco

#endif  // CCO_SRC_MESSAGE_KIND_H_

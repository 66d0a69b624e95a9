#include "src/render_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"

namespace cco {
namespace {

std::string PartTitle(const ConversationPart& p) {
  if (p.file.main) return "";
  std::string title = p.file.agent_id.empty() ? "transcript" : absl::StrCat("agent ", p.file.agent_id);
  if (!p.file.agent_type.empty()) absl::StrAppend(&title, " (", p.file.agent_type, ")");
  return title;
}

// One folded line for a block that is not shown in full; "" for text.
std::string Folded(const Block& b, size_t fold) {
  switch (b.kind) {
    case BlockKind::kThinking:
      return absl::StrCat("(thinking) ", OneLine(b.text, fold));
    case BlockKind::kToolUse:
      return absl::StrCat("> ", b.tool_name, " ", OneLine(b.summary.empty() ? b.text : b.summary, fold));
    case BlockKind::kToolResult:
      return absl::StrCat(b.is_error ? "< error: " : "< ", OneLine(b.text, fold));
    case BlockKind::kImage:
    case BlockKind::kOther:
      return b.text;
    case BlockKind::kText:
      break;
  }
  return "";
}

// The message's head: who, when, model, and what marks it.
std::string Head(const ConversationMessage& m) {
  std::string head = absl::StrCat(m.Speaker(), " · ", UtcTime(m.timestamp_ms));
  if (!m.model.empty()) absl::StrAppend(&head, " · ", m.model);
  if (!m.subtype.empty()) absl::StrAppend(&head, " · ", m.subtype);
  if (m.is_sidechain) absl::StrAppend(&head, " · sidechain");
  if (m.is_meta) absl::StrAppend(&head, " · meta");
  return head;
}

std::string SessionHeading(const Conversation& c) {
  std::string out = absl::StrCat("session ", c.session_id, "\nproject ", c.project);
  if (!c.cwd.empty() && c.cwd != c.project) absl::StrAppend(&out, " (", c.cwd, ")");
  absl::StrAppend(&out, "\n");
  if (!c.title.empty()) absl::StrAppend(&out, "title   ", OneLine(c.title, 200), "\n");
  absl::StrAppend(&out, "time    ", UtcTime(c.started_ms), " → ", UtcTime(c.ended_ms), " UTC · ", c.message_count,
                  c.message_count == 1 ? " message" : " messages", "\n");
  return out;
}

}  // namespace

std::string UtcTime(const std::optional<int64_t>& ms) {
  if (!ms.has_value()) return "--";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(*ms), absl::UTCTimeZone());
}

absl::StatusOr<std::string> RenderTerminal(const Conversation& c, const TextRenderOptions& options) {
  bool started = options.anchor_uuid.empty();
  int64_t skipped = 0;
  if (!started) {
    bool found = false;
    for (const ConversationPart& p : c.parts) {
      for (const ConversationMessage& m : p.messages) found = found || m.uuid == options.anchor_uuid;
    }
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("no message '", options.anchor_uuid, "' in session ", c.session_id));
    }
  }
  std::string body;
  for (const ConversationPart& p : c.parts) {
    const std::string title = PartTitle(p);
    bool titled = false;
    for (const ConversationMessage& m : p.messages) {
      if (!started && m.uuid == options.anchor_uuid) started = true;
      if (!started) {
        ++skipped;
        continue;
      }
      if (!title.empty() && !titled) {
        absl::StrAppend(&body, "\n══ ", title, " · ", p.messages.size(), " messages · ", p.file.path, " ══\n");
        titled = true;
      }
      const std::string mark = p.file.main ? "" : "│ ";
      absl::StrAppend(&body, "\n", mark, "── ", Head(m), "\n");
      for (const Block& b : m.blocks) {
        if (b.kind == BlockKind::kText && !m.is_meta && m.type != "system") {
          if (b.text.find_first_not_of(" \t\r\n") == std::string::npos) continue;
          std::string text = b.text;
          if (!mark.empty()) text = absl::StrReplaceAll(text, {{"\n", "\n" + mark}});
          absl::StrAppend(&body, mark, text, "\n");
        } else if (b.kind == BlockKind::kText) {
          absl::StrAppend(&body, mark, "  ", OneLine(b.text, options.fold_bytes), "\n");
        } else {
          absl::StrAppend(&body, mark, "  ", Folded(b, options.fold_bytes), "\n");
        }
      }
    }
  }
  std::string out = SessionHeading(c);
  if (skipped > 0) {
    absl::StrAppend(&out, "(from message ", options.anchor_uuid, "; ", skipped, " earlier ",
                    skipped == 1 ? "message" : "messages", " not shown)\n");
  }
  return out + body;
}

std::string RenderMarkdown(const Conversation& c) {
  // Fences longer than any run of backticks in the text, so that nothing
  // inside ends them.
  auto fenced = [](const std::string& text) {
    size_t longest = 0, run = 0;
    for (char ch : text) {
      run = ch == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    const std::string fence(std::max<size_t>(3, longest + 1), '`');
    return absl::StrCat(fence, "text\n", text, text.empty() || text.back() != '\n' ? "\n" : "", fence, "\n");
  };
  auto inline_code = [](const std::string& text) {
    // One line, in a code span whose backticks outnumber the text's.
    size_t longest = 0, run = 0;
    for (char ch : text) {
      run = ch == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    const std::string ticks(longest + 1, '`');
    return absl::StrCat(ticks, " ", text, " ", ticks);
  };
  std::string out = absl::StrCat("# Session ", inline_code(c.session_id), "\n\n");
  absl::StrAppend(&out, "- project: ", inline_code(c.project), "\n");
  if (!c.title.empty()) absl::StrAppend(&out, "- title: ", inline_code(OneLine(c.title, 200)), "\n");
  absl::StrAppend(&out, "- time: ", UtcTime(c.started_ms), " → ", UtcTime(c.ended_ms), " UTC\n- messages: ",
                  c.message_count, "\n");
  for (const ConversationPart& p : c.parts) {
    if (!p.file.main) absl::StrAppend(&out, "\n## ", inline_code(PartTitle(p)), "\n");
    for (const ConversationMessage& m : p.messages) {
      absl::StrAppend(&out, "\n### ", inline_code(Head(m)), "\n\n");
      for (const Block& b : m.blocks) {
        if (b.kind == BlockKind::kText && !m.is_meta && m.type != "system") {
          if (!b.text.empty()) absl::StrAppend(&out, fenced(b.text), "\n");
        } else if (b.kind == BlockKind::kText) {
          absl::StrAppend(&out, "- ", inline_code(OneLine(b.text, 200)), "\n");
        } else {
          absl::StrAppend(&out, "- ", inline_code(Folded(b, 200)), "\n");
        }
      }
    }
  }
  return out;
}

}  // namespace cco

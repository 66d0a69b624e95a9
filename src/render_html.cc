#include "src/render_html.h"

#include "absl/strings/str_cat.h"
#include "src/render_text.h"

namespace cco {
namespace {

const char* Role(const ConversationMessage& m) {
  if (m.type == "user") return m.IsPrompt() ? "cco-prompt" : "cco-user";
  if (m.type == "assistant") return "cco-response";
  return "cco-system";
}

void AppendBlock(const Block& b, bool full_text, std::string* out) {
  switch (b.kind) {
    case BlockKind::kText:
      if (b.text.empty()) return;
      if (full_text) {
        absl::StrAppend(out, "<div class=\"cco-text\">", HtmlEscape(b.text), "</div>\n");
      } else {
        absl::StrAppend(out, "<div class=\"cco-fold\">", HtmlEscape(OneLine(b.text, 300)), "</div>\n");
      }
      return;
    case BlockKind::kThinking:
      absl::StrAppend(out, "<details class=\"cco-thinking\"><summary>thinking: ", HtmlEscape(OneLine(b.text, 120)),
                      "</summary><div class=\"cco-text\">", HtmlEscape(b.text), "</div></details>\n");
      return;
    case BlockKind::kToolUse:
      absl::StrAppend(out, "<details class=\"cco-tool-use\"><summary><b>", HtmlEscape(b.tool_name), "</b> ",
                      HtmlEscape(OneLine(b.summary.empty() ? b.text : b.summary, 160)),
                      "</summary><pre>", HtmlEscape(b.text), "</pre></details>\n");
      return;
    case BlockKind::kToolResult:
      absl::StrAppend(out, "<details class=\"cco-tool-result", b.is_error ? " cco-error" : "", "\"><summary>",
                      b.is_error ? "error: " : "result: ", HtmlEscape(OneLine(b.text, 160)), "</summary><pre>",
                      HtmlEscape(b.text), "</pre></details>\n");
      return;
    case BlockKind::kImage:
    case BlockKind::kOther:
      absl::StrAppend(out, "<div class=\"cco-fold\">", HtmlEscape(b.text), "</div>\n");
      return;
  }
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\0': out += "\xEF\xBF\xBD"; break;  // U+FFFD, as a browser would show it
      default: out += ch;
    }
  }
  return out;
}

std::string RenderConversationHtml(const Conversation& c, const HtmlRenderOptions& options) {
  std::string out = absl::StrCat("<article class=\"cco-conversation\">\n<header><h1>",
                                 HtmlEscape(c.title.empty() ? c.session_id : OneLine(c.title, 200)),
                                 "</h1>\n<dl><dt>session</dt><dd><code>", HtmlEscape(c.session_id),
                                 "</code></dd><dt>project</dt><dd><code>", HtmlEscape(c.project), "</code></dd>");
  if (!c.cwd.empty()) absl::StrAppend(&out, "<dt>directory</dt><dd><code>", HtmlEscape(c.cwd), "</code></dd>");
  absl::StrAppend(&out, "<dt>time</dt><dd>", UtcTime(c.started_ms), " → ", UtcTime(c.ended_ms),
                  " UTC</dd><dt>messages</dt><dd>", c.message_count, "</dd></dl></header>\n");
  for (const ConversationPart& p : c.parts) {
    // A window of the conversation shows the parts it has messages of.
    if (c.partial && p.messages.empty()) continue;
    if (p.file.main) {
      out += "<section class=\"cco-part cco-main\">\n";
    } else {
      absl::StrAppend(&out, "<section class=\"cco-part cco-agent\">\n<h2>",
                      p.file.agent_id.empty() ? "transcript" : "agent <code>" + HtmlEscape(p.file.agent_id) + "</code>",
                      p.file.agent_type.empty() ? "" : " (" + HtmlEscape(p.file.agent_type) + ")",
                      p.first > 0 ? absl::StrCat(", continued from message ", p.first + 1) : "", "</h2>\n");
    }
    for (const ConversationMessage& m : p.messages) {
      const bool anchor = (!options.anchor_uuid.empty() && m.uuid == options.anchor_uuid) ||
                          (options.anchor_id != 0 && m.id == options.anchor_id);
      absl::StrAppend(&out, "<div class=\"cco-message ", Role(m), m.is_sidechain ? " cco-sidechain" : "",
                      m.is_meta ? " cco-meta" : "", anchor ? " cco-anchor" : "", "\"");
      if (!m.uuid.empty()) {
        absl::StrAppend(&out, " id=\"m-", HtmlEscape(m.uuid), "\"");
      } else if (anchor) {
        absl::StrAppend(&out, " id=\"r-", m.id, "\"");
      }
      absl::StrAppend(&out, ">\n<div class=\"cco-head\"><span class=\"cco-who\">", m.Speaker(), "</span> <time>",
                      UtcTime(m.timestamp_ms), "</time>");
      if (!m.model.empty()) absl::StrAppend(&out, " <span class=\"cco-model\">", HtmlEscape(m.model), "</span>");
      if (!m.subtype.empty()) absl::StrAppend(&out, " <span class=\"cco-tag\">", HtmlEscape(m.subtype), "</span>");
      if (m.is_sidechain) out += " <span class=\"cco-tag\">sidechain</span>";
      out += "</div>\n";
      const bool full_text = !m.is_meta && m.type != "system";
      for (const Block& b : m.blocks) AppendBlock(b, full_text, &out);
      out += "</div>\n";
    }
    out += "</section>\n";
  }
  out += "</article>\n";
  return out;
}

const std::string& HtmlConversationStyle() {
  static const std::string* style = new std::string(
      "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1d1d1f;"
      "background:#fff}\n"
      ".cco-conversation header dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}\n"
      ".cco-conversation dt{color:#666}.cco-conversation dd{margin:0}\n"
      ".cco-part.cco-agent{border-left:4px solid #b58900;padding-left:.8rem;margin-top:1.5rem}\n"
      ".cco-message{margin:.8rem 0;padding:.5rem .8rem;border-radius:6px;background:#f6f6f8}\n"
      ".cco-prompt{background:#e8f0fe}.cco-response{background:#f4f8f1}.cco-system,.cco-meta{background:#fafafa;"
      "color:#555}\n"
      ".cco-sidechain{border-left:3px dashed #b58900}.cco-anchor{outline:2px solid #d33682}\n"
      ".cco-head{font-size:.85em;color:#555;margin-bottom:.3rem}.cco-who{font-weight:600;color:#222}\n"
      ".cco-tag{background:#eee;border-radius:3px;padding:0 .3rem}\n"
      ".cco-text{white-space:pre-wrap;overflow-wrap:anywhere}\n"
      ".cco-fold,.cco-conversation summary{font-family:ui-monospace,monospace;font-size:.85em;white-space:nowrap;"
      "overflow:hidden;text-overflow:ellipsis}\n"
      ".cco-conversation pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;padding:.4rem;"
      "max-height:30rem;overflow:auto}\n"
      ".cco-error summary{color:#b00020}\n"
      "@media (prefers-color-scheme:dark){body{background:#1e1e1e;color:#ddd}.cco-message{background:#2a2a2a}"
      ".cco-prompt{background:#24324a}.cco-response{background:#263126}.cco-system,.cco-meta{background:#222;"
      "color:#aaa}.cco-who{color:#eee}.cco-head{color:#aaa}.cco-conversation pre{background:#1a1a1a}"
      ".cco-tag{background:#333}}\n");
  return *style;
}

std::string HtmlDocument(const std::string& title, const std::string& body_html) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      HtmlEscape(title), "</title>\n<style>\n", HtmlConversationStyle(), "</style>\n</head>\n<body>\n", body_html,
      "</body>\n</html>\n");
}

}  // namespace cco

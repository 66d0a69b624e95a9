// A conversation (conversation.h) as HTML: the one renderer of
// `cco export --format html` and the web pages' conversation view.
//
// Every string from a transcript is escaped (& < > " ') before it is
// written, in text and in attribute values alike; no transcript string ever
// becomes a URL, a tag, an attribute name, a style or a script. Message
// anchors are "m-" + the escaped uuid. The fragment uses classes under
// `cco-` and needs HtmlConversationStyle() (or its own stylesheet).
#ifndef CCO_SRC_RENDER_HTML_H_
#define CCO_SRC_RENDER_HTML_H_

#include <string>
#include <string_view>

#include "src/conversation.h"

namespace cco {

struct HtmlRenderOptions {
  // Mark this message (messages.uuid) as the anchor (class cco-anchor); a
  // page scrolls to it with the URL fragment "#m-<uuid>".
  std::string anchor_uuid;
  // Or this message by messages.id (a line without uuid): marked the same,
  // with the fragment "#r-<id>".
  int64_t anchor_id = 0;
};

// `s` with &, <, >, " and ' escaped: safe in element text and in a quoted
// attribute value. A NUL byte becomes U+FFFD (as a browser would show it).
std::string HtmlEscape(std::string_view s);

// One conversation as an HTML fragment: <article class="cco-conversation">.
std::string RenderConversationHtml(const Conversation& c, const HtmlRenderOptions& options = {});

// The stylesheet the fragment's classes need (CSS text, no <style> tag).
const std::string& HtmlConversationStyle();

// A complete, self-contained document around `body_html` (fragments from
// RenderConversationHtml): UTF-8, the stylesheet inline, and a
// Content-Security-Policy that allows no script and no remote resource.
// `title` is escaped here.
std::string HtmlDocument(const std::string& title, const std::string& body_html);

}  // namespace cco

#endif  // CCO_SRC_RENDER_HTML_H_

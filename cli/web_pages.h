// The dashboard's pages, rendered on the server from the read side: HTML
// with every database string escaped, charts drawn as SVG with their numbers
// in a table beside them (canvas pixels are read by neither screen readers
// nor tests), a little JavaScript (/static/cco.js) only for live updates.
//
// Each page takes the URL's parameters; the report parameters (period,
// since, until, tz, project) mean what the same flags of `cco report` mean
// and go through the same parser (cli/report_query.h).
#ifndef CCO_CLI_WEB_PAGES_H_
#define CCO_CLI_WEB_PAGES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/status_view.h"
#include "src/reader.h"
#include "src/render_html.h"  // HtmlEscape: the one escaper of every page

namespace cco {

using PageParams = std::map<std::string, std::string>;

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view text);

struct Page {
  int status = 200;
  std::string html;
};

// What every page shows in its frame: the change sequence the page was
// built at (cco.js polls /api/changes and refreshes the page when it moves).
struct PageContext {
  int64_t change_seq = 0;
  std::string db_path;
};

// The report flags a page's parameters name, as `cco report` argv
// ("--tz", "Asia/Tokyo", …); `kind` first. Parameters other than the
// report's flags are ignored here.
std::vector<std::string> ReportArgv(const std::string& kind, const PageParams& params);

Page OverviewPage(Reader& db, const PageContext& ctx, const PageParams& params);
// The sessions list, filtered, sorted and paged by the database
// (src/session_list.h).
Page SessionsPage(Reader& db, const PageContext& ctx, const PageParams& params);
Page ToolsPage(Reader& db, const PageContext& ctx, const PageParams& params);

// The parameters /api/search and the search page take: q (the words) and
// the flags of `cco search` by their names (newest and fts are switches:
// any value but "0" or "false" sets them).
const std::vector<std::string>& SearchParams();
// Those parameters as `cco search` argv (flags, then "--" and the words).
std::vector<std::string> SearchArgv(const PageParams& params);
// /search?q=WORDS: `cco search`'s matches, 20 a page (?page=N), each with its
// snippet (the words in <mark>) and a link to the message in its
// conversation; the form when there are no words yet.
Page SearchPage(Reader& db, const PageContext& ctx, const PageParams& params);
Page StatusPage(const StatusView& status, const PageContext& ctx);
// A team server's status (--db postgresql://…): its rows and each machine's push.
Page ServerStatusPage(const ServerStatusView& status, const PageContext& ctx);
// /conversation/SESSION (an id or a unique prefix): the conversation as
// `cco export --format html` renders it (src/render_html.h), ?m=UUID marks
// that message (the link is /conversation/SESSION?m=UUID#m-UUID).
Page ConversationPage(Reader& db, const PageContext& ctx, const std::string& session, const PageParams& params);
// A page saying what went wrong (escaped), with `status`.
Page ErrorPage(int status, const std::string& message, const PageContext& ctx);

// The static files: /static/cco.css and /static/cco.js (and
// /static/conversation.css: HtmlConversationStyle()).
const std::string& StylesheetText();
const std::string& ScriptText();

}  // namespace cco

#endif  // CCO_CLI_WEB_PAGES_H_

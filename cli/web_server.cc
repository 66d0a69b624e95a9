#include "cli/web_server.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <sys/random.h>

#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "httplib.h"
#include "spdlog/spdlog.h"
#include "cli/blocks_command.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/report_query.h"
#include "cli/search_query.h"
#include "cli/status_cache.h"
#include "cli/status_view.h"
#include "cli/web_pages.h"
#include "src/conversation.h"
#include "src/errors.h"
#include "src/json_writer.h"
#include "src/pg.h"
#include "src/pg_reader.h"
#include "src/reader.h"
#include "src/status.h"

namespace cco {
namespace {

// Scripts, styles, images and fetches from this server only; nothing
// inline, no plugins, no framing, no <base>, forms post back here only.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The URL parameters an API report takes: the report's flags with a value
// (tz, since, …) and its switches (by-agent, breakdown).
const std::vector<std::string>& ReportParams() {
  static const auto* names =
      new std::vector<std::string>{"tz",     "since",  "until",       "project",       "start-of-week", "order",
                                   "by-agent", "breakdown", "active", "recent", "token-limit", "session-length",
                                   "user",   "machine"};
  return *names;
}

std::string JsonError(const std::string& message) {
  JsonWriter j;
  j.BeginObject().Field("error", message).EndObject();
  return j.str();
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

PageParams ParamsOf(const httplib::Request& req) {
  PageParams p;
  for (const auto& [k, v] : req.params) {
    // A repeated kind means every one (as a repeated --kind); of any other
    // repeated name, the last.
    if (k == "kind" && !v.empty() && !p[k].empty()) {
      p[k] = absl::StrCat(p[k], ",", v);
    } else {
      p[k] = v;
    }
  }
  return p;
}

}  // namespace

bool IsLoopbackAddress(const std::string& address) {
  in_addr v4;
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return ::inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

struct WebServer::Impl {
  WebServerOptions options;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::vector<std::string> allowed_hosts;  // empty: any (a wildcard address; the token guards)

  std::mutex pool_mu;
  std::vector<std::unique_ptr<Reader>> pool;

  // `cco status`'s answer for the status page and /api/status, at most
  // kStatusMaxStale old and refreshed in the background after kStatusFresh
  // (status_cache.h): collecting it walks the roots on disk.
  static constexpr absl::Duration kStatusFresh = absl::Seconds(2);
  static constexpr absl::Duration kStatusMaxStale = absl::Seconds(30);
  std::unique_ptr<StatusCache> status;

  bool team_server() const { return IsPostgresUrl(options.db); }

  // A read-only connection for one request, from the pool.
  absl::StatusOr<std::unique_ptr<Reader>> TakeReader() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!pool.empty()) {
        std::unique_ptr<Reader> r = std::move(pool.back());
        pool.pop_back();
        return r;
      }
    }
    if (team_server()) {
      ASSIGN_OR_RETURN(std::unique_ptr<PgReader> server, PgReader::Open(options.db));
      return std::unique_ptr<Reader>(std::move(server));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<SqliteReader> local, SqliteReader::Open(options.db));
    return std::unique_ptr<Reader>(std::move(local));
  }
  // Back into the pool, unless the request failed: a connection that failed
  // (a team server restarted) is not handed out again.
  void GiveBack(std::unique_ptr<Reader> r, bool failed = false) {
    if (failed && team_server()) return;
    std::lock_guard<std::mutex> lock(pool_mu);
    if (pool.size() < 8) pool.push_back(std::move(r));
  }

  PageContext Context(Reader* reader) {
    PageContext ctx;
    ctx.db_path = team_server() ? RedactedUrl(options.db) : options.db;
    if (reader != nullptr) ctx.change_seq = ChangeSeq(*reader);
    return ctx;
  }
  // The database's version (0 when it cannot be read): pages reload when
  // /api/changes answers a newer one.
  static int64_t ChangeSeq(Reader& reader) {
    absl::StatusOr<int64_t> seq = reader.ChangeSeq();
    return seq.ok() ? *seq : 0;
  }
  int64_t CurrentChangeSeq() {
    auto reader = TakeReader();
    if (!reader.ok()) return 0;
    const int64_t seq = ChangeSeq(**reader);
    GiveBack(std::move(*reader));
    return seq;
  }

  // A team server's status (`cco status --db postgresql://…`): a few counts
  // and the push marks, read on every request.
  absl::StatusOr<ServerStatusView> ServerStatus() {
    ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, TakeReader());
    absl::StatusOr<ServerStatusView> s = CollectServerStatus(static_cast<PgReader&>(*reader), options.db);
    GiveBack(std::move(reader), !s.ok());
    return s;
  }

  static int HttpStatusFor(const absl::Status& s) {
    if (absl::IsInvalidArgument(s) || absl::IsNotFound(s)) return 400;
    const ErrorKind kind = KindOf(s);
    if (kind == ErrorKind::kNoDatabase || kind == ErrorKind::kOlderSchema) return 503;
    return 500;
  }

  void SendJson(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(body + "\n", "application/json; charset=utf-8");
  }

  void SendPage(httplib::Response& res, const Page& page) {
    res.status = page.status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(page.html, "text/html; charset=utf-8");
  }

  // /api/report/KIND: the URL's parameters become the report's flags, parsed,
  // answered and written by the same functions as `cco report KIND --json`.
  void ApiReport(const std::string& kind, const httplib::Request& req, httplib::Response& res) {
    for (const auto& [name, value] : req.params) {
      if (std::find(ReportParams().begin(), ReportParams().end(), name) == ReportParams().end()) {
        return SendJson(res, 400, JsonError(absl::StrCat("unknown parameter '", name, "' (one of: ",
                                                         absl::StrJoin(ReportParams(), ", "), ")")));
      }
    }
    absl::StatusOr<Args> args = ParseArgs(ReportArgv(kind, ParamsOf(req)), FlagsFor("report"));
    if (!args.ok()) return SendJson(res, 400, JsonError(std::string(args.status().message())));
    absl::StatusOr<ReportQuery> q = ParseReportQuery(*args);
    if (!q.ok()) return SendJson(res, 400, JsonError(std::string(q.status().message())));
    auto reader = TakeReader();
    if (!reader.ok()) return SendJson(res, HttpStatusFor(reader.status()), JsonError(std::string(reader.status().message())));
    if (q->kind == "blocks") {
      // As `cco report blocks --json`: the blocks' own flags, ccusage's shape.
      BlocksView view;
      view.tz = q->zone.tz;
      view.zone_name = q->zone.name;
      absl::StatusOr<BlocksAnswer> blocks = AnswerBlocks(*args, view, q->filter, **reader);
      GiveBack(std::move(*reader), !blocks.ok());
      if (!blocks.ok()) return SendJson(res, HttpStatusFor(blocks.status()), JsonError(std::string(blocks.status().message())));
      return SendJson(res, 200, BlocksJson(blocks->blocks, blocks->limit));
    }
    absl::Status resolved = ResolveReportProject(**reader, &*q);
    absl::StatusOr<ReportAnswer> answer = resolved.ok() ? AnswerReport(**reader, *q) : resolved;
    GiveBack(std::move(*reader), !answer.ok());
    if (!answer.ok()) return SendJson(res, HttpStatusFor(answer.status()), JsonError(std::string(answer.status().message())));
    SendJson(res, 200, ReportJson(*q, *answer));
  }

  // /api/search: the URL's parameters become `cco search`'s flags (q: the
  // words), parsed, answered and written as `cco search --json` does.
  void ApiSearch(const httplib::Request& req, httplib::Response& res) {
    for (const auto& [name, value] : req.params) {
      if (std::find(SearchParams().begin(), SearchParams().end(), name) == SearchParams().end()) {
        return SendJson(res, 400, JsonError(absl::StrCat("unknown parameter '", name, "' (one of: ",
                                                         absl::StrJoin(SearchParams(), ", "), ")")));
      }
    }
    absl::StatusOr<Args> args = ParseArgs(SearchArgv(ParamsOf(req)), FlagsFor("search"));
    if (!args.ok()) return SendJson(res, 400, JsonError(std::string(args.status().message())));
    absl::StatusOr<SearchQuery> q = ParseSearchQuery(*args);
    if (!q.ok()) return SendJson(res, 400, JsonError(std::string(q.status().message())));
    auto reader = TakeReader();
    if (!reader.ok()) return SendJson(res, HttpStatusFor(reader.status()), JsonError(std::string(reader.status().message())));
    absl::Status resolved = ResolveSearchProject(**reader, &*q);
    absl::StatusOr<SearchResult> result = resolved.ok() ? (*reader)->Search(q->request) : resolved;
    GiveBack(std::move(*reader), !result.ok());
    if (!result.ok()) return SendJson(res, HttpStatusFor(result.status()), JsonError(std::string(result.status().message())));
    SendJson(res, 200, SearchJson(*result));
  }

  template <typename Render>
  void ServePage(httplib::Response& res, Render render) {
    auto reader = TakeReader();
    if (!reader.ok()) {
      return SendPage(res, ErrorPage(HttpStatusFor(reader.status()), std::string(reader.status().message()),
                                     Context(nullptr)));
    }
    const Page page = render(**reader, Context(reader->get()));
    GiveBack(std::move(*reader), page.status >= 500);
    SendPage(res, page);
  }

  // Host must name this server (DNS rebinding); beyond loopback the token
  // must come with the request.
  httplib::Server::HandlerResponse Guard(const httplib::Request& req, httplib::Response& res) {
    const std::string host = req.get_header_value("Host");
    if (!allowed_hosts.empty() &&
        std::find(allowed_hosts.begin(), allowed_hosts.end(), host) == allowed_hosts.end()) {
      res.status = 421;
      res.set_content(absl::StrCat("this server answers to ", allowed_hosts.front(), " only\n"), "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (options.token.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string given;
    const std::string auth = req.get_header_value("Authorization");
    if (absl::StartsWith(auth, "Bearer ")) given = auth.substr(7);
    for (absl::string_view part : absl::StrSplit(req.get_header_value("Cookie"), ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (absl::StartsWith(part, "cco_token=")) given = std::string(part.substr(10));
    }
    if (req.has_param("token") && ConstantTimeEquals(req.get_param_value("token"), options.token)) {
      // Once in the URL (as printed at start), then a cookie only this site sends.
      res.set_header("Set-Cookie", absl::StrCat("cco_token=", options.token, "; HttpOnly; SameSite=Strict; Path=/"));
      res.set_redirect(req.path);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!ConstantTimeEquals(given, options.token)) {
      res.status = 401;
      res.set_content("a token is required: open the URL cco serve printed\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void Route() {
    server.set_default_headers({{"Content-Security-Policy", kContentSecurityPolicy},
                                {"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"},
                                {"Cross-Origin-Resource-Policy", "same-origin"}});
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return Guard(req, res);
    });
    server.Get(R"(/api/report/([a-z]+))", [this](const httplib::Request& req, httplib::Response& res) {
      ApiReport(req.matches[1], req, res);
    });
    server.Get("/api/sessions", [this](const httplib::Request& req, httplib::Response& res) {
      ApiReport("session", req, res);
    });
    server.Get("/api/search", [this](const httplib::Request& req, httplib::Response& res) { ApiSearch(req, res); });
    server.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
      if (team_server()) {
        const absl::StatusOr<ServerStatusView> s = ServerStatus();
        if (!s.ok()) return SendJson(res, HttpStatusFor(s.status()), JsonError(std::string(s.status().message())));
        return SendJson(res, 200, ServerStatusJson(*s));
      }
      const absl::StatusOr<StatusView> s = status->Get().status;
      if (!s.ok()) return SendJson(res, HttpStatusFor(s.status()), JsonError(std::string(s.status().message())));
      SendJson(res, 200, StatusJson(*s));
    });
    server.Get("/api/changes", [this](const httplib::Request&, httplib::Response& res) {
      auto reader = TakeReader();
      if (!reader.ok()) return SendJson(res, HttpStatusFor(reader.status()), JsonError(std::string(reader.status().message())));
      JsonWriter j;
      j.BeginObject().Field("changeSeq", Context(reader->get()).change_seq).EndObject();
      GiveBack(std::move(*reader));
      SendJson(res, 200, j.str());
    });
    server.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
      ServePage(res, [&](Reader& db, const PageContext& ctx) { return OverviewPage(db, ctx, ParamsOf(req)); });
    });
    server.Get("/sessions", [this](const httplib::Request& req, httplib::Response& res) {
      ServePage(res, [&](Reader& db, const PageContext& ctx) { return SessionsPage(db, ctx, ParamsOf(req)); });
    });
    server.Get("/search", [this](const httplib::Request& req, httplib::Response& res) {
      ServePage(res, [&](Reader& db, const PageContext& ctx) { return SearchPage(db, ctx, ParamsOf(req)); });
    });
    server.Get("/tools", [this](const httplib::Request& req, httplib::Response& res) {
      ServePage(res, [&](Reader& db, const PageContext& ctx) { return ToolsPage(db, ctx, ParamsOf(req)); });
    });
    server.Get("/status", [this](const httplib::Request&, httplib::Response& res) {
      if (team_server()) {
        auto reader = TakeReader();
        const int64_t seq = reader.ok() ? ChangeSeq(**reader) : 0;
        if (reader.ok()) GiveBack(std::move(*reader));
        const absl::StatusOr<ServerStatusView> s = ServerStatus();
        PageContext ctx = Context(nullptr);
        ctx.change_seq = seq;
        if (!s.ok()) return SendPage(res, ErrorPage(HttpStatusFor(s.status()), std::string(s.status().message()), ctx));
        return SendPage(res, ServerStatusPage(*s, ctx));
      }
      const StatusCache::Answer a = status->Get();
      if (!a.status.ok()) {
        return SendPage(res, ErrorPage(HttpStatusFor(a.status.status()), std::string(a.status.status().message()),
                                       Context(nullptr)));
      }
      // The version the answer was collected at, not the current one: a
      // page showing an answer from before the last commit reloads again
      // and gets the refreshed one.
      PageContext ctx = Context(nullptr);
      ctx.change_seq = a.version;
      SendPage(res, StatusPage(*a.status, ctx));
    });
    server.Get(R"(/conversation/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      ServePage(res, [&](Reader& db, const PageContext& ctx) {
        return ConversationPage(db, ctx, req.matches[1], ParamsOf(req));
      });
    });
    // One conversation: the stored lines, byte-exact, as `cco export SESSION`
    // (--format jsonl) prints them.
    server.Get(R"(/api/conversation/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto reader = TakeReader();
      if (!reader.ok()) return SendJson(res, HttpStatusFor(reader.status()), JsonError(std::string(reader.status().message())));
      absl::StatusOr<std::string> session = (*reader)->ResolveSession(req.matches[1]);
      std::string out;
      ExportCounts counts;
      absl::Status status = session.ok() ? (*reader)->ExportJsonl(*session, &out, &counts) : session.status();
      GiveBack(std::move(*reader), !status.ok());
      if (!status.ok()) {
        return SendJson(res, absl::IsNotFound(status) ? 404 : HttpStatusFor(status),
                        JsonError(std::string(status.message())));
      }
      res.set_header("Cache-Control", "no-store");
      res.set_content(out, "application/x-ndjson; charset=utf-8");
    });
    server.Get("/static/conversation.css", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(HtmlConversationStyle(), "text/css; charset=utf-8");
    });
    server.Get("/static/cco.css", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(StylesheetText(), "text/css; charset=utf-8");
    });
    server.Get("/static/cco.js", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(ScriptText(), "text/javascript; charset=utf-8");
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) res.set_content(absl::StrCat("HTTP ", res.status, "\n"), "text/plain");
    });
  }
};

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebServer::~WebServer() { Stop(); }

absl::StatusOr<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options) {
  in_addr v4;
  in6_addr v6;
  const bool is_v4 = ::inet_pton(AF_INET, options.listen.c_str(), &v4) == 1;
  if (!is_v4 && ::inet_pton(AF_INET6, options.listen.c_str(), &v6) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen '", options.listen, "' is not an IP address (such as 127.0.0.1, ::1 or 0.0.0.0)"));
  }
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--port ", options.port, " is not a port (0-65535)"));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (!impl->team_server()) {
    impl->status = std::make_unique<StatusCache>([path = options.db] { return CollectStatus(path); },
                                                 [impl = impl.get()] { return impl->CurrentChangeSeq(); },
                                                 Impl::kStatusFresh, Impl::kStatusMaxStale);
  }
  impl->server.new_task_queue = [] { return new httplib::ThreadPool(4); };
  impl->Route();
  if (options.port == 0) {
    impl->port = impl->server.bind_to_any_port(options.listen);
  } else {
    impl->port = impl->server.bind_to_port(options.listen, options.port) ? options.port : -1;
  }
  if (impl->port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen, " port ", options.port,
                                               " (in use, or not an address of this machine)"));
  }
  const std::string host = is_v4 ? options.listen : absl::StrCat("[", options.listen, "]");
  const bool wildcard = options.listen == "0.0.0.0" || options.listen == "::";
  if (!wildcard) impl->allowed_hosts.push_back(absl::StrCat(host, ":", impl->port));
  if (IsLoopbackAddress(options.listen)) impl->allowed_hosts.push_back(absl::StrCat("localhost:", impl->port));
  WebServer* raw = nullptr;
  std::unique_ptr<WebServer> server(new WebServer(std::move(impl)));
  raw = server.get();
  raw->impl_->thread = std::thread([raw] { raw->impl_->server.listen_after_bind(); });
  return server;
}

int WebServer::port() const { return impl_->port; }

std::string WebServer::url() const {
  const std::string& l = impl_->options.listen;
  return absl::StrCat("http://", l.find(':') != std::string::npos ? absl::StrCat("[", l, "]") : l, ":", impl_->port,
                      "/");
}

void WebServer::Stop() {
  if (impl_ == nullptr || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

// Generates a token for a server beyond loopback: 128 random bits as hex.
std::string NewServeToken() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  std::string out;
  for (unsigned char b : bytes) absl::StrAppend(&out, absl::StrFormat("%02x", b));
  return out;
}

}  // namespace cco

// `cco serve` as a user meets it: a real server process on a free loopback
// port over a fixture database. The API answers exactly what `cco report
// --json` and `cco status --json` print; a real headless browser (Debian's
// chromium) renders every page, and the test reads what it rendered
// (--dump-dom) and keeps a screenshot in the test's output directory;
// hostile transcript text renders as text and runs nothing; a line appended
// while `cco watch --serve` runs changes the overview's numbers.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/process_support.h"
#include "tests/serve_support.h"
#include "tests/test_support.h"
#include "tests/watch_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr char kChromium[] = "/usr/bin/chromium";

std::string OutputDir() {
  const std::string dir = CCO_TEST_OUTPUT_DIR;
  fs::create_directories(dir);
  return dir;
}

// What the browser rendered: the DOM after its scripts ran (--dump-dom),
// and a screenshot of the same page into the test's output directory.
std::string Render(const Served& s, const std::string& path, const std::string& screenshot = "") {
  TempDir profile;
  std::vector<std::string> base = {kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                   "--disable-extensions", absl::StrCat("--user-data-dir=", profile.path()),
                                   "--window-size=1280,1000"};
  if (!screenshot.empty()) {
    std::vector<std::string> shot = base;
    shot.push_back(absl::StrCat("--screenshot=", OutputDir(), "/", screenshot));
    shot.push_back(s.url(path));
    ChildProcess browser(shot);
    EXPECT_EQ(browser.WaitExit(seconds(120)), 0) << browser.Stderr();
  }
  base.push_back("--dump-dom");
  base.push_back(s.url(path));
  ChildProcess browser(base);
  EXPECT_EQ(browser.WaitExit(seconds(120)), 0) << browser.Stderr();
  return browser.Stdout();
}

// A headless chromium showing one page and left running, driven through
// the DevTools protocol over a pipe (--remote-debugging-pipe: JSON messages
// ended by NUL, the browser reading fd 3 and writing fd 4), so a test can
// read the live DOM of a page that nobody reloads.
class LiveBrowser {
 public:
  explicit LiveBrowser(const std::string& url) {
    int to_browser[2], from_browser[2];
    if (::pipe2(to_browser, O_CLOEXEC) != 0 || ::pipe2(from_browser, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv = {kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                     "--disable-extensions", "--remote-debugging-pipe",
                                     absl::StrCat("--user-data-dir=", profile_.path()), "--window-size=1280,1000", url};
    pid_ = ::fork();
    if (pid_ == 0) {
      // fds 3 and 4 as the browser expects them (dup2 clears CLOEXEC).
      // Both moved above 4 first, so that neither dup2 closes the other.
      const int in = ::fcntl(to_browser[0], F_DUPFD, 10), out = ::fcntl(from_browser[1], F_DUPFD, 10);
      ::dup2(in, 3);
      ::dup2(out, 4);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(to_browser[0]);
    ::close(from_browser[1]);
    write_fd_ = to_browser[1];
    read_fd_ = from_browser[0];
  }
  ~LiveBrowser() {
    if (pid_ <= 0) return;
    Call("Browser.close", "{}", "");
    if (write_fd_ >= 0) ::close(write_fd_);
    if (read_fd_ >= 0) ::close(read_fd_);
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      ::usleep(20000);
    }
  }

  // Attaches to the page showing `url_prefix`; false when there is none yet.
  bool Attach(const std::string& url_prefix) {
    const std::string targets = Call("Target.getTargets", "{}", "");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(targets).get(doc) != simdjson::SUCCESS) return false;
    simdjson::dom::array infos;
    if (doc["result"]["targetInfos"].get(infos) != simdjson::SUCCESS) return false;
    for (simdjson::dom::element info : infos) {
      std::string_view type, url, id;
      if (info["type"].get(type) || info["url"].get(url) || info["targetId"].get(id)) continue;
      if (type != "page" || std::string(url).rfind(url_prefix, 0) != 0) continue;
      const std::string attached = Call("Target.attachToTarget",
                                        absl::StrCat(R"({"targetId":")", std::string(id), R"(","flatten":true})"), "");
      simdjson::dom::parser reply_parser;
      simdjson::dom::element a;
      std::string_view session;
      if (reply_parser.parse(attached).get(a) || a["result"]["sessionId"].get(session)) return false;
      session_ = std::string(session);
      return true;
    }
    return false;
  }

  // The value of a JavaScript expression in the page (a string), "" when it
  // did not give one.
  std::string Eval(const std::string& expression) {
    std::string quoted;
    for (char c : expression) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    const std::string reply = Call(
        "Runtime.evaluate", absl::StrCat(R"({"expression":")", quoted, R"(","returnByValue":true})"), session_);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view value;
    if (parser.parse(reply).get(doc) || doc["result"]["result"]["value"].get(value)) return "";
    return std::string(value);
  }

 private:
  // Sends one command and returns the reply with its id (events between are
  // skipped); "" after 30 s without it.
  std::string Call(const std::string& method, const std::string& params, const std::string& session) {
    if (write_fd_ < 0 || read_fd_ < 0) return "";
    const int id = ++next_id_;
    std::string message = absl::StrCat(R"({"id":)", id, R"(,"method":")", method, R"(","params":)", params,
                                       session.empty() ? "" : absl::StrCat(R"(,"sessionId":")", session, "\""), "}");
    message.push_back('\0');
    for (size_t done = 0; done < message.size();) {
      const ssize_t n = ::write(write_fd_, message.data() + done, message.size() - done);
      if (n <= 0) return "";
      done += static_cast<size_t>(n);
    }
    const std::string want = absl::StrCat(R"({"id":)", id, ",");
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      size_t end;
      while ((end = buffer_.find('\0')) != std::string::npos) {
        std::string one = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        if (absl::StartsWith(one, want)) return one;
      }
      pollfd p{read_fd_, POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(read_fd_, chunk, sizeof(chunk));
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return "";
  }

  TempDir profile_;
  pid_t pid_ = -1;
  int write_fd_ = -1;
  int read_fd_ = -1;
  int next_id_ = 0;
  std::string buffer_;
  std::string session_;
};

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    db_ = new std::string(*tmp_ / "fixtures.db");
    CommandResult r = RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", *db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    server_ = new Served(StartServe(*db_));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete db_;
    delete tmp_;
  }
  static TempDir* tmp_;
  static std::string* db_;
  static Served* server_;
};
TempDir* ServeTest::tmp_ = nullptr;
std::string* ServeTest::db_ = nullptr;
Served* ServeTest::server_ = nullptr;

// Every report kind, with the parameters a page sends, answers exactly what
// the CLI prints for the same flags.
TEST_F(ServeTest, ApiReportsEqualTheCliJson) {
  struct Case {
    std::string kind;
    std::vector<std::pair<std::string, std::string>> params;
  };
  const std::vector<Case> cases = {
      {"daily", {}},
      {"daily", {{"tz", "Asia/Tokyo"}}},
      {"daily", {{"since", "2026-01-01"}, {"until", "2026-01-31"}, {"tz", "UTC"}, {"order", "desc"}}},
      {"weekly", {{"start-of-week", "monday"}, {"tz", "UTC"}}},
      {"monthly", {{"tz", "+09:00"}}},
      {"session", {{"tz", "UTC"}}},
      {"session", {{"by-agent", "1"}, {"tz", "UTC"}}},
      {"session", {{"project", "-home-bob-cli"}, {"order", "asc"}}},
      {"project", {{"since", "2025-12-31"}}},
      {"tools", {{"tz", "UTC"}}},
      {"tools", {{"project", "/home/alice/webapp"}}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> cli = {"report", c.kind, "--json", "--db", *db_};
    std::vector<std::string> query;
    for (const auto& [k, v] : c.params) {
      cli.push_back("--" + k);
      if (k != "by-agent") cli.push_back(v);
      query.push_back(absl::StrCat(k, "=", v));
    }
    CommandResult expected = RunCco(cli);
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    const std::string path = absl::StrCat("/api/report/", c.kind, query.empty() ? "" : "?", absl::StrJoin(query, "&"));
    Reply got = Get(*server_, path);
    EXPECT_EQ(got.status, 200) << path << ": " << got.body;
    EXPECT_EQ(got.body, expected.out) << path;
    EXPECT_TRUE(absl::StartsWith(got.headers.find("Content-Type")->second, "application/json")) << path;
  }
  CommandResult sessions = RunCco({"report", "session", "--json", "--db", *db_});
  EXPECT_EQ(Get(*server_, "/api/sessions").body, sessions.out);
  // One conversation: the stored lines, as `cco export` gives them back.
  CommandResult exported = RunCco({"export", "5d0c9a7e", "--db", *db_});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  Reply conversation = Get(*server_, "/api/conversation/5d0c9a7e-3b21-4f6a-9e84-1c2b3a4d5e6f");
  EXPECT_EQ(conversation.status, 200);
  EXPECT_EQ(conversation.body, exported.out);
  EXPECT_EQ(Get(*server_, "/api/conversation/ffffffff-0000").status, 404);
  CommandResult status = RunCco({"status", "--json", "--db", *db_});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(Get(*server_, "/api/status").body, status.out);
}

// /api/search answers exactly what `cco search --json` prints for the same
// words and flags.
TEST_F(ServeTest, ApiSearchEqualsTheCliJson) {
  using Params = std::vector<std::pair<std::string, std::string>>;
  const std::vector<Params> cases = {
      {{"q", "redirect"}},
      {{"q", "login redirect"}, {"newest", "1"}},
      {{"q", "redirect"}, {"kind", "prompt"}},
      {{"q", "redirect"}, {"kind", "prompt"}, {"kind", "thinking"}},
      {{"q", "redirect"}, {"project", "/home/alice/webapp"}},
      {{"q", "redirect"}, {"limit", "1"}, {"offset", "1"}, {"newest", "1"}},
      {{"q", "redir*"}, {"fts", "1"}},
      {{"q", "redirect"}, {"since", "2026-01-01"}, {"until", "2026-12-31"}, {"tz", "Asia/Tokyo"}},
      {{"q", "redirect"}, {"session", "5d0c9a7e"}},
      {{"q", "nothing-like-this"}},
  };
  for (const Params& c : cases) {
    std::vector<std::string> cli = {"search", "--json", "--db", *db_};
    std::vector<std::string> query;
    std::string words;
    for (const auto& [k, v] : c) {
      query.push_back(absl::StrCat(k, "=", absl::StrReplaceAll(v, {{" ", "%20"}, {"*", "%2A"}, {"/", "%2F"}})));
      if (k == "q") {
        words = v;
        continue;
      }
      cli.push_back("--" + k);
      if (k != "newest" && k != "fts") cli.push_back(v);
    }
    cli.insert(cli.end(), {"--", words});
    CommandResult expected = RunCco(cli);
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    const std::string path = absl::StrCat("/api/search?", absl::StrJoin(query, "&"));
    Reply got = Get(*server_, path);
    EXPECT_EQ(got.status, 200) << path << ": " << got.body;
    EXPECT_EQ(got.body, expected.out) << path;
  }
  // The cases above are not all empty answers.
  EXPECT_TRUE(absl::StrContains(Get(*server_, "/api/search?q=redirect").body, "\"session\":\"5d0c9a7e-"));
}

TEST_F(ServeTest, ApiSearchRefusesWhatTheCliRefuses) {
  struct Case {
    std::string query;
    std::string error;  // a part of the JSON error
  };
  for (const Case& c : std::vector<Case>{
           {"", "what to search for?"},
           {"q=%2A", "nothing to search"},
           {"q=%22unclosed&fts=1", "FTS5"},
           {"q=x&limit=0", "--limit '0' is not a number from 1 to 1000"},
           {"q=x&offset=-3", "--offset '-3' is not a number from 0 to 100000"},
           {"q=x&kind=everything", "unknown kind 'everything'"},
           {"q=x&project=nowhere", "no project matches 'nowhere'"},
           {"q=x&since=yesterday", "--since 'yesterday' is not a date"},
           {"q=x&db=%2Fetc%2Fpasswd", "unknown parameter 'db'"},
       }) {
    Reply r = Get(*server_, "/api/search?" + c.query);
    EXPECT_EQ(r.status, 400) << c.query << ": " << r.body;
    EXPECT_TRUE(absl::StartsWith(r.body, "{\"error\":\"")) << c.query << ": " << r.body;
    EXPECT_TRUE(absl::StrContains(r.body, c.error)) << c.query << ": " << r.body;
  }
}

TEST_F(ServeTest, ApiRefusesWhatTheCliRefuses) {
  Reply bad_date = Get(*server_, "/api/report/daily?since=yesterday");
  EXPECT_EQ(bad_date.status, 400);
  EXPECT_EQ(bad_date.body, "{\"error\":\"--since 'yesterday' is not a date (YYYY-MM-DD or YYYYMMDD)\"}\n");
  Reply no_project = Get(*server_, "/api/report/daily?project=nowhere");
  EXPECT_EQ(no_project.status, 400);
  EXPECT_EQ(no_project.body, "{\"error\":\"no project matches 'nowhere'\"}\n");
  EXPECT_EQ(Get(*server_, "/api/report/hourly").status, 400);
  // --db and --json are the server's, not the URL's.
  Reply db = Get(*server_, "/api/report/daily?db=/etc/passwd");
  EXPECT_EQ(db.status, 400);
  EXPECT_TRUE(absl::StrContains(db.body, "unknown parameter 'db'")) << db.body;
  // No write endpoint: nothing but GET is routed.
  httplib::Client client(server_->host, server_->port);
  auto post = client.Post("/api/report/daily", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_NE(post->status, 200);
  auto del = client.Delete("/api/status");
  ASSERT_TRUE(del);
  EXPECT_NE(del->status, 200);
}

TEST_F(ServeTest, EveryResponseIsLockedDown) {
  for (const std::string path : {"/", "/sessions", "/search", "/search?q=redirect", "/tools", "/status",
                                  "/api/report/daily", "/api/search?q=redirect", "/static/cco.js"}) {
    Reply r = Get(*server_, path, {{"Origin", "http://evil.example"}});
    EXPECT_EQ(r.status, 200) << path;
    auto csp = r.headers.find("Content-Security-Policy");
    ASSERT_NE(csp, r.headers.end()) << path;
    EXPECT_TRUE(absl::StartsWith(csp->second, "default-src 'self'; script-src 'self';")) << csp->second;
    EXPECT_FALSE(absl::StrContains(csp->second, "unsafe-inline"));
    EXPECT_EQ(r.headers.count("Access-Control-Allow-Origin"), 0u) << path;
    EXPECT_EQ(r.headers.find("X-Content-Type-Options")->second, "nosniff");
  }
  // DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends its own Host.
  EXPECT_EQ(Get(*server_, "/api/status", {{"Host", "evil.example"}}).status, 421);
  EXPECT_EQ(Get(*server_, "/", {{"Host", absl::StrCat("evil.example:", server_->port)}}).status, 421);
  EXPECT_EQ(Get(*server_, "/", {{"Host", absl::StrCat("localhost:", server_->port)}}).status, 200);
  // No inline script on any page: the only script is the server's file.
  Reply page = Get(*server_, "/");
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_TRUE(absl::StrContains(page.body, "<script src=\"/static/cco.js\" defer></script>"));
}

TEST_F(ServeTest, BrowserRendersEachPage) {
  // The chart's numbers, in the table beside it.
  const std::string overview =
      Render(*server_, "/?since=2025-07-01&until=2026-02-28&tz=UTC", "overview.png");
  EXPECT_TRUE(absl::StrContains(overview, "<table id=\"usage-table\">")) << overview;
  EXPECT_TRUE(absl::StrContains(overview, "<svg id=\"usage-chart\""));
  // 2026-01-14 in UTC: 96,267 tokens, $0.09 (report daily --tz UTC).
  EXPECT_TRUE(std::regex_search(overview, std::regex(R"(<th scope="row">2026-01-14</th>.*?<td class="num">96,267</td><td class="num">\$0\.09</td>)")))
      << overview;
  EXPECT_TRUE(absl::StrContains(overview, "<table id=\"project-table\">"));
  EXPECT_TRUE(absl::StrContains(overview, "-home-bob-cli"));

  const std::string sessions = Render(*server_, "/sessions?since=2025-01-01&tz=UTC", "sessions.png");
  EXPECT_TRUE(absl::StrContains(sessions, "<tr class=\"session\" data-session=\"5d0c9a7e-3b21-4f6a-9e84-1c2b3a4d5e6f\">"))
      << sessions;
  EXPECT_TRUE(absl::StrContains(sessions, "/home/alice/webapp"));
  // Its messages (the conversation's 46 stored messages), a column of its own.
  EXPECT_TRUE(std::regex_search(
      sessions, std::regex(R"(data-session="5d0c9a7e-3b21-4f6a-9e84-1c2b3a4d5e6f">.*?<td class="num messages">46</td>)")))
      << sessions;
  EXPECT_TRUE(absl::StrContains(sessions, "sort=messages"));
  // The project picker lists every project, also one without usage.
  EXPECT_TRUE(absl::StrContains(sessions, "<option value=\"-home-bob-cli\""));
  EXPECT_TRUE(absl::StrContains(sessions, "<option value=\"-home-carol-empty\""));
  const std::string filtered = Render(*server_, "/sessions?since=2025-01-01&q=bob");
  EXPECT_FALSE(absl::StrContains(filtered, "data-session=\"5d0c9a7e")) << filtered;
  EXPECT_TRUE(absl::StrContains(filtered, "-home-bob-cli"));

  const std::string tools = Render(*server_, "/tools?since=2025-01-01&tz=UTC", "tools.png");
  EXPECT_TRUE(std::regex_search(tools, std::regex(R"(<th scope="row">Bash</th><td class="num">6</td>)"))) << tools;

  // The conversation, by the same renderer as `cco export --format html`;
  // the sessions page links to it.
  EXPECT_TRUE(absl::StrContains(sessions, "<a href=\"/conversation/5d0c9a7e-3b21-4f6a-9e84-1c2b3a4d5e6f\">"));
  const std::string conversation = Render(*server_, "/conversation/5d0c9a7e", "conversation.png");
  EXPECT_TRUE(absl::StrContains(conversation, "<title>Fix flaky Playwright login redirect · cco</title>")) << conversation;
  EXPECT_TRUE(absl::StrContains(conversation, "The login redirect test in tests/auth.spec.ts fails about one run in "
                                              "five on CI. Find out why and fix it, please."))
      << conversation;
  EXPECT_TRUE(absl::StrContains(conversation, "<article class=\"cco-conversation\""));
  // Searching from a conversation searches that conversation.
  EXPECT_TRUE(absl::StrContains(conversation, "<form class=\"pickers\" method=\"get\" action=\"/search\"><input "
                                              "type=\"hidden\" name=\"session\" value=\"5d0c9a7e-3b21-4f6a-9e84-"
                                              "1c2b3a4d5e6f\">"))
      << conversation;

  // Search: the hits with their words marked, each a link to its message
  // in its conversation, which shows that message marked.
  const std::string search = Render(*server_, "/search?q=login%20redirect&tz=UTC", "search.png");
  EXPECT_TRUE(absl::StrContains(search, "<li class=\"hit\" data-session=\"5d0c9a7e-3b21-4f6a-9e84-1c2b3a4d5e6f\">"))
      << search;
  EXPECT_TRUE(absl::StrContains(search, "<mark>redirect</mark>")) << search;
  EXPECT_TRUE(absl::StrContains(search, "<p class=\"count\" id=\"search-count\">")) << search;
  std::smatch hit;
  ASSERT_TRUE(std::regex_search(
      search, hit, std::regex(R"re(<a href="(/conversation/5d0c9a7e-3b21-4f6a-9e84-1c2b3a4d5e6f\?m=([^"#]+)#m-[^"]+)">)re")))
      << search;
  const std::string at = Render(*server_, absl::StrReplaceAll(hit[1].str(), {{"&amp;", "&"}}));
  EXPECT_TRUE(std::regex_search(at, std::regex(absl::StrCat("class=\"[^\"]*cco-anchor[^\"]*\" id=\"m-", hit[2].str(), "\""))))
      << at;
  const std::string empty = Render(*server_, "/search");
  EXPECT_TRUE(absl::StrContains(empty, "id=\"search-help\"")) << empty;
  EXPECT_TRUE(absl::StrContains(empty, "<a href=\"/search\" aria-current=\"page\">Search</a>")) << empty;
  // A page past the last shows the last page.
  const std::string past = Render(*server_, "/search?q=redirect&page=99");
  EXPECT_TRUE(absl::StrContains(past, "<li class=\"hit\"")) << past;

  const std::string status = Render(*server_, "/status", "status.png");
  EXPECT_TRUE(absl::StrContains(status, "<dd id=\"writer\">not running (last: replay)</dd>")) << status;
  EXPECT_TRUE(absl::StrContains(status, "<dd id=\"quarantined\">"));
}

// A long conversation is shown a page at a time: every message on exactly
// one page, in the order of `cco export --format html`; a link to a message
// opens the page holding it.
TEST(ServeLongConversationTest, PagesHoldEveryMessageOnceInExportOrder) {
  TempDir tmp;
  const std::string session = "10a90000-0000-4000-8000-000000000001";
  auto line = [&session](const std::string& type, const std::string& uuid, int second, const std::string& extra) {
    return absl::StrFormat(
        R"({"type":"%s","uuid":"%s","sessionId":"%s","timestamp":"2026-03-04T%02d:%02d:%02d.000Z","cwd":"/w"%s,)"
        R"("message":{"role":"%s","content":[{"type":"text","text":"message %s"}]}})"
        "\n",
        type, uuid, session, second / 3600, second / 60 % 60, second % 60, extra, type, uuid);
  };
  std::string main_lines, agent_lines;
  for (int i = 0; i < 430; ++i) main_lines += line(i % 2 ? "assistant" : "user", absl::StrCat("u-", i), i, "");
  for (int i = 0; i < 250; ++i) {
    agent_lines += line(i % 2 ? "assistant" : "user", absl::StrCat("g-", i), 1000 + i, R"(,"isSidechain":true,"agentId":"x1")");
  }
  WriteFile(tmp / absl::StrCat("projects/-w/", session, ".jsonl"), main_lines);
  WriteFile(tmp / absl::StrCat("projects/-w/", session, "/subagents/agent-x1.jsonl"), agent_lines);
  const std::string db = tmp / "long.db";
  ASSERT_EQ(RunCco({"replay", tmp / "projects", "--db", db}).exit_code, 0);
  CommandResult html = RunCco({"export", session, "--format", "html", "--db", db});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  auto ids = [](const std::string& text) {
    static const std::regex kId(R"re(<div class="cco-message[^"]*" id="m-([^"]+)")re");
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kId); it != std::sregex_iterator(); ++it) {
      out.push_back((*it)[1]);
    }
    return out;
  };
  const std::vector<std::string> expected = ids(html.out);
  ASSERT_EQ(expected.size(), 680u);

  Served s = StartServe(db);
  std::vector<std::string> paged;
  for (int page = 1; page <= 4; ++page) {
    Reply r = Get(s, absl::StrCat("/conversation/", session, "?page=", page));
    ASSERT_EQ(r.status, 200) << page;
    const std::vector<std::string> got = ids(r.body);
    EXPECT_EQ(got.size(), page < 4 ? 200u : 80u) << page;
    paged.insert(paged.end(), got.begin(), got.end());
    if (page == 2) {
      EXPECT_TRUE(absl::StrContains(r.body, "Messages 201–400 of 680, page 2 of 4")) << r.body;
    }
    // The agent's part goes on over pages 3 and 4, and says so on the second.
    if (page == 4) {
      EXPECT_TRUE(absl::StrContains(r.body, "agent <code>x1</code>, continued from message 171")) << r.body;
    }
    if (page == 1) {
      EXPECT_FALSE(absl::StrContains(r.body, "agent <code>x1</code>")) << "no empty part on page 1";
    }
  }
  EXPECT_EQ(paged, expected);
  // A message's link opens its page with the message marked.
  Reply at = Get(s, absl::StrCat("/conversation/", session, "?m=u-321"));
  EXPECT_TRUE(absl::StrContains(at.body, "page 2 of 4")) << at.body;
  EXPECT_TRUE(absl::StrContains(at.body, "cco-anchor\" id=\"m-u-321\"")) << at.body;
  Reply agent = Get(s, absl::StrCat("/conversation/", session, "?m=g-249"));
  EXPECT_TRUE(absl::StrContains(agent.body, "cco-anchor\" id=\"m-g-249\"")) << agent.body;
  // Past the last page: the last page, however far past; a page that is
  // not a number: the first.
  for (const std::string page : {"99", "9223372036854775807"}) {
    EXPECT_EQ(ids(Get(s, absl::StrCat("/conversation/", session, "?page=", page)).body),
              std::vector<std::string>(expected.begin() + 600, expected.end()))
        << page;
  }
  EXPECT_EQ(ids(Get(s, absl::StrCat("/conversation/", session, "?page=99999999999999999999")).body),
            std::vector<std::string>(expected.begin(), expected.begin() + 200));
  EXPECT_EQ(Get(s, "/sessions?page=9223372036854775807").status, 200);
  EXPECT_EQ(Get(s, "/search?q=message&page=9223372036854775807").status, 200);
}

// A search hit on a line without uuid links to the page holding it, by its
// row, and that page marks it.
TEST(ServeLongConversationTest, SearchHitWithoutUuidOpensItsPageMarked) {
  TempDir tmp;
  const std::string session = "10a90000-0000-4000-8000-000000000002";
  std::string lines;
  for (int i = 0; i < 250; ++i) {
    const std::string uuid = i == 230 ? "" : absl::StrCat(R"("uuid":"u-)", i, R"(",)");
    lines += absl::StrFormat(
        R"({"type":"user",%s"sessionId":"%s","timestamp":"2026-03-04T10:%02d:%02d.000Z","cwd":"/w",)"
        R"("message":{"role":"user","content":"%s"}})"
        "\n",
        uuid, session, i / 60, i % 60, i == 230 ? "a lonely needle" : absl::StrCat("message ", i));
  }
  WriteFile(tmp / absl::StrCat("projects/-w/", session, ".jsonl"), lines);
  const std::string db = tmp / "nouuid.db";
  ASSERT_EQ(RunCco({"replay", tmp / "projects", "--db", db}).exit_code, 0);
  Served s = StartServe(db);
  Reply hits = Get(s, "/search?q=lonely%20needle");
  ASSERT_EQ(hits.status, 200);
  static const std::regex kHref(R"re(<a href="(/conversation/[^"#]+)#(r-[0-9]+)")re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(hits.body, m, kHref)) << hits.body;
  const std::string path = absl::StrReplaceAll(m[1].str(), {{"&amp;", "&"}});
  Reply page = Get(s, path);
  EXPECT_TRUE(absl::StrContains(page.body, "page 2 of 2")) << page.body;
  EXPECT_TRUE(absl::StrContains(page.body, absl::StrCat("cco-anchor\" id=\"", m[2].str(), "\""))) << page.body;
  EXPECT_TRUE(absl::StrContains(page.body, "a lonely needle"));
}

// Billing blocks: the API answers `cco report blocks --json`, and the
// overview shows the active block against the largest completed one.
TEST_F(ServeTest, BlocksEqualTheCliAndTheActiveBlockIsShown) {
  const std::string now = "CCO_NOW=2026-01-14T17:00:00.000Z";
  Served s = WaitForUrl(StartCco({"serve", "--db", *db_, "--port", "0"}, {now}));
  for (const std::string query : {"", "?active=1&token-limit=max", "?since=2026-01-01&tz=UTC&order=desc",
                                  "?recent=1&session-length=3"}) {
    std::vector<std::string> cli = {"report", "blocks", "--json", "--db", *db_};
    if (query == "?active=1&token-limit=max") cli.insert(cli.end(), {"--active", "--token-limit", "max"});
    if (query == "?since=2026-01-01&tz=UTC&order=desc") cli.insert(cli.end(), {"--since", "2026-01-01", "--tz", "UTC", "--order", "desc"});
    if (query == "?recent=1&session-length=3") cli.insert(cli.end(), {"--recent", "--session-length", "3"});
    CommandResult expected = RunCco(cli, {now});
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    Reply got = Get(s, "/api/report/blocks" + query);
    EXPECT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(got.body, expected.out) << query;
  }
  EXPECT_EQ(Get(s, "/api/report/blocks?token-limit=lots").status, 400);
  // 2026-01-14 16:00-21:00 UTC holds 96,267 tokens; the largest completed
  // block (the limit) 169,287.
  const std::string overview = Render(s, "/?since=2026-01-01&tz=UTC", "overview_block.png");
  EXPECT_TRUE(absl::StrContains(overview, "<dd id=\"block-tokens\">96,267</dd>")) << overview;
  EXPECT_TRUE(absl::StrContains(overview, "<dd id=\"block-limit\">169,287 tokens")) << overview;
}

// Transcripts are hostile input: a title and a prompt carrying markup, an
// event handler and a javascript: link are shown as text; nothing runs.
TEST(ServeHostileTest, TranscriptMarkupRendersAsTextAndRunsNothing) {
  TempDir tmp;
  const std::string session = "0badc0de-0000-4000-8000-000000000001";
  const std::string title =
      R"(<script>document.body.setAttribute('data-pwned','script')</script>\"><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\"><a href=\"javascript:document.body.setAttribute('data-pwned','link')\">click</a>)";
  const std::string transcript = absl::StrCat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/m/<script>x</script>","sessionId":")",
      session,
      R"(","version":"2.1.1","type":"user","message":{"role":"user","content":")", title,
      R"("},"uuid":"u-1","timestamp":"2026-01-02T03:04:05.678Z"})", "\n",
      R"({"parentUuid":"u-1","isSidechain":false,"userType":"external","cwd":"/home/m","sessionId":")", session,
      R"(","version":"2.1.1","type":"assistant","message":{"model":"claude-opus-4-6","id":"msg_x1","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"req_x1","uuid":"a-1","timestamp":"2026-01-02T03:04:06.000Z"})",
      "\n", R"({"type":"custom-title","customTitle":")", title, R"(","sessionId":")", session, R"("})", "\n");
  WriteFile(tmp / absl::StrCat("projects/-home-m/", session, ".jsonl"), transcript);
  const std::string db = tmp / "hostile.db";
  CommandResult r = RunCco({"replay", tmp / "projects", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CommandResult sessions = RunCco({"report", "session", "--json", "--db", db});
  ASSERT_TRUE(absl::StrContains(sessions.out, session)) << sessions.out;

  Served s = StartServe(db);
  const std::string dom = Render(s, "/sessions?since=2026-01-01&until=2026-01-03&tz=UTC", "hostile_sessions.png");
  ASSERT_TRUE(absl::StrContains(dom, absl::StrCat("data-session=\"", session, "\""))) << dom;
  // Shown as text.
  EXPECT_TRUE(absl::StrContains(dom, "&lt;script&gt;document.body.setAttribute('data-pwned','script')&lt;/script&gt;"))
      << dom;
  EXPECT_TRUE(absl::StrContains(dom, "\"&gt;&lt;img src=x onerror=\"")) << dom;
  // Nothing ran: no handler set the marker, no element was injected.
  EXPECT_FALSE(absl::StrContains(dom, "data-pwned=")) << dom;
  EXPECT_FALSE(absl::StrContains(dom, "<img")) << dom;
  EXPECT_FALSE(absl::StrContains(dom, "<a href=\"javascript:")) << dom;
  EXPECT_FALSE(absl::StrContains(dom, "<script>document")) << dom;
  const std::string overview = Render(s, "/?since=2026-01-01&until=2026-01-03&tz=UTC");
  EXPECT_FALSE(absl::StrContains(overview, "data-pwned=")) << overview;
  // The prompt itself, in its conversation.
  const std::string conversation = Render(s, absl::StrCat("/conversation/", session), "hostile_conversation.png");
  EXPECT_TRUE(absl::StrContains(conversation, "&lt;script&gt;document.body.setAttribute")) << conversation;
  EXPECT_FALSE(absl::StrContains(conversation, "data-pwned=")) << conversation;
  EXPECT_FALSE(absl::StrContains(conversation, "<img")) << conversation;
  EXPECT_FALSE(absl::StrContains(conversation, "<a href=\"javascript:")) << conversation;
  // Found by search: the snippet is text too.
  const std::string search = Render(s, "/search?q=pwned", "hostile_search.png");
  EXPECT_TRUE(absl::StrContains(search, "<li class=\"hit\"")) << search;
  EXPECT_TRUE(absl::StrContains(search, "&lt;script&gt;")) << search;
  EXPECT_FALSE(absl::StrContains(search, "data-pwned=")) << search;
  EXPECT_FALSE(absl::StrContains(search, "<img")) << search;
  // A hostile query is text in the form and the title.
  const std::string query = Render(s, "/search?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%3Cscript%3E");
  EXPECT_TRUE(absl::StrContains(query, "&lt;img src=x onerror=alert(1)&gt;")) << query;
  // No element was made of it (the browser writes an element's attribute
  // quoted; the text inside the input's value keeps src=x as typed).
  EXPECT_FALSE(absl::StrContains(query, "<img src=\"x\"")) << query;
  EXPECT_FALSE(absl::StrContains(query, "<script></script>")) << query;
}

// `cco watch --serve`: one process writes and serves; a line appended to a
// watched transcript changes the overview's numbers.
class WatchServeTest : public WatchFixture {};

// A line stamped 2026-01-02 03:04:06 UTC.
std::string AssistantLine(const std::string& session, const std::string& uuid, int output_tokens) {
  return AssistantUsageLine(session, uuid, output_tokens, 1767323046000);
}

TEST_F(WatchServeTest, AppendedLineChangesTheOverview) {
  const std::string session = "5e55e55e-0000-4000-8000-000000000002";
  const std::string file = root_ + "/-home-t-w/" + session + ".jsonl";
  Append(file, AssistantLine(session, "a1", 23));
  auto daemon = StartWatch({"--serve", "--port", "0"});
  Served s = WaitForUrl(std::move(daemon));
  const std::string page = "/?since=2026-01-01&until=2026-01-03&tz=UTC";
  auto total_cell = [&](const std::string& body) {
    std::smatch m;
    static const std::regex kRow(R"(<th scope="row">2026-01-02</th>.*?<td class="num">([0-9,]+)</td><td class="num">\$)");
    return std::regex_search(body, m, kRow) ? std::string(m[1]) : std::string();
  };
  ASSERT_TRUE(WaitUntil([&] { return total_cell(Get(s, page).body) == "123"; }, kArrival)) << Get(s, page).body;
  const std::string seq_before = Get(s, "/api/changes").body;

  Append(file, AssistantLine(session, "a2", 77));
  EXPECT_TRUE(WaitUntil([&] { return total_cell(Get(s, page).body) == "300"; }, kArrival)) << Get(s, page).body;
  EXPECT_NE(Get(s, "/api/changes").body, seq_before);
  const std::string dom = Render(s, page, "live_overview.png");
  EXPECT_EQ(total_cell(dom), "300") << dom;
  StopAndExpectClean(*s.process);
}

// The page a user keeps open follows the daemon: a line committed while
// the overview is shown in the browser changes its numbers in place (its
// script polls the change sequence and swaps the page's <main>), with no
// reload: a mark left in the page's window survives the update.
TEST_F(WatchServeTest, OpenOverviewUpdatesInTheBrowserWithoutAReload) {
  const std::string session = "5e55e55e-0000-4000-8000-000000000003";
  const std::string file = root_ + "/-home-t-w/" + session + ".jsonl";
  Append(file, AssistantLine(session, "b1", 23));
  auto daemon = StartWatch({"--serve", "--port", "0"});
  Served s = WaitForUrl(std::move(daemon));
  const std::string page = "/?since=2026-01-01&until=2026-01-03&tz=UTC";
  // The day's total tokens, as the browser shows them now.
  const std::string cell =
      "(function () { var r = document.querySelectorAll('#usage-table tbody tr'); for (var i = 0; i < r.length; i++) {"
      " if (r[i].querySelector('th').textContent === '2026-01-02') {"
      " var c = r[i].querySelectorAll('td'); return c[c.length - 2].textContent; } } return ''; })()";
  auto browser = std::make_unique<LiveBrowser>(s.url(page));
  ASSERT_TRUE(WaitUntil([&] { return browser->Attach(s.url("/")); }, seconds(120)));
  ASSERT_TRUE(WaitUntil([&] { return browser->Eval(cell) == "123"; }, seconds(120))) << browser->Eval(cell);
  browser->Eval("(function () { window.ccoTestMark = 'kept'; return 'set'; })()");
  ASSERT_EQ(browser->Eval("String(window.ccoTestMark)"), "kept");

  Append(file, AssistantLine(session, "b2", 77));
  EXPECT_TRUE(WaitUntil([&] { return browser->Eval(cell) == "300"; }, seconds(120))) << browser->Eval(cell);
  EXPECT_EQ(browser->Eval("String(window.ccoTestMark)"), "kept");  // the same page: not reloaded
  browser.reset();
  StopAndExpectClean(*s.process);
}

TEST(ServeCliTest, MissingDatabaseAndBadFlagsAreUsageErrors) {
  TempDir tmp;
  CommandResult missing = RunCco({"serve", "--db", tmp / "none.db", "--port", "0"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_FALSE(fs::exists(tmp / "none.db"));
  CommandResult port = RunCco({"serve", "--db", tmp / "none.db", "--port", "http"});
  EXPECT_NE(port.exit_code, 0);
  CommandResult watch = RunCco({"watch", "--root", tmp.path(), "--port", "1"});
  EXPECT_EQ(watch.exit_code, 2) << watch.err;
}

}  // namespace
}  // namespace cco::testing

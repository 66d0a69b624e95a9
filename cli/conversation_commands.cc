// `cco show` (a conversation in the terminal, paged) and `cco export` (a
// session or a project as the stored JSONL, Markdown or HTML).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "src/conversation.h"
#include "src/daemon/paths.h"
#include "src/errors.h"
#include "src/reader.h"
#include "src/render_html.h"
#include "src/render_text.h"


namespace cco {
namespace {

int Usage(const char* who, const std::string& message) {
  std::fprintf(stderr, "%s: %s (see cco help %s)\n", who, message.c_str(), who + 4);
  return kExitUsage;
}

absl::StatusOr<std::unique_ptr<SqliteReader>> OpenReader(const Args& args) {
  ASSIGN_OR_RETURN(std::string db_path, ResolveDbPath(args.Get("db")));
  return SqliteReader::Open(db_path);
}

// Writes `text` through $PAGER (default `less`, with LESS=FRX unless LESS
// is set) when stdout is a terminal, else to stdout.
void Page(const std::string& text) {
  if (::isatty(STDOUT_FILENO) == 1) {
    const char* pager = std::getenv("PAGER");
    std::string command = pager != nullptr && *pager != '\0' ? pager : "less";
    if (std::getenv("LESS") == nullptr) ::setenv("LESS", "FRX", 1);
    std::fflush(stdout);
    // A pager quit before the end closes the pipe: not an error.
    ::signal(SIGPIPE, SIG_IGN);
    if (FILE* p = ::popen(command.c_str(), "w")) {
      std::fwrite(text.data(), 1, text.size(), p);
      ::pclose(p);
      return;
    }
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

int RunShow(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("show"));
  if (!args.ok()) return Usage("cco show", std::string(args.status().message()));
  if (args->positional().empty()) return Usage("cco show", "which session? give its id or a prefix of it");
  auto reader = OpenReader(*args);
  if (!reader.ok()) return ReportFailure(reader.status(), "cco show");
  Db& db = (*reader)->db();
  auto session = ResolveSession(db, args->positional()[0]);
  if (!session.ok()) return ReportFailure(session.status(), "cco show");
  auto conversation = LoadConversation(db, *session);
  if (!conversation.ok()) return ReportFailure(conversation.status(), "cco show");
  TextRenderOptions options;
  options.anchor_uuid = args->Get("at");
  auto text = RenderTerminal(*conversation, options);
  if (!text.ok()) return ReportFailure(text.status(), "cco show");
  Page(*text);
  return kExitOk;
}

namespace {

// Writes `content` to `path` through a temporary file renamed over it, so a
// failed export leaves no half file.
absl::Status WriteOutput(const std::string& path, const std::string& content) {
  const std::string tmp = absl::StrCat(path, ".tmp-", ::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return ErrnoStatus(errno, absl::StrCat("cannot write ", path));
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(tmp.c_str());
    return ErrnoStatus(error, absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

int RunExport(const std::vector<std::string>& raw_argv) {
  std::vector<std::string> argv = raw_argv;
  for (std::string& a : argv) {
    if (a == "-o") a = "--output";
  }
  auto args = ParseArgs(argv, FlagsFor("export"));
  if (!args.ok()) return Usage("cco export", std::string(args.status().message()));
  const bool by_project = args->Has("project");
  if (by_project == !args->positional().empty()) {
    return Usage("cco export", "give a session (its id or a prefix) or --project, not both");
  }
  const std::string format = args->Get("format", "jsonl");
  auto reader = OpenReader(*args);
  if (!reader.ok()) return ReportFailure(reader.status(), "cco export");
  Db& db = (*reader)->db();
  std::vector<std::string> sessions;
  std::string name;
  if (by_project) {
    name = args->Get("project");
    auto match = (*reader)->MatchProjects(name);
    if (!match.ok()) return ReportFailure(match.status(), "cco export");
    if (match->ids.empty()) return ReportNoProject("cco export", name, match->closest);
    auto found = SessionsOfProjects(db, match->ids);
    if (!found.ok()) return ReportFailure(found.status(), "cco export");
    sessions = std::move(*found);
  } else {
    auto session = ResolveSession(db, args->positional()[0]);
    if (!session.ok()) return ReportFailure(session.status(), "cco export");
    name = *session;
    sessions.push_back(*session);
  }

  std::string out;
  ExportCounts counts;
  std::string body;
  for (const std::string& session : sessions) {
    absl::Status status;
    if (format == "jsonl") {
      status = ExportJsonl(db, session, &out, &counts);
    } else {
      absl::StatusOr<Conversation> c = LoadConversation(db, session);
      status = c.status();
      if (c.ok() && format == "md") {
        if (!out.empty()) out += "\n---\n\n";
        out += RenderMarkdown(*c);
      } else if (c.ok()) {
        body += RenderConversationHtml(*c);
      }
    }
    if (!status.ok()) return ReportFailure(status, "cco export");
  }
  if (format == "html") {
    out = HtmlDocument(by_project ? absl::StrCat("cco: project ", name) : absl::StrCat("cco: session ", name), body);
  }
  if (counts.truncated > 0 || counts.missing > 0) {
    std::fprintf(stderr,
                 "cco export: %lld line(s) left out: %lld over the max line size (only a prefix is stored), %lld "
                 "whose stored copy is gone\n",
                 static_cast<long long>(counts.truncated + counts.missing), static_cast<long long>(counts.truncated),
                 static_cast<long long>(counts.missing));
  }
  if (args->Has("output")) {
    absl::Status written = WriteOutput(args->Get("output"), out);
    if (!written.ok()) return ReportFailure(written, "cco export");
  } else {
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) return ReportFailure(ErrnoStatus(errno, "cannot write stdout"), "cco export");
  }
  return kExitOk;
}

}  // namespace cco

// `cco serve`: the dashboard and JSON API over a database, until SIGTERM or
// SIGINT, over the local database or a team server (--db postgresql://…).
// Read-only: never creates the database (a missing one is exit 2,
// as for reports), never writes it. `cco watch --serve` starts the same
// server inside the service (cli/watch_command.cc).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/open_reader.h"
#include "cli/web_server.h"
#include "src/daemon/paths.h"
#include "src/daemon/signals.h"
#include "src/pg.h"
#include "src/reader.h"
#include "src/status.h"

namespace cco {
namespace {

int wake_pipe[2] = {-1, -1};

// Async-signal-safe: one byte into the self-pipe.
void WakeMain(void*) {
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_pipe[1], &byte, 1);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebServer>> StartServerFromFlags(const Args& args, const std::string& db) {
  WebServerOptions options;
  options.db = db;
  if (args.Has("listen")) options.listen = args.Get("listen");
  if (args.Has("port")) {
    int port = 0;
    if (!absl::SimpleAtoi(args.Get("port"), &port) || port < 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("--port '", args.Get("port"), "' is not a port (0-65535)"));
    }
    options.port = port;
  }
  const bool loopback = IsLoopbackAddress(options.listen);
  if (const char* token = std::getenv("CCO_SERVE_TOKEN"); token != nullptr && *token != '\0') {
    options.token = token;
  } else if (!loopback) {
    options.token = NewServeToken();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<WebServer> server, WebServer::Start(options));
  if (!loopback) {
    std::fprintf(stderr,
                 "cco: warning: serving beyond this machine on %s: anyone who can reach it and has the token reads "
                 "every conversation (plain HTTP: use it on a network you trust, or behind TLS)\n",
                 options.listen.c_str());
  }
  std::printf("cco serve: %s%s\n", server->url().c_str(),
              options.token.empty() || std::getenv("CCO_SERVE_TOKEN") != nullptr
                  ? ""
                  : absl::StrCat("?token=", options.token).c_str());
  std::fflush(stdout);
  return server;
}

int RunServe(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = ParseArgs(argv, FlagsFor("serve"));
  if (!args.ok()) return ReportFailure(args.status(), "cco serve");
  // A database refused now, with the reports' exit codes, rather than on
  // each request; a team server (postgresql://…) is connected to once here.
  int failed = kExitOk;
  if (OpenReader("serve", args->Get("db"), false, &failed) == nullptr) return failed;
  const std::string db = IsPostgresUrl(args->Get("db")) ? args->Get("db") : *ResolveDbPath(args->Get("db"));
  if (::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return ReportFailure(absl::InternalError("cannot create a pipe"), "cco serve");
  }
  absl::StatusOr<std::unique_ptr<SignalMonitor>> signals = SignalMonitor::Install(&WakeMain, nullptr);
  if (!signals.ok()) return ReportFailure(signals.status(), "cco serve");
  absl::StatusOr<std::unique_ptr<WebServer>> server = StartServerFromFlags(*args, db);
  if (!server.ok()) return ReportFailure(server.status(), "cco serve");
  while (!(*signals)->stop_requested()) {
    pollfd p{wake_pipe[0], POLLIN, 0};
    if (::poll(&p, 1, 1000) > 0) {
      char buf[16];
      while (::read(wake_pipe[0], buf, sizeof(buf)) > 0) {
      }
    }
  }
  (*server)->Stop();
  return kExitOk;
}

}  // namespace cco

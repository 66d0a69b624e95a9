// `cco serve`'s HTTP server (cpp-httplib): the JSON API under /api/ and the
// dashboard's pages, over read-only connections to one database: the local
// SQLite database, or a team server (postgresql://…, answering as far as
// its role may read: src/pg_reader.h). It has no write endpoint: only GET
// (and HEAD) are routed.
//
// Safe by construction, since transcripts are hostile input:
//   - every string of the database reaches a page through HtmlEscape;
//   - every response carries a strict Content-Security-Policy (scripts,
//     styles, images and fetches from this server only; no inline script),
//     nosniff, no referrer, no framing; no CORS header is ever sent;
//   - the Host header must name the listen address (DNS rebinding): on a
//     loopback address 127.0.0.1:PORT, localhost:PORT ([::1]:PORT for ::1);
//   - beyond loopback, every request needs the token (Authorization: Bearer,
//     the cco_token cookie, or ?token= once, which sets the cookie).
//
// Thread-safety: Start() and Stop() from one thread; requests are served on
// the server's own pool, each with its own read-only connection.
#ifndef CCO_CLI_WEB_SERVER_H_
#define CCO_CLI_WEB_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cco {

class WebServer;

struct WebServerOptions {
  std::string db;  // a database path, or a team server's postgresql:// URL
  std::string listen = "127.0.0.1";  // an IP address
  int port = 8787;                   // 0: any free port
  // Required on every request when not empty (and always beyond loopback).
  std::string token;
};

// True for 127.0.0.0/8 and ::1.
bool IsLoopbackAddress(const std::string& address);
// 128 random bits as 32 hex digits.
std::string NewServeToken();

class Args;
// The server `cco serve` and `cco watch --serve` start from their --port and
// --listen flags: beyond loopback it prints a warning on stderr and requires
// a token ($CCO_SERVE_TOKEN, else a new one, printed with the URL).
// InvalidArgument for a flag that is not a port or an IP address.
// `db`: as WebServerOptions::db.
absl::StatusOr<std::unique_ptr<WebServer>> StartServerFromFlags(const Args& args, const std::string& db);

class WebServer {
 public:
  ~WebServer();
  // Binds the address and starts serving on a thread of its own.
  // InvalidArgument for an address that is not an IP address; Unavailable
  // when it cannot be bound (in use, not this machine's).
  static absl::StatusOr<std::unique_ptr<WebServer>> Start(const WebServerOptions& options);

  // The port it listens on (the one chosen for port 0).
  int port() const;
  // "http://127.0.0.1:8787/".
  std::string url() const;
  // Stops accepting, finishes the requests under way, joins the thread.
  void Stop();

  struct Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cco

#endif  // CCO_CLI_WEB_SERVER_H_

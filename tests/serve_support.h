// A real `cco serve` (or `cco watch --serve`) process for the tests, and
// plain HTTP requests to it (cpp-httplib's client).
#ifndef CCO_TESTS_SERVE_SUPPORT_H_
#define CCO_TESTS_SERVE_SUPPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "tests/process_support.h"

namespace cco::testing {

// A running `cco <args>` that printed its URL ("cco serve: http://127.0.0.1:PORT/").
struct Served {
  std::unique_ptr<ChildProcess> process;
  std::string host;  // "127.0.0.1"
  int port = 0;
  std::string url(const std::string& path) const { return absl::StrCat("http://", host, ":", port, path); }
};

// Reads the URL from `out`; false while it is not printed yet.
bool ParseUrl(const std::string& out, Served* s);
// Waits (30 s at most) for `process` to print its URL; a test failure when it does not.
Served WaitForUrl(std::unique_ptr<ChildProcess> process);
// `cco serve --db DB --port 0 EXTRA…`, once it listens.
Served StartServe(const std::string& db, std::vector<std::string> extra = {});

struct Reply {
  int status = 0;  // 0: no answer
  std::string body;
  httplib::Headers headers;
};
Reply Get(const Served& s, const std::string& path, const httplib::Headers& headers = {});

}  // namespace cco::testing

#endif  // CCO_TESTS_SERVE_SUPPORT_H_

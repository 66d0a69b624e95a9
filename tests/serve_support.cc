#include "tests/serve_support.h"

#include <chrono>
#include <regex>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"

namespace cco::testing {

bool ParseUrl(const std::string& out, Served* s) {
  std::smatch m;
  static const std::regex kUrl(R"(cco serve: http://([0-9.]+):([0-9]+)/)");
  if (!std::regex_search(out, m, kUrl)) return false;
  s->host = m[1];
  return absl::SimpleAtoi(std::string(m[2]), &s->port);
}

Served WaitForUrl(std::unique_ptr<ChildProcess> process) {
  Served s;
  s.process = std::move(process);
  const bool up = WaitUntil([&] { return ParseUrl(s.process->Stdout(), &s) || !s.process->running(); },
                            std::chrono::seconds(30));
  EXPECT_TRUE(up && s.port > 0) << "no URL printed; stdout:\n" << s.process->Stdout() << "\nstderr:\n"
                                << s.process->Stderr();
  return s;
}

Served StartServe(const std::string& db, std::vector<std::string> extra) {
  std::vector<std::string> args = {"serve", "--db", db, "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return WaitForUrl(StartCco(args));
}

Reply Get(const Served& s, const std::string& path, const httplib::Headers& headers) {
  httplib::Client client(s.host, s.port);
  client.set_read_timeout(60, 0);
  auto res = client.Get(path.c_str(), headers);
  if (!res) return {};
  return {res->status, res->body, res->headers};
}

}  // namespace cco::testing

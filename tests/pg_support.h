// A real PostgreSQL 15 server for the team tests: a fresh cluster in a
// temporary directory, on a free loopback port, run as an unprivileged user
// (`postgres` when the tests run as root, since initdb refuses root), with
// the team schema applied and a test role set. Stopped and removed at the
// end. .ci/setup installs postgresql-15; a missing server fails the test.
#ifndef CCO_TESTS_PG_SUPPORT_H_
#define CCO_TESTS_PG_SUPPORT_H_

#include <string>
#include <vector>

#include "tests/test_support.h"

namespace cco::testing {

class PgServer {
 public:
  // Starts the cluster and creates database `cco` (owner cco_admin). Check
  // error() after construction: "" when it runs.
  PgServer();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  const std::string& error() const { return error_; }
  int port() const { return port_; }

  // postgresql://ROLE:PASSWORD@127.0.0.1:PORT/cco (no password when "").
  std::string Url(const std::string& role, const std::string& password) const;
  std::string AdminUrl() const { return Url("cco_admin", "admin"); }

  // Runs `sql` with psql as `url`'s role: rows '|'-joined, one per line.
  CommandResult Psql(const std::string& url, const std::string& sql) const;
  // As the owner; fails the test on error.
  std::string Admin(const std::string& sql) const;

  bool Stop();   // fast shutdown; true when stopped
  bool Start();  // again, on the same port

 private:
  CommandResult AsServerUser(std::vector<std::string> argv) const;

  std::string dir_;
  std::string data_;
  int port_ = 0;
  bool running_ = false;
  std::string error_;
};

}  // namespace cco::testing

#endif  // CCO_TESTS_PG_SUPPORT_H_

#include "tests/pg_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace cco::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin/";

// A port nobody listens on now (the kernel's choice for port 0).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

CommandResult PgServer::AsServerUser(std::vector<std::string> argv) const {
  if (::geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  return RunCommand(argv);
}

PgServer::PgServer() {
  char tmpl[] = "/tmp/cco-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  data_ = dir_ + "/data";
  if (::geteuid() == 0) {
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      error_ = "no postgres user to run the server as (install postgresql-15: .ci/setup)";
      return;
    }
  }
  WriteFile(dir_ + "/pw", "admin\n");
  if (::geteuid() == 0) {
    passwd* pw = ::getpwnam("postgres");
    (void)::chown((dir_ + "/pw").c_str(), pw->pw_uid, pw->pw_gid);
  }
  CommandResult init = AsServerUser({std::string(kBin) + "initdb", "-D", data_, "-U", "cco_admin", "--pwfile=" + dir_ + "/pw",
                                     "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                                     "--no-sync"});
  if (init.exit_code != 0) {
    error_ = "initdb failed: " + init.err + init.out;
    return;
  }
  port_ = FreePort();
  if (!Start()) return;
  CommandResult created = Psql(Url("cco_admin", "admin").replace(Url("cco_admin", "admin").rfind("/cco"), 4, "/postgres"),
                               "CREATE DATABASE cco");
  if (created.exit_code != 0) {
    error_ = "CREATE DATABASE failed: " + created.err;
    return;
  }
  CommandResult migrated = RunCco({"team-init", "--db", AdminUrl()});
  if (migrated.exit_code != 0) error_ = "cco team-init failed: " + migrated.err;
}

PgServer::~PgServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string PgServer::Url(const std::string& role, const std::string& password) const {
  return "postgresql://" + role + (password.empty() ? "" : ":" + password) + "@127.0.0.1:" + std::to_string(port_) +
         "/cco";
}

bool PgServer::Start() {
  if (running_) return true;
  CommandResult started = AsServerUser({std::string(kBin) + "pg_ctl", "-D", data_, "-l", dir_ + "/log", "-w", "-t",
                                        "120", "-o",
                                        "-p " + std::to_string(port_) + " -k " + dir_ +
                                            " -c listen_addresses=127.0.0.1 -c fsync=off",
                                        "start"});
  if (started.exit_code != 0) {
    error_ = "pg_ctl start failed: " + started.err + started.out + ReadFile(dir_ + "/log");
    return false;
  }
  running_ = true;
  return true;
}

bool PgServer::Stop() {
  if (!running_) return true;
  CommandResult stopped = AsServerUser({std::string(kBin) + "pg_ctl", "-D", data_, "-m", "fast", "-w", "-t", "120", "stop"});
  running_ = stopped.exit_code != 0;
  return !running_;
}

CommandResult PgServer::Psql(const std::string& url, const std::string& sql) const {
  return RunCommand({std::string(kBin) + "psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql});
}

std::string PgServer::Admin(const std::string& sql) const {
  CommandResult r = Psql(AdminUrl(), sql);
  EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  return r.out;
}

}  // namespace cco::testing

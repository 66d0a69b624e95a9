#include "tests/watch_support.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace cco::testing {

namespace fs = std::filesystem;

std::string UserLine(const std::string& session, const std::string& uuid, const std::string& text) {
  return absl::StrFormat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/t/w","sessionId":"%s",)"
      R"("version":"2.1.1","type":"user","message":{"role":"user","content":"%s"},"uuid":"%s",)"
      R"("timestamp":"2026-01-02T03:04:05.678Z"})"
      "\n",
      session, text, uuid);
}

std::string SummaryLine(const std::string& text) {
  return absl::StrFormat(R"({"type":"summary","summary":"%s","leafUuid":"leaf-%s"})"
                         "\n",
                         text, text);
}

void Append(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

void WatchFixture::SetUp() {
  fs::create_directories(root_);
  fs::create_directories(fs::path(db_).parent_path());  // a --db's directory must exist
}

std::unique_ptr<ChildProcess> WatchFixture::StartWatch(std::vector<std::string> extra, std::vector<std::string> env,
                                                       bool wait_ready) {
  notify_.reset();  // its destructor removes the socket path
  notify_ = std::make_unique<NotifySocket>(tmp_.path());
  std::vector<std::string> args = {"watch", "--root", root_, "--db", db_};
  args.insert(args.end(), extra.begin(), extra.end());
  env.push_back(notify_->EnvEntry());
  auto daemon = StartCco(args, env);
  if (wait_ready) {
    const bool ready = notify_->WaitFor("READY=1", kArrival);
    EXPECT_TRUE(ready) << "no READY=1; stderr:\n" << daemon->Stderr();
  }
  return daemon;
}

void WatchFixture::ExpectArrivesOnce(const std::string& sql, int64_t expected, ChildProcess* daemon) {
  const bool arrived = WaitUntil([&] { return Count(sql) == expected; }, kArrival);
  ASSERT_TRUE(arrived) << sql << " = " << Count(sql) << ", want " << expected
                       << (daemon != nullptr ? "\nstderr:\n" + daemon->Stderr() : "");
  std::this_thread::sleep_for(kSettle);
  EXPECT_EQ(Count(sql), expected) << sql << " moved after arriving";
}

void WatchFixture::StopAndExpectClean(ChildProcess& daemon) {
  daemon.Signal(SIGTERM);
  std::optional<int> code = daemon.WaitExit(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM";
  EXPECT_EQ(*code, 0) << daemon.Stderr();
}

}  // namespace cco::testing

// `cco watch --push-to URL`: a thread that keeps the team server in step
// with the local database (push.h). It pushes whenever the local change
// sequence moved past the server's mark; a failure (the server down, a
// network error) is logged, recorded in push_targets for `cco status`, and
// retried after a backoff that doubles from 1 s up to 30 s. The writer
// never waits for it.
#ifndef CCO_CLI_PUSH_LOOP_H_
#define CCO_CLI_PUSH_LOOP_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "src/push.h"

namespace cco {

// The push options of `cco push` / `cco watch` (--machine, --usage-only,
// --exclude-project, --batch-rows) for the server `url`.
absl::StatusOr<PushOptions> PushOptionsFrom(const Args& args, const std::string& url);

class PushLoop {
 public:
  // Opens the local database (migrated: start it after the writer) and
  // starts the thread.
  static absl::StatusOr<std::unique_ptr<PushLoop>> Start(const std::string& db_path, PushOptions options);
  ~PushLoop();
  void Stop();

 private:
  PushLoop() = default;
  void Run();
  // Waits up to `d`; false once Stop was called.
  bool Wait(std::chrono::milliseconds d);

  std::unique_ptr<Pusher> pusher_;
  std::string where_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cco

#endif  // CCO_CLI_PUSH_LOOP_H_

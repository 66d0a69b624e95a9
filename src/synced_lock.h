// absl::Mutex made visible to ThreadSanitizer. TSan cannot see absl::Mutex
// order anything when abseil itself was built without TSan (Debian's is):
// every field a mutex guards is then reported as a race, and the first such
// report hides any real one. In TSan builds TsanAcquire/TsanRelease mirror a
// mutex's ordering with explicit annotations; in every other build they are
// empty and SyncedLock is a plain absl::MutexLock.
#ifndef CCO_SRC_SYNCED_LOCK_H_
#define CCO_SRC_SYNCED_LOCK_H_

#include "absl/base/config.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#ifdef ABSL_HAVE_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

namespace cco {

#ifdef ABSL_HAVE_THREAD_SANITIZER
inline void TsanAcquire(absl::Mutex* mu) { __tsan_acquire(mu); }
inline void TsanRelease(absl::Mutex* mu) { __tsan_release(mu); }
#else
inline void TsanAcquire(absl::Mutex*) {}
inline void TsanRelease(absl::Mutex*) {}
#endif

// absl::MutexLock, annotated: acquires after locking, releases before unlocking.
class ABSL_SCOPED_LOCKABLE SyncedLock {
 public:
  explicit SyncedLock(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : lock_(mu), mu_(mu) { TsanAcquire(mu_); }
  ABSL_UNLOCK_FUNCTION() ~SyncedLock() { TsanRelease(mu_); }
  SyncedLock(const SyncedLock&) = delete;
  SyncedLock& operator=(const SyncedLock&) = delete;

 private:
  absl::MutexLock lock_;
  absl::Mutex* const mu_;
};

}  // namespace cco

#endif  // CCO_SRC_SYNCED_LOCK_H_

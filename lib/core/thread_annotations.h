// Lock rules the compiler checks: clang's thread-safety analysis
// (-Wthread-safety) reads these attributes; other compilers see nothing.
// Mutex and MutexLock are std::mutex and std::lock_guard with the annotations
// the analysis needs (libstdc++'s own types carry none). Thread-safe as
// std::mutex is.
#pragma once

#include <mutex>

#if defined(__clang__)
#define ONCOATLAS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ONCOATLAS_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) ONCOATLAS_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY ONCOATLAS_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) ONCOATLAS_THREAD_ANNOTATION(guarded_by(x))
#define REQUIRES(...) ONCOATLAS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) ONCOATLAS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) ONCOATLAS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) ONCOATLAS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

namespace oncoatlas {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace oncoatlas

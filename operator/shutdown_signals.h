// ShutdownSignals: turns SIGTERM and SIGINT into a callback on a thread of its
// own. Block() must be called in main() before any other thread starts, so
// every thread inherits the blocked mask and only this watcher receives them
// (sigtimedwait). Threading: Start/Stop from the main thread; the callback
// runs on the watcher thread.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "core/status.h"

namespace oncoatlas::op {

class ShutdownSignals {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread (and threads it starts later).
  static Status Block();

  ~ShutdownSignals();
  // Calls `on_signal(signal number)` for each SIGTERM or SIGINT received.
  void Start(std::function<void(int)> on_signal);
  void Stop();

 private:
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace oncoatlas::op

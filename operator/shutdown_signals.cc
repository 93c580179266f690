#include "shutdown_signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace oncoatlas::op {
namespace {

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

Status ShutdownSignals::Block() {
  const sigset_t set = ShutdownSet();
  const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (rc != 0) return InternalError("blocking SIGTERM and SIGINT: " + ErrnoString(rc));
  return Status::Ok();
}

ShutdownSignals::~ShutdownSignals() { Stop(); }

void ShutdownSignals::Start(std::function<void(int)> on_signal) {
  watcher_ = std::thread([this, on_signal = std::move(on_signal)] {
    const sigset_t set = ShutdownSet();
    const timespec tick{0, 200'000'000};  // checks stopping_ five times a second
    while (!stopping_.load()) {
      const int signal_number = sigtimedwait(&set, nullptr, &tick);
      if (signal_number > 0) on_signal(signal_number);
    }
  });
}

void ShutdownSignals::Stop() {
  stopping_ = true;
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace oncoatlas::op

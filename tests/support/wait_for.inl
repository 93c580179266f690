// Implementation of oncoatlas::testing::WaitFor; included by control_plane.h.
#pragma once

#include <thread>

namespace oncoatlas::testing {

template <typename Predicate>
bool WaitFor(Predicate predicate, std::chrono::milliseconds timeout, std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace oncoatlas::testing

// OperatorProcess: the real oncoatlas-operator binary as a child process of a
// test — started with arguments, its output in a log file, signalled, waited
// for, and killed (SIGKILL, then reaped) in the destructor so no operator
// outlives its test. Test-only; use from one thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace oncoatlas::testing {

class OperatorProcess {
 public:
  // Starts `binary` with `args`; stdout and stderr go to `log_path`.
  OperatorProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path);
  ~OperatorProcess();
  OperatorProcess(const OperatorProcess&) = delete;
  OperatorProcess& operator=(const OperatorProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  void Signal(int signal_number);
  // Whether the process is still running (reaps it if it has ended).
  bool Running();
  // Waits up to `timeout` for the process to end; its wait status, or nullopt.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // The log so far.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> wait_status_;
  std::string log_path_;
};

}  // namespace oncoatlas::testing

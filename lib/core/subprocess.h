// Runs a child process to completion, feeding its standard input and capturing
// its standard output and error, with a deadline. Used by tools and tests that
// drive real programs (kubectl, helm, dcmodify, the control-plane script).
//
// Thread-safe: each call owns its pipes and child. The child gets its own
// process group; on timeout the whole group is killed. The first call sets
// SIGPIPE to be ignored in this process, so a child that closes its standard
// input early makes writes fail with EPIPE instead of killing the caller.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace oncoatlas {

struct SubprocessOptions {
  // Variables added to (or replacing those of) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string stdin_data;
  std::string working_dir;  // empty: the parent's
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
};

struct SubprocessResult {
  int exit_code = -1;   // valid when !signaled
  int term_signal = 0;  // the signal that ended the child, or 0
  bool timed_out = false;
  std::string out;
  std::string err;

  bool success() const { return !timed_out && term_signal == 0 && exit_code == 0; }
  // "exit code 1", "killed by signal 9", "timed out after ..." plus stderr's tail.
  std::string Describe() const;
};

// Runs argv[0] (looked up in PATH) with the given arguments. Returns an error
// only when the child could not be started; a child that fails is a result.
Result<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv, const SubprocessOptions& options = {});

}  // namespace oncoatlas

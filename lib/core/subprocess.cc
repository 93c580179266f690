#include "core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace oncoatlas {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Builds the child's environment: the parent's, with `extra` added or replaced.
std::vector<std::string> ChildEnvironment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) vars[k] = v;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [k, v] : vars) {
    std::string kv = k;
    kv += '=';
    kv += v;
    out.push_back(std::move(kv));
  }
  return out;
}

}  // namespace

std::string SubprocessResult::Describe() const {
  std::string d;
  if (timed_out) {
    d = "timed out";
  } else if (term_signal != 0) {
    d = "killed by signal " + std::to_string(term_signal);
  } else {
    d = "exit code " + std::to_string(exit_code);
  }
  if (!err.empty()) {
    constexpr size_t kTail = 2000;
    d += "; stderr: " + (err.size() > kTail ? "..." + err.substr(err.size() - kTail) : err);
  }
  return d;
}

Result<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv, const SubprocessOptions& options) {
  if (argv.empty()) return InvalidArgumentError("RunSubprocess: empty argv");
  // A child that closes its stdin early must not kill this process with
  // SIGPIPE; writes then fail with EPIPE instead.
  static const bool kSigpipeIgnored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)kSigpipeIgnored;

  int in_pipe[2], out_pipe[2], err_pipe[2], exec_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    return InternalError("pipe2: " + ErrnoString(errno));
  }

  // Everything the child needs is prepared before fork: after fork only
  // async-signal-safe calls are allowed.
  std::vector<std::string> env_strings = ChildEnvironment(options.env);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  argp.reserve(args.size() + 1);
  for (auto& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return InternalError("fork: " + ErrnoString(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::signal(SIGPIPE, SIG_DFL);
    if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) {
      int e = errno;
      (void)!::write(exec_pipe[1], &e, sizeof e);
      ::_exit(127);
    }
    ::execvpe(argp[0], argp.data(), envp.data());
    int e = errno;
    (void)!::write(exec_pipe[1], &e, sizeof e);
    ::_exit(127);
  }

  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    ::waitpid(pid, nullptr, 0);
    return NotFoundError("cannot run " + argv[0] + ": " + ErrnoString(exec_errno));
  }

  SubprocessResult result;
  int fd_in = in_pipe[1], fd_out = out_pipe[0], fd_err = err_pipe[0];
  ::fcntl(fd_in, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (options.stdin_data.empty()) CloseFd(fd_in);
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  char buf[65536];
  while (fd_out >= 0 || fd_err >= 0 || fd_in >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    int nfds = 0;
    if (fd_out >= 0) fds[nfds++] = {fd_out, POLLIN, 0};
    if (fd_err >= 0) fds[nfds++] = {fd_err, POLLIN, 0};
    if (fd_in >= 0) fds[nfds++] = {fd_in, POLLOUT, 0};
    int r = ::poll(fds, static_cast<nfds_t>(nfds), static_cast<int>(std::min<long>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < nfds && r > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == fd_in) {
        ssize_t w = ::write(fd_in, options.stdin_data.data() + written, options.stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) CloseFd(fd_in);
        if (written == options.stdin_data.size()) CloseFd(fd_in);
        continue;
      }
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (fds[i].fd == fd_out ? result.out : result.err).append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        if (fds[i].fd == fd_out)
          CloseFd(fd_out);
        else
          CloseFd(fd_err);
      }
    }
  }
  CloseFd(fd_in);
  CloseFd(fd_out);
  CloseFd(fd_err);

  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
  return result;
}

}  // namespace oncoatlas

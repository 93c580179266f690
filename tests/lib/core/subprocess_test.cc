#include "core/subprocess.h"

#include <gtest/gtest.h>

namespace oncoatlas {
namespace {

using std::chrono::milliseconds;

TEST(Subprocess, CapturesOutputAndExitCode) {
  auto r = RunSubprocess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->success());
  EXPECT_NE(r->Describe().find("exit code 3"), std::string::npos);
  EXPECT_NE(r->Describe().find("err"), std::string::npos);
}

TEST(Subprocess, FeedsStandardInput) {
  std::string big(1 << 20, 'x');  // larger than a pipe buffer
  SubprocessOptions opts;
  opts.stdin_data = big;
  auto r = RunSubprocess({"wc", "-c"}, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->success()) << r->Describe();
  EXPECT_EQ(std::stoul(r->out), big.size());
}

TEST(Subprocess, ChildThatIgnoresInputDoesNotKillTheCaller) {
  SubprocessOptions opts;
  opts.stdin_data = std::string(4 << 20, 'y');
  auto r = RunSubprocess({"true"}, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->success()) << r->Describe();
}

TEST(Subprocess, AddsEnvironmentVariables) {
  SubprocessOptions opts;
  opts.env = {{"ONCOATLAS_TEST_VAR", "hello"}};
  auto r = RunSubprocess({"sh", "-c", "printf %s \"$ONCOATLAS_TEST_VAR\""}, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "hello");
}

TEST(Subprocess, KillsTheProcessGroupOnTimeout) {
  SubprocessOptions opts;
  opts.timeout = milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  // The grandchild keeps the output pipe open; the timeout must still end it.
  auto r = RunSubprocess({"sh", "-c", "sleep 30 & sleep 30"}, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->success());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Subprocess, MissingProgramIsAnError) {
  auto r = RunSubprocess({"/nonexistent/program"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/program"), std::string::npos);
}

TEST(Subprocess, RunsInTheGivenDirectory) {
  SubprocessOptions opts;
  opts.working_dir = "/";
  auto r = RunSubprocess({"pwd"}, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "/\n");
}

}  // namespace
}  // namespace oncoatlas

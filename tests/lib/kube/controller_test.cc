#include "kube/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "kube/runtime_metrics.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kTimeout = std::chrono::seconds(20);

// Answers each Reconcile from a script (last entry repeats) and lets the test
// wait for a number of calls, and optionally hold calls until released.
class ScriptedReconciler : public Reconciler {
 public:
  explicit ScriptedReconciler(std::deque<ReconcileResult> script) : script_(std::move(script)) {}

  ReconcileResult Reconcile(const Request& request) override {
    std::unique_lock<std::mutex> l(mu_);
    calls_.push_back(request);
    if (++active_[request.ToString()] > 1) overlap_ = true;
    ++in_flight_;
    changed_.notify_all();
    changed_.wait(l, [&] { return !hold_; });
    --active_[request.ToString()];
    --in_flight_;
    ReconcileResult r = script_.front();
    if (script_.size() > 1) script_.pop_front();
    if (throw_) throw std::runtime_error("boom");
    return r;
  }

  bool AwaitCalls(std::size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return changed_.wait_for(l, kTimeout, [&] { return calls_.size() >= n; });
  }
  bool AwaitInFlight(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return changed_.wait_for(l, kTimeout, [&] { return in_flight_ >= n; });
  }
  void Hold(bool hold) {
    std::lock_guard<std::mutex> l(mu_);
    hold_ = hold;
    changed_.notify_all();
  }
  void Throw() { throw_ = true; }
  std::size_t Calls() {
    std::lock_guard<std::mutex> l(mu_);
    return calls_.size();
  }
  bool Overlapped() {
    std::lock_guard<std::mutex> l(mu_);
    return overlap_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<ReconcileResult> script_;
  std::vector<Request> calls_;
  std::map<std::string, int> active_;
  int in_flight_ = 0;
  bool overlap_ = false;
  bool hold_ = false;
  std::atomic<bool> throw_{false};
};

class ControllerTest : public ::testing::Test {
 protected:
  ControllerOptions Options(int workers = 1) {
    ControllerOptions o;
    o.name = "widget";
    o.workers = workers;
    o.clock = &clock_;
    o.metrics = &registry_;
    return o;
  }

  // The time until the single idle worker's wake-up, once it is waiting.
  Clock::Duration IdleWait(std::size_t waiters = 1) {
    EXPECT_TRUE(clock_.AwaitWaiters(waiters, kTimeout));
    const auto next = clock_.NextDeadline();
    return next == Clock::TimePoint::max() ? Clock::Duration::max() : next - clock_.Now();
  }

  std::string Metrics() { return registry_.Render(); }
  bool MetricsHave(const std::string& line) { return Metrics().find(line) != std::string::npos; }

  FakeClock clock_;
  MetricsRegistry registry_;
  const Request key_{"ns-a", "w1"};
};

TEST_F(ControllerTest, ErrorsRetryWithExponentialBackoff) {
  ScriptedReconciler r({ReconcileResult::Error(UnavailableError("api down"))});
  Controller c(Options(), r);
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue(key_);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(r.AwaitCalls(static_cast<std::size_t>(i + 1)));
    const auto expected = milliseconds(5) * (1 << i);
    ASSERT_EQ(IdleWait(), expected) << "retry " << i;
    clock_.Advance(expected - milliseconds(1));
    EXPECT_EQ(r.Calls(), static_cast<std::size_t>(i + 1)) << "retried early";
    clock_.Advance(milliseconds(1));
  }
  ASSERT_TRUE(r.AwaitCalls(7));
  EXPECT_EQ(IdleWait(), milliseconds(320));
  c.Stop();
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_total{controller=\"widget\",result=\"error\"} 7\n"));
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_errors_total{controller=\"widget\"} 7\n"));
  EXPECT_TRUE(MetricsHave("workqueue_retries_total{name=\"widget\"} 7\n"));
}

TEST_F(ControllerTest, SuccessResetsTheBackoff) {
  ScriptedReconciler r({ReconcileResult::Error(UnavailableError("x")), ReconcileResult::Error(UnavailableError("x")),
                        ReconcileResult::Done(), ReconcileResult::Error(UnavailableError("x"))});
  Controller c(Options(), r);
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue(key_);
  ASSERT_TRUE(r.AwaitCalls(1));
  clock_.Advance(IdleWait());  // 5 ms
  ASSERT_TRUE(r.AwaitCalls(2));
  clock_.Advance(IdleWait());    // 10 ms
  ASSERT_TRUE(r.AwaitCalls(3));  // Done: forgotten
  EXPECT_EQ(IdleWait(), Clock::Duration::max());
  EXPECT_EQ(c.queue().NumRequeues(key_), 0);
  c.Enqueue(key_);
  ASSERT_TRUE(r.AwaitCalls(4));
  EXPECT_EQ(IdleWait(), milliseconds(5)) << "backoff starts again from the base";
  c.Stop();
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_total{controller=\"widget\",result=\"success\"} 1\n"));
}

TEST_F(ControllerTest, RequeueAfterComesBackAfterTheDelay) {
  ScriptedReconciler r({ReconcileResult::RequeueAfter(seconds(30)), ReconcileResult::Done()});
  Controller c(Options(), r);
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue(key_);
  ASSERT_TRUE(r.AwaitCalls(1));
  ASSERT_EQ(IdleWait(), seconds(30));
  clock_.Advance(seconds(29));
  EXPECT_EQ(r.Calls(), 1u);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(r.AwaitCalls(2));
  EXPECT_EQ(IdleWait(), Clock::Duration::max()) << "Done schedules nothing more";
  c.Stop();
  EXPECT_EQ(r.Calls(), 2u);
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_total{controller=\"widget\",result=\"requeue_after\"} 1\n"));
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_total{controller=\"widget\",result=\"success\"} 1\n"));
}

TEST_F(ControllerTest, TerminalErrorsAreCountedButNotRetried) {
  ScriptedReconciler r({ReconcileResult::TerminalError(InvalidArgumentError("spec.size must be positive"))});
  Controller c(Options(), r);
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue(key_);
  ASSERT_TRUE(r.AwaitCalls(1));
  EXPECT_EQ(IdleWait(), Clock::Duration::max());
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(c.queue().NumRequeues(key_), 0);
  c.Stop();
  EXPECT_EQ(r.Calls(), 1u);
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_total{controller=\"widget\",result=\"error\"} 1\n"));
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_errors_total{controller=\"widget\"} 1\n"));
  EXPECT_TRUE(MetricsHave("controller_runtime_terminal_reconcile_errors_total{controller=\"widget\"} 1\n"));
  EXPECT_TRUE(MetricsHave("workqueue_retries_total{name=\"widget\"} 0\n"));
}

TEST_F(ControllerTest, AThrowingReconcilerIsRetriedNotFatal) {
  ScriptedReconciler r({ReconcileResult::Done()});
  r.Throw();
  Controller c(Options(), r);
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue(key_);
  ASSERT_TRUE(r.AwaitCalls(1));
  EXPECT_EQ(IdleWait(), milliseconds(5));
  c.Stop();
  EXPECT_TRUE(MetricsHave("controller_runtime_reconcile_errors_total{controller=\"widget\"} 1\n"));
}

TEST_F(ControllerTest, KeysAddedWhileProcessingAreMergedIntoOneMoreReconcile) {
  ScriptedReconciler r({ReconcileResult::Done()});
  Controller c(Options(4), r);
  ASSERT_TRUE(c.Start().ok());
  r.Hold(true);
  c.Enqueue(key_);
  ASSERT_TRUE(r.AwaitInFlight(1));
  for (int i = 0; i < 5; ++i) c.Enqueue(key_);
  // Three other workers are idle, yet none of them may take the key.
  ASSERT_TRUE(clock_.AwaitWaiters(3, kTimeout));
  EXPECT_EQ(r.Calls(), 1u);
  r.Hold(false);
  ASSERT_TRUE(r.AwaitCalls(2));
  ASSERT_TRUE(clock_.AwaitWaiters(4, kTimeout));
  c.Stop();
  EXPECT_EQ(r.Calls(), 2u);
  EXPECT_FALSE(r.Overlapped());
  EXPECT_TRUE(MetricsHave("workqueue_adds_total{name=\"widget\"} 2\n"));
}

TEST_F(ControllerTest, NoTwoWorkersReconcileTheSameKeyAtOnce) {
  ScriptedReconciler r({ReconcileResult::Done()});
  ControllerOptions o = Options(8);
  o.clock = nullptr;  // real time: this one is about real concurrency
  Controller c(o, r);
  ASSERT_TRUE(c.Start().ok());
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&c, p] {
      for (int i = 0; i < 500; ++i) c.Enqueue(Request{"ns", "obj-" + std::to_string((i + p) % 5)});
    });
  }
  for (auto& t : producers) t.join();
  ASSERT_TRUE(r.AwaitCalls(5));
  c.Stop();
  EXPECT_FALSE(r.Overlapped());
}

TEST_F(ControllerTest, StopWaitsForReconcilesInFlightAndThenRejectsKeys) {
  ScriptedReconciler r({ReconcileResult::Done()});
  Controller c(Options(2), r);
  ASSERT_TRUE(c.Start().ok());
  r.Hold(true);
  c.Enqueue(key_);
  ASSERT_TRUE(r.AwaitInFlight(1));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    c.Stop();
    stopped = true;
  });
  while (!c.queue().ShuttingDown()) std::this_thread::yield();
  EXPECT_FALSE(stopped);
  c.Enqueue(Request{"ns", "late"});
  r.Hold(false);
  stopper.join();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(r.Calls(), 1u);
  EXPECT_EQ(c.Start().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ControllerTest, RejectsZeroWorkers) {
  ScriptedReconciler r({ReconcileResult::Done()});
  Controller c(Options(0), r);
  EXPECT_EQ(c.Start().code(), StatusCode::kInvalidArgument);
}

TEST(Request, ToStringAndHash) {
  EXPECT_EQ((Request{"ns", "a"}).ToString(), "ns/a");
  EXPECT_EQ((Request{"", "a"}).ToString(), "a");
  EXPECT_NE(RequestHash{}(Request{"a", "b"}), RequestHash{}(Request{"b", "a"}));
}

nlohmann::json Owned(const nlohmann::json& refs) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "agent"}, {"namespace", "oncoatlas-node-a"}, {"ownerReferences", refs}}}};
}

TEST(OwnerRequests, MapsTheControllerOwnerToItsRequest) {
  const auto obj = Owned(nlohmann::json::array({
      {{"apiVersion", "oncoatlas.io/v1alpha1"}, {"kind", "Dataset"}, {"name", "ds1"}, {"controller", true}},
      {{"apiVersion", "oncoatlas.io/v1alpha1"}, {"kind", "Dataset"}, {"name", "ds2"}},
      {{"apiVersion", "other.io/v1"}, {"kind", "Dataset"}, {"name", "x"}, {"controller", true}},
  }));
  auto reqs = OwnerRequests(obj, {"oncoatlas.io", "Dataset"});
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0], (Request{"oncoatlas-node-a", "ds1"}));

  auto all = OwnerRequests(obj, {"oncoatlas.io", "Dataset", /*only_controller=*/false});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1], (Request{"oncoatlas-node-a", "ds2"}));
}

TEST(OwnerRequests, ClusterScopedOwnersAndTheCoreGroup) {
  const auto obj = Owned(nlohmann::json::array({
      {{"apiVersion", "oncoatlas.io/v1alpha1"}, {"kind", "DataNode"}, {"name", "site-a"}, {"controller", true}},
  }));
  auto reqs = OwnerRequests(obj, {"oncoatlas.io", "DataNode", true, /*owner_namespaced=*/false});
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0], (Request{"", "site-a"}));

  const auto pod = Owned(nlohmann::json::array({
      {{"apiVersion", "v1"}, {"kind", "ReplicationController"}, {"name", "rc"}, {"controller", true}},
  }));
  EXPECT_EQ(OwnerRequests(pod, {"", "ReplicationController"}).size(), 1u);
  EXPECT_TRUE(OwnerRequests(pod, {"apps", "ReplicationController"}).empty());
}

TEST(OwnerRequests, MalformedObjectsYieldNothing) {
  for (const auto& bad :
       {nlohmann::json(), nlohmann::json(42), nlohmann::json::array(), nlohmann::json{{"metadata", 1}},
        nlohmann::json{{"metadata", {{"ownerReferences", "x"}}}},
        Owned(nlohmann::json::array(
            {1,
             nlohmann::json::object(),
             {{"kind", "Dataset"}, {"controller", "yes"}},
             {{"apiVersion", 3}, {"kind", "Dataset"}, {"controller", true}},
             {{"apiVersion", "oncoatlas.io/v1alpha1"}, {"kind", "Dataset"}, {"controller", true}, {"name", ""}}}))}) {
    EXPECT_TRUE(OwnerRequests(bad, {"oncoatlas.io", "Dataset"}).empty()) << bad.dump();
  }
}

}  // namespace
}  // namespace oncoatlas::kube

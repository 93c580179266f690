// The informer against a ListerWatcher that lists once and then holds its
// watch open, with time on a FakeClock: the cache and the periodic resync.
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "kube/clock.h"
#include "kube/informer.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::seconds;

Json Cm(const std::string& name, const std::string& rv) {
  return {{"kind", "ConfigMap"}, {"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", rv}}}};
}

class HeldWatchSource : public ListerWatcher {
 public:
  ApiResult<Json> List(const ListOptions&) override {
    return Json{{"metadata", {{"resourceVersion", "2"}}}, {"items", {Cm("a", "1"), Cm("b", "2")}}};
  }
  ApiStatus Watch(const WatchOptions&, const std::function<bool(const WatchEvent&)>&, CancelToken*) override {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return released_; });
    return Status(StatusCode::kUnavailable, "cancelled");
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
};

class ResyncCounter : public ReflectorHandler {
 public:
  void OnAdd(const Json&) override {}
  void OnUpdate(const Json& old_object, const Json& new_object) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (old_object == new_object) ++resynced_;
    cv_.notify_all();
  }
  void OnDelete(const Json&) override {}
  bool AwaitResynced(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, seconds(10), [&] { return resynced_ >= n; });
  }
  int resynced() {
    std::lock_guard<std::mutex> lock(mutex_);
    return resynced_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int resynced_ = 0;
};

TEST(Informer, ResyncsEveryCachedObjectEachPeriodOfTheClock) {
  FakeClock clock;
  HeldWatchSource source;
  ReflectorOptions options;
  options.resource = {"", "v1", "configmaps", true, "ConfigMap"};
  options.clock = &clock;
  Informer informer(source, options, seconds(30));
  ResyncCounter handler;
  informer.AddHandler(&handler);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(seconds(10)));
  EXPECT_EQ(informer.store().size(), 2u);
  ASSERT_NE(informer.store().Get("ns/b"), nullptr);
  EXPECT_EQ((*informer.store().Get("ns/b"))["metadata"]["resourceVersion"], "2");

  ASSERT_TRUE(clock.AwaitWaiters(1, seconds(10)));  // the resync timer
  clock.Advance(seconds(29));
  ASSERT_TRUE(clock.AwaitSettled(1, seconds(10)));
  EXPECT_EQ(informer.resyncs(), 0);
  EXPECT_EQ(handler.resynced(), 0);
  clock.Advance(seconds(1));
  ASSERT_TRUE(handler.AwaitResynced(2));
  EXPECT_EQ(informer.resyncs(), 1);
  ASSERT_TRUE(clock.AwaitSettled(1, seconds(10)));
  clock.Advance(seconds(30));
  ASSERT_TRUE(handler.AwaitResynced(4));
  EXPECT_EQ(informer.resyncs(), 2);

  source.Release();
  informer.Stop();
}

}  // namespace
}  // namespace oncoatlas::kube

// The reflector against a scripted ListerWatcher and a fake clock: capped,
// jittered exponential backoff, Retry-After, resets, relist diffs — no
// network, no sleeps.
#include "kube/reflector.h"

#include <functional>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Json Cm(const std::string& name, const std::string& rv) {
  return {{"kind", "ConfigMap"}, {"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", rv}}}};
}

Json ListOf(std::vector<Json> items, const std::string& rv, const std::string& next = "") {
  Json md = {{"resourceVersion", rv}};
  if (!next.empty()) md["continue"] = next;
  return {{"kind", "ConfigMapList"}, {"metadata", md}, {"items", std::move(items)}};
}

ApiError Unavailable() { return ApiError::FromResponse(503, "", "", "test"); }

// Answers List and Watch calls from scripts indexed by call number and
// records the fake time of each call. When a script runs out, the reflector
// is stopped.
class ScriptedSource : public ListerWatcher {
 public:
  using ListScript = std::function<ApiResult<Json>(int call, const ListOptions&)>;
  using WatchScript =
      std::function<ApiStatus(int call, const WatchOptions&, const std::function<bool(const WatchEvent&)>&)>;

  ScriptedSource(FakeClock& clock, ListScript list, WatchScript watch)
      : clock_(clock), list_(std::move(list)), watch_(std::move(watch)) {}
  void set_reflector(Reflector* r) { reflector_ = r; }

  ApiResult<Json> List(const ListOptions& options) override {
    list_at.push_back(clock_.Now());
    list_options.push_back(options);
    return list_(static_cast<int>(list_at.size()) - 1, options);
  }
  ApiStatus Watch(const WatchOptions& options, const std::function<bool(const WatchEvent&)>& on_event,
                  CancelToken* /*cancel*/) override {
    watch_at.push_back(clock_.Now());
    watch_options.push_back(options);
    return watch_(static_cast<int>(watch_at.size()) - 1, options, on_event);
  }
  // Ends the run: called by a script as its last step.
  ApiStatus StopNow() {
    reflector_->Stop();
    return Status(StatusCode::kUnavailable, "cancelled");
  }

  std::vector<Clock::TimePoint> list_at, watch_at;
  std::vector<ListOptions> list_options;
  std::vector<WatchOptions> watch_options;

 private:
  FakeClock& clock_;
  ListScript list_;
  WatchScript watch_;
  Reflector* reflector_ = nullptr;
};

// Records deliveries as strings; optionally keeps objects like an informer.
class Recorder : public ReflectorHandler {
 public:
  explicit Recorder(bool keeps) : keeps_(keeps) {}
  void OnAdd(const Json& o) override {
    log.push_back("add " + Name(o) + "@" + Rv(o));
    objects[Name(o)] = o;
  }
  void OnUpdate(const Json& old_o, const Json& o) override {
    log.push_back("update " + Name(o) + " " + Rv(old_o) + "->" + Rv(o));
    objects[Name(o)] = o;
  }
  void OnDelete(const Json& o) override {
    log.push_back("delete " + Name(o) + "@" + Rv(o));
    objects.erase(Name(o));
  }
  void OnSynced() override { log.push_back("synced"); }
  bool KeepsObjects() const override { return keeps_; }
  ObjectPtr LastKnown(const std::string& key) const override {
    ++last_known_calls;
    auto it = objects.find(key.substr(key.find('/') + 1));
    return it == objects.end() ? nullptr : std::make_shared<const Json>(it->second);
  }

  static std::string Name(const Json& o) { return o["metadata"].value("name", ""); }
  static std::string Rv(const Json& o) { return o["metadata"].value("resourceVersion", ""); }

  std::vector<std::string> log;
  std::map<std::string, Json> objects;
  mutable int last_known_calls = 0;

 private:
  const bool keeps_;
};

ReflectorOptions Options(FakeClock& clock) {
  ReflectorOptions o;
  o.resource = {"", "v1", "configmaps", true, "ConfigMap"};
  o.namespace_name = "ns";
  o.initial_backoff = milliseconds(100);
  o.max_backoff = milliseconds(1000);
  o.backoff_jitter = 1.0;
  o.min_watch_duration = milliseconds(0);
  o.clock = &clock;
  return o;
}

std::vector<Clock::Duration> Gaps(const std::vector<Clock::TimePoint>& at) {
  std::vector<Clock::Duration> out;
  for (std::size_t i = 1; i < at.size(); ++i) out.push_back(at[i] - at[i - 1]);
  return out;
}

TEST(ReflectorBackoff, FailedListsWaitExponentiallyWithJitterUpToTheCap) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedSource source(
      clock,
      [](int call, const ListOptions&) -> ApiResult<Json> {
        if (call < 7) return Unavailable();
        return ListOf({}, "10");
      },
      [&](int, const WatchOptions&, const auto&) { return source.StopNow(); });
  Recorder handler(false);
  Reflector reflector(source, Options(clock), handler);
  source.set_reflector(&reflector);
  ASSERT_TRUE(reflector.Run().ok());

  ASSERT_EQ(source.list_at.size(), 8u);
  const std::vector<milliseconds> base = {milliseconds(100),  milliseconds(200),  milliseconds(400), milliseconds(800),
                                          milliseconds(1000), milliseconds(1000), milliseconds(1000)};
  const auto gaps = Gaps(source.list_at);
  bool any_jitter = false;
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    EXPECT_GE(gaps[i], Clock::Duration(base[i])) << "wait " << i;
    EXPECT_LE(gaps[i], Clock::Duration(std::min(base[i] * 2, milliseconds(1000)))) << "wait " << i;
    if (gaps[i] > Clock::Duration(base[i]) && base[i] < milliseconds(1000)) any_jitter = true;
  }
  EXPECT_TRUE(any_jitter) << "every wait was exactly the base delay: no jitter";
  EXPECT_EQ(reflector.LastResourceVersion(), "10");
  EXPECT_TRUE(reflector.HasSynced());
}

TEST(ReflectorBackoff, WatchFailuresBackOffAndAnEventResetsTheBackoff) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedSource source(
      clock, [](int, const ListOptions&) -> ApiResult<Json> { return ListOf({Cm("a", "5")}, "5"); },
      [&](int call, const WatchOptions&, const std::function<bool(const WatchEvent&)>& on_event) -> ApiStatus {
        switch (call) {
          case 0:
          case 1:
          case 2:
            return Unavailable();  // waits ~100, ~200, ~400 ms
          case 3:
            on_event({"MODIFIED", Cm("a", "6")});
            return Unavailable();  // delivered an event: back to ~100 ms
          default:
            return source.StopNow();
        }
      });
  Recorder handler(false);
  ReflectorOptions o = Options(clock);
  o.backoff_jitter = 0;  // exact waits
  Reflector reflector(source, o, handler);
  source.set_reflector(&reflector);
  ASSERT_TRUE(reflector.Run().ok());
  EXPECT_EQ(source.list_at.size(), 1u) << "a failed watch resumes without relisting";
  const auto gaps = Gaps(source.watch_at);
  ASSERT_EQ(gaps.size(), 4u);
  EXPECT_EQ(gaps[0], Clock::Duration(milliseconds(100)));
  EXPECT_EQ(gaps[1], Clock::Duration(milliseconds(200)));
  EXPECT_EQ(gaps[2], Clock::Duration(milliseconds(400)));
  EXPECT_EQ(gaps[3], Clock::Duration(milliseconds(100)));
  // Every watch resumes from the last version seen, with bookmarks, and asks
  // the server to end it within [watch_timeout, 2 * watch_timeout).
  EXPECT_EQ(source.watch_options[3].resource_version, "5");
  EXPECT_EQ(source.watch_options[4].resource_version, "6");
  for (const auto& w : source.watch_options) {
    EXPECT_TRUE(w.allow_bookmarks);
    EXPECT_GE(w.timeout_seconds, 300);
    EXPECT_LT(w.timeout_seconds, 600);
  }
}

TEST(ReflectorBackoff, HonoursRetryAfterLongerThanTheBackoff) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedSource source(
      clock, [](int, const ListOptions&) -> ApiResult<Json> { return ListOf({}, "1"); },
      [&](int call, const WatchOptions&, const auto&) -> ApiStatus {
        if (call == 0) return ApiError::FromResponse(429, "", "7", "watch");
        return source.StopNow();
      });
  Recorder handler(false);
  Reflector reflector(source, Options(clock), handler);
  source.set_reflector(&reflector);
  ASSERT_TRUE(reflector.Run().ok());
  ASSERT_EQ(source.watch_at.size(), 2u);
  EXPECT_EQ(source.watch_at[1] - source.watch_at[0], Clock::Duration(seconds(7)));
  EXPECT_EQ(reflector.LastError().code(), StatusCode::kUnavailable);  // the final "cancelled"
}

TEST(ReflectorBackoff, AWatchTheServerEndsAtOnceWithNoEventIsBackedOff) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedSource source(
      clock, [](int, const ListOptions&) -> ApiResult<Json> { return ListOf({}, "1"); },
      [&](int call, const WatchOptions&, const auto&) -> ApiStatus {
        if (call < 3) return std::monostate{};  // ended at once, OK, nothing delivered
        return source.StopNow();
      });
  Recorder handler(false);
  ReflectorOptions o = Options(clock);
  o.min_watch_duration = milliseconds(1000);
  o.backoff_jitter = 0;
  Reflector reflector(source, o, handler);
  source.set_reflector(&reflector);
  ASSERT_TRUE(reflector.Run().ok());
  const auto gaps = Gaps(source.watch_at);
  ASSERT_EQ(gaps.size(), 3u);
  EXPECT_EQ(gaps[0], Clock::Duration(milliseconds(100)));
  EXPECT_EQ(gaps[1], Clock::Duration(milliseconds(200)));
  EXPECT_EQ(gaps[2], Clock::Duration(milliseconds(400)));
}

// A 410 relists; the relist (in pages) is delivered as the difference from
// what the handler had, whether the reflector keeps its own copies or asks
// the handler (informer-style) for the last known objects.
void RelistDiff(bool handler_keeps_objects) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedSource source(
      clock,
      [](int call, const ListOptions& o) -> ApiResult<Json> {
        if (call == 0) return ListOf({Cm("keep", "1"), Cm("change", "2"), Cm("drop", "3")}, "3");
        if (o.continue_token.empty()) return ListOf({Cm("keep", "1"), Cm("change", "8")}, "9", "page-2");
        return ListOf({Cm("new", "9")}, "9");
      },
      [&](int call, const WatchOptions&, const std::function<bool(const WatchEvent&)>& on_event) -> ApiStatus {
        if (call == 0) {
          on_event({"BOOKMARK", {{"kind", "ConfigMap"}, {"metadata", {{"resourceVersion", "4"}}}}});
          on_event({"ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}, {"message", "too old"}}});
          return std::monostate{};
        }
        return source.StopNow();
      });
  Recorder handler(handler_keeps_objects);
  ReflectorOptions o = Options(clock);
  o.page_size = 2;
  Reflector reflector(source, o, handler);
  source.set_reflector(&reflector);
  ASSERT_TRUE(reflector.Run().ok());

  EXPECT_EQ(reflector.list_count(), 2);
  ASSERT_EQ(source.list_options.size(), 3u);
  EXPECT_EQ(source.list_options[1].limit, 2);
  EXPECT_EQ(source.list_options[2].continue_token, "page-2");
  EXPECT_EQ(source.watch_at.size(), 2u);
  EXPECT_EQ(source.watch_at[1], source.watch_at[0]) << "a 410 relists at once, without backoff";
  EXPECT_EQ(source.watch_options[1].resource_version, "9");
  EXPECT_EQ(handler.log, (std::vector<std::string>{"add keep@1", "add change@2", "add drop@3", "synced",
                                                   "update change 2->8", "add new@9", "delete drop@3", "synced"}));
  if (handler_keeps_objects) {
    EXPECT_EQ(handler.last_known_calls, 2);  // the old "change" and the deleted "drop"
  } else {
    EXPECT_EQ(handler.last_known_calls, 0);
  }
}

TEST(ReflectorRelist, DeliversTheDifferenceWithItsOwnCopies) { RelistDiff(false); }
TEST(ReflectorRelist, DeliversTheDifferenceFromTheHandlersObjects) { RelistDiff(true); }

}  // namespace
}  // namespace oncoatlas::kube

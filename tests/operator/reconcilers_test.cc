// The reconcilers' decisions with fakes (caches, status writer, Event sink,
// clock): each kind's conditions and reasons, observedGeneration, Events on
// transitions, and no status write when nothing changed.
#include <gtest/gtest.h>

#include "access_grant_controller.h"
#include "access_policy_controller.h"
#include "api/node_contract.h"
#include "api/resources.h"
#include "benchmark_run_controller.h"
#include "dataset_controller.h"
#include "kube/clock.h"
#include "kube/rfc3339.h"
#include "label_selector.h"
#include "support/api_objects.h"

namespace oncoatlas::op {
namespace {

using nlohmann::json;

json DataNode(const std::string& name, json cluster) {
  return oncoatlas::testing::DataNodeObject(name, std::move(cluster));
}

json Dataset(const std::string& ns, const std::string& name, const std::string& node, json labels = json::object()) {
  return {{"apiVersion", "oncoatlas.io/v1alpha1"},
          {"kind", "Dataset"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"generation", 2}, {"labels", std::move(labels)}}},
          {"spec",
           {{"node", node},
            {"source", {{"protocol", "folder"}}},
            {"cancerType", {{"code", "C50"}}},
            {"deidentification", json::object()},
            {"pseudonymisation", {{"keySecretRef", {{"name", "k"}}}}},
            {"dataUse", {{"permission", "DUO:0000007"}}}}}};
}

json Grant(const std::string& ns, const std::string& name, json datasets, json permissions, const std::string& from,
           const std::string& until) {
  return {{"apiVersion", "oncoatlas.io/v1alpha1"},
          {"kind", "AccessGrant"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"generation", 1}}},
          {"spec",
           {{"grantee", {{"kind", "User"}, {"name", "u"}, {"country", "SE"}, {"type", "Academic"}}},
            {"datasets", std::move(datasets)},
            {"purpose", {{"codes", {"DUO:0000007"}}, {"statement", "s"}}},
            {"permissions", std::move(permissions)},
            {"validFrom", from},
            {"validUntil", until}}}};
}

json RunObject(const std::string& ns, const std::string& name, json datasets, const std::string& grant) {
  return {{"apiVersion", "oncoatlas.io/v1alpha1"},
          {"kind", "BenchmarkRun"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"generation", 1}}},
          {"spec",
           {{"image", "r/i@sha256:0000000000000000000000000000000000000000000000000000000000000000"},
            {"task", "t"},
            {"datasets", std::move(datasets)},
            {"metrics", {{{"name", "AUC"}}}},
            {"grantRef", {{"name", grant}}}}}};
}

const kube::ConditionSpec* Find(const Assessment& a, const std::string& type) {
  for (const auto& c : a.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() : recorder_({.component = "test", .clock = &clock_}, sink_) {}
  ReconcilerDeps Deps() { return {&writer_, &recorder_, &clock_}; }
  // Applies the last write to the cached object, as the watch would.
  void ApplyLastWrite(FakeObjectLookup& cache) {
    const auto writes = writer_.writes();
    ASSERT_FALSE(writes.empty());
    ObjectPtr current = cache.Get(writes.back().ns, writes.back().name);
    ASSERT_NE(current, nullptr);
    json updated = *current;
    updated["status"] = writes.back().status;
    cache.Put(updated);
  }

  kube::FakeClock clock_;
  FakeStatusWriter writer_;
  kube::FakeEventSink sink_;
  kube::EventRecorder recorder_;
};

TEST_F(ReconcilerTest, DatasetWaitsForItsDataNodeThenFindsItAndWritesNothingWhenUnchanged) {
  FakeObjectLookup datasets, datanodes;
  datasets.Put(Dataset("oncoatlas-node-se", "breast", "se"));
  DatasetReconciler reconciler(datasets, datanodes, Deps());
  const kube::Request key{"oncoatlas-node-se", "breast"};

  EXPECT_EQ(reconciler.Reconcile(key).kind(), kube::ReconcileResult::Kind::kDone);
  ASSERT_EQ(writer_.writes().size(), 1u);
  const json status = writer_.writes()[0].status;
  EXPECT_FALSE(status.contains("observedGeneration")) << "the agent owns observedGeneration: " << status.dump();
  ASSERT_EQ(status["conditions"].size(), 1u);
  EXPECT_EQ(status["conditions"][0]["type"], "DataNodeFound");
  EXPECT_EQ(status["conditions"][0]["reason"], "DataNodeNotFound");
  EXPECT_EQ(status["conditions"][0]["status"], "False");
  EXPECT_EQ(status["conditions"][0]["observedGeneration"], 2);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].type, kube::EventType::kWarning);
  EXPECT_EQ(sink_.events[0].reason, "DataNodeNotFound");

  ApplyLastWrite(datasets);
  reconciler.Reconcile(key);
  EXPECT_EQ(writer_.writes().size(), 1u) << "a reconcile that changes nothing must not write";
  EXPECT_EQ(sink_.events.size(), 1u);

  datanodes.Put(DataNode("se", {{"local", json::object()}}));
  EXPECT_EQ(DatasetsOfDataNode(*datanodes.Get("", "se"), datasets), (std::vector<kube::Request>{key}));
  reconciler.Reconcile(key);
  ASSERT_EQ(writer_.writes().size(), 2u);
  EXPECT_EQ(writer_.writes()[1].status["conditions"][0]["status"], "True");
  EXPECT_EQ(writer_.writes()[1].status["conditions"][0]["reason"], "DataNodeFound");
  EXPECT_EQ(writer_.writes()[1].status["conditions"][1]["type"], "NodeConnected");
  ASSERT_EQ(sink_.events.size(), 3u);
  EXPECT_EQ(sink_.events[1].type, kube::EventType::kNormal);
  EXPECT_EQ(sink_.events[1].reason, "DataNodeFound");
  EXPECT_EQ(sink_.events[2].reason, "NodeNotConnected");
}

TEST_F(ReconcilerTest, DatasetKeepsTheAgentsStatusAndObservedGeneration) {
  FakeObjectLookup datasets, datanodes;
  json ds = Dataset("oncoatlas-node-se", "breast", "se");
  ds["status"] = {{"observedGeneration", 1},
                  {"phase", "Ready"},
                  {"contentDigest", "sha256:00"},
                  {"conditions",
                   {{{"type", "Ready"},
                     {"status", "True"},
                     {"observedGeneration", 1},
                     {"lastTransitionTime", "2026-01-01T00:00:00Z"},
                     {"reason", "IngestionComplete"},
                     {"message", "m"}}}}};
  datasets.Put(ds);
  datanodes.Put(DataNode("se", {{"local", json::object()}}));
  DatasetReconciler reconciler(datasets, datanodes, Deps());
  reconciler.Reconcile({"oncoatlas-node-se", "breast"});
  ASSERT_EQ(writer_.writes().size(), 1u);
  const json status = writer_.writes()[0].status;
  EXPECT_EQ(status["observedGeneration"], 1) << "the operator must not claim the agent observed generation 2";
  EXPECT_EQ(status["phase"], "Ready");
  EXPECT_EQ(status["contentDigest"], "sha256:00");
  ASSERT_EQ(status["conditions"].size(), 3u);
  EXPECT_EQ(status["conditions"][0]["type"], "Ready");
  EXPECT_EQ(status["conditions"][0]["reason"], "IngestionComplete");
  EXPECT_EQ(status["conditions"][1]["type"], "DataNodeFound");
  EXPECT_EQ(status["conditions"][2]["type"], "NodeConnected");
  EXPECT_EQ(status["conditions"][2]["reason"], "NodeNotConnected")
      << "the DataNode has no AgentConnected condition yet";
}

// A DataNode status whose AgentConnected condition is `status`/`reason`, and
// whose phase says `phase` (a summary controllers must not read).
json AgentConnected(const std::string& status, const std::string& reason, const std::string& phase) {
  return {{"phase", phase},
          {"conditions",
           {{{"type", "AgentConnected"},
             {"status", status},
             {"reason", reason},
             {"message", "m"},
             {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}};
}

TEST_F(ReconcilerTest, DatasetIsSuspendedWhileItsNodeIsDisconnectedAndGetsTheAgentsPhaseBack) {
  FakeObjectLookup datasets, datanodes;
  json ds = Dataset("oncoatlas-node-se", "breast", "se");
  ds["status"] = {{"observedGeneration", 2},
                  {"phase", "Ready"},
                  {"conditions",
                   {{{"type", "Ready"},
                     {"status", "True"},
                     {"observedGeneration", 2},
                     {"lastTransitionTime", "2026-01-01T00:00:00Z"},
                     {"reason", "IngestionComplete"},
                     {"message", "m"}}}}};
  datasets.Put(ds);
  // The DataNode's AgentConnected condition decides; its phase, a summary, is
  // written contradicting it here and must be ignored.
  json node = DataNode("se", {{"local", json::object()}});
  node["status"] = AgentConnected("True", "HeartbeatFresh", "Disconnected");
  datanodes.Put(node);
  DatasetReconciler reconciler(datasets, datanodes, Deps());
  const kube::Request key{"oncoatlas-node-se", "breast"};
  reconciler.Reconcile(key);
  ASSERT_EQ(writer_.writes().size(), 1u);
  EXPECT_EQ(writer_.writes()[0].status["phase"], "Ready") << "the agent's phase is left alone";
  ApplyLastWrite(datasets);

  node["status"] = AgentConnected("False", "HeartbeatStale", "Connected");
  datanodes.Put(node);
  reconciler.Reconcile(key);
  ASSERT_EQ(writer_.writes().size(), 2u);
  json status = writer_.writes()[1].status;
  EXPECT_EQ(status["phase"], "Suspended");
  const json* connected = nullptr;
  for (const json& c : status["conditions"]) {
    if (c["type"] == "NodeConnected") connected = &c;
  }
  ASSERT_NE(connected, nullptr) << status.dump();
  EXPECT_EQ((*connected)["status"], "False");
  EXPECT_EQ((*connected)["reason"], "NodeDisconnected");
  EXPECT_NE((*connected)["message"].get<std::string>().find("kubectl describe datanode se"), std::string::npos);
  ASSERT_FALSE(sink_.events.empty());
  EXPECT_EQ(sink_.events.back().reason, "NodeDisconnected");
  ApplyLastWrite(datasets);
  reconciler.Reconcile(key);
  EXPECT_EQ(writer_.writes().size(), 2u) << "nothing changed, nothing written";

  // Back: the phase the agent's Ready condition stands for, not Suspended.
  node["status"] = AgentConnected("True", "HeartbeatFresh", "Degraded");
  datanodes.Put(node);
  reconciler.Reconcile(key);
  ASSERT_EQ(writer_.writes().size(), 3u);
  EXPECT_EQ(writer_.writes()[2].status["phase"], "Ready");

  // Never connected (no heartbeat yet, or an invalid one): not connected, not suspended.
  node["status"] = AgentConnected("False", "HeartbeatInvalid", "Disconnected");
  datanodes.Put(node);
  ApplyLastWrite(datasets);
  reconciler.Reconcile(key);
  ASSERT_EQ(writer_.writes().size(), 4u);
  EXPECT_EQ(writer_.writes()[3].status["phase"], "Ready");
  EXPECT_EQ(writer_.writes()[3].status["conditions"][2]["reason"], "NodeNotConnected");
}

TEST(DatasetAssessment, PhaseFromTheAgentsReadyCondition) {
  auto with_ready = [](const std::string& status, const std::string& reason) {
    return json{{"conditions", {{{"type", "Ready"}, {"status", status}, {"reason", reason}}}}};
  };
  EXPECT_EQ(PhaseFromAgentConditions(with_ready("True", "IngestionComplete")), "Ready");
  EXPECT_EQ(PhaseFromAgentConditions(with_ready("False", "Ingesting")), "Ingesting");
  EXPECT_EQ(PhaseFromAgentConditions(with_ready("False", "KeySecretNotFound")), "Pending");
  EXPECT_EQ(PhaseFromAgentConditions(with_ready("False", "IngestionFailed")), "Failed");
  EXPECT_EQ(PhaseFromAgentConditions(json::object()), "Pending");
  EXPECT_EQ(PhaseFromAgentConditions(json{{"conditions", "not a list"}}), "Pending");
}

TEST_F(ReconcilerTest, DatasetOutsideItsNodeNamespace) {
  const json ds = Dataset("elsewhere", "x", "se");
  const json node = DataNode("se", {{"local", json::object()}});
  const Assessment a = AssessDataset(ds, &node);
  EXPECT_FALSE(a.owns_observed_generation);
  EXPECT_EQ(Find(a, kube::kConditionReady), nullptr) << "Ready is the agent's";
  ASSERT_NE(Find(a, kDataNodeFound), nullptr);
  EXPECT_EQ(Find(a, kDataNodeFound)->reason, "NamespaceMismatch");
  EXPECT_NE(Find(a, kDataNodeFound)->message.find("oncoatlas-node-se"), std::string::npos);
}

TEST_F(ReconcilerTest, DeletedObjectIsDoneWithoutWrites) {
  FakeObjectLookup datasets, datanodes;
  DatasetReconciler reconciler(datasets, datanodes, Deps());
  EXPECT_EQ(reconciler.Reconcile({"ns", "gone"}).kind(), kube::ReconcileResult::Kind::kDone);
  EXPECT_TRUE(writer_.writes().empty());
}

TEST_F(ReconcilerTest, FailedWriteIsRetried) {
  FakeObjectLookup datasets, datanodes;
  datasets.Put(Dataset("oncoatlas-node-se", "breast", "se"));
  DatasetReconciler reconciler(datasets, datanodes, Deps());
  writer_.FailNextWith(Status(StatusCode::kConflict, "the object has been modified"));
  EXPECT_EQ(reconciler.Reconcile({"oncoatlas-node-se", "breast"}).kind(), kube::ReconcileResult::Kind::kError);
  EXPECT_TRUE(sink_.events.empty());
}

TEST(AccessGrantAssessment, DatasetsWindowAndPolicy) {
  FakeObjectLookup datasets;
  datasets.Put(Dataset("oncoatlas-node-se", "breast", "se", {{"cancer", "breast"}}));
  datasets.Put(Dataset("oncoatlas-node-de", "lung", "de", {{"cancer", "lung"}}));
  const auto now = *kube::ParseTime("2026-06-01T00:00:00Z");

  const json named_missing =
      Grant("g", "a", {{"names", {{{"node", "se"}, {"name", "breast"}}, {{"node", "fr"}, {"name", "x"}}}}}, {"Query"},
            "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
  Assessment a = AssessAccessGrant(named_missing, ResolveGrantDatasets(named_missing, datasets), now);
  EXPECT_EQ(Find(a, kube::kConditionReady)->reason, "DatasetNotFound");
  EXPECT_NE(Find(a, kube::kConditionReady)->message.find("fr/x"), std::string::npos);
  EXPECT_FALSE(Find(a, kDatasetsResolved)->IsTrue());
  EXPECT_EQ(a.fields["datasetCount"], 1);

  const json selected = Grant("g", "b", {{"selector", {{"matchLabels", {{"cancer", "lung"}}}}}}, {"Query"},
                              "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
  a = AssessAccessGrant(selected, ResolveGrantDatasets(selected, datasets), now);
  EXPECT_TRUE(Find(a, kDatasetsResolved)->IsTrue());
  EXPECT_EQ(a.fields["datasetCount"], 1);
  EXPECT_EQ(Find(a, kube::kConditionReady)->reason, "PolicyEvaluationPending");
  EXPECT_FALSE(Find(a, kube::kConditionReady)->IsTrue())
      << "no policy engine yet: a grant must never claim to be active";
  ASSERT_TRUE(a.requeue_after);  // until validUntil (capped)

  const json future = Grant("g", "c", {{"names", {{{"node", "se"}, {"name", "breast"}}}}}, {"Process"},
                            "2026-06-01T00:00:10Z", "2027-01-01T00:00:00Z");
  a = AssessAccessGrant(future, ResolveGrantDatasets(future, datasets), now);
  EXPECT_EQ(Find(a, kube::kConditionReady)->reason, "NotYetValid");
  ASSERT_TRUE(a.requeue_after);
  EXPECT_EQ(*a.requeue_after, std::chrono::seconds(11));

  const json expired = Grant("g", "d", {{"names", {{{"node", "se"}, {"name", "breast"}}}}}, {"Query"},
                             "2025-01-01T00:00:00Z", "2026-05-31T23:59:59Z");
  a = AssessAccessGrant(expired, ResolveGrantDatasets(expired, datasets), now);
  EXPECT_EQ(Find(a, kube::kConditionReady)->reason, "Expired");

  const json none = Grant("g", "e", {{"selector", {{"matchLabels", {{"cancer", "skin"}}}}}}, {"Query"},
                          "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
  a = AssessAccessGrant(none, ResolveGrantDatasets(none, datasets), now);
  EXPECT_EQ(Find(a, kube::kConditionReady)->reason, "NoDatasets");

  FakeObjectLookup grants;
  grants.Put(named_missing);
  grants.Put(selected);
  grants.Put(Grant("g", "other", {{"names", {{{"node", "de"}, {"name", "lung"}}}}}, {"Query"}, "2026-01-01T00:00:00Z",
                   "2027-01-01T00:00:00Z"));
  const auto affected = GrantsOfDataset(*datasets.Get("oncoatlas-node-se", "breast"), grants);
  EXPECT_EQ(affected, (std::vector<kube::Request>{{"g", "a"}, {"g", "b"}}));
}

TEST(BenchmarkRunAssessment, EveryReference) {
  FakeObjectLookup datasets;
  datasets.Put(Dataset("oncoatlas-node-se", "breast", "se"));
  const json ds_ref = {{{"node", "se"}, {"name", "breast"}}};
  const json run = RunObject("v", "r", ds_ref, "g");

  EXPECT_EQ(Find(AssessBenchmarkRun(RunObject("v", "r", {{{"node", "se"}, {"name", "nope"}}}, "g"), nullptr, datasets),
                 kube::kConditionReady)
                ->reason,
            "DatasetNotFound");
  EXPECT_EQ(Find(AssessBenchmarkRun(run, nullptr, datasets), kube::kConditionReady)->reason, "AccessGrantNotFound");

  json other = Grant("v", "g", {{"names", {{{"node", "de"}, {"name", "lung"}}}}}, {"Process"}, "2026-01-01T00:00:00Z",
                     "2027-01-01T00:00:00Z");
  EXPECT_EQ(Find(AssessBenchmarkRun(run, &other, datasets), kube::kConditionReady)->reason, "DatasetNotCoveredByGrant");

  json query_only = Grant("v", "g", {{"names", ds_ref}}, {"Query"}, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
  EXPECT_EQ(Find(AssessBenchmarkRun(run, &query_only, datasets), kube::kConditionReady)->reason,
            "GrantLacksProcessPermission");

  json inactive = Grant("v", "g", {{"names", ds_ref}}, {"Process"}, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
  inactive["status"] = {{"conditions", {{{"type", "Ready"}, {"status", "False"}, {"reason", "NotYetValid"}}}}};
  Assessment a = AssessBenchmarkRun(run, &inactive, datasets);
  EXPECT_EQ(Find(a, kube::kConditionReady)->reason, "GrantNotActive");
  EXPECT_NE(Find(a, kube::kConditionReady)->message.find("NotYetValid"), std::string::npos);
  EXPECT_TRUE(Find(a, kReferencesResolved)->IsTrue());

  json active = inactive;
  active["status"]["conditions"][0]["status"] = "True";
  EXPECT_TRUE(Find(AssessBenchmarkRun(run, &active, datasets), kube::kConditionReady)->IsTrue());

  FakeObjectLookup runs;
  runs.Put(run);
  runs.Put(RunObject("other-ns", "r2", ds_ref, "g"));
  EXPECT_EQ(RunsOfGrant(active, runs), (std::vector<kube::Request>{{"v", "r"}}));
  EXPECT_EQ(RunsOfDataset(*datasets.Get("oncoatlas-node-se", "breast"), runs).size(), 2u);
}

TEST(AccessPolicyAssessment, ConsistentAndConflictingRules) {
  auto policy = [](json rules) {
    return json{{"apiVersion", "oncoatlas.io/v1alpha1"},
                {"kind", "AccessPolicy"},
                {"metadata", {{"name", "p"}, {"generation", 1}}},
                {"spec", {{"rules", std::move(rules)}}}};
  };
  const json allow = {
      {"name", "a"}, {"match", {{"permissions", {"Query", "Process"}}}}, {"effect", "Allow"}, {"message", "m"}};
  const json deny_same = {
      {"name", "d"}, {"match", {{"permissions", {"Process", "Query"}}}}, {"effect", "Deny"}, {"message", "m"}};
  const json deny_other = {
      {"name", "d"}, {"match", {{"permissions", {"Retrieve"}}}}, {"effect", "Deny"}, {"message", "m"}};
  EXPECT_EQ(Find(AssessAccessPolicy(policy({allow, deny_other})), kube::kConditionReady)->reason, "Valid");
  const Assessment conflict = AssessAccessPolicy(policy({allow, deny_same}));
  EXPECT_EQ(Find(conflict, kube::kConditionReady)->reason, "ConflictingRules");
  EXPECT_NE(Find(conflict, kube::kConditionReady)->message.find("\"a\""), std::string::npos);
  const json zero = {{"name", "z"}, {"effect", "RequireApprovals"}, {"approvals", 0}, {"message", "m"}};
  EXPECT_EQ(Find(AssessAccessPolicy(policy({zero})), kube::kConditionReady)->reason, "InvalidRule");
}

TEST(LabelSelector, Operators) {
  const json obj = {{"metadata", {{"labels", {{"a", "1"}, {"b", "2"}}}}}};
  EXPECT_TRUE(SelectorMatches({{"matchLabels", {{"a", "1"}}}}, obj));
  EXPECT_FALSE(SelectorMatches({{"matchLabels", {{"a", "2"}}}}, obj));
  EXPECT_TRUE(
      SelectorMatches({{"matchExpressions", {{{"key", "a"}, {"operator", "In"}, {"values", {"0", "1"}}}}}}, obj));
  EXPECT_FALSE(
      SelectorMatches({{"matchExpressions", {{{"key", "a"}, {"operator", "NotIn"}, {"values", {"1"}}}}}}, obj));
  EXPECT_TRUE(SelectorMatches({{"matchExpressions", {{{"key", "c"}, {"operator", "DoesNotExist"}}}}}, obj));
  EXPECT_FALSE(SelectorMatches({{"matchExpressions", {{{"key", "c"}, {"operator", "Exists"}}}}}, obj));
  EXPECT_FALSE(SelectorMatches({{"matchExpressions", {{{"key", "a"}, {"operator", "Like"}}}}}, obj));
}

// A selector without a requirement would cover every Dataset of the
// federation: it matches nothing, as do requirements the CRD refuses.
TEST(LabelSelector, RefusesEmptyAndMalformedSelectors) {
  const json obj = {{"metadata", {{"labels", {{"a", "1"}}}}}};
  const json unlabelled = {{"metadata", json::object()}};
  EXPECT_FALSE(SelectorMatches(json::object(), obj));
  EXPECT_FALSE(SelectorMatches(json::object(), unlabelled));
  EXPECT_FALSE(SelectorMatches({{"matchLabels", json::object()}, {"matchExpressions", json::array()}}, obj));
  EXPECT_FALSE(SelectorMatches({{"matchExpressions", {{{"key", "c"}, {"operator", "NotIn"}}}}}, obj))
      << "NotIn without values";
  EXPECT_FALSE(
      SelectorMatches({{"matchExpressions", {{{"key", "a"}, {"operator", "In"}, {"values", json::array()}}}}}, obj));
  EXPECT_FALSE(
      SelectorMatches({{"matchExpressions", {{{"key", "a"}, {"operator", "Exists"}, {"values", {"1"}}}}}}, obj))
      << "Exists with values";
  EXPECT_TRUE(
      SelectorMatches({{"matchExpressions", {{{"key", "a"}, {"operator", "Exists"}, {"values", nullptr}}}}}, obj));
}

TEST(Rfc3339, ParseAndFormat) {
  const auto t = kube::ParseTime("2026-02-01T00:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(kube::FormatTime(*t), "2026-02-01T00:00:00Z");
  EXPECT_EQ(kube::ParseTime("2026-02-01T01:00:00+01:00"), t);
  EXPECT_EQ(kube::ParseTime("2026-02-01T00:00:00.250Z").value() - *t, std::chrono::milliseconds(0))
      << "fractions are ignored (metav1.Time has whole seconds)";
  EXPECT_FALSE(kube::ParseTime("2026-02-01"));
  EXPECT_FALSE(kube::ParseTime("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(kube::ParseTime("2026-02-01T00:00:00"));
  EXPECT_FALSE(kube::ParseTime("2026-02-01T00:00:00Zjunk"));
}

}  // namespace
}  // namespace oncoatlas::op

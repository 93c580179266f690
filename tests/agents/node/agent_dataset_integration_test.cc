// The Dataset controller of `oncoatlas-agent run` against a real control plane
// and a real Orthanc filled by oncoatlas-synth, one scenario per test. The
// suite sets up once: the hub side as the operator renders it (namespace,
// RBAC), the PACS with the corpus, and the agent binary run from the rendered
// ConfigMap and Secret through the local-kubelet runner with a DIMSE PACS
// (C-GET). Each test makes Datasets of its own; the test plays the operator
// (the DataNodeFound condition). Counts and facets are checked against
// pydicom's reading of the generator's files.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/resources.h"
#include "core/base64.h"
#include "core/subprocess.h"
#include "index/sqlite_index.h"
#include "kube/client_config.h"
#include "kube/rest_client.h"
#include "support/agent_process.h"
#include "support/control_plane.h"
#include "support/files.h"
#include "support/node_hub.h"
#include "support/orthanc.h"

namespace oncoatlas::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kNode = "dsnode";
constexpr const char* kHubNs = "oncoatlas-node-dsnode";
constexpr const char* kSiteNs = "oncoatlas-agent-dsnode";
constexpr int kMinimumCellCount = 5;

ControlPlane& Cp() { return ControlPlaneEnvironment::Get(); }

void Kubectl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
  auto r = Cp().Kubectl(args, stdin_data);
  ASSERT_TRUE(r.success()) << r.Describe();
}

// What pydicom reads from a synth corpus: instances, series, studies,
// patients, studies per modality, patients per sex.
struct CorpusFacts {
  int instances = 0, series = 0, studies = 0, patients = 0;
  std::map<std::string, int> modality_studies;
  std::map<std::string, int> sex_patients;
};

CorpusFacts ReadCorpus(const std::vector<std::string>& dirs) {
  std::vector<std::string> args = {"/usr/bin/python3", "-c",
                                   "import sys, pathlib, pydicom, collections, json\n"
                                   "n = 0; series = set(); studies = collections.defaultdict(set); sex = {}\n"
                                   "for root in sys.argv[1:]:\n"
                                   "    for p in pathlib.Path(root).rglob('*.dcm'):\n"
                                   "        d = pydicom.dcmread(p, stop_before_pixels=True); n += 1\n"
                                   "        series.add(d.SeriesInstanceUID)\n"
                                   "        studies[d.Modality].add(d.StudyInstanceUID)\n"
                                   "        sex[d.PatientID] = d.get('PatientSex', '') or 'unknown'\n"
                                   "print(json.dumps({'instances': n, 'series': len(series),\n"
                                   "  'studies': len(set().union(*studies.values())), 'patients': len(sex),\n"
                                   "  'modality': {k: len(v) for k, v in studies.items()},\n"
                                   "  'sex': collections.Counter(sex.values())}))\n"};
  args.insert(args.end(), dirs.begin(), dirs.end());
  auto r = RunSubprocess(args);
  EXPECT_TRUE(r.ok() && r->success()) << (r.ok() ? r->Describe() : r.status().ToString());
  CorpusFacts f;
  if (!r.ok() || !r->success()) return f;
  const json j = json::parse(r->out);
  f.instances = j["instances"];
  f.series = j["series"];
  f.studies = j["studies"];
  f.patients = j["patients"];
  f.modality_studies = j["modality"].get<std::map<std::string, int>>();
  f.sex_patients = j["sex"].get<std::map<std::string, int>>();
  return f;
}

std::string Suppressed(int n) {
  return n < kMinimumCellCount ? "<" + std::to_string(kMinimumCellCount) : std::to_string(n);
}

json Condition(const json& object, const std::string& type) {
  if (!object.is_object() || !object.contains("status")) return nullptr;
  for (const json& c : object.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

std::string DatasetYaml(const std::string& name, const std::string& protocol, const std::string& title,
                        const std::string& key_secret = "ds-key") {
  return "apiVersion: oncoatlas.io/v1alpha1\nkind: Dataset\nmetadata: {name: " + name +
         ", namespace: oncoatlas-node-dsnode}\nspec:\n  node: dsnode\n  title: " + title +
         "\n  source: {protocol: " + protocol +
         "}\n  cancerType: {code: C50}\n  deidentification: {retainPatientCharacteristics: true}\n"
         "  pseudonymisation: {keySecretRef: {name: " +
         key_secret +
         "}}\n  dataUse: {permission: \"DUO:0000007\", diseases: "
         "[C50]}\n"
         "  minimumCellCount: " +
         std::to_string(kMinimumCellCount) + "\n";
}

class AgentDatasetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Kubectl({"apply", "--server-side", "-f", SourceDir() + "/crds/"});
    Kubectl({"wait", "--for=condition=Established", "--timeout=60s", "crd/datasets.oncoatlas.io"});
    auto cfg = kube::LoadKubeconfig({.path = Cp().kubeconfig()});
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    admin_ = std::move(kube::RestClient::Create(*cfg)).value().release();

    // The hub side as the operator renders it.
    Kubectl({"apply", "--server-side", "-f", "-"}, NodeHubObjects(kNode).dump());
    json body = {
        {"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", {{"expirationSeconds", 3600}}}};
    auto token = admin_->Request(
        "POST", std::string("/api/v1/namespaces/") + kHubNs + "/serviceaccounts/oncoatlas-agent/token", &body);
    ASSERT_TRUE(token.ok()) << token.status().ToString();

    auto pacs = OrthancServer::Start("dataset", "SITEPACS");
    ASSERT_TRUE(pacs.ok()) << pacs.status().ToString();
    pacs_ = std::move(pacs).value().release();
    loaded_ = new std::vector<std::string>();
    base_ = new fs::path(fs::path(::testing::TempDir()) / ("agent-dataset-" + std::to_string(::getpid())));
    fs::remove_all(*base_);
    fs::create_directories(*base_);
    std::ofstream(*base_ / "password") << pacs_->password();
    LoadPatients("corpus", 2, 21);

    const std::string agent_yaml =
        std::string("node: ") + kNode + "\nhub:\n  kubeconfig: /etc/oncoatlas/hub/kubeconfig\n" +
        "  namespace: " + kHubNs +
        "\n  heartbeat: {leaseName: oncoatlas-agent, leaseDurationSeconds: 20, renewIntervalSeconds: 2}\n" +
        "pacs:\n  dimse: {host: 127.0.0.1, port: " + std::to_string(pacs_->dicom_port()) +
        ", calledAETitle: SITEPACS, callingAETitle: ONCOATLAS_DS}\n" +
        "  checkIntervalSeconds: 5\nstore: {path: /var/lib/oncoatlas}\nlogFormat: text\n";
    const std::string kubeconfig =
        "apiVersion: v1\nkind: Config\nclusters:\n- name: hub\n  cluster:\n    server: " + Cp().server() +
        "\n    certificate-authority: ca.crt\nusers:\n- name: agent\n  user:\n"
        "    tokenFile: token\ncontexts:\n- name: hub\n  context: {cluster: hub, user: "
        "agent, namespace: " +
        std::string(kHubNs) + "}\ncurrent-context: hub\n";
    json objects = {
        {"apiVersion", "v1"},
        {"kind", "List"},
        {"items",
         {{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kSiteNs}}}},
          {{"apiVersion", "v1"},
           {"kind", "ConfigMap"},
           {"metadata", {{"name", std::string("oncoatlas-agent-") + kNode}, {"namespace", kSiteNs}}},
           {"data", {{"agent.yaml", agent_yaml}}}},
          {{"apiVersion", "v1"},
           {"kind", "Secret"},
           {"type", "Opaque"},
           {"metadata", {{"name", std::string("oncoatlas-agent-") + kNode + "-hub"}, {"namespace", kSiteNs}}},
           {"data",
            {{"kubeconfig", EncodeBase64(kubeconfig)},
             {"token", EncodeBase64(token->at("status").value("token", ""))},
             {"ca.crt", EncodeBase64(ReadFile(Cp().dir() + "/pki/ca.crt"))}}}}}}};
    Kubectl({"apply", "-f", "-"}, objects.dump());

    // The node's agent, and the Datasets' key Secret.
    auto started = AgentProcess::Start({.node = kNode, .site_kubeconfig = Cp().kubeconfig()});
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    agent_ = std::move(started).value().release();
    CreateKeySecret("ds-key", "0123456789abcdef0123456789abcdef-test-key");
  }

  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
    delete loaded_;
    loaded_ = nullptr;
    delete pacs_;
    pacs_ = nullptr;
    delete admin_;
    admin_ = nullptr;
    if (base_ != nullptr) fs::remove_all(*base_);
    delete base_;
  }

  void SetUp() override { ASSERT_NE(agent_, nullptr) << "the suite's setup failed"; }

  static void CreateKeySecret(const std::string& name, const std::string& key) {
    const json secret = {{"apiVersion", "v1"},
                         {"kind", "Secret"},
                         {"metadata", {{"name", name}, {"namespace", kHubNs}}},
                         {"data", {{"key", EncodeBase64(key)}}}};
    Kubectl({"apply", "-f", "-"}, secret.dump());
  }

  // Generates `patients` patients with `seed` into base/<name> and STOWs them.
  static void LoadPatients(const std::string& name, int patients, int seed) {
    auto synth = RunSubprocess({std::string(ONCOATLAS_BIN_DIR) + "/oncoatlas-synth", "--out", (*base_ / name).string(),
                                "--patients", std::to_string(patients), "--slices", "1", "--matrix", "32", "--seed",
                                std::to_string(seed), "--stow", pacs_->dicomweb_url(), "--user", pacs_->username(),
                                "--password-file", (*base_ / "password").string()});
    ASSERT_TRUE(synth.ok() && synth->success()) << (synth.ok() ? synth->Describe() : synth.status().ToString());
    loaded_->push_back((*base_ / name / "dicom").string());
  }

  // A Dataset of everything in the PACS, once Ready; null (with the failure
  // reported) when it does not get there.
  static json CreateReady(const std::string& name, const std::string& key_secret = "ds-key",
                          seconds timeout = seconds(90)) {
    Kubectl({"apply", "-f", "-"}, DatasetYaml(name, "dimse", name, key_secret));
    const json ds = WaitForStatus(
        name, [](const json& d) { return d["status"].value("phase", "") == "Ready"; }, timeout);
    EXPECT_EQ(ds["status"].value("phase", ""), "Ready") << ds.dump() << agent_->Log();
    return ds["status"].value("phase", "") == "Ready" ? ds : json();
  }

  static json Get(const std::string& name) {
    auto r = admin_->Get(api::kDatasets, kHubNs, name);
    return r.ok() ? *r : json();
  }

  // Waits until the Dataset's status describes its current generation and
  // `predicate` holds; returns the Dataset last read.
  static json WaitForStatus(const std::string& name, const std::function<bool(const json&)>& predicate,
                            seconds timeout = seconds(60)) {
    json last;
    WaitFor(
        [&] {
          last = Get(name);
          if (!last.is_object() || !last.contains("status")) return false;
          if (last["status"].value("observedGeneration", -1) != last["metadata"].value("generation", -2)) return false;
          return predicate(last);
        },
        timeout, std::chrono::milliseconds(200));
    return last;
  }

  // The operator's part: DataNodeFound, with the resourceVersion read, again on 409.
  static void SetDataNodeFound(const std::string& name) {
    for (int i = 0; i < 10; ++i) {
      json ds = Get(name);
      json& conditions = ds["status"]["conditions"];
      if (!conditions.is_array()) conditions = json::array();
      conditions.push_back({{"type", "DataNodeFound"},
                            {"status", "True"},
                            {"observedGeneration", ds["metadata"]["generation"]},
                            {"lastTransitionTime", "2026-01-01T00:00:00Z"},
                            {"reason", "DataNodeFound"},
                            {"message", "DataNode \"dsnode\" exists"}});
      auto r = admin_->UpdateStatus(api::kDatasets, kHubNs, ds);
      if (r.ok()) return;
      ASSERT_EQ(r.error().http_code(), 409) << r.status().ToString();
    }
    FAIL() << "DataNodeFound kept conflicting";
  }

  // The agent's index records of Dataset `name`.
  static std::vector<std::string> IndexNamesOf(const std::string& name) {
    auto index = agent::SqliteIndex::Open(agent_->dir() + "/store/index.sqlite");
    EXPECT_TRUE(index.ok()) << index.status().ToString();
    if (!index.ok()) return {};
    auto names = (*index)->ListDatasets();
    std::vector<std::string> of;
    for (const std::string& n : names.ok() ? *names : std::vector<std::string>{}) {
      if (n.rfind(name + "/", 0) == 0) of.push_back(n);
    }
    return of;
  }

  static size_t StoredObjects() {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(agent_->dir() + "/store/objects/sha256", ec);
         !ec && it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_regular_file()) ++n;
    }
    return n;
  }

  static kube::RestClient* admin_;
  static OrthancServer* pacs_;
  static fs::path* base_;
  static std::vector<std::string>* loaded_;  // the synth folders in the PACS
  static AgentProcess* agent_;
};

kube::RestClient* AgentDatasetTest::admin_ = nullptr;
OrthancServer* AgentDatasetTest::pacs_ = nullptr;
fs::path* AgentDatasetTest::base_ = nullptr;
std::vector<std::string>* AgentDatasetTest::loaded_ = nullptr;
AgentProcess* AgentDatasetTest::agent_ = nullptr;

TEST_F(AgentDatasetTest, WithoutItsKeySecretADatasetIsPendingThenReadyOnceTheSecretExists) {
  Kubectl({"apply", "-f", "-"}, DatasetYaml("late", "dimse", "Late", "late-key"));
  json ds = WaitForStatus(
      "late", [](const json& d) { return Condition(d, "Ready").value("reason", "") == "KeySecretNotFound"; });
  ASSERT_EQ(Condition(ds, "Ready").value("reason", ""), "KeySecretNotFound") << ds.dump() << agent_->Log();
  EXPECT_EQ(ds["status"]["phase"], "Pending");
  EXPECT_THAT(Condition(ds, "Ready").value("message", ""),
              HasSubstr("kubectl -n oncoatlas-node-dsnode create secret generic late-key --from-file=key="));

  // The key appears: ingested within the 10 s retry.
  CreateKeySecret("late-key", "0123456789abcdef0123456789abcdef-late-key");
  ds = WaitForStatus(
      "late", [](const json& d) { return d["status"].value("phase", "") == "Ready"; }, seconds(90));
  ASSERT_EQ(ds["status"].value("phase", ""), "Ready") << ds.dump() << agent_->Log();
  for (const char* type : {"Ready", "Ingested", "SourceReachable"}) {
    EXPECT_EQ(Condition(ds, type).value("status", ""), "True") << type << ds.dump();
  }
}

TEST_F(AgentDatasetTest, CountsAndFacetsMatchTheCorpusWithSmallCellsSuppressed) {
  const json ds = CreateReady("counted");
  ASSERT_FALSE(ds.is_null());
  const json& status = ds["status"];
  // Against pydicom's reading of the generator's files in the PACS.
  const CorpusFacts corpus = ReadCorpus(*loaded_);
  ASSERT_GT(corpus.instances, 10);
  const int excluded = status["rejected"].value("count", 0) + status["quarantined"].value("count", 0);
  EXPECT_EQ(status["counts"]["instances"].get<int>() + excluded, corpus.instances) << status.dump();
  EXPECT_EQ(excluded, 0) << status.dump();
  EXPECT_EQ(status["counts"]["studies"], corpus.studies);
  EXPECT_EQ(status["counts"]["series"], corpus.series);
  EXPECT_EQ(status["counts"]["patients"], corpus.patients);
  EXPECT_GT(status["counts"]["bytes"].get<long>(), 0);
  EXPECT_EQ(status["progress"]["done"], corpus.instances);
  EXPECT_EQ(status["progress"]["total"], corpus.instances);
  // Facets with small-cell suppression at the spec's minimum.
  bool suppressed_somewhere = false;
  for (const auto& [modality, n] : corpus.modality_studies) {
    EXPECT_EQ(status["facets"]["modality"].value(modality, ""), Suppressed(n)) << modality << status.dump();
  }
  for (const auto& [sex, n] : corpus.sex_patients) {
    EXPECT_EQ(status["facets"]["sex"].value(sex, ""), Suppressed(n)) << sex << status.dump();
    suppressed_somewhere |= n < kMinimumCellCount;
  }
  EXPECT_TRUE(suppressed_somewhere) << "the corpus should have a small cell to suppress";
  bool shown_somewhere = false;
  for (const auto& [modality, n] : corpus.modality_studies) shown_somewhere |= n >= kMinimumCellCount;
  EXPECT_TRUE(shown_somewhere) << "the corpus should have a cell large enough to show";
  EXPECT_THAT(status.dump(), HasSubstr("\"<5\""));
  EXPECT_THAT(status.value("contentDigest", ""), ::testing::MatchesRegex("sha256:[0-9a-f]{64}"));
  EXPECT_FALSE(status.value("lastIngestTime", "").empty());
}

TEST_F(AgentDatasetTest, NoPlantedIdentifierReachesTheStatusOrTheLog) {
  const json ds = CreateReady("private");
  ASSERT_FALSE(ds.is_null());
  // Names, IDs, UIDs, ... the generator planted.
  const json manifest = json::parse(ReadFile((*base_ / "corpus" / "manifest.json").string()));
  const std::string status_text = ds.dump();
  const std::string log = agent_->Log();
  int planted = 0;
  for (const json& p : manifest["planted"]) {
    const std::string value = p.value("value", "");
    if (p.value("kind", "") == "date" || value.size() < 4) continue;
    ++planted;
    EXPECT_EQ(status_text.find(value), std::string::npos) << p.dump();
    EXPECT_EQ(log.find(value), std::string::npos) << p.dump();
  }
  EXPECT_GT(planted, 20);
}

TEST_F(AgentDatasetTest, TheOperatorsDataNodeFoundConditionIsKept) {
  // Set while the agent waits for the key, so every agent write comes after it.
  Kubectl({"apply", "-f", "-"}, DatasetYaml("shared", "dimse", "Shared", "shared-key"));
  json ds = WaitForStatus(
      "shared", [](const json& d) { return Condition(d, "Ready").value("reason", "") == "KeySecretNotFound"; });
  SetDataNodeFound("shared");
  CreateKeySecret("shared-key", "0123456789abcdef0123456789abcdef-shared-key");
  ds = WaitForStatus(
      "shared", [](const json& d) { return d["status"].value("phase", "") == "Ready"; }, seconds(90));
  ASSERT_EQ(ds["status"].value("phase", ""), "Ready") << ds.dump() << agent_->Log();
  EXPECT_EQ(Condition(ds, "DataNodeFound").value("status", ""), "True") << ds.dump();
}

TEST_F(AgentDatasetTest, ARestartKeepsTheDigestAndFetchesNothingAgain) {
  json ds = CreateReady("restarted");
  ASSERT_FALSE(ds.is_null());
  SetDataNodeFound("restarted");
  const std::string digest = ds["status"].value("contentDigest", "");
  const std::string ingested_at = ds["status"].value("lastIngestTime", "");

  ASSERT_TRUE(agent_->Restart().ok()) << agent_->Log();
  ds = WaitForStatus("restarted", [](const json& d) {
    return Condition(d, "SourceReachable").value("message", "").find("Ingested before") != std::string::npos;
  });
  EXPECT_THAT(Condition(ds, "SourceReachable").value("message", ""), HasSubstr("Ingested before")) << agent_->Log();
  EXPECT_EQ(ds["status"].value("contentDigest", ""), digest);
  EXPECT_EQ(ds["status"].value("lastIngestTime", ""), ingested_at) << "nothing fetched again";
  EXPECT_EQ(ds["status"].value("phase", ""), "Ready");
  EXPECT_EQ(Condition(ds, "DataNodeFound").value("status", ""), "True");
}

TEST_F(AgentDatasetTest, ANewGenerationWithANewPatientGetsANewDigestAndDropsTheOldRecords) {
  json ds = CreateReady("regen");
  ASSERT_FALSE(ds.is_null());
  const std::string digest = ds["status"].value("contentDigest", "");

  LoadPatients("more", 1, 77);
  const CorpusFacts all = ReadCorpus(*loaded_);
  Kubectl({"apply", "-f", "-"}, DatasetYaml("regen", "dimse", "Regen v2"));
  ds = WaitForStatus(
      "regen",
      [](const json& d) {
        return d["metadata"].value("generation", 0) == 2 && d["status"].value("phase", "") == "Ready";
      },
      seconds(90));
  ASSERT_EQ(ds["status"].value("phase", ""), "Ready") << ds.dump() << agent_->Log();
  EXPECT_NE(ds["status"].value("contentDigest", ""), digest);
  EXPECT_EQ(ds["status"]["counts"]["instances"], all.instances);
  EXPECT_EQ(ds["status"]["counts"]["patients"], all.patients);
  const std::string uid = ds["metadata"].value("uid", "");
  EXPECT_TRUE(WaitFor(
      [&] {
        const auto names = IndexNamesOf("regen");
        return names.size() == 1 && names[0].rfind("regen/" + uid + "/2/", 0) == 0;
      },
      seconds(30)))
      << "the first generation's records are removed once the second is Ready";
}

TEST_F(AgentDatasetTest, ADicomwebSourceOnADimseNodeIsSourceProtocolMismatch) {
  Kubectl({"apply", "-f", "-"}, DatasetYaml("web", "dicomweb", "Web"));
  const json ds = WaitForStatus("web", [](const json& d) { return d["status"].value("phase", "") == "Failed"; });
  EXPECT_EQ(Condition(ds, "Ready").value("reason", ""), "SourceProtocolMismatch") << ds.dump();
  EXPECT_THAT(Condition(ds, "Ready").value("message", ""), HasSubstr("set spec.source.protocol to dimse"));
}

TEST_F(AgentDatasetTest, DeletingADatasetRemovesItsRecordsAndStoredObjects) {
  // Its own key: pseudonyms, hence stored objects, no other Dataset shares.
  CreateKeySecret("deleted-key", "0123456789abcdef0123456789abcdef-deleted-key");
  const size_t before = StoredObjects();
  const json ds = CreateReady("deleted", "deleted-key");
  ASSERT_FALSE(ds.is_null());
  ASSERT_GT(StoredObjects(), before);
  ASSERT_FALSE(IndexNamesOf("deleted").empty());
  Kubectl({"-n", kHubNs, "delete", "dataset", "deleted", "--wait=true"});
  EXPECT_TRUE(WaitFor([&] { return IndexNamesOf("deleted").empty() && StoredObjects() == before; }, seconds(30)))
      << "index: " << IndexNamesOf("deleted").size() << " names, store: " << StoredObjects() << " objects, " << before
      << " before\n"
      << agent_->Log();
  EXPECT_EQ(agent_->Probe("/healthz"), 200);
}

// kill -9 in the middle of an ingestion, then a restart, ends with the same
// content as an uninterrupted ingestion of the same spec.
TEST_F(AgentDatasetTest, KilledMidIngestionResumesToTheSameContent) {
  LoadPatients("bulk", 2, 31);  // more instances, so that the kill lands mid-ingestion
  const json whole = CreateReady("whole", "ds-key", seconds(300));
  ASSERT_FALSE(whole.is_null());
  const int total = whole["status"]["progress"].value("total", 0);
  ASSERT_GT(total, 20);

  Kubectl({"apply", "-f", "-"}, DatasetYaml("killed", "dimse", "Killed"));
  json killed = WaitForStatus(
      "killed",
      [&](const json& d) {
        const int done = d["status"].value("progress", json::object()).value("done", 0);
        return d["status"].value("phase", "") == "Ingesting" && done >= 2 && done < total;
      },
      seconds(120));
  ASSERT_EQ(killed["status"].value("phase", ""), "Ingesting") << killed.dump() << agent_->Log();
  ASSERT_TRUE(agent_->Kill().ok());
  ASSERT_TRUE(agent_->Restart().ok()) << agent_->Log();
  killed = WaitForStatus(
      "killed", [](const json& d) { return d["status"].value("phase", "") == "Ready"; }, seconds(300));
  ASSERT_EQ(killed["status"].value("phase", ""), "Ready") << killed.dump() << agent_->Log();
  EXPECT_EQ(killed["status"]["contentDigest"], whole["status"]["contentDigest"]) << "nothing lost, nothing twice";
  EXPECT_EQ(killed["status"]["counts"], whole["status"]["counts"]);
  EXPECT_EQ(killed["status"]["progress"], whole["status"]["progress"]);
  EXPECT_EQ(killed["status"]["quarantined"], whole["status"]["quarantined"]);
  EXPECT_EQ(killed["status"]["rejected"], whole["status"]["rejected"]);
}

// A PACS that does not answer fails the ingestion with the reason; it is
// retried, and recovers by itself once the PACS answers.
TEST_F(AgentDatasetTest, AnUnreachablePacsFailsTheIngestionAndItRecovers) {
  ASSERT_TRUE(pacs_->Pause().ok());
  Kubectl({"apply", "-f", "-"}, DatasetYaml("down", "dimse", "Down"));
  json down = WaitForStatus(
      "down", [](const json& d) { return d["status"].value("phase", "") == "Failed"; }, seconds(120));
  ASSERT_TRUE(pacs_->Resume().ok());
  ASSERT_EQ(down["status"].value("phase", ""), "Failed") << down.dump() << agent_->Log();
  EXPECT_EQ(Condition(down, "Ready").value("reason", ""), "IngestionFailed") << down.dump();
  EXPECT_THAT(Condition(down, "Ready").value("message", ""), HasSubstr("Retrying in"));
  EXPECT_EQ(Condition(down, "SourceReachable").value("status", ""), "False") << down.dump();
  down = WaitForStatus(
      "down", [](const json& d) { return d["status"].value("phase", "") == "Ready"; }, seconds(300));
  ASSERT_EQ(down["status"].value("phase", ""), "Ready") << down.dump() << agent_->Log();
  EXPECT_EQ(down["status"]["counts"]["instances"], ReadCorpus(*loaded_).instances);
  EXPECT_EQ(Condition(down, "SourceReachable").value("status", ""), "True");
}

// Clean Recognizable Visual Features through the whole pipeline: a head CT
// phantom (oncoatlas-synth --head-phantom) in Orthanc, fetched over DIMSE,
// held in the spool until its series is complete, defaced, stored; checked
// with pydicom against the phantom's labels.
TEST_F(AgentDatasetTest, AHeadCtIsStoredDefaced) {
  const fs::path phantom = *base_ / "head";
  auto synth = RunSubprocess({std::string(ONCOATLAS_BIN_DIR) + "/oncoatlas-synth", "--out", phantom.string(),
                              "--head-phantom", "CT", "--seed", "41", "--stow", pacs_->dicomweb_url(), "--user",
                              pacs_->username(), "--password-file", (*base_ / "password").string()});
  ASSERT_TRUE(synth.ok() && synth->success()) << (synth.ok() ? synth->Describe() : synth.status().ToString());
  const json label = json::parse(ReadFile((phantom / "labels" / "study0001.json").string()));
  const std::string study_uid = label.value("studyInstanceUid", "");
  ASSERT_FALSE(study_uid.empty()) << label.dump();
  Kubectl({"apply", "-f", "-"},
          "apiVersion: oncoatlas.io/v1alpha1\nkind: Dataset\nmetadata: {name: head, namespace: "
          "oncoatlas-node-dsnode}\nspec:\n  node: dsnode\n  title: Head CT\n"
          "  source: {protocol: dimse, studyInstanceUIDs: [\"" +
              study_uid +
              "\"]}\n  cancerType: {code: C71}\n  deidentification: {cleanRecognizableVisualFeatures: true}\n"
              "  pseudonymisation: {keySecretRef: {name: ds-key}}\n  dataUse: {permission: \"DUO:0000007\", "
              "diseases: [C71]}\n");
  json head = WaitForStatus(
      "head", [](const json& d) { return d["status"].value("phase", "") == "Ready"; }, seconds(300));
  ASSERT_EQ(head["status"].value("phase", ""), "Ready") << head.dump() << agent_->Log();
  const int images = head["status"]["progress"].value("total", 0);
  EXPECT_GT(images, 50);
  EXPECT_EQ(head["status"]["counts"].value("instances", 0), images) << head["status"].dump();
  EXPECT_EQ(head["status"]["counts"].value("series", 0), 1);
  EXPECT_EQ(head["status"]["quarantined"].value("count", -1), 0) << head["status"].dump();

  // pydicom on the stored files against the phantom's labels.
  auto oracle =
      RunSubprocess({"/usr/bin/python3", std::string(ONCOATLAS_SOURCE_DIR) + "/tests/agents/head_phantom_oracle.py",
                     phantom.string(), (phantom / "dicom").string(), agent_->dir() + "/store/objects", "-900"});
  ASSERT_TRUE(oracle.ok() && oracle->success()) << (oracle.ok() ? oracle->Describe() : oracle.status().ToString());
  const json summary = json::parse(oracle->out);
  EXPECT_EQ(summary["images"], images) << summary.dump();
  EXPECT_EQ(summary["matched"], images) << "every stored image sits where an input image did";
  EXPECT_GT(summary["faceVoxels"].get<int>(), 1000) << summary.dump();
  EXPECT_EQ(summary["faceWasAir"], 0) << "the input had a face there";
  EXPECT_EQ(summary["faceNotAir"], 0) << summary.dump();
  EXPECT_GT(summary["brainVoxels"].get<int>(), 10000) << summary.dump();
  EXPECT_EQ(summary["brainChanged"], 0) << summary.dump();
  EXPECT_EQ(summary["flaggedNo"], images);
  EXPECT_EQ(summary["coded113102"], images);
}

}  // namespace
}  // namespace oncoatlas::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("agentds"));
  return RUN_ALL_TESTS();
}

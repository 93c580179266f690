// Integration tests of crds/ and policies/ against a real kube-apiserver,
// driven with real kubectl: the CRDs are established, the samples are
// accepted, listed and idempotent under repeated server-side apply, `kubectl
// explain` shows the schema's descriptions and defaults, every manifest of
// tests/crds/invalid/ is rejected with the message its file announces, and
// every manifest of tests/crds/valid/ is accepted, twice.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "support/control_plane.h"
#include "support/files.h"

namespace oncoatlas::testing {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;

ControlPlane& Cp() { return ControlPlaneEnvironment::Get(); }

const std::vector<std::string>& CrdNames() {
  static const std::vector<std::string> names = {"datanodes.oncoatlas.io", "datasets.oncoatlas.io",
                                                 "accessgrants.oncoatlas.io", "benchmarkruns.oncoatlas.io",
                                                 "accesspolicies.oncoatlas.io"};
  return names;
}

std::vector<fs::path> YamlFilesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Collapses runs of whitespace, so text can be found in kubectl's wrapped output.
std::string Squeeze(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// A Dataset of node corpus-node, in `ns`.
std::string CorpusDataset(const std::string& ns) {
  return "apiVersion: oncoatlas.io/v1alpha1\nkind: Dataset\nmetadata: {name: probe, namespace: " + ns +
         "}\nspec:\n  node: corpus-node\n  source: {protocol: dicomweb}\n  cancerType: {code: C50}\n"
         "  deidentification: {}\n  pseudonymisation: {keySecretRef: {name: k}}\n"
         "  dataUse: {permission: \"DUO:0000042\"}\n";
}

// Installs the CRDs and the admission policies of policies/ once per binary
// and waits until every CRD is Established and served and the policies are
// in force.
void InstallCrds() {
  static bool installed = false;
  if (installed) return;
  auto apply = Cp().Kubectl({"apply", "--server-side", "-f", SourceDir() + "/crds/"});
  ASSERT_TRUE(apply.success()) << apply.Describe();
  for (const auto& name : CrdNames()) {
    auto wait = Cp().Kubectl({"wait", "--for=condition=Established", "--timeout=60s", "crd/" + name});
    ASSERT_TRUE(wait.success()) << wait.Describe();
  }
  // Discovery can lag Established by a moment.
  ASSERT_TRUE(WaitFor([] { return Cp().Kubectl({"get", "oncoatlas", "-A"}).success(); }, seconds(30)));
  auto policies = Cp().Kubectl({"apply", "--server-side", "-f", SourceDir() + "/policies/"});
  ASSERT_TRUE(policies.success()) << policies.Describe();
  for (const char* ns : {"corpus", "oncoatlas-node-corpus-node"}) {
    auto created = Cp().Kubectl({"create", "namespace", ns});
    ASSERT_TRUE(created.success() || created.err.find("AlreadyExists") != std::string::npos) << created.Describe();
  }
  // A policy is enforced once the API server has loaded it.
  ASSERT_TRUE(WaitFor(
      [] {
        auto r = Cp().Kubectl({"apply", "--server-side", "--dry-run=server", "-f", "-"}, CorpusDataset("corpus"));
        return !r.success() && r.err.find("oncoatlas-dataset-namespace") != std::string::npos;
      },
      seconds(30), std::chrono::milliseconds(250)))
      << "the ValidatingAdmissionPolicy oncoatlas-dataset-namespace is not enforced";
  installed = true;
}

struct ObjectKey {
  std::string kind, ns, name;
  auto operator<=>(const ObjectKey&) const = default;
};

// The custom objects (not Namespaces) the samples declare.
std::set<ObjectKey> SampleObjects() {
  std::set<ObjectKey> keys;
  for (const auto& file : YamlFilesIn(SourceDir() + "/crds/samples")) {
    for (const auto& doc : YAML::LoadAllFromFile(file.string())) {
      if (!doc.IsMap()) continue;
      auto kind = doc["kind"].as<std::string>();
      if (kind == "Namespace") continue;
      std::string ns = doc["metadata"]["namespace"] ? doc["metadata"]["namespace"].as<std::string>() : "";
      keys.insert({kind, ns, doc["metadata"]["name"].as<std::string>()});
    }
  }
  return keys;
}

// kind/namespace/name -> resourceVersion of every object in category oncoatlas.
std::map<ObjectKey, std::string> ListOncoatlas() {
  std::map<ObjectKey, std::string> out;
  auto r = Cp().Kubectl({"get", "oncoatlas", "-A", "-o", "json"});
  EXPECT_TRUE(r.success()) << r.Describe();
  if (!r.success()) return out;
  auto list = nlohmann::json::parse(r.out);
  for (const auto& item : list.at("items")) {
    const auto& md = item.at("metadata");
    out[{item.at("kind"), md.value("namespace", ""), md.at("name")}] = md.at("resourceVersion");
  }
  return out;
}

SubprocessResult ApplySamples() {
  return Cp().Kubectl({"apply", "--server-side", "-f", SourceDir() + "/crds/samples/"});
}

TEST(Crds, EveryKindIsEstablishedWithItsNamesAndStatusSubresource) {
  InstallCrds();
  struct Expected {
    std::string name, kind, scope, short_name;
  };
  const std::vector<Expected> expected = {
      {"datanodes.oncoatlas.io", "DataNode", "Cluster", "dn"},
      {"datasets.oncoatlas.io", "Dataset", "Namespaced", "dset"},
      {"accessgrants.oncoatlas.io", "AccessGrant", "Namespaced", "ag"},
      {"benchmarkruns.oncoatlas.io", "BenchmarkRun", "Namespaced", "br"},
      {"accesspolicies.oncoatlas.io", "AccessPolicy", "Cluster", "ap"},
  };
  for (const auto& e : expected) {
    SCOPED_TRACE(e.name);
    auto r = Cp().Kubectl({"get", "crd", e.name, "-o", "json"});
    ASSERT_TRUE(r.success()) << r.Describe();
    auto crd = nlohmann::json::parse(r.out);
    const auto& spec = crd.at("spec");
    EXPECT_EQ(spec.at("group"), "oncoatlas.io");
    EXPECT_EQ(spec.at("scope"), e.scope);
    EXPECT_EQ(spec.at("names").at("kind"), e.kind);
    EXPECT_EQ(spec.at("names").at("shortNames"), nlohmann::json::array({e.short_name}));
    EXPECT_EQ(spec.at("names").at("categories"), nlohmann::json::array({"oncoatlas"}));
    ASSERT_EQ(spec.at("versions").size(), 1u);
    const auto& version = spec.at("versions").at(0);
    EXPECT_EQ(version.at("name"), "v1alpha1");
    EXPECT_TRUE(version.at("subresources").contains("status"));
    bool established = false;
    for (const auto& c : crd.at("status").at("conditions")) {
      if (c.at("type") == "Established") established = c.at("status") == "True";
    }
    EXPECT_TRUE(established);
  }
  // Discovery serves the short names, none of which a built-in resource uses
  // (kubectl would resolve it to the built-in one, as ds to DaemonSets).
  auto resources = Cp().Kubectl({"api-resources", "--api-group=oncoatlas.io", "--no-headers"});
  ASSERT_TRUE(resources.success()) << resources.Describe();
  for (const auto& e : expected) {
    bool found = false;
    std::istringstream lines(resources.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::vector<std::string> w{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
      if (w.size() >= 2 && w[1] == e.short_name && line.find(e.kind) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << e.short_name << " not served for " << e.kind << ":\n" << resources.out;
  }
}

TEST(Crds, SamplesAreAcceptedAndListedByCategory) {
  InstallCrds();
  auto apply = ApplySamples();
  ASSERT_TRUE(apply.success()) << apply.Describe();
  auto declared = SampleObjects();
  ASSERT_GE(declared.size(), 12u) << "3 DataNodes, 4 Datasets, policies, 2 grants, a run";
  auto listed = ListOncoatlas();
  std::set<ObjectKey> listed_keys;
  for (const auto& [key, rv] : listed) listed_keys.insert(key);
  for (const auto& key : declared) {
    EXPECT_TRUE(listed_keys.count(key)) << key.kind << " " << key.ns << "/" << key.name
                                        << " missing from `kubectl get oncoatlas -A`";
  }
  // Every kind is present, and the human-readable listing names them too.
  std::set<std::string> kinds;
  for (const auto& key : declared) kinds.insert(key.kind);
  EXPECT_EQ(kinds, (std::set<std::string>{"DataNode", "Dataset", "AccessGrant", "BenchmarkRun", "AccessPolicy"}));
  auto table = Cp().Kubectl({"get", "oncoatlas", "-A"});
  ASSERT_TRUE(table.success()) << table.Describe();
  for (const auto& key : declared) EXPECT_NE(table.out.find(key.name), std::string::npos) << key.name;
  // Printer columns show the spec's values.
  auto nodes = Cp().Kubectl({"get", "datanodes"});
  ASSERT_TRUE(nodes.success()) << nodes.Describe();
  EXPECT_NE(nodes.out.find("COUNTRY"), std::string::npos) << nodes.out;
  EXPECT_NE(nodes.out.find("TIER"), std::string::npos) << nodes.out;
  EXPECT_NE(nodes.out.find("READY"), std::string::npos) << nodes.out;
  auto datasets = Cp().Kubectl({"get", "dset", "-n", "oncoatlas-node-se-stockholm"});
  ASSERT_TRUE(datasets.success()) << datasets.Describe();
  EXPECT_NE(datasets.out.find("C50"), std::string::npos) << datasets.out;
}

TEST(Crds, ServerAppliesDefaultsFromTheSchema) {
  InstallCrds();
  ASSERT_TRUE(ApplySamples().success());
  auto r =
      Cp().Kubectl({"get", "dataset", "prostate-mri-biopsy-cohort", "-n", "oncoatlas-node-it-milano", "-o", "json"});
  ASSERT_TRUE(r.success()) << r.Describe();
  auto ds = nlohmann::json::parse(r.out);
  const auto& deid = ds.at("spec").at("deidentification");
  EXPECT_EQ(deid.at("cleanPixelData"), false);
  EXPECT_EQ(deid.at("retainUIDs"), false);
  EXPECT_EQ(ds.at("spec").at("pseudonymisation").at("keySecretRef").at("key"), "key");
  EXPECT_EQ(ds.at("spec").at("publish"), true);
  auto policy = Cp().Kubectl({"get", "accesspolicy", "baseline", "-o", "jsonpath={.spec.priority}"});
  EXPECT_EQ(policy.out, "10");
}

// A default means the same whether its optional parent is written or not:
// spec.agent: {logLevel: debug} injects no credentialRotationInterval (the
// operator's token lifetime applies, as when agent is omitted), and an
// omitted agent gets the same logLevel default as a written one.
TEST(Crds, DefaultsDoNotDependOnWhetherTheirParentIsWritten) {
  InstallCrds();
  const std::string node =
      "apiVersion: oncoatlas.io/v1alpha1\nkind: DataNode\nmetadata: {name: NAME}\nspec:\n"
      "  organisation: {name: Example Hospital}\n  country: FR\n  tier: 1\n  cluster: {local: {}}\n";
  auto manifest = [&](const std::string& name, const std::string& extra) {
    std::string text = node;
    return text.replace(text.find("NAME"), 4, name) + extra;
  };
  ASSERT_TRUE(Cp().Kubectl({"apply", "--server-side", "-f", "-"}, manifest("defaults-without-agent", "")).success());
  ASSERT_TRUE(Cp().Kubectl({"apply", "--server-side", "-f", "-"},
                           manifest("defaults-with-agent", "  agent: {logLevel: debug}\n"))
                  .success());
  auto agent_of = [](const std::string& name) {
    auto r = Cp().Kubectl({"get", "datanode", name, "-o", "jsonpath={.spec.agent}"});
    EXPECT_TRUE(r.success()) << r.Describe();
    return r.success() ? nlohmann::json::parse(r.out) : nlohmann::json();
  };
  EXPECT_EQ(agent_of("defaults-without-agent"), nlohmann::json({{"logLevel", "info"}}));
  EXPECT_EQ(agent_of("defaults-with-agent"), nlohmann::json({{"logLevel", "debug"}}));
  for (const char* name : {"defaults-without-agent", "defaults-with-agent"}) {
    EXPECT_TRUE(Cp().Kubectl({"delete", "datanode", name, "--wait=false"}).success());
  }
}

TEST(Crds, ApplyingTheSamplesTwiceChangesNothing) {
  InstallCrds();
  ASSERT_TRUE(ApplySamples().success());
  auto first = ListOncoatlas();
  ASSERT_FALSE(first.empty());
  auto again = ApplySamples();
  ASSERT_TRUE(again.success()) << again.Describe();
  auto second = ListOncoatlas();
  EXPECT_EQ(first.size(), second.size());
  for (const auto& [key, rv] : first) {
    ASSERT_TRUE(second.count(key)) << key.name;
    EXPECT_EQ(second.at(key), rv) << key.kind << " " << key.ns << "/" << key.name
                                  << " got a new resourceVersion from an unchanged apply";
  }
}

TEST(Crds, ExplainShowsTheSchemaDescriptions) {
  InstallCrds();
  SubprocessResult explain;
  // The OpenAPI document behind explain is published a moment after the CRD.
  ASSERT_TRUE(WaitFor(
      [&] {
        explain = Cp().Kubectl({"explain", "dataset.spec.deidentification"});
        return explain.success() && explain.out.find("cleanPixelData") != std::string::npos;
      },
      seconds(60), std::chrono::milliseconds(500)))
      << explain.Describe();
  std::string shown = Squeeze(explain.out);
  EXPECT_NE(shown.find("Basic Application Level Confidentiality Profile"), std::string::npos) << explain.out;
  EXPECT_NE(shown.find("Clean Pixel Data Option (113101)"), std::string::npos) << explain.out;

  // Every option and its description, as crds/dataset.yaml states them.
  YAML::Node crd = YAML::LoadFile(SourceDir() + "/crds/dataset.yaml");
  YAML::Node deid =
      crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["deidentification"];
  EXPECT_NE(shown.find(Squeeze(deid["description"].as<std::string>())), std::string::npos) << explain.out;
  int options = 0;
  for (const auto& property : deid["properties"]) {
    std::string name = property.first.as<std::string>();
    std::string description = Squeeze(property.second["description"].as<std::string>());
    EXPECT_NE(shown.find(name), std::string::npos) << name;
    EXPECT_NE(shown.find(description), std::string::npos) << name << ": " << description;
    ++options;
  }
  EXPECT_GE(options, 13);

  // Defaults are in the descriptions (kubectl explain shows no schema default).
  auto resources = Cp().Kubectl({"explain", "benchmarkrun.spec.resources"});
  ASSERT_TRUE(resources.success()) << resources.Describe();
  EXPECT_NE(Squeeze(resources.out).find("Defaults to 2Gi."), std::string::npos) << resources.out;
}

// A corpus file: leading comments "# expect: <fragment>" (one or more) and
// optionally "# mode: update" or "# mode: status", in which case the first
// document is a valid object that is created and the second an update of it
// (of its status subresource) that must be rejected. A line ending in
// "# repeat: N" stands for N copies of it, "{i}" replaced by 0 to N-1 (for
// lists too long to write out).
struct CorpusCase {
  std::string name;
  std::vector<std::string> expect;
  bool update = false;  // second document: an update of the first
  bool status = false;  // second document: the first's status subresource
  std::string text;
};

CorpusCase LoadCorpusCase(const fs::path& path) {
  CorpusCase c;
  c.name = path.filename().string();
  std::istringstream lines(ReadFile(path));
  const std::string repeat = "# repeat: ";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# expect: ", 0) == 0) c.expect.push_back(line.substr(10));
    if (line.rfind("# mode: update", 0) == 0) c.update = true;
    if (line.rfind("# mode: status", 0) == 0) c.status = true;
    const std::size_t at = line.rfind(repeat);
    if (at != std::string::npos && line.rfind('#', 0) != 0) {
      std::string item = line.substr(0, at);
      while (!item.empty() && item.back() == ' ') item.pop_back();
      const std::size_t placeholder = item.find("{i}");
      for (int i = 0, n = std::stoi(line.substr(at + repeat.size())); i < n; ++i) {
        std::string copy = item;
        if (placeholder != std::string::npos) copy.replace(placeholder, 3, std::to_string(i));
        c.text += copy + "\n";
      }
      continue;
    }
    c.text += line + "\n";
  }
  return c;
}

std::vector<std::string> SplitDocuments(const std::string& text) {
  std::vector<std::string> docs;
  std::string current;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == "---") {
      docs.push_back(current);
      current.clear();
    } else {
      current += line + "\n";
    }
  }
  docs.push_back(current);
  return docs;
}

TEST(Crds, InvalidManifestsAreRejectedWithAMessageNamingFieldAndRule) {
  InstallCrds();

  auto files = YamlFilesIn(SourceDir() + "/tests/crds/invalid");
  ASSERT_GE(files.size(), 130u);
  int updates = 0;
  int status_updates = 0;
  for (const auto& file : files) {
    CorpusCase c = LoadCorpusCase(file);
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.expect.empty()) << "every corpus file states its expected message with '# expect:'";
    SubprocessResult rejected;
    if (c.update || c.status) {
      (c.update ? updates : status_updates)++;
      auto docs = SplitDocuments(c.text);
      ASSERT_EQ(docs.size(), 2u);
      auto created = Cp().Kubectl({"apply", "--server-side", "-f", "-"}, docs[0]);
      ASSERT_TRUE(created.success()) << "the first object must be valid: " << created.Describe();
      std::vector<std::string> args = {"apply", "--server-side", "-f", "-"};
      if (c.status) args.push_back("--subresource=status");
      rejected = Cp().Kubectl(args, docs[1]);
      auto cleanup = Cp().Kubectl({"delete", "-f", "-", "--wait=false"}, docs[0]);
      EXPECT_TRUE(cleanup.success()) << cleanup.Describe();
    } else {
      rejected = Cp().Kubectl({"apply", "--server-side", "-f", "-"}, c.text);
    }
    if (rejected.success()) {
      ADD_FAILURE() << "accepted: " << rejected.out;
      Cp().Kubectl({"delete", "-f", "-", "--wait=false"}, c.text);
      continue;
    }
    for (const auto& fragment : c.expect) {
      EXPECT_NE(rejected.err.find(fragment), std::string::npos) << "expected '" << fragment << "' in: " << rejected.err;
    }
  }
  EXPECT_GE(updates, 4) << "an immutable field of every kind that has one";
  EXPECT_GE(status_updates, 5) << "status schemas of every kind";
}

// Valid manifests the schema once refused: each file is applied twice (as
// GitOps does), its documents in order, and accepted both times.
TEST(Crds, ValidManifestsAreAcceptedAndReappliedUnchanged) {
  InstallCrds();
  auto files = YamlFilesIn(SourceDir() + "/tests/crds/valid");
  ASSERT_GE(files.size(), 6u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    for (int round = 1; round <= 2; ++round) {
      auto r = Cp().Kubectl({"apply", "--server-side", "-f", file.string()});
      EXPECT_TRUE(r.success()) << "apply " << round << ": " << r.Describe();
    }
    auto cleanup = Cp().Kubectl({"delete", "-f", file.string(), "--wait=false", "--ignore-not-found"});
    EXPECT_TRUE(cleanup.success()) << cleanup.Describe();
  }
}

}  // namespace
}  // namespace oncoatlas::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("crds"));
  return RUN_ALL_TESTS();
}

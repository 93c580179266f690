// Proves lib/api agrees with crds/: every property of every CRD's OpenAPI
// schema is mapped by the C++ types (no more, no fewer, with matching JSON
// types), and every sample in crds/samples/ round-trips losslessly. Also
// covers unknown-field handling and error messages of the JSON mapping.
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "api/types.h"
#include "crds/yaml_to_json.h"
#include "support/control_plane.h"

namespace oncoatlas::api {
namespace {

using nlohmann::json;
using testing::SourceDir;
using testing::YamlToJson;

YAML::Node SchemaOf(const std::string& crd_file) {
  YAML::Node crd = YAML::LoadFile(SourceDir() + "/crds/" + crd_file);
  return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

// Every property path of a schema: "spec.cluster.remote.hubServer",
// "spec.datasets[].node" for array items, "status.facets.*" for map values.
// metadata is Kubernetes' ObjectMeta and not descended into.
void SchemaPaths(const YAML::Node& schema, const std::string& prefix, std::set<std::string>& out) {
  if (schema["properties"]) {
    for (const auto& property : schema["properties"]) {
      std::string path =
          prefix.empty() ? property.first.as<std::string>() : prefix + "." + property.first.as<std::string>();
      out.insert(path);
      if (path != "metadata") SchemaPaths(property.second, path, out);
    }
  }
  if (schema["additionalProperties"] && schema["additionalProperties"].IsMap()) {
    out.insert(prefix + ".*");
    SchemaPaths(schema["additionalProperties"], prefix + ".*", out);
  }
  if (schema["items"]) SchemaPaths(schema["items"], prefix + "[]", out);
}

// The paths a JSON document has, named as SchemaPaths names them (the schema
// says which objects are maps). Keys outside the schema appear verbatim.
void DocumentPaths(const json& doc, const YAML::Node& schema, const std::string& prefix, std::set<std::string>& out) {
  if (doc.is_object()) {
    bool is_map = schema && schema["additionalProperties"] && schema["additionalProperties"].IsMap();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      std::string key = is_map ? "*" : it.key();
      std::string path = prefix.empty() ? key : prefix + "." + key;
      out.insert(path);
      YAML::Node sub;
      if (schema) sub = is_map ? schema["additionalProperties"] : schema["properties"][it.key()];
      if (path != "metadata") DocumentPaths(*it, sub, path, out);
    }
  } else if (doc.is_array()) {
    for (const auto& item : doc) DocumentPaths(item, schema ? schema["items"] : YAML::Node(), prefix + "[]", out);
  }
}

// A document that sets every property of the schema to a value of its type.
json FullExample(const YAML::Node& schema, const std::string& path = "") {
  std::string type = schema["type"] ? schema["type"].as<std::string>() : "object";
  if (schema["enum"]) return YamlToJson(schema["enum"][0]);
  if (path == "metadata") return {{"name", "example"}};
  if (type == "object") {
    json out = json::object();
    if (schema["properties"]) {
      for (const auto& p : schema["properties"]) {
        std::string name = p.first.as<std::string>();
        out[name] = FullExample(p.second, path.empty() ? name : path + "." + name);
      }
    }
    if (schema["additionalProperties"] && schema["additionalProperties"].IsMap()) {
      out["some-key"] = FullExample(schema["additionalProperties"], path + ".*");
    }
    return out;
  }
  if (type == "array") return json::array({FullExample(schema["items"], path + "[]")});
  if (type == "string") return "text";
  if (type == "integer") return 7;
  if (type == "number") return 0.25;
  if (type == "boolean") return true;
  ADD_FAILURE() << path << ": unexpected schema type " << type;
  return nullptr;
}

std::string Difference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::string out;
  for (const auto& p : a) {
    if (!b.count(p)) out += "  " + p + "\n";
  }
  return out;
}

template <Mapped T>
void ExpectTypesMapSchema(const std::string& crd_file) {
  SCOPED_TRACE(crd_file);
  YAML::Node schema = SchemaOf(crd_file);
  json example = FullExample(schema);

  // Strict decoding accepts the full example: no property is unknown to the
  // types, and each has the JSON type the schema gives it.
  auto strict = FromJson<T>(example, UnknownFields::kReject);
  ASSERT_TRUE(strict.ok()) << strict.status().ToString();

  // What the types write, with nothing carried over as unknown, is exactly
  // the schema's property set.
  auto typed_only = FromJson<T>(example, UnknownFields::kDrop);
  ASSERT_TRUE(typed_only.ok()) << typed_only.status().ToString();
  std::set<std::string> schema_paths, written_paths;
  SchemaPaths(schema, "", schema_paths);
  DocumentPaths(ToJson(*typed_only), schema, "", written_paths);
  EXPECT_GT(schema_paths.size(), 20u);
  EXPECT_EQ(written_paths, schema_paths) << "in the schema, not written by the types:\n"
                                         << Difference(schema_paths, written_paths)
                                         << "written by the types, not in the schema:\n"
                                         << Difference(written_paths, schema_paths);
  // And the values come back as they went in.
  EXPECT_EQ(ToJson(*strict), example);
}

TEST(ApiTypes, DataNodeMapsEverySchemaProperty) { ExpectTypesMapSchema<DataNode>("datanode.yaml"); }
TEST(ApiTypes, DatasetMapsEverySchemaProperty) { ExpectTypesMapSchema<Dataset>("dataset.yaml"); }
TEST(ApiTypes, AccessGrantMapsEverySchemaProperty) { ExpectTypesMapSchema<AccessGrant>("accessgrant.yaml"); }
TEST(ApiTypes, BenchmarkRunMapsEverySchemaProperty) { ExpectTypesMapSchema<BenchmarkRun>("benchmarkrun.yaml"); }
TEST(ApiTypes, AccessPolicyMapsEverySchemaProperty) { ExpectTypesMapSchema<AccessPolicy>("accesspolicy.yaml"); }

TEST(ApiTypes, EveryCrdFileHasItsType) {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/crds")) {
    if (entry.path().extension() == ".yaml") files.insert(entry.path().filename().string());
  }
  EXPECT_EQ(files, (std::set<std::string>{"accessgrant.yaml", "accesspolicy.yaml", "benchmarkrun.yaml", "datanode.yaml",
                                          "dataset.yaml"}));
}

// What `kubectl explain` shows: every property (below metadata, which the API
// server does not let a CRD describe) has a description, and every CEL rule a
// message, so a rejection says what is wrong in words.
void ExpectDocumented(const YAML::Node& schema, const std::string& path, std::vector<std::string>& undocumented) {
  if (!path.empty() && path != "metadata" && !schema["description"]) undocumented.push_back(path);
  if (schema["x-kubernetes-validations"]) {
    for (const auto& rule : schema["x-kubernetes-validations"]) {
      if (!rule["message"]) undocumented.push_back(path + " rule " + rule["rule"].as<std::string>());
    }
  }
  if (path == "metadata") return;
  if (schema["properties"]) {
    for (const auto& p : schema["properties"]) {
      std::string name = p.first.as<std::string>();
      ExpectDocumented(p.second, path.empty() ? name : path + "." + name, undocumented);
    }
  }
  if (schema["additionalProperties"] && schema["additionalProperties"].IsMap()) {
    ExpectDocumented(schema["additionalProperties"], path + ".*", undocumented);
  }
  if (schema["items"]) ExpectDocumented(schema["items"], path + "[]", undocumented);
}

TEST(CrdSchemas, EveryPropertyHasADescriptionAndEveryRuleAMessage) {
  for (const char* file :
       {"datanode.yaml", "dataset.yaml", "accessgrant.yaml", "benchmarkrun.yaml", "accesspolicy.yaml"}) {
    SCOPED_TRACE(file);
    std::vector<std::string> undocumented;
    ExpectDocumented(SchemaOf(file), "", undocumented);
    EXPECT_TRUE(undocumented.empty()) << ::testing::PrintToString(undocumented);
  }
}

// Reads a document as T strictly and writes it back.
template <Mapped T>
Result<json> RoundTrip(const json& doc) {
  auto parsed = FromJson<T>(doc, UnknownFields::kReject);
  if (!parsed.ok()) return parsed.status();
  return ToJson(*parsed);
}

std::vector<json> SampleDocuments() {
  std::vector<json> docs;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/crds/samples")) {
    if (entry.path().extension() != ".yaml") continue;
    for (const auto& doc : YAML::LoadAllFromFile(entry.path().string())) {
      json j = YamlToJson(doc);
      if (j.is_object() && j.value("kind", "") != "Namespace") docs.push_back(j);
    }
  }
  return docs;
}

TEST(ApiTypes, EverySampleRoundTripsLosslessly) {
  const std::map<std::string, std::function<Result<json>(const json&)>> by_kind = {
      {"DataNode", RoundTrip<DataNode>},         {"Dataset", RoundTrip<Dataset>},
      {"AccessGrant", RoundTrip<AccessGrant>},   {"BenchmarkRun", RoundTrip<BenchmarkRun>},
      {"AccessPolicy", RoundTrip<AccessPolicy>},
  };
  auto docs = SampleDocuments();
  ASSERT_GE(docs.size(), 12u);
  std::set<std::string> kinds;
  for (const auto& doc : docs) {
    std::string kind = doc.at("kind");
    SCOPED_TRACE(kind + " " + doc.at("metadata").at("name").get<std::string>());
    kinds.insert(kind);
    ASSERT_TRUE(by_kind.count(kind)) << "no C++ type for kind " << kind;
    auto back = by_kind.at(kind)(doc);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, doc) << "written: " << back->dump(2) << "\noriginal: " << doc.dump(2);
  }
  EXPECT_EQ(kinds.size(), by_kind.size());
}

json SampleNamed(const std::string& name) {
  for (const auto& doc : SampleDocuments()) {
    if (doc.at("metadata").at("name") == name) return doc;
  }
  ADD_FAILURE() << "no sample named " << name;
  return json::object();
}

TEST(ApiTypes, SamplesReadIntoTypedValues) {
  auto node = FromJson<DataNode>(SampleNamed("se-stockholm"));
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->spec.tier, 3);
  EXPECT_EQ(node->spec.country, "SE");
  ASSERT_TRUE(node->spec.cluster.remote.has_value());
  EXPECT_FALSE(node->spec.cluster.local.has_value());
  EXPECT_EQ(node->spec.cluster.remote->kubeconfig_secret_ref.name, "se-stockholm-kubeconfig");
  ASSERT_TRUE(node->spec.pacs && node->spec.pacs->dimse);
  EXPECT_EQ(node->spec.pacs->dimse->port, 11112);
  EXPECT_EQ(node->spec.pacs->dimse->called_ae_title, "SECTRA_PACS");

  auto lung = SampleNamed("lung-staging-ct-pet").get<Dataset>();  // through nlohmann's hooks
  EXPECT_EQ(lung.spec.cancer_type.code, "C34");
  EXPECT_EQ(lung.spec.deidentification.retain_safe_private, true);
  ASSERT_TRUE(lung.spec.deidentification.safe_private_attributes.has_value());
  EXPECT_EQ(lung.spec.deidentification.safe_private_attributes->at(0).group, "0019");
  EXPECT_FALSE(lung.spec.deidentification.clean_pixel_data.has_value()) << "absent stays absent";

  auto run = FromJson<BenchmarkRun>(SampleNamed("lumen-mammo-v3-1"));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->spec.metrics.size(), 3u);
  EXPECT_DOUBLE_EQ(run->spec.metrics[1].at.value_or(0), 0.9);
}

TEST(ApiTypes, UnknownFieldsArePreservedDroppedOrRejected) {
  json doc = SampleNamed("se-stockholm");
  doc["spec"]["futureField"] = {{"nested", 1}};
  doc["spec"]["pacs"]["dimse"]["tls"] = true;
  doc["status"] = {{"phase", "Connected"}, {"agentUptime", "3d"}};

  auto preserved = FromJson<DataNode>(doc);
  ASSERT_TRUE(preserved.ok()) << preserved.status().ToString();
  EXPECT_EQ(ToJson(*preserved), doc);
  EXPECT_EQ(preserved->spec.unknown_fields, json({{"futureField", {{"nested", 1}}}}));

  auto dropped = FromJson<DataNode>(doc, UnknownFields::kDrop);
  ASSERT_TRUE(dropped.ok());
  json written = ToJson(*dropped);
  EXPECT_FALSE(written["spec"].contains("futureField"));
  EXPECT_FALSE(written["spec"]["pacs"]["dimse"].contains("tls"));
  EXPECT_EQ(written["status"], json({{"phase", "Connected"}}));

  auto rejected = FromJson<DataNode>(doc, UnknownFields::kReject);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rejected.status().message().find("unknown field"), std::string::npos) << rejected.status().message();
}

TEST(ApiTypes, NullOptionalFieldsSurviveTheRoundTrip) {
  json doc = SampleNamed("it-milano");
  doc["spec"]["storage"] = nullptr;
  auto node = FromJson<DataNode>(doc, UnknownFields::kReject);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_FALSE(node->spec.storage.has_value());
  auto preserved = FromJson<DataNode>(doc);
  ASSERT_TRUE(preserved.ok());
  EXPECT_EQ(ToJson(*preserved), doc);
}

TEST(ApiTypes, TypeErrorsNameThePath) {
  json node = SampleNamed("se-stockholm");
  node["spec"]["tier"] = "two";
  auto r = FromJson<DataNode>(node);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("spec.tier: expected integer, got string \"two\""), std::string::npos)
      << r.status().message();

  json run = SampleNamed("lumen-mammo-v3-1");
  run["spec"]["datasets"][0]["node"] = 5;
  auto r2 = FromJson<BenchmarkRun>(run);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("spec.datasets[0].node: expected string"), std::string::npos)
      << r2.status().message();

  json grant = SampleNamed("lumen-mammo-benchmark");
  grant["spec"]["permissions"] = "process";
  auto r3 = FromJson<AccessGrant>(grant);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("spec.permissions: expected array"), std::string::npos) << r3.status().message();

  json ds = SampleNamed("breast-screening-2018-2022");
  ds["status"] = {{"facets", {{"modality", {{"MG", 12}}}}}};
  auto r4 = FromJson<Dataset>(ds);
  ASSERT_FALSE(r4.ok());
  EXPECT_NE(r4.status().message().find("status.facets.modality.MG: expected string"), std::string::npos)
      << r4.status().message();

  auto r5 = FromJsonText<AccessPolicy>("{not json");
  ASSERT_FALSE(r5.ok());
  EXPECT_NE(r5.status().message().find("not valid JSON"), std::string::npos);
  auto r6 = FromJsonText<AccessPolicy>("[1, 2]");
  ASSERT_FALSE(r6.ok());
  EXPECT_NE(r6.status().message().find("<root>: expected object"), std::string::npos) << r6.status().message();
}

}  // namespace
}  // namespace oncoatlas::api

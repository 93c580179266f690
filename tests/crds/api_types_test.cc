// Proves lib/api agrees with crds/: every property of every CRD's OpenAPI
// schema is mapped by the C++ types (no more, no fewer, with matching JSON
// types), and every sample in crds/samples/ round-trips losslessly. Also
// covers unknown-field handling and error messages of the JSON mapping.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "api/types.h"
#include "core/duration.h"
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
  if (schema["x-kubernetes-int-or-string"]) return "500m";
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
  EXPECT_EQ(run->spec.metrics[1].at_per_mille, 900);
  ASSERT_TRUE(run->spec.resources && run->spec.resources->cpu);
  EXPECT_EQ(run->spec.resources->cpu->ToString(), "4");
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

// ---------------------------------------------------------------------------
// API conventions the schemas follow, checked over every CRD.

const std::vector<std::string>& CrdFiles() {
  static const std::vector<std::string> files = {"datanode.yaml", "dataset.yaml", "accessgrant.yaml",
                                                 "benchmarkrun.yaml", "accesspolicy.yaml"};
  return files;
}

// Visits every schema node (metadata excluded) with its property path.
void ForEachNode(const YAML::Node& schema, const std::string& path,
                 const std::function<void(const YAML::Node&, const std::string&)>& visit) {
  visit(schema, path);
  if (schema["properties"]) {
    for (const auto& p : schema["properties"]) {
      std::string name = p.first.as<std::string>();
      if (path.empty() && name == "metadata") continue;
      ForEachNode(p.second, path.empty() ? name : path + "." + name, visit);
    }
  }
  if (schema["additionalProperties"] && schema["additionalProperties"].IsMap()) {
    ForEachNode(schema["additionalProperties"], path + ".*", visit);
  }
  if (schema["items"]) ForEachNode(schema["items"], path + "[]", visit);
}

struct CelRule {
  std::string rule, message;
};

std::vector<CelRule> RulesOf(const YAML::Node& node) {
  std::vector<CelRule> rules;
  if (!node["x-kubernetes-validations"]) return rules;
  for (const auto& r : node["x-kubernetes-validations"]) {
    rules.push_back({r["rule"].as<std::string>(), r["message"] ? r["message"].as<std::string>() : ""});
  }
  return rules;
}

bool IsCamelCase(const std::string& s) {
  if (s.empty() || !std::isupper(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// The runs of letters and digits of `text`, each with the offset after it.
std::vector<std::pair<std::string, std::size_t>> Words(const std::string& text) {
  std::vector<std::pair<std::string, std::size_t>> words;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t j = i;
    while (j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) words.emplace_back(text.substr(i, j - i), j);
    i = j + 1;
  }
  return words;
}

// The contents of the string literals (between double quotes) of C++ code,
// comments and character literals skipped.
std::vector<std::string> StringLiterals(const std::string& code) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (code.compare(i, 2, "//") == 0) {
      i = code.find('\n', i);
      if (i == std::string::npos) break;
      continue;
    }
    if (code.compare(i, 2, "/*") == 0) {
      i = code.find("*/", i);
      if (i == std::string::npos) break;
      continue;
    }
    if (code[i] == '\'') {  // a character literal, e.g. '"'
      std::size_t end = code.find('\'', i + (code[i + 1] == '\\' ? 3 : 2));
      if (end == std::string::npos) break;
      i = end;
      continue;
    }
    if (code[i] != '"') continue;
    std::string literal;
    for (++i; i < code.size() && code[i] != '"'; ++i) {
      if (code[i] == '\\') ++i;
      literal += code[i];
    }
    out.push_back(literal);
  }
  return out;
}

// The number after `prefix` in `text`, if `text` has `prefix` followed by digits.
std::optional<std::size_t> NumberAfter(const std::string& text, const std::string& prefix) {
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + prefix.size(), j = i;
  while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
  if (j == i) return std::nullopt;
  return std::stoul(text.substr(i, j - i));
}

// The quoted argument after `prefix` in `text` ("24h" in `duration("24h")`).
std::string QuotedAfter(const std::string& text, const std::string& prefix) {
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) return "";
  const std::size_t start = at + prefix.size();
  const std::size_t end = text.find('"', start);
  return end == std::string::npos ? "" : text.substr(start, end - start);
}

template <typename Terms>
std::set<std::string> Curies(const Terms& terms) {
  std::set<std::string> out;
  for (const DuoTerm& t : terms) out.emplace(t.curie);
  return out;
}

// The DUO terms and country codes of the CRDs are lib/api/vocabulary.h's.
TEST(CrdSchemas, VocabulariesAreTheOnesOfLibApi) {
  const std::set<std::string> permissions = Curies(kDuoPermissions);
  const std::set<std::string> modifiers = Curies(kDuoModifiers);
  std::set<std::string> all = permissions;
  all.insert(modifiers.begin(), modifiers.end());
  const std::set<std::string> countries(kIsoCountries.begin(), kIsoCountries.end());
  EXPECT_EQ(countries.size(), kIsoCountries.size());
  EXPECT_FALSE(countries.count("UK"));
  EXPECT_TRUE(countries.count("GB"));

  std::map<std::string, std::set<std::string>> duo_fields;
  int country_fields = 0;
  for (const auto& file : CrdFiles()) {
    ForEachNode(SchemaOf(file), "", [&](const YAML::Node& node, const std::string& path) {
      const std::string where = file + " " + path;
      const std::string pattern = node["pattern"] ? node["pattern"].as<std::string>() : "";
      EXPECT_EQ(pattern.find("DUO"), std::string::npos) << where << ": a DUO term checked by its shape only";
      if (node["enum"] && node["enum"][0].as<std::string>().rfind("DUO:", 0) == 0) {
        std::set<std::string> values;
        for (const auto& v : node["enum"]) values.insert(v.as<std::string>());
        EXPECT_TRUE(values == permissions || values == modifiers || values == all) << where;
        duo_fields[where] = values;
      }
      if (pattern != "^[A-Z]{2}$") return;
      ++country_fields;
      bool uk = false, listed = false;
      const std::string listed_prefix = "self == 'UK' || self in [";
      for (const CelRule& r : RulesOf(node)) {
        if (r.rule == "self != 'UK'") {
          uk = true;
          EXPECT_NE(r.message.find("the United Kingdom is GB"), std::string::npos) << where;
        }
        if (r.rule.rfind(listed_prefix, 0) != 0) continue;
        listed = true;
        std::set<std::string> codes;
        const std::string list = r.rule.substr(listed_prefix.size());
        for (const auto& [w, end] : Words(list)) codes.insert(w);
        EXPECT_EQ(codes, countries) << where;
        EXPECT_NE(r.message.find("quote Norway as \"NO\""), std::string::npos) << where;
      }
      EXPECT_TRUE(uk && listed) << where << ": a country code checked by its shape only";
    });
  }
  EXPECT_EQ(duo_fields["dataset.yaml spec.dataUse.permission"], permissions);
  EXPECT_EQ(duo_fields["dataset.yaml spec.dataUse.modifiers[]"], modifiers);
  EXPECT_EQ(duo_fields["accessgrant.yaml spec.purpose.codes[]"], all);
  EXPECT_EQ(duo_fields.size(), 5u) << "the Dataset's permission and modifiers, a purpose, a rule's two matches";
  EXPECT_EQ(country_fields, 4) << "DataNode, data-use countries, grantee, policy match";
}

// The one rule of every duration field: Go's duration syntax in the units the
// operator and the agent parse (core/duration.h: h, m, s, ms), with no more
// digits per unit than keeps a value within Go's time.Duration, so CEL's
// duration() never fails on what the pattern lets through. As it stands in
// the YAML (CEL escapes the dot).
constexpr char kDurationPattern[] =
    R"(^(([0-9]{1,5}(\\.[0-9]{1,9})?h)|([0-9]{1,7}(\\.[0-9]{1,9})?m)|([0-9]{1,9}(\\.[0-9]{1,9})?s)|([0-9]{1,12}(\\.[0-9]{1,9})?ms)){1,4}$)";

TEST(CrdSchemas, EveryDurationUsesTheOneDurationRuleWithItsRangeInTheMessage) {
  const std::string prefix = std::string("self.matches(\"") + kDurationPattern + "\") && ";
  int durations = 0;
  for (const auto& file : CrdFiles()) {
    ForEachNode(SchemaOf(file), "", [&](const YAML::Node& node, const std::string& path) {
      for (const CelRule& r : RulesOf(node)) {
        if (r.rule.find("duration(self)") == std::string::npos) continue;
        const std::string where = file + " " + path;
        ++durations;
        EXPECT_EQ(r.rule.rfind(prefix, 0), 0u) << where << ": " << r.rule;
        EXPECT_FALSE(node["pattern"]) << where << ": a second duration syntax";
        const std::string at_least = QuotedAfter(r.rule, "duration(self) >= duration(\"");
        const std::string more_than = QuotedAfter(r.rule, "duration(self) > duration(\"");
        const std::string at_most = QuotedAfter(r.rule, "duration(self) <= duration(\"");
        ASSERT_TRUE((at_least.empty() != more_than.empty()) && !at_most.empty()) << where << ": " << r.rule;
        const std::string range = !at_least.empty() ? "between " + at_least + " and " + at_most
                                                    : "of more than " + more_than + " and at most " + at_most;
        EXPECT_NE(r.message.find("must be a duration " + range), std::string::npos) << where << ": " << r.message;
      }
    });
  }
  EXPECT_EQ(durations, 4) << "refreshInterval, maxTaskDuration, credentialRotationInterval, timeout";

  // The operator and the agent parse what the pattern accepts (the API server
  // tests of tests/crds/ prove what it accepts and refuses).
  for (const char* ok : {"24h", "1h30m", "1.5h", "3600000ms", "90m", "2h0m0s", "99999h", "1h1m1s1ms"}) {
    EXPECT_TRUE(ParseGoDuration(ok).has_value()) << ok;
  }
}

// No floats in spec (Kubernetes API conventions); quantities are
// int-or-string, checked with isQuantity() as Kubernetes' own resources are.
TEST(CrdSchemas, SpecsHaveNoFloatsAndQuantitiesAreCheckedWithIsQuantity) {
  int quantities = 0;
  for (const auto& file : CrdFiles()) {
    ForEachNode(SchemaOf(file)["properties"]["spec"], "spec", [&](const YAML::Node& node, const std::string& path) {
      const std::string where = file + " " + path;
      EXPECT_FALSE(node["type"] && node["type"].as<std::string>() == "number")
          << where << ": a float in spec; use an integer (e.g. in per mille) or a string";
      bool is_quantity = false;
      for (const CelRule& r : RulesOf(node)) {
        is_quantity = is_quantity || r.rule.find("isQuantity(") != std::string::npos;
      }
      if (node["x-kubernetes-int-or-string"]) {
        EXPECT_TRUE(is_quantity) << where;
      }
      if (is_quantity) ++quantities;
    });
  }
  EXPECT_EQ(quantities, 3) << "a DataNode's storage size, a run's cpu and memory";
}

// Objects whose presence is itself a choice (where the agent runs, which
// image source, whether the node stores or computes, whether a Dataset has
// benchmark labels): their fields' defaults apply once the object is written,
// and omitting it means the feature is off, not "everything at its default".
const std::set<std::string>& PresenceIsAChoice() {
  static const std::set<std::string> paths = {
      "datanode.yaml spec.cluster.local", "datanode.yaml spec.cluster.remote", "datanode.yaml spec.pacs",
      "datanode.yaml spec.pacs.dimse",    "datanode.yaml spec.storage",        "datanode.yaml spec.compute",
      "dataset.yaml spec.benchmark",
  };
  return paths;
}

void CheckDefaults(const YAML::Node& schema, const std::string& file, const std::string& path,
                   const std::vector<std::string>& optional_parents, std::vector<std::string>& problems,
                   int& defaults) {
  const std::string where = file + " " + path;
  if (schema["default"]) {
    ++defaults;
    const YAML::Node& d = schema["default"];
    const std::string text = d.IsScalar() ? d.as<std::string>() : "{}";
    const std::string description = schema["description"] ? schema["description"].as<std::string>() : "";
    if (description.find("Defaults to " + text) == std::string::npos &&
        description.find("Defaults to \"" + text + "\"") == std::string::npos) {
      problems.push_back(where + ": the description does not say \"Defaults to " + text + "\"");
    }
    for (const auto& parent : optional_parents) {
      problems.push_back(where + " has a default but its optional parent " + parent +
                         " has none: writing the parent with some fields injects it, omitting the parent does not");
    }
  }
  std::set<std::string> required;
  if (schema["required"]) {
    for (const auto& r : schema["required"]) required.insert(r.as<std::string>());
  }
  if (schema["properties"]) {
    for (const auto& p : schema["properties"]) {
      const std::string name = p.first.as<std::string>();
      if (path.empty() && (name == "metadata" || name == "status")) continue;
      const std::string child = path.empty() ? name : path + "." + name;
      std::vector<std::string> parents = optional_parents;
      const YAML::Node& c = p.second;
      const bool object = c["properties"] && !c["default"];
      if (object && !required.count(name) && !PresenceIsAChoice().count(file + " " + child)) parents.push_back(child);
      CheckDefaults(c, file, child, parents, problems, defaults);
    }
  }
  if (schema["items"]) CheckDefaults(schema["items"], file, path + "[]", {}, problems, defaults);
}

TEST(CrdSchemas, EveryDefaultIsStatedAndMeansTheSameWhetherItsParentIsWrittenOrNot) {
  std::vector<std::string> problems;
  int defaults = 0;
  for (const auto& file : CrdFiles()) CheckDefaults(SchemaOf(file), file, "", {}, problems, defaults);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  EXPECT_GE(defaults, 30);
}

// An upper bound of the JSON size of any value `schema` accepts: strings at
// their maxLength (or their enum's longest value, or their format's length),
// lists at their maxItems or a CEL "size(self) <= N" rule, maps at their
// maxProperties with keys bounded by a CEL "self.all(k, size(k) <= N" rule.
// What has no bound is added to `unbounded`.
std::size_t WorstCaseBytes(const YAML::Node& s, const std::string& path, std::vector<std::string>& unbounded) {
  auto from_rule = [&s](const std::string& prefix) -> std::optional<std::size_t> {
    for (const CelRule& r : RulesOf(s)) {
      if (r.rule.rfind(prefix, 0) == 0) return NumberAfter(r.rule, prefix);
    }
    return std::nullopt;
  };
  if (s["enum"]) {
    std::size_t longest = 0;
    for (const auto& v : s["enum"]) longest = std::max(longest, v.as<std::string>().size());
    return longest + 2;
  }
  const std::string type = s["type"] ? s["type"].as<std::string>() : s["x-kubernetes-int-or-string"] ? "string" : "";
  if (type == "string") {
    if (s["maxLength"]) return s["maxLength"].as<std::size_t>() + 2;
    const std::string format = s["format"] ? s["format"].as<std::string>() : "";
    if (format == "date-time") return 37;
    if (format == "date") return 12;
    unbounded.push_back(path);
    return 0;
  }
  if (type == "integer" || type == "number") return 20;
  if (type == "boolean") return 5;
  if (type == "array") {
    std::optional<std::size_t> n =
        s["maxItems"] ? std::optional(s["maxItems"].as<std::size_t>()) : from_rule("size(self) <= ");
    if (!n) unbounded.push_back(path);
    return 2 + n.value_or(0) * (WorstCaseBytes(s["items"], path + "[]", unbounded) + 1);
  }
  if (type == "object") {
    std::size_t total = 2;
    if (s["properties"]) {
      for (const auto& p : s["properties"]) {
        const std::string name = p.first.as<std::string>();
        if (path.empty() && name == "metadata") continue;
        if (path.empty() && (name == "apiVersion" || name == "kind")) {  // fixed by the API server
          total += name.size() + 4 + 64;
          continue;
        }
        total += name.size() + 4 + WorstCaseBytes(p.second, path.empty() ? name : path + "." + name, unbounded);
      }
    }
    if (s["additionalProperties"] && s["additionalProperties"].IsMap()) {
      std::optional<std::size_t> keys = from_rule("self.all(k, size(k) <= ");
      if (!s["maxProperties"] || !keys) unbounded.push_back(path + ".*");
      std::size_t n = s["maxProperties"] ? s["maxProperties"].as<std::size_t>() : 0;
      total += n * (keys.value_or(0) + 4 + WorstCaseBytes(s["additionalProperties"], path + ".*", unbounded));
    }
    return total;
  }
  unbounded.push_back(path + " (no type)");
  return 0;
}

// The largest valid object fits the API server's limits with room to spare:
// its spec and status at their largest stay within 512 KiB, so even with
// managedFields naming every field, set member and map key again, and 256 KiB
// of annotations, it stays under etcd's 1.5 MiB request limit.
TEST(CrdSchemas, TheLargestValidObjectFitsTheApiServer) {
  constexpr std::size_t kMaxSpecAndStatusBytes = 512 * 1024;
  for (const auto& file : CrdFiles()) {
    SCOPED_TRACE(file);
    std::vector<std::string> unbounded;
    const std::size_t bytes = WorstCaseBytes(SchemaOf(file), "", unbounded);
    EXPECT_TRUE(unbounded.empty()) << "without maxLength, maxItems or maxProperties: "
                                   << ::testing::PrintToString(unbounded);
    EXPECT_LE(bytes, kMaxSpecAndStatusBytes) << "the largest valid " << file << " has " << bytes / 1024 << " KiB";
  }
}

// The condition types and reasons each CRD's status.conditions describes are
// the ones the operator and the agent write: every CamelCase string literal
// of the files that write a kind's conditions is a type or a reason the
// description names (or one of the kind's enum values, such as a phase, or one
// of the few other words listed here), and every reason the description names
// is written.
TEST(CrdSchemas, ConditionTypesAndReasonsAreTheOnesTheOperatorAndAgentWrite) {
  struct Writers {
    std::string crd;
    std::vector<std::string> sources;
    std::set<std::string> other_words;  // CamelCase literals of those files that are not conditions
  };
  const std::vector<Writers> kinds = {
      {"datanode.yaml",
       {"operator/datanode/node_status.h", "operator/datanode/node_status.cc", "operator/datanode/reconciler.cc",
        "operator/datanode/site_cluster.cc"},
       {"DataNode", "POST", "ServiceAccount", "TokenRequest"}},
      {"dataset.yaml",
       {"operator/dataset_controller.h", "operator/dataset_controller.cc", "agents/node/dataset_status.h",
        "agents/node/dataset_status.cc", "agents/node/dataset_pipeline.cc", "agents/node/dataset_controller.cc"},
       {"YYYYMMDD"}},  // a date format
      {"accessgrant.yaml", {"operator/access_grant_controller.h", "operator/access_grant_controller.cc"}, {}},
      {"benchmarkrun.yaml",
       {"operator/benchmark_run_controller.h", "operator/benchmark_run_controller.cc"},
       {"Process"}},  // the AccessGrant permission a run needs
      {"accesspolicy.yaml", {"operator/access_policy_controller.cc"}, {}},
  };
  for (const Writers& k : kinds) {
    SCOPED_TRACE(k.crd);
    const YAML::Node status = SchemaOf(k.crd)["properties"]["status"];
    const std::string description = status["properties"]["conditions"]["description"].as<std::string>();
    const std::size_t split = description.find("Reasons: ");
    ASSERT_NE(split, std::string::npos) << "the description lists the reasons after \"Reasons: \"";
    const std::string types_part = description.substr(0, split);
    const std::string reasons_part = description.substr(split + 9);
    std::set<std::string> types, reasons;
    for (const auto& [w, end] : Words(types_part)) {
      if (IsCamelCase(w) && types_part.compare(end, 2, " (") == 0) types.insert(w);
    }
    for (const auto& [w, end] : Words(reasons_part)) {
      if (IsCamelCase(w)) reasons.insert(w);
    }
    std::set<std::string> written = {"Ready"};  // kube::kConditionReady
    for (const auto& source : k.sources) {
      std::ifstream in(SourceDir() + "/" + source);
      ASSERT_TRUE(in) << source;
      std::stringstream text;
      text << in.rdbuf();
      const std::string code = text.str();
      for (const std::string& l : StringLiterals(code)) {
        if (IsCamelCase(l)) written.insert(l);
      }
    }
    std::set<std::string> ignored = k.other_words;
    ignored.insert({"True", "False", "Unknown"});
    // The kind's enum values (phases, permissions, effects) are no reasons.
    ForEachNode(SchemaOf(k.crd), "", [&](const YAML::Node& node, const std::string&) {
      if (!node["enum"]) return;
      for (const auto& v : node["enum"]) ignored.insert(v.as<std::string>());
    });
    for (const auto& t : types) EXPECT_TRUE(written.count(t)) << "type " << t << " is described but never written";
    for (const auto& r : reasons) EXPECT_TRUE(written.count(r)) << "reason " << r << " is described but never written";
    for (const auto& w : written) {
      if (ignored.count(w) || types.count(w) || reasons.count(w)) continue;
      ADD_FAILURE()
          << "\"" << w << "\" is written by " << ::testing::PrintToString(k.sources)
          << " but not named in status.conditions' description (add it, or list it here if it is no condition)";
    }
    EXPECT_GE(types.size(), 1u);
  }
}

// Enum values are CamelCase across the API, as Kubernetes writes them, except
// where the value is a word another standard or component defines (see
// crds/README.md).
TEST(CrdSchemas, EnumValuesAreCamelCase) {
  const std::map<std::string, std::string> exceptions = {
      {"datanode.yaml spec.agent.logLevel", "the words of the operator's and the agent's --log-level"},
      {"datanode.yaml spec.pacs.dimse.retrieveMethod", "DICOM's service names C-GET and C-MOVE"},
      {"dataset.yaml spec.source.protocol", "the name of the DataNode's spec.pacs member it must match"},
  };
  int enums = 0;
  for (const auto& file : CrdFiles()) {
    ForEachNode(SchemaOf(file), "", [&](const YAML::Node& node, const std::string& path) {
      if (!node["enum"] || (node["type"] && node["type"].as<std::string>() != "string")) return;
      const std::string where = file + " " + path;
      if (exceptions.count(where)) return;
      ++enums;
      for (const auto& v : node["enum"]) {
        const std::string value = v.as<std::string>();
        if (value.rfind("DUO:", 0) == 0) continue;  // ontology CURIEs
        EXPECT_TRUE(IsCamelCase(value)) << where << ": " << value;
      }
    });
  }
  EXPECT_GE(enums, 20);
}

}  // namespace
}  // namespace oncoatlas::api

#include "node/burned_in_text_rules.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <limits>
#include <sstream>
#include <tuple>

#include "api/json_mapping.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;

bool IsInteger(const std::string& s) {
  std::size_t start = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (start >= s.size() || s.size() - start > 18) return false;
  for (std::size_t i = start; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// YAML to JSON with the typing this file needs: quoted scalars are strings,
// plain ones integers when they look like one (JSON is read as YAML).
json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      std::string v = node.Scalar();
      if (node.Tag() != "!" && IsInteger(v)) return std::stoll(v);
      return v;
    }
    default:
      return nullptr;
  }
}

Result<int> Int(std::int64_t v, const std::string& what) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return InvalidArgumentError(what + " is " + std::to_string(v) + ", out of range; give a pixel count up to 65535");
  }
  return static_cast<int>(v);
}

}  // namespace

Result<std::vector<deid::BurnedInTextRule>> BurnedInTextRulesFromApi(
    const std::vector<api::BurnedInTextRegion>& regions) {
  std::vector<deid::BurnedInTextRule> out;
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const api::BurnedInTextRegion& r = regions[i];
    const std::string at = "burnedInTextRegions[" + std::to_string(i) + "]";
    deid::BurnedInTextRule rule;
    rule.modality = r.modality.value_or("");
    rule.manufacturer = r.manufacturer.value_or("");
    rule.model = r.manufacturer_model_name.value_or("");
    auto rows = Int(r.rows, at + ".rows");
    auto columns = Int(r.columns, at + ".columns");
    if (!rows.ok()) return rows.status();
    if (!columns.ok()) return columns.status();
    rule.rows = *rows;
    rule.columns = *columns;
    for (std::size_t j = 0; j < r.regions.size(); ++j) {
      const std::string rat = at + ".regions[" + std::to_string(j) + "]";
      const api::PixelRegion& g = r.regions[j];
      deid::PixelRegion region;
      for (auto [field, value, name] :
           {std::tuple{&region.x, g.x, "x"}, std::tuple{&region.y, g.y, "y"},
            std::tuple{&region.width, g.width, "width"}, std::tuple{&region.height, g.height, "height"}}) {
        auto v = Int(value, rat + "." + name);
        if (!v.ok()) return v.status();
        *field = *v;
      }
      rule.regions.push_back(region);
    }
    out.push_back(std::move(rule));
  }
  return out;
}

Result<std::vector<deid::BurnedInTextRule>> LoadBurnedInTextRegionsFile(const std::string& path) {
  const std::string shape =
      "; write a list of {modality, manufacturer, manufacturerModelName, rows, columns, regions: [{x, y, width, "
      "height}]} as in a Dataset's spec.deidentification.burnedInTextRegions";
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError("cannot read burned-in text regions file " + path + "; check the path");
  std::stringstream ss;
  ss << in.rdbuf();
  json doc;
  try {
    doc = ToJson(YAML::Load(ss.str()));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("burned-in text regions file " + path + " is not valid YAML or JSON (" + e.what() +
                                ")" + shape);
  }
  if (!doc.is_array() || doc.empty()) {
    return InvalidArgumentError("burned-in text regions file " + path + " does not hold a non-empty list" + shape);
  }
  std::vector<api::BurnedInTextRegion> regions;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string at = "burnedInTextRegions[" + std::to_string(i) + "]";
    const json& item = doc[i];
    auto missing = [&](const json& object, const std::string& where, std::initializer_list<const char*> keys) {
      for (const char* k : keys) {
        if (!object.is_object() || !object.contains(k)) return where + " has no " + k;
      }
      return std::string();
    };
    std::string m = missing(item, at, {"rows", "columns", "regions"});
    if (m.empty() && item["regions"].is_array()) {
      for (std::size_t j = 0; j < item["regions"].size() && m.empty(); ++j) {
        m = missing(item["regions"][j], at + ".regions[" + std::to_string(j) + "]", {"x", "y", "width", "height"});
      }
    }
    if (!m.empty()) return InvalidArgumentError(path + ": " + m + shape);
    auto r = api::FromJson<api::BurnedInTextRegion>(item, api::UnknownFields::kReject);
    if (!r.ok()) return InvalidArgumentError(path + ": " + at + ": " + r.status().message() + shape);
    regions.push_back(std::move(*r));
  }
  auto rules = BurnedInTextRulesFromApi(regions);
  if (!rules.ok()) return InvalidArgumentError(path + ": " + rules.status().message());
  return rules;
}

}  // namespace oncoatlas::agent

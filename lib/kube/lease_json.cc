#include "kube/lease_json.h"

#include <nlohmann/json.hpp>

namespace oncoatlas::kube {

nlohmann::json LeaseToJson(const LeaseRecord& r, std::string_view name, std::string_view ns) {
  nlohmann::json spec = {{"holderIdentity", r.holder_identity},
                         {"leaseDurationSeconds", r.lease_duration_seconds},
                         {"leaseTransitions", r.lease_transitions}};
  if (r.acquire_time) spec["acquireTime"] = FormatMicroTime(*r.acquire_time);
  if (r.renew_time) spec["renewTime"] = FormatMicroTime(*r.renew_time);
  nlohmann::json metadata = {{"name", std::string(name)}, {"namespace", std::string(ns)}};
  if (!r.resource_version.empty()) metadata["resourceVersion"] = r.resource_version;
  if (!r.labels.empty()) metadata["labels"] = r.labels;
  if (!r.annotations.empty()) metadata["annotations"] = r.annotations;
  return {{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"}, {"metadata", metadata}, {"spec", spec}};
}

Result<LeaseRecord> LeaseFromJson(const nlohmann::json& lease) {
  if (!lease.is_object()) return InvalidArgumentError("a Lease must be a JSON object");
  LeaseRecord r;
  auto metadata = lease.find("metadata");
  if (metadata != lease.end() && metadata->is_object()) {
    auto rv = metadata->find("resourceVersion");
    if (rv != metadata->end() && rv->is_string()) r.resource_version = rv->get<std::string>();
    for (auto [key, out] : {std::pair{"labels", &r.labels}, std::pair{"annotations", &r.annotations}}) {
      auto it = metadata->find(key);
      if (it == metadata->end() || it->is_null()) continue;
      if (!it->is_object()) return InvalidArgumentError(std::string("Lease metadata.") + key + " must be an object");
      for (const auto& [k, v] : it->items()) {
        if (!v.is_string())
          return InvalidArgumentError(std::string("Lease metadata.") + key + " values must be strings");
        (*out)[k] = v.get<std::string>();
      }
    }
  }
  auto spec = lease.find("spec");
  if (spec == lease.end() || spec->is_null()) return r;  // an empty Lease: nobody holds it
  if (!spec->is_object()) return InvalidArgumentError("Lease spec must be an object");
  const auto field = [&](const char* key) -> const nlohmann::json* {
    auto it = spec->find(key);
    return it == spec->end() || it->is_null() ? nullptr : &*it;
  };
  if (const auto* v = field("holderIdentity")) {
    if (!v->is_string()) return InvalidArgumentError("Lease spec.holderIdentity must be a string");
    r.holder_identity = v->get<std::string>();
  }
  for (auto [key, out] : {std::pair{"leaseDurationSeconds", &r.lease_duration_seconds},
                          std::pair{"leaseTransitions", &r.lease_transitions}}) {
    if (const auto* v = field(key)) {
      if (!v->is_number_integer())
        return InvalidArgumentError(std::string("Lease spec.") + key + " must be an integer");
      *out = v->get<int>();
    }
  }
  for (auto [key, out] : {std::pair{"acquireTime", &r.acquire_time}, std::pair{"renewTime", &r.renew_time}}) {
    if (const auto* v = field(key)) {
      if (!v->is_string()) return InvalidArgumentError(std::string("Lease spec.") + key + " must be a string");
      auto t = ParseMicroTime(v->get<std::string>());
      if (!t.ok()) return t.status().WithContext(std::string("Lease spec.") + key);
      *out = *t;
    }
  }
  return r;
}

}  // namespace oncoatlas::kube

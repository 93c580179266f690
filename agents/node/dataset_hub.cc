#include "node/dataset_hub.h"

#include "api/resources.h"
#include "core/base64.h"
#include "kube/core_resources.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;

class RestDatasetHub final : public DatasetHub {
 public:
  RestDatasetHub(kube::RestClient& client, std::string ns) : client_(client), ns_(std::move(ns)) {}

  Result<json> GetDataset(const std::string& name) override {
    auto r = client_.Get(api::kDatasets, ns_, name);
    if (!r.ok()) return r.status();
    return std::move(r).value();
  }

  Status UpdateStatus(const json& dataset) override {
    return client_.UpdateStatus(api::kDatasets, ns_, dataset).status();
  }

  Result<std::string> GetSecretValue(const std::string& name, const std::string& key) override {
    auto r = client_.Get(kube::core::kSecrets, ns_, name);
    if (!r.ok()) return r.status();
    const json data = r->value("data", json::object());
    if (!data.is_object() || !data.contains(key) || !data[key].is_string()) {
      return FailedPreconditionError("Secret " + ns_ + "/" + name + " has no key \"" + key + "\"");
    }
    auto decoded = DecodeBase64(data[key].get<std::string>());
    if (!decoded.ok())
      return FailedPreconditionError("Secret " + ns_ + "/" + name + " key \"" + key + "\" is not base64");
    return std::move(decoded).value();
  }

 private:
  kube::RestClient& client_;
  const std::string ns_;
};

}  // namespace

std::unique_ptr<DatasetHub> MakeRestDatasetHub(kube::RestClient& client, std::string namespace_name) {
  return std::make_unique<RestDatasetHub>(client, std::move(namespace_name));
}

Result<bool> WriteDatasetStatus(DatasetHub& hub, const std::string& name,
                                const std::function<json(const json& dataset)>& build, int attempts) {
  Status last = Status::Ok();
  for (int i = 0; i < attempts; ++i) {
    auto current = hub.GetDataset(name);
    if (!current.ok()) return current.status();
    json status = build(*current);
    if (current->contains("status") && (*current)["status"] == status) return false;
    json updated = *current;
    updated["status"] = std::move(status);
    last = hub.UpdateStatus(updated);
    if (last.ok()) return true;
    if (last.code() != StatusCode::kConflict) return last;
  }
  return last.WithContext("writing the status of Dataset " + name + " (kept conflicting)");
}

}  // namespace oncoatlas::agent

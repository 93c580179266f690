// The agent's view of the hub for Datasets: read a Dataset, replace its
// status (guarded by the resourceVersion read, so a concurrent writer makes
// it fail with Conflict), and read a key Secret — all in the node's hub
// namespace only. RestDatasetHub is the real one; tests use an in-memory one.
// Implementations are thread-safe.
//
// Two writers share a Dataset's status: the operator (condition
// DataNodeFound) and the agent (everything else). WriteDatasetStatus re-reads
// and rebuilds on every Conflict, so neither loses the other's part.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kube/rest_client.h"

namespace oncoatlas::agent {

class DatasetHub {
 public:
  virtual ~DatasetHub() = default;
  // The Dataset as stored now; NotFound when it is gone.
  virtual Result<nlohmann::json> GetDataset(const std::string& name) = 0;
  // PUT of `dataset`'s status (with its metadata.resourceVersion); Conflict
  // when stale.
  virtual Status UpdateStatus(const nlohmann::json& dataset) = 0;
  // The bytes of data[key] of Secret `name`: NotFound when the Secret is
  // absent, FailedPrecondition when it lacks the key.
  virtual Result<std::string> GetSecretValue(const std::string& name, const std::string& key) = 0;
};

std::unique_ptr<DatasetHub> MakeRestDatasetHub(kube::RestClient& client, std::string namespace_name);

// Reads the Dataset, builds its new status from the status read, writes it
// when it differs; on Conflict reads and builds again (up to `attempts`).
// Returns whether it wrote; NotFound when the Dataset is gone.
Result<bool> WriteDatasetStatus(DatasetHub& hub, const std::string& name,
                                const std::function<nlohmann::json(const nlohmann::json& dataset)>& build,
                                int attempts = 5);

}  // namespace oncoatlas::agent

#include "datanode_registration.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "datanode/datanode_controller.h"
#include "kube/client_config.h"
#include "manager.h"

namespace oncoatlas::op {
namespace {

// How long a new leader waits for the DataNode controller's first lists
// before it gives up (exit 1; usually missing RBAC, which the log names).
constexpr std::chrono::seconds kSyncTimeout{120};

class DataNodeRunnable final : public Runnable {
 public:
  DataNodeRunnable(std::shared_ptr<kube::RestClient> hub, datanode::DataNodeControllerOptions options)
      : controller_(std::move(hub), std::move(options)) {}
  Status Start() override { return controller_.Start(kSyncTimeout); }
  void Stop() override { controller_.Stop(); }

 private:
  datanode::DataNodeController controller_;
};

}  // namespace

Result<datanode::ReconcilerOptions> DataNodeReconcilerOptions(const OperatorOptions& options,
                                                              const kube::ClientConfig& own,
                                                              const std::string& operator_namespace) {
  datanode::ReconcilerOptions r;
  r.operator_namespace = operator_namespace;
  r.token_lifetime = options.agent_token_lifetime;
  r.site_resync = options.site_resync_period;
  r.render.default_agent_image = options.agent_image;
  r.render.lease_duration_seconds = static_cast<int>(options.agent_lease_duration.count());
  r.render.lease_renew_interval_seconds = static_cast<int>(options.agent_renew_interval.count());
  r.render.pacs_check_interval_seconds = static_cast<int>(options.pacs_check_interval.count());

  if (options.hub_server.empty()) {
    r.render.local_hub_server = own.ServerUrl();
  } else {
    kube::ClientConfig parsed;
    if (Status s = kube::ParseServerUrl(options.hub_server, parsed); !s.ok()) {
      return InvalidArgumentError("invalid value \"" + options.hub_server + "\" for --hub-server: " + s.message() +
                                  "; give the hub API server's https URL, e.g. https://10.0.0.1:6443");
    }
    r.render.local_hub_server = options.hub_server;
  }

  if (options.hub_ca_file.empty()) {
    r.render.hub_ca_pem = own.ca_pem;
  } else {
    std::ifstream in(options.hub_ca_file, std::ios::binary);
    std::ostringstream text;
    if (in.is_open()) text << in.rdbuf();
    if (!in.is_open() || in.bad()) {
      return InvalidArgumentError("cannot read --hub-ca-file " + options.hub_ca_file +
                                  "; give the path of a readable PEM file with the hub API server's CA");
    }
    r.render.hub_ca_pem = text.str();
    if (r.render.hub_ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return InvalidArgumentError("--hub-ca-file " + options.hub_ca_file +
                                  " holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the hub API "
                                  "server's CA certificate");
    }
  }
  if (r.render.hub_ca_pem.empty()) {
    return InvalidArgumentError("the operator's own connection has no CA to hand to the agents; give --hub-ca-file");
  }
  return r;
}

Status RegisterDataNodeController(Manager& manager) {
  auto reconciler =
      DataNodeReconcilerOptions(manager.options(), manager.client().config(), manager.operator_namespace());
  if (!reconciler.ok()) return reconciler.status();
  datanode::DataNodeControllerOptions options;
  options.reconciler = std::move(reconciler).value();
  options.reconciler.events = &manager.events();
  options.workers = manager.options().workers;
  manager.AddRunnable("the DataNode controller",
                      std::make_unique<DataNodeRunnable>(manager.shared_client(), std::move(options)));
  return Status::Ok();
}

}  // namespace oncoatlas::op

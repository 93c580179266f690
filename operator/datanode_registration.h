// The DataNode controller in oncoatlas-operator: the self-contained
// datanode::DataNodeController (its own informers and workers; see
// datanode/datanode_controller.h) configured from the operator's flags and
// run by the Manager as a Runnable, so it reconciles only while this process
// leads. Call before Manager::Run, from the thread that builds the manager.
#pragma once

#include <string>

#include "core/status.h"
#include "datanode/reconciler.h"
#include "options.h"

namespace oncoatlas::kube {
struct ClientConfig;
}

namespace oncoatlas::op {

class Manager;

// The reconciler's options from the flags: the agent image, token lifetime,
// site resync period, heartbeat and PACS-check intervals, and the hub URL
// and CA written into local agents' kubeconfig (--hub-server and
// --hub-ca-file, else `own` — the operator's own connection). An unreadable
// or non-PEM --hub-ca-file, or a --hub-server the client cannot parse, is an
// InvalidArgument error naming the flag.
Result<datanode::ReconcilerOptions> DataNodeReconcilerOptions(const OperatorOptions& options,
                                                              const kube::ClientConfig& own,
                                                              const std::string& operator_namespace);

// Adds the DataNode controller to `manager` (Events through manager.events()).
Status RegisterDataNodeController(Manager& manager);

}  // namespace oncoatlas::op

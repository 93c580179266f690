// The built-in kinds OncoAtlas uses, as GroupVersionResource constants for
// RestClient (objects stay nlohmann::json). Values; thread-safe.
#pragma once

#include "kube/resource.h"

namespace oncoatlas::kube::core {

inline const GroupVersionResource kNamespaces{"", "v1", "namespaces", false, "Namespace"};
inline const GroupVersionResource kConfigMaps{"", "v1", "configmaps", true, "ConfigMap"};
inline const GroupVersionResource kSecrets{"", "v1", "secrets", true, "Secret"};
inline const GroupVersionResource kServiceAccounts{"", "v1", "serviceaccounts", true, "ServiceAccount"};
inline const GroupVersionResource kEvents{"", "v1", "events", true, "Event"};
inline const GroupVersionResource kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims", true,
                                                          "PersistentVolumeClaim"};
inline const GroupVersionResource kServices{"", "v1", "services", true, "Service"};
inline const GroupVersionResource kDeployments{"apps", "v1", "deployments", true, "Deployment"};
inline const GroupVersionResource kNetworkPolicies{"networking.k8s.io", "v1", "networkpolicies", true, "NetworkPolicy"};
inline const GroupVersionResource kRoles{"rbac.authorization.k8s.io", "v1", "roles", true, "Role"};
inline const GroupVersionResource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true, "RoleBinding"};
inline const GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases", true, "Lease"};
inline const GroupVersionResource kCustomResourceDefinitions{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                                                             false, "CustomResourceDefinition"};
inline const GroupVersionResource kSelfSubjectReviews{"authentication.k8s.io", "v1", "selfsubjectreviews", false,
                                                      "SelfSubjectReview"};

}  // namespace oncoatlas::kube::core

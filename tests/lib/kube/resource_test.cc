#include "kube/resource.h"

#include <gtest/gtest.h>

#include "kube/core_resources.h"
#include "kube/rest_client.h"

namespace oncoatlas::kube {
namespace {

TEST(ResourcePath, CoreAndGroupNamespacedAndClusterScoped) {
  EXPECT_EQ(ResourcePath(core::kConfigMaps, "ns1", "cm", ""), "/api/v1/namespaces/ns1/configmaps/cm");
  EXPECT_EQ(ResourcePath(core::kConfigMaps, ""), "/api/v1/configmaps");
  EXPECT_EQ(ResourcePath(core::kNamespaces, "ignored", "x"), "/api/v1/namespaces/x");
  EXPECT_EQ(ResourcePath(core::kLeases, "kube-system", "lock"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lock");
  GroupVersionResource widgets{"test.oncoatlas.io", "v1", "widgets", true, "Widget"};
  EXPECT_EQ(ResourcePath(widgets, "a", "w", "status"), "/apis/test.oncoatlas.io/v1/namespaces/a/widgets/w/status");
  EXPECT_EQ(widgets.Name(), "widgets.test.oncoatlas.io");
  EXPECT_EQ(widgets.GroupVersion(), "test.oncoatlas.io/v1");
}

TEST(ResourcePath, EncodesNamesThatNeedIt) {
  EXPECT_EQ(ResourcePath(core::kConfigMaps, "n", "a b/c"), "/api/v1/namespaces/n/configmaps/a%20b%2Fc");
}

TEST(Query, PercentEncodesKeysAndValues) {
  Query q;
  q.Add("labelSelector", "app in (a,b),tier!=db").AddIfSet("empty", "").Add("limit", "5");
  EXPECT_EQ(q.Encode(), "?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb&limit=5");
  EXPECT_EQ(Query().Encode(), "");
}

TEST(RestClientQueries, ListAndWatch) {
  ListOptions lo;
  lo.label_selector = "a=b";
  lo.field_selector = "metadata.name=x";
  lo.limit = 100;
  lo.continue_token = "tok+/=";
  EXPECT_EQ(RestClient::ListQuery(lo),
            "?labelSelector=a%3Db&fieldSelector=metadata.name%3Dx&limit=100&continue=tok%2B%2F%3D");
  WatchOptions wo;
  wo.resource_version = "123";
  wo.timeout_seconds = 42;
  EXPECT_EQ(RestClient::WatchQuery(wo), "?watch=true&resourceVersion=123&allowWatchBookmarks=true&timeoutSeconds=42");
}

TEST(ObjectKey, NamespacedAndClusterScoped) {
  EXPECT_EQ(ObjectKey(Json{{"metadata", {{"namespace", "a"}, {"name", "b"}}}}), "a/b");
  EXPECT_EQ(ObjectKey(Json{{"metadata", {{"name", "b"}}}}), "b");
  EXPECT_EQ(ObjectKey(Json::object()), "");
}

}  // namespace
}  // namespace oncoatlas::kube

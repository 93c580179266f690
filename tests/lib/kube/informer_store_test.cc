#include "kube/informer.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

ObjectPtr Obj(const std::string& ns, const std::string& name, Json labels, const std::string& owner_uid) {
  Json o = {{"metadata", {{"namespace", ns}, {"name", name}, {"labels", std::move(labels)}}}};
  if (!owner_uid.empty()) o["metadata"]["ownerReferences"] = Json::array({{{"uid", owner_uid}, {"kind", "DataNode"}}});
  return std::make_shared<const Json>(std::move(o));
}

std::vector<std::string> Names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back((*o)["metadata"]["name"]);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Store, IndexesByNamespaceLabelAndOwnerAndKeepsThemCurrent) {
  Store store;
  EXPECT_EQ(store.Put(Obj("a", "x", {{"tier", "gold"}}, "owner-1")), nullptr);
  store.Put(Obj("a", "y", {{"tier", "silver"}}, ""));
  store.Put(Obj("b", "x", {{"tier", "gold"}}, "owner-1"));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(Names(store.ByNamespace("a")), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(store.ByLabel("tier", "gold").size(), 2u);
  EXPECT_EQ(store.ByOwner("owner-1").size(), 2u);
  ASSERT_NE(store.Get("b/x"), nullptr);
  EXPECT_EQ(store.Get("b/y"), nullptr);

  // Relabel and disown a/x: the old index entries go away.
  ObjectPtr old = store.Put(Obj("a", "x", {{"tier", "silver"}}, ""));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ((*old)["metadata"]["labels"]["tier"], "gold");
  EXPECT_EQ(store.ByLabel("tier", "gold").size(), 1u);
  EXPECT_EQ(Names(store.ByLabel("tier", "silver")), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(store.ByOwner("owner-1").size(), 1u);

  EXPECT_NE(store.Remove("b/x"), nullptr);
  EXPECT_EQ(store.Remove("b/x"), nullptr);
  EXPECT_TRUE(store.ByOwner("owner-1").empty());
  EXPECT_TRUE(store.ByNamespace("b").empty());
  EXPECT_EQ(store.List().size(), 2u);
}

}  // namespace
}  // namespace oncoatlas::kube

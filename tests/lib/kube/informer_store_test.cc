#include "kube/informer.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

Json Obj(const std::string& ns, const std::string& name, Json labels, const std::string& owner_uid) {
  Json o = {{"metadata", {{"namespace", ns}, {"name", name}, {"labels", std::move(labels)}}}};
  if (!owner_uid.empty()) o["metadata"]["ownerReferences"] = Json::array({{{"uid", owner_uid}, {"kind", "DataNode"}}});
  return o;
}

std::vector<std::string> Names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back((*o)["metadata"]["name"]);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Store, IndexesByNamespaceLabelAndOwnerAndKeepsThemCurrent) {
  Store store;
  EXPECT_FALSE(store.Put(Obj("a", "x", {{"tier", "gold"}}, "owner-1")));
  store.Put(Obj("a", "y", {{"tier", "silver"}}, ""));
  store.Put(Obj("b", "x", {{"tier", "gold"}}, "owner-1"));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(Names(store.ByNamespace("a")), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(store.ByLabel("tier", "gold").size(), 2u);
  EXPECT_EQ(store.ByOwner("owner-1").size(), 2u);
  ASSERT_NE(store.Get("b/x"), nullptr);
  EXPECT_EQ(store.Get("b/y"), nullptr);

  // Relabel and disown a/x: the old index entries go away.
  EXPECT_TRUE(store.Put(Obj("a", "x", {{"tier", "silver"}}, "")));
  EXPECT_EQ((*store.Get("a/x"))["metadata"]["labels"]["tier"], "silver");
  EXPECT_EQ(store.ByLabel("tier", "gold").size(), 1u);
  EXPECT_EQ(Names(store.ByLabel("tier", "silver")), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(store.ByOwner("owner-1").size(), 1u);

  EXPECT_TRUE(store.Remove("b/x"));
  EXPECT_FALSE(store.Remove("b/x"));
  EXPECT_TRUE(store.ByOwner("owner-1").empty());
  EXPECT_TRUE(store.ByNamespace("b").empty());
  EXPECT_EQ(store.List().size(), 2u);
}

TEST(Store, GivesBackTheObjectItWasGivenAndCountsItsPackedSize) {
  Store store;
  const Json o = {{"apiVersion", "v1"},
                  {"kind", "ConfigMap"},
                  {"metadata", {{"namespace", "n"}, {"name", "c"}, {"resourceVersion", "42"}}},
                  {"data", {{"a", "1"}, {"utf8", "Zürich ✓"}, {"n", 3.5}, {"list", {1, "two", nullptr, true}}}}};
  store.Put(o);
  ASSERT_NE(store.Get("n/c"), nullptr);
  EXPECT_EQ(*store.Get("n/c"), o);
  EXPECT_GT(store.packed_bytes(), 0u);
  EXPECT_LE(store.packed_bytes(), o.dump().size());
  store.Remove("n/c");
  EXPECT_EQ(store.packed_bytes(), 0u);
}

}  // namespace
}  // namespace oncoatlas::kube

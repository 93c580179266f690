// BulkCreate against the real API server: every object created once, failures
// reported per object in input order without stopping the rest, strict field
// validation as kubectl asks for it, and the concurrency capped at the pool.
#include "kube/bulk_create.h"

#include <gtest/gtest.h>

#include "kube_test_util.h"

namespace oncoatlas::kube {
namespace {

using testing::ClientFor;
using testing::ConfigMap;
using testing::CreateNamespace;

TEST(BulkCreate, CreatesEveryObjectAndReportsFailuresByIndex) {
  auto client = ClientFor("admin", 0);
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "bulk");
  std::vector<Json> objects;
  for (int i = 0; i < 40; ++i)
    objects.push_back(ConfigMap("bulk", "cm-" + std::to_string(i), {{"i", std::to_string(i)}}));
  objects[7]["bogus"] = "field";                         // unknown: refused under Strict
  objects[13]["metadata"]["name"] = "cm-12";             // a duplicate name: one of the two fails
  objects[21]["metadata"]["name"] = "Not_A_Valid_Name";  // 422 Invalid

  auto result = BulkCreate(*client, core::kConfigMaps, "bulk", objects,
                           {.concurrency = 64, .write = {.field_manager = "bulk-test", .field_validation = "Strict"}});
  EXPECT_EQ(result.concurrency, 16) << "capped at the client's pool of keep-alive connections";
  EXPECT_EQ(result.created, 37u);
  ASSERT_EQ(result.failures.size(), 3u);
  EXPECT_EQ(result.failures[0].index, 7u);
  EXPECT_EQ(result.failures[0].error.http_code(), 400);
  EXPECT_NE(result.failures[0].error.message().find("bogus"), std::string::npos) << result.failures[0].error.message();
  EXPECT_TRUE(result.failures[1].index == 12u || result.failures[1].index == 13u) << result.failures[1].index;
  EXPECT_EQ(result.failures[1].error.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(result.failures[2].index, 21u);
  EXPECT_EQ(result.failures[2].error.http_code(), 422);

  auto listed = client->ListAll(core::kConfigMaps, "bulk");
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  std::size_t ours = 0;
  for (const auto& cm : listed->items) {
    if (cm["metadata"]["name"].get<std::string>().rfind("cm-", 0) == 0) {
      ++ours;
      EXPECT_EQ(cm["metadata"]["managedFields"][0]["manager"], "bulk-test");
    }
  }
  EXPECT_EQ(ours, 37u);
}

TEST(BulkCreate, FieldValidationIsTheCallersChoice) {
  auto client = ClientFor("admin", 0);
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "bulk-ignore");
  std::vector<Json> objects = {ConfigMap("bulk-ignore", "a"), ConfigMap("bulk-ignore", "b")};
  objects[1]["bogus"] = "field";
  auto ignored =
      BulkCreate(*client, core::kConfigMaps, "bulk-ignore", objects, {.write = {.field_validation = "Ignore"}});
  EXPECT_EQ(ignored.created, 2u);
  EXPECT_TRUE(ignored.failures.empty());
  EXPECT_EQ(ignored.concurrency, 2) << "never more workers than objects";
  auto none = BulkCreate(*client, core::kConfigMaps, "bulk-ignore", {});
  EXPECT_EQ(none.created, 0u);
  EXPECT_TRUE(none.failures.empty());
}

}  // namespace
}  // namespace oncoatlas::kube

// WriteStatusIfChanged: no write without a change; a failed write is reported.
#include "status_writer.h"

#include <gtest/gtest.h>

#include "api/resources.h"

namespace oncoatlas::op {
namespace {

TEST(WriteStatusIfChanged, WritesOnlyWhenTheStatusDiffers) {
  FakeStatusWriter writer;
  nlohmann::json object = {{"metadata", {{"name", "x"}, {"namespace", "n"}}}, {"status", {{"a", 1}}}};
  auto unchanged = WriteStatusIfChanged(writer, api::kDatasets, object, {{"a", 1}});
  ASSERT_TRUE(unchanged.ok());
  EXPECT_FALSE(*unchanged);
  EXPECT_TRUE(writer.writes().empty());

  auto changed = WriteStatusIfChanged(writer, api::kDatasets, object, {{"a", 2}});
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  ASSERT_EQ(writer.writes().size(), 1u);
  EXPECT_EQ(writer.writes()[0].name, "x");
  EXPECT_EQ(writer.writes()[0].status["a"], 2);

  writer.FailNextWith(Status(StatusCode::kConflict, "stale"));
  auto failed = WriteStatusIfChanged(writer, api::kDatasets, object, {{"a", 3}});
  EXPECT_EQ(failed.status().code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace oncoatlas::op

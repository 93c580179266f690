// The metadata accessors: every field as the API server writes it, and
// empty answers for any other JSON.
#include "kube/object_meta.h"

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

const nlohmann::json kObject = {{"metadata",
                                 {{"name", "n"},
                                  {"namespace", "ns"},
                                  {"uid", "u-1"},
                                  {"resourceVersion", "42"},
                                  {"generation", 3},
                                  {"labels", {{"oncoatlas.io/node", "se"}}},
                                  {"annotations", {{"a", "b"}}},
                                  {"deletionTimestamp", "2026-01-01T00:00:00Z"},
                                  {"finalizers", {"x/one", "x/two"}}}}};

TEST(ObjectMeta, ReadsEveryField) {
  EXPECT_EQ(NameOf(kObject), "n");
  EXPECT_EQ(NamespaceOf(kObject), "ns");
  EXPECT_EQ(UidOf(kObject), "u-1");
  EXPECT_EQ(ResourceVersionOf(kObject), "42");
  EXPECT_EQ(GenerationOf(kObject), 3);
  EXPECT_EQ(LabelOf(kObject, "oncoatlas.io/node"), "se");
  EXPECT_EQ(AnnotationOf(kObject, "a"), "b");
  EXPECT_EQ(AnnotationOf(kObject, "missing"), "");
  EXPECT_TRUE(IsBeingDeleted(kObject));
  EXPECT_EQ(FinalizersOf(kObject), (std::vector<std::string>{"x/one", "x/two"}));
  EXPECT_TRUE(HasFinalizer(kObject, "x/two"));
  EXPECT_FALSE(HasFinalizer(kObject, "x/three"));
}

TEST(ObjectMeta, AnyOtherJsonReadsAsEmpty) {
  for (const nlohmann::json& odd :
       {nlohmann::json(), nlohmann::json("x"), nlohmann::json::object(), nlohmann::json{{"metadata", 5}},
        nlohmann::json{{"metadata",
                        {{"name", 1},
                         {"generation", "3"},
                         {"labels", "x"},
                         {"annotations", {{"a", 1}}},
                         {"finalizers", {1, "f"}}}}}}) {
    EXPECT_EQ(NameOf(odd), "");
    EXPECT_EQ(GenerationOf(odd), 0);
    EXPECT_EQ(LabelOf(odd, "a"), "");
    EXPECT_EQ(AnnotationOf(odd, "a"), "");
    EXPECT_FALSE(IsBeingDeleted(odd));
    EXPECT_TRUE(MetadataOf(odd).is_object());
  }
  EXPECT_EQ(FinalizersOf(nlohmann::json{{"metadata", {{"finalizers", {1, "f"}}}}}), std::vector<std::string>{"f"});
}

}  // namespace
}  // namespace oncoatlas::kube

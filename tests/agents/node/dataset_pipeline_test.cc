#include "node/dataset_pipeline.h"

#include <gtest/gtest.h>

namespace oncoatlas::agent {
namespace {

using nlohmann::json;

json Dataset(json source, json deid = json::object()) {
  return {{"apiVersion", "oncoatlas.io/v1alpha1"},
          {"kind", "Dataset"},
          {"metadata", {{"name", "lung"}, {"namespace", "oncoatlas-node-x"}, {"uid", "u1"}, {"generation", 4}}},
          {"spec",
           {{"node", "x"},
            {"source", std::move(source)},
            {"cancerType", {{"code", "C34"}}},
            {"deidentification", std::move(deid)},
            {"pseudonymisation", {{"keySecretRef", {{"name", "pseudonymisation-key"}}}}},
            {"dataUse", {{"permission", "DUO:0000007"}}},
            {"minimumCellCount", 20}}}};
}

PacsConfig Dimse() {
  PacsConfig p;
  p.source = DimsePacsConfig{"127.0.0.1", 4242, "SITEPACS", "ONCOATLAS"};
  return p;
}

PacsConfig Folder() {
  PacsConfig p;
  p.source = FolderPacsConfig{"/data/import"};
  return p;
}

std::string FailureReason(const std::variant<DatasetPlan, DatasetFailure>& r) {
  return std::holds_alternative<DatasetFailure>(r) ? std::get<DatasetFailure>(r).reason : "";
}

TEST(DatasetPipeline, PlansTheQueryOptionsAndKeyFromTheSpec) {
  auto r = PlanDataset(Dataset({{"protocol", "dimse"},
                                {"studyDateRange", {{"from", "2019-01-01"}, {"to", "2023-12-31"}}},
                                {"modalities", {"CT", "PT"}}},
                               {{"retainPatientCharacteristics", true}}),
                       Dimse());
  ASSERT_TRUE(std::holds_alternative<DatasetPlan>(r)) << std::get<DatasetFailure>(r).message;
  const DatasetPlan& p = std::get<DatasetPlan>(r);
  EXPECT_EQ(p.query.study_date_range, "20190101-20231231");
  EXPECT_EQ(p.query.modalities, (std::vector<std::string>{"CT", "PT"}));
  EXPECT_TRUE(p.options.retain_patient_characteristics);
  EXPECT_FALSE(p.options.retain_uids);
  EXPECT_EQ(p.key_secret_name, "pseudonymisation-key");
  EXPECT_EQ(p.key_secret_key, "key");
  EXPECT_EQ(p.minimum_cell_count, 20u);
  EXPECT_EQ(p.generation, 4);
  EXPECT_EQ(p.options.max_date_shift_days, 365);  // the CRD's default
}

TEST(DatasetPipeline, TheLargestDateShiftComesFromTheSpec) {
  json d = Dataset({{"protocol", "dimse"}}, {{"retainLongitudinalTemporalInformationModifiedDates", true}});
  d["spec"]["pseudonymisation"]["maxDateShiftDays"] = 30;
  auto r = PlanDataset(d, Dimse());
  ASSERT_TRUE(std::holds_alternative<DatasetPlan>(r)) << std::get<DatasetFailure>(r).message;
  EXPECT_EQ(std::get<DatasetPlan>(r).options.max_date_shift_days, 30);
  d["spec"]["pseudonymisation"]["maxDateShiftDays"] =
      0;  // past the CRD's minimum (an older CRD, a client bypassing it)
  EXPECT_EQ(FailureReason(PlanDataset(d, Dimse())), "InvalidDeidentification");
  d["spec"]["pseudonymisation"]["maxDateShiftDays"] = 100000;
  EXPECT_EQ(FailureReason(PlanDataset(d, Dimse())), "InvalidDeidentification");
}

TEST(DatasetPipeline, RefusalsNameTheReasonAndTheFix) {
  auto mismatch = PlanDataset(Dataset({{"protocol", "dicomweb"}}), Dimse());
  ASSERT_EQ(FailureReason(mismatch), "SourceProtocolMismatch");
  EXPECT_NE(std::get<DatasetFailure>(mismatch).message.find("set spec.source.protocol to dimse"), std::string::npos);

  EXPECT_EQ(FailureReason(PlanDataset(Dataset({{"protocol", "folder"}, {"path", "../etc"}}), Folder())),
            "InvalidSource");
  EXPECT_EQ(FailureReason(PlanDataset(Dataset({{"protocol", "folder"}, {"modalities", {"CT"}}}), Folder())),
            "InvalidSource");
  EXPECT_EQ(FailureReason(PlanDataset(Dataset({{"protocol", "dimse"}, {"studyInstanceUIDs", {"not a uid"}}}), Dimse())),
            "InvalidSource");
  EXPECT_EQ(FailureReason(PlanDataset(
                Dataset({{"protocol", "dimse"}}, {{"retainLongitudinalTemporalInformationFullDates", true},
                                                  {"retainLongitudinalTemporalInformationModifiedDates", true}}),
                Dimse())),
            "InvalidDeidentification");
}

TEST(DatasetPipeline, CleanRecognizableVisualFeaturesIsPlanned) {
  auto plan = PlanDataset(Dataset({{"protocol", "dimse"}}, {{"cleanRecognizableVisualFeatures", true}}), Dimse());
  ASSERT_TRUE(std::holds_alternative<DatasetPlan>(plan)) << FailureReason(plan);
  EXPECT_TRUE(std::get<DatasetPlan>(plan).options.clean_recognizable_visual_features);
}

TEST(DatasetPipeline, CleanPixelDataNeedsBurnedInTextRegions) {
  auto without = PlanDataset(Dataset({{"protocol", "dimse"}}, {{"cleanPixelData", true}}), Dimse());
  ASSERT_EQ(FailureReason(without), "InvalidDeidentification");
  EXPECT_NE(std::get<DatasetFailure>(without).message.find("needs at least one burned-in text region rule"),
            std::string::npos);

  const json rules = json::array({{{"modality", "US"},
                                   {"manufacturer", "Acme Sonics"},
                                   {"rows", 480},
                                   {"columns", 640},
                                   {"regions", json::array({{{"x", 0}, {"y", 0}, {"width", 640}, {"height", 40}}})}}});
  auto with = PlanDataset(Dataset({{"protocol", "dimse"}}, {{"cleanPixelData", true}, {"burnedInTextRegions", rules}}),
                          Dimse());
  ASSERT_TRUE(std::holds_alternative<DatasetPlan>(with)) << std::get<DatasetFailure>(with).message;
  const deid::ProfileOptions& o = std::get<DatasetPlan>(with).options;
  EXPECT_TRUE(o.clean_pixel_data);
  ASSERT_EQ(o.burned_in_text.size(), 1u);
  EXPECT_EQ(o.burned_in_text[0].modality, "US");
  EXPECT_EQ(o.burned_in_text[0].manufacturer, "Acme Sonics");
  EXPECT_EQ(o.burned_in_text[0].model, "");
  EXPECT_EQ(o.burned_in_text[0].rows, 480);
  EXPECT_EQ(o.burned_in_text[0].columns, 640);
  EXPECT_EQ(o.burned_in_text[0].regions, (std::vector<deid::PixelRegion>{{0, 0, 640, 40}}));

  json outside = rules;
  outside[0]["regions"][0]["x"] = 1;
  auto bad = PlanDataset(Dataset({{"protocol", "dimse"}}, {{"cleanPixelData", true}, {"burnedInTextRegions", outside}}),
                         Dimse());
  ASSERT_EQ(FailureReason(bad), "InvalidDeidentification");
  EXPECT_NE(std::get<DatasetFailure>(bad).message.find("reaches outside the 640x480 image"), std::string::npos);

  auto forbidden = PlanDataset(Dataset({{"protocol", "dimse"}}, {{"burnedInTextRegions", rules}}), Dimse());
  ASSERT_EQ(FailureReason(forbidden), "InvalidDeidentification");
  EXPECT_NE(std::get<DatasetFailure>(forbidden).message.find("without Clean Pixel Data"), std::string::npos);
  json broken = Dataset({{"protocol", "dimse"}});
  broken["spec"]["source"] = "dimse";
  EXPECT_EQ(FailureReason(PlanDataset(broken, Dimse())), "InvalidSpec");
}

TEST(DatasetPipeline, IndexNameChangesWithGenerationKeyAndObject) {
  auto r = PlanDataset(Dataset({{"protocol", "dimse"}}), Dimse());
  ASSERT_TRUE(std::holds_alternative<DatasetPlan>(r));
  DatasetPlan p = std::get<DatasetPlan>(r);
  const std::string key(32, 'k');
  const std::string name = IndexName(p, key);
  EXPECT_EQ(name.rfind("lung/u1/4/", 0), 0u) << name;
  EXPECT_EQ(name.find(key), std::string::npos) << "the key itself never appears";
  EXPECT_EQ(IndexName(p, key), name);
  EXPECT_NE(IndexName(p, std::string(32, 'j')), name);
  p.generation = 5;
  EXPECT_NE(IndexName(p, key), name);
  p.generation = 4;
  p.uid = "u2";
  EXPECT_NE(IndexName(p, key), name);
}

TEST(DatasetPipeline, KeySecretFailureGivesTheKubectlCommand) {
  auto r = PlanDataset(Dataset({{"protocol", "dimse"}}), Dimse());
  ASSERT_TRUE(std::holds_alternative<DatasetPlan>(r));
  const DatasetFailure f = KeySecretFailure(std::get<DatasetPlan>(r), "KeySecretNotFound", "It does not exist.");
  EXPECT_EQ(f.reason, "KeySecretNotFound");
  EXPECT_NE(f.message.find("kubectl -n oncoatlas-node-x create secret generic pseudonymisation-key --from-file=key="),
            std::string::npos)
      << f.message;
}

}  // namespace
}  // namespace oncoatlas::agent

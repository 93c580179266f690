// Dataset (namespaced, in the node namespace): a collection of de-identified
// studies at one DataNode. Mirrors crds/dataset.yaml field for field;
// tests/crds/api_types_test.cc proves it. Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/common_types.h"

namespace oncoatlas::api {

struct StudyDateRange {
  std::optional<std::string> from;  // YYYY-MM-DD
  std::optional<std::string> to;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("from", self.from);
    m("to", self.to);
  }
};

struct DatasetSource {
  std::string protocol;  // "dicomweb", "dimse" or "folder"
  std::optional<std::string> path;
  std::optional<StudyDateRange> study_date_range;
  std::optional<std::vector<std::string>> modalities;
  std::optional<std::vector<std::string>> accession_numbers;
  std::optional<std::vector<std::string>> study_instance_uids;
  std::optional<std::string> refresh_interval;  // a Go duration, 10m..720h
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("protocol", self.protocol);
    m("refreshInterval", self.refresh_interval);
    m("path", self.path);
    m("studyDateRange", self.study_date_range);
    m("modalities", self.modalities);
    m("accessionNumbers", self.accession_numbers);
    m("studyInstanceUIDs", self.study_instance_uids);
  }
};

struct CancerType {
  std::string code;  // ICD-10
  std::optional<std::string> label;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("code", self.code);
    m("label", self.label);
  }
};

// A private attribute the Retain Safe Private option keeps.
struct SafePrivateAttribute {
  std::string creator;
  std::string group;    // 4 hex digits, odd
  std::string element;  // 2 hex digits within the creator's block
  std::optional<std::string> description;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("creator", self.creator);
    m("group", self.group);
    m("element", self.element);
    m("description", self.description);
  }
};

// A rectangle of the pixel matrix, in pixels from the top left corner.
struct PixelRegion {
  std::int64_t x = 0;
  std::int64_t y = 0;
  std::int64_t width = 0;
  std::int64_t height = 0;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("x", self.x);
    m("y", self.y);
    m("width", self.width);
    m("height", self.height);
  }
};

// Where one kind of device burns text into its images (Clean Pixel Data).
struct BurnedInTextRegion {
  std::optional<std::string> modality;
  std::optional<std::string> manufacturer;
  std::optional<std::string> manufacturer_model_name;
  std::int64_t rows = 0;
  std::int64_t columns = 0;
  std::vector<PixelRegion> regions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("modality", self.modality);
    m("manufacturer", self.manufacturer);
    m("manufacturerModelName", self.manufacturer_model_name);
    m("rows", self.rows);
    m("columns", self.columns);
    m("regions", self.regions);
  }
};

// PS3.15 Annex E profile and the options of table E.1-1.
struct Deidentification {
  std::optional<std::string> profile;
  std::optional<bool> clean_pixel_data;
  std::optional<std::vector<BurnedInTextRegion>> burned_in_text_regions;
  std::optional<bool> clean_recognizable_visual_features;
  std::optional<bool> clean_graphics;
  std::optional<bool> clean_structured_content;
  std::optional<bool> clean_descriptors;
  std::optional<bool> retain_longitudinal_temporal_information_full_dates;
  std::optional<bool> retain_longitudinal_temporal_information_modified_dates;
  std::optional<bool> retain_patient_characteristics;
  std::optional<bool> retain_device_identity;
  std::optional<bool> retain_uids;
  std::optional<bool> retain_safe_private;
  std::optional<std::vector<SafePrivateAttribute>> safe_private_attributes;
  std::optional<bool> retain_institution_identity;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("profile", self.profile);
    m("cleanPixelData", self.clean_pixel_data);
    m("burnedInTextRegions", self.burned_in_text_regions);
    m("cleanRecognizableVisualFeatures", self.clean_recognizable_visual_features);
    m("cleanGraphics", self.clean_graphics);
    m("cleanStructuredContent", self.clean_structured_content);
    m("cleanDescriptors", self.clean_descriptors);
    m("retainLongitudinalTemporalInformationFullDates", self.retain_longitudinal_temporal_information_full_dates);
    m("retainLongitudinalTemporalInformationModifiedDates",
      self.retain_longitudinal_temporal_information_modified_dates);
    m("retainPatientCharacteristics", self.retain_patient_characteristics);
    m("retainDeviceIdentity", self.retain_device_identity);
    m("retainUIDs", self.retain_uids);
    m("retainSafePrivate", self.retain_safe_private);
    m("safePrivateAttributes", self.safe_private_attributes);
    m("retainInstitutionIdentity", self.retain_institution_identity);
  }
};

struct Pseudonymisation {
  KeyRef key_secret_ref;
  std::optional<std::int64_t> max_date_shift_days;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("keySecretRef", self.key_secret_ref);
    m("maxDateShiftDays", self.max_date_shift_days);
  }
};

// GA4GH Data Use Ontology terms.
struct DataUse {
  std::string permission;  // a DUO CURIE
  std::optional<std::vector<std::string>> modifiers;
  std::optional<std::vector<std::string>> diseases;   // ICD-10
  std::optional<std::vector<std::string>> countries;  // ISO 3166-1 alpha-2
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("permission", self.permission);
    m("modifiers", self.modifiers);
    m("diseases", self.diseases);
    m("countries", self.countries);
  }
};

struct BenchmarkLabels {
  std::string task;
  KeyRef labels_config_map_ref;
  std::optional<std::string> positive_label;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("task", self.task);
    m("labelsConfigMapRef", self.labels_config_map_ref);
    m("positiveLabel", self.positive_label);
  }
};

struct DatasetSpec {
  std::string node;
  std::optional<std::string> title;
  std::optional<std::string> description;
  DatasetSource source;
  CancerType cancer_type;
  std::optional<std::vector<std::string>> modalities;
  std::optional<std::vector<std::string>> body_parts;
  Deidentification deidentification;
  Pseudonymisation pseudonymisation;
  DataUse data_use;
  std::optional<BenchmarkLabels> benchmark;
  std::optional<bool> publish;
  std::optional<std::int64_t> minimum_cell_count;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("node", self.node);
    m("title", self.title);
    m("description", self.description);
    m("source", self.source);
    m("cancerType", self.cancer_type);
    m("modalities", self.modalities);
    m("bodyParts", self.body_parts);
    m("deidentification", self.deidentification);
    m("pseudonymisation", self.pseudonymisation);
    m("dataUse", self.data_use);
    m("benchmark", self.benchmark);
    m("publish", self.publish);
    m("minimumCellCount", self.minimum_cell_count);
  }
};

struct IngestProgress {
  std::optional<std::int64_t> done;
  std::optional<std::int64_t> total;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("done", self.done);
    m("total", self.total);
  }
};

struct DatasetCounts {
  std::optional<std::int64_t> patients;
  std::optional<std::int64_t> studies;
  std::optional<std::int64_t> series;
  std::optional<std::int64_t> instances;
  std::optional<std::int64_t> bytes;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("patients", self.patients);
    m("studies", self.studies);
    m("series", self.series);
    m("instances", self.instances);
    m("bytes", self.bytes);
  }
};

// Instances rejected or quarantined, with the most frequent reasons.
struct ExclusionSummary {
  std::optional<std::int64_t> count;
  std::optional<std::vector<ReasonCount>> top_reasons;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("count", self.count);
    m("topReasons", self.top_reasons);
  }
};

struct DatasetStatus {
  std::optional<std::int64_t> observed_generation;
  std::optional<std::string> phase;
  std::optional<IngestProgress> progress;
  std::optional<DatasetCounts> counts;
  // facet name -> facet value -> count as a string ("42" or "<10").
  std::optional<std::map<std::string, std::map<std::string, std::string>>> facets;
  std::optional<ExclusionSummary> rejected;
  std::optional<ExclusionSummary> quarantined;
  std::optional<std::string> content_digest;
  std::optional<std::string> last_ingest_time;
  std::optional<std::vector<Condition>> conditions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("observedGeneration", self.observed_generation);
    m("phase", self.phase);
    m("progress", self.progress);
    m("counts", self.counts);
    m("facets", self.facets);
    m("rejected", self.rejected);
    m("quarantined", self.quarantined);
    m("contentDigest", self.content_digest);
    m("lastIngestTime", self.last_ingest_time);
    m("conditions", self.conditions);
  }
};

using Dataset = Object<DatasetSpec, DatasetStatus, "Dataset">;

}  // namespace oncoatlas::api

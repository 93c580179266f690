#include "node/dataset_pipeline.h"

#include <algorithm>
#include <filesystem>

#include "api/types.h"
#include "core/duration.h"
#include "crypto/sha256.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"
#include "dicom/dimse_source.h"
#include "dicomweb/dicomweb_source.h"
#include "http/client.h"
#include "ingest/deidentifying_processor.h"
#include "ingest/exclusion_reason.h"
#include "node/burned_in_text_rules.h"

namespace oncoatlas::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* PacsProtocol(const PacsConfig& pacs) {
  if (std::holds_alternative<DicomwebPacsConfig>(pacs.source)) return "dicomweb";
  if (std::holds_alternative<DimsePacsConfig>(pacs.source)) return "dimse";
  return "folder";
}

// "YYYY-MM-DD" -> "YYYYMMDD".
std::string DicomDate(const std::string& iso) {
  std::string out;
  for (char c : iso) {
    if (c != '-') out += c;
  }
  return out;
}

bool Flag(const std::optional<bool>& b) { return b.value_or(false); }

DatasetFailure Fail(const std::string& reason, const std::string& message) { return {reason, message}; }

}  // namespace

std::variant<DatasetPlan, DatasetFailure> PlanDataset(const json& object, const PacsConfig& pacs) {
  auto dataset = api::FromJson<api::Dataset>(object);
  if (!dataset.ok()) {
    return Fail("InvalidSpec", "The Dataset cannot be read (" + dataset.status().message() +
                                   "); fix the manifest and apply it again.");
  }
  const api::DatasetSpec& spec = dataset->spec;
  DatasetPlan plan;
  const json& meta = object.value("metadata", json::object());
  plan.ns = meta.value("namespace", "");
  plan.name = meta.value("name", "");
  plan.uid = meta.value("uid", "");
  plan.generation = meta.value("generation", std::int64_t{0});
  plan.protocol = spec.source.protocol;
  plan.minimum_cell_count = static_cast<std::uint64_t>(std::max<std::int64_t>(spec.minimum_cell_count.value_or(10), 1));

  const std::string node_protocol = PacsProtocol(pacs);
  if (plan.protocol != node_protocol) {
    return Fail("SourceProtocolMismatch",
                "spec.source.protocol is " + plan.protocol + " but this node's image source is " + DescribePacs(pacs) +
                    "; set spec.source.protocol to " + node_protocol + " (or change the DataNode's spec.pacs).");
  }

  if (spec.source.refresh_interval) {
    plan.refresh_interval = ParseGoDuration(*spec.source.refresh_interval);
    if (!plan.refresh_interval || *plan.refresh_interval < std::chrono::minutes(10) ||
        *plan.refresh_interval > std::chrono::hours(720)) {
      return Fail("InvalidSource", "spec.source.refreshInterval \"" + *spec.source.refresh_interval +
                                       "\" is not a duration between 10m and 720h, such as 24h or 1h30m; fix it.");
    }
  }

  // The query.
  if (spec.source.study_date_range) {
    const auto& r = *spec.source.study_date_range;
    if (r.from || r.to) {
      plan.query.study_date_range = DicomDate(r.from.value_or("")) + "-" + DicomDate(r.to.value_or(""));
    }
  }
  plan.query.modalities = spec.source.modalities.value_or(std::vector<std::string>{});
  plan.query.accession_numbers = spec.source.accession_numbers.value_or(std::vector<std::string>{});
  plan.query.study_instance_uids = spec.source.study_instance_uids.value_or(std::vector<std::string>{});
  Status q = plan.query.Validate();
  if (!q.ok()) return Fail("InvalidSource", "spec.source: " + q.message());
  if (plan.protocol == "folder") {
    if (!plan.query.study_date_range.empty() || !plan.query.modalities.empty() ||
        !plan.query.accession_numbers.empty() || !plan.query.study_instance_uids.empty()) {
      return Fail("InvalidSource",
                  "spec.source filters (studyDateRange, modalities, accessionNumbers, studyInstanceUIDs) are not "
                  "applied to folder sources by this agent; remove them and put only the wanted files under "
                  "spec.source.path.");
    }
    plan.folder_path = spec.source.path.value_or("");
    for (const auto& part : fs::path(plan.folder_path)) {
      if (part == "..") {
        return Fail("InvalidSource", "spec.source.path must stay inside the node's folder; remove the '..' parts.");
      }
    }
  }

  // De-identification.
  const api::Deidentification& d = spec.deidentification;
  deid::ProfileOptions& o = plan.options;
  o.clean_pixel_data = Flag(d.clean_pixel_data);
  o.clean_recognizable_visual_features = Flag(d.clean_recognizable_visual_features);
  o.clean_graphics = Flag(d.clean_graphics);
  o.clean_structured_content = Flag(d.clean_structured_content);
  o.clean_descriptors = Flag(d.clean_descriptors);
  o.retain_longitudinal_full_dates = Flag(d.retain_longitudinal_temporal_information_full_dates);
  o.retain_longitudinal_modified_dates = Flag(d.retain_longitudinal_temporal_information_modified_dates);
  o.retain_patient_characteristics = Flag(d.retain_patient_characteristics);
  o.retain_device_identity = Flag(d.retain_device_identity);
  o.retain_uids = Flag(d.retain_uids);
  o.retain_safe_private = Flag(d.retain_safe_private);
  o.retain_institution_identity = Flag(d.retain_institution_identity);
  o.max_date_shift_days = static_cast<int>(std::clamp<std::int64_t>(
      spec.pseudonymisation.max_date_shift_days.value_or(deid::ProfileOptions::kDefaultMaxDateShiftDays), 0,
      deid::ProfileOptions::kMaxDateShiftDaysLimit + 1));  // out of range stays out of range for Validate
  for (const api::SafePrivateAttribute& a :
       d.safe_private_attributes.value_or(std::vector<api::SafePrivateAttribute>{})) {
    auto tag = deid::SafePrivateTag::Parse(a.creator + ":" + a.group + ",xx" + a.element);
    if (!tag.ok())
      return Fail("InvalidDeidentification", "spec.deidentification.safePrivateAttributes: " + tag.status().message());
    o.safe_private.push_back(*tag);
  }
  auto rules = BurnedInTextRulesFromApi(d.burned_in_text_regions.value_or(std::vector<api::BurnedInTextRegion>{}));
  if (!rules.ok()) return Fail("InvalidDeidentification", "spec.deidentification." + rules.status().message());
  o.burned_in_text = std::move(*rules);
  Status valid = o.Validate();
  if (!valid.ok()) return Fail("InvalidDeidentification", "spec.deidentification: " + valid.message());
  plan.key_secret_name = spec.pseudonymisation.key_secret_ref.name;
  plan.key_secret_key = spec.pseudonymisation.key_secret_ref.key.value_or("key");
  if (plan.key_secret_name.empty()) return Fail("InvalidSpec", "spec.pseudonymisation.keySecretRef.name is empty.");
  return plan;
}

std::string IndexName(const DatasetPlan& plan, const std::string& key) {
  return plan.name + "/" + plan.uid + "/" + std::to_string(plan.generation) + "/" +
         crypto::Sha256Hex(key).substr(0, 16);
}

DatasetFailure KeySecretFailure(const DatasetPlan& plan, const std::string& reason, const std::string& detail) {
  return {reason, detail + " Create it in the Dataset's namespace, e.g. kubectl -n " + plan.ns +
                      " create secret generic " + plan.key_secret_name + " --from-file=" + plan.key_secret_key +
                      "=<(openssl rand 32); the agent checks again every 10 s. Keep the key: a new key means new "
                      "pseudonyms and a re-ingestion."};
}

namespace {

// The node's PACS as an ImageSource with the plan's query.
Result<std::unique_ptr<ImageSource>> MakeDatasetSource(const DatasetPlan& plan, const PacsConfig& pacs) {
  if (const auto* web = std::get_if<DicomwebPacsConfig>(&pacs.source)) {
    dicomweb::DicomWebEndpoint ep;
    ep.url = web->url;
    auto options = http::ReadCredentialsFolder(web->credentials_dir);
    if (!options.ok()) return options.status().WithContext("DICOMweb source");
    ep.http = std::move(*options);
    return dicomweb::MakeDicomWebSource(std::move(ep), plan.query);
  }
  if (const auto* dimse = std::get_if<DimsePacsConfig>(&pacs.source)) {
    dicom::DimseEndpoint ep;
    ep.host = dimse->host;
    ep.port = dimse->port;
    ep.called_aet = dimse->called_ae_title;
    ep.calling_aet = dimse->calling_ae_title;
    ep.retrieval = dicom::DimseRetrieval::kGet;
    return dicom::MakeDimseSource(std::move(ep), plan.query);
  }
  const auto& folder = std::get<FolderPacsConfig>(pacs.source);
  const std::string root = plan.folder_path.empty() ? folder.path : folder.path + "/" + plan.folder_path;
  return std::unique_ptr<ImageSource>(std::make_unique<FolderSource>(root));
}

// One pass: the profile with a keyed pseudonymizer in the DCMTK engine, the
// source, and Ingestion into the agent's store and index.
class Pass final : public IngestionPass {
 public:
  Pass(deid::ProfileOptions options, deid::Pseudonymizer p, std::unique_ptr<ImageSource> source, BlobStore& store,
       ImagingIndex& index)
      : profile_(std::move(options)),
        pseudonymizer_(std::move(p)),
        engine_(profile_, pseudonymizer_),
        processor_(engine_),
        source_(std::move(source)),
        store_(store),
        index_(index) {}
  std::string Describe() const override { return source_->Describe(); }
  Result<IngestionProgress> Run(const std::string& index_name, IngestionOptions options,
                                const std::atomic<bool>* stop) override {
    return Ingestion(store_, index_, processor_, std::move(options)).Run(index_name, *source_, stop);
  }

 private:
  deid::Profile profile_;
  deid::Pseudonymizer pseudonymizer_;
  dicom::DcmtkDeidentifier engine_;
  DeidentifyingProcessor processor_;
  std::unique_ptr<ImageSource> source_;
  BlobStore& store_;
  ImagingIndex& index_;
};

class Backend final : public IngestionBackend {
 public:
  Backend(PacsConfig pacs, BlobStore& store, ImagingIndex& index)
      : pacs_(std::move(pacs)), store_(store), index_(index) {}
  std::variant<std::unique_ptr<IngestionPass>, DatasetFailure> Open(const DatasetPlan& plan,
                                                                    const std::string& key) override {
    Status valid = plan.options.Validate();
    auto pseudonymizer = deid::Pseudonymizer::Create(key);
    if (valid.ok() && !pseudonymizer.ok()) valid = pseudonymizer.status();
    if (!valid.ok()) return DatasetFailure{"InvalidDeidentification", valid.message()};
    auto source = MakeDatasetSource(plan, pacs_);
    if (!source.ok()) return DatasetFailure{"InvalidSource", RedactIdentifiers(source.status().message())};
    return std::make_unique<Pass>(plan.options, std::move(pseudonymizer).value(), std::move(source).value(), store_,
                                  index_);
  }

 private:
  const PacsConfig pacs_;
  BlobStore& store_;
  ImagingIndex& index_;
};

}  // namespace

std::unique_ptr<IngestionBackend> MakeIngestionBackend(PacsConfig pacs, BlobStore& store, ImagingIndex& index) {
  return std::make_unique<Backend>(std::move(pacs), store, index);
}

}  // namespace oncoatlas::agent

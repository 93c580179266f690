// Synthetic imaging studies for tests, demos and benchmarks: CT, MR and MG-like
// studies with plausible headers, identifying values planted in many attributes
// (names, IDs, dates, addresses, phone numbers, institutions, physicians, free
// text, nested sequences, private tags), small images with a visible synthetic
// lesion, a label file per study, and a manifest of every planted value.
// Deterministic for a given seed. Not thread-safe; use one generator per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "dicom/instance_writer.h"

namespace oncoatlas::synth {

struct GeneratorOptions {
  std::filesystem::path output;  // gets dicom/, labels/ and manifest.json
  int patients = 3;              // each patient gets one CT, one MR and one MG study
  int slices = 4;                // images per CT/MR series
  int matrix = 64;               // rows = columns of CT/MR images
  std::uint64_t seed = 1;
  bool only_ct = false;  // one single-series CT study per patient (benchmarks)
  int frames = 1;        // > 1: every CT/MR/MG image is multi-frame with this many frames
  // Text burned into pixels, Burned In Annotation YES (for Clean Pixel Data):
  // every MG image carries its view label (e.g. "L MLO") in the top left corner,
  // inside x 0-63, y 0-19 (kMgLabelRegion); and every patient gets one more
  // study, US: an 8-bit grey image and a 3-frame RGB image (Planar Configuration
  // 0), 256 columns x 192 rows, whose top band (kUsTextBand, rows 0-19) shows
  // the patient's name and ID. Off (the default), nothing of this is generated
  // and the output for a seed is unchanged.
  bool burned_in_text = false;
};

// Where the generator burns text with burned_in_text (x, y, width, height).
struct TextRegion {
  int x, y, width, height;
};
inline constexpr TextRegion kMgLabelRegion{0, 0, 64, 20};  // in the 2*matrix square MG image
inline constexpr TextRegion kUsTextBand{0, 0, 256, 20};
inline constexpr int kUsRows = 192;
inline constexpr int kUsColumns = 256;

struct GeneratorSummary {
  int studies = 0;
  int instances = 0;
  int planted_values = 0;
};

// What RunSingleSeries wrote.
struct SeriesOutput {
  std::string study;                 // "study0001"
  std::filesystem::path series_dir;  // dicom/<study>/series01
  std::filesystem::path label_file;  // labels/<study>.json
  GeneratorSummary summary;
};

class StudyGenerator {
 public:
  explicit StudyGenerator(GeneratorOptions options);
  Result<GeneratorSummary> Run();

  // Fills one image of RunSingleSeries: adds the image's own attributes (SOP
  // Class, image type, pixel module, geometry, Pixel Data) to `attributes`, and
  // may change or remove the common ones.
  using ImageFiller = std::function<Status(int index, std::vector<dicom::Attribute>& attributes)>;

  // Instead of Run: one study of one series of `images` images (files
  // img0001.dcm...) for the seed's first patient. Every image carries the
  // attributes the other studies carry (identifying values planted and listed
  // in manifest.json), its SOP Instance UID, Instance Number and Image Comments;
  // `fill` adds the rest. labels/<study>.json holds `label` with the study's
  // key, Study Instance UID and modality added.
  Result<SeriesOutput> RunSingleSeries(const std::string& modality, const std::string& series_description_prefix,
                                       int images, const ImageFiller& fill, nlohmann::json label);

 private:
  struct Patient;
  struct Study;
  struct Reference {
    std::string series_uid, sop_class, sop_uid;
  };
  Patient MakePatient(int index);
  Study MakeStudy(const Patient& p, const std::string& modality, int index);
  void PlantStudy(const Patient& p, const Study& s);
  Status RecordStudy(const Patient& p, const Study& s, const std::string& modality, nlohmann::json label);
  Status WriteManifest();
  Status WriteStudy(const Patient& p, Study& s, const std::string& modality);
  Status WriteUltrasoundStudy(const Patient& p, Study& s);
  std::vector<dicom::Attribute> CommonAttributes(const Patient& p, const Study& s, const std::string& modality,
                                                 const std::string& series_uid, int series_number,
                                                 const std::string& series_description);
  Status WriteKeyObjects(const Patient& p, Study& s, const std::vector<Reference>& references);
  std::string Uid();
  int Uniform(int lo, int hi);
  void Plant(const std::string& value, const std::string& attribute, const std::string& kind);

  GeneratorOptions options_;
  std::mt19937_64 rng_;
  nlohmann::json planted_ = nlohmann::json::array();
  nlohmann::json studies_ = nlohmann::json::array();
  std::string current_study_;
  GeneratorSummary summary_;
};

}  // namespace oncoatlas::synth

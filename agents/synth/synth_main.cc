// oncoatlas-synth: writes synthetic CT, MR and MG-like studies with planted
// identifying values, per-study labels and a manifest (see study_generator.h),
// and optionally loads them into a PACS with STOW-RS.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "dicomweb/stow.h"
#include "http/client.h"
#include "synth/head_phantom.h"
#include "synth/study_generator.h"

namespace {

namespace fs = std::filesystem;

// Every file under `dir`, sorted, sent in requests of at most ~8 MB.
oncoatlas::Status StowFolder(const oncoatlas::http::Client& http, const fs::path& dir, int* sent) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> batch;
  std::size_t batch_bytes = 0;
  auto flush = [&]() -> oncoatlas::Status {
    if (batch.empty()) return oncoatlas::Status::Ok();
    std::vector<std::string_view> views(batch.begin(), batch.end());
    ONCOATLAS_RETURN_IF_ERROR(oncoatlas::dicomweb::StowInstances(http, views));
    *sent += static_cast<int>(batch.size());
    batch.clear();
    batch_bytes = 0;
    return oncoatlas::Status::Ok();
  };
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in) return oncoatlas::InternalError("cannot read " + f.string());
    batch_bytes += ss.str().size();
    batch.push_back(ss.str());
    if (batch_bytes >= (8u << 20) || batch.size() >= 200) ONCOATLAS_RETURN_IF_ERROR(flush());
  }
  return flush();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"OncoAtlas synthetic study generator"};
  oncoatlas::synth::GeneratorOptions o;
  std::string output, stow_url, user, password_file, ca_file;
  app.add_option("--output,--out", output, "Folder to write dicom/, labels/ and manifest.json into")->required();
  app.add_option("--patients", o.patients, "Patients (one CT, MR and MG study each)")->check(CLI::Range(1, 100000));
  app.add_option("--slices", o.slices, "Images per CT/MR series")->check(CLI::Range(1, 1000));
  app.add_option("--matrix", o.matrix, "Rows and columns of CT/MR images")->check(CLI::Range(16, 1024));
  app.add_option("--seed", o.seed, "Random seed (same seed, same output)");
  app.add_flag("--only-ct", o.only_ct, "One single-series CT study per patient (benchmark corpus)");
  app.add_flag("--burned-in-text", o.burned_in_text,
               "Burn text into pixels (Burned In Annotation YES): the view label in the top left corner of MG images "
               "(x 0-63, y 0-19) and one more US study per patient, 256x192, with the patient's name and ID in rows "
               "0-19");
  app.add_option("--frames", o.frames, "Frames per image (> 1: multi-frame files, for benchmarks)")
      ->check(CLI::Range(1, 1000));
  oncoatlas::synth::HeadPhantomOptions head;
  std::string head_modality, head_orientation = "axial";
  bool no_table = false, no_rvf = false;
  double head_top = 0, head_first = 0, head_last = 0;
  app.add_option("--head-phantom", head_modality,
                 "Instead of the corpus: one head phantom study (CT or MR) for Clean Recognizable Visual Features, "
                 "its feature ellipsoids in labels/<study>.json (see agents/synth/head_phantom.h)")
      ->check(CLI::IsMember({"CT", "MR"}));
  auto* orientation = app.add_option("--head-orientation", head_orientation,
                                     "Head phantom slices: axial (default) or sagittal (MR only)")
                          ->check(CLI::IsMember({"axial", "sagittal"}));
  auto* top = app.add_option("--head-top-mm", head_top,
                             "Head phantom: highest z imaged in mm (axial: no slice above it; default 120, the "
                             "vertex is at 100; sagittal: z of the first row, default 117)");
  auto* first = app.add_option("--head-first-slice-mm", head_first,
                               "Head phantom: first slice position along the slice normal (default -200 axial, -96 "
                               "sagittal)");
  auto* last = app.add_option("--head-last-slice-mm", head_last,
                              "Head phantom: last slice position (default 120 axial, 96 sagittal)");
  auto* spacing =
      app.add_option("--head-slice-spacing-mm", head.slice_spacing_mm, "Head phantom: slice spacing in mm (default 3)")
          ->check(CLI::PositiveNumber);
  auto* table = app.add_flag("--no-table", no_table, "Head phantom (CT): no patient table or foam head holder");
  auto* rvf = app.add_flag("--no-recognizable-visual-features", no_rvf,
                           "Head phantom: leave Recognizable Visual Features (0028,0302) out");
  for (CLI::Option* opt : {orientation, top, first, last, spacing, table, rvf}) opt->needs("--head-phantom");
  app.add_option("--stow", stow_url, "Then load the studies into this DICOMweb root with STOW-RS");
  app.add_option("--user", user, "User name for --stow (HTTP Basic)");
  app.add_option("--password-file", password_file, "File holding the password for --stow");
  app.add_option("--ca-file", ca_file, "PEM CA bundle to verify an https --stow server (default: the system's)");
  CLI11_PARSE(app, argc, argv);
  auto fail = [](const std::string& m) {
    std::cerr << "oncoatlas-synth: " << m << "\n";
    return 2;
  };
  o.output = output;
  if (stow_url.empty() && (!user.empty() || !password_file.empty())) {
    return fail("--user and --password-file go with --stow URL");
  }
  std::optional<oncoatlas::http::Client> http;
  if (!stow_url.empty()) {
    oncoatlas::http::ClientOptions ho;
    ho.credentials.username = user;
    ho.ca_file = ca_file;
    if (!password_file.empty()) {
      std::ifstream in(password_file, std::ios::binary);
      if (!in) return fail("cannot read --password-file " + password_file);
      std::getline(in, ho.credentials.password);
      while (!ho.credentials.password.empty() && ho.credentials.password.back() == '\r') {
        ho.credentials.password.pop_back();
      }
    } else if (!user.empty()) {
      return fail("--user needs --password-file (passwords are not taken on the command line)");
    }
    auto client = oncoatlas::http::Client::Create(stow_url, ho);
    if (!client.ok()) return fail(client.status().message());
    http = std::move(*client);
  }
  if (!head_modality.empty()) {
    head.output = output;
    head.modality = head_modality;
    head.sagittal = head_orientation == "sagittal";
    if (*top) head.top_mm = head_top;
    if (*first) head.first_slice_mm = head_first;
    if (*last) head.last_slice_mm = head_last;
    head.table = !no_table;
    head.recognizable_visual_features = !no_rvf;
    head.seed = o.seed;
    auto r = oncoatlas::synth::GenerateHeadPhantom(head);
    if (!r.ok()) return fail(r.status().message());
    std::cout << "head phantom: " << r->images << " images in " << r->series_dir.string() << ", labels "
              << r->label_file.string() << "\n";
  } else {
    oncoatlas::synth::StudyGenerator generator(o);
    auto summary = generator.Run();
    if (!summary.ok()) return fail(summary.status().message());
    std::cout << "studies: " << summary->studies << ", instances: " << summary->instances
              << ", planted values: " << summary->planted_values << "\n";
  }
  if (http) {
    int sent = 0;
    auto s = StowFolder(*http, o.output / "dicom", &sent);
    if (!s.ok()) return fail(s.message());
    std::cout << "stored " << sent << " instances at " << http->base().ToString() << "\n";
  }
  return 0;
}

// oncoatlas-synth: writes synthetic CT, MR and MG-like studies with planted
// identifying values, per-study labels and a manifest (see study_generator.h).
#include <CLI/CLI.hpp>

#include <iostream>

#include "synth/study_generator.h"

int main(int argc, char** argv) {
  CLI::App app{"OncoAtlas synthetic study generator"};
  oncoatlas::synth::GeneratorOptions o;
  std::string output;
  app.add_option("--output", output, "Folder to write dicom/, labels/ and manifest.json into")->required();
  app.add_option("--patients", o.patients, "Patients (one CT, MR and MG study each)")->check(CLI::Range(1, 100000));
  app.add_option("--slices", o.slices, "Images per CT/MR series")->check(CLI::Range(1, 1000));
  app.add_option("--matrix", o.matrix, "Rows and columns of CT/MR images")->check(CLI::Range(16, 1024));
  app.add_option("--seed", o.seed, "Random seed (same seed, same output)");
  app.add_flag("--only-ct", o.only_ct, "One single-series CT study per patient (benchmark corpus)");
  CLI11_PARSE(app, argc, argv);
  o.output = output;
  oncoatlas::synth::StudyGenerator generator(o);
  auto summary = generator.Run();
  if (!summary.ok()) {
    std::cerr << "oncoatlas-synth: " << summary.status().message() << "\n";
    return 2;
  }
  std::cout << "studies: " << summary->studies << ", instances: " << summary->instances
            << ", planted values: " << summary->planted_values << "\n";
  return 0;
}

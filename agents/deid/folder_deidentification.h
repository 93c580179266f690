// De-identifies every file under a folder with an InstanceDeidentifier, offline:
// outputs under <output>/<study>/<series>/<instance>.dcm (names made only of new
// UIDs), quarantined inputs copied to a quarantine folder with a reason file
// each, and a report. Files are read one at a time per worker, so memory stays
// bounded whatever the number of files; files above 64 KB go the engine's head
// path when it offers one (only the first 64 KB read and parsed, the rest copied
// by the kernel), else are read whole. When the engine groups series
// (Clean Recognizable Visual Features), every file is read whole; the members
// of a series are noted (their paths only) and de-identified together once all
// files were seen, one series per worker at a time. One call at a time per
// output folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/env.h"
#include "core/status.h"
#include "deid/instance_deidentifier.h"

namespace oncoatlas::deid {

struct FolderRunOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path quarantine;  // empty: "<output>-quarantine" beside the output
  unsigned jobs = 0;                 // 0: one per core
  Env* env = &Env::Default();        // where all three folders are; must outlive the call
};

struct QuarantinedFile {
  std::string input;  // path relative to the input folder (stays at the site)
  std::string reason;
  std::string quarantine_name;  // file name inside the quarantine folder
};

struct FolderReport {
  std::uint64_t files = 0;
  std::uint64_t deidentified = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::map<std::string, std::uint64_t> modalities;  // of de-identified instances
  std::vector<QuarantinedFile> quarantined_files;   // in input order
  std::filesystem::path quarantine_dir;

  nlohmann::json ToJson() const;
  // Counts and the top quarantine reasons, for a person; no paths or values.
  std::string Summary() const;
};

// Fails (without writing anything) when the input is not a readable folder or
// the output cannot be created; per-file problems become quarantine entries.
Result<FolderReport> DeidentifyFolder(const InstanceDeidentifier& engine, const FolderRunOptions& options);

}  // namespace oncoatlas::deid

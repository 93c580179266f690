// The de-identification engine's DICOM layer: parses a file with DCMTK, checks
// it (quarantine reasons), applies a deid::Profile at every nesting depth,
// pseudonymises, and writes a fresh Part 10 file. The only DCMTK user besides
// the other files of agents/dicom/. Immutable after construction; Deidentify()
// may be called from several threads at once.
#pragma once

#include <string_view>

#include "deid/instance_deidentifier.h"
#include "deid/profile.h"
#include "deid/pseudonymizer.h"

namespace oncoatlas::dicom {

class DcmtkDeidentifier final : public deid::InstanceDeidentifier {
 public:
  // Sequences nested deeper than this are quarantined rather than walked.
  static constexpr int kMaxNestingDepth = 32;

  // `profile` and `pseudonymizer` must outlive this object.
  DcmtkDeidentifier(const deid::Profile& profile, const deid::Pseudonymizer& pseudonymizer);

  Result<deid::DeidentifiedInstance> Deidentify(std::string_view file_bytes) const override;
  // Taken when the data set is little endian and ends with native (not
  // encapsulated) Pixel Data of an even, defined length that reaches exactly
  // to the end of the file: the header is de-identified as usual with an empty
  // Pixel Data, whose length is then set back. Not taken (a "no head path"
  // error: the caller reads the whole file) when a burned-in text rule matches.
  Result<deid::DeidentifiedHead> DeidentifyHead(std::string_view head, std::uint64_t file_size) const override;

 private:
  // `head_only`: `file_bytes` ends with an empty Pixel Data standing for the
  // real one; an instance whose pixels need cleaning is refused ("no head path").
  Result<deid::DeidentifiedInstance> DeidentifyBytes(std::string_view file_bytes, bool head_only) const;

  const deid::Profile& profile_;
  const deid::Pseudonymizer& pseudonymizer_;
};

// Whether the engine can apply `options`: not Clean Recognizable Visual
// Features (no defacer). Deidentify() refuses every instance under a profile
// that asks for it, so no output ever claims a cleaning that was not done;
// callers check first to fail early and clearly. Clean Pixel Data is applied
// per instance: images a burned-in text rule matches are cleaned (and only
// they list 113101), images that may show burned-in text and match no rule are
// quarantined.
Status EngineSupports(const deid::ProfileOptions& options);

// Loads DCMTK's data dictionary and registers its pixel decoders once; call
// before starting worker threads.
// Fails when the dictionary cannot be found (install dcmtk's dicom.dic).
Status InitDicomLibrary();

}  // namespace oncoatlas::dicom

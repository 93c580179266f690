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
  // Pixel Data, whose length is then set back.
  Result<deid::DeidentifiedHead> DeidentifyHead(std::string_view head, std::uint64_t file_size) const override;

 private:
  Result<deid::DeidentifiedInstance> DeidentifyBytes(std::string_view file_bytes) const;

  const deid::Profile& profile_;
  const deid::Pseudonymizer& pseudonymizer_;
};

// Whether the engine can apply `options`: not Clean Pixel Data nor Clean
// Recognizable Visual Features (no pixel cleaner yet). Deidentify() refuses
// every instance under a profile that asks for them, so no output ever claims
// a cleaning that was not done; callers check first to fail early and clearly.
Status EngineSupports(const deid::ProfileOptions& options);

// Loads DCMTK's data dictionary once; call before starting worker threads.
// Fails when the dictionary cannot be found (install dcmtk's dicom.dic).
Status InitDicomLibrary();

}  // namespace oncoatlas::dicom

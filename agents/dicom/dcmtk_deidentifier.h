// The de-identification engine's DICOM layer: parses a file with DCMTK, checks
// it (quarantine reasons), applies a deid::Profile at every nesting depth,
// pseudonymises, and writes a fresh Part 10 file. The only DCMTK user besides
// the other files of agents/dicom/. Immutable after construction; Deidentify()
// may be called from several threads at once.
#pragma once

#include <string_view>

#include "deid/face_region.h"
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
  // Pixel Data, whose length is then set back; the bits outside Bits Stored
  // are left to the caller to clear (DeidentifiedHead::tail_bits). Not taken (a "no head path"
  // error: the caller reads the whole file) when a burned-in text rule matches.
  Result<deid::DeidentifiedHead> DeidentifyHead(std::string_view head, std::uint64_t file_size) const override;

  // With Clean Recognizable Visual Features: images dicom::NeedsDefacing()
  // picks are grouped by series (the key is the series' new UID); the series
  // is read twice, once for a coarse copy that locates the face
  // (deid::LocateFace), once to blank it and de-identify each image, which then
  // says Recognizable Visual Features NO and lists 113102. A series the face
  // cannot be located in is quarantined whole, with the reason.
  bool GroupsSeries() const override;
  std::string SeriesKey(std::string_view file_bytes) const override;
  void DeidentifySeries(std::size_t count, const SeriesReader& read, const SeriesResult& done) const override;

 private:
  // `head_only`: `file_bytes` ends with an empty Pixel Data standing for the
  // real one; an instance whose pixels need cleaning is refused ("no head path").
  // `face`: the series' face region, for images to deface (else refused).
  // `tail_bits` (head_only): receives the sample layout whose unused bits the
  // caller clears in the Pixel Data it copies.
  Result<deid::DeidentifiedInstance> DeidentifyBytes(std::string_view file_bytes, bool head_only,
                                                     const deid::FaceRegion* face,
                                                     deid::SampleBits* tail_bits = nullptr) const;

  const deid::Profile& profile_;
  const deid::Pseudonymizer& pseudonymizer_;
};

// Loads DCMTK's data dictionary and registers its pixel decoders once; call
// before starting worker threads.
// Fails when the dictionary cannot be found (install dcmtk's dicom.dic).
Status InitDicomLibrary();

}  // namespace oncoatlas::dicom

// libFuzzer target on the de-identification engine's entry point: any bytes in,
// a de-identified file or a quarantine reason out, never a crash. Built only in
// the clang fuzz build (cmake -DONCOATLAS_FUZZ=ON, see scripts/fuzz-deid).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool init = oncoatlas::dicom::InitDicomLibrary().ok();
  static const auto pseudonymizer = *oncoatlas::deid::Pseudonymizer::Create("fuzz-key-0123456789abcdef");
  static const oncoatlas::deid::Profile profile{oncoatlas::deid::ProfileOptions{}};
  static const oncoatlas::dicom::DcmtkDeidentifier engine(profile, pseudonymizer);
  if (!init) return 0;
  auto result = engine.Deidentify(std::string_view(reinterpret_cast<const char*>(data), size));
  (void)result;
  return 0;
}

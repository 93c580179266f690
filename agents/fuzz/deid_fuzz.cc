// libFuzzer target on the de-identification engine's entry point: any bytes in,
// a de-identified file or a quarantine reason out, never a crash. Where the head
// path (large files: header only, pixel data copied) accepts an input, its
// output must be byte-identical to the whole-file path's, or the target aborts.
// A second engine applies Clean Pixel Data (rules for common small matrices, so
// DCMTK's RLE/JPEG/JPEG-LS decoders and the pixel cleaner see the inputs) and
// Clean Recognizable Visual Features (the series path: parse, decode, sample,
// locate the face), which must not crash either.
// Built only in the clang fuzz build (cmake -DONCOATLAS_FUZZ=ON, see scripts/fuzz-deid).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"

namespace {

void CheckHeadPath(const oncoatlas::dicom::DcmtkDeidentifier& engine, std::string_view bytes, std::size_t head_size,
                   const oncoatlas::Result<oncoatlas::deid::DeidentifiedInstance>& whole) {
  auto head = engine.DeidentifyHead(bytes.substr(0, head_size), bytes.size());
  if (!head.ok()) return;
  if (!whole.ok()) {
    std::fprintf(stderr, "head path accepted what the whole-file path quarantines: %s\n",
                 whole.status().ToString().c_str());
    std::abort();
  }
  if (head->tail_offset > bytes.size()) {
    std::fprintf(stderr, "head path's tail starts past the end\n");
    std::abort();
  }
  std::string tail(bytes.substr(head->tail_offset));
  oncoatlas::deid::ClearUnusedBits(head->tail_bits,
                                   std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(tail.data()), tail.size()));
  if (head->instance.bytes + tail != whole->bytes || head->instance.sop_instance_uid != whole->sop_instance_uid ||
      head->instance.modality != whole->modality) {
    std::fprintf(stderr, "head path and whole-file path differ\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool init = oncoatlas::dicom::InitDicomLibrary().ok();
  static const auto pseudonymizer = *oncoatlas::deid::Pseudonymizer::Create("fuzz-key-0123456789abcdef");
  static const oncoatlas::deid::Profile profile{oncoatlas::deid::ProfileOptions{}};
  static const oncoatlas::dicom::DcmtkDeidentifier engine(profile, pseudonymizer);
  if (!init) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const oncoatlas::deid::Profile cleaning_profile{[] {
    oncoatlas::deid::ProfileOptions o;
    o.clean_pixel_data = true;
    o.clean_recognizable_visual_features = true;
    for (const char* modality : {"CT", "MR", "OT", "US", "SC", "MG", "XA", "NM", "RF", "PT"}) {
      for (int side : {8, 16, 32, 64, 100, 128, 256}) {
        o.burned_in_text.push_back({modality, "", "", side, side, {{0, 0, 4, 4}}});
      }
    }
    return o;
  }()};
  static const oncoatlas::dicom::DcmtkDeidentifier cleaning_engine(cleaning_profile, pseudonymizer);
  auto result = engine.Deidentify(bytes);
  (void)cleaning_engine.Deidentify(bytes);
  cleaning_engine.DeidentifySeries(
      1, [&](std::size_t) { return oncoatlas::Result<std::string>(std::string(bytes)); },
      [](std::size_t, const oncoatlas::Result<oncoatlas::deid::DeidentifiedInstance>&) {});
  // The whole input as the head, and only its first KB (the engine must stay
  // within the head it is given, and refuse when the header is not all in it).
  CheckHeadPath(engine, bytes, size, result);
  if (size > 1024) CheckHeadPath(engine, bytes, 1024, result);
  return 0;
}

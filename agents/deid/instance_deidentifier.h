// The engine's entry point as the rest of the agent sees it, free of any DICOM
// library: bytes of one DICOM file in, bytes of its de-identified copy out, or
// an error whose message is the quarantine reason (never an identifying value).
// Implementations must be safe to call from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "deid/pixel_bits.h"

namespace oncoatlas::deid {

struct DeidentifiedInstance {
  std::string bytes;  // a complete Part 10 file: preamble, new file meta, data set
  // UIDs after de-identification (for the output layout and the index).
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string sop_instance_uid;
  // Facets for the index, read from the de-identified data set (so they hold
  // only what the profile kept: sex and age need Retain Patient
  // Characteristics, the year a date option), empty or 0 when absent.
  std::string patient_pseudonym;  // keyed pseudonym of the original Patient ID
  std::string modality;
  std::string body_part;
  std::string sex;       // M, F or O
  std::string age_band;  // decade, e.g. "40-49"; "90+" from 90 years
  int study_year = 0;
  std::string manufacturer;
};

// The de-identified copy of a large file, made from its first bytes only.
struct DeidentifiedHead {
  DeidentifiedInstance instance;  // instance.bytes: the output up to the input's tail
  std::uint64_t tail_offset = 0;  // the input's bytes from here to its end follow instance.bytes
  // The tail is native little endian Pixel Data: when its samples have unused
  // bits (tail_bits.HasUnusedBits()), the caller clears them with
  // ClearUnusedBits() while copying; otherwise it is copied unchanged.
  SampleBits tail_bits;
};

class InstanceDeidentifier {
 public:
  virtual ~InstanceDeidentifier() = default;
  // Any non-OK status means: quarantine this input, for the status's message.
  virtual Result<DeidentifiedInstance> Deidentify(std::string_view file_bytes) const = 0;

  // The head path for large files: `head` holds the first bytes of a file of
  // `file_size` bytes. On success, instance.bytes followed by the file's bytes
  // [tail_offset, file_size), its unused sample bits cleared (tail_bits), is
  // byte for byte what Deidentify() gives for the whole file (uncompressed
  // pixel data is copied, not parsed). An error only means "not this way":
  // call Deidentify() on the whole file, which decides.
  virtual Result<DeidentifiedHead> DeidentifyHead(std::string_view head, std::uint64_t file_size) const {
    (void)head;
    (void)file_size;
    return FailedPreconditionError("no head path");
  }

  // Clean Recognizable Visual Features (defacing) works on a series at a time:
  // the face is found from the whole head. A non-empty key says the input must
  // go through DeidentifySeries() together with every other input of the same
  // key; Deidentify() and DeidentifyHead() refuse it. The key names the series
  // without identifying anyone (a keyed hash). `file_bytes` is a whole file.
  // Empty (the default, and always when the profile does not deface): the
  // input is de-identified on its own.
  virtual std::string SeriesKey(std::string_view file_bytes) const {
    (void)file_bytes;
    return {};
  }
  // True when SeriesKey() can return a non-empty key (the profile defaces):
  // callers then read whole files and group them before de-identifying.
  virtual bool GroupsSeries() const { return false; }

  // Reads input i of a series with read(i), possibly more than once.
  using SeriesReader = std::function<Result<std::string>(std::size_t)>;
  // Receives input i's result: the de-identified instance, or the quarantine reason.
  using SeriesResult = std::function<void(std::size_t, Result<DeidentifiedInstance>)>;
  // De-identifies the `count` inputs that share one SeriesKey(), calling
  // done(i, ...) exactly once for every i in [0, count), from the calling
  // thread, in any order. A read error quarantines that input. Memory stays
  // bounded by a coarse copy of the volume, not by the inputs' size.
  virtual void DeidentifySeries(std::size_t count, const SeriesReader& read, const SeriesResult& done) const {
    for (std::size_t i = 0; i < count; ++i) {
      Result<std::string> bytes = read(i);
      done(i, bytes.ok() ? Deidentify(*bytes) : Result<DeidentifiedInstance>(bytes.status()));
    }
  }
};

}  // namespace oncoatlas::deid

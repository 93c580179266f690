// The bits of a stored pixel sample that carry its value (PS3.5 8.1.1, PS3.3
// C.7.6.3.1): Bits Stored bits ending at High Bit, inside Bits Allocated. The
// other bits may hold an old-style overlay drawn into Pixel Data (text such as
// a name or a record number); de-identification clears them: unsigned samples
// get them zeroed, signed samples (Pixel Representation 1) get the bits above
// High Bit set to the sign and those below its lowest bit zeroed, so a reader
// that ignores Bits Stored still sees the same values. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/status.h"

namespace oncoatlas::deid {

struct SampleBits {
  int allocated = 0;  // 8, 16 or 32
  int stored = 0;
  int high_bit = 0;
  bool is_signed = false;

  // Checks the three values against each other: 1 <= stored <= allocated,
  // stored - 1 <= high_bit < allocated. The error names the values and the fix.
  Status Validate() const;
  // Whether some bit of a sample lies outside the stored bits.
  bool HasUnusedBits() const { return stored < allocated; }
};

// Clears the unused bits of every whole sample in `samples`, laid out as in
// Little Endian Pixel Data (allocated / 8 bytes per sample; trailing bytes of
// an incomplete sample are left alone). REQUIRES: bits.Validate().ok().
void ClearUnusedBits(const SampleBits& bits, std::span<std::uint8_t> samples);

}  // namespace oncoatlas::deid

#include "deid/pixel_bits.h"

#include <bit>
#include <cstring>
#include <string>

namespace oncoatlas::deid {
namespace {

static_assert(std::endian::native == std::endian::little, "Pixel Data samples are read in host order");

// The masks are computed in 64 bits, so that 32-bit samples need no special case.
template <typename T>
void ClearAs(const SampleBits& bits, std::span<std::uint8_t> samples) {
  const int low = bits.high_bit + 1 - bits.stored;
  const std::uint64_t all = (std::uint64_t{1} << (sizeof(T) * 8)) - 1;
  const T value_mask = static_cast<T>((((std::uint64_t{1} << bits.stored) - 1) << low) & all);
  const T above = static_cast<T>((all << (bits.high_bit + 1)) & all);
  const T sign = static_cast<T>(std::uint64_t{1} << bits.high_bit);
  const std::size_t n = samples.size() / sizeof(T);
  std::uint8_t* p = samples.data();
  for (std::size_t i = 0; i < n; ++i, p += sizeof(T)) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    v = static_cast<T>(v & value_mask);
    if (bits.is_signed && (v & sign) != 0) v = static_cast<T>(v | above);
    std::memcpy(p, &v, sizeof(T));
  }
}

}  // namespace

Status SampleBits::Validate() const {
  const std::string values = "Bits Allocated " + std::to_string(allocated) + ", Bits Stored " + std::to_string(stored) +
                             ", High Bit " + std::to_string(high_bit);
  if (allocated != 8 && allocated != 16 && allocated != 32) {
    return InvalidArgumentError(values + ": Bits Allocated must be 8, 16 or 32 for the agent to read the samples");
  }
  if (stored < 1 || stored > allocated || high_bit < stored - 1 || high_bit >= allocated) {
    return InvalidArgumentError(values +
                                " do not fit together (1 <= Bits Stored <= Bits Allocated, Bits Stored - 1 <= High "
                                "Bit < Bits Allocated); the file's image pixel description is damaged");
  }
  return Status::Ok();
}

void ClearUnusedBits(const SampleBits& bits, std::span<std::uint8_t> samples) {
  if (!bits.HasUnusedBits()) return;
  switch (bits.allocated) {
    case 8:
      ClearAs<std::uint8_t>(bits, samples);
      break;
    case 16:
      ClearAs<std::uint16_t>(bits, samples);
      break;
    default:
      ClearAs<std::uint32_t>(bits, samples);
      break;
  }
}

}  // namespace oncoatlas::deid

// deid::ClearUnusedBits: what an old-style overlay in the unused bits of Pixel
// Data becomes, for unsigned and signed samples of every size.
#include "deid/pixel_bits.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace oncoatlas::deid {
namespace {

template <typename T>
std::vector<T> Cleared(const SampleBits& bits, std::vector<T> samples) {
  EXPECT_TRUE(bits.Validate().ok()) << bits.Validate().ToString();
  ClearUnusedBits(bits,
                  std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(samples.data()), samples.size() * sizeof(T)));
  return samples;
}

TEST(PixelBits, UnsignedSamplesLoseEveryBitAboveHighBit) {
  SampleBits bits{16, 12, 11, false};
  EXPECT_EQ(Cleared<std::uint16_t>(bits, {0x1001, 0xF0FF, 0x0FFF, 0x0000}),
            (std::vector<std::uint16_t>{0x0001, 0x00FF, 0x0FFF, 0x0000}));
}

TEST(PixelBits, SignedSamplesAreSignExtendedFromHighBit) {
  SampleBits bits{16, 12, 11, true};
  // 0x1801: overlay bit 12 over -2047; 0x2005: overlay bit 13 over 5; 0xF800: -2048 already extended.
  EXPECT_EQ(Cleared<std::uint16_t>(bits, {0x1801, 0x2005, 0xF800, 0x07FF}),
            (std::vector<std::uint16_t>{0xF801, 0x0005, 0xF800, 0x07FF}));
}

TEST(PixelBits, BitsBelowTheStoredOnesAreClearedToo) {
  SampleBits bits{16, 12, 15, false};  // stored in bits 4-15
  EXPECT_EQ(Cleared<std::uint16_t>(bits, {0x123F}), (std::vector<std::uint16_t>{0x1230}));
}

TEST(PixelBits, EightAndThirtyTwoBitSamples) {
  EXPECT_EQ(Cleared<std::uint8_t>({8, 7, 6, false}, {0xFF, 0x80}), (std::vector<std::uint8_t>{0x7F, 0x00}));
  EXPECT_EQ(Cleared<std::uint32_t>({32, 20, 19, true}, {0x00180000u, 0x00F00001u}),
            (std::vector<std::uint32_t>{0xFFF80000u, 0x00000001u}));
  EXPECT_EQ(Cleared<std::uint32_t>({32, 32, 31, true}, {0xDEADBEEFu}), (std::vector<std::uint32_t>{0xDEADBEEFu}));
}

TEST(PixelBits, AnIncompleteLastSampleIsLeftAlone) {
  std::vector<std::uint8_t> bytes = {0x01, 0x10, 0xAB};
  ClearUnusedBits({16, 12, 11, false}, bytes);
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0x01, 0x00, 0xAB}));
}

TEST(PixelBits, ValuesThatDoNotFitAreRefusedWithTheReason) {
  for (SampleBits bad : {SampleBits{16, 17, 16, false}, SampleBits{16, 12, 10, false}, SampleBits{16, 12, 16, false},
                         SampleBits{12, 12, 11, false}, SampleBits{16, 0, 0, false}}) {
    Status s = bad.Validate();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("Bits Stored " + std::to_string(bad.stored)), std::string::npos) << s.message();
  }
  EXPECT_FALSE((SampleBits{16, 16, 15, false}).HasUnusedBits());
}

}  // namespace
}  // namespace oncoatlas::deid

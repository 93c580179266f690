// The JPEG / JPEG-LS header walk that guards DCMTK's decoders
// (agents/dicom/internal/jpeg_header): real headers reach their frame header;
// each way a stream can break the grammar is refused with its offset.
#include "dicom/internal/jpeg_header.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace oncoatlas::dicom {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A marker segment: 0xFF, marker, a length covering itself and `payload`.
Bytes Segment(std::uint8_t marker, std::size_t payload) {
  const std::size_t length = payload + 2;
  Bytes b = {0xFF, marker, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xFF)};
  b.resize(b.size() + payload, 0x11);
  return b;
}

// SOF with precision `bits`, 16x16, one component.
Bytes FrameHeader(std::uint8_t marker, std::uint8_t bits) {
  return {0xFF, marker, 0x00, 0x0B, bits, 0x00, 0x10, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00};
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kSoi = {0xFF, 0xD8};

// SOI, APP0, DQT, SOF0, DHT, SOS and a little scan data, as encoders write it.
Bytes Baseline() {
  return Concat({kSoi, Segment(0xE0, 14), Segment(0xDB, 65), FrameHeader(0xC0, 8), Segment(0xC4, 29), Segment(0xDA, 8),
                 Bytes{0x12, 0x34, 0xFF, 0x00, 0xFF, 0xD9}});
}

std::string Refusal(const Bytes& stream, JpegFamily family = JpegFamily::kJpeg) {
  auto r = WalkJpegHeader(stream, family);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.status().message();
}

TEST(JpegHeaderTest, BaselineHeaderReachesItsFrameHeader) {
  auto r = WalkJpegHeader(Baseline(), JpegFamily::kJpeg);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->marker, 0xC0);
  EXPECT_EQ(r->precision, 8);
  EXPECT_EQ(r->offset, 2u + 18 + 69);
}

TEST(JpegHeaderTest, EveryT81FrameHeaderAndFillBytesAreAccepted) {
  for (std::uint8_t m : {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}) {
    auto r = WalkJpegHeader(Concat({kSoi, Bytes{0xFF, 0xFF}, Segment(0xFE, 3), FrameHeader(m, 12)}), JpegFamily::kJpeg);
    ASSERT_TRUE(r.ok()) << std::hex << int{m} << ": " << r.status().ToString();
    EXPECT_EQ(r->marker, m);
    EXPECT_EQ(r->precision, 12);
    EXPECT_EQ(r->offset, 2u + 2 + 7);  // the 0xFF just before the marker byte
  }
}

TEST(JpegHeaderTest, JpegLsHeaderWithPresetParametersIsAccepted) {
  auto r = WalkJpegHeader(Concat({kSoi, Segment(0xF8, 11), FrameHeader(0xF7, 16)}), JpegFamily::kJpegLs);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->marker, 0xF7);
  EXPECT_EQ(r->precision, 16);
}

TEST(JpegHeaderTest, TemWhereTheFrameHeaderBelongsIsRefused) {
  Bytes b = Baseline();
  b[2 + 18 + 69 + 1] = 0x01;
  EXPECT_EQ(Refusal(b), "the JPEG code stream has a TEM marker (0xFF01) at byte 89 before its frame header (SOF)");
}

TEST(JpegHeaderTest, StandaloneAndScanMarkersBeforeTheFrameHeaderAreRefused) {
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0xD3}, FrameHeader(0xC0, 8)})),
            "the JPEG code stream has a restart marker (0xFFD3) at byte 2 before its frame header (SOF)");
  EXPECT_EQ(Refusal(Concat({kSoi, Segment(0xDA, 8), FrameHeader(0xC0, 8)})),
            "the JPEG code stream has a start of scan (SOS) (0xFFDA) at byte 2 before its frame header (SOF)");
  EXPECT_EQ(Refusal(Concat({kSoi, kSoi, FrameHeader(0xC0, 8)})),
            "the JPEG code stream has a second SOI marker (0xFFD8) at byte 2 before its frame header (SOF)");
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0x40}, FrameHeader(0xC0, 8)})),
            "the JPEG code stream has a reserved marker (0xFF40) at byte 2 before its frame header (SOF)");
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0x00}})),
            "the JPEG code stream has a stuffed zero byte (0xFF00) at byte 2 before its frame header (SOF)");
}

TEST(JpegHeaderTest, StreamsThatAreNotJpegOrEndEarlyAreRefused) {
  EXPECT_EQ(Refusal({}), "the JPEG code stream does not start with an SOI marker (0xFFD8)");
  EXPECT_EQ(Refusal({0x00, 0x00, 0x00, 0x00}), "the JPEG code stream does not start with an SOI marker (0xFFD8)");
  EXPECT_EQ(Refusal(kSoi), "the JPEG code stream ends at byte 2 before its frame header (SOF)");
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0x12}})),
            "the JPEG code stream has a byte that is not a marker at byte 2 where a marker was expected");
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0xFF}})),
            "the JPEG code stream ends at byte 4 in fill bytes before its frame header (SOF)");
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0xDB, 0x00}})),
            "the JPEG code stream ends at byte 4 inside the length of marker 0xFFDB");
  EXPECT_EQ(Refusal(Concat({kSoi, Segment(0xE0, 14)})),
            "the JPEG code stream ends at byte 20 before its frame header (SOF)");
}

TEST(JpegHeaderTest, SegmentLengthsMustBeAtLeastTwoAndStayInside) {
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0xE0, 0x00, 0x01}, FrameHeader(0xC0, 8)})),
            "the JPEG code stream declares length 1 for marker 0xFFE0 at byte 2");
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0xE0, 0xFF, 0xF0, 0x00}})),
            "the JPEG code stream has marker 0xFFE0 at byte 2 whose length 65520 runs past the fragment's 7 bytes");
  EXPECT_EQ(Refusal(Concat({kSoi, Bytes{0xFF, 0xC0, 0x00, 0x05, 0x08, 0x00, 0x10}})),
            "the JPEG code stream has a frame header at byte 2 of 5 bytes, not 8 or more");
}

TEST(JpegHeaderTest, PrecisionAndFamilyAreChecked) {
  EXPECT_EQ(Refusal(Concat({kSoi, FrameHeader(0xC0, 0)})),
            "the JPEG code stream has a frame header at byte 2 with sample precision 0, not 2 to 16");
  EXPECT_EQ(Refusal(Concat({kSoi, FrameHeader(0xC3, 17)})),
            "the JPEG code stream has a frame header at byte 2 with sample precision 17, not 2 to 16");
  EXPECT_EQ(Refusal(Concat({kSoi, FrameHeader(0xF7, 8)})),
            "the JPEG code stream has the frame header 0xFFF7 at byte 2 of the other JPEG family");
  EXPECT_EQ(Refusal(Concat({kSoi, FrameHeader(0xC0, 8)}), JpegFamily::kJpegLs),
            "the JPEG-LS code stream has the frame header 0xFFC0 at byte 2 of the other JPEG family");
  // LSE belongs to JPEG-LS only; in a T.81 stream 0xFFF8 is a JPGn segment, stepped over.
  EXPECT_TRUE(WalkJpegHeader(Concat({kSoi, Segment(0xF8, 4), FrameHeader(0xC1, 8)}), JpegFamily::kJpeg).ok());
}

// Every one-byte change to a real header either reaches a frame header or is
// refused; none makes the walk read outside the stream (ASan checks) or hang.
TEST(JpegHeaderTest, EverySingleByteMutationIsAcceptedOrRefusedCleanly) {
  const Bytes base = Baseline();
  int accepted = 0, refused = 0;
  for (std::size_t i = 0; i < 2 + 18 + 69 + 13; ++i) {
    for (int v : {0x00, 0x01, 0x02, 0xC0, 0xD0, 0xD8, 0xDA, 0xF7, 0xFF}) {
      Bytes b = base;
      b[i] = static_cast<std::uint8_t>(v);
      auto r = WalkJpegHeader(b, JpegFamily::kJpeg);
      if (r.ok()) {
        ++accepted;
        EXPECT_LT(r->offset + 4, b.size());
      } else {
        ++refused;
      }
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace oncoatlas::dicom

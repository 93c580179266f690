#include "dicom/internal/jpeg_header.h"

#include <cstdio>
#include <string>

namespace oncoatlas::dicom {
namespace {

std::string Hex(std::uint8_t marker) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0xFF%02X", marker);
  return buf;
}

std::string At(std::size_t offset) { return " at byte " + std::to_string(offset); }

// T.81 Table B.1: the frame header markers (SOF0..SOF15 less DHT, JPG, DAC).
bool IsT81FrameHeader(std::uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }
constexpr std::uint8_t kSof55 = 0xF7;  // T.87 frame header
constexpr std::uint8_t kLse = 0xF8;    // T.87 JPEG-LS preset parameters

// Marker segments (with a length) that may come between SOI and the frame
// header: DHT, JPG, DAC, DQT, DNL, DRI, DHP, EXP, APPn, JPGn and COM.
bool IsTableOrMiscSegment(std::uint8_t m) {
  return m == 0xC4 || m == 0xC8 || m == 0xCC || (m >= 0xDB && m <= 0xDF) || (m >= 0xE0 && m <= 0xEF) ||
         (m >= 0xF0 && m <= 0xFE);
}

std::string Describe(std::uint8_t m) {
  if (m == 0x01) return "a TEM marker";
  if (m >= 0xD0 && m <= 0xD7) return "a restart marker";
  if (m == 0xD8) return "a second SOI marker";
  if (m == 0xD9) return "an EOI marker";
  if (m == 0xDA) return "a start of scan (SOS)";
  if (m == 0x00) return "a stuffed zero byte";
  return "a reserved marker";
}

}  // namespace

Result<JpegFrameHeader> WalkJpegHeader(std::span<const std::uint8_t> s, JpegFamily family) {
  const char* name = family == JpegFamily::kJpeg ? "JPEG" : "JPEG-LS";
  auto refuse = [name](const std::string& why) {
    return InvalidArgumentError(std::string("the ") + name + " code stream " + why);
  };
  if (s.size() < 2 || s[0] != 0xFF || s[1] != 0xD8) return refuse("does not start with an SOI marker (0xFFD8)");
  std::size_t pos = 2;
  while (true) {
    if (pos >= s.size()) return refuse("ends" + At(pos) + " before its frame header (SOF)");
    if (s[pos] != 0xFF) return refuse("has a byte that is not a marker" + At(pos) + " where a marker was expected");
    while (pos < s.size() && s[pos] == 0xFF) ++pos;  // fill bytes (T.81 B.1.1.2)
    if (pos >= s.size()) return refuse("ends" + At(pos) + " in fill bytes before its frame header (SOF)");
    const std::size_t at = pos - 1;  // the 0xFF that introduces the marker
    const std::uint8_t m = s[pos];
    const bool frame_header = family == JpegFamily::kJpeg ? IsT81FrameHeader(m) : m == kSof55;
    const bool other_frame_header = family == JpegFamily::kJpeg ? m == kSof55 : IsT81FrameHeader(m);
    if (other_frame_header) {
      return refuse("has the frame header " + Hex(m) + At(at) + " of the other JPEG family");
    }
    const bool segment = frame_header || IsTableOrMiscSegment(m) || (family == JpegFamily::kJpegLs && m == kLse);
    if (!segment) return refuse("has " + Describe(m) + " (" + Hex(m) + ")" + At(at) + " before its frame header (SOF)");
    if (pos + 3 > s.size()) return refuse("ends" + At(pos + 1) + " inside the length of marker " + Hex(m));
    const std::size_t length = (static_cast<std::size_t>(s[pos + 1]) << 8) | s[pos + 2];
    if (length < 2) return refuse("declares length " + std::to_string(length) + " for marker " + Hex(m) + At(at));
    if (pos + 1 + length > s.size()) {
      return refuse("has marker " + Hex(m) + At(at) + " whose length " + std::to_string(length) +
                    " runs past the fragment's " + std::to_string(s.size()) + " bytes");
    }
    if (frame_header) {
      // Lf (2), P (1), Y (2), X (2), Nf (1): at least 8 bytes.
      if (length < 8)
        return refuse("has a frame header" + At(at) + " of " + std::to_string(length) + " bytes, not 8 or more");
      const std::uint8_t precision = s[pos + 3];
      if (precision < 2 || precision > 16) {
        return refuse("has a frame header" + At(at) + " with sample precision " + std::to_string(precision) +
                      ", not 2 to 16");
      }
      return JpegFrameHeader{m, precision, at};
    }
    pos += 1 + length;
  }
}

}  // namespace oncoatlas::dicom

// The header of a JPEG or JPEG-LS code stream, walked before DCMTK's decoders
// see it. DCMTK 3.6.7's JPEG decoder scans the first fragment for its frame
// header (SOF) and never returns from some malformed streams (a TEM marker
// 0xFF01 where the walk expects a segment spins in place), so a crafted file
// could hang the agent's ingestion worker. Pixel Data is decoded only when
// this walk reaches the frame header; anything else is refused with its
// reason. Part of agents/dicom/. Pure: no DCMTK, no state; thread-safe.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/status.h"

namespace oncoatlas::dicom {

enum class JpegFamily {
  kJpeg,    // ITU-T T.81 (JPEG baseline, extended, progressive, lossless)
  kJpegLs,  // ITU-T T.87 (JPEG-LS lossless and near-lossless)
};

// What the frame header says.
struct JpegFrameHeader {
  std::uint8_t marker = 0;     // the SOF marker's second byte (0xC0..0xCF, or 0xF7 for JPEG-LS)
  std::uint8_t precision = 0;  // sample precision in bits
  std::size_t offset = 0;      // where the SOF marker starts in the stream
};

// Walks `stream` (a code stream's first bytes: the first fragment of an
// encapsulated frame) from its SOI marker through the marker segments that may
// precede a frame header (tables, restart interval, application data,
// comments, and for JPEG-LS the LSE parameters; fill bytes 0xFF allowed) to
// the frame header of `family`. Every segment must declare a length of at
// least 2 that stays inside `stream`. Returns the frame header, or
// InvalidArgument naming the first byte offset and marker that break this
// grammar (a stream not starting with SOI, a standalone or scan marker before
// the frame header, a truncated segment, a frame header of the other family,
// a precision outside 2..16).
// Guarantee relied upon: for kJpeg, a stream accepted here makes DCMTK's bit
// depth scan stop at the same frame header, since it steps over exactly the
// segments this walk steps over.
Result<JpegFrameHeader> WalkJpegHeader(std::span<const std::uint8_t> stream, JpegFamily family);

}  // namespace oncoatlas::dicom

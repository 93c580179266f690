#include "dicom/memory_input_stream.h"

#include <algorithm>
#include <cstring>

namespace oncoatlas::dicom {
namespace {

// Re-opens the bytes at `offset` (counted as DCMTK's tell() counts: input bytes
// up to `compression_offset`, inflated bytes after it).
class MemoryInputStreamFactory final : public DcmInputStreamFactory {
 public:
  MemoryInputStreamFactory(std::string_view bytes, offile_off_t offset, E_StreamCompression compression,
                           offile_off_t compression_offset)
      : bytes_(bytes), offset_(offset), compression_(compression), compression_offset_(compression_offset) {}

  DcmInputStream* create() const override {
    auto* stream = new MemoryInputStream(bytes_);
    if (compression_ == ESC_none) {
      stream->skip(offset_);
      return stream;
    }
    stream->skip(compression_offset_);
    if (stream->installCompressionFilter(compression_).bad()) {
      delete stream;
      return nullptr;
    }
    stream->skip(offset_ - compression_offset_);
    return stream;
  }
  DcmInputStreamFactory* clone() const override {
    return new MemoryInputStreamFactory(bytes_, offset_, compression_, compression_offset_);
  }
  // Not a file: nothing in DCMTK may treat it as one.
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputTempFileStreamFactory; }

 private:
  std::string_view bytes_;
  offile_off_t offset_;
  E_StreamCompression compression_;
  offile_off_t compression_offset_;
};

}  // namespace

offile_off_t MemoryProducer::read(void* buf, offile_off_t buflen) {
  if (buflen <= 0) return 0;
  std::size_t n = std::min(static_cast<std::size_t>(buflen), bytes_.size() - position_);
  std::memcpy(buf, bytes_.data() + position_, n);
  position_ += n;
  return static_cast<offile_off_t>(n);
}

offile_off_t MemoryProducer::skip(offile_off_t skiplen) {
  if (skiplen <= 0) return 0;
  std::size_t n = std::min(static_cast<std::size_t>(skiplen), bytes_.size() - position_);
  position_ += n;
  return static_cast<offile_off_t>(n);
}

void MemoryProducer::putback(offile_off_t num) {
  if (num <= 0) return;
  position_ -= std::min(static_cast<std::size_t>(num), position_);
}

MemoryInputStream::MemoryInputStream(std::string_view bytes)
    : DcmInputStream(&producer_), producer_(bytes), bytes_(bytes) {}

OFCondition MemoryInputStream::installCompressionFilter(E_StreamCompression filter_type) {
  offile_off_t at = tell();
  OFCondition result = DcmInputStream::installCompressionFilter(filter_type);
  if (result.good()) {
    compression_ = filter_type;
    compression_offset_ = at;
  }
  return result;
}

DcmInputStreamFactory* MemoryInputStream::newFactory() const {
  return new MemoryInputStreamFactory(bytes_, tell(), compression_, compression_offset_);
}

}  // namespace oncoatlas::dicom

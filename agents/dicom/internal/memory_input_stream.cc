#include "dicom/internal/memory_input_stream.h"

#include <algorithm>
#include <cstring>

namespace oncoatlas::dicom {
namespace {

// Re-opens the bytes at `offset`.
class MemoryInputStreamFactory final : public DcmInputStreamFactory {
 public:
  MemoryInputStreamFactory(std::string_view bytes, offile_off_t offset) : bytes_(bytes), offset_(offset) {}

  DcmInputStream* create() const override {
    auto* stream = new MemoryInputStream(bytes_);
    stream->skip(offset_);
    return stream;
  }
  DcmInputStreamFactory* clone() const override { return new MemoryInputStreamFactory(bytes_, offset_); }
  // Not a file: nothing in DCMTK may treat it as one.
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputTempFileStreamFactory; }

 private:
  std::string_view bytes_;
  offile_off_t offset_;
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
  OFCondition result = DcmInputStream::installCompressionFilter(filter_type);
  if (result.good()) compressed_ = true;
  return result;
}

DcmInputStreamFactory* MemoryInputStream::newFactory() const {
  // Behind a compression filter (a deflated data set) DCMTK's own streams hand
  // out no factory, so DCMTK loads each value as it reads it; the same here.
  // DcmtkDeidentifier checks the declared lengths on the inflated bytes first.
  if (compressed_) return nullptr;
  return new MemoryInputStreamFactory(bytes_, tell());
}

}  // namespace oncoatlas::dicom

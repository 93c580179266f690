// A DCMTK input stream over bytes held in memory that DCMTK can re-open at any
// offset (it hands out stream factories, as a file stream does). With it DCMTK
// skips a value longer than the read limit instead of loading it, so a declared
// length is checked against the bytes that remain before anything of that size
// is allocated, and large values are loaded (or streamed out on write) from the
// caller's bytes only when used. Behind a compression filter (a deflated data
// set) it hands out no factory, as DCMTK's file streams do.
//
// The bytes must outlive the stream, every factory it hands out and every DCMTK
// object read from it (values may be loaded lazily until the object is gone).
// A stream is used by one thread at a time; distinct streams over the same
// bytes are independent.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcistrma.h>

#include <string_view>

namespace oncoatlas::dicom {

class MemoryProducer final : public DcmProducer {
 public:
  explicit MemoryProducer(std::string_view bytes) : bytes_(bytes) {}

  OFBool good() const override { return OFTrue; }
  OFCondition status() const override { return EC_Normal; }
  OFBool eos() override { return position_ >= bytes_.size(); }
  offile_off_t avail() override { return static_cast<offile_off_t>(bytes_.size() - position_); }
  offile_off_t read(void* buf, offile_off_t buflen) override;
  offile_off_t skip(offile_off_t skiplen) override;
  void putback(offile_off_t num) override;

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

class MemoryInputStream final : public DcmInputStream {
 public:
  explicit MemoryInputStream(std::string_view bytes);
  MemoryInputStream(const MemoryInputStream&) = delete;
  MemoryInputStream& operator=(const MemoryInputStream&) = delete;

  OFCondition installCompressionFilter(E_StreamCompression filter_type) override;
  // A factory that re-opens these bytes at the current position (null behind a
  // compression filter).
  DcmInputStreamFactory* newFactory() const override;

 private:
  MemoryProducer producer_;
  std::string_view bytes_;
  bool compressed_ = false;  // a compression filter is installed
};

}  // namespace oncoatlas::dicom

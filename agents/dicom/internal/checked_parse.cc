#include "dicom/internal/checked_parse.h"

#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <zlib.h>

#include <string>

#include "dicom/internal/memory_input_stream.h"
#include "dicom/nesting_scan.h"

namespace oncoatlas::dicom {
namespace {

// A deflated data set's structure cannot be scanned in place: inflate it (up to
// kMaxInflatedBytes) behind a minimal explicit VR little endian meta, and scan that.
constexpr std::size_t kMaxInflatedBytes = std::size_t{256} << 20;

Result<StructureScan> ScanDeflated(std::string_view bytes, const StructureScan& outer, int max_depth) {
  if (outer.meta_end == 0 || outer.meta_end > bytes.size()) {
    return InvalidArgumentError("a deflated data set whose meta information has no usable group length");
  }
  static constexpr char kMeta[] =
      "\x02\x00\x10\x00UI\x14\x00"
      "1.2.840.10008.1.2.1\0";
  std::string inflated(kMeta, sizeof(kMeta) - 1);
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return InternalError("cannot start inflating");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + outer.meta_end));
  z.avail_in = static_cast<uInt>(bytes.size() - outer.meta_end);
  int rc = Z_OK;
  char chunk[16384];
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof(chunk);
    rc = inflate(&z, Z_NO_FLUSH);
    inflated.append(chunk, sizeof(chunk) - z.avail_out);
    if (inflated.size() > kMaxInflatedBytes) {
      inflateEnd(&z);
      return InvalidArgumentError("the deflated data set inflates to more than 256 MiB");
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // truncated deflate stream: scan what there is
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END && rc != Z_BUF_ERROR) return InvalidArgumentError("the deflated data set does not inflate");
  return ScanStructure(inflated, max_depth);
}

}  // namespace

Result<std::unique_ptr<DcmFileFormat>> ParseChecked(std::string_view bytes, int max_depth) {
  if (bytes.empty()) return InvalidArgumentError("empty file");
  StructureScan scan = ScanStructure(bytes, max_depth);
  if (scan.deflated) {
    // DCMTK loads every value of an inflated data set as it reads it: check the
    // declared lengths (and the nesting) against the inflated bytes first.
    auto inner = ScanDeflated(bytes, scan, max_depth);
    if (!inner.ok()) return inner.status();
    scan = *inner;
  }
  if (scan.max_depth > max_depth) {
    return InvalidArgumentError("sequences nested deeper than " + std::to_string(max_depth) + " levels");
  }
  if (scan.truncated) {
    return InvalidArgumentError("the attribute at byte " + std::to_string(scan.truncated_offset) +
                                " runs past the end of the file (truncated or damaged)");
  }
  if (scan.out_of_order) {
    return InvalidArgumentError("attributes out of tag order at byte " + std::to_string(scan.out_of_order_offset) +
                                " (trailing zero padding, concatenated data or a damaged file)");
  }
  auto file = std::make_unique<DcmFileFormat>();
  {
    // Values above the read limit are skipped, not loaded: DCMTK then finds a
    // declared length longer than the remaining bytes before it allocates one.
    MemoryInputStream stream(bytes);
    file->transferInit();
    OFCondition cond = file->read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
    file->transferEnd();
    if (cond.bad()) return InvalidArgumentError(std::string("not a readable DICOM file: ") + cond.text());
    if (!stream.eos()) return InvalidArgumentError("not a readable DICOM file: data after the end of the data set");
  }
  DcmDataset* ds = file->getDataset();
  if (ds == nullptr || ds->card() == 0) return InvalidArgumentError("not a DICOM file: no data set");
  return file;
}

}  // namespace oncoatlas::dicom

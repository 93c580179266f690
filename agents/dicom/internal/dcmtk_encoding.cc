#include "dicom/internal/dcmtk_encoding.h"

#include <dcmtk/dcmdata/dcostrmb.h>

#include <vector>

namespace oncoatlas::dicom {

Result<std::string> WritePart10(DcmFileFormat& file, E_TransferSyntax xfer, E_GrpLenEncoding group_length,
                                std::string_view what, std::size_t size_hint) {
  std::string out;
  if (size_hint > 0) out.reserve(size_hint + 4096);
  thread_local std::vector<char> buffer(1 << 16);  // reused: no fresh 64 KB per file
  DcmOutputBufferStream stream(buffer.data(), static_cast<offile_off_t>(buffer.size()));
  const auto drain = [&] {
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    if (length > 0) out.append(static_cast<const char*>(data), static_cast<std::size_t>(length));
  };
  file.transferInit();
  OFCondition cond = EC_StreamNotifyClient;
  while (cond == EC_StreamNotifyClient) {
    cond = file.write(stream, xfer, EET_ExplicitLength, nullptr, group_length, EPD_withoutPadding, 0, 0, 0,
                      EWM_createNewMeta);
    drain();
  }
  // A deflated data set sits in the compression filter until the stream is
  // flushed; without this the output of a deflated data set was empty.
  for (int rounds = 0; cond.good() && !stream.isFlushed(); ++rounds) {
    if (rounds > (1 << 20)) {
      file.transferEnd();
      return InternalError("cannot encode " + std::string(what) + ": the encoder does not flush");
    }
    stream.flush();
    drain();
  }
  file.transferEnd();
  if (cond.bad()) return InternalError("cannot encode " + std::string(what) + ": " + cond.text());
  return out;
}

Result<std::string> EncodePart10(DcmDataset* dataset) {
  if (dataset == nullptr) return InvalidArgumentError("no data set received");
  E_TransferSyntax xfer = dataset->getOriginalXfer();
  if (xfer == EXS_Unknown) xfer = EXS_LittleEndianExplicit;
  DcmFileFormat file(dataset, OFFalse);  // takes ownership
  return WritePart10(file, xfer, EGL_recalcGL, "a received instance");
}

}  // namespace oncoatlas::dicom

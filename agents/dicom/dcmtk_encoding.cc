#include "dicom/dcmtk_encoding.h"

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>

#include <vector>

namespace oncoatlas::dicom {

Result<std::string> EncodePart10(DcmDataset* dataset) {
  if (dataset == nullptr) return InvalidArgumentError("no data set received");
  E_TransferSyntax xfer = dataset->getOriginalXfer();
  if (xfer == EXS_Unknown) xfer = EXS_LittleEndianExplicit;
  DcmFileFormat file(dataset, OFFalse);  // takes ownership
  std::string out;
  std::vector<char> buffer(1 << 16);
  DcmOutputBufferStream stream(buffer.data(), static_cast<offile_off_t>(buffer.size()));
  file.transferInit();
  OFCondition cond = EC_StreamNotifyClient;
  while (cond == EC_StreamNotifyClient) {
    cond = file.write(stream, xfer, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_withoutPadding, 0, 0, 0,
                      EWM_createNewMeta);
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    if (length > 0) out.append(static_cast<const char*>(data), static_cast<std::size_t>(length));
  }
  file.transferEnd();
  if (cond.bad()) return InternalError(std::string("cannot encode a received instance: ") + cond.text());
  return out;
}

}  // namespace oncoatlas::dicom

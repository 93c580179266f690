#include "dicom/internal/dimse_setup.h"

namespace oncoatlas::dicom {

const OFList<OFString>& UncompressedSyntaxes() {
  static const OFList<OFString> ts = [] {
    OFList<OFString> l;
    l.push_back(UID_LittleEndianExplicitTransferSyntax);
    l.push_back(UID_LittleEndianImplicitTransferSyntax);
    return l;
  }();
  return ts;
}

const OFList<OFString>& StorageSyntaxes() {
  static const OFList<OFString> ts = [] {
    OFList<OFString> l = UncompressedSyntaxes();
    for (const char* uid :
         {UID_JPEGProcess14SV1TransferSyntax, UID_JPEGProcess1TransferSyntax, UID_JPEG2000LosslessOnlyTransferSyntax,
          UID_JPEG2000TransferSyntax, UID_RLELosslessTransferSyntax, UID_JPEGLSLosslessTransferSyntax}) {
      l.push_back(uid);
    }
    return l;
  }();
  return ts;
}

void ConfigureScu(DcmSCU& scu, const DimseEndpoint& ep) {
  scu.setAETitle(ep.calling_aet.c_str());
  scu.setPeerHostName(ep.host.c_str());
  scu.setPeerPort(static_cast<Uint16>(ep.port));
  scu.setPeerAETitle(ep.called_aet.c_str());
  scu.setACSETimeout(static_cast<Uint32>(ep.timeout.count()));
  scu.setDIMSETimeout(static_cast<Uint32>(ep.timeout.count()));
  scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scu.setConnectionTimeout(static_cast<Sint32>(ep.timeout.count()));
}

}  // namespace oncoatlas::dicom

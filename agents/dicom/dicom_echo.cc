#include "dicom/dicom_echo.h"

#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <sstream>

#include "dicom/internal/dimse_setup.h"

namespace oncoatlas::dicom {
namespace {

// DCMTK's condition texts span lines ("Failed to establish association\n
// 0006:031b TCP Initialization Error: Connection refused"); the last line
// carries the cause. One line, lower-cased first letter, for the message.
std::string Cause(const OFCondition& c) {
  std::string text = c.text();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::size_t nl = text.rfind('\n');
  std::string last = nl == std::string::npos ? text : text.substr(nl + 1);
  const std::size_t colon = last.rfind(": ");
  if (colon != std::string::npos && colon + 2 < last.size()) last = last.substr(colon + 2);
  if (!last.empty()) last[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(last[0])));
  std::replace(last.begin(), last.end(), '\n', ' ');
  return last;
}

}  // namespace

Status DicomEcho(const DimseEndpoint& ep) {
  // DCMTK logs every association step at info level to stdout; a periodic
  // check must not flood the agent's log (its outcome is the return value).
  static std::once_flag quiet;
  std::call_once(quiet, [] { OFLog::getLogger("dcmtk.dcmnet").setLogLevel(OFLogger::WARN_LOG_LEVEL); });
  const std::string where = ep.called_aet + "@" + ep.host + ":" + std::to_string(ep.port);
  const auto fail = [&](const std::string& why) { return UnavailableError("C-ECHO to " + where + " failed: " + why); };
  DcmSCU scu;
  ConfigureScu(scu, ep);
  OFCondition c = scu.addPresentationContext(UID_VerificationSOPClass, UncompressedSyntaxes());
  if (c.bad()) return InternalError(std::string("C-ECHO presentation context: ") + c.text());
  c = scu.initNetwork();
  if (c.bad()) return fail("network initialisation: " + Cause(c));
  c = scu.negotiateAssociation();
  if (c.bad()) {
    if (c == DUL_ASSOCIATIONREJECTED) {
      return fail("the PACS rejected the association (check that it knows calling AE title " + ep.calling_aet +
                  " and that its AE title is " + ep.called_aet + ")");
    }
    return fail(Cause(c));
  }
  const T_ASC_PresentationContextID pc = scu.findPresentationContextID(UID_VerificationSOPClass, "");
  if (pc == 0) {
    scu.releaseAssociation();
    return fail("the PACS does not accept the Verification SOP class");
  }
  c = scu.sendECHORequest(pc);
  if (c.bad()) {
    scu.abortAssociation();
    return fail(Cause(c));
  }
  scu.releaseAssociation();
  return Status::Ok();
}

}  // namespace oncoatlas::dicom

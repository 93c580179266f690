#include "dicom/dimse_source.h"

#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/scu.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace oncoatlas::dicom {
namespace {

const OFList<OFString>& UncompressedSyntaxes() {
  static const OFList<OFString> ts = [] {
    OFList<OFString> l;
    l.push_back(UID_LittleEndianExplicitTransferSyntax);
    l.push_back(UID_LittleEndianImplicitTransferSyntax);
    return l;
  }();
  return ts;
}

// Syntaxes we accept for incoming C-STOREs: uncompressed first, then the
// common compressed ones so the PACS need not transcode.
const OFList<OFString>& StorageSyntaxes() {
  static const OFList<OFString> ts = [] {
    OFList<OFString> l = UncompressedSyntaxes();
    l.push_back(UID_JPEGProcess14SV1TransferSyntax);
    l.push_back(UID_JPEGProcess1TransferSyntax);
    l.push_back(UID_JPEG2000LosslessOnlyTransferSyntax);
    l.push_back(UID_JPEG2000TransferSyntax);
    l.push_back(UID_RLELosslessTransferSyntax);
    l.push_back(UID_JPEGLSLosslessTransferSyntax);
    return l;
  }();
  return ts;
}

std::string ToStd(const OFString& s) { return std::string(s.c_str(), s.length()); }

// A DcmSCU that keeps C-GET's incoming objects in memory as Part 10 files.
class RetrievingScu : public DcmSCU {
 public:
  std::vector<std::string> received;
  std::string receive_error;

 protected:
  OFCondition handleSTORERequest(const T_ASC_PresentationContextID /*presID*/, DcmDataset* incoming,
                                 OFBool& continue_session, Uint16& store_status) override {
    std::unique_ptr<DcmDataset> ds(incoming);
    continue_session = OFTrue;
    store_status = STATUS_STORE_Refused_OutOfResources;
    if (!ds) return EC_IllegalParameter;
    E_TransferSyntax xfer = ds->getOriginalXfer();
    if (xfer == EXS_Unknown) xfer = EXS_LittleEndianExplicit;
    DcmFileFormat file(ds.get());
    // DCMTK writes Part 10 files to paths; a private temporary keeps the
    // bytes off shared locations and is removed at once.
    std::string tmpl = (std::filesystem::temp_directory_path() / "oncoatlas-cget-XXXXXX").string();
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
      receive_error = "cannot create a temporary file for a retrieved instance";
      return EC_IllegalCall;
    }
    ::close(fd);
    OFCondition c = file.saveFile(tmpl.c_str(), xfer);
    if (c.good()) {
      std::ifstream in(tmpl, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      received.push_back(ss.str());
      store_status = STATUS_Success;
    } else {
      receive_error = std::string("cannot encode a retrieved instance: ") + c.text();
    }
    std::filesystem::remove(tmpl);
    return c;
  }
};

Status Negotiate(DcmSCU& scu, const DimseEndpoint& ep) {
  scu.setAETitle(ep.calling_aet.c_str());
  scu.setPeerHostName(ep.host.c_str());
  scu.setPeerPort(static_cast<Uint16>(ep.port));
  scu.setPeerAETitle(ep.called_aet.c_str());
  scu.setACSETimeout(static_cast<Uint32>(ep.timeout.count()));
  scu.setDIMSETimeout(static_cast<Uint32>(ep.timeout.count()));
  scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scu.setConnectionTimeout(static_cast<Sint32>(ep.timeout.count()));
  const std::string where = ep.called_aet + " at " + ep.host + ":" + std::to_string(ep.port);
  OFCondition c = scu.initNetwork();
  if (c.bad()) return UnavailableError(std::string("DIMSE network initialisation failed: ") + c.text());
  c = scu.negotiateAssociation();
  if (c.bad()) {
    return UnavailableError("cannot open a DICOM association with " + where + " as " + ep.calling_aet + ": " +
                            c.text() + " (check the PACS address, port and that it accepts this AE title)");
  }
  return Status::Ok();
}

// Runs one C-FIND and returns the identifiers of its pending responses.
Result<std::vector<std::unique_ptr<DcmDataset>>> Find(DcmSCU& scu, DcmDataset& query) {
  T_ASC_PresentationContextID pc = scu.findPresentationContextID(UID_FINDStudyRootQueryRetrieveInformationModel, "");
  if (pc == 0) return UnavailableError("the PACS refused Study Root C-FIND");
  OFList<QRResponse*> responses;
  OFCondition c = scu.sendFINDRequest(pc, &query, &responses);
  std::vector<std::unique_ptr<DcmDataset>> out;
  Uint16 final_status = 0;
  for (QRResponse* r : responses) {
    if (r->m_dataset != nullptr && DICOM_PENDING_STATUS(r->m_status)) {
      out.emplace_back(r->m_dataset);
      r->m_dataset = nullptr;
    }
    final_status = r->m_status;
    delete r;
  }
  if (c.bad()) return UnavailableError(std::string("C-FIND failed: ") + c.text());
  if (final_status != STATUS_Success) {
    std::ostringstream m;
    m << "C-FIND ended with status 0x" << std::hex << final_status;
    return UnavailableError(m.str());
  }
  return out;
}

std::string GetString(DcmDataset& ds, const DcmTagKey& tag) {
  OFString v;
  ds.findAndGetOFStringArray(tag, v);
  return ToStd(v);
}

bool IsUid(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// "study/series/sop" -> the three UIDs, or empty when malformed.
std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string p;
  while (std::getline(ss, p, '/')) parts.push_back(p);
  if (parts.size() != 3 || key.back() == '/' || !std::all_of(parts.begin(), parts.end(), IsUid)) return {};
  return parts;
}

bool IsDate(const std::string& s) {
  return s.size() == 8 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "", "YYYYMMDD", "YYYYMMDD-", "-YYYYMMDD" or "YYYYMMDD-YYYYMMDD".
bool IsDateRange(const std::string& r) {
  if (r.empty()) return true;
  auto dash = r.find('-');
  if (dash == std::string::npos) return IsDate(r);
  std::string from = r.substr(0, dash), to = r.substr(dash + 1);
  if (from.empty() && to.empty()) return false;
  return (from.empty() || IsDate(from)) && (to.empty() || IsDate(to));
}

class DimseSource : public agent::ImageSource {
 public:
  DimseSource(DimseEndpoint ep, DimseQuery q) : ep_(std::move(ep)), query_(std::move(q)) {}

  std::string Describe() const override {
    return "DIMSE " + ep_.called_aet + "@" + ep_.host + ":" + std::to_string(ep_.port);
  }

  Result<std::vector<std::string>> List() override {
    DcmSCU scu;
    scu.addPresentationContext(UID_FINDStudyRootQueryRetrieveInformationModel, UncompressedSyntaxes());
    ONCOATLAS_RETURN_IF_ERROR(Negotiate(scu, ep_));

    std::set<std::string> studies;
    std::vector<std::string> accessions = query_.accession_numbers;
    if (accessions.empty()) accessions.emplace_back();
    for (const std::string& accession : accessions) {
      DcmDataset q;
      q.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
      std::string uids;
      for (const auto& u : query_.study_instance_uids) uids += (uids.empty() ? "" : "\\") + u;
      q.putAndInsertString(DCM_StudyInstanceUID, uids.c_str());
      q.putAndInsertString(DCM_StudyDate, query_.study_date_range.c_str());
      q.putAndInsertString(DCM_AccessionNumber, accession.c_str());
      auto found = Find(scu, q);
      if (!found.ok()) return found.status().WithContext("study search on " + Describe());
      for (auto& ds : *found) {
        std::string uid = GetString(*ds, DCM_StudyInstanceUID);
        if (!uid.empty()) studies.insert(uid);
      }
    }

    std::vector<std::string> keys;
    sop_classes_.clear();
    for (const std::string& study : studies) {
      DcmDataset sq;
      sq.putAndInsertString(DCM_QueryRetrieveLevel, "SERIES");
      sq.putAndInsertString(DCM_StudyInstanceUID, study.c_str());
      sq.putAndInsertString(DCM_SeriesInstanceUID, "");
      sq.putAndInsertString(DCM_Modality, "");
      auto series = Find(scu, sq);
      if (!series.ok()) return series.status().WithContext("series search on " + Describe());
      for (auto& s : *series) {
        std::string series_uid = GetString(*s, DCM_SeriesInstanceUID);
        std::string modality = GetString(*s, DCM_Modality);
        if (series_uid.empty()) continue;
        if (!query_.modalities.empty() &&
            std::find(query_.modalities.begin(), query_.modalities.end(), modality) == query_.modalities.end()) {
          continue;
        }
        DcmDataset iq;
        iq.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
        iq.putAndInsertString(DCM_StudyInstanceUID, study.c_str());
        iq.putAndInsertString(DCM_SeriesInstanceUID, series_uid.c_str());
        iq.putAndInsertString(DCM_SOPInstanceUID, "");
        iq.putAndInsertString(DCM_SOPClassUID, "");
        auto images = Find(scu, iq);
        if (!images.ok()) return images.status().WithContext("image search on " + Describe());
        for (auto& img : *images) {
          std::string sop = GetString(*img, DCM_SOPInstanceUID);
          if (sop.empty()) continue;
          std::string key = study + "/" + series_uid + "/" + sop;
          sop_classes_[key] = GetString(*img, DCM_SOPClassUID);
          keys.push_back(std::move(key));
        }
      }
    }
    scu.releaseAssociation();
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  Result<std::string> Fetch(const std::string& key) override {
    std::vector<std::string> m = SplitKey(key);
    if (m.empty()) return InvalidArgumentError("not a DIMSE source key: '" + key + "'");
    RetrievingScu scu;
    scu.addPresentationContext(UID_GETStudyRootQueryRetrieveInformationModel, UncompressedSyntaxes());
    auto known = sop_classes_.find(key);
    if (known != sop_classes_.end() && !known->second.empty()) {
      scu.addPresentationContext(known->second.c_str(), StorageSyntaxes(), ASC_SC_ROLE_SCP);
    } else {
      // Unknown SOP class: offer the common storage classes (an association
      // carries at most 128 presentation contexts).
      for (int i = 0; i < numberOfDcmShortSCUStorageSOPClassUIDs; ++i) {
        scu.addPresentationContext(dcmShortSCUStorageSOPClassUIDs[i], StorageSyntaxes(), ASC_SC_ROLE_SCP);
      }
    }
    ONCOATLAS_RETURN_IF_ERROR(Negotiate(scu, ep_));
    T_ASC_PresentationContextID pc = scu.findPresentationContextID(UID_GETStudyRootQueryRetrieveInformationModel, "");
    if (pc == 0) return UnavailableError(Describe() + " refused Study Root C-GET; configure C-MOVE instead");
    DcmDataset q;
    q.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
    q.putAndInsertString(DCM_StudyInstanceUID, m[0].c_str());
    q.putAndInsertString(DCM_SeriesInstanceUID, m[1].c_str());
    q.putAndInsertString(DCM_SOPInstanceUID, m[2].c_str());
    OFList<RetrieveResponse*> responses;
    OFCondition c = scu.sendCGETRequest(pc, &q, &responses);
    for (RetrieveResponse* r : responses) delete r;
    scu.releaseAssociation();
    if (c.bad()) return UnavailableError("C-GET of " + key + " from " + Describe() + " failed: " + c.text());
    if (!scu.receive_error.empty()) return InternalError(scu.receive_error);
    if (scu.received.size() != 1) {
      return NotFoundError(Describe() + " returned " + std::to_string(scu.received.size()) + " instances for " + key);
    }
    return std::move(scu.received.front());
  }

 private:
  DimseEndpoint ep_;
  DimseQuery query_;
  std::map<std::string, std::string> sop_classes_;  // key -> SOP Class UID, from the last List()
};

bool ValidAet(const std::string& aet) {
  if (aet.empty() || aet.size() > 16) return false;
  if (aet.find_first_not_of(' ') == std::string::npos) return false;
  return std::all_of(aet.begin(), aet.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '\\'; });
}

}  // namespace

Result<std::unique_ptr<agent::ImageSource>> MakeDimseSource(DimseEndpoint endpoint, DimseQuery query) {
  if (endpoint.host.empty()) return InvalidArgumentError("DIMSE source: the PACS host is empty");
  if (endpoint.port <= 0 || endpoint.port > 65535) {
    return InvalidArgumentError("DIMSE source: port " + std::to_string(endpoint.port) + " is not in 1-65535");
  }
  for (const auto* aet : {&endpoint.called_aet, &endpoint.calling_aet}) {
    if (!ValidAet(*aet)) {
      return InvalidArgumentError("DIMSE source: AE title '" + *aet +
                                  "' is invalid (1-16 printable characters, no backslash, not all spaces)");
    }
  }
  if (!IsDateRange(query.study_date_range)) {
    return InvalidArgumentError("DIMSE source: study date range '" + query.study_date_range +
                                "' is not YYYYMMDD, YYYYMMDD-YYYYMMDD, -YYYYMMDD or YYYYMMDD-");
  }
  return std::unique_ptr<agent::ImageSource>(new DimseSource(std::move(endpoint), std::move(query)));
}

}  // namespace oncoatlas::dicom

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

#include "dicom/internal/dcmtk_encoding.h"
#include "dicom/internal/dimse_setup.h"
#include "dicom/store_receiver.h"

namespace oncoatlas::dicom {
namespace {

std::string ToStd(const OFString& s) { return std::string(s.c_str(), s.length()); }

// A DcmSCU that keeps C-GET's incoming objects in memory as Part 10 files.
class RetrievingScu : public DcmSCU {
 public:
  ~RetrievingScu() override {
    if (isConnected()) releaseAssociation();
  }
  std::vector<std::string> received;
  std::string receive_error;

 protected:
  OFCondition handleSTORERequest(const T_ASC_PresentationContextID /*presID*/, DcmDataset* incoming,
                                 OFBool& continue_session, Uint16& store_status) override {
    continue_session = OFTrue;
    store_status = STATUS_STORE_Refused_OutOfResources;
    if (incoming == nullptr) return EC_IllegalParameter;
    auto bytes = EncodePart10(incoming);  // takes ownership
    if (!bytes.ok()) {
      receive_error = bytes.status().message();
      return EC_IllegalCall;
    }
    received.push_back(std::move(*bytes));
    store_status = STATUS_Success;
    return EC_Normal;
  }
};

Status Negotiate(DcmSCU& scu, const DimseEndpoint& ep) {
  ConfigureScu(scu, ep);
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

class DimseSource : public agent::ImageSource {
 public:
  DimseSource(DimseEndpoint ep, DimseQuery q, std::unique_ptr<StoreReceiver> receiver)
      : ep_(std::move(ep)), query_(std::move(q)), receiver_(std::move(receiver)) {}
  ~DimseSource() override = default;  // `session_` releases its association

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
    session_.reset();
    session_classes_.clear();
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
          std::string key = agent::PacsInstanceKey(study, series_uid, sop);
          std::string sop_class = GetString(*img, DCM_SOPClassUID);
          // An association carries at most 128 presentation contexts, one of them C-GET's.
          if (!sop_class.empty() && session_classes_.size() < 127) session_classes_.insert(sop_class);
          sop_classes_[key] = std::move(sop_class);
          keys.push_back(std::move(key));
        }
      }
    }
    scu.releaseAssociation();
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  Result<std::string> Fetch(const std::string& key) override {
    std::vector<std::string> m = agent::SplitPacsInstanceKey(key);
    if (m.empty()) return InvalidArgumentError("not a DIMSE source key: '" + key + "'");
    if (receiver_ != nullptr) return FetchByMove(key, m);
    auto known_class = sop_classes_.find(key);
    if (known_class != sop_classes_.end() && session_classes_.count(known_class->second) != 0) {
      // One association for the whole List(): negotiated on first use with
      // every SOP class the search found, opened again once if it broke.
      for (int attempt = 0;; ++attempt) {
        if (session_ == nullptr) {
          auto scu = std::make_unique<RetrievingScu>();
          scu->addPresentationContext(UID_GETStudyRootQueryRetrieveInformationModel, UncompressedSyntaxes());
          for (const std::string& c : session_classes_) {
            scu->addPresentationContext(c.c_str(), StorageSyntaxes(), ASC_SC_ROLE_SCP);
          }
          ONCOATLAS_RETURN_IF_ERROR(Negotiate(*scu, ep_));
          session_ = std::move(scu);
        }
        auto got = Get(*session_, key, m);
        if (got.ok() || got.status().code() != StatusCode::kUnavailable || attempt == 1) {
          if (!got.ok()) session_.reset();
          return got;
        }
        session_.reset();
      }
    }
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
    return Get(scu, key, m);
  }

 private:
  // One C-GET of one instance on the open association `scu`.
  Result<std::string> Get(RetrievingScu& scu, const std::string& key, const std::vector<std::string>& m) {
    T_ASC_PresentationContextID pc = scu.findPresentationContextID(UID_GETStudyRootQueryRetrieveInformationModel, "");
    if (pc == 0) return FailedPreconditionError(Describe() + " refused Study Root C-GET; configure C-MOVE instead");
    scu.received.clear();
    scu.receive_error.clear();
    DcmDataset q;
    q.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
    q.putAndInsertString(DCM_StudyInstanceUID, m[0].c_str());
    q.putAndInsertString(DCM_SeriesInstanceUID, m[1].c_str());
    q.putAndInsertString(DCM_SOPInstanceUID, m[2].c_str());
    OFList<RetrieveResponse*> responses;
    OFCondition c = scu.sendCGETRequest(pc, &q, &responses);
    for (RetrieveResponse* r : responses) delete r;
    if (c.bad()) {
      scu.releaseAssociation();
      return UnavailableError("C-GET of " + key + " from " + Describe() + " failed: " + c.text());
    }
    if (!scu.receive_error.empty()) return InternalError(scu.receive_error);
    if (scu.received.size() != 1) {
      return NotFoundError(Describe() + " returned " + std::to_string(scu.received.size()) + " instances for " + key);
    }
    std::string out = std::move(scu.received.front());
    scu.received.clear();
    return out;
  }

  // C-MOVE of one instance to our own AE title: the PACS opens an association
  // to the StoreReceiver and sends it there.
  Result<std::string> FetchByMove(const std::string& key, const std::vector<std::string>& m) {
    DcmSCU scu;
    scu.addPresentationContext(UID_MOVEStudyRootQueryRetrieveInformationModel, UncompressedSyntaxes());
    ONCOATLAS_RETURN_IF_ERROR(Negotiate(scu, ep_));
    T_ASC_PresentationContextID pc = scu.findPresentationContextID(UID_MOVEStudyRootQueryRetrieveInformationModel, "");
    if (pc == 0) return UnavailableError(Describe() + " refused Study Root C-MOVE; configure C-GET instead");
    receiver_->Clear();
    DcmDataset q;
    q.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
    q.putAndInsertString(DCM_StudyInstanceUID, m[0].c_str());
    q.putAndInsertString(DCM_SeriesInstanceUID, m[1].c_str());
    q.putAndInsertString(DCM_SOPInstanceUID, m[2].c_str());
    OFList<RetrieveResponse*> responses;
    OFCondition c = scu.sendMOVERequest(pc, ep_.calling_aet.c_str(), &q, &responses);
    Uint16 final_status = 0;
    Uint16 completed = 0;
    for (RetrieveResponse* r : responses) {
      final_status = r->m_status;
      completed = r->m_numberOfCompletedSubops;
      delete r;
    }
    scu.releaseAssociation();
    if (c.bad()) return UnavailableError("C-MOVE of " + key + " from " + Describe() + " failed: " + c.text());
    if (final_status == 0xA801) {
      return FailedPreconditionError(Describe() + " does not know the move destination " + ep_.calling_aet +
                                     "; register it on the PACS with this host and port " +
                                     std::to_string(ep_.store_port));
    }
    if (final_status != STATUS_Success) {
      std::ostringstream msg;
      msg << "C-MOVE of " << key << " from " << Describe() << " ended with status 0x" << std::hex << final_status;
      return UnavailableError(msg.str());
    }
    if (completed == 0) return NotFoundError(Describe() + " moved no instance for " + key);
    // The PACS reports success once its C-STOREs are answered, so the instance is normally here already.
    return receiver_->Take(m[2], std::chrono::duration_cast<std::chrono::milliseconds>(ep_.timeout));
  }

  DimseEndpoint ep_;
  DimseQuery query_;
  std::unique_ptr<StoreReceiver> receiver_;         // with C-MOVE
  std::map<std::string, std::string> sop_classes_;  // key -> SOP Class UID, from the last List()
  std::set<std::string> session_classes_;           // the SOP classes session_ negotiates
  std::unique_ptr<RetrievingScu> session_;          // C-GET association reused across Fetch() calls
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
  Status valid = query.Validate();
  if (!valid.ok()) return valid.WithContext("DIMSE source");
  std::unique_ptr<StoreReceiver> receiver;
  if (endpoint.retrieval == DimseRetrieval::kMove) {
    auto r = StoreReceiver::Start(endpoint.calling_aet, endpoint.store_port);
    if (!r.ok()) return r.status().WithContext("DIMSE source (C-MOVE)");
    receiver = std::move(*r);
  }
  return std::unique_ptr<agent::ImageSource>(
      new DimseSource(std::move(endpoint), std::move(query), std::move(receiver)));
}

}  // namespace oncoatlas::dicom

#include "dicom/store_receiver.h"

#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/scp.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "dicom/internal/dcmtk_encoding.h"
#include "dicom/internal/dimse_setup.h"

namespace oncoatlas::dicom {
namespace {

class Inbox {
 public:
  void Put(std::string sop, std::string bytes) {
    {
      std::lock_guard<std::mutex> l(mu_);
      instances_[std::move(sop)] = std::move(bytes);
      ++received_;
    }
    cv_.notify_all();
  }
  Result<std::string> Take(const std::string& sop, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    if (!cv_.wait_for(l, timeout, [&] { return instances_.count(sop) != 0; })) {
      return NotFoundError("instance " + sop + " did not arrive at the agent's C-STORE SCP within " +
                           std::to_string(timeout.count()) + " ms");
    }
    auto it = instances_.find(sop);
    std::string bytes = std::move(it->second);
    instances_.erase(it);
    return bytes;
  }
  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    instances_.clear();
  }
  int received() const {
    std::lock_guard<std::mutex> l(mu_);
    return received_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> instances_;  // GUARDED_BY(mu_)
  int received_ = 0;                              // GUARDED_BY(mu_)
};

class Scp : public DcmSCP {
 public:
  Scp(Inbox& inbox, std::string aet) : inbox_(inbox), aet_(std::move(aet)) {}
  std::atomic<bool> stop{false};

 protected:
  OFCondition handleIncomingCommand(T_DIMSE_Message* msg, const DcmPresentationContextInfo& info) override {
    if (msg->CommandField != DIMSE_C_STORE_RQ) return DcmSCP::handleIncomingCommand(msg, info);
    T_DIMSE_C_StoreRQ& req = msg->msg.CStoreRQ;
    DcmDataset* ds = nullptr;
    OFCondition c = receiveSTORERequest(req, info.presentationContextID, ds);
    if (c.bad()) {
      delete ds;
      return c;
    }
    Uint16 status = STATUS_Success;
    OFString sop;
    if (ds == nullptr || ds->findAndGetOFString(DCM_SOPInstanceUID, sop).bad() || sop.empty()) {
      delete ds;
      status = STATUS_STORE_Error_CannotUnderstand;
    } else {
      auto bytes = EncodePart10(ds);  // takes ownership
      if (bytes.ok()) {
        inbox_.Put(std::string(sop.c_str(), sop.length()), std::move(*bytes));
      } else {
        status = STATUS_STORE_Refused_OutOfResources;
      }
    }
    return sendSTOREResponse(info.presentationContextID, req, status);
  }
  OFBool checkCalledAETitleAccepted(const OFString& called) override { return called == aet_.c_str(); }
  OFBool stopAfterConnectionTimeout() override { return stop.load(); }
  OFBool stopAfterCurrentAssociation() override { return stop.load(); }

 private:
  Inbox& inbox_;
  std::string aet_;
};

class DcmtkStoreReceiver : public StoreReceiver {
 public:
  explicit DcmtkStoreReceiver(const std::string& aet) : scp_(inbox_, aet) {}
  ~DcmtkStoreReceiver() override {
    scp_.stop = true;
    if (thread_.joinable()) thread_.join();
  }

  Status Open(const std::string& aet, int port) {
    scp_.setAETitle(aet.c_str());
    scp_.setPort(static_cast<Uint16>(port));
    scp_.setConnectionBlockingMode(DUL_NOBLOCK);
    scp_.setConnectionTimeout(1);  // how often the listener checks whether to stop
    scp_.setACSETimeout(30);
    scp_.setDIMSETimeout(60);
    scp_.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scp_.setHostLookupEnabled(OFFalse);
    scp_.addPresentationContext(UID_VerificationSOPClass, UncompressedSyntaxes());
    for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i) {
      scp_.addPresentationContext(dcmAllStorageSOPClassUIDs[i], StorageSyntaxes());
    }
    OFCondition c = scp_.openListenPort();
    if (c.bad()) {
      return UnavailableError("the agent's C-STORE SCP cannot listen on port " + std::to_string(port) + ": " +
                              c.text() + " (choose a free port the PACS can reach)");
    }
    thread_ = std::thread([this] { scp_.acceptAssociations(); });
    return Status::Ok();
  }

  Result<std::string> Take(const std::string& sop, std::chrono::milliseconds timeout) override {
    return inbox_.Take(sop, timeout);
  }
  void Clear() override { inbox_.Clear(); }
  int received() const override { return inbox_.received(); }

 private:
  Inbox inbox_;
  Scp scp_;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<StoreReceiver>> StoreReceiver::Start(const std::string& aet, int port) {
  if (port <= 0 || port > 65535) {
    return InvalidArgumentError("C-STORE SCP port " + std::to_string(port) + " is not in 1-65535");
  }
  auto r = std::make_unique<DcmtkStoreReceiver>(aet);
  ONCOATLAS_RETURN_IF_ERROR(r->Open(aet, port));
  return std::unique_ptr<StoreReceiver>(std::move(r));
}

}  // namespace oncoatlas::dicom

// The agent's own C-STORE SCP, the destination of the C-MOVEs the DIMSE source
// sends: listens on one port under the agent's AE title, keeps each instance
// it receives in memory as a Part 10 file until Take() claims it by SOP
// Instance UID. Thread-safe: the listener runs on its own thread; Take() and
// Clear() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/status.h"

namespace oncoatlas::dicom {

class StoreReceiver {
 public:
  // Opens the port (0 < port < 65536) and starts accepting associations
  // addressed to `aet` from any calling AE. Fails with a clear error when the
  // port cannot be opened.
  static Result<std::unique_ptr<StoreReceiver>> Start(const std::string& aet, int port);
  virtual ~StoreReceiver() = default;

  // Waits up to `timeout` for the instance `sop_instance_uid`, then hands over
  // its bytes (the receiver forgets it). NotFound after the timeout.
  virtual Result<std::string> Take(const std::string& sop_instance_uid, std::chrono::milliseconds timeout) = 0;
  // Drops every instance received and not taken (e.g. ones the PACS sent unasked).
  virtual void Clear() = 0;
  // Instances received so far (taken or not), for tests.
  virtual int received() const = 0;
};

}  // namespace oncoatlas::dicom

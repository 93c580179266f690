// PacsChecker: is the site's PACS reachable, and if not, one line a person can
// act on. One implementation per source kind of agent.yaml's `pacs`: DIMSE
// (C-ECHO with DCMTK), DICOMweb (GET <url>/studies?limit=1 with lib/http's
// client and the credentials dir's Basic or bearer auth, under its credential
// rule), folder (exists and is readable).
// Check() blocks for at most the checker's timeout; a checker may be used from
// one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "node/agent_config.h"

namespace oncoatlas::agent {

struct PacsCheckResult {
  bool reachable = false;
  std::string message;  // one line, no secrets
};

class PacsChecker {
 public:
  virtual ~PacsChecker() = default;
  virtual PacsCheckResult Check() = 0;
};

// The checker for `pacs.source`. `timeout` bounds one check.
std::unique_ptr<PacsChecker> MakePacsChecker(const PacsConfig& pacs,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace oncoatlas::agent

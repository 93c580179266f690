// The InstanceProcessor the pipeline runs on PACS and folder inputs: the
// de-identification engine (any deid::InstanceDeidentifier; the agent uses
// dicom::DcmtkDeidentifier) turning one file into a de-identified instance and
// the index record of its facets, or into a quarantine whose reason is the
// engine's (never an identifying value). Thread-safe when the engine is, which
// the InstanceDeidentifier contract requires.
#pragma once

#include "deid/instance_deidentifier.h"
#include "ingest/ingestion.h"

namespace oncoatlas::agent {

class DeidentifyingProcessor : public InstanceProcessor {
 public:
  // `engine` must outlive this object.
  explicit DeidentifyingProcessor(const deid::InstanceDeidentifier& engine) : engine_(engine) {}
  ProcessOutcome Process(const std::string& input) override;
  std::string SeriesKey(const std::string& input) override;
  void ProcessSeries(std::size_t count, const std::function<Result<std::string>(std::size_t)>& read,
                     const std::function<void(std::size_t, ProcessOutcome)>& done) override;

 private:
  const deid::InstanceDeidentifier& engine_;
};

}  // namespace oncoatlas::agent

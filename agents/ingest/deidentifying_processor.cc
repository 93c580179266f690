#include "ingest/deidentifying_processor.h"

namespace oncoatlas::agent {
namespace {

// The engine's answer for one input as the pipeline takes it.
ProcessOutcome ToOutcome(Result<deid::DeidentifiedInstance> result) {
  ProcessOutcome out;
  if (!result.ok()) {
    out.quarantine_reason = result.status().message();
    if (out.quarantine_reason.empty()) out.quarantine_reason = "rejected by the de-identification engine";
    return out;
  }
  deid::DeidentifiedInstance& d = *result;
  InstanceRecord r;
  r.patient_pseudonym = std::move(d.patient_pseudonym);
  r.study_uid = std::move(d.study_instance_uid);
  r.series_uid = std::move(d.series_instance_uid);
  r.sop_instance_uid = std::move(d.sop_instance_uid);
  r.modality = std::move(d.modality);
  r.body_part = std::move(d.body_part);
  r.sex = std::move(d.sex);
  r.age_band = std::move(d.age_band);
  r.study_year = d.study_year;
  r.manufacturer = std::move(d.manufacturer);
  out.instance = std::make_pair(std::move(d.bytes), std::move(r));
  return out;
}

}  // namespace

ProcessOutcome DeidentifyingProcessor::Process(const std::string& input) {
  return ToOutcome(engine_.Deidentify(input));
}

std::string DeidentifyingProcessor::SeriesKey(const std::string& input) { return engine_.SeriesKey(input); }

void DeidentifyingProcessor::ProcessSeries(std::size_t count,
                                           const std::function<Result<std::string>(std::size_t)>& read,
                                           const std::function<void(std::size_t, ProcessOutcome)>& done) {
  engine_.DeidentifySeries(count, read, [&](std::size_t i, Result<deid::DeidentifiedInstance> result) {
    done(i, ToOutcome(std::move(result)));
  });
}

}  // namespace oncoatlas::agent

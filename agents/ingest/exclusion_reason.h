// Why an item of a Dataset's source was not stored, as Dataset.status shows
// it: the engine's quarantine message (a sentence) classified into a
// CamelCase reason and into rejected (the file cannot be processed) or
// quarantined (it could be, but may identify someone and is held back for a
// person to look at). And RedactIdentifiers, which every message that may
// reach a status or a log line passes through.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace oncoatlas::agent {

enum class ExclusionKind { kRejected, kQuarantined };

struct ExclusionReason {
  ExclusionKind kind = ExclusionKind::kRejected;
  std::string reason;  // CamelCase, e.g. "BurnedInAnnotation", "Unparseable"
  bool operator==(const ExclusionReason&) const = default;
};

// Classifies a quarantine message of the de-identification engine (see
// dicom/dcmtk_deidentifier.cc). Unknown messages are rejected as
// "Unclassified", never shown as they are.
ExclusionReason ClassifyExclusion(std::string_view engine_message);

// Per kind, reason -> count, from the index's quarantine message counts.
struct ExclusionCounts {
  std::map<std::string, std::uint64_t> rejected;
  std::map<std::string, std::uint64_t> quarantined;
};
ExclusionCounts ClassifyExclusions(const std::map<std::string, std::uint64_t>& engine_messages);

// Replaces what could identify a person or a study in `text`: DICOM UIDs
// (digit groups joined by at least four dots; IPv4 addresses have three),
// text in single quotes (source keys, values), and the values of query
// parameters that carry identifiers (AccessionNumber=, PatientID=,
// PatientName=, StudyInstanceUID=, SeriesInstanceUID=, SOPInstanceUID=,
// StudyDate=). Everything else, such as host names, ports and reasons, stays,
// so the message remains useful.
std::string RedactIdentifiers(std::string_view text);

}  // namespace oncoatlas::agent

#include "ingest/exclusion_reason.h"

#include <array>
#include <cctype>
#include <utility>

namespace oncoatlas::agent {
namespace {

struct Rule {
  std::string_view prefix_or_part;  // matched anywhere in the message
  ExclusionKind kind;
  std::string_view reason;
};

// Order matters: the first rule whose text occurs in the message wins.
constexpr std::array kRules = {
    Rule{"Burned In Annotation is YES", ExclusionKind::kQuarantined, "BurnedInAnnotation"},
    Rule{"Burned In Annotation is absent", ExclusionKind::kQuarantined, "PossibleBurnedInAnnotation"},
    Rule{"Recognizable Visual Features is YES", ExclusionKind::kQuarantined, "RecognizableVisualFeatures"},
    Rule{"Recognizable Visual Features cannot be cleaned", ExclusionKind::kQuarantined, "UncleanableVisualFeatures"},
    Rule{"must be defaced together", ExclusionKind::kQuarantined, "RecognizableVisualFeatures"},
    Rule{"cannot be cleaned (Clean Pixel Data)", ExclusionKind::kQuarantined, "UncleanablePixelData"},
    Rule{"unsupported SOP class", ExclusionKind::kRejected, "UnsupportedSOPClass"},
    Rule{"empty file", ExclusionKind::kRejected, "EmptyFile"},
    Rule{"sequences nested deeper", ExclusionKind::kRejected, "NestingTooDeep"},
    Rule{"out of tag order", ExclusionKind::kRejected, "AttributesOutOfOrder"},
    Rule{"the attribute at byte", ExclusionKind::kRejected, "TruncatedFile"},
    Rule{"is encoded with VR", ExclusionKind::kRejected, "InvalidValueRepresentation"},
    Rule{"missing or malformed", ExclusionKind::kRejected, "MissingRequiredAttribute"},
    Rule{"not a readable DICOM file", ExclusionKind::kRejected, "Unparseable"},
    Rule{"not a DICOM file", ExclusionKind::kRejected, "Unparseable"},
    Rule{"could not", ExclusionKind::kRejected, "DeidentificationFailed"},
    Rule{"cannot encode", ExclusionKind::kRejected, "DeidentificationFailed"},
};

constexpr std::array<std::string_view, 7> kIdentifyingParameters = {
    "AccessionNumber=",   "PatientID=",      "PatientName=", "StudyInstanceUID=",
    "SeriesInstanceUID=", "SOPInstanceUID=", "StudyDate=",
};

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Length of a "digits(.digits)+" run at `i`, and its number of dots.
std::pair<size_t, int> DottedRun(std::string_view s, size_t i) {
  size_t j = i;
  int dots = 0;
  while (j < s.size()) {
    if (IsDigit(s[j])) {
      ++j;
    } else if (s[j] == '.' && j + 1 < s.size() && IsDigit(s[j + 1]) && j > i && IsDigit(s[j - 1])) {
      ++dots;
      ++j;
    } else {
      break;
    }
  }
  return {j - i, dots};
}

}  // namespace

ExclusionReason ClassifyExclusion(std::string_view message) {
  for (const Rule& r : kRules) {
    if (message.find(r.prefix_or_part) != std::string_view::npos) return {r.kind, std::string(r.reason)};
  }
  return {ExclusionKind::kRejected, "Unclassified"};
}

ExclusionCounts ClassifyExclusions(const std::map<std::string, std::uint64_t>& engine_messages) {
  ExclusionCounts out;
  for (const auto& [message, count] : engine_messages) {
    ExclusionReason r = ClassifyExclusion(message);
    (r.kind == ExclusionKind::kQuarantined ? out.quarantined : out.rejected)[r.reason] += count;
  }
  return out;
}

std::string RedactIdentifiers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // 'quoted' text: keys and values.
    if (text[i] == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end != std::string_view::npos) {
        out += "'<redacted>'";
        i = end + 1;
        continue;
      }
    }
    // Query parameters that carry identifiers.
    bool parameter = false;
    for (std::string_view p : kIdentifyingParameters) {
      if (text.substr(i, p.size()) == p && (i == 0 || text[i - 1] == '?' || text[i - 1] == '&' || text[i - 1] == ' ')) {
        out += p;
        out += "<redacted>";
        i += p.size();
        while (i < text.size() && text[i] != '&' && text[i] != ' ' && text[i] != ')' && text[i] != ';') ++i;
        parameter = true;
        break;
      }
    }
    if (parameter) continue;
    // DICOM UIDs: at least five digit groups, not part of a longer word.
    if (IsDigit(text[i]) && (i == 0 || (!IsDigit(text[i - 1]) && text[i - 1] != '.'))) {
      auto [length, dots] = DottedRun(text, i);
      if (dots >= 4) {
        out += "<uid>";
        i += length;
        continue;
      }
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace oncoatlas::agent

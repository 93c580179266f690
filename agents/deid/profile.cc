#include "deid/profile.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <unordered_map>

namespace oncoatlas::deid {
namespace {

constexpr ProfileOption kAllOptions[] = {
    ProfileOption::kRetainSafePrivate,
    ProfileOption::kRetainUids,
    ProfileOption::kRetainDeviceIdentity,
    ProfileOption::kRetainInstitutionIdentity,
    ProfileOption::kRetainPatientCharacteristics,
    ProfileOption::kRetainLongitudinalFullDates,
    ProfileOption::kRetainLongitudinalModifiedDates,
    ProfileOption::kCleanDescriptors,
    ProfileOption::kCleanStructuredContent,
    ProfileOption::kCleanGraphics,
};

// Attributes with combined codes that are type 1 or 2 in the IODs the agent
// handles (CT, MR, MG/DX, RT Plan/Dose/Structure Set/Treatment Record,
// presentation states). Keyed by tag; absent means type 3 (or not in those IODs).
const std::unordered_map<std::uint32_t, IodRequirement>& IodRequirements() {
  static const auto* table = new std::unordered_map<std::uint32_t, IodRequirement>{
      {0x00400555, IodRequirement::kType2},  // Acquisition Context Sequence (DX, MG, IO: type 2)
      {0x00080023, IodRequirement::kType2},  // Content Date (General Image: type 2C)
      {0x00080033, IodRequirement::kType2},  // Content Time (General Image: type 2C)
      {0x00180010, IodRequirement::kType2},  // Contrast/Bolus Agent (Contrast/Bolus module: type 2)
      {0x00700084, IodRequirement::kType2},  // Content Creator's Name (presentation states: type 2)
      {0x00100020, IodRequirement::kType2},  // Patient ID (Patient module: type 2)
      {0x300A0006, IodRequirement::kType2},  // RT Plan Date (RT General Plan: type 2)
      {0x300A0007, IodRequirement::kType2},  // RT Plan Time (RT General Plan: type 2)
      {0x300A00B2, IodRequirement::kType2},  // Treatment Machine Name (RT Beams: type 2)
      {0x30080250, IodRequirement::kType2},  // Treatment Date (RT treatment records: type 2)
      {0x30080251, IodRequirement::kType2},  // Treatment Time (RT treatment records: type 2)
  };
  return *table;
}

Action FromCode(ActionCode code) {
  switch (code) {
    case ActionCode::kD:
      return Action::kDummy;
    case ActionCode::kZ:
      return Action::kEmpty;
    case ActionCode::kX:
      return Action::kRemove;
    case ActionCode::kK:
      return Action::kKeep;
    case ActionCode::kC:
      return Action::kClean;
    case ActionCode::kU:
      return Action::kReplaceUid;
    default:
      return Action::kKeep;  // combined codes are resolved by the caller
  }
}

Action ResolveCombined(ActionCode code, IodRequirement req) {
  switch (code) {
    case ActionCode::kXZ:
      if (req == IodRequirement::kType2) return Action::kEmpty;
      if (req == IodRequirement::kType1) return Action::kDummy;
      return Action::kRemove;
    case ActionCode::kZD:
      return req == IodRequirement::kType1 ? Action::kDummy : Action::kEmpty;
    case ActionCode::kXD:
      return req == IodRequirement::kOptional ? Action::kRemove : Action::kDummy;
    case ActionCode::kXZD:
      if (req == IodRequirement::kType2) return Action::kEmpty;
      if (req == IodRequirement::kType1) return Action::kDummy;
      return Action::kRemove;
    case ActionCode::kXZU:
      return req == IodRequirement::kOptional ? Action::kRemove : Action::kReplaceUid;
    default:
      return FromCode(code);
  }
}

}  // namespace

Result<SafePrivateTag> SafePrivateTag::Parse(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("safe private tag \"" + text + "\": " + why +
                                "; write it as CREATOR:gggg,xxee with an odd group, e.g. \"ACME 1.1:0019,xx10\"");
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("no private creator before ':'");
  std::string tag = text.substr(colon + 1);
  if (tag.size() != 9 || tag[4] != ',' || (tag[5] != 'x' && tag[5] != 'X') || (tag[6] != 'x' && tag[6] != 'X')) {
    return bad("tag is not gggg,xxee");
  }
  unsigned group = 0, element = 0;
  for (int i = 0; i < 4; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(tag[i]))) return bad("group is not hexadecimal");
  }
  for (int i = 7; i < 9; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(tag[i]))) return bad("element byte is not hexadecimal");
  }
  group = static_cast<unsigned>(std::stoul(tag.substr(0, 4), nullptr, 16));
  element = static_cast<unsigned>(std::stoul(tag.substr(7, 2), nullptr, 16));
  if (group % 2 == 0 || group <= 0x0008) return bad("group is not a private (odd, above 0008) group");
  SafePrivateTag t;
  t.creator = text.substr(0, colon);
  t.group = static_cast<std::uint16_t>(group);
  t.element = static_cast<std::uint8_t>(element);
  return t;
}

Status ProfileOptions::Validate() const {
  if (retain_longitudinal_full_dates && retain_longitudinal_modified_dates) {
    return InvalidArgumentError(
        "Retain Longitudinal Full Dates and Retain Longitudinal Modified Dates exclude each other; choose one");
  }
  if (max_date_shift_days < 1 || max_date_shift_days > kMaxDateShiftDaysLimit) {
    return InvalidArgumentError("the largest date shift is " + std::to_string(max_date_shift_days) +
                                " days; give 1 to " + std::to_string(kMaxDateShiftDaysLimit));
  }
  if (!safe_private.empty() && !retain_safe_private) {
    return InvalidArgumentError("a safe private list was given without Retain Safe Private; turn the option on");
  }
  if (!burned_in_text.empty() && !clean_pixel_data) {
    return InvalidArgumentError(
        "burned-in text regions were given without Clean Pixel Data; turn the option on or drop the regions");
  }
  if (clean_pixel_data && burned_in_text.empty()) {
    return InvalidArgumentError(
        "Clean Pixel Data needs at least one burned-in text region rule (device, image size and the rectangles "
        "where it burns text); add the rules for the site's devices");
  }
  for (std::size_t i = 0; i < burned_in_text.size(); ++i) {
    const BurnedInTextRule& r = burned_in_text[i];
    const std::string which = "burned-in text rule " + std::to_string(i + 1) + " (modality " +
                              (r.modality.empty() ? std::string("any") : r.modality) + ", " +
                              std::to_string(r.columns) + "x" + std::to_string(r.rows) + ")";
    if (r.rows < 1 || r.rows > 65535 || r.columns < 1 || r.columns > 65535) {
      return InvalidArgumentError(which + ": rows and columns must be 1 to 65535; give the image size in pixels");
    }
    if (r.regions.empty()) {
      return InvalidArgumentError(which + " has no regions; give at least one rectangle to blank");
    }
    for (std::size_t j = 0; j < r.regions.size(); ++j) {
      const PixelRegion& g = r.regions[j];
      const std::string region = which + ", region " + std::to_string(j + 1) + " (x " + std::to_string(g.x) + ", y " +
                                 std::to_string(g.y) + ", " + std::to_string(g.width) + "x" + std::to_string(g.height) +
                                 ")";
      if (g.x < 0 || g.y < 0 || g.width < 1 || g.height < 1) {
        return InvalidArgumentError(region + ": x and y must be >= 0 and width and height >= 1");
      }
      if (std::int64_t{g.x} + g.width > r.columns || std::int64_t{g.y} + g.height > r.rows) {
        return InvalidArgumentError(region + " reaches outside the " + std::to_string(r.columns) + "x" +
                                    std::to_string(r.rows) +
                                    " image; keep x + width <= columns and y + height <= rows");
      }
    }
  }
  return Status::Ok();
}

bool ProfileOptions::enabled(ProfileOption o) const {
  switch (o) {
    case ProfileOption::kRetainSafePrivate:
      return retain_safe_private;
    case ProfileOption::kRetainUids:
      return retain_uids;
    case ProfileOption::kRetainDeviceIdentity:
      return retain_device_identity;
    case ProfileOption::kRetainInstitutionIdentity:
      return retain_institution_identity;
    case ProfileOption::kRetainPatientCharacteristics:
      return retain_patient_characteristics;
    case ProfileOption::kRetainLongitudinalFullDates:
      return retain_longitudinal_full_dates;
    case ProfileOption::kRetainLongitudinalModifiedDates:
      return retain_longitudinal_modified_dates;
    case ProfileOption::kCleanDescriptors:
      return clean_descriptors;
    case ProfileOption::kCleanStructuredContent:
      return clean_structured_content;
    case ProfileOption::kCleanGraphics:
      return clean_graphics;
  }
  return false;
}

const char* ActionName(Action a) {
  switch (a) {
    case Action::kKeep:
      return "keep";
    case Action::kRemove:
      return "remove";
    case Action::kEmpty:
      return "empty";
    case Action::kDummy:
      return "dummy";
    case Action::kClean:
      return "clean";
    case Action::kReplaceUid:
      return "replace-uid";
  }
  return "?";
}

namespace {
bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// IODs with the Multi-frame Functional Groups and Enhanced General Equipment modules.
bool IsEnhancedMultiFrame(std::string_view sop_class) {
  static constexpr std::string_view kClasses[] = {
      "1.2.840.10008.5.1.4.1.1.2.1",    "1.2.840.10008.5.1.4.1.1.2.2",    "1.2.840.10008.5.1.4.1.1.4.1",
      "1.2.840.10008.5.1.4.1.1.4.2",    "1.2.840.10008.5.1.4.1.1.4.3",    "1.2.840.10008.5.1.4.1.1.4.4",
      "1.2.840.10008.5.1.4.1.1.12.1.1", "1.2.840.10008.5.1.4.1.1.12.2.1", "1.2.840.10008.5.1.4.1.1.13.1.3",
      "1.2.840.10008.5.1.4.1.1.128.1",  "1.2.840.10008.5.1.4.1.1.130",    "1.2.840.10008.5.1.4.1.1.66.4",
      "1.2.840.10008.5.1.4.1.1.6.2",    "1.2.840.10008.5.1.4.1.1.77.1.6",
  };
  for (std::string_view c : kClasses) {
    if (sop_class == c) return true;
  }
  return false;
}
}  // namespace

IodRequirement RequirementInIod(std::uint32_t tag, std::string_view sop_class) {
  const bool sr = StartsWith(sop_class, "1.2.840.10008.5.1.4.1.1.88.");
  const bool waveform = StartsWith(sop_class, "1.2.840.10008.5.1.4.1.1.9.");
  const bool rt = StartsWith(sop_class, "1.2.840.10008.5.1.4.1.1.481.");
  const bool enhanced = IsEnhancedMultiFrame(sop_class);
  switch (tag) {
    case 0x00080023:  // Content Date: SR Document General, Multi-frame Functional Groups, Waveform Identification
    case 0x00080033:  // Content Time: likewise
      if (sr || enhanced || waveform) return IodRequirement::kType1;
      break;
    case 0x0008002A:  // Acquisition DateTime: enhanced images (1C) and waveforms
      if (enhanced || waveform) return IodRequirement::kType1;
      break;
    case 0x00181000:  // Device Serial Number: Enhanced General Equipment
      if (enhanced) return IodRequirement::kType1;
      break;
    case 0x00082112:  // Source Image Sequence: Derivation Image macro (type 2)
      if (enhanced) return IodRequirement::kType2;
      break;
    case 0x00081111:  // Referenced Performed Procedure Step Sequence: SR Document Series
      if (sr) return IodRequirement::kType2;
      break;
    case 0x00081070:  // Operators' Name: RT Series
      if (rt) return IodRequirement::kType2;
      break;
    default:
      break;
  }
  const auto& table = IodRequirements();
  auto it = table.find(tag);
  return it == table.end() ? IodRequirement::kOptional : it->second;
}

Action ResolveRule(const ProfileRule& rule, const ProfileOptions& options, IodRequirement requirement) {
  bool any_keep = false, any_clean = false;
  for (ProfileOption o : kAllOptions) {
    if (!options.enabled(o)) continue;
    ActionCode c = rule.option(o);
    if (c == ActionCode::kK) any_keep = true;
    if (c == ActionCode::kC) any_clean = true;
  }
  if (any_keep) return Action::kKeep;
  if (any_clean) return Action::kClean;
  return ResolveCombined(rule.basic, requirement);
}

namespace {
struct RuleIndex {
  std::unordered_map<std::uint32_t, const ProfileRule*> exact;
  std::vector<const ProfileRule*> masked;
  const ProfileRule* private_row = nullptr;
};
const RuleIndex& Index() {
  static const RuleIndex* index = [] {
    auto* idx = new RuleIndex;
    for (std::size_t i = 0; i < kProfileRuleCount; ++i) {
      const ProfileRule& r = kProfileRules[i];
      if (r.private_attributes) {
        idx->private_row = &r;
      } else if (r.mask == 0xFFFFFFFFu) {
        idx->exact.emplace(r.value, &r);
      } else {
        idx->masked.push_back(&r);
      }
    }
    return idx;
  }();
  return *index;
}
}  // namespace

Profile::Profile(ProfileOptions options) : options_(std::move(options)) {}

const ProfileRule* Profile::FindRule(std::uint32_t tag) const {
  const RuleIndex& idx = Index();
  if ((tag >> 16) % 2 == 1) return idx.private_row;
  auto it = idx.exact.find(tag);
  if (it != idx.exact.end()) return it->second;
  for (const ProfileRule* r : idx.masked) {
    if ((tag & r->mask) == r->value) {
      // (50XX,XXXX) and (60XX,...) name the even repeating groups 5000-501E and 6000-601E only.
      std::uint16_t group = static_cast<std::uint16_t>(tag >> 16);
      if ((group & 0xFF) <= 0x1E) return r;
    }
  }
  return nullptr;
}

Action Profile::Decide(std::uint32_t tag, std::string_view sop_class) const {
  const ProfileRule* rule = FindRule(tag);
  if (rule == nullptr) return Action::kKeep;
  return ResolveRule(*rule, options_, RequirementInIod(tag, sop_class));
}

bool Profile::KeepPrivate(std::uint16_t group, std::uint8_t element_byte, const std::string& creator) const {
  if (!options_.retain_safe_private || creator.empty()) return false;
  return std::any_of(options_.safe_private.begin(), options_.safe_private.end(), [&](const SafePrivateTag& t) {
    return t.group == group && t.element == element_byte && t.creator == creator;
  });
}

bool Profile::KeepPrivateCreator(std::uint16_t group, const std::string& creator) const {
  if (!options_.retain_safe_private || creator.empty()) return false;
  return std::any_of(options_.safe_private.begin(), options_.safe_private.end(),
                     [&](const SafePrivateTag& t) { return t.group == group && t.creator == creator; });
}

namespace {
std::string TrimmedCode(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();  // DICOM pads with spaces (or NUL)
  std::size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}
bool FieldMatches(const std::string& rule, const std::string& value) {
  std::string r = TrimmedCode(rule);
  return r.empty() || r == TrimmedCode(value);
}
}  // namespace

std::vector<PixelRegion> Profile::BurnedInTextRegions(const ImageDevice& device) const {
  std::vector<PixelRegion> out;
  if (!options_.clean_pixel_data) return out;
  for (const BurnedInTextRule& r : options_.burned_in_text) {
    if (r.rows == device.rows && r.columns == device.columns && FieldMatches(r.modality, device.modality) &&
        FieldMatches(r.manufacturer, device.manufacturer) && FieldMatches(r.model, device.model)) {
      out.insert(out.end(), r.regions.begin(), r.regions.end());
    }
  }
  return out;
}

std::vector<MethodCode> Profile::MethodCodes(bool pixels_cleaned, bool features_cleaned) const {
  const ProfileOptions& o = options_;
  std::vector<MethodCode> codes{{"113100", "Basic Application Confidentiality Profile"}};
  auto add = [&](bool on, const char* value, const char* meaning) {
    if (on) codes.push_back({value, meaning});
  };
  add(o.clean_pixel_data && pixels_cleaned, "113101", "Clean Pixel Data Option");
  add(o.clean_recognizable_visual_features && features_cleaned, "113102", "Clean Recognizable Visual Features Option");
  add(o.clean_graphics, "113103", "Clean Graphics Option");
  add(o.clean_structured_content, "113104", "Clean Structured Content Option");
  add(o.clean_descriptors, "113105", "Clean Descriptors Option");
  add(o.retain_longitudinal_full_dates, "113106", "Retain Longitudinal Temporal Information Full Dates Option");
  add(o.retain_longitudinal_modified_dates, "113107", "Retain Longitudinal Temporal Information Modified Dates Option");
  add(o.retain_patient_characteristics, "113108", "Retain Patient Characteristics Option");
  add(o.retain_device_identity, "113109", "Retain Device Identity Option");
  add(o.retain_uids, "113110", "Retain UIDs Option");
  add(o.retain_safe_private, "113111", "Retain Safe Private Option");
  add(o.retain_institution_identity, "113112", "Retain Institution Identity Option");
  return codes;
}

std::string Profile::MethodDescription(bool pixels_cleaned, bool features_cleaned) const {
  std::string s = "OncoAtlas PS3.15 E.1-1 Basic";
  for (const MethodCode& c : MethodCodes(pixels_cleaned, features_cleaned)) {
    if (c.value != "113100") s += " " + c.value;
  }
  if (s.size() > 64) s.resize(64);
  return s;
}

std::string Profile::LongitudinalTemporalInformationModified() const {
  if (options_.retain_longitudinal_full_dates) return "UNMODIFIED";
  if (options_.retain_longitudinal_modified_dates) return "MODIFIED";
  return "REMOVED";
}

}  // namespace oncoatlas::deid

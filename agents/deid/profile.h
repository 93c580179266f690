// The de-identification profile without DICOM parsing: given the options a
// caller chose, decides the action for any tag (PS3.15 Annex E, table E.1-1).
// A Profile is immutable after construction; its const methods are thread-safe.
//
// Decisions this module makes, where the standard leaves a choice:
// - Option precedence: among the options chosen that name an attribute, K (keep)
//   wins over C (clean), and any option wins over the basic profile. Retain
//   Longitudinal Full Dates and Retain Longitudinal Modified Dates exclude each
//   other (ProfileOptions::Validate rejects both).
// - Combined codes (X/Z, Z/D, X/D, X/Z/D, X/Z/U*) take their first action unless
//   RequirementInIod() says the attribute is type 1 or type 2 in the IODs the
//   agent handles: type 2 then takes Z where offered (else D), type 1 takes D
//   (U* for X/Z/U*: the sequence stays and the UIDs inside are replaced).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "deid/profile_table.h"

namespace oncoatlas::deid {

// A private attribute that Retain Safe Private keeps: the private creator that
// reserved the block, the (odd) group, and the element's low byte (xxEE).
struct SafePrivateTag {
  std::string creator;
  std::uint16_t group = 0;
  std::uint8_t element = 0;

  // Parses "CREATOR:gggg,xxee" (e.g. "ACME 1.1:0019,xx10").
  static Result<SafePrivateTag> Parse(const std::string& text);
  bool operator==(const SafePrivateTag&) const = default;
};

// A rectangle of an image's pixel matrix, in pixels from the top left corner.
struct PixelRegion {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool operator==(const PixelRegion&) const = default;
};

// Where one kind of device burns text into its images (Clean Pixel Data). A rule
// matches an instance whose Modality, Manufacturer and Manufacturer's Model Name
// equal the rule's (trimmed, case-sensitive; an empty field matches any value)
// and whose Rows and Columns equal the rule's.
struct BurnedInTextRule {
  std::string modality;
  std::string manufacturer;
  std::string model;
  int rows = 0;
  int columns = 0;
  std::vector<PixelRegion> regions;
  bool operator==(const BurnedInTextRule&) const = default;
};

// The device values of one image that rules are matched against.
struct ImageDevice {
  std::string modality;
  std::string manufacturer;
  std::string model;
  int rows = 0;
  int columns = 0;
};

struct ProfileOptions {
  // Clean Pixel Data: images matching a rule of burned_in_text get its regions
  // blanked; images that may show burned-in text and match none are quarantined.
  bool clean_pixel_data = false;
  bool clean_recognizable_visual_features = false;
  bool clean_graphics = false;
  bool clean_structured_content = false;
  bool clean_descriptors = false;
  bool retain_longitudinal_full_dates = false;
  bool retain_longitudinal_modified_dates = false;
  bool retain_patient_characteristics = false;
  bool retain_device_identity = false;
  bool retain_uids = false;
  bool retain_safe_private = false;
  bool retain_institution_identity = false;
  std::vector<SafePrivateTag> safe_private;      // used only with retain_safe_private
  std::vector<BurnedInTextRule> burned_in_text;  // used only with clean_pixel_data
  // With retain_longitudinal_modified_dates: a patient's dates move by a keyed
  // offset of 1..max_date_shift_days days, earlier or later (1..3650).
  int max_date_shift_days = kDefaultMaxDateShiftDays;
  static constexpr int kDefaultMaxDateShiftDays = 365;
  static constexpr int kMaxDateShiftDaysLimit = 3650;

  Status Validate() const;
  bool enabled(ProfileOption o) const;
};

// What to do with one attribute.
enum class Action {
  kKeep,        // K (and attributes the table does not list); sequences are still cleaned inside
  kRemove,      // X
  kEmpty,       // Z
  kDummy,       // D
  kClean,       // C
  kReplaceUid,  // U
};
const char* ActionName(Action a);

// How an IOD the agent handles requires an attribute (used for combined codes).
// `sop_class` is the instance's SOP Class UID (empty if unknown): Content Date and
// Time, for instance, are type 2 in image IODs and type 1 in structured reports.
enum class IodRequirement { kOptional, kType1, kType2 };
IodRequirement RequirementInIod(std::uint32_t tag, std::string_view sop_class = {});

// A coded entry of De-identification Method Code Sequence (CID 7050, scheme DCM).
struct MethodCode {
  std::string value;
  std::string meaning;
};

class Profile {
 public:
  // REQUIRES: options.Validate().ok()
  explicit Profile(ProfileOptions options);

  const ProfileOptions& options() const { return options_; }

  // The table row that governs `tag`, or nullptr when the table does not list it.
  // Private tags (odd group) match the private-attributes row.
  const ProfileRule* FindRule(std::uint32_t tag) const;

  // The action for a public (even group) attribute of an instance of `sop_class`.
  // Attributes not in the table are kept.
  Action Decide(std::uint32_t tag, std::string_view sop_class = {}) const;

  // Whether a private attribute stays: only with Retain Safe Private and only when
  // (creator, group, element byte) is in the safe list. `creator` is empty when
  // the block has no creator (such an attribute never stays).
  bool KeepPrivate(std::uint16_t group, std::uint8_t element_byte, const std::string& creator) const;
  // Whether a private creator element (gggg,00xx) stays: when it reserves a block
  // that holds at least one safe attribute.
  bool KeepPrivateCreator(std::uint16_t group, const std::string& creator) const;

  // The regions to blank in an image of `device`: those of every matching rule
  // of burned_in_text, in rule order; empty when none matches (or without Clean
  // Pixel Data).
  std::vector<PixelRegion> BurnedInTextRegions(const ImageDevice& device) const;

  // CID 7050 codes for the profile and the options applied to one instance, in
  // code order. Clean Pixel Data (113101) is listed only when `pixels_cleaned`:
  // the option is applied per instance, to those a rule matched; Clean
  // Recognizable Visual Features (113102) only when `features_cleaned` (the
  // instance was defaced).
  std::vector<MethodCode> MethodCodes(bool pixels_cleaned = false, bool features_cleaned = false) const;
  // Free-text De-identification Method (0012,0063), at most 64 characters.
  std::string MethodDescription(bool pixels_cleaned = false, bool features_cleaned = false) const;
  // "REMOVED", "MODIFIED" or "UNMODIFIED" for (0028,0303).
  std::string LongitudinalTemporalInformationModified() const;

 private:
  ProfileOptions options_;
};

// Resolves one row's code under the options (exposed for tests).
Action ResolveRule(const ProfileRule& rule, const ProfileOptions& options, IodRequirement requirement);

}  // namespace oncoatlas::deid

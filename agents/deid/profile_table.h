// PS3.15 Annex E table E.1-1 as data: one ProfileRule per row of the standard's
// table, generated at build time from data/confidentiality_profile_attributes.json
// (generate_profile_table.py). Immutable; safe to read from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace oncoatlas::deid {

// An action code exactly as the table writes it (kNone: the column is empty).
enum class ActionCode : std::uint8_t { kNone, kD, kZ, kX, kK, kC, kU, kXZ, kZD, kXD, kXZD, kXZU };

// The table's option columns, in the generator's order.
enum class ProfileOption : std::uint8_t {
  kRetainSafePrivate,
  kRetainUids,
  kRetainDeviceIdentity,
  kRetainInstitutionIdentity,
  kRetainPatientCharacteristics,
  kRetainLongitudinalFullDates,
  kRetainLongitudinalModifiedDates,
  kCleanDescriptors,
  kCleanStructuredContent,
  kCleanGraphics,
};
inline constexpr std::size_t kProfileOptionColumns = 10;

struct ProfileRule {
  // A tag matches when (tag & mask) == value; "(60XX,4000)" is value 0x60004000,
  // mask 0xFF00FFFF. The private-attributes row matches every odd group instead.
  std::uint32_t value;
  std::uint32_t mask;
  bool private_attributes;
  const char* name;  // the attribute's name, "(see Note N)" trimmed
  ActionCode basic;
  std::array<ActionCode, kProfileOptionColumns> options;  // indexed by ProfileOption

  ActionCode option(ProfileOption o) const { return options[static_cast<std::size_t>(o)]; }
};

extern const ProfileRule kProfileRules[];
extern const std::size_t kProfileRuleCount;

}  // namespace oncoatlas::deid

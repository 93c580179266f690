// Keyed pseudonyms for one site: HMAC-SHA256 under the site's secret key gives
// patient pseudonyms, deterministic "2.25." UIDs and per-patient date offsets.
// The same key and input always give the same output; without the key nothing
// can be reversed. Immutable after creation; const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas::deid {

class Pseudonymizer {
 public:
  static constexpr std::size_t kMinKeyBytes = 16;

  // Fails when the key is shorter than kMinKeyBytes.
  static Result<Pseudonymizer> Create(std::string key);

  // "P" + 32 hex digits; identical for identical patient identifiers.
  std::string PatientPseudonym(std::string_view patient_id) const;

  // "2.25." + the decimal value of the first 128 bits of the keyed hash of `uid`.
  std::string MapUid(std::string_view uid) const;

  // Whole days to add to every date of this patient: never 0, at most
  // `max_days` either way (max_days >= 1; the Dataset's maxDateShiftDays).
  int DateOffsetDays(std::string_view patient_id, int max_days) const;

  // HMAC-SHA256(key, domain || 0x00 || data).
  std::array<std::uint8_t, 32> Hash(std::string_view domain, std::string_view data) const;

 private:
  explicit Pseudonymizer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// Decimal text of a 128-bit big-endian unsigned integer (exposed for tests).
std::string Uint128ToDecimal(const std::array<std::uint8_t, 16>& big_endian);

}  // namespace oncoatlas::deid

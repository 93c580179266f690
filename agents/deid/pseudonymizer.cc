#include "deid/pseudonymizer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace oncoatlas::deid {

Result<Pseudonymizer> Pseudonymizer::Create(std::string key) {
  if (key.size() < kMinKeyBytes) {
    return InvalidArgumentError("pseudonymisation key has " + std::to_string(key.size()) +
                                " bytes; it needs at least " + std::to_string(kMinKeyBytes) +
                                " (e.g. `openssl rand -out key.bin 32`)");
  }
  return Pseudonymizer(std::move(key));
}

std::array<std::uint8_t, 32> Pseudonymizer::Hash(std::string_view domain, std::string_view data) const {
  std::string message;
  message.reserve(domain.size() + 1 + data.size());
  message.append(domain);
  message.push_back('\0');
  message.append(data);
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out.data(), &len);
  return out;
}

std::string Pseudonymizer::PatientPseudonym(std::string_view patient_id) const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto h = Hash("patient-id", patient_id);
  std::string s = "P";
  for (std::size_t i = 0; i < 16; ++i) {
    s.push_back(kHex[h[i] >> 4]);
    s.push_back(kHex[h[i] & 0xF]);
  }
  return s;
}

std::string Uint128ToDecimal(const std::array<std::uint8_t, 16>& big_endian) {
  std::array<std::uint8_t, 16> n = big_endian;
  std::string digits;
  auto is_zero = [&] { return std::all_of(n.begin(), n.end(), [](std::uint8_t b) { return b == 0; }); };
  if (is_zero()) return "0";
  while (!is_zero()) {
    unsigned remainder = 0;
    for (std::uint8_t& byte : n) {
      unsigned cur = (remainder << 8) | byte;
      byte = static_cast<std::uint8_t>(cur / 10);
      remainder = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + remainder));
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string Pseudonymizer::MapUid(std::string_view uid) const {
  auto h = Hash("uid", uid);
  std::array<std::uint8_t, 16> top{};
  std::copy_n(h.begin(), 16, top.begin());
  return "2.25." + Uint128ToDecimal(top);
}

int Pseudonymizer::DateOffsetDays(std::string_view patient_id) const {
  auto h = Hash("date-offset", patient_id);
  std::uint32_t v = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) | h[3];
  return -static_cast<int>(1 + v % 3650);
}

}  // namespace oncoatlas::deid

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

__extension__ typedef unsigned __int128 Uint128;

std::string Uint128ToDecimal(const std::array<std::uint8_t, 16>& big_endian) {
  Uint128 n = 0;
  for (std::uint8_t byte : big_endian) n = (n << 8) | byte;
  char buf[40];
  char* end = buf + sizeof(buf);
  char* p = end;
  // 19 digits at a time: one 128-bit division per chunk, the rest in 64 bits.
  constexpr std::uint64_t kChunk = 10000000000000000000ull;
  do {
    std::uint64_t chunk = static_cast<std::uint64_t>(n % kChunk);
    n /= kChunk;
    for (int i = 0; i < 19 && (n != 0 || chunk != 0); ++i) {
      *--p = static_cast<char>('0' + chunk % 10);
      chunk /= 10;
    }
  } while (n != 0);
  if (p == end) *--p = '0';
  return std::string(p, end);
}

std::string Pseudonymizer::MapUid(std::string_view uid) const {
  auto h = Hash("uid", uid);
  std::array<std::uint8_t, 16> top{};
  std::copy_n(h.begin(), 16, top.begin());
  return "2.25." + Uint128ToDecimal(top);
}

int Pseudonymizer::DateOffsetDays(std::string_view patient_id, int max_days) const {
  auto h = Hash("date-offset", patient_id);
  const std::uint64_t v =
      (std::uint64_t{h[0]} << 24) | (std::uint64_t{h[1]} << 16) | (std::uint64_t{h[2]} << 8) | std::uint64_t{h[3]};
  const std::uint64_t span = static_cast<std::uint64_t>(std::max(max_days, 1));
  // 2 * span outcomes: -span..-1 and 1..span (a zero shift would keep the dates).
  const auto r = static_cast<std::int64_t>(v % (2 * span));
  const auto s = static_cast<std::int64_t>(span);
  return static_cast<int>(r < s ? -(r + 1) : r - s + 1);
}

}  // namespace oncoatlas::deid

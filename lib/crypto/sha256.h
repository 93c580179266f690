// SHA-256 digests (OpenSSL), as raw bytes or lower-case hex. Stateless
// functions and a streaming hasher; a Sha256 object is not thread-safe, the
// free functions are.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace oncoatlas::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
std::string ToHex(const std::uint8_t* data, size_t size);
inline std::string ToHex(const Digest& d) { return ToHex(d.data(), d.size()); }
// Parses 64 hex digits; returns false on anything else.
bool FromHex(std::string_view hex, Digest* out);

// Incremental hashing for data that arrives in pieces (files, streams).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // Finishes the digest; the hasher may not be updated afterwards.
  Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncoatlas::crypto

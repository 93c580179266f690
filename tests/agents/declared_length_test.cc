// Crafted inputs whose element length field claims close to 4 GiB where a
// reader that guesses the encoding differently from DCMTK sees a short, valid
// length: each must be quarantined with a reason, and no single allocation may
// come anywhere near the claimed length (the engine must compare declared
// lengths with the bytes that remain before it allocates).
//
// This binary replaces the global operator new/delete to record the largest
// request and to refuse anything above kRefuseAbove, so that even a regression
// does not actually take gigabytes from the machine running the tests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include <zlib.h>

#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"

namespace {

constexpr std::size_t kRefuseAbove = std::size_t{256} << 20;
std::atomic<std::size_t> largest_request{0};

void* Allocate(std::size_t n) {
  std::size_t seen = largest_request.load(std::memory_order_relaxed);
  while (n > seen && !largest_request.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
  }
  if (n > kRefuseAbove) return nullptr;
  return std::malloc(n == 0 ? 1 : n);
}

}  // namespace

void* operator new(std::size_t n) {
  if (void* p = Allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = Allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace oncoatlas::dicom {
namespace {

constexpr std::uint16_t kShortValue = 0xFFF0;  // the length a 16-bit reading finds; the file holds exactly this many

// Little-endian byte writer for hand-made files.
struct Bytes {
  std::string b;
  Bytes& U16(std::uint16_t v) {
    b.push_back(static_cast<char>(v & 0xFF));
    b.push_back(static_cast<char>(v >> 8));
    return *this;
  }
  Bytes& U32(std::uint32_t v) {
    return U16(static_cast<std::uint16_t>(v & 0xFFFF)).U16(static_cast<std::uint16_t>(v >> 16));
  }
  Bytes& Raw(const std::string& s) {
    b += s;
    return *this;
  }
  Bytes& Tag(std::uint16_t g, std::uint16_t e) { return U16(g).U16(e); }
  // Explicit VR element with a 2-byte length.
  Bytes& Short(std::uint16_t g, std::uint16_t e, const char* vr, const std::string& v) {
    return Tag(g, e).Raw(vr).U16(static_cast<std::uint16_t>(v.size())).Raw(v);
  }
  // Explicit VR element with a 4-byte length.
  Bytes& Long(std::uint16_t g, std::uint16_t e, const char* vr, const std::string& v) {
    return Tag(g, e).Raw(vr).U16(0).U32(static_cast<std::uint32_t>(v.size())).Raw(v);
  }
};

std::string Uid(std::string s) {
  if (s.size() % 2 == 1) s.push_back('\0');
  return s;
}

// Preamble, "DICM" and conforming explicit VR little endian meta information.
Bytes Meta(const std::string& transfer_syntax) {
  Bytes body;
  body.Long(0x0002, 0x0001, "OB", std::string("\0\1", 2))
      .Short(0x0002, 0x0002, "UI", Uid("1.2.840.10008.5.1.4.1.1.2"))
      .Short(0x0002, 0x0003, "UI", Uid("1.2.3.4"))
      .Short(0x0002, 0x0010, "UI", Uid(transfer_syntax));
  Bytes out;
  out.Raw(std::string(128, '\0')).Raw("DICM");
  out.Tag(0x0002, 0x0000).Raw("UL").U16(4).U32(static_cast<std::uint32_t>(body.b.size())).Raw(body.b);
  return out;
}

constexpr const char* kImplicitLittle = "1.2.840.10008.1.2";
constexpr const char* kExplicitLittle = "1.2.840.10008.1.2.1";

// An explicit VR short-length header whose bytes, read as an implicit VR
// 32-bit length, claim 0xFFF04F4C bytes ("LO" followed by F0 FF).
Bytes& LooksExplicit(Bytes& b, std::uint16_t g, std::uint16_t e) {
  return b.Tag(g, e).Raw("LO").U16(kShortValue).Raw(std::string(kShortValue, 'A'));
}

struct Case {
  const char* name;
  std::string bytes;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  {  // Meta information in implicit VR: (0002,0001) claims 0xFFF00000 bytes.
    Bytes b;
    b.Raw(std::string(128, '\0')).Raw("DICM").Tag(0x0002, 0x0001).U32(0xFFF00000u).Raw(std::string(kShortValue, 1));
    cases.push_back({"implicit VR in the meta information", b.b});
  }
  {  // Meta information in explicit VR with an unknown VR: DCMTK reads a 4-byte length.
    Bytes b;
    b.Raw(std::string(128, '\0')).Raw("DICM").Tag(0x0002, 0x0001).Raw("ZZ").U16(kShortValue);
    b.U32(0xFFFFFFF0u).Raw(std::string(kShortValue - 4, 'C'));
    cases.push_back({"explicit VR (unknown VR) in the meta information", b.b});
  }
  {  // The meta says implicit VR; the data set's first element looks explicit.
    Bytes b = Meta(kImplicitLittle);
    LooksExplicit(b, 0x0008, 0x0005);
    cases.push_back({"implicit VR in the data set", b.b});
  }
  {  // Explicit VR data set, an unknown VR: DCMTK reads 2 reserved bytes and a 4-byte length.
    Bytes b = Meta(kExplicitLittle);
    b.Short(0x0008, 0x0016, "UI", Uid("1.2.840.10008.5.1.4.1.1.2"));
    b.Tag(0x0008, 0x0018).Raw("ZZ").U16(kShortValue).U32(0xFFFFFFF0u).Raw(std::string(kShortValue - 4, 'C'));
    cases.push_back({"explicit VR (unknown VR) in the data set", b.b});
  }
  {  // UN of undefined length is read as an implicit VR sequence (CP-246).
    Bytes b = Meta(kExplicitLittle);
    b.Short(0x0008, 0x0016, "UI", Uid("1.2.840.10008.5.1.4.1.1.2"));
    b.Tag(0x0008, 0x1110).Raw("UN").U16(0).U32(0xFFFFFFFFu).Tag(0xFFFE, 0xE000).U32(0xFFFFFFFFu);
    LooksExplicit(b, 0x0008, 0x1150);
    cases.push_back({"implicit VR in a sequence (UN, undefined length)", b.b});
  }
  {  // Explicit VR sequence, an unknown VR inside its item.
    Bytes b = Meta(kExplicitLittle);
    b.Short(0x0008, 0x0016, "UI", Uid("1.2.840.10008.5.1.4.1.1.2"));
    b.Tag(0x0008, 0x1110).Raw("SQ").U16(0).U32(0xFFFFFFFFu).Tag(0xFFFE, 0xE000).U32(0xFFFFFFFFu);
    b.Tag(0x0008, 0x1150).Raw("ZZ").U16(kShortValue).U32(0xFFFFFFF0u).Raw(std::string(kShortValue - 4, 'C'));
    cases.push_back({"explicit VR (unknown VR) in a sequence", b.b});
  }
  {  // A deflated data set: only its inflated bytes show the claim.
    Bytes ds;
    ds.Short(0x0008, 0x0016, "UI", Uid("1.2.840.10008.5.1.4.1.1.2"));
    ds.Tag(0x0008, 0x0018).Raw("OB").U16(0).U32(0xFFFFFFF0u).Raw(std::string(kShortValue, 'D'));
    std::string packed(compressBound(static_cast<uLong>(ds.b.size())) + 64, '\0');
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = reinterpret_cast<Bytef*>(ds.b.data());
    z.avail_in = static_cast<uInt>(ds.b.size());
    z.next_out = reinterpret_cast<Bytef*>(packed.data());
    z.avail_out = static_cast<uInt>(packed.size());
    deflate(&z, Z_FINISH);
    packed.resize(z.total_out);
    deflateEnd(&z);
    cases.push_back({"explicit VR in a deflated data set", Meta("1.2.840.10008.1.2.1.99").Raw(packed).b});
  }
  return cases;
}

TEST(DeclaredLengthTest, FourGigabyteClaimsAreQuarantinedWithoutAllocating) {
  ASSERT_TRUE(InitDicomLibrary().ok());
  auto pseudonymizer = deid::Pseudonymizer::Create("site-key-0123456789abcdef");
  ASSERT_TRUE(pseudonymizer.ok());
  deid::Profile profile{deid::ProfileOptions{}};
  DcmtkDeidentifier engine(profile, *pseudonymizer);
  for (const Case& c : Cases()) {
    largest_request = 0;
    auto result = engine.Deidentify(c.bytes);
    std::size_t largest = largest_request.load();
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_FALSE(result.status().message().empty()) << c.name;
    EXPECT_LT(largest, std::size_t{64} << 20)
        << c.name << ": an allocation of " << largest << " bytes for a " << c.bytes.size()
        << "-byte input (reason: " << result.status().message() << ")";
  }
}

}  // namespace
}  // namespace oncoatlas::dicom

#include "dicom/nesting_scan.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace oncoatlas::dicom {
namespace {

constexpr std::uint64_t kUndefined = ~std::uint64_t{0};

struct Reader {
  std::string_view b;
  bool big_endian = false;
  std::uint16_t U16(std::size_t p) const {
    auto x = static_cast<std::uint8_t>(b[p]), y = static_cast<std::uint8_t>(b[p + 1]);
    return big_endian ? static_cast<std::uint16_t>((x << 8) | y) : static_cast<std::uint16_t>((y << 8) | x);
  }
  std::uint32_t U32(std::size_t p) const {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      std::uint32_t byte = static_cast<std::uint8_t>(b[p + (big_endian ? i : 3 - i)]);
      v = (v << 8) | byte;
    }
    return v;
  }
};

bool LongVr(std::string_view vr) {
  static const char* kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
  for (const char* v : kLong) {
    if (vr == v) return true;
  }
  return false;
}

bool IsVr(std::string_view vr) {
  return vr.size() == 2 && vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z';
}

// The data set's encoding as DCMTK reads it from the meta's Transfer Syntax UID;
// nullopt when DCMTK would not know the UID either and guesses from the bytes.
struct Encoding {
  bool explicit_vr = true;
  bool big_endian = false;
};
std::optional<Encoding> EncodingOf(std::string_view uid) {
  while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.remove_suffix(1);
  if (uid == "1.2.840.10008.1.2") return Encoding{false, false};
  if (uid == "1.2.840.10008.1.2.2") return Encoding{true, true};
  // Explicit VR little endian and every encapsulated (compressed) transfer syntax.
  if (uid == "1.2.840.10008.1.2.1" || uid == "1.2.840.10008.1.2.5" || uid.starts_with("1.2.840.10008.1.2.4.")) {
    return Encoding{true, false};
  }
  return std::nullopt;
}

}  // namespace

int MaxSequenceNesting(std::string_view bytes, int stop_above) { return ScanStructure(bytes, stop_above).max_depth; }

StructureScan ScanStructure(std::string_view bytes, int stop_above, bool stop_at_pixel_data) {
  StructureScan scan;
  std::uint32_t last_top_level_tag = 0;
  std::size_t pos = 0;
  if (bytes.size() >= 132 && std::memcmp(bytes.data() + 128, "DICM", 4) == 0) pos = 132;
  Reader r{bytes};
  bool explicit_vr = true;
  bool big_endian = false;  // the data set's byte order (meta information is always little endian)
  bool in_meta = true;
  // Meta information is explicit VR unless its first element has no VR (DCMTK accepts both).
  const bool meta_explicit = pos + 6 > bytes.size() || IsVr(bytes.substr(pos + 4, 2));
  std::optional<Encoding> meta_encoding;
  // Open sequences and items: where each ends (or kUndefined), and whether its
  // content is implicit VR little endian whatever the transfer syntax (the inside
  // of a UN of undefined length, PS3.5 6.2.2).
  struct Open {
    std::uint64_t end;
    bool implicit_inside;
    bool fragments = false;  // encapsulated Pixel Data: its items hold compressed bytes, not attributes
  };
  std::vector<Open> open;
  while (pos + 8 <= bytes.size()) {
    while (!open.empty() && open.back().end != kUndefined && open.back().end <= pos) open.pop_back();
    std::uint16_t group = r.U16(pos);
    std::uint16_t element = r.U16(pos + 2);
    if (in_meta && group != 0x0002) {
      in_meta = false;
      // The data set's encoding follows the meta's transfer syntax, as in DCMTK;
      // without one DCMTK knows, sniff it from the bytes (a VR after the tag
      // means explicit, a swapped group big endian).
      if (meta_encoding) {
        explicit_vr = meta_encoding->explicit_vr;
        big_endian = meta_encoding->big_endian;
      } else {
        explicit_vr = IsVr(bytes.substr(pos + 4, 2));
        big_endian = group == 0x0800;
      }
    }
    const bool implicit_here = !open.empty() && open.back().implicit_inside;
    r.big_endian = !in_meta && big_endian && !implicit_here;
    group = r.U16(pos);
    element = r.U16(pos + 2);
    if (group == 0xFFFE) {
      std::uint32_t len = r.U32(pos + 4);
      pos += 8;
      if (element == 0xE000) {
        if (len != 0xFFFFFFFFu && pos + len > bytes.size()) {
          scan.truncated = true;
          scan.truncated_offset = pos - 8;
          break;
        }
        if (!open.empty() && open.back().fragments) {
          if (len == 0xFFFFFFFFu) {  // a fragment has a defined length
            scan.truncated = true;
            scan.truncated_offset = pos - 8;
            break;
          }
          pos += len;  // a fragment: skipped, never read as attributes
          continue;
        }
        open.push_back({len == 0xFFFFFFFFu ? kUndefined : pos + len, implicit_here});
      } else if (!open.empty()) {
        open.pop_back();  // item or sequence delimiter
      }
    } else {
      if (open.empty() && !in_meta) {
        std::uint32_t tag = (std::uint32_t{group} << 16) | element;
        if (tag <= last_top_level_tag) {
          scan.out_of_order = true;
          scan.out_of_order_offset = pos;
          break;
        }
        last_top_level_tag = tag;
      }
      std::uint64_t len = 0;
      std::size_t header = 8;
      bool sequence = false;
      bool un_undefined = false;
      if (in_meta ? meta_explicit : (explicit_vr && !implicit_here)) {
        std::string_view vr = bytes.substr(pos + 4, 2);
        if (LongVr(vr)) {
          if (pos + 12 > bytes.size()) break;
          len = r.U32(pos + 8);
          header = 12;
        } else {
          len = r.U16(pos + 6);
        }
        un_undefined = vr == "UN" && len == 0xFFFFFFFFu;
        sequence = vr == "SQ" || un_undefined;
      } else {
        len = r.U32(pos + 4);
      }
      std::size_t value = pos + header;
      if (in_meta && group == 0x0002 && element == 0x0000 && len == 4 && value + 4 <= bytes.size()) {
        scan.meta_end = value + 4 + r.U32(value);  // File Meta Information Group Length
      }
      if (in_meta && group == 0x0002 && element == 0x0010 && value + len <= bytes.size()) {
        std::string_view uid = bytes.substr(value, len);
        if (uid.find("1.2.840.10008.1.2.1.99") != std::string_view::npos) {
          scan.deflated = true;
          break;  // a deflated data set: only the parser, after inflating, can see its structure
        }
        meta_encoding = EncodingOf(uid);
      }
      if (stop_at_pixel_data && open.empty() && !in_meta && group == 0x7FE0 && element == 0x0010) {
        scan.pixel_data.found = true;
        scan.pixel_data.offset = pos;
        scan.pixel_data.value_offset = value;
        scan.pixel_data.length = static_cast<std::uint32_t>(len);
        scan.pixel_data.explicit_vr = explicit_vr;
        scan.pixel_data.big_endian = big_endian;
        if (explicit_vr) scan.pixel_data.vr = std::string(bytes.substr(pos + 4, 2));
        break;
      }
      if (len != 0xFFFFFFFFu && value + len > bytes.size()) {
        scan.truncated = true;
        scan.truncated_offset = pos;
        break;
      }
      if (len == 0xFFFFFFFFu) sequence = true;  // undefined length: a sequence or encapsulated pixel data
      // Implicit VR (or UN) with a defined length: a value that opens with an item tag is a sequence.
      if (!sequence && len >= 8 && value + 4 <= bytes.size()) {
        std::uint16_t g = r.U16(value), e = r.U16(value + 2);
        sequence = g == 0xFFFE && e == 0xE000 && group != 0x7FE0;
      }
      if (sequence) {
        const bool fragments = group == 0x7FE0 && element == 0x0010 && len == 0xFFFFFFFFu;
        open.push_back({len == 0xFFFFFFFFu ? kUndefined : value + len, implicit_here || un_undefined, fragments});
        pos = value;
      } else {
        pos = value + len;
      }
    }
    int depth = static_cast<int>((open.size() + 1) / 2);
    if (depth > scan.max_depth) scan.max_depth = depth;
    if (scan.max_depth > stop_above) break;
  }
  return scan;
}

}  // namespace oncoatlas::dicom

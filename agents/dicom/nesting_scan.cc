#include "dicom/nesting_scan.h"

#include <cstdint>
#include <cstring>
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

}  // namespace

int MaxSequenceNesting(std::string_view bytes, int stop_above) { return ScanStructure(bytes, stop_above).max_depth; }

StructureScan ScanStructure(std::string_view bytes, int stop_above) {
  StructureScan scan;
  std::uint32_t last_top_level_tag = 0;
  std::size_t pos = 0;
  if (bytes.size() >= 132 && std::memcmp(bytes.data() + 128, "DICM", 4) == 0) pos = 132;
  Reader r{bytes};
  bool explicit_vr = true;
  bool in_meta = true;
  // Open sequences and items: each entry is the offset where it ends, or kUndefined.
  std::vector<std::uint64_t> open;
  while (pos + 8 <= bytes.size()) {
    while (!open.empty() && open.back() != kUndefined && open.back() <= pos) open.pop_back();
    std::uint16_t group = r.U16(pos);
    std::uint16_t element = r.U16(pos + 2);
    if (in_meta && group != 0x0002) {
      in_meta = false;
      // The dataset's encoding follows the transfer syntax; sniff it from the bytes
      // (a VR after the tag means explicit), which also covers files without meta.
      explicit_vr = IsVr(bytes.substr(pos + 4, 2));
      if (group == 0x0800) r.big_endian = true;
      group = r.U16(pos);
      element = r.U16(pos + 2);
    }
    if (group == 0xFFFE) {
      std::uint32_t len = r.U32(pos + 4);
      pos += 8;
      if (element == 0xE000) {
        if (len != 0xFFFFFFFFu && pos + len > bytes.size()) {
          scan.truncated = true;
          scan.truncated_offset = pos - 8;
          break;
        }
        open.push_back(len == 0xFFFFFFFFu ? kUndefined : pos + len);
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
      if (explicit_vr || in_meta) {
        std::string_view vr = bytes.substr(pos + 4, 2);
        if (LongVr(vr)) {
          if (pos + 12 > bytes.size()) break;
          len = r.U32(pos + 8);
          header = 12;
        } else {
          len = r.U16(pos + 6);
        }
        sequence = vr == "SQ" || (vr == "UN" && len == 0xFFFFFFFFu);
      } else {
        len = r.U32(pos + 4);
      }
      std::size_t value = pos + header;
      if (in_meta && group == 0x0002 && element == 0x0010 && value + len <= bytes.size() &&
          bytes.substr(value, len).find("1.2.840.10008.1.2.1.99") != std::string_view::npos) {
        break;  // a deflated data set: only the parser, after inflating, can see its structure
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
        open.push_back(len == 0xFFFFFFFFu ? kUndefined : value + len);
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

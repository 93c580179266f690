#include "index/dataset_summary.h"

#include <algorithm>

#include "crypto/sha256.h"

namespace oncoatlas::agent {

Result<std::string> MerkleRoot(std::vector<std::string> instance_hashes) {
  std::sort(instance_hashes.begin(), instance_hashes.end());
  instance_hashes.erase(std::unique(instance_hashes.begin(), instance_hashes.end()), instance_hashes.end());
  if (instance_hashes.empty()) return "sha256:" + crypto::Sha256Hex("");

  std::vector<crypto::Digest> level;
  level.reserve(instance_hashes.size());
  for (const std::string& h : instance_hashes) {
    crypto::Digest d;
    if (!crypto::FromHex(h, &d)) return InvalidArgumentError("not a SHA-256 hex digest: '" + h + "'");
    std::string leaf(1, '\0');
    leaf.append(reinterpret_cast<const char*>(d.data()), d.size());
    level.push_back(crypto::Sha256(leaf));
  }
  while (level.size() > 1) {
    std::vector<crypto::Digest> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      std::string node(1, '\1');
      node.append(reinterpret_cast<const char*>(level[i].data()), level[i].size());
      node.append(reinterpret_cast<const char*>(level[i + 1].data()), level[i + 1].size());
      next.push_back(crypto::Sha256(node));
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }
  return "sha256:" + crypto::ToHex(level.front());
}

std::map<std::string, std::map<std::string, std::string>> SuppressSmallCells(const FacetCounts& facets,
                                                                             std::uint64_t minimum) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& [facet, values] : facets) {
    auto& o = out[facet];
    for (const auto& [value, count] : values) {
      o[value] = (count > 0 && count < minimum) ? "<" + std::to_string(minimum) : std::to_string(count);
    }
  }
  return out;
}

std::string AgeBand(const std::string& dicom_age) {
  if (dicom_age.size() != 4) return "unknown";
  int n = 0;
  for (int i = 0; i < 3; ++i) {
    char c = dicom_age[static_cast<size_t>(i)];
    if (c < '0' || c > '9') return "unknown";
    n = n * 10 + (c - '0');
  }
  switch (dicom_age[3]) {
    case 'Y':
      break;
    case 'M':
    case 'W':
    case 'D':
      return "0-9";
    default:
      return "unknown";
  }
  if (n >= 90) return "90+";
  int lo = (n / 10) * 10;
  return std::to_string(lo) + "-" + std::to_string(lo + 9);
}

}  // namespace oncoatlas::agent

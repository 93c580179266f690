#include "index/dataset_summary.h"

#include <gtest/gtest.h>

#include "core/subprocess.h"
#include "crypto/sha256.h"

namespace oncoatlas::agent {
namespace {

std::vector<std::string> Hashes(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(crypto::Sha256Hex("instance " + std::to_string(i)));
  return out;
}

// An independent implementation of the documented construction, in Python's
// hashlib, as the oracle.
std::string PythonMerkleRoot(const std::vector<std::string>& hashes) {
  std::string script = R"py(
import hashlib, sys
hs = sorted(set(l.strip() for l in sys.stdin if l.strip()))
if not hs:
    print("sha256:" + hashlib.sha256(b"").hexdigest()); sys.exit()
level = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in hs]
while len(level) > 1:
    nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
    if len(level) % 2: nxt.append(level[-1])
    level = nxt
print("sha256:" + level[0].hex())
)py";
  std::string input;
  for (const auto& h : hashes) input += h + "\n";
  SubprocessOptions opts;
  opts.stdin_data = input;
  auto r = RunSubprocess({"/usr/bin/python3", "-c", script}, opts);
  if (!r.ok() || !r->success()) return "python failed";
  std::string out = r->out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(MerkleRoot, AgreesWithAnIndependentImplementation) {
  for (int n : {0, 1, 2, 3, 7, 8, 100}) {
    auto root = MerkleRoot(Hashes(n));
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(*root, PythonMerkleRoot(Hashes(n))) << n << " hashes";
  }
}

TEST(MerkleRoot, DependsOnTheSetOnly) {
  auto h = Hashes(5);
  auto shuffled = h;
  std::swap(shuffled[0], shuffled[4]);
  shuffled.push_back(h[2]);  // a duplicate
  EXPECT_EQ(*MerkleRoot(h), *MerkleRoot(shuffled));
}

TEST(MerkleRoot, ChangesWhenContentChanges) {
  auto h = Hashes(5);
  auto root = *MerkleRoot(h);
  auto fewer = h;
  fewer.pop_back();
  EXPECT_NE(*MerkleRoot(fewer), root);
  auto changed = h;
  changed[1] = crypto::Sha256Hex("different bytes");
  EXPECT_NE(*MerkleRoot(changed), root);
}

TEST(MerkleRoot, RejectsMalformedHashes) {
  auto r = MerkleRoot({"not-a-hash"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not-a-hash"), std::string::npos);
}

TEST(SuppressSmallCells, HidesCountsBelowTheMinimum) {
  FacetCounts f;
  f["sex"]["F"] = 42;
  f["sex"]["M"] = 9;
  f["modality"]["MG"] = 10;
  f["modality"]["US"] = 1;
  auto s = SuppressSmallCells(f, 10);
  EXPECT_EQ(s["sex"]["F"], "42");
  EXPECT_EQ(s["sex"]["M"], "<10");
  EXPECT_EQ(s["modality"]["MG"], "10");
  EXPECT_EQ(s["modality"]["US"], "<10");
  EXPECT_EQ(SuppressSmallCells(f, 5)["sex"]["M"], "9");
}

TEST(AgeBand, BandsDicomAgeStrings) {
  EXPECT_EQ(AgeBand("047Y"), "40-49");
  EXPECT_EQ(AgeBand("050Y"), "50-59");
  EXPECT_EQ(AgeBand("089Y"), "80-89");
  EXPECT_EQ(AgeBand("090Y"), "90+");
  EXPECT_EQ(AgeBand("103Y"), "90+");
  EXPECT_EQ(AgeBand("006M"), "0-9");
  EXPECT_EQ(AgeBand(""), "unknown");
  EXPECT_EQ(AgeBand("4Y"), "unknown");
  EXPECT_EQ(AgeBand("04XY"), "unknown");
}

}  // namespace
}  // namespace oncoatlas::agent

#include "crypto/sha256.h"

#include <gtest/gtest.h>

namespace oncoatlas::crypto {
namespace {

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  Sha256Hasher h;
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(ToHex(h.Finish()), Sha256Hex("abc"));
}

TEST(Sha256, HexRoundTripAndRejectsMalformed) {
  Digest d;
  std::string hex = Sha256Hex("x");
  ASSERT_TRUE(FromHex(hex, &d));
  EXPECT_EQ(ToHex(d), hex);
  EXPECT_FALSE(FromHex(hex.substr(1), &d));
  EXPECT_FALSE(FromHex(std::string(64, 'g'), &d));
}

}  // namespace
}  // namespace oncoatlas::crypto

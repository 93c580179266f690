#include "core/base64.h"

#include <gtest/gtest.h>

namespace oncoatlas {
namespace {

TEST(Base64, EncodesWithPadding) {
  EXPECT_EQ(EncodeBase64(""), "");
  EXPECT_EQ(EncodeBase64("f"), "Zg==");
  EXPECT_EQ(EncodeBase64("fo"), "Zm8=");
  EXPECT_EQ(EncodeBase64("foo"), "Zm9v");
  EXPECT_EQ(EncodeBase64("alice:hunter2"), "YWxpY2U6aHVudGVyMg==");
}

TEST(Base64, RoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"), std::string("abcd"),
                        std::string("\x01\xff\x10 binary\0", 11), all}) {
    auto back = DecodeBase64(EncodeBase64(s));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
  }
}

TEST(Base64, DecodesWhiteSpaceUrlSafeAndUnpadded) {
  EXPECT_EQ(*DecodeBase64("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(*DecodeBase64("aGVs\nbG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVsbG8"), "hello");
  EXPECT_EQ(*DecodeBase64("-_8"), "\xfb\xff");
}

TEST(Base64, RejectsBadInput) {
  for (const char* bad : {"a$b", "Zg==Zg", "Z", "Zm9vY", "Zm9v!"}) {
    auto r = DecodeBase64(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("not valid base64"), std::string::npos);
  }
}

}  // namespace
}  // namespace oncoatlas

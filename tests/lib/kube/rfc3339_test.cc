// RFC 3339 time stamps (kube/rfc3339.h): metav1.Time and MicroTime on one
// parser — offsets, fractions, and malformed text.
#include "kube/rfc3339.h"

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kT(seconds(1800000000));  // 2027-01-15T08:00:00Z

TEST(Rfc3339, ParsesOffsetsAndKeepsMicroseconds) {
  EXPECT_EQ(*ParseRfc3339("2027-01-15T08:00:00Z"), kT);
  EXPECT_EQ(*ParseRfc3339("2027-01-15t08:00:00z"), kT);
  EXPECT_EQ(*ParseRfc3339("2027-01-15T09:30:00+01:30"), kT);
  EXPECT_EQ(*ParseRfc3339("2027-01-15T07:00:00-01:00"), kT);
  EXPECT_EQ(*ParseRfc3339("2027-01-15T08:00:00.1234567Z"), kT + microseconds(123456)) << "beyond microseconds dropped";
  EXPECT_EQ(*ParseRfc3339("1969-12-31T23:59:59.5Z"), system_clock::time_point(-microseconds(500000)));
}

TEST(Rfc3339, RejectsMalformedTextNamingIt) {
  for (const char* bad :
       {"", "2027-01-15", "2027-01-15T08:00:00", "2027-01-15 08:00:00Z", "2027-13-15T08:00:00Z", "2027-01-32T08:00:00Z",
        "2027-01-15T24:00:00Z", "2027-01-15T08:00:00.Z", "2027-01-15T08:00:00+0100", "2027-01-15T08:00:00+25:00",
        "2027-01-15T08:00:00Zjunk", "yyyy-01-15T08:00:00Z"}) {
    auto r = ParseRfc3339(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos) << r.status().message();
    EXPECT_FALSE(ParseTime(bad)) << bad;
    EXPECT_FALSE(ParseMicroTime(bad).ok()) << bad;
  }
}

TEST(Rfc3339, TimeHasWholeSeconds) {
  EXPECT_EQ(FormatTime(kT + microseconds(999999)), "2027-01-15T08:00:00Z");
  EXPECT_EQ(FormatTime(system_clock::time_point(-microseconds(1))), "1969-12-31T23:59:59Z");
  EXPECT_EQ(ParseTime("2027-01-15T08:00:00.750Z"), kT) << "metav1.Time drops the fraction";
  EXPECT_EQ(ParseTime("2027-01-15T10:00:00.750+02:00"), kT);
  EXPECT_EQ(*ParseTime(FormatTime(kT + seconds(61))), kT + seconds(61));
}

TEST(Rfc3339, MicroTimeIsUtcWithMicroseconds) {
  EXPECT_EQ(FormatMicroTime(kT + microseconds(42)), "2027-01-15T08:00:00.000042Z");
  EXPECT_EQ(*ParseMicroTime("2027-01-15T08:00:00.000042Z"), kT + microseconds(42));
  auto offset = ParseMicroTime("2027-01-15T09:00:00.000042+01:00");
  ASSERT_FALSE(offset.ok()) << "the API server writes MicroTime in UTC";
  EXPECT_NE(offset.status().message().find("UTC"), std::string::npos) << offset.status().message();
}

}  // namespace
}  // namespace oncoatlas::kube

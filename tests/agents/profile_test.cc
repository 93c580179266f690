// Unit tests of the DICOM-agnostic profile logic (agents/deid/).
#include "deid/profile.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "deid/date_shift.h"
#include "deid/pseudonymizer.h"
#include "deid/text_cleaner.h"

namespace oncoatlas::deid {
namespace {

constexpr std::uint32_t kAccessionNumber = 0x00080050;
constexpr std::uint32_t kStudyDate = 0x00080020;
constexpr std::uint32_t kStudyTime = 0x00080030;
constexpr std::uint32_t kSopInstanceUid = 0x00080018;
constexpr std::uint32_t kInstitutionName = 0x00080080;
constexpr std::uint32_t kStudyDescription = 0x00081030;
constexpr std::uint32_t kPatientAge = 0x00101010;
constexpr std::uint32_t kDeviceSerialNumber = 0x00181000;
constexpr std::uint32_t kContentDate = 0x00080023;
constexpr std::uint32_t kAcquisitionDate = 0x00080022;
constexpr std::uint32_t kReferencedImageSequence = 0x00081140;

TEST(ProfileTableTest, HoldsEveryRowOfTheStandardsTable) {
  EXPECT_EQ(kProfileRuleCount, 621u);
  std::set<std::pair<std::uint32_t, std::uint32_t>> tags;
  for (std::size_t i = 0; i < kProfileRuleCount; ++i) {
    tags.insert({kProfileRules[i].value, kProfileRules[i].mask});
    EXPECT_NE(kProfileRules[i].basic, ActionCode::kNone) << kProfileRules[i].name;
    EXPECT_EQ(std::string(kProfileRules[i].name).find("see Note"), std::string::npos) << kProfileRules[i].name;
  }
  EXPECT_EQ(tags.size(), 621u);  // no row lost or duplicated
}

TEST(ProfileTableTest, PatternsMatchRepeatingGroupsOnly) {
  Profile p{ProfileOptions{}};
  ASSERT_NE(p.FindRule(0x60003000), nullptr);
  EXPECT_STREQ(p.FindRule(0x60003000)->name, "Overlay Data");
  EXPECT_STREQ(p.FindRule(0x601E4000)->name, "Overlay Comments");
  EXPECT_STREQ(p.FindRule(0x50020010)->name, "Curve Data");
  EXPECT_EQ(p.FindRule(0x60000010), nullptr);  // Overlay Rows: not in the table
  EXPECT_STREQ(p.FindRule(0x00291010)->name, "Private Attributes");
  EXPECT_STREQ(p.FindRule(0x00880200)->name, "Icon Image Sequence");
}

TEST(ProfileTest, BasicProfileActions) {
  Profile p{ProfileOptions{}};
  EXPECT_EQ(p.Decide(kAccessionNumber), Action::kEmpty);
  EXPECT_EQ(p.Decide(kSopInstanceUid), Action::kReplaceUid);
  EXPECT_EQ(p.Decide(kPatientAge), Action::kRemove);
  EXPECT_EQ(p.Decide(kStudyDescription), Action::kRemove);
  EXPECT_EQ(p.Decide(0x00280010), Action::kKeep);  // Rows: not in the table
  EXPECT_EQ(p.Decide(0x60003000), Action::kRemove);
}

TEST(ProfileTest, CombinedCodesTakeFirstActionUnlessRequiredByIod) {
  Profile p{ProfileOptions{}};
  EXPECT_EQ(p.Decide(kInstitutionName), Action::kRemove);          // X/Z/D, type 3
  EXPECT_EQ(p.Decide(kAcquisitionDate), Action::kRemove);          // X/Z, type 3
  EXPECT_EQ(p.Decide(kContentDate), Action::kEmpty);               // Z/D, type 2
  EXPECT_EQ(p.Decide(0x00400555), Action::kEmpty);                 // X/Z Acquisition Context Sequence, type 2
  EXPECT_EQ(p.Decide(0x300A0006), Action::kDummy);                 // X/D RT Plan Date, type 2
  EXPECT_EQ(p.Decide(kReferencedImageSequence), Action::kRemove);  // X/Z/U*, type 3
  const ProfileRule* rule = p.FindRule(kReferencedImageSequence);
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(ResolveRule(*rule, ProfileOptions{}, IodRequirement::kType1), Action::kReplaceUid);
  EXPECT_EQ(ResolveRule(*p.FindRule(kInstitutionName), ProfileOptions{}, IodRequirement::kType1), Action::kDummy);
  EXPECT_EQ(ResolveRule(*p.FindRule(kInstitutionName), ProfileOptions{}, IodRequirement::kType2), Action::kEmpty);
}

TEST(ProfileTest, OptionsChangeActions) {
  ProfileOptions o;
  o.retain_uids = true;
  EXPECT_EQ(Profile(o).Decide(kSopInstanceUid), Action::kKeep);
  o = {};
  o.retain_longitudinal_full_dates = true;
  EXPECT_EQ(Profile(o).Decide(kStudyDate), Action::kKeep);
  o = {};
  o.retain_longitudinal_modified_dates = true;
  EXPECT_EQ(Profile(o).Decide(kStudyDate), Action::kClean);
  EXPECT_EQ(Profile(o).Decide(kStudyTime), Action::kClean);
  o = {};
  o.clean_descriptors = true;
  EXPECT_EQ(Profile(o).Decide(kStudyDescription), Action::kClean);
  o = {};
  o.retain_patient_characteristics = true;
  EXPECT_EQ(Profile(o).Decide(kPatientAge), Action::kKeep);
  o = {};
  o.retain_institution_identity = true;
  EXPECT_EQ(Profile(o).Decide(kInstitutionName), Action::kKeep);
  o = {};
  o.retain_device_identity = true;
  EXPECT_EQ(Profile(o).Decide(kDeviceSerialNumber), Action::kKeep);
}

TEST(ProfileTest, KeepWinsOverCleanWinsOverBasic) {
  // Institution Name has only K (Retain Institution Identity); Station AE Title has
  // C (Retain Device Identity). Acquisition Comments has C under Clean Descriptors.
  const ProfileRule* rule = Profile(ProfileOptions{}).FindRule(0x00184000);
  ASSERT_NE(rule, nullptr);
  ProfileOptions o;
  EXPECT_EQ(ResolveRule(*rule, o, IodRequirement::kOptional), Action::kRemove);
  o.clean_descriptors = true;
  EXPECT_EQ(ResolveRule(*rule, o, IodRequirement::kOptional), Action::kClean);
  // A date under both date options would be K and C: K wins (Validate still refuses the pair).
  const ProfileRule* date = Profile(ProfileOptions{}).FindRule(kStudyDate);
  ProfileOptions both;
  both.retain_longitudinal_full_dates = true;
  both.retain_longitudinal_modified_dates = true;
  EXPECT_EQ(ResolveRule(*date, both, IodRequirement::kOptional), Action::kKeep);
  EXPECT_FALSE(both.Validate().ok());
  // Content Sequence: D in the basic profile, C with Clean Structured Content.
  ProfileOptions sc;
  sc.clean_structured_content = true;
  EXPECT_EQ(Profile(ProfileOptions{}).Decide(0x0040A730), Action::kDummy);
  EXPECT_EQ(Profile(sc).Decide(0x0040A730), Action::kClean);
}

TEST(ProfileTest, SafePrivateNeedsTheOptionAndAMatchingCreator) {
  auto tag = SafePrivateTag::Parse("ACME 1.1:0019,xx10");
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(tag->group, 0x0019);
  EXPECT_EQ(tag->element, 0x10);
  EXPECT_FALSE(SafePrivateTag::Parse("0019,xx10").ok());
  EXPECT_FALSE(SafePrivateTag::Parse("ACME:0018,xx10").ok());  // even group
  EXPECT_FALSE(SafePrivateTag::Parse("ACME:0019,1010").ok());
  ProfileOptions o;
  o.safe_private = {*tag};
  EXPECT_FALSE(o.Validate().ok());  // list without the option
  o.retain_safe_private = true;
  ASSERT_TRUE(o.Validate().ok());
  Profile p(o);
  EXPECT_TRUE(p.KeepPrivate(0x0019, 0x10, "ACME 1.1"));
  EXPECT_FALSE(p.KeepPrivate(0x0019, 0x11, "ACME 1.1"));
  EXPECT_FALSE(p.KeepPrivate(0x0019, 0x10, "OTHER"));
  EXPECT_TRUE(p.KeepPrivateCreator(0x0019, "ACME 1.1"));
  EXPECT_FALSE(Profile(ProfileOptions{}).KeepPrivate(0x0019, 0x10, "ACME 1.1"));
}

TEST(ProfileTest, MethodCodesAndLongitudinalFlag) {
  ProfileOptions o;
  EXPECT_EQ(Profile(o).LongitudinalTemporalInformationModified(), "REMOVED");
  ASSERT_EQ(Profile(o).MethodCodes().size(), 1u);
  o.retain_longitudinal_modified_dates = true;
  o.clean_descriptors = true;
  Profile p(o);
  EXPECT_EQ(p.LongitudinalTemporalInformationModified(), "MODIFIED");
  auto codes = p.MethodCodes();
  ASSERT_EQ(codes.size(), 3u);
  EXPECT_EQ(codes[0].value, "113100");
  EXPECT_EQ(codes[1].value, "113105");
  EXPECT_EQ(codes[2].value, "113107");
  EXPECT_LE(p.MethodDescription().size(), 64u);
  o = {};
  o.retain_longitudinal_full_dates = true;
  EXPECT_EQ(Profile(o).LongitudinalTemporalInformationModified(), "UNMODIFIED");
}

TEST(PseudonymizerTest, RejectsShortKeys) {
  EXPECT_FALSE(Pseudonymizer::Create("short").ok());
  EXPECT_TRUE(Pseudonymizer::Create(std::string(16, 'k')).ok());
}

TEST(PseudonymizerTest, UidMappingIsDeterministicAndKeyDependent) {
  auto a = Pseudonymizer::Create("key-one-0123456789abcdef");
  auto a2 = Pseudonymizer::Create("key-one-0123456789abcdef");
  auto b = Pseudonymizer::Create("key-two-0123456789abcdef");
  ASSERT_TRUE(a.ok() && a2.ok() && b.ok());
  const std::string uid = "1.2.3.4.5.6.7";
  std::string mapped = a->MapUid(uid);
  EXPECT_EQ(mapped, a2->MapUid(uid));
  EXPECT_NE(mapped, b->MapUid(uid));
  EXPECT_NE(mapped, a->MapUid("1.2.3.4.5.6.8"));
  EXPECT_EQ(mapped.rfind("2.25.", 0), 0u);
  EXPECT_LE(mapped.size(), 64u);
  EXPECT_EQ(mapped.find_first_not_of("0123456789.", 0), std::string::npos);
  EXPECT_NE(mapped[5], '0');  // no leading zero in the UID component
  EXPECT_NE(a->PatientPseudonym("MRN1"), a->PatientPseudonym("MRN2"));
  EXPECT_NE(a->PatientPseudonym("MRN1"), b->PatientPseudonym("MRN1"));
}

TEST(PseudonymizerTest, Uint128Decimal) {
  std::array<std::uint8_t, 16> max{};
  max.fill(0xFF);
  EXPECT_EQ(Uint128ToDecimal(max), "340282366920938463463374607431768211455");
  std::array<std::uint8_t, 16> small{};
  small[15] = 42;
  EXPECT_EQ(Uint128ToDecimal(small), "42");
  small[14] = 1;
  EXPECT_EQ(Uint128ToDecimal(small), "298");
}

TEST(PseudonymizerTest, DateOffsetIsPerPatientAndInRange) {
  auto p = Pseudonymizer::Create("date-key-0123456789abcdef");
  ASSERT_TRUE(p.ok());
  std::set<int> offsets;
  for (int i = 0; i < 50; ++i) {
    int d = p->DateOffsetDays("MRN" + std::to_string(i), 3650);
    EXPECT_GE(d, -3650);
    EXPECT_LE(d, 3650);
    EXPECT_NE(d, 0);
    EXPECT_EQ(d, p->DateOffsetDays("MRN" + std::to_string(i), 3650));
    offsets.insert(d);
  }
  EXPECT_GT(offsets.size(), 40u);  // patients do not share one offset
}

TEST(PseudonymizerTest, DateOffsetStaysWithinTheLargestShiftBothWays) {
  auto p = Pseudonymizer::Create("date-key-0123456789abcdef");
  ASSERT_TRUE(p.ok());
  for (int max_days : {1, 2, 7, 180}) {
    std::set<int> offsets;
    for (int i = 0; i < 400; ++i) {
      int d = p->DateOffsetDays("MRN" + std::to_string(i), max_days);
      EXPECT_NE(d, 0);
      EXPECT_LE(std::abs(d), max_days);
      offsets.insert(d);
    }
    // Every shift is reachable, earlier and later.
    if (max_days <= 7) {
      EXPECT_EQ(offsets.size(), static_cast<size_t>(2 * max_days)) << max_days;
    }
    EXPECT_LT(*offsets.begin(), 0);
    EXPECT_GT(*offsets.rbegin(), 0);
  }
}

TEST(ProfileOptionsTest, LargestDateShiftMustBeOneToTenYears) {
  ProfileOptions o;
  EXPECT_EQ(o.max_date_shift_days, 365);
  EXPECT_TRUE(o.Validate().ok());
  o.max_date_shift_days = 0;
  EXPECT_NE(o.Validate().message().find("1 to 3650"), std::string::npos) << o.Validate().message();
  o.max_date_shift_days = 3651;
  EXPECT_FALSE(o.Validate().ok());
  o.max_date_shift_days = 3650;
  EXPECT_TRUE(o.Validate().ok());
}

TEST(DateShiftTest, ShiftsAcrossMonthsYearsAndLeapDays) {
  EXPECT_EQ(*ShiftDate("20240301", -1), "20240229");
  EXPECT_EQ(*ShiftDate("20230101", -1), "20221231");
  EXPECT_EQ(*ShiftDate("20230115", 30), "20230214");
  EXPECT_EQ(*ShiftDateTime("20230115083000.5+0100", -15), "20221231083000.5+0100");
  EXPECT_FALSE(ShiftDate("2023011", 1).ok());
  EXPECT_FALSE(ShiftDate("20230230", 1).ok());
  EXPECT_FALSE(ShiftDate("2023-1-1", 1).ok());
  EXPECT_FALSE(ShiftDateTime("2023", 1).ok());
}

TEST(DateShiftTest, IntervalsBetweenOnePatientsDatesSurvive) {
  auto p = Pseudonymizer::Create("date-key-0123456789abcdef");
  ASSERT_TRUE(p.ok());
  int offset = p->DateOffsetDays("MRN77", 365);
  auto a = ShiftDate("20200110", offset);
  auto b = ShiftDate("20200215", offset);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, "20200110");
  // 36 days apart before and after.
  EXPECT_EQ(*ShiftDate(*a, 36), *b);
}

TEST(TextCleanerTest, RemovesIdentifyingWordsAndNumbers) {
  TextCleaner c;
  c.AddIdentifyingValue("Wojcikowska^Hildegard");
  c.AddIdentifyingValue("Klinikum Nordstadt");
  EXPECT_EQ(c.Clean("CT thorax for HILDEGARD wojcikowska, Klinikum Nordstadt, call +49 30 5550 1234 on 2023-01-05"),
            "CT thorax for * *, * *, call +* * * * on *-*-*");
  EXPECT_EQ(c.Clean("Chest staging"), "Chest staging");
}

}  // namespace
}  // namespace oncoatlas::deid

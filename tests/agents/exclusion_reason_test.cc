#include "ingest/exclusion_reason.h"

#include <gtest/gtest.h>

namespace oncoatlas::agent {
namespace {

TEST(ExclusionReason, EngineMessagesBecomeCamelCaseReasonsOfTheRightKind) {
  struct Case {
    const char* message;
    ExclusionKind kind;
    const char* reason;
  };
  const Case cases[] = {
      {"Burned In Annotation is YES and Clean Pixel Data is not applied", ExclusionKind::kQuarantined,
       "BurnedInAnnotation"},
      {"Burned In Annotation is absent for modality US, which often has burned-in text", ExclusionKind::kQuarantined,
       "PossibleBurnedInAnnotation"},
      {"Recognizable Visual Features is YES and Clean Recognizable Visual Features is not applied",
       ExclusionKind::kQuarantined, "RecognizableVisualFeatures"},
      {"Burned In Annotation is YES and no burnedInTextRegions rule matches this device (modality US, 640x480); add "
       "a rule for it",
       ExclusionKind::kQuarantined, "BurnedInAnnotation"},
      {"Pixel Data is compressed with transfer syntax JPEG 2000 (1.2.840.10008.1.2.4.91), which the agent cannot "
       "decode; such images cannot be cleaned (Clean Pixel Data) and are quarantined",
       ExclusionKind::kQuarantined, "UncleanablePixelData"},
      {"Recognizable Visual Features cannot be cleaned: Image Position (Patient) (0020,0032) is missing or malformed",
       ExclusionKind::kQuarantined, "UncleanableVisualFeatures"},
      {"Recognizable Visual Features cannot be cleaned: the top of the head is not in the series",
       ExclusionKind::kQuarantined, "UncleanableVisualFeatures"},
      {"Recognizable Visual Features: the image must be defaced together with the rest of its series",
       ExclusionKind::kQuarantined, "RecognizableVisualFeatures"},
      {"empty file", ExclusionKind::kRejected, "EmptyFile"},
      {"sequences nested deeper than 32 levels", ExclusionKind::kRejected, "NestingTooDeep"},
      {"the attribute at byte 1234 claims 4000000000 bytes", ExclusionKind::kRejected, "TruncatedFile"},
      {"attributes out of tag order at byte 99", ExclusionKind::kRejected, "AttributesOutOfOrder"},
      {"not a readable DICOM file: Premature end of stream", ExclusionKind::kRejected, "Unparseable"},
      {"not a DICOM file: no data set", ExclusionKind::kRejected, "Unparseable"},
      {"missing or malformed SOP Instance UID (0008,0018)", ExclusionKind::kRejected, "MissingRequiredAttribute"},
      {"something new the engine says about DOE^JOHN", ExclusionKind::kRejected, "Unclassified"},
  };
  for (const Case& c : cases) {
    const ExclusionReason r = ClassifyExclusion(c.message);
    EXPECT_EQ(r.kind, c.kind) << c.message;
    EXPECT_EQ(r.reason, c.reason) << c.message;
  }
}

TEST(ExclusionReason, CountsAreSummedPerReasonAndKind) {
  const ExclusionCounts c =
      ClassifyExclusions({{"empty file", 2},
                          {"not a DICOM file: no data set", 3},
                          {"not a readable DICOM file: x", 4},
                          {"Burned In Annotation is YES and Clean Pixel Data is not applied", 5}});
  EXPECT_EQ(c.rejected, (std::map<std::string, std::uint64_t>{{"EmptyFile", 2}, {"Unparseable", 7}}));
  EXPECT_EQ(c.quarantined, (std::map<std::string, std::uint64_t>{{"BurnedInAnnotation", 5}}));
}

TEST(RedactIdentifiers, RemovesUidsQuotedKeysAndIdentifyingParameters) {
  const std::string in =
      "fetching '1.2.826.0.1.3680043.8.498.1/1.2.3.4.5/1.2.3.4.6' from DIMSE SITEPACS@127.0.0.1:4242: study "
      "1.2.826.0.1.3680043.8.498.10383830937372549876 failed; GET "
      "http://pacs:8042/dicom-web/studies?AccessionNumber=ACC123&PatientID=PID-9&limit=2 answered 500";
  const std::string out = RedactIdentifiers(in);
  for (const char* secret : {"3680043", "1.2.3.4.5", "ACC123", "PID-9"}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in " << out;
  }
  for (const char* kept : {"127.0.0.1:4242", "SITEPACS", "http://pacs:8042/dicom-web/studies", "limit=2", "500"}) {
    EXPECT_NE(out.find(kept), std::string::npos) << kept << " lost from " << out;
  }
  EXPECT_NE(out.find("<uid>"), std::string::npos);
  EXPECT_NE(out.find("AccessionNumber=<redacted>"), std::string::npos);
  EXPECT_EQ(RedactIdentifiers("version 1.2.3 on 10.0.0.1"), "version 1.2.3 on 10.0.0.1");
}

}  // namespace
}  // namespace oncoatlas::agent

// Clean Pixel Data (agents/dicom/internal/pixel_cleaner, through the engine's entry
// point): regions blanked in every frame and nothing else changed, for the
// pixel layouts the engine accepts; RLE and JPEG-LS inputs (made with Debian's
// dcmcrle and dcmcjpls) decoded and cleaned; quarantine reasons; the head path
// refused; 113101 and Burned In Annotation NO only on cleaned instances; and
// the rule validation of deid::ProfileOptions.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/subprocess.h"
#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"
#include "dicom/instance_writer.h"
#include "instance_files.h"

namespace oncoatlas::dicom {
namespace {

namespace fs = std::filesystem;
using deid::BurnedInTextRule;
using deid::PixelRegion;
using deid::ProfileOptions;

constexpr char kKey[] = "site-key-0123456789abcdef";

struct Layout {
  int rows = 16, columns = 20, frames = 1, bits = 16, samples = 1, planar = 0;
  std::string modality = "US";
  std::string burned_in = "YES";  // empty: absent
};

// A non-zero value for every sample, different per position, channel and frame.
std::uint32_t SampleValue(const Layout& l, int frame, int channel, int y, int x) {
  std::uint32_t v = 1 + static_cast<std::uint32_t>((x * 7 + y * 13 + channel * 31 + frame * 53) % 200);
  if (l.bits == 16) v += 300;
  return v;
}

std::size_t SampleOffset(const Layout& l, int frame, int channel, int y, int x) {
  const std::size_t bytes = l.bits / 8;
  const std::size_t frame_samples = static_cast<std::size_t>(l.rows) * l.columns * l.samples;
  std::size_t index;
  if (l.planar == 1) {
    index = static_cast<std::size_t>(channel) * l.rows * l.columns + static_cast<std::size_t>(y) * l.columns + x;
  } else {
    index = (static_cast<std::size_t>(y) * l.columns + x) * l.samples + channel;
  }
  return (frame * frame_samples + index) * bytes;
}

std::string Pixels(const Layout& l) {
  std::string out(static_cast<std::size_t>(l.rows) * l.columns * l.samples * l.frames * (l.bits / 8), '\0');
  for (int f = 0; f < l.frames; ++f) {
    for (int c = 0; c < l.samples; ++c) {
      for (int y = 0; y < l.rows; ++y) {
        for (int x = 0; x < l.columns; ++x) {
          std::uint32_t v = SampleValue(l, f, c, y, x);
          std::size_t off = SampleOffset(l, f, c, y, x);
          for (int b = 0; b < l.bits / 8; ++b) out[off + b] = static_cast<char>((v >> (8 * b)) & 0xFF);
        }
      }
    }
  }
  return out;
}

std::vector<Attribute> Image(const Layout& l) {
  std::vector<Attribute> a = {
      {0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.6.1", {}},
      {0x0008, 0x0018, "UI", "1.2.3.4.5.6.7.8.1", {}},
      {0x0008, 0x0060, "CS", l.modality, {}},
      {0x0008, 0x0070, "LO", "Acme Sonics", {}},
      {0x0008, 0x1090, "LO", "Sono 5", {}},
      {0x0010, 0x0010, "PN", "Kowalczyk^Hildegard", {}},
      {0x0010, 0x0020, "LO", "MRN4711", {}},
      {0x0020, 0x000D, "UI", "1.2.3.4.5.6.7.8.2", {}},
      {0x0020, 0x000E, "UI", "1.2.3.4.5.6.7.8.3", {}},
      {0x0028, 0x0002, "US", std::to_string(l.samples), {}},
      {0x0028, 0x0004, "CS", l.samples == 3 ? "RGB" : "MONOCHROME2", {}},
      {0x0028, 0x0010, "US", std::to_string(l.rows), {}},
      {0x0028, 0x0011, "US", std::to_string(l.columns), {}},
      {0x0028, 0x0100, "US", std::to_string(l.bits), {}},
      {0x0028, 0x0101, "US", std::to_string(l.bits), {}},
      {0x0028, 0x0102, "US", std::to_string(l.bits - 1), {}},
      {0x0028, 0x0103, "US", "0", {}},
      {0x7FE0, 0x0010, l.bits == 8 ? "OB" : "OW", Pixels(l), {}},
  };
  if (l.samples == 3) a.push_back({0x0028, 0x0006, "US", std::to_string(l.planar), {}});
  if (l.frames > 1) a.push_back({0x0028, 0x0008, "IS", std::to_string(l.frames), {}});
  if (!l.burned_in.empty()) a.push_back({0x0028, 0x0301, "CS", l.burned_in, {}});
  return a;
}

BurnedInTextRule Rule(const Layout& l, std::vector<PixelRegion> regions) {
  BurnedInTextRule r;
  r.modality = l.modality;
  r.manufacturer = "Acme Sonics";
  r.model = "Sono 5";
  r.rows = l.rows;
  r.columns = l.columns;
  r.regions = std::move(regions);
  return r;
}

ProfileOptions Cleaning(std::vector<BurnedInTextRule> rules) {
  ProfileOptions o;
  o.clean_pixel_data = true;
  o.burned_in_text = std::move(rules);
  return o;
}

// The value of the last Pixel Data element of an Explicit VR Little Endian file.
std::string PixelDataOf(const std::string& file) {
  const std::string tag("\xE0\x7F\x10\x00", 4);
  std::size_t at = file.rfind(tag);
  if (at == std::string::npos || at + 12 > file.size()) return {};
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length |= std::uint32_t{static_cast<unsigned char>(file[at + 8 + i])} << (8 * i);
  return file.substr(at + 12, length);
}

bool Inside(const std::vector<PixelRegion>& regions, int x, int y) {
  for (const PixelRegion& r : regions) {
    if (x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height) return true;
  }
  return false;
}

// Every sample inside a region is 0; every other one is as the input had it.
void ExpectCleaned(const Layout& l, const std::string& out_pixels, const std::vector<PixelRegion>& regions) {
  const std::string in = Pixels(l);
  ASSERT_GE(out_pixels.size(), in.size());
  int zeroed = 0, kept = 0;
  for (int f = 0; f < l.frames; ++f) {
    for (int c = 0; c < l.samples; ++c) {
      for (int y = 0; y < l.rows; ++y) {
        for (int x = 0; x < l.columns; ++x) {
          std::size_t off = SampleOffset(l, f, c, y, x);
          for (int b = 0; b < l.bits / 8; ++b) {
            if (Inside(regions, x, y)) {
              ASSERT_EQ(out_pixels[off + b], '\0') << "frame " << f << " channel " << c << " at " << x << "," << y;
            } else {
              ASSERT_EQ(out_pixels[off + b], in[off + b])
                  << "frame " << f << " channel " << c << " at " << x << "," << y;
            }
          }
          (Inside(regions, x, y) ? zeroed : kept)++;
        }
      }
    }
  }
  EXPECT_GT(zeroed, 0);
  EXPECT_GT(kept, 0);
}

bool BurnedInNo(const std::string& file) {
  return file.find(std::string("\x28\x00\x01\x03"
                               "CS\x02\x00NO",
                               10)) != std::string::npos;
}

using PixelCleanerTest = InstanceFilesTest;

Result<deid::DeidentifiedInstance> Deid(const std::string& bytes, const ProfileOptions& options) {
  EXPECT_TRUE(options.Validate().ok()) << options.Validate().ToString();
  auto p = deid::Pseudonymizer::Create(kKey);
  deid::Profile profile(options);
  DcmtkDeidentifier engine(profile, *p);
  return engine.Deidentify(bytes);
}

void CleanAndCheck(PixelCleanerTest* t, const Layout& l, const std::string& name) {
  const std::vector<PixelRegion> regions = {{2, 3, 5, 4}, {0, 0, l.columns, 1}, {l.columns - 1, l.rows - 2, 1, 2}};
  auto out = Deid(t->Write(Image(l), name), Cleaning({Rule(l, regions)}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectCleaned(l, PixelDataOf(out->bytes), regions);
  EXPECT_TRUE(BurnedInNo(out->bytes));
  EXPECT_NE(out->bytes.find("113101"), std::string::npos);
  EXPECT_EQ(out->bytes.find("Kowalczyk"), std::string::npos);
}

// Found by the fuzz target: Pixel Data (7FE0,0010) with VR OV in a big endian
// MR 64x64 file, which DCMTK holds as 64-bit values, not as pixel data. It is
// quarantined, never treated as pixels.
TEST(PixelCleanerRegression, PixelDataOfAnotherVrIsQuarantined) {
  const std::string bytes =
      oncoatlas::testing::ReadFile(std::string(ONCOATLAS_TESTDATA_DIR) + "/fuzz/pixel-data-as-ov.dcm");
  ASSERT_FALSE(bytes.empty());
  ProfileOptions o;
  o.clean_pixel_data = true;
  o.burned_in_text = {{"MR", "", "", 64, 64, {{0, 0, 4, 4}}}};
  auto out = Deid(bytes, o);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("no readable Pixel Data"), std::string::npos) << out.status().message();
}

TEST_F(PixelCleanerTest, Blanks16BitGreyInEveryFrame) {
  Layout l;
  l.frames = 3;
  CleanAndCheck(this, l, "grey16.dcm");
}

TEST_F(PixelCleanerTest, Blanks8BitGrey) {
  Layout l;
  l.bits = 8;
  CleanAndCheck(this, l, "grey8.dcm");
}

TEST_F(PixelCleanerTest, BlanksRgbPixelInterleaved) {
  Layout l;
  l.bits = 8;
  l.samples = 3;
  l.planar = 0;
  l.frames = 2;
  CleanAndCheck(this, l, "rgb0.dcm");
}

TEST_F(PixelCleanerTest, BlanksRgbPlanar) {
  Layout l;
  l.bits = 8;
  l.samples = 3;
  l.planar = 1;
  l.frames = 2;
  CleanAndCheck(this, l, "rgb1.dcm");
}

TEST_F(PixelCleanerTest, MatchingInstanceIsCleanedWhateverItsFlag) {
  Layout l;
  l.burned_in = "NO";
  CleanAndCheck(this, l, "flag-no.dcm");
  l.burned_in = "";
  CleanAndCheck(this, l, "flag-absent.dcm");
}

TEST_F(PixelCleanerTest, NoMatchingRuleQuarantinesWithTheDevice) {
  Layout l;
  BurnedInTextRule other = Rule(l, {{0, 0, 4, 4}});
  other.rows = 480;
  other.columns = 640;
  auto out = Deid(Write(Image(l), "us.dcm"), Cleaning({other}));
  ASSERT_FALSE(out.ok());
  const std::string m = out.status().message();
  EXPECT_NE(m.find("Burned In Annotation is YES and no burnedInTextRegions rule matches this device (modality US, "
                   "manufacturer \"Acme Sonics\", model \"Sono 5\", 20x16); add a rule for it"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("Kowalczyk"), std::string::npos);
  EXPECT_EQ(m.find("MRN4711"), std::string::npos);

  // The same, Burned In Annotation absent on a modality that often carries text.
  l.burned_in = "";
  auto absent = Deid(Write(Image(l), "us-absent.dcm"), Cleaning({other}));
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find("Burned In Annotation is absent for modality US"), std::string::npos);
  EXPECT_NE(absent.status().message().find("add a rule for it"), std::string::npos);

  // Fields compare trimmed and case-sensitive.
  BurnedInTextRule lower = Rule(l, {{0, 0, 4, 4}});
  lower.manufacturer = "acme sonics";
  l.burned_in = "YES";
  EXPECT_FALSE(Deid(Write(Image(l), "us-case.dcm"), Cleaning({lower})).ok());
  BurnedInTextRule padded = Rule(l, {{0, 0, 4, 4}});
  padded.manufacturer = " Acme Sonics ";
  EXPECT_TRUE(Deid(Write(Image(l), "us-pad.dcm"), Cleaning({padded})).ok());
  BurnedInTextRule any = Rule(l, {{0, 0, 4, 4}});
  any.modality = any.manufacturer = any.model = "";
  EXPECT_TRUE(Deid(Write(Image(l), "us-any.dcm"), Cleaning({any})).ok());
}

TEST_F(PixelCleanerTest, UnflaggedUnmatchedInstancePassesUncleanedWithout113101) {
  Layout l;
  l.modality = "CT";
  l.burned_in = "NO";
  BurnedInTextRule other = Rule(l, {{0, 0, 4, 4}});
  other.rows = 512;
  std::string in = Write(Image(l), "ct.dcm");
  auto out = Deid(in, Cleaning({other}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(PixelDataOf(out->bytes), Pixels(l));
  EXPECT_EQ(out->bytes.find("113101"), std::string::npos);
  EXPECT_NE(out->bytes.find("113100"), std::string::npos);
  // The De-identification Method text does not claim it either.
  EXPECT_EQ(out->bytes.find(" 113101"), std::string::npos);
}

TEST_F(PixelCleanerTest, WithoutTheOptionBurnedInIsQuarantinedWithTheFix) {
  Layout l;
  auto out = Deid(Write(Image(l), "us.dcm"), ProfileOptions{});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("Burned In Annotation is YES and Clean Pixel Data is not applied"),
            std::string::npos);
}

// Only an exact NO vouches for the pixels: an invalid flag on an ultrasound or
// on a CT is quarantined like YES, and the reason says why.
TEST_F(PixelCleanerTest, AnInvalidBurnedInFlagIsNoPromise) {
  for (const char* modality : {"US", "CT"}) {
    for (const char* flag : {"yes", "Y", "UNKNOWN", "no"}) {
      Layout l;
      l.modality = modality;
      l.burned_in = flag;
      auto out = Deid(Write(Image(l), "image.dcm"), ProfileOptions{});
      ASSERT_FALSE(out.ok()) << modality << " " << flag;
      EXPECT_NE(out.status().message().find("neither YES nor NO"), std::string::npos) << out.status().message();
    }
    Layout l;
    l.modality = modality;
    l.burned_in = "NO";
    EXPECT_TRUE(Deid(Write(Image(l), "image.dcm"), ProfileOptions{}).ok()) << modality;
  }
}

TEST_F(PixelCleanerTest, HeadPathIsRefusedWhenARuleMatches) {
  Layout l;
  l.burned_in = "NO";
  std::string in = Write(Image(l), "us.dcm");
  auto p = deid::Pseudonymizer::Create(kKey);
  deid::Profile matching(Cleaning({Rule(l, {{0, 0, 4, 4}})}));
  DcmtkDeidentifier engine(matching, *p);
  auto head = engine.DeidentifyHead(in, in.size());
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().message().rfind("no head path", 0), 0u) << head.status().message();
  EXPECT_NE(head.status().message().find("burned-in text rule"), std::string::npos);
  EXPECT_TRUE(engine.Deidentify(in).ok());

  BurnedInTextRule other = Rule(l, {{0, 0, 4, 4}});
  other.columns = 64;
  deid::Profile not_matching(Cleaning({other}));
  DcmtkDeidentifier engine2(not_matching, *p);
  EXPECT_TRUE(engine2.DeidentifyHead(in, in.size()).ok());
}

// Compresses `in` with one of Debian dcmtk's tools into `out`; false when the tool is missing.
bool Compress(const std::string& tool, const std::vector<std::string>& flags, const fs::path& in, const fs::path& out) {
  std::vector<std::string> argv = {tool};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(in.string());
  argv.push_back(out.string());
  auto r = RunSubprocess(argv);
  return r.ok() && r->success();
}

TEST_F(PixelCleanerTest, RleInputIsDecodedCleanedAndWrittenUncompressed) {
  for (int bits : {8, 16}) {
    Layout l;
    l.bits = bits;
    l.frames = 2;
    Write(Image(l), "plain.dcm");
    ASSERT_TRUE(Compress("/usr/bin/dcmcrle", {}, dir_ / "plain.dcm", dir_ / "rle.dcm")) << "dcmcrle (Debian dcmtk)";
    std::string rle = oncoatlas::testing::ReadFile(dir_ / "rle.dcm");
    ASSERT_NE(rle.find("1.2.840.10008.1.2.5"), std::string::npos) << "not RLE";
    const std::vector<PixelRegion> regions = {{1, 1, 6, 3}, {0, 10, 20, 2}};
    auto out = Deid(rle, Cleaning({Rule(l, regions)}));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->bytes.find("1.2.840.10008.1.2.5"), std::string::npos);
    EXPECT_NE(out->bytes.find(std::string("1.2.840.10008.1.2.1\0", 20)), std::string::npos);
    ExpectCleaned(l, PixelDataOf(out->bytes), regions);
    EXPECT_NE(out->bytes.find("113101"), std::string::npos);
  }
}

// The structure pre-scan skips the fragments of encapsulated Pixel Data (it used
// to read them as attributes and quarantine every compressed file as truncated).
TEST_F(PixelCleanerTest, CompressedInputWithoutARuleKeepsItsCompression) {
  Layout l;
  l.modality = "CT";
  l.burned_in = "NO";
  Write(Image(l), "plain.dcm");
  ASSERT_TRUE(Compress("/usr/bin/dcmcrle", {}, dir_ / "plain.dcm", dir_ / "rle.dcm"));
  auto out = Deid(oncoatlas::testing::ReadFile(dir_ / "rle.dcm"), ProfileOptions{});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->bytes.find("1.2.840.10008.1.2.5"), std::string::npos) << "still RLE";
  EXPECT_EQ(out->bytes.find("113101"), std::string::npos);
  EXPECT_EQ(out->bytes.find("Kowalczyk"), std::string::npos);
}

TEST_F(PixelCleanerTest, JpegLsInputIsDecodedAndCleaned) {
  Layout l;
  l.bits = 8;
  Write(Image(l), "plain.dcm");
  ASSERT_TRUE(Compress("/usr/bin/dcmcjpls", {"--encode-lossless"}, dir_ / "plain.dcm", dir_ / "jls.dcm"));
  const std::vector<PixelRegion> regions = {{3, 2, 7, 5}};
  auto out = Deid(oncoatlas::testing::ReadFile(dir_ / "jls.dcm"), Cleaning({Rule(l, regions)}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectCleaned(l, PixelDataOf(out->bytes), regions);
}

TEST_F(PixelCleanerTest, LosslessJpegInputIsDecodedAndCleaned) {
  Layout l;
  l.bits = 8;
  l.frames = 2;
  Write(Image(l), "plain.dcm");
  ASSERT_TRUE(Compress("/usr/bin/dcmcjpeg", {"--encode-lossless-sv1"}, dir_ / "plain.dcm", dir_ / "jpeg.dcm"));
  const std::vector<PixelRegion> regions = {{0, 0, 20, 3}, {10, 8, 4, 4}};
  auto out = Deid(oncoatlas::testing::ReadFile(dir_ / "jpeg.dcm"), Cleaning({Rule(l, regions)}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectCleaned(l, PixelDataOf(out->bytes), regions);
}

// Found by the fuzz target: a JPEG baseline file whose frame header marker
// (0xFFC0) reads 0xFF01 (TEM). DCMTK's JPEG decoder scans that fragment for
// its bit depth and never returns; the header walk refuses it first, so the
// instance is quarantined at once instead of hanging the ingestion worker.
TEST_F(PixelCleanerTest, JpegWhoseFrameHeaderIsATemMarkerIsQuarantinedNotDecoded) {
  Layout l;
  l.bits = 8;
  Write(Image(l), "plain.dcm");
  ASSERT_TRUE(Compress("/usr/bin/dcmcjpeg", {"--encode-baseline"}, dir_ / "plain.dcm", dir_ / "jpeg.dcm"));
  std::string bytes = oncoatlas::testing::ReadFile(dir_ / "jpeg.dcm");
  const std::size_t soi = bytes.find("\xFF\xD8\xFF");
  ASSERT_NE(soi, std::string::npos);
  const std::size_t sof = bytes.find("\xFF\xC0", soi);
  ASSERT_NE(sof, std::string::npos);
  bytes[sof + 1] = '\x01';
  auto out = Deid(bytes, Cleaning({Rule(l, {{0, 0, 4, 4}})}));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("the first fragment of the compressed Pixel Data (JPEG Baseline"),
            std::string::npos)
      << out.status().message();
  EXPECT_NE(out.status().message().find("has a TEM marker (0xFF01) at byte " + std::to_string(sof - soi) +
                                        " before its frame header (SOF); such images cannot be cleaned"),
            std::string::npos)
      << out.status().message();
}

// A transfer syntax DCMTK has no decoder for here (JPEG 2000: the JPEG-LS UID of
// a compressed file swapped for JPEG 2000's, which has the same length).
TEST_F(PixelCleanerTest, UndecodableCompressionIsQuarantinedNamingTheSyntax) {
  Layout l;
  l.bits = 8;
  Write(Image(l), "plain.dcm");
  ASSERT_TRUE(Compress("/usr/bin/dcmcjpls", {"--encode-lossless"}, dir_ / "plain.dcm", dir_ / "jls.dcm"));
  std::string bytes = oncoatlas::testing::ReadFile(dir_ / "jls.dcm");
  const std::string jpeg_ls = "1.2.840.10008.1.2.4.80", jpeg_2000 = "1.2.840.10008.1.2.4.90";
  std::size_t at = bytes.find(jpeg_ls);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, jpeg_ls.size(), jpeg_2000);
  auto out = Deid(bytes, Cleaning({Rule(l, {{0, 0, 4, 4}})}));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("Pixel Data is compressed with transfer syntax JPEG 2000"), std::string::npos)
      << out.status().message();
  EXPECT_NE(out.status().message().find("(1.2.840.10008.1.2.4.90), which the agent cannot decode; such images cannot "
                                        "be cleaned"),
            std::string::npos)
      << out.status().message();
}

TEST_F(PixelCleanerTest, UncleanableLayoutsAreQuarantinedNotPassed) {
  Layout l;
  auto attrs = Image(l);
  for (auto& a : attrs) {
    if (a.group == 0x0028 && a.element == 0x0002) a.value = "4";
  }
  auto out = Deid(Write(attrs, "cmyk.dcm"), Cleaning({Rule(l, {{0, 0, 4, 4}})}));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("Samples per Pixel is 4"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("cannot be cleaned"), std::string::npos);

  attrs = Image(l);
  attrs.push_back({0x0028, 0x0008, "IS", "5", {}});  // more frames than the data holds
  auto short_data = Deid(Write(attrs, "short.dcm"), Cleaning({Rule(l, {{0, 0, 4, 4}})}));
  ASSERT_FALSE(short_data.ok());
  EXPECT_NE(short_data.status().message().find("Pixel Data holds"), std::string::npos);
}

TEST(BurnedInTextRuleValidation, NamesTheProblemAndTheFix) {
  Layout l;
  auto message = [](const ProfileOptions& o) { return o.Validate().message(); };
  ProfileOptions o;
  o.clean_pixel_data = true;
  EXPECT_NE(message(o).find("Clean Pixel Data needs at least one burned-in text region rule"), std::string::npos);
  o = Cleaning({Rule(l, {})});
  EXPECT_NE(message(o).find("has no regions; give at least one rectangle"), std::string::npos);
  o = Cleaning({Rule(l, {{16, 0, 5, 2}})});
  EXPECT_NE(message(o).find("reaches outside the 20x16 image; keep x + width <= columns"), std::string::npos)
      << message(o);
  o = Cleaning({Rule(l, {{0, 15, 5, 2}})});
  EXPECT_NE(message(o).find("y + height <= rows"), std::string::npos);
  o = Cleaning({Rule(l, {{-1, 0, 5, 2}})});
  EXPECT_NE(message(o).find("x and y must be >= 0"), std::string::npos);
  o = Cleaning({Rule(l, {{0, 0, 0, 2}})});
  EXPECT_NE(message(o).find("width and height >= 1"), std::string::npos);
  BurnedInTextRule no_size = Rule(l, {{0, 0, 1, 1}});
  no_size.rows = 0;
  o = Cleaning({no_size});
  EXPECT_NE(message(o).find("rows and columns must be 1 to 65535"), std::string::npos);
  o = Cleaning({Rule(l, {{0, 0, 20, 16}})});
  EXPECT_TRUE(o.Validate().ok());
  o.clean_pixel_data = false;
  EXPECT_NE(message(o).find("without Clean Pixel Data; turn the option on"), std::string::npos);
}

TEST(BurnedInTextRuleValidation, MethodCodesClaim113101OnlyWhenCleaned) {
  Layout l;
  deid::Profile p(Cleaning({Rule(l, {{0, 0, 1, 1}})}));
  EXPECT_EQ(p.MethodCodes().size(), 1u);
  ASSERT_EQ(p.MethodCodes(true).size(), 2u);
  EXPECT_EQ(p.MethodCodes(true)[1].value, "113101");
  EXPECT_EQ(p.MethodDescription().find("113101"), std::string::npos);
  EXPECT_NE(p.MethodDescription(true).find("113101"), std::string::npos);
  EXPECT_EQ(deid::Profile(ProfileOptions{}).MethodCodes(true).size(), 1u) << "never without the option";
}

}  // namespace
}  // namespace oncoatlas::dicom

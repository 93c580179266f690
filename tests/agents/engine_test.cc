// Unit tests of the engine's entry point (agents/dicom/) on files written with
// the project's own writer: quarantine reasons, determinism, key dependence.
#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"
#include "dicom/instance_writer.h"
#include "dicom/nesting_scan.h"
#include "instance_files.h"
#include "synth/study_generator.h"

namespace oncoatlas::dicom {
namespace {

namespace fs = std::filesystem;

std::vector<Attribute> CtInstance(const std::string& patient) {
  std::string pixels(16 * 16 * 2, '\x01');
  return {
      {0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2", {}},
      {0x0008, 0x0018, "UI", "1.2.3.4.5.6.7.8.1", {}},
      {0x0008, 0x0020, "DA", "20230115", {}},
      {0x0008, 0x0060, "CS", "CT", {}},
      {0x0008, 0x0080, "LO", "Klinikum Nordstadt", {}},
      {0x0008, 0x1030, "LO", "Staging for Wojcikowska", {}},
      {0x0010, 0x0010, "PN", patient + "^Hildegard", {}},
      {0x0010, 0x0020, "LO", "MRN" + patient, {}},
      {0x0010, 0x1002, "SQ", "", {{{0x0010, 0x0020, "LO", "NHS999", {}}}}},
      {0x0020, 0x000D, "UI", "1.2.3.4.5.6.7.8.2", {}},
      {0x0020, 0x000E, "UI", "1.2.3.4.5.6.7.8.3", {}},
      {0x0028, 0x0002, "US", "1", {}},
      {0x0028, 0x0004, "CS", "MONOCHROME2", {}},
      {0x0028, 0x0010, "US", "16", {}},
      {0x0028, 0x0011, "US", "16", {}},
      {0x0028, 0x0100, "US", "16", {}},
      {0x0028, 0x0101, "US", "12", {}},
      {0x0028, 0x0102, "US", "11", {}},
      {0x0028, 0x0103, "US", "0", {}},
      {0x0029, 0x0010, "LO", "ACME 1.1", {}},
      {0x0029, 0x1010, "LO", "private " + patient, {}},
      {0x7FE0, 0x0010, "OW", pixels, {}},
  };
}

using EngineTest = InstanceFilesTest;

Result<deid::DeidentifiedInstance> Deid(const std::string& bytes, const std::string& key,
                                        deid::ProfileOptions options = {}) {
  auto p = deid::Pseudonymizer::Create(key);
  deid::Profile profile(options);
  DcmtkDeidentifier engine(profile, *p);
  return engine.Deidentify(bytes);
}

TEST_F(EngineTest, RemovesIdentifyingValuesAndIsDeterministic) {
  std::string in = Write(CtInstance("Kowalczyk"), "ct.dcm");
  auto a = Deid(in, "site-key-0123456789abcdef");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  for (const char* planted : {"Kowalczyk", "Hildegard", "MRNKowalczyk", "NHS999", "Nordstadt", "Wojcikowska",
                              "20230115", "1.2.3.4.5.6.7.8.1", "ACME 1.1"}) {
    EXPECT_EQ(a->bytes.find(planted), std::string::npos) << planted;
  }
  EXPECT_EQ(a->sop_instance_uid.rfind("2.25.", 0), 0u);
  EXPECT_NE(a->bytes.find("DICM"), std::string::npos);
  EXPECT_EQ(a->bytes.substr(0, 128), std::string(128, '\0'));
  EXPECT_NE(a->bytes.find(a->sop_instance_uid), a->bytes.rfind(a->sop_instance_uid));  // meta and data set
  auto again = Deid(in, "site-key-0123456789abcdef");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(a->bytes, again->bytes);
  auto other_key = Deid(in, "other-key-0123456789abcdef");
  ASSERT_TRUE(other_key.ok());
  EXPECT_NE(a->sop_instance_uid, other_key->sop_instance_uid);
}

TEST_F(EngineTest, RetainSafePrivateKeepsOnlyNamedAttributes) {
  std::string in = Write(CtInstance("Kowalczyk"), "ct.dcm");
  deid::ProfileOptions o;
  o.retain_safe_private = true;
  o.safe_private = {*deid::SafePrivateTag::Parse("ACME 1.1:0029,xx10")};
  auto a = Deid(in, "site-key-0123456789abcdef", o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_NE(a->bytes.find("ACME 1.1"), std::string::npos);
  EXPECT_NE(a->bytes.find("private Kowalczyk"), std::string::npos);
  o.safe_private = {*deid::SafePrivateTag::Parse("ACME 1.1:0029,xx11")};
  auto b = Deid(in, "site-key-0123456789abcdef", o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->bytes.find("private Kowalczyk"), std::string::npos);
}

TEST_F(EngineTest, QuarantinesBurnedInAnnotationRisk) {
  auto attrs = CtInstance("Kowalczyk");
  for (auto& a : attrs) {
    if (a.group == 0x0008 && a.element == 0x0060) a.value = "US";
  }
  auto r = Deid(Write(attrs, "us.dcm"), "site-key-0123456789abcdef");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Burned In Annotation is absent for modality US"), std::string::npos);
  attrs.push_back({0x0028, 0x0301, "CS", "NO", {}});
  EXPECT_TRUE(Deid(Write(attrs, "us-no.dcm"), "site-key-0123456789abcdef").ok());
  attrs.back().value = "YES";
  auto yes = Deid(Write(attrs, "us-yes.dcm"), "site-key-0123456789abcdef");
  ASSERT_FALSE(yes.ok());
  EXPECT_NE(yes.status().message().find("Burned In Annotation is YES"), std::string::npos);
  EXPECT_EQ(yes.status().message().find("Kowalczyk"), std::string::npos);
}

// The issue's rule, case by case: quarantined when Burned In Annotation is YES,
// or absent for US, SC and XA, unless Clean Pixel Data is applied (which the
// engine cannot do, so it refuses the option rather than claim it).
TEST_F(EngineTest, BurnedInRuleMatchesTheIssueForUsScAndXa) {
  for (const std::string modality : {"US", "SC", "XA"}) {
    auto attrs = CtInstance("Nowak");
    for (auto& a : attrs) {
      if (a.group == 0x0008 && a.element == 0x0060) a.value = modality;
    }
    auto absent = Deid(Write(attrs, modality + ".dcm"), "site-key-0123456789abcdef");
    ASSERT_FALSE(absent.ok()) << modality;
    EXPECT_EQ(absent.status().message(),
              "Burned In Annotation is absent for modality " + modality +
                  ", which often carries burned-in text, and Clean Pixel Data is not applied; turn it on with a "
                  "burned-in text region rule for this device (modality " +
                  modality + ", 16x16)");
  }
  // CT without the attribute is not a burned-in risk; CT with YES is.
  auto ct = CtInstance("Nowak");
  EXPECT_TRUE(Deid(Write(ct, "ct.dcm"), "site-key-0123456789abcdef").ok());
  ct.push_back({0x0028, 0x0301, "CS", "YES", {}});
  auto ct_yes = Deid(Write(ct, "ct-yes.dcm"), "site-key-0123456789abcdef");
  ASSERT_FALSE(ct_yes.ok());
  EXPECT_EQ(ct_yes.status().message(),
            "Burned In Annotation is YES and Clean Pixel Data is not applied; turn it on with a burned-in text region "
            "rule for this device (modality CT, 16x16)");

  // Clean Recognizable Visual Features: an image to deface needs its series
  // (defacer_test.cc); any other is de-identified alone, without 113102.
  deid::ProfileOptions deface;
  deface.clean_recognizable_visual_features = true;
  auto alone = Deid(Write(CtInstance("Nowak"), "ct-deface.dcm"), "site-key-0123456789abcdef", deface);
  ASSERT_TRUE(alone.ok()) << alone.status().message();
  EXPECT_EQ(alone->bytes.find("113102"), std::string::npos);
  auto flagged = CtInstance("Nowak");
  flagged.push_back({0x0028, 0x0302, "CS", "YES", {}});
  auto refused = Deid(Write(flagged, "ct-flagged.dcm"), "site-key-0123456789abcdef", deface);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "Recognizable Visual Features: the image must be defaced together with the rest of its series");
}

// The facets the index needs come from the de-identified data set: only what
// the profile kept.
TEST_F(EngineTest, FacetsHoldOnlyWhatTheProfileKept) {
  auto attrs = CtInstance("Nowak");
  attrs.push_back({0x0008, 0x0070, "LO", "Acme Medical", {}});
  attrs.push_back({0x0010, 0x0040, "CS", "F", {}});
  attrs.push_back({0x0010, 0x1010, "AS", "047Y", {}});
  attrs.push_back({0x0018, 0x0015, "CS", "CHEST", {}});
  std::sort(attrs.begin(), attrs.end(), [](const Attribute& a, const Attribute& b) {
    return std::make_pair(a.group, a.element) < std::make_pair(b.group, b.element);
  });
  const std::string bytes = Write(attrs, "facets.dcm");
  auto basic = Deid(bytes, "site-key-0123456789abcdef");
  ASSERT_TRUE(basic.ok()) << basic.status().ToString();
  EXPECT_EQ(basic->modality, "CT");
  EXPECT_EQ(basic->body_part, "CHEST");
  EXPECT_EQ(basic->manufacturer, "Acme Medical");
  EXPECT_EQ(basic->sex, "");       // Patient's Sex is emptied by the basic profile
  EXPECT_EQ(basic->age_band, "");  // Patient's Age is removed
  EXPECT_EQ(basic->study_year, 0);
  EXPECT_EQ(basic->patient_pseudonym.size(), 33u);
  EXPECT_EQ(basic->patient_pseudonym.find("Nowak"), std::string::npos);

  deid::ProfileOptions keep;
  keep.retain_patient_characteristics = true;
  keep.retain_longitudinal_full_dates = true;
  auto kept = Deid(bytes, "site-key-0123456789abcdef", keep);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->sex, "F");
  EXPECT_EQ(kept->age_band, "40-49");
  EXPECT_EQ(kept->study_year, 2023);
  EXPECT_EQ(kept->patient_pseudonym, basic->patient_pseudonym);
}

TEST_F(EngineTest, QuarantinesMalformedInput) {
  std::string good = Write(CtInstance("Kowalczyk"), "ct.dcm");
  const std::string key = "site-key-0123456789abcdef";
  EXPECT_FALSE(Deid("", key).ok());
  EXPECT_FALSE(Deid(good.substr(0, good.size() / 2), key).ok());
  EXPECT_FALSE(Deid(good + std::string(1 << 20, '\0'), key).ok());
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::string noise(4096, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    EXPECT_FALSE(Deid(noise, key).ok());
    EXPECT_FALSE(Deid(good.substr(0, 300) + noise, key).ok());
  }
  // Patient's Name encoded as US.
  std::string wrong_vr = good;
  auto pos = wrong_vr.find(std::string("\x10\x00\x10\x00PN", 6));
  ASSERT_NE(pos, std::string::npos);
  wrong_vr.replace(pos + 4, 2, "US");
  auto r = Deid(wrong_vr, key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("(0010,0010) is encoded with VR US"), std::string::npos);
}

// An explicit VR little endian data set of `depth` nested undefined-length sequences.
std::string DeeplyNested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) {
    s += std::string("\xfa\xff\xfa\xffSQ\0\0\xff\xff\xff\xff", 12);  // Digital Signatures Sequence
    s += std::string("\xfe\xff\x00\xe0\xff\xff\xff\xff", 8);         // item, undefined length
  }
  for (int i = 0; i < depth; ++i) {
    s += std::string("\xfe\xff\x0d\xe0\0\0\0\0", 8);  // item delimiter
    s += std::string("\xfe\xff\xdd\xe0\0\0\0\0", 8);  // sequence delimiter
  }
  return s;
}

TEST(NestingScanTest, MeasuresDepth) {
  EXPECT_EQ(MaxSequenceNesting(DeeplyNested(3), 100), 3);
  EXPECT_EQ(MaxSequenceNesting(DeeplyNested(1), 100), 1);
  EXPECT_EQ(MaxSequenceNesting(std::string("\x08\x00\x20\x00"
                                           "DA\x08\x00"
                                           "20230115",
                                           16),
                               100),
            0);
  EXPECT_GT(MaxSequenceNesting(DeeplyNested(100000), 40), 40);
}

TEST_F(EngineTest, QuarantinesDeepNestingWithoutRecursing) {
  std::string good = Write(CtInstance("Kowalczyk"), "ct.dcm");
  auto r = Deid(good + DeeplyNested(200000), "site-key-0123456789abcdef");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos);
}

// The head path (large files: header parsed, uncompressed pixel data copied)
// gives exactly the bytes of the whole-file path, on multi-frame files.
TEST_F(EngineTest, HeadPathEqualsTheWholeFilePath) {
  synth::GeneratorOptions o;
  o.output = dir_ / "synth";
  o.patients = 2;
  o.slices = 2;
  o.matrix = 64;
  o.frames = 12;  // 96 KB of pixel data per image
  ASSERT_TRUE(synth::StudyGenerator(o).Run().ok());
  auto pseudonymizer = deid::Pseudonymizer::Create("site-key-0123456789abcdef");
  ASSERT_TRUE(pseudonymizer.ok());
  deid::ProfileOptions options;
  options.retain_longitudinal_modified_dates = true;
  deid::Profile profile(options);
  DcmtkDeidentifier engine(profile, *pseudonymizer);
  int head_paths = 0, files = 0;
  for (const auto& e : fs::recursive_directory_iterator(o.output / "dicom")) {
    if (!e.is_regular_file()) continue;
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto whole = engine.Deidentify(bytes);
    auto head = engine.DeidentifyHead(std::string_view(bytes).substr(0, 64 * 1024), bytes.size());
    if (!head.ok()) {
      EXPECT_LT(bytes.size(), 64u * 1024) << e.path() << ": " << head.status().ToString();
      continue;
    }
    ++head_paths;
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    ASSERT_LE(head->tail_offset, bytes.size());
    std::string tail = bytes.substr(head->tail_offset);
    deid::ClearUnusedBits(head->tail_bits,
                          std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(tail.data()), tail.size()));
    std::string joined = head->instance.bytes + tail;
    EXPECT_EQ(joined, whole->bytes) << e.path();
    EXPECT_LT(head->tail_offset, std::uint64_t{64} * 1024);
    EXPECT_EQ(head->instance.sop_instance_uid, whole->sop_instance_uid);
    EXPECT_EQ(head->instance.age_band, whole->age_band);
    EXPECT_EQ(head->instance.study_year, whole->study_year);
  }
  EXPECT_GT(files, 0);
  EXPECT_GE(head_paths, 8);  // every CT, MR and MG image of the two patients
}

// An old-style overlay drawn into the bits above Bits Stored (text in the
// pixels) is cleared on the whole-file path and handed to the caller to clear
// on the head path, with the same result; signed samples keep their sign.
TEST_F(EngineTest, BitsAboveBitsStoredAreClearedOnBothPaths) {
  for (bool is_signed : {false, true}) {
    auto attrs = CtInstance("Kowalczyk");
    std::string pixels;
    for (int i = 0; i < 16 * 16; ++i) {
      const std::uint16_t v = static_cast<std::uint16_t>((i % 3 == 0 ? 0x1000 : 0) | (i % 5 == 0 ? 0x0800 : 0) | i);
      pixels.push_back(static_cast<char>(v & 0xFF));
      pixels.push_back(static_cast<char>(v >> 8));
    }
    for (Attribute& a : attrs) {
      if (a.group == 0x7FE0) a.value = pixels;
      if (a.group == 0x0028 && a.element == 0x0103) a.value = is_signed ? "1" : "0";
    }
    std::string in = Write(attrs, "overlay.dcm");
    auto p = deid::Pseudonymizer::Create("site-key-0123456789abcdef");
    deid::Profile profile(deid::ProfileOptions{});
    DcmtkDeidentifier engine(profile, *p);
    auto whole = engine.Deidentify(in);
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    const std::string out_pixels = whole->bytes.substr(whole->bytes.size() - pixels.size());
    for (int i = 0; i < 16 * 16; ++i) {
      const std::uint16_t v = static_cast<std::uint16_t>(static_cast<unsigned char>(out_pixels[2 * i]) |
                                                         (static_cast<unsigned char>(out_pixels[2 * i + 1]) << 8));
      const std::uint16_t stored = static_cast<std::uint16_t>((i % 5 == 0 ? 0x0800 : 0) | i);
      const bool negative = is_signed && (stored & 0x0800) != 0;
      ASSERT_EQ(v, negative ? (stored | 0xF000) : stored) << "sample " << i << (is_signed ? " signed" : "");
    }
    auto head = engine.DeidentifyHead(in, in.size());
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_TRUE(head->tail_bits.HasUnusedBits());
    std::string tail = in.substr(head->tail_offset);
    EXPECT_EQ(tail, pixels);
    deid::ClearUnusedBits(head->tail_bits,
                          std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(tail.data()), tail.size()));
    EXPECT_EQ(head->instance.bytes + tail, whole->bytes);
  }
}

// Anything but native little-endian Pixel Data at the end of the file is left to the whole-file path.
TEST_F(EngineTest, HeadPathRefusesWhatItCannotCopy) {
  auto attrs = CtInstance("Kowalczyk");
  std::string in = Write(attrs, "ct.dcm");
  auto p = deid::Pseudonymizer::Create("site-key-0123456789abcdef");
  deid::Profile profile(deid::ProfileOptions{});
  DcmtkDeidentifier engine(profile, *p);
  EXPECT_TRUE(engine.DeidentifyHead(in, in.size()).ok());
  EXPECT_FALSE(engine.DeidentifyHead(in, in.size() + 2).ok());             // something after Pixel Data
  EXPECT_FALSE(engine.DeidentifyHead(in.substr(0, 200), in.size()).ok());  // header not in the head
  EXPECT_FALSE(engine.DeidentifyHead("", 100000).ok());
}

// Deflated Explicit VR Little Endian: the same meta with the deflate transfer
// syntax, the data set raw-deflated.
std::string Deflated(const std::string& part10) {
  auto u32 = [&](std::size_t p) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(part10[p])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(part10[p + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(part10[p + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(part10[p + 3])) << 24;
  };
  const std::size_t meta_end = 132 + 12 + u32(132 + 8);
  std::string meta;
  for (std::size_t p = 132 + 12; p < meta_end;) {  // every meta element but group length and transfer syntax
    std::size_t len = static_cast<unsigned char>(part10[p + 6]) | static_cast<unsigned char>(part10[p + 7]) << 8;
    std::size_t header = 8;
    if (part10.compare(p + 4, 2, "OB") == 0) {
      len = u32(p + 8);
      header = 12;
    }
    if (part10.compare(p, 4, std::string("\x02\x00\x10\x00", 4)) != 0) meta += part10.substr(p, header + len);
    p += header + len;
  }
  meta += std::string("\x02\x00\x10\x00UI\x16\x00", 8) + "1.2.840.10008.1.2.1.99";
  std::string group_length("\x02\x00\x00\x00UL\x04\x00", 8);
  for (int i = 0; i < 4; ++i) group_length.push_back(static_cast<char>((meta.size() >> (8 * i)) & 0xFF));
  std::string data_set = part10.substr(meta_end);
  std::string out(compressBound(data_set.size()) + 64, '\0');
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(data_set.data());
  z.avail_in = static_cast<uInt>(data_set.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return part10.substr(0, 132) + group_length + meta + out;
}

// A deflated input keeps its whole data set (DCMTK's encoder must be flushed),
// and de-identifies as its uncompressed twin does.
TEST_F(EngineTest, DeflatedInputKeepsItsDataSet) {
  auto attrs = CtInstance("Kowalczyk");
  std::string pixels(64 * 64 * 2, '\0');  // above DCMTK's 4 KB read limit, and incompressible
  std::mt19937 rng(7);
  for (char& c : pixels) c = static_cast<char>(rng() & 0xFF);
  attrs.back().value = pixels;
  for (auto& a : attrs) {
    if (a.group == 0x0028 && (a.element == 0x0010 || a.element == 0x0011)) a.value = "64";
    if (a.group == 0x0028 && a.element == 0x0101) a.value = "16";  // every bit stored: the noise stays noise
    if (a.group == 0x0028 && a.element == 0x0102) a.value = "15";
  }
  std::string plain = Write(attrs, "ct.dcm");
  std::string deflated = Deflated(plain);
  auto a = Deid(plain, "site-key-0123456789abcdef");
  auto b = Deid(deflated, "site-key-0123456789abcdef");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->sop_instance_uid, a->sop_instance_uid);
  EXPECT_EQ(b->modality, "CT");
  EXPECT_GT(b->bytes.size(), pixels.size());  // the whole data set, not an empty one
  EXPECT_NE(b->bytes.find("1.2.840.10008.1.2.1.99"), std::string::npos);
  EXPECT_EQ(b->bytes.find("Kowalczyk"), std::string::npos);
  // A deflated data set that claims ~4 GiB inside is refused before DCMTK allocates it.
  std::string claim = plain;
  const std::size_t pd = claim.rfind(std::string("\xE0\x7F\x10\x00OW", 6));
  ASSERT_NE(pd, std::string::npos);
  claim.replace(pd + 8, 4, std::string("\xF0\xFF\xFF\xFF", 4));
  auto c = Deid(Deflated(claim), "site-key-0123456789abcdef");
  EXPECT_FALSE(c.ok());
}

}  // namespace
}  // namespace oncoatlas::dicom

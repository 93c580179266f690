#include "synth/study_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <tuple>

#include "synth/bitmap_font.h"

namespace oncoatlas::synth {
namespace {

using dicom::Attribute;
namespace fs = std::filesystem;

const char* kFamilyNames[] = {"Wojcikowska", "Brandauer", "Oyelaran",   "Castellanos", "Lindqvist",
                              "Fitzgerald",  "Papadakis", "Vanderbeek", "Kowalczyk",   "Rautenberg",
                              "Moreau",      "Halvorsen", "Szabados",   "Antonescu",   "Delacroix"};
const char* kGivenNames[] = {"Hildegard", "Matthias",  "Adaeze",  "Ximena",  "Torbjorn", "Siobhan", "Eleftheria",
                             "Joris",     "Agnieszka", "Wilhelm", "Margaux", "Solveig",  "Zoltan",  "Ioana"};
const char* kStreets[] = {"Lindenstrasse", "Rue des Acacias", "Via Garibaldi", "Kastanjelaan", "Calle Mayor"};
const char* kCities[] = {"Berlin", "Lyon", "Bologna", "Utrecht", "Zaragoza", "Tartu", "Graz"};
const char* kInstitutions[] = {"Klinikum Nordstadt", "Hopital Saint-Exupery", "Ospedale San Vittore",
                               "Universitair Ziekenhuis Oost", "Hospital Clinico Levante"};

std::string Pad(int v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*d", width, v);
  return buf;
}

Attribute A(std::uint16_t g, std::uint16_t e, const char* vr, std::string value) {
  return Attribute{g, e, vr, std::move(value), {}};
}
Attribute Seq(std::uint16_t g, std::uint16_t e, std::vector<std::vector<Attribute>> items) {
  return Attribute{g, e, "SQ", "", std::move(items)};
}

std::string Ds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

}  // namespace

struct StudyGenerator::Patient {
  std::string name, family, given, id, other_id, birth_date, sex, address, phone, mother_name;
  int age = 0;
};

struct StudyGenerator::Study {
  std::string key;  // "study0001": names the label file and groups the manifest
  std::string study_uid, frame_of_reference_uid, date, time, accession, study_id, institution, institution_address,
      referring, performing, operator_name, reader, station, serial, description;
  bool lesion = false;
  int lesion_x = 0, lesion_y = 0, lesion_r = 0, lesion_first = 0, lesion_last = 0;
  nlohmann::json instances = nlohmann::json::array();
};

StudyGenerator::StudyGenerator(GeneratorOptions options) : options_(std::move(options)), rng_(options_.seed) {}

int StudyGenerator::Uniform(int lo, int hi) {
  return lo + static_cast<int>(rng_() % static_cast<std::uint64_t>(hi - lo + 1));
}

std::string StudyGenerator::Uid() {
  // 2.25 UIDs of random 120-bit numbers (the original, identifying UIDs).
  std::string digits = std::to_string(1 + rng_() % 9);
  for (int i = 0; i < 35; ++i) digits.push_back(static_cast<char>('0' + rng_() % 10));
  return "2.25." + digits;
}

void StudyGenerator::Plant(const std::string& value, const std::string& attribute, const std::string& kind) {
  planted_.push_back({{"value", value}, {"attribute", attribute}, {"kind", kind}, {"study", current_study_}});
  ++summary_.planted_values;
}

StudyGenerator::Patient StudyGenerator::MakePatient(int index) {
  Patient p;
  p.family = kFamilyNames[Uniform(0, std::size(kFamilyNames) - 1)];
  p.given = kGivenNames[Uniform(0, std::size(kGivenNames) - 1)];
  p.family += "-" + std::string(kFamilyNames[(index * 7 + 3) % std::size(kFamilyNames)]);
  p.name = p.family + "^" + p.given;
  p.id = "MRN" + Pad(Uniform(1000000, 9999999), 7) + Pad(index, 3);
  p.other_id = "NHS" + Pad(Uniform(100000000, 999999999), 9);
  int year = Uniform(1938, 1985);
  p.birth_date = std::to_string(year) + Pad(Uniform(1, 12), 2) + Pad(Uniform(1, 28), 2);
  p.age = 2024 - year;
  p.sex = Uniform(0, 1) == 0 ? "F" : "M";
  p.address = std::string(kStreets[Uniform(0, std::size(kStreets) - 1)]) + " " + std::to_string(Uniform(1, 180)) +
              ", " + Pad(Uniform(10000, 99999), 5) + " " + kCities[Uniform(0, std::size(kCities) - 1)];
  p.phone = "+49 30 " + Pad(Uniform(1000, 9999), 4) + " " + Pad(Uniform(1000, 9999), 4);
  p.mother_name = std::string(kFamilyNames[Uniform(0, std::size(kFamilyNames) - 1)]) + "geb^Roswitha";
  return p;
}

std::vector<Attribute> StudyGenerator::CommonAttributes(const Patient& p, const Study& s, const std::string& modality,
                                                        const std::string& series_uid, int series_number,
                                                        const std::string& series_description) {
  std::vector<Attribute> a = {
      A(0x0008, 0x0005, "CS", "ISO_IR 100"),
      A(0x0008, 0x0020, "DA", s.date),
      A(0x0008, 0x0021, "DA", s.date),
      A(0x0008, 0x0022, "DA", s.date),
      A(0x0008, 0x0023, "DA", s.date),
      A(0x0008, 0x0030, "TM", s.time),
      A(0x0008, 0x0031, "TM", s.time),
      A(0x0008, 0x0032, "TM", s.time),
      A(0x0008, 0x0033, "TM", s.time),
      A(0x0008, 0x0050, "SH", s.accession),
      A(0x0008, 0x0060, "CS", modality),
      A(0x0008, 0x0070, "LO", "OncoSynth Imaging"),
      A(0x0008, 0x0080, "LO", s.institution),
      A(0x0008, 0x0081, "ST", s.institution_address),
      A(0x0008, 0x0090, "PN", s.referring),
      A(0x0008, 0x1010, "SH", s.station),
      A(0x0008, 0x1030, "LO", s.description),
      A(0x0008, 0x103E, "LO", series_description),
      A(0x0008, 0x1048, "PN", s.referring),
      A(0x0008, 0x1050, "PN", s.performing),
      A(0x0008, 0x1060, "PN", s.reader),
      A(0x0008, 0x1070, "PN", s.operator_name),
      A(0x0008, 0x1090, "LO", "Synth " + modality + " 1"),
      Seq(0x0008, 0x1120, {{A(0x0008, 0x1150, "UI", "1.2.840.10008.3.1.2.1.1"), A(0x0008, 0x1155, "UI", Uid())}}),
      A(0x0010, 0x0010, "PN", p.name),
      A(0x0010, 0x0020, "LO", p.id),
      A(0x0010, 0x0021, "LO", "Registry of " + s.institution),
      A(0x0010, 0x0030, "DA", p.birth_date),
      A(0x0010, 0x0040, "CS", p.sex),
      Seq(0x0010, 0x1002,
          {{A(0x0010, 0x0020, "LO", p.other_id), A(0x0010, 0x0021, "LO", "NHS Registry"),
            A(0x0010, 0x0022, "CS", "TEXT")}}),
      A(0x0010, 0x1000, "LO", p.other_id),
      A(0x0010, 0x1010, "AS", Pad(p.age, 3) + "Y"),
      A(0x0010, 0x1040, "LO", p.address),
      A(0x0010, 0x1060, "PN", p.mother_name),
      A(0x0010, 0x2154, "SH", p.phone),
      A(0x0010, 0x21B0, "LT", "Former smoker; referred by " + s.referring + " after screening at " + s.institution),
      A(0x0010, 0x4000, "LT", "Patient " + p.given + " " + p.family + " prefers calls on " + p.phone),
      A(0x0018, 0x1000, "LO", s.serial),
      A(0x0018, 0x1030, "LO", "Protocol for " + p.family),
      A(0x0020, 0x000D, "UI", s.study_uid),
      A(0x0020, 0x000E, "UI", series_uid),
      A(0x0020, 0x0010, "SH", s.study_id),
      A(0x0020, 0x0011, "IS", std::to_string(series_number)),
      A(0x0020, 0x0052, "UI", s.frame_of_reference_uid),
      A(0x0020, 0x1040, "LO", ""),
      A(0x0028, 0x0301, "CS", "NO"),
      Seq(0x0040, 0x0275,
          {{A(0x0040, 0x1001, "SH", "RP" + s.accession), A(0x0040, 0x0009, "SH", "SPS" + s.accession),
            A(0x0032, 0x1060, "LO", "Staging for " + p.name)}}),
      // Private block of a fictitious vendor, with identifying values.
      A(0x0029, 0x0010, "LO", "ONCOSYNTH 1.0"),
      A(0x0029, 0x1010, "LO", p.name),
      Seq(0x0029, 0x1011, {{A(0x0029, 0x0010, "LO", "ONCOSYNTH 1.0"), A(0x0029, 0x1012, "LO", p.id)}}),
  };
  return a;
}

void StudyGenerator::PlantStudy(const Patient& p, const Study& s) {
  for (const auto& [v, attr, kind] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {p.name, "PatientName", "text"},
           {p.family, "PatientName family", "text"},
           {p.given + " " + p.family, "PatientComments", "text"},
           {p.id, "PatientID", "text"},
           {p.other_id, "OtherPatientIDs", "text"},
           {p.birth_date, "PatientBirthDate", "date"},
           {p.address, "PatientAddress", "text"},
           {p.phone, "PatientTelephoneNumbers", "text"},
           {p.mother_name, "PatientMotherBirthName", "text"},
           {s.date, "StudyDate", "date"},
           {s.accession, "AccessionNumber", "text"},
           {s.study_id, "StudyID", "text"},
           {s.institution, "InstitutionName", "text"},
           {s.institution_address, "InstitutionAddress", "text"},
           {s.referring, "ReferringPhysicianName", "text"},
           {s.performing, "PerformingPhysicianName", "text"},
           {s.operator_name, "OperatorsName", "text"},
           {s.reader, "NameOfPhysiciansReadingStudy", "text"},
           {s.station, "StationName", "text"},
           {s.serial, "DeviceSerialNumber", "text"},
           {s.description, "StudyDescription", "text"},
           {s.study_uid, "StudyInstanceUID", "uid"},
           {s.frame_of_reference_uid, "FrameOfReferenceUID", "uid"},
       }) {
    Plant(v, attr, kind);
  }
}

Status StudyGenerator::WriteStudy(const Patient& p, Study& s, const std::string& modality) {
  current_study_ = s.key;
  PlantStudy(p, s);
  struct SeriesPlan {
    std::string description;
    int images;
    std::string laterality;  // MG: L or R
    std::string view;        // MG: CC or MLO
  };
  std::vector<SeriesPlan> plan;
  if (modality == "CT") {
    plan = {{"Topogram " + p.family, 1, "", ""}, {"Thorax axial " + p.given, options_.slices, "", ""}};
    if (options_.only_ct) plan = {{"Thorax axial " + p.given, options_.slices, "", ""}};
  } else if (modality == "MR") {
    plan = {{"T1 axial " + p.family, options_.slices, "", ""}, {"T2 axial " + p.family, options_.slices, "", ""}};
  } else {
    plan = {{"R CC " + p.given, 1, "R", "CC"},
            {"L CC " + p.given, 1, "L", "CC"},
            {"R MLO " + p.given, 1, "R", "MLO"},
            {"L MLO " + p.given, 1, "L", "MLO"}};
  }
  const int n = modality == "MG" ? options_.matrix * 2 : options_.matrix;
  int series_number = 1;
  std::vector<std::string> first_instance_uids;
  std::vector<Reference> references;
  for (const SeriesPlan& sp : plan) {
    std::string series_uid = Uid();
    Plant(series_uid, "SeriesInstanceUID", "uid");
    Plant(sp.description, "SeriesDescription", "text");
    fs::path dir = options_.output / "dicom" / s.key / ("series" + Pad(series_number, 2));
    for (int i = 0; i < sp.images; ++i) {
      std::string sop_uid = Uid();
      Plant(sop_uid, "SOPInstanceUID", "uid");
      auto a = CommonAttributes(p, s, modality, series_uid, series_number, sp.description);
      a.push_back(A(0x0008, 0x0018, "UI", sop_uid));
      a.push_back(A(0x0020, 0x0013, "IS", std::to_string(i + 1)));
      a.push_back(A(0x0020, 0x4000, "LT", "Reviewed with " + p.given + " " + p.family + " on " + s.date));
      a.push_back(A(0x0028, 0x0002, "US", "1"));
      a.push_back(A(0x0028, 0x0004, "CS", "MONOCHROME2"));
      a.push_back(A(0x0028, 0x0010, "US", std::to_string(n)));
      a.push_back(A(0x0028, 0x0011, "US", std::to_string(n)));
      a.push_back(A(0x0028, 0x0100, "US", "16"));
      a.push_back(A(0x0028, 0x0101, "US", "12"));
      a.push_back(A(0x0028, 0x0102, "US", "11"));
      a.push_back(A(0x0028, 0x0103, "US", "0"));
      bool in_lesion = s.lesion && i >= s.lesion_first && i <= s.lesion_last && modality != "MG";
      if (modality == "MG") in_lesion = s.lesion && sp.laterality == "L";
      // Pixels: a body disc with a brighter lesion disc.
      std::string pixels(static_cast<std::size_t>(n) * n * 2, '\0');
      const int base = modality == "CT" ? 1024 + 40 : (modality == "MR" ? 400 : 1800);
      const int lesion_value = modality == "CT" ? 1024 + 160 : (modality == "MR" ? 900 : 3200);
      const double scale = static_cast<double>(n) / options_.matrix;
      for (int y = 0; y < n; ++y) {
        for (int x = 0; x < n; ++x) {
          double dx = x - n / 2.0, dy = y - n / 2.0;
          int v = std::hypot(dx, dy) < n * 0.42 ? base + static_cast<int>(rng_() % 21) : 0;
          if (in_lesion && std::hypot(x - s.lesion_x * scale, y - s.lesion_y * scale) <= s.lesion_r * scale) {
            v = lesion_value;
          }
          std::size_t off = (static_cast<std::size_t>(y) * n + x) * 2;
          pixels[off] = static_cast<char>(v & 0xFF);
          pixels[off + 1] = static_cast<char>((v >> 8) & 0xFF);
        }
      }
      if (modality == "MG" && options_.burned_in_text) {
        // The view label, as a mammography unit burns it: scale 2, white, top left.
        DrawText(sp.laterality + " " + sp.view, 4, 4, 2, [&](int x, int y) {
          if (x >= n || y >= n) return;
          std::size_t off = (static_cast<std::size_t>(y) * n + x) * 2;
          pixels[off] = static_cast<char>(0xFF);
          pixels[off + 1] = static_cast<char>(0x0F);
        });
        for (auto& x : a) {
          if (x.group == 0x0028 && x.element == 0x0301) x.value = "YES";
        }
      }
      if (options_.frames > 1) {  // multi-frame: the slice repeated (benchmarks of large files)
        std::string frame = pixels;
        pixels.reserve(frame.size() * static_cast<std::size_t>(options_.frames));
        for (int f = 1; f < options_.frames; ++f) pixels += frame;
        a.push_back(A(0x0028, 0x0008, "IS", std::to_string(options_.frames)));
      }
      a.push_back(Attribute{0x7FE0, 0x0010, "OW", std::move(pixels), {}});
      const std::string spacing = Ds(modality == "MG" ? 0.1 : 0.7 / scale);
      if (modality == "CT") {
        a.push_back(A(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2"));
        a.push_back(
            A(0x0008, 0x0008, "CS", sp.images == 1 ? "ORIGINAL\\PRIMARY\\LOCALIZER" : "ORIGINAL\\PRIMARY\\AXIAL"));
        a.push_back(A(0x0018, 0x0060, "DS", "120"));
        a.push_back(A(0x0018, 0x0050, "DS", "2.5"));
        a.push_back(A(0x0018, 0x1210, "SH", "B30f"));
        a.push_back(A(0x0020, 0x0012, "IS", "1"));
        a.push_back(A(0x0028, 0x1052, "DS", "-1024"));
        a.push_back(A(0x0028, 0x1053, "DS", "1"));
        a.push_back(A(0x0028, 0x1050, "DS", "40"));
        a.push_back(A(0x0028, 0x1051, "DS", "400"));
      } else if (modality == "MR") {
        a.push_back(A(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.4"));
        a.push_back(A(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\M\\ND"));
        a.push_back(A(0x0018, 0x0020, "CS", "SE"));
        a.push_back(A(0x0018, 0x0021, "CS", "NONE"));
        a.push_back(A(0x0018, 0x0022, "CS", ""));
        a.push_back(A(0x0018, 0x0023, "CS", "2D"));
        a.push_back(A(0x0018, 0x0050, "DS", "4"));
        a.push_back(A(0x0018, 0x0080, "DS", series_number == 1 ? "500" : "4000"));
        a.push_back(A(0x0018, 0x0081, "DS", series_number == 1 ? "15" : "90"));
        a.push_back(A(0x0018, 0x0091, "IS", series_number == 1 ? "1" : "16"));
        a.push_back(A(0x0018, 0x0087, "DS", "1.5"));
        a.push_back(A(0x0020, 0x0012, "IS", "1"));
      } else {
        a.push_back(A(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.1.2"));
        a.push_back(A(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY"));
        a.push_back(A(0x0008, 0x0068, "CS", "FOR PRESENTATION"));
        a.push_back(A(0x0018, 0x0015, "CS", "BREAST"));
        a.push_back(A(0x0018, 0x7004, "CS", "DIRECT"));
        a.push_back(A(0x0018, 0x1164, "DS", "0.1\\0.1"));
        a.push_back(A(0x0020, 0x0062, "CS", sp.laterality));
        a.push_back(A(0x0020, 0x0020, "CS", sp.laterality == "L" ? "A\\R" : "P\\L"));
        a.push_back(A(0x0028, 0x1040, "CS", "LIN"));
        a.push_back(A(0x0028, 0x1050, "DS", "2048"));
        a.push_back(A(0x0028, 0x1051, "DS", "4096"));
        a.push_back(A(0x0028, 0x2110, "CS", "00"));
        a.push_back(A(0x2050, 0x0020, "CS", "IDENTITY"));
        a.push_back(A(0x0028, 0x1041, "SS", "1"));
        a.push_back(A(0x0028, 0x1052, "DS", "0"));
        a.push_back(A(0x0028, 0x1053, "DS", "1"));
        a.push_back(A(0x0028, 0x1054, "LO", "US"));
        a.push_back(A(0x0040, 0x0318, "CS", "BREAST"));
        a.push_back(Seq(0x0054, 0x0222, {}));
        a.push_back(A(0x0018, 0x1508, "CS", "MAMMOGRAPHIC"));
        a.push_back(
            Seq(0x0040, 0x0555,
                {{A(0x0040, 0xA040, "CS", "TEXT"), A(0x0040, 0xA160, "UT", "Compression by " + s.operator_name)}}));
        a.push_back(
            Seq(0x0054, 0x0220,
                {{A(0x0008, 0x0100, "SH", sp.view == "CC" ? "R-10242" : "R-10226"), A(0x0008, 0x0102, "SH", "SRT"),
                  A(0x0008, 0x0104, "LO", sp.view == "CC" ? "cranio-caudal" : "medio-lateral oblique")}}));
        a.push_back(Seq(
            0x0008, 0x2218,
            {{A(0x0008, 0x0100, "SH", "T-04000"), A(0x0008, 0x0102, "SH", "SRT"), A(0x0008, 0x0104, "LO", "Breast")}}));
        Plant("Compression by " + s.operator_name, "AcquisitionContextSequence text", "text");
      }
      if (modality != "MG") {
        double z = -100.0 + i * 2.5;
        a.push_back(A(0x0018, 0x5100, "CS", "HFS"));
        a.push_back(A(0x0018, 0x0015, "CS", modality == "CT" ? "CHEST" : "BREAST"));
        a.push_back(A(0x0020, 0x0032, "DS", Ds(-n * 0.35 / scale) + "\\" + Ds(-n * 0.35 / scale) + "\\" + Ds(z)));
        a.push_back(A(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0"));
        a.push_back(A(0x0020, 0x1041, "DS", Ds(z)));
        a.push_back(A(0x0028, 0x0030, "DS", spacing + "\\" + spacing));
        if (i > 0 && !first_instance_uids.empty()) {
          // The first image of the study, referenced as a localiser would be.
          a.push_back(Seq(0x0008, 0x1140,
                          {{A(0x0008, 0x1150, "UI", "1.2.840.10008.5.1.4.1.1.2"),
                            A(0x0008, 0x1155, "UI", first_instance_uids.front())}}));
        }
      }
      if (i == 0 && first_instance_uids.empty()) first_instance_uids.push_back(sop_uid);
      for (const Attribute& x : a) {
        if (x.group == 0x0008 && x.element == 0x0016) references.push_back({series_uid, x.value, sop_uid});
      }
      fs::path file = dir / ("img" + Pad(i + 1, 4) + ".dcm");
      ONCOATLAS_RETURN_IF_ERROR(dicom::WriteInstance(a, file));
      s.instances.push_back({{"file", fs::relative(file, options_.output).string()}, {"sopInstanceUid", sop_uid}});
      ++summary_.instances;
    }
    ++series_number;
  }
  return WriteKeyObjects(p, s, references);
}

Status StudyGenerator::WriteUltrasoundStudy(const Patient& p, Study& s) {
  current_study_ = s.key;
  Plant(p.name, "PatientName", "text");
  Plant(p.id, "PatientID", "text");
  Plant(s.study_uid, "StudyInstanceUID", "uid");
  s.lesion = false;
  std::vector<Reference> references;
  // Series 1: one 8-bit grey image; series 2: one RGB cine loop of 3 frames.
  for (int series_number = 1; series_number <= 2; ++series_number) {
    const bool rgb = series_number == 2;
    const int frames = rgb ? 3 : 1;
    const int samples = rgb ? 3 : 1;
    const std::string series_uid = Uid();
    const std::string sop_uid = Uid();
    const std::string description = (rgb ? "Doppler " : "Breast US ") + p.family;
    Plant(series_uid, "SeriesInstanceUID", "uid");
    Plant(sop_uid, "SOPInstanceUID", "uid");
    Plant(description, "SeriesDescription", "text");
    auto a = CommonAttributes(p, s, "US", series_uid, series_number, description);
    for (auto& x : a) {
      if (x.group == 0x0028 && x.element == 0x0301) x.value = "YES";
    }
    const std::string sop_class = rgb ? "1.2.840.10008.5.1.4.1.1.3.1" : "1.2.840.10008.5.1.4.1.1.6.1";
    a.push_back(A(0x0008, 0x0016, "UI", sop_class));
    a.push_back(A(0x0008, 0x0018, "UI", sop_uid));
    a.push_back(A(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY"));
    a.push_back(A(0x0018, 0x0015, "CS", "BREAST"));
    a.push_back(A(0x0020, 0x0013, "IS", "1"));
    a.push_back(A(0x0020, 0x0020, "CS", ""));
    a.push_back(A(0x0028, 0x0002, "US", std::to_string(samples)));
    a.push_back(A(0x0028, 0x0004, "CS", rgb ? "RGB" : "MONOCHROME2"));
    if (rgb) a.push_back(A(0x0028, 0x0006, "US", "0"));
    if (frames > 1) a.push_back(A(0x0028, 0x0008, "IS", std::to_string(frames)));
    a.push_back(A(0x0028, 0x0010, "US", std::to_string(kUsRows)));
    a.push_back(A(0x0028, 0x0011, "US", std::to_string(kUsColumns)));
    a.push_back(A(0x0028, 0x0100, "US", "8"));
    a.push_back(A(0x0028, 0x0101, "US", "8"));
    a.push_back(A(0x0028, 0x0102, "US", "7"));
    a.push_back(A(0x0028, 0x0103, "US", "0"));
    // Pixels: speckle in a fan below the text band, then the name and ID in the band.
    const std::size_t frame_bytes = static_cast<std::size_t>(kUsRows) * kUsColumns * samples;
    std::string pixels(frame_bytes * frames, '\0');
    for (int f = 0; f < frames; ++f) {
      for (int y = 24; y < kUsRows; ++y) {
        for (int x = 0; x < kUsColumns; ++x) {
          if (std::abs(x - kUsColumns / 2) > (y - 24) * 0.8 + 8) continue;
          int v = 40 + static_cast<int>(rng_() % 120);
          std::size_t off = frame_bytes * f + (static_cast<std::size_t>(y) * kUsColumns + x) * samples;
          for (int c = 0; c < samples; ++c) pixels[off + c] = static_cast<char>(c == 0 || !rgb ? v : v / (c + 1));
        }
      }
      auto set = [&](int x, int y) {
        if (x >= kUsColumns || y >= kUsTextBand.height) return;
        std::size_t off = frame_bytes * f + (static_cast<std::size_t>(y) * kUsColumns + x) * samples;
        for (int c = 0; c < samples; ++c) pixels[off + c] = static_cast<char>(0xFF);
      };
      DrawText(p.name, 4, 2, 1, set);
      DrawText(p.id, 4, 11, 1, set);
    }
    a.push_back(Attribute{0x7FE0, 0x0010, "OB", std::move(pixels), {}});
    references.push_back({series_uid, sop_class, sop_uid});
    fs::path file = options_.output / "dicom" / s.key / ("series" + Pad(series_number, 2)) / "img0001.dcm";
    ONCOATLAS_RETURN_IF_ERROR(dicom::WriteInstance(a, file));
    s.instances.push_back({{"file", fs::relative(file, options_.output).string()}, {"sopInstanceUid", sop_uid}});
    ++summary_.instances;
  }
  return WriteKeyObjects(p, s, references);
}

Status StudyGenerator::WriteKeyObjects(const Patient& p, Study& s, const std::vector<Reference>& references) {
  // A Key Object Selection document flagging every image: references that must
  // stay resolvable after de-identification. Benchmark corpora hold CT only.
  if (options_.only_ct) return Status::Ok();
  const std::string series_uid = Uid();
  const std::string sop_uid = Uid();
  Plant(series_uid, "SeriesInstanceUID", "uid");
  Plant(sop_uid, "SOPInstanceUID", "uid");
  auto a = CommonAttributes(p, s, "KO", series_uid, 99, "Key images for " + p.family);
  a.erase(std::remove_if(a.begin(), a.end(), [](const Attribute& x) { return x.group == 0x0028; }), a.end());
  a.push_back(A(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.88.59"));
  a.push_back(A(0x0008, 0x0018, "UI", sop_uid));
  a.push_back(A(0x0020, 0x0013, "IS", "1"));
  a.push_back(A(0x0040, 0xA040, "CS", "CONTAINER"));
  a.push_back(A(0x0040, 0xA050, "CS", "SEPARATE"));
  a.push_back(Seq(
      0x0040, 0xA043,
      {{A(0x0008, 0x0100, "SH", "113000"), A(0x0008, 0x0102, "SH", "DCM"), A(0x0008, 0x0104, "LO", "Of Interest")}}));
  a.push_back(Seq(0x0040, 0xA504, {{A(0x0008, 0x0105, "CS", "DCMR"), A(0x0040, 0xDB00, "CS", "2010")}}));
  std::vector<std::vector<Attribute>> content, series_items;
  for (const Reference& r : references) {
    std::vector<Attribute> sop = {A(0x0008, 0x1150, "UI", r.sop_class), A(0x0008, 0x1155, "UI", r.sop_uid)};
    content.push_back(
        {A(0x0040, 0xA010, "CS", "CONTAINS"), A(0x0040, 0xA040, "CS", "IMAGE"), Seq(0x0008, 0x1199, {sop})});
    if (series_items.empty() || series_items.back()[0].value != r.series_uid) {
      series_items.push_back({A(0x0020, 0x000E, "UI", r.series_uid), Seq(0x0008, 0x1199, {})});
    }
    series_items.back()[1].items.push_back(sop);
  }
  a.push_back(Seq(0x0040, 0xA730, content));
  a.push_back(Seq(0x0040, 0xA375, {{A(0x0020, 0x000D, "UI", s.study_uid), Seq(0x0008, 0x1115, series_items)}}));
  ONCOATLAS_RETURN_IF_ERROR(dicom::WriteInstance(a, options_.output / "dicom" / s.key / "series99" / "ko0001.dcm"));
  ++summary_.instances;
  return Status::Ok();
}

StudyGenerator::Study StudyGenerator::MakeStudy(const Patient& p, const std::string& modality, int index) {
  Study s;
  s.key = "study" + Pad(index, 4);
  s.study_uid = Uid();
  s.frame_of_reference_uid = Uid();
  s.date = std::to_string(Uniform(2015, 2023)) + Pad(Uniform(1, 12), 2) + Pad(Uniform(1, 28), 2);
  s.time = Pad(Uniform(7, 18), 2) + Pad(Uniform(0, 59), 2) + Pad(Uniform(0, 59), 2);
  s.accession = "ACC" + Pad(Uniform(10000000, 99999999), 8);
  s.study_id = "SID" + Pad(Uniform(100000, 999999), 6);
  int inst = Uniform(0, std::size(kInstitutions) - 1);
  s.institution = kInstitutions[inst];
  s.institution_address = std::string(kStreets[inst]) + " 1, " + kCities[inst];
  s.referring = "Dr^" + std::string(kFamilyNames[Uniform(0, std::size(kFamilyNames) - 1)]) + "^Konstantin";
  s.performing = "Dr^" + std::string(kFamilyNames[Uniform(0, std::size(kFamilyNames) - 1)]) + "^Perpetua";
  s.reader = "Dr^" + std::string(kFamilyNames[Uniform(0, std::size(kFamilyNames) - 1)]) + "^Aurelio";
  s.operator_name = std::string(kFamilyNames[Uniform(0, std::size(kFamilyNames) - 1)]) + "^Radiographer";
  s.station = "STN" + Pad(Uniform(1000, 9999), 4) + modality;
  s.serial = "SN" + Pad(Uniform(100000, 999999), 6) + "X";
  s.description = modality + " staging " + p.family;
  s.lesion = Uniform(0, 3) != 0;
  s.lesion_r = std::max(2, options_.matrix / 12);
  s.lesion_x = Uniform(options_.matrix / 3, options_.matrix * 2 / 3);
  s.lesion_y = Uniform(options_.matrix / 3, options_.matrix * 2 / 3);
  s.lesion_first = 0;
  s.lesion_last = std::max(0, options_.slices - 1);
  return s;
}

Status StudyGenerator::RecordStudy(const Patient& p, const Study& s, const std::string& modality,
                                   nlohmann::json label) {
  label["study"] = s.key;
  label["studyInstanceUid"] = s.study_uid;
  label["modality"] = modality;
  const fs::path file = options_.output / "labels" / (s.key + ".json");
  std::ofstream out(file);
  out << label.dump(2) << "\n";
  if (!out) return UnavailableError("cannot write " + file.string());
  studies_.push_back({{"study", s.key},
                      {"modality", modality},
                      {"patientId", p.id},
                      {"studyInstanceUid", s.study_uid},
                      {"studyDate", s.date},
                      {"instances", s.instances}});
  ++summary_.studies;
  return Status::Ok();
}

Status StudyGenerator::WriteManifest() {
  nlohmann::json manifest = {{"planted", planted_}, {"studies", studies_}};
  std::ofstream out(options_.output / "manifest.json");
  out << manifest.dump(2) << "\n";
  if (!out) return UnavailableError("cannot write " + (options_.output / "manifest.json").string());
  return Status::Ok();
}

Result<GeneratorSummary> StudyGenerator::Run() {
  std::error_code ec;
  fs::create_directories(options_.output / "labels", ec);
  if (ec) return InvalidArgumentError("cannot create " + options_.output.string() + ": " + ec.message());
  int study_index = 0;
  for (int pi = 0; pi < options_.patients; ++pi) {
    Patient p = MakePatient(pi);
    std::vector<std::string> modalities =
        options_.only_ct ? std::vector<std::string>{"CT"} : std::vector<std::string>{"CT", "MR", "MG"};
    if (options_.burned_in_text) modalities.push_back("US");
    for (const std::string& modality : modalities) {
      Study s = MakeStudy(p, modality, ++study_index);
      ONCOATLAS_RETURN_IF_ERROR(modality == "US" ? WriteUltrasoundStudy(p, s) : WriteStudy(p, s, modality));
      nlohmann::json label = {{"lesion", s.lesion}};
      if (s.lesion) {
        label["lesionCenter"] = {s.lesion_x, s.lesion_y};
        label["lesionRadius"] = s.lesion_r;
        label["lesionSlices"] = {s.lesion_first, s.lesion_last};
      }
      ONCOATLAS_RETURN_IF_ERROR(RecordStudy(p, s, modality, std::move(label)));
    }
  }
  ONCOATLAS_RETURN_IF_ERROR(WriteManifest());
  return summary_;
}

Result<SeriesOutput> StudyGenerator::RunSingleSeries(const std::string& modality,
                                                     const std::string& series_description_prefix, int images,
                                                     const ImageFiller& fill, nlohmann::json label) {
  std::error_code ec;
  fs::create_directories(options_.output / "labels", ec);
  if (ec) return InvalidArgumentError("cannot create " + options_.output.string() + ": " + ec.message());
  Patient p = MakePatient(0);
  Study s = MakeStudy(p, modality, 1);
  current_study_ = s.key;
  PlantStudy(p, s);
  const std::string series_uid = Uid();
  const std::string description = series_description_prefix + " " + p.family;
  Plant(series_uid, "SeriesInstanceUID", "uid");
  Plant(description, "SeriesDescription", "text");
  SeriesOutput result;
  result.study = s.key;
  result.series_dir = options_.output / "dicom" / s.key / "series01";
  result.label_file = options_.output / "labels" / (s.key + ".json");
  for (int i = 0; i < images; ++i) {
    const std::string sop_uid = Uid();
    Plant(sop_uid, "SOPInstanceUID", "uid");
    auto a = CommonAttributes(p, s, modality, series_uid, 1, description);
    a.push_back(A(0x0008, 0x0018, "UI", sop_uid));
    a.push_back(A(0x0020, 0x0013, "IS", std::to_string(i + 1)));
    a.push_back(A(0x0020, 0x4000, "LT", "Reviewed with " + p.given + " " + p.family + " on " + s.date));
    ONCOATLAS_RETURN_IF_ERROR(fill(i, a));
    const fs::path file = result.series_dir / ("img" + Pad(i + 1, 4) + ".dcm");
    ONCOATLAS_RETURN_IF_ERROR(dicom::WriteInstance(a, file));
    s.instances.push_back({{"file", fs::relative(file, options_.output).string()}, {"sopInstanceUid", sop_uid}});
    ++summary_.instances;
  }
  ONCOATLAS_RETURN_IF_ERROR(RecordStudy(p, s, modality, std::move(label)));
  ONCOATLAS_RETURN_IF_ERROR(WriteManifest());
  result.summary = summary_;
  return result;
}

}  // namespace oncoatlas::synth

#include "synth/head_phantom.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "synth/study_generator.h"

namespace oncoatlas::synth {
namespace {

using dicom::Attribute;
using Vec = std::array<double, 3>;

constexpr int kMatrix = 128;
constexpr double kPixelMm = 2.0;
constexpr double kFirstCentreMm = -127.0;  // x (axial) or y (both) of the first pixel centre

// Values per tissue: CT in HU, MR raw.
struct Tissue {
  int ct, mr;
};
constexpr Tissue kSoft{40, 800};
constexpr Tissue kBone{1000, 60};
constexpr Tissue kBrain{35, 500};
constexpr Tissue kCsf{8, 250};
constexpr Tissue kEye{15, 150};
constexpr Tissue kNose{50, 900};
constexpr Tissue kLips{60, 950};
constexpr Tissue kChin{55, 850};
constexpr Tissue kEar{45, 820};
constexpr int kCtAir = -1000, kCtTable = 100, kCtFoam = -700;
constexpr int kMrAirNoise = 20;  // MR air is 0..kMrAirNoise
constexpr int kCtIntercept = -1024;

struct Ellipsoid {
  const char* name;
  const char* kind;  // "head", "brain", "face", "ear"
  Vec c, r;
  Tissue tissue;
  bool Contains(const Vec& p) const {
    double s = 0;
    for (int i = 0; i < 3; ++i) s += ((p[i] - c[i]) / r[i]) * ((p[i] - c[i]) / r[i]);
    return s <= 1.0;
  }
};

constexpr Vec kCraniumC{0, 0, 10}, kCraniumR{75, 95, 90};
constexpr double kSkullOuter = 6, kSkullInner = 13;  // the skull: cranium shrunk by 6 mm, not by 13 mm
constexpr double kNeckRadius = 55, kNeckX = 0, kNeckY = 10, kNeckBottom = -250, kNeckTop = -60;
constexpr double kTableFront = 110, kTableBack = 125, kTableHalfWidth = 150;
// The foam holder: outside the body, behind the coronal mid-plane, in front of the table.
constexpr double kFoamBottom = -60, kFoamTop = 80, kFoamHalfWidth = 70;

Ellipsoid Shrunk(const char* name, double mm) {
  return {name, "head", kCraniumC, {kCraniumR[0] - mm, kCraniumR[1] - mm, kCraniumR[2] - mm}, kBone};
}

const Ellipsoid kCranium{"cranium", "head", kCraniumC, kCraniumR, kSoft};
const Ellipsoid kSkullOut = Shrunk("skullOuter", kSkullOuter);
const Ellipsoid kSkullIn = Shrunk("skullInner", kSkullInner);
const Ellipsoid kJaw{"jaw", "head", {0, -40, -60}, {60, 55, 75}, kSoft};
const Ellipsoid kBrainE{"brain", "brain", {0, 8, 20}, {62, 78, 68}, kBrain};
// Patient left is +x.
const Ellipsoid kFeatures[] = {
    {"leftEye", "face", {32, -78, -22}, {12, 12, 12}, kEye}, {"rightEye", "face", {-32, -78, -22}, {12, 12, 12}, kEye},
    {"nose", "face", {0, -100, -40}, {14, 22, 22}, kNose},   {"lips", "face", {0, -96, -75}, {25, 8, 8}, kLips},
    {"chin", "face", {0, -85, -120}, {25, 15, 15}, kChin},   {"leftEar", "ear", {80, 5, -25}, {8, 15, 30}, kEar},
    {"rightEar", "ear", {-80, 5, -25}, {8, 15, 30}, kEar},
};

bool InNeck(const Vec& p) {
  return p[2] >= kNeckBottom && p[2] <= kNeckTop && std::hypot(p[0] - kNeckX, p[1] - kNeckY) <= kNeckRadius;
}

// The tissue value at `p`, after rescale (CT HU, MR raw); `air` for air.
int ValueAt(const Vec& p, bool ct, bool table, int air) {
  auto pick = [ct](const Tissue& t) { return ct ? t.ct : t.mr; };
  for (const Ellipsoid& f : kFeatures) {
    if (f.Contains(p)) return pick(f.tissue);
  }
  if (kSkullIn.Contains(p)) return pick(kBrainE.Contains(p) ? kBrain : kCsf);
  if (kSkullOut.Contains(p)) return pick(kBone);
  if (kCranium.Contains(p) || kJaw.Contains(p) || InNeck(p)) return pick(kSoft);
  if (ct && table) {
    if (p[1] >= kTableFront && p[1] <= kTableBack && std::abs(p[0]) <= kTableHalfWidth) return kCtTable;
    if (p[2] > kFoamBottom && p[2] <= kFoamTop && std::abs(p[0]) <= kFoamHalfWidth && p[1] >= 0 && p[1] < kTableFront) {
      return kCtFoam;
    }
  }
  return air;
}

std::string Ds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

Attribute A(std::uint16_t g, std::uint16_t e, const char* vr, std::string value) {
  return Attribute{g, e, vr, std::move(value), {}};
}

nlohmann::json EllipsoidJson(const Ellipsoid& e, bool ct) {
  return {{"name", e.name}, {"kind", e.kind},  {"shape", "ellipsoid"},
          {"center", e.c},  {"semiAxes", e.r}, {"value", ct ? e.tissue.ct : e.tissue.mr}};
}

nlohmann::json Labels(bool ct, bool sagittal, bool table) {
  nlohmann::json features = nlohmann::json::array();
  features.push_back(EllipsoidJson(kCranium, ct));
  features.push_back(EllipsoidJson(kJaw, ct));
  features.push_back({{"name", "skull"},
                      {"kind", "head"},
                      {"shape", "ellipsoidShell"},
                      {"center", kCraniumC},
                      {"outerSemiAxes", kSkullOut.r},
                      {"innerSemiAxes", kSkullIn.r},
                      {"value", ct ? kBone.ct : kBone.mr}});
  features.push_back({{"name", "neck"},
                      {"kind", "head"},
                      {"shape", "cylinder"},
                      {"center", {kNeckX, kNeckY}},
                      {"radius", kNeckRadius},
                      {"z", {kNeckBottom, kNeckTop}},
                      {"value", ct ? kSoft.ct : kSoft.mr}});
  // The brain fills its ellipsoid inside the skull's inner surface; the rest
  // of the cavity is CSF.
  nlohmann::json brain = EllipsoidJson(kBrainE, ct);
  brain["clippedBy"] = "skull innerSemiAxes";
  features.push_back(brain);
  for (const Ellipsoid& f : kFeatures) features.push_back(EllipsoidJson(f, ct));
  nlohmann::json out = {
      {"orientation", sagittal ? "sagittal" : "axial"},
      {"air", ct ? nlohmann::json{kCtAir, kCtAir} : nlohmann::json{0, kMrAirNoise}},
      {"rescale", {{"slope", 1}, {"intercept", ct ? kCtIntercept : 0}}},
      {"features", features},
  };
  if (ct && table) {
    out["table"] = {{"y", {kTableFront, kTableBack}}, {"halfWidth", kTableHalfWidth}, {"value", kCtTable}};
    out["foam"] = {
        {"z", {kFoamBottom, kFoamTop}}, {"y", {0, kTableFront}}, {"halfWidth", kFoamHalfWidth}, {"value", kCtFoam}};
  }
  return out;
}

}  // namespace

Result<HeadPhantomResult> GenerateHeadPhantom(const HeadPhantomOptions& options) {
  const bool ct = options.modality == "CT";
  if (!ct && options.modality != "MR") return InvalidArgumentError("head phantom: modality must be CT or MR");
  if (ct && options.sagittal) return InvalidArgumentError("head phantom: the sagittal stack is MR only");
  if (!(options.slice_spacing_mm > 0)) return InvalidArgumentError("head phantom: slice spacing must be > 0");
  const bool sagittal = options.sagittal;
  const double first = options.first_slice_mm.value_or(sagittal ? -96.0 : -200.0);
  double last = options.last_slice_mm.value_or(sagittal ? 96.0 : 120.0);
  const double top = options.top_mm.value_or(sagittal ? 117.0 : 120.0);
  if (!sagittal) last = std::min(last, top);
  std::vector<double> slices;
  for (int k = 0;; ++k) {
    double s = first + k * options.slice_spacing_mm;
    if (s > last + 1e-6) break;
    slices.push_back(s);
  }
  if (slices.empty()) return InvalidArgumentError("head phantom: no slice between the first and the top");

  // Image geometry: position of pixel (row, column) of slice s.
  const Vec row_dir = sagittal ? Vec{0, 1, 0} : Vec{1, 0, 0};   // along a row (column index grows)
  const Vec col_dir = sagittal ? Vec{0, 0, -1} : Vec{0, 1, 0};  // down a column (row index grows)
  auto origin = [&](double s) {
    return sagittal ? Vec{s, kFirstCentreMm, top} : Vec{kFirstCentreMm, kFirstCentreMm, s};
  };
  const std::string iop = sagittal ? "0\\1\\0\\0\\0\\-1" : "1\\0\\0\\0\\1\\0";
  const int air = ct ? kCtAir : 0;
  const int offset = ct ? -kCtIntercept : 0;
  std::mt19937_64 noise(options.seed * 0x9E3779B97F4A7C15ull + 0x68656164ull);

  GeneratorOptions go;
  go.output = options.output;
  go.patients = 1;
  go.seed = options.seed;
  StudyGenerator generator(go);
  auto fill = [&](int index, std::vector<Attribute>& a) -> Status {
    const double s = slices[static_cast<std::size_t>(index)];
    const Vec o = origin(s);
    std::string pixels(static_cast<std::size_t>(kMatrix) * kMatrix * 2, '\0');
    for (int row = 0; row < kMatrix; ++row) {
      for (int col = 0; col < kMatrix; ++col) {
        Vec p;
        for (int i = 0; i < 3; ++i) p[i] = o[i] + kPixelMm * (col * row_dir[i] + row * col_dir[i]);
        int v = ValueAt(p, ct, options.table, air);
        if (!ct && v == air) v = static_cast<int>(noise() % (kMrAirNoise + 1));
        v += offset;
        std::size_t off = (static_cast<std::size_t>(row) * kMatrix + col) * 2;
        pixels[off] = static_cast<char>(v & 0xFF);
        pixels[off + 1] = static_cast<char>((v >> 8) & 0xFF);
      }
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (it->group == 0x0028 && it->element == 0x0302) {
        a.erase(it);
        break;
      }
    }
    if (options.recognizable_visual_features) a.push_back(A(0x0028, 0x0302, "CS", "YES"));
    if (ct) {
      a.push_back(A(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2"));
      a.push_back(A(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\AXIAL"));
      a.push_back(A(0x0018, 0x0060, "DS", "120"));
      a.push_back(A(0x0018, 0x1210, "SH", "H30s"));
      a.push_back(A(0x0028, 0x1052, "DS", Ds(kCtIntercept)));
      a.push_back(A(0x0028, 0x1053, "DS", "1"));
      a.push_back(A(0x0028, 0x1054, "LO", "HU"));
      a.push_back(A(0x0028, 0x1050, "DS", "40"));
      a.push_back(A(0x0028, 0x1051, "DS", "80"));
    } else {
      a.push_back(A(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.4"));
      a.push_back(A(0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\M\\ND"));
      a.push_back(A(0x0018, 0x0020, "CS", "SE"));
      a.push_back(A(0x0018, 0x0021, "CS", "NONE"));
      a.push_back(A(0x0018, 0x0022, "CS", ""));
      a.push_back(A(0x0018, 0x0023, "CS", "2D"));
      a.push_back(A(0x0018, 0x0080, "DS", "500"));
      a.push_back(A(0x0018, 0x0081, "DS", "15"));
      a.push_back(A(0x0018, 0x0091, "IS", "1"));
      a.push_back(A(0x0018, 0x0087, "DS", "1.5"));
    }
    a.push_back(A(0x0018, 0x0015, "CS", "HEAD"));
    a.push_back(A(0x0018, 0x0050, "DS", Ds(options.slice_spacing_mm)));
    a.push_back(A(0x0018, 0x5100, "CS", "HFS"));
    a.push_back(A(0x0020, 0x0012, "IS", "1"));
    a.push_back(A(0x0020, 0x0032, "DS", Ds(o[0]) + "\\" + Ds(o[1]) + "\\" + Ds(o[2])));
    a.push_back(A(0x0020, 0x0037, "DS", iop));
    a.push_back(A(0x0020, 0x1041, "DS", Ds(s)));
    a.push_back(A(0x0028, 0x0002, "US", "1"));
    a.push_back(A(0x0028, 0x0004, "CS", "MONOCHROME2"));
    a.push_back(A(0x0028, 0x0010, "US", std::to_string(kMatrix)));
    a.push_back(A(0x0028, 0x0011, "US", std::to_string(kMatrix)));
    a.push_back(A(0x0028, 0x0030, "DS", Ds(kPixelMm) + "\\" + Ds(kPixelMm)));
    a.push_back(A(0x0028, 0x0100, "US", "16"));
    a.push_back(A(0x0028, 0x0101, "US", "12"));
    a.push_back(A(0x0028, 0x0102, "US", "11"));
    a.push_back(A(0x0028, 0x0103, "US", "0"));
    a.push_back(Attribute{0x7FE0, 0x0010, "OW", std::move(pixels), {}});
    return Status::Ok();
  };
  nlohmann::json label = {{"lesion", false}, {"headPhantom", Labels(ct, sagittal, options.table)}};
  auto out = generator.RunSingleSeries(options.modality, sagittal ? "Head sagittal" : "Head axial",
                                       static_cast<int>(slices.size()), fill, std::move(label));
  if (!out.ok()) return out.status();
  return HeadPhantomResult{out->study, out->series_dir, out->label_file, out->summary.instances};
}

}  // namespace oncoatlas::synth

// The geometry of Clean Recognizable Visual Features (deid/face_region.h) on
// coarse volumes drawn here from ellipsoids of adult proportions; the DICOM
// side (reading, blanking, de-identifying a series) is in defacer_test.cc.
#include "deid/face_region.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace oncoatlas::deid {
namespace {

struct Ellipsoid {
  Vec3 c, r;
  bool Inside(const Vec3& p) const {
    double x = (p.x - c.x) / r.x, y = (p.y - c.y) / r.y, z = (p.z - c.z) / r.z;
    return x * x + y * y + z * z <= 1.0;
  }
};

const Ellipsoid kCranium{{0, 0, 10}, {75, 95, 90}};
const Ellipsoid kBrain{{0, 8, 20}, {62, 78, 68}};
const Ellipsoid kLowerFace{{0, -40, -60}, {60, 55, 75}};
const Ellipsoid kNose{{0, -100, -40}, {14, 22, 22}};
const Ellipsoid kEyeRight{{-32, -78, -22}, {12, 12, 12}};
const Ellipsoid kEyeLeft{{32, -78, -22}, {12, 12, 12}};
const Ellipsoid kLips{{0, -96, -75}, {25, 8, 8}};
const Ellipsoid kChin{{0, -85, -120}, {25, 15, 15}};
const Ellipsoid kEarLeft{{80, 5, -25}, {8, 15, 30}};

// Hounsfield units of a head with a table 15 mm behind it (when `table`).
double HeadCt(const Vec3& p, bool table) {
  if (table && p.y >= 110 && p.y <= 125) return 100;
  const bool neck = p.z < -60 && p.z > -250 && std::hypot(p.x, p.y - 10) <= 55;
  if (kBrain.Inside(p)) return 35;
  if (kCranium.Inside(p) || kLowerFace.Inside(p) || kNose.Inside(p) || kLips.Inside(p) || kChin.Inside(p) ||
      kEarLeft.Inside(p) || neck) {
    return 40;
  }
  return -1000;
}

// Axial slices every `spacing` mm from z_low to z_high: 128 x 128 at 2 mm, centred.
std::vector<SampledImage> Axial(const std::function<double(const Vec3&)>& value, double z_low, double z_high,
                                double spacing = 3.0) {
  std::vector<SampledImage> out;
  for (double z = z_low; z <= z_high; z += spacing) {
    SampledImage image;
    image.plane = {{-127, -127, z}, {1, 0, 0}, {0, 1, 0}, 2.0, 2.0, 128, 128};
    image.step = SamplingStep(128, 128, 2.0, 2.0);
    image.sampled_rows = image.sampled_columns = 128 / image.step;
    for (int r = 0; r < image.sampled_rows; ++r) {
      for (int c = 0; c < image.sampled_columns; ++c) {
        image.values.push_back(static_cast<float>(value(image.plane.PixelCentre(r * image.step, c * image.step))));
      }
    }
    out.push_back(std::move(image));
  }
  return out;
}

// Sagittal slices (rows run from head to feet), x from -100 to 100.
std::vector<SampledImage> Sagittal(const std::function<double(const Vec3&)>& value) {
  std::vector<SampledImage> out;
  for (double x = -100; x <= 100; x += 4.0) {
    SampledImage image;
    image.plane = {{x, -127, 125}, {0, 1, 0}, {0, 0, -1}, 2.0, 2.0, 192, 128};
    image.step = 1;
    image.sampled_rows = 192;
    image.sampled_columns = 128;
    for (int r = 0; r < 192; ++r) {
      for (int c = 0; c < 128; ++c) image.values.push_back(static_cast<float>(value(image.plane.PixelCentre(r, c))));
    }
    out.push_back(std::move(image));
  }
  return out;
}

// Every point of `e` on a 2 mm grid.
bool All(const Ellipsoid& e, const std::function<bool(const Vec3&)>& pred) {
  for (double x = e.c.x - e.r.x; x <= e.c.x + e.r.x; x += 2) {
    for (double y = e.c.y - e.r.y; y <= e.c.y + e.r.y; y += 2) {
      for (double z = e.c.z - e.r.z; z <= e.c.z + e.r.z; z += 2) {
        Vec3 p{x, y, z};
        if (e.Inside(p) && !pred(p)) return false;
      }
    }
  }
  return true;
}

void ExpectFaceRemovedBrainKept(const FaceRegion& region) {
  auto removed = [&](const Vec3& p) { return region.Contains(p); };
  auto kept = [&](const Vec3& p) { return !region.Contains(p); };
  EXPECT_TRUE(All(kNose, removed));
  EXPECT_TRUE(All(kEyeLeft, removed));
  EXPECT_TRUE(All(kEyeRight, removed));
  EXPECT_TRUE(All(kLips, removed));
  EXPECT_TRUE(All(kChin, removed));
  EXPECT_TRUE(All(kBrain, kept));
  EXPECT_TRUE(All(kEarLeft, kept));
  EXPECT_FALSE(region.Contains({0, -90, 40})) << "the forehead stays";
}

TEST(FaceRegion, AnAxialCtHeadOnATableLosesItsFaceAndKeepsItsBrain) {
  auto images = Axial([](const Vec3& p) { return HeadCt(p, true); }, -200, 120);
  auto region = LocateFace(images, kCtTissueThresholdHu, kCtAirHu);
  ASSERT_TRUE(region.ok()) << region.status().message();
  EXPECT_NEAR(region->vertex_z, 100, 3.5);
  EXPECT_NEAR(region->brow_front_y, -95, 4.5);
  EXPECT_EQ(region->air_value, kCtAirHu);
  ExpectFaceRemovedBrainKept(*region);
}

TEST(FaceRegion, TheSameHeadScannedSagittallyGivesTheSameRegion) {
  auto axial = LocateFace(Axial([](const Vec3& p) { return HeadCt(p, false); }, -200, 120), -400, -1000);
  auto sagittal = LocateFace(Sagittal([](const Vec3& p) { return HeadCt(p, false); }), -400, -1000);
  ASSERT_TRUE(axial.ok()) << axial.status().message();
  ASSERT_TRUE(sagittal.ok()) << sagittal.status().message();
  EXPECT_NEAR(sagittal->vertex_z, axial->vertex_z, 3.5);
  EXPECT_NEAR(sagittal->brow_front_y, axial->brow_front_y, 4.5);
  ExpectFaceRemovedBrainKept(*sagittal);
}

TEST(FaceRegion, ImageOrderDoesNotMatter) {
  auto images = Axial([](const Vec3& p) { return HeadCt(p, true); }, -200, 120);
  auto forward = LocateFace(images, -400, -1000);
  std::reverse(images.begin(), images.end());
  std::swap(images[3], images[40]);
  auto shuffled = LocateFace(images, -400, -1000);
  ASSERT_TRUE(forward.ok() && shuffled.ok());
  EXPECT_EQ(forward->vertex_z, shuffled->vertex_z);
  EXPECT_EQ(forward->brow_front_y, shuffled->brow_front_y);
}

TEST(FaceRegion, AHeadCutBelowItsTopIsRefused) {
  auto region = LocateFace(Axial([](const Vec3& p) { return HeadCt(p, true); }, -200, 60), -400, -1000);
  ASSERT_FALSE(region.ok());
  EXPECT_NE(region.status().message().find("the top of the head is not in the series"), std::string::npos)
      << region.status().message();
}

TEST(FaceRegion, TooFewImagesOrNoHeadAreRefused) {
  auto few = LocateFace(Axial([](const Vec3& p) { return HeadCt(p, false); }, -30, 0, 4.0), -400, -1000);
  ASSERT_FALSE(few.ok());
  EXPECT_NE(few.status().message().find("has 8 parallel images"), std::string::npos) << few.status().message();

  auto air = LocateFace(Axial([](const Vec3&) { return -1000.0; }, -200, 120), -400, -1000);
  ASSERT_FALSE(air.ok());
  EXPECT_NE(air.status().message().find("no tissue"), std::string::npos);

  // A block of tissue 60 mm deep is not a head.
  Ellipsoid small{{0, 0, 0}, {30, 30, 100}};
  auto thin =
      LocateFace(Axial([&](const Vec3& p) { return small.Inside(p) ? 40.0 : -1000.0; }, -200, 120), -400, -1000);
  ASSERT_FALSE(thin.ok());
  EXPECT_NE(thin.status().message().find("not a head"), std::string::npos) << thin.status().message();
}

TEST(FaceRegion, ASeriesThatStopsAboveTheBrowRemovesNothing) {
  auto region = LocateFace(Axial([](const Vec3& p) { return HeadCt(p, false); }, 30, 120), -400, -1000);
  ASSERT_TRUE(region.ok()) << region.status().message();
  EXPECT_FALSE(region->Contains({0, -120, 30}));
  EXPECT_FALSE(region->Contains({0, -300, -300}));
}

TEST(FaceRegion, OtsuSeparatesBackgroundFromTissue) {
  std::vector<SampledImage> images(1);
  images[0].values.assign(1000, 5.0f);
  images[0].values.insert(images[0].values.end(), 600, 800.0f);
  double t = OtsuThreshold(images);
  EXPECT_GT(t, 5.0);
  EXPECT_LT(t, 800.0);
}

TEST(FaceRegion, SamplingKeepsSamplesAbout2MmApartAndAtMost256) {
  EXPECT_EQ(SamplingStep(512, 512, 0.5, 0.5), 4);
  EXPECT_EQ(SamplingStep(128, 128, 2.0, 2.0), 1);
  EXPECT_EQ(SamplingStep(2048, 2048, 5.0, 5.0), 8);
}

}  // namespace
}  // namespace oncoatlas::deid

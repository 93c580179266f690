#include "deid/face_region.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <tuple>

namespace oncoatlas::deid {
namespace {

Vec3 Add(const Vec3& a, const Vec3& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 Scale(const Vec3& a, double s) { return {a.x * s, a.y * s, a.z * s}; }
double Dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

// Images of one stack share their orientation and sampled matrix.
using StackKey = std::tuple<long, long, long, int, int>;

StackKey KeyOf(const SampledImage& image) {
  Vec3 n = image.plane.Normal();
  auto q = [](double v) { return std::lround(v * 100.0); };  // orientations within ~0.6 degrees
  return {q(n.x), q(n.y), q(n.z), image.sampled_rows, image.sampled_columns};
}

}  // namespace

Status CannotDeface(const std::string& why) {
  return FailedPreconditionError("Recognizable Visual Features cannot be cleaned: " + why);
}

std::string TooManySamples(std::size_t samples) {
  return "the series is too large to deface (" + std::to_string(samples) + " samples at about 2 mm, more than " +
         std::to_string(kMaxSamples) + ")";
}

Vec3 ImagePlane::PixelCentre(double row, double column) const {
  return Add(position, Add(Scale(row_direction, column * column_spacing), Scale(column_direction, row * row_spacing)));
}

Vec3 ImagePlane::Normal() const {
  const Vec3& a = row_direction;
  const Vec3& b = column_direction;
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

int SamplingStep(int rows, int columns, double row_spacing, double column_spacing) {
  const double spacing = std::max(std::min(row_spacing, column_spacing), 0.01);
  int step = std::max(1, static_cast<int>(std::floor(2.0 / spacing)));
  while ((std::max(rows, columns) + step - 1) / step > 256) ++step;
  return step;
}

double OtsuThreshold(const std::vector<SampledImage>& images) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const auto& image : images) {
    for (float v : image.values) {
      lo = std::min(lo, static_cast<double>(v));
      hi = std::max(hi, static_cast<double>(v));
    }
  }
  if (!(hi > lo)) return lo;
  constexpr int kBins = 256;
  std::vector<double> histogram(kBins, 0.0);
  double count = 0;
  for (const auto& image : images) {
    for (float v : image.values) {
      int bin = std::clamp(static_cast<int>((v - lo) / (hi - lo) * (kBins - 1)), 0, kBins - 1);
      histogram[static_cast<std::size_t>(bin)] += 1;
      count += 1;
    }
  }
  double total_mean = 0;
  for (int b = 0; b < kBins; ++b) total_mean += b * histogram[static_cast<std::size_t>(b)];
  double weight = 0, mean = 0, best = -1;
  int best_bin = 0;
  for (int b = 0; b < kBins - 1; ++b) {
    weight += histogram[static_cast<std::size_t>(b)];
    mean += b * histogram[static_cast<std::size_t>(b)];
    if (weight == 0 || weight == count) continue;
    double between = std::pow(total_mean * weight / count - mean, 2) / (weight * (count - weight) / count);
    if (between > best) {
      best = between;
      best_bin = b;
    }
  }
  return lo + (best_bin + 0.5) * (hi - lo) / (kBins - 1);
}

Result<FaceRegion> LocateFace(const std::vector<SampledImage>& images, double tissue_threshold, double air_value) {
  // The stack: the largest set of parallel images of one sampled matrix.
  std::map<StackKey, std::vector<const SampledImage*>> stacks;
  for (const auto& image : images) {
    if (image.sampled_rows < 3 || image.sampled_columns < 3 ||
        image.values.size() != static_cast<std::size_t>(image.sampled_rows) * image.sampled_columns) {
      continue;
    }
    stacks[KeyOf(image)].push_back(&image);
  }
  const std::vector<const SampledImage*>* stack = nullptr;
  for (const auto& [key, members] : stacks) {
    if (stack == nullptr || members.size() > stack->size()) stack = &members;
  }
  if (stack == nullptr || stack->size() < kMinImages) {
    return CannotDeface("the series has " + std::to_string(stack == nullptr ? 0 : stack->size()) +
                        " parallel images of one size; the defacer needs a volume of at least " +
                        std::to_string(kMinImages) +
                        " (single images, localizers and multi-frame images are not defaced)");
  }
  std::size_t samples = 0;
  for (const auto& image : images) samples += image.values.size();
  if (samples > kMaxSamples) return CannotDeface(TooManySamples(samples));
  std::vector<const SampledImage*> slices = *stack;
  const Vec3 normal = slices.front()->plane.Normal();
  std::sort(slices.begin(), slices.end(), [&](const SampledImage* a, const SampledImage* b) {
    return Dot(a->plane.position, normal) < Dot(b->plane.position, normal);
  });
  const int s_count = static_cast<int>(slices.size());
  const int rows = slices.front()->sampled_rows;
  const int columns = slices.front()->sampled_columns;
  auto at = [&](int s, int r, int c) {
    return (static_cast<std::size_t>(s) * rows + static_cast<std::size_t>(r)) * columns + static_cast<std::size_t>(c);
  };

  // Tissue, eroded by one sample in-plane.
  std::vector<std::uint8_t> tissue(static_cast<std::size_t>(s_count) * rows * columns, 0);
  for (int s = 0; s < s_count; ++s) {
    const auto& v = slices[static_cast<std::size_t>(s)]->values;
    auto in = [&](int r, int c) { return v[static_cast<std::size_t>(r) * columns + c] > tissue_threshold; };
    for (int r = 1; r + 1 < rows; ++r) {
      for (int c = 1; c + 1 < columns; ++c) {
        tissue[at(s, r, c)] = in(r, c) && in(r - 1, c) && in(r + 1, c) && in(r, c - 1) && in(r, c + 1);
      }
    }
  }

  // The largest 6-connected piece.
  std::vector<std::int32_t> label(tissue.size(), 0);
  std::int32_t next = 0, best_label = 0;
  std::size_t best_size = 0;
  std::deque<std::size_t> queue;
  for (std::size_t start = 0; start < tissue.size(); ++start) {
    if (!tissue[start] || label[start] != 0) continue;
    label[start] = ++next;
    queue.push_back(start);
    std::size_t size = 0;
    while (!queue.empty()) {
      std::size_t i = queue.front();
      queue.pop_front();
      ++size;
      const int c = static_cast<int>(i % static_cast<std::size_t>(columns));
      const int r = static_cast<int>((i / static_cast<std::size_t>(columns)) % static_cast<std::size_t>(rows));
      const int s = static_cast<int>(i / (static_cast<std::size_t>(columns) * rows));
      const int neighbours[6][3] = {{s - 1, r, c}, {s + 1, r, c}, {s, r - 1, c},
                                    {s, r + 1, c}, {s, r, c - 1}, {s, r, c + 1}};
      for (const auto& n : neighbours) {
        if (n[0] < 0 || n[0] >= s_count || n[1] < 0 || n[1] >= rows || n[2] < 0 || n[2] >= columns) continue;
        std::size_t j = at(n[0], n[1], n[2]);
        if (tissue[j] && label[j] == 0) {
          label[j] = next;
          queue.push_back(j);
        }
      }
    }
    if (size > best_size) {
      best_size = size;
      best_label = next;
    }
  }
  if (best_size == 0) return CannotDeface("no tissue above the threshold in the series");

  // The vertex, and whether the head's top lies inside the volume.
  auto centre = [&](int s, int r, int c) {
    const SampledImage& image = *slices[static_cast<std::size_t>(s)];
    return image.plane.PixelCentre(static_cast<double>(r) * image.step, static_cast<double>(c) * image.step);
  };
  double vertex_z = -std::numeric_limits<double>::infinity();
  double lowest_z = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] != best_label) continue;
    const int c = static_cast<int>(i % static_cast<std::size_t>(columns));
    const int r = static_cast<int>((i / static_cast<std::size_t>(columns)) % static_cast<std::size_t>(rows));
    const int s = static_cast<int>(i / (static_cast<std::size_t>(columns) * rows));
    const double z = centre(s, r, c).z;
    vertex_z = std::max(vertex_z, z);
    lowest_z = std::min(lowest_z, z);
  }
  const ImagePlane& plane = slices.front()->plane;
  const int step = slices.front()->step;
  const double sample_mm = step * std::max(plane.row_spacing, plane.column_spacing);
  const double slice_mm = (Dot(slices.back()->plane.position, normal) - Dot(slices.front()->plane.position, normal)) /
                          static_cast<double>(s_count - 1);
  const double band_mm = 5.0 + std::max(sample_mm, slice_mm / 2.0);
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] != best_label) continue;
    const int c = static_cast<int>(i % static_cast<std::size_t>(columns));
    const int r = static_cast<int>((i / static_cast<std::size_t>(columns)) % static_cast<std::size_t>(rows));
    const int s = static_cast<int>(i / (static_cast<std::size_t>(columns) * rows));
    const bool on_edge = s == 0 || s == s_count - 1 || r <= 1 || r >= rows - 2 || c <= 1 || c >= columns - 2;
    if (on_edge && centre(s, r, c).z > vertex_z - 10.0 - sample_mm) {
      return CannotDeface(
          "the top of the head is not in the series (the head reaches the edge of the volume at its highest "
          "point), so the face cannot be located");
    }
  }
  // The erosion took one sample off every in-plane edge.
  vertex_z += sample_mm * std::max(std::abs(plane.row_direction.z), std::abs(plane.column_direction.z));

  FaceRegion region;
  region.vertex_z = vertex_z;
  region.brow_z = vertex_z - kBrowBelowVertexMm;
  region.air_value = air_value;
  if (lowest_z > region.brow_z + 5.0) {
    // Nothing below the brow: no face in the series, nothing to remove.
    region.brow_front_y = -std::numeric_limits<double>::infinity();
    return region;
  }
  double front = std::numeric_limits<double>::infinity();
  double back = -front;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] != best_label) continue;
    const int c = static_cast<int>(i % static_cast<std::size_t>(columns));
    const int r = static_cast<int>((i / static_cast<std::size_t>(columns)) % static_cast<std::size_t>(rows));
    const int s = static_cast<int>(i / (static_cast<std::size_t>(columns) * rows));
    Vec3 p = centre(s, r, c);
    if (std::abs(p.z - region.brow_z) > band_mm) continue;
    front = std::min(front, p.y);
    back = std::max(back, p.y);
  }
  if (front > back) return CannotDeface("no tissue of the head lies at brow level (a gap in the series)");
  if (back - front < 100.0) {
    return CannotDeface("the largest piece of tissue is " + std::to_string(std::lround(back - front)) +
                        " mm deep (front to back) at brow level, not a head");
  }
  region.brow_front_y =
      front - sample_mm * std::max(std::abs(plane.row_direction.y), std::abs(plane.column_direction.y));
  return region;
}

}  // namespace oncoatlas::deid

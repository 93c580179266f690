"""An independent reader of the head phantom (oncoatlas-synth --head-phantom)
and of what de-identification made of it: volumes rebuilt from Image Position
and Orientation (Patient) with pydicom alone (no numpy), the label file's
feature shapes, voxel look-ups in patient coordinates (LPS, mm)."""
import array
import glob
import json
import math
import os
import sys

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dicom_oracle  # noqa: E402


def labels(phantom_dir):
    """The phantom's label file (labels/<study>.json) and its headPhantom part."""
    files = sorted(glob.glob(os.path.join(phantom_dir, "labels", "*.json")))
    assert len(files) == 1, files
    with open(files[0]) as f:
        label = json.load(f)
    return label, label["headPhantom"]


def features(head, kind=None):
    return [f for f in head["features"] if kind is None or f["kind"] == kind]


def _axis(v):
    """(axis, sign) of an axis-aligned unit vector."""
    nz = [(i, x) for i, x in enumerate(v) if abs(x) > 1e-6]
    assert len(nz) == 1 and abs(abs(nz[0][1]) - 1) < 1e-6, "not axis-aligned: %r" % (v,)
    return nz[0][0], (1 if nz[0][1] > 0 else -1)


class Slice:
    def __init__(self, path):
        ds = pydicom.dcmread(path)
        self.path, self.ds = path, ds
        self.ipp = tuple(float(v) for v in ds.ImagePositionPatient)
        iop = [float(v) for v in ds.ImageOrientationPatient]
        self.row_dir, self.col_dir = iop[:3], iop[3:]  # column index grows along row_dir, row index along col_dir
        self.dr, self.dc = (float(v) for v in ds.PixelSpacing)  # between rows, between columns
        self.rows, self.cols = int(ds.Rows), int(ds.Columns)
        assert int(ds.BitsAllocated) == 16 and int(ds.get("SamplesPerPixel", 1)) == 1
        self.raw = array.array("H" if int(ds.PixelRepresentation) == 0 else "h")
        self.raw.frombytes(bytes(ds.PixelData)[: self.rows * self.cols * 2])
        if sys.byteorder != "little":
            self.raw.byteswap()
        self.slope = float(ds.get("RescaleSlope", 1) or 1)
        self.intercept = float(ds.get("RescaleIntercept", 0) or 0)
        self.ar, self.sr = _axis(self.row_dir)
        self.ac, self.sc = _axis(self.col_dir)
        self.an = 3 - self.ar - self.ac  # the slice normal's axis

    def key(self):
        return tuple(round(v, 2) for v in self.ipp) + tuple(round(v, 4) for v in self.row_dir + self.col_dir)

    def value(self, i):
        return self.raw[i] * self.slope + self.intercept

    def position(self, r, c):
        return tuple(self.ipp[k] + c * self.dc * self.row_dir[k] + r * self.dr * self.col_dir[k] for k in range(3))

    def _range(self, axis, sign, spacing, count, lo, hi):
        # Indices n with lo <= ipp[axis] + n * spacing * sign <= hi.
        a = (lo - self.ipp[axis]) / (spacing * sign)
        b = (hi - self.ipp[axis]) / (spacing * sign)
        a, b = min(a, b), max(a, b)
        return max(0, math.ceil(a - 1e-9)), min(count - 1, math.floor(b + 1e-9))

    def pixels_in_box(self, lo, hi):
        """(index, position) of every pixel whose centre is inside the box."""
        if not lo[self.an] - 1e-6 <= self.ipp[self.an] <= hi[self.an] + 1e-6:
            return
        c0, c1 = self._range(self.ar, self.sr, self.dc, self.cols, lo[self.ar], hi[self.ar])
        r0, r1 = self._range(self.ac, self.sc, self.dr, self.rows, lo[self.ac], hi[self.ac])
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                yield r * self.cols + c, self.position(r, c)


def volume(folder, body_part=None):
    """Every image under `folder` (only those of `body_part`, if given: a
    store may hold other images too), by position and orientation."""
    slices = {}
    for path in dicom_oracle.dicom_files(folder):
        if body_part is not None and pydicom.dcmread(path, stop_before_pixels=True).get("BodyPartExamined") != body_part:
            continue
        s = Slice(path)
        assert s.key() not in slices, "two images at " + repr(s.key())
        slices[s.key()] = s
    return slices


def inside(feature, p):
    shape = feature.get("shape", "ellipsoid")
    if shape == "ellipsoid":
        return sum(((p[i] - feature["center"][i]) / feature["semiAxes"][i]) ** 2 for i in range(3)) <= 1.0
    if shape == "cylinder":
        z0, z1 = feature["z"]
        return z0 <= p[2] <= z1 and math.hypot(p[0] - feature["center"][0],
                                               p[1] - feature["center"][1]) <= feature["radius"]
    raise ValueError(shape)


def box(feature):
    c, r = feature["center"], feature["semiAxes"]
    return [c[i] - r[i] for i in range(3)], [c[i] + r[i] for i in range(3)]


def voxels(slices, feature):
    """(slice, index, position) of every voxel of `slices` inside an ellipsoid feature."""
    lo, hi = box(feature)
    for s in slices.values():
        for i, p in s.pixels_in_box(lo, hi):
            if inside(feature, p):
                yield s, i, p


def value_at(slices, point):
    """The rescaled value of the voxel nearest to `point` (within half a voxel)."""
    best = None
    for s in slices.values():
        d = abs(s.ipp[s.an] - point[s.an])
        if best is None or d < best[0]:
            best = (d, s)
    _, s = best
    c = round((point[s.ar] - s.ipp[s.ar]) / (s.dc * s.sr))
    r = round((point[s.ac] - s.ipp[s.ac]) / (s.dr * s.sc))
    assert 0 <= r < s.rows and 0 <= c < s.cols, "outside the image: %r" % (point,)
    p = s.position(r, c)
    assert max(abs(p[k] - point[k]) for k in range(3)) <= 1.51, (p, point)
    return s.value(r * s.cols + c)


def defacing_summary(phantom_dir, inputs, outputs, air_max):
    """What de-identification made of the phantom, as counts a test asserts on:
    face voxels not air, brain voxels changed, images flagged and coded."""
    _, head = labels(phantom_dir)
    before, after = volume(inputs), volume(outputs, body_part="HEAD")
    summary = {"images": len(after), "matched": len(set(after) & set(before)), "faceVoxels": 0,
               "faceNotAir": 0, "faceWasAir": 0, "brainVoxels": 0, "brainChanged": 0}
    for f in features(head, "face"):
        for s, i, _ in voxels(after, f):
            summary["faceVoxels"] += 1
            summary["faceNotAir"] += s.value(i) > air_max
            src = before.get(s.key())
            summary["faceWasAir"] += src is None or src.value(i) <= head["air"][1]
    for s, i, _ in voxels(after, features(head, "brain")[0]):
        summary["brainVoxels"] += 1
        src = before.get(s.key())
        summary["brainChanged"] += src is None or s.raw[i] != src.raw[i]
    summary["flaggedNo"] = sum(1 for s in after.values() if s.ds.get("RecognizableVisualFeatures") == "NO")
    summary["coded113102"] = sum(
        1 for s in after.values()
        if "113102" in [str(c.CodeValue) for c in s.ds.get("DeidentificationMethodCodeSequence", [])])
    return summary


if __name__ == "__main__":
    # head_phantom_oracle.py PHANTOM_DIR INPUT_DIR OUTPUT_DIR AIR_MAX: the summary as JSON.
    print(json.dumps(defacing_summary(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))))

#!/usr/bin/python3
"""The head phantom of oncoatlas-synth (--head-phantom) is what its label file
claims, read with pydicom alone: geometry from Image Position/Orientation
(Patient), tissue values at feature centres, air above the vertex, headers,
planted identifying values, determinism. Run one case:
head_phantom_test.py HeadPhantomTest.<case>."""
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dicom_oracle  # noqa: E402
import head_phantom_oracle as hp  # noqa: E402

BIN = os.environ.get("ONCOATLAS_BIN_DIR", "build/bin")

warnings.simplefilter("ignore")


def synth_head(out, *options):
    r = subprocess.run([os.path.join(BIN, "oncoatlas-synth"), "--output", out, "--seed", "3", "--head-phantom",
                        *options], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out


class HeadPhantomTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="oncoatlas-head-phantom-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, name)

    def feature(self, head, name):
        return next(f for f in head["features"] if f["name"] == name)

    def check_common(self, folder, slices, modality):
        """One study, one series; headers of a head image; the planted values are there."""
        label, head = hp.labels(folder)
        self.assertEqual(label["modality"], modality)
        studies = {str(s.ds.StudyInstanceUID) for s in slices.values()}
        series = {str(s.ds.SeriesInstanceUID) for s in slices.values()}
        self.assertEqual(studies, {label["studyInstanceUid"]})
        self.assertEqual(len(series), 1)
        for s in slices.values():
            ds = s.ds
            self.assertEqual(ds.Modality, modality)
            self.assertEqual(ds.BodyPartExamined, "HEAD")
            self.assertEqual(ds.RecognizableVisualFeatures, "YES")
            self.assertEqual((int(ds.Rows), int(ds.Columns)), (128, 128))
            self.assertEqual([float(v) for v in ds.PixelSpacing], [2.0, 2.0])
            self.assertEqual(int(ds.PixelRepresentation), 0)
            self.assertEqual(int(ds.BitsAllocated), 16)
            self.assertEqual(int(ds.BitsStored), 12)
            self.assertEqual(str(ds.FrameOfReferenceUID), str(next(iter(slices.values())).ds.FrameOfReferenceUID))
        manifest = os.path.join(folder, "manifest.json")
        with open(manifest) as f:
            m = json.load(f)
        self.assertEqual([s["study"] for s in m["studies"]], [label["study"]])
        self.assertEqual(len(m["studies"][0]["instances"]), len(slices))
        names = [p["value"] for p in m["planted"] if p["attribute"] == "PatientName"]
        self.assertEqual(len(names), 1)
        self.assertEqual({str(s.ds.PatientName) for s in slices.values()}, set(names))
        # Every planted text is somewhere in the input (the oracle has something to look for).
        texts = {p["value"] for p in m["planted"] if p["kind"] == "text"}
        for s in list(slices.values())[:3]:
            with open(s.path, "rb") as f:
                raw = f.read().lower()
            self.assertEqual([t for t in texts if t.lower().encode() not in raw], [], s.path)
        return head

    def check_features(self, slices, head, soft, air_hi):
        """Feature centres hold their value; no face voxel is in the brain; face and brain are not air."""
        for f in head["features"]:
            if f.get("shape") == "ellipsoid" and f["kind"] in ("face", "brain", "ear"):
                self.assertEqual(hp.value_at(slices, f["center"]), f["value"], f["name"])
        brain = self.feature(head, "brain")
        faces = hp.features(head, "face")
        self.assertEqual(len(faces), 5)
        for f in faces:
            n = 0
            for s, i, p in hp.voxels(slices, f):
                self.assertFalse(hp.inside(brain, p), (f["name"], p))
                self.assertGreater(s.value(i), air_hi, (f["name"], p))
                n += 1
            self.assertGreater(n, 10, f["name"])
        n = 0
        for s, i, p in hp.voxels(slices, brain):
            self.assertGreater(s.value(i), air_hi, p)
            n += 1
        self.assertGreater(n, 10000)
        self.assertEqual(hp.value_at(slices, (0, -20, -130)), soft)  # the neck

    def test_ct_axial(self):
        folder = synth_head(self.out("ct"), "CT")
        slices = hp.volume(os.path.join(folder, "dicom"))
        head = self.check_common(folder, slices, "CT")
        self.assertEqual(head["air"], [-1000, -1000])
        self.assertEqual(head["rescale"], {"slope": 1, "intercept": -1024})
        zs = sorted(s.ipp[2] for s in slices.values())
        self.assertEqual(zs, [-200.0 + 3 * k for k in range(107)])
        for s in slices.values():
            self.assertEqual([float(v) for v in s.ds.ImageOrientationPatient], [1, 0, 0, 0, 1, 0])
            self.assertEqual(s.ipp[:2], (-127.0, -127.0))
            self.assertEqual(float(s.ds.SliceLocation), s.ipp[2])
            self.assertEqual(float(s.ds.SliceThickness), 3.0)
            self.assertEqual(float(s.ds.RescaleIntercept), -1024)
            self.assertEqual(float(s.ds.RescaleSlope), 1)
        self.check_features(slices, head, 40, -1000)
        self.assertEqual(hp.value_at(slices, (0, 8, 20)), 35)  # brain centre
        self.assertEqual(hp.value_at(slices, (0, 0, 112)), -1000)  # above the vertex
        self.assertEqual(hp.value_at(slices, (-120, -120, 0)), -1000)
        self.assertEqual(hp.value_at(slices, (0, 0, 91)), 1000)  # skull at the vertex (z 87-94)
        self.assertEqual(hp.value_at(slices, (0, 117, 0)), 100)  # table
        self.assertEqual(hp.value_at(slices, (0, 117, -190)), 100)
        self.assertEqual(hp.value_at(slices, (0, 103, 0)), -700)  # foam behind the head
        # Above the vertex every voxel is air except the table.
        top = max(slices.values(), key=lambda s: s.ipp[2])
        self.assertEqual(top.ipp[2], 118.0)
        for r in range(top.rows):
            for c in range(top.cols):
                p = top.position(r, c)
                expected = 100 if 110 <= p[1] <= 125 else -1000
                self.assertEqual(top.value(r * top.cols + c), expected, p)

    def test_ct_cut_below_the_vertex_and_no_table(self):
        folder = synth_head(self.out("ct-cut"), "CT", "--head-top-mm", "60", "--no-table",
                            "--no-recognizable-visual-features")
        slices = hp.volume(os.path.join(folder, "dicom"))
        zs = sorted(s.ipp[2] for s in slices.values())
        self.assertEqual(zs[0], -200.0)
        self.assertEqual(zs[-1], 58.0)
        for s in slices.values():
            self.assertNotIn("RecognizableVisualFeatures", s.ds)
        self.assertEqual(hp.value_at(slices, (0, 117, 0)), -1000)  # no table
        self.assertEqual(hp.value_at(slices, (0, 103, 0)), -1000)  # no foam
        # The top slice cuts through the head: brain inside.
        self.assertEqual(hp.value_at(slices, (0, 8, 58)), 35)

    def test_mr_sagittal(self):
        folder = synth_head(self.out("mr"), "MR", "--head-orientation", "sagittal")
        slices = hp.volume(os.path.join(folder, "dicom"))
        head = self.check_common(folder, slices, "MR")
        self.assertEqual(head["orientation"], "sagittal")
        self.assertEqual(head["air"], [0, 20])
        xs = sorted(s.ipp[0] for s in slices.values())
        self.assertEqual(xs, [-96.0 + 3 * k for k in range(65)])
        for s in slices.values():
            self.assertEqual([float(v) for v in s.ds.ImageOrientationPatient], [0, 1, 0, 0, 0, -1])
            self.assertEqual(s.ipp[1:], (-127.0, 117.0))
            self.assertEqual(float(s.ds.SliceLocation), s.ipp[0])
            self.assertNotIn("RescaleIntercept", s.ds)
            self.assertEqual(s.ds.SOPClassUID, "1.2.840.10008.5.1.4.1.1.4")
        self.check_features(slices, head, 800, 20)
        self.assertEqual(hp.value_at(slices, (0, 8, 20)), 500)
        self.assertLessEqual(hp.value_at(slices, (0, 0, 111)), 20)
        self.assertEqual(hp.value_at(slices, (0, 0, 91)), 60)  # skull
        self.assertLessEqual(hp.value_at(slices, (0, 117, 0)), 20)  # no table in MR
        # Air has some noise, within the range.
        noise = {s.value(i) for s in slices.values() for i in range(0, 128)}
        self.assertGreater(len(noise), 5)
        self.assertTrue(all(0 <= v <= 20 for v in noise))

    def test_same_seed_same_files_and_bad_options(self):
        a = synth_head(self.out("det-a"), "MR", "--head-orientation", "sagittal")
        b = synth_head(self.out("det-b"), "MR", "--head-orientation", "sagittal")
        cmp = filecmp.dircmp(a, b)
        files = [os.path.relpath(p, a) for p in dicom_oracle.dicom_files(a)]
        match, mismatch, errors = filecmp.cmpfiles(a, b, files + ["manifest.json"], shallow=False)
        self.assertEqual((mismatch, errors), ([], []))
        self.assertEqual(cmp.left_only + cmp.right_only, [])
        synth = os.path.join(BIN, "oncoatlas-synth")
        for argv, expected in [
            (["--head-phantom", "CT", "--head-orientation", "sagittal"], "sagittal stack is MR only"),
            (["--head-phantom", "PT"], "--head-phantom"),
            (["--head-orientation", "sagittal"], "requires --head-phantom"),
            (["--head-phantom", "CT", "--head-top-mm", "-300"], "no slice"),
        ]:
            r = subprocess.run([synth, "--output", self.out("bad"), *argv], capture_output=True, text=True,
                               timeout=60)
            self.assertNotEqual(r.returncode, 0, argv)
            self.assertIn(expected, r.stderr + r.stdout, argv)
        self.assertTrue(pydicom.misc.is_dicom(os.path.join(a, "dicom", "study0001", "series01", "img0001.dcm")))


if __name__ == "__main__":
    unittest.main()

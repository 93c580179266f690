#!/usr/bin/python3
"""Integration-style tests of `oncoatlas-agent deidentify` on the synthetic
corpus (oncoatlas-synth) and on the DICOM files Debian's python3-pydicom ships,
checked by an independent reader (dicom_oracle.py, pydicom) and by dciodvfy.
No API server is needed. Run one case: deid_cli_test.py DeidCliTest.<case>."""
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings

import pydicom
import pydicom.data

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dicom_oracle  # noqa: E402
import head_phantom_oracle  # noqa: E402

BIN = os.environ.get("ONCOATLAS_BIN_DIR", "build/bin")
SOURCE = os.environ.get("ONCOATLAS_SOURCE_DIR", ".")
PROFILE_JSON = os.path.join(SOURCE, "agents/deid/data/confidentiality_profile_attributes.json")
PYDICOM_FILES = os.path.join(os.path.dirname(pydicom.data.__file__), "test_files")
KEY = b"oncoatlas-test-key-0123456789abcdef"

warnings.simplefilter("ignore")


def mapped_uid(uid, key=KEY):
    return dicom_oracle.mapped_uid(uid, key)


class DeidCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="oncoatlas-deid-cli-")
        cls.key_file = os.path.join(cls.tmp, "site.key")
        with open(cls.key_file, "wb") as f:
            f.write(KEY)
        cls.synth = os.path.join(cls.tmp, "synth")
        r = subprocess.run([os.path.join(BIN, "oncoatlas-synth"), "--output", cls.synth, "--patients", "2",
                            "--slices", "3", "--seed", "11"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        cls.manifest = os.path.join(cls.synth, "manifest.json")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def agent(self, input_dir, output_dir, *options, key_file=None, check=True):
        report = output_dir + ".report.json"
        argv = [os.path.join(BIN, "oncoatlas-agent"), "deidentify", "--input", input_dir, "--output", output_dir,
                "--key-file", key_file or self.key_file, "--report", report, *options]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        self.assertGreaterEqual(r.returncode, 0, "the agent was killed by a signal: " + r.stderr[-2000:])
        if check:
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            with open(report) as f:
                return r, json.load(f)
        return r, None

    def out(self, name):
        return os.path.join(self.tmp, name)

    def planted_texts(self):
        with open(self.manifest) as f:
            return {p["value"] for p in json.load(f)["planted"] if p["kind"] == "text"}

    def test_synth_corpus_leaks_nothing(self):
        inputs = os.path.join(self.synth, "dicom")
        n_inputs = sum(1 for _ in dicom_oracle.dicom_files(inputs))
        # The oracle finds the planted values where they are.
        self.assertGreater(len(dicom_oracle.planted_leaks(inputs, self.manifest)), 100)
        for name, options, codes, longitudinal in [
            ("basic", [], ["113100"], "REMOVED"),
            ("options", ["--clean-descriptors", "--retain-longitudinal-modified-dates", "--clean-structured-content",
                         "--clean-graphics"], ["113100", "113103", "113104", "113105", "113107"], "MODIFIED"),
        ]:
            with self.subTest(name):
                r, report = self.agent(inputs, self.out("synth-" + name), *options)
                self.assertEqual(report["files"], n_inputs)
                self.assertEqual(report["deidentified"], n_inputs, report["quarantinedFiles"])
                self.assertEqual(report["quarantined"], 0)
                self.assertEqual(dicom_oracle.planted_leaks(self.out("synth-" + name), self.manifest), [])
                self.assertEqual(dicom_oracle.conformance_marks(self.out("synth-" + name), codes, longitudinal), [])
                logs = (r.stdout + r.stderr).lower()
                with open(self.out("synth-" + name) + ".report.json.txt") as f:
                    logs += f.read().lower()
                for value in self.planted_texts():
                    self.assertNotIn(value.lower(), logs)

    def test_pydicom_corpus_leaks_nothing(self):
        profile = dicom_oracle.load_profile(PROFILE_JSON)
        values = dicom_oracle.original_identifying_values(PYDICOM_FILES, profile)
        self.assertGreater(len(values), 100)
        self.assertTrue(dicom_oracle.find_values(PYDICOM_FILES, values[:40]))  # the oracle can see them
        _, report = self.agent(PYDICOM_FILES, self.out("pydicom"))
        self.assertGreaterEqual(report["deidentified"], 50)
        for q in report["quarantinedFiles"]:
            self.assertTrue(q["reason"])
        self.assertEqual(dicom_oracle.find_values(self.out("pydicom"), values), [])
        self.assertEqual(dicom_oracle.conformance_marks(self.out("pydicom"), ["113100"], "REMOVED"), [])

    def test_references_resolve_and_uids_follow_the_keyed_hash(self):
        self.agent(os.path.join(self.synth, "dicom"), self.out("uids"))
        problems, references = dicom_oracle.uid_problems(self.out("uids"))
        self.assertEqual(problems, [])
        self.assertGreater(references, 20)  # the key object documents reference every image
        with open(self.manifest) as f:
            studies = json.load(f)["studies"]
        for s in studies:
            folder = os.path.join(self.out("uids"), mapped_uid(s["studyInstanceUid"]))
            self.assertTrue(os.path.isdir(folder), s["study"])
            for inst in s["instances"]:
                ds = pydicom.dcmread(os.path.join(self.synth, inst["file"]))
                expected = os.path.join(folder, mapped_uid(str(ds.SeriesInstanceUID)),
                                        mapped_uid(inst["sopInstanceUid"]) + ".dcm")
                self.assertTrue(os.path.isfile(expected), inst["file"])
                out = pydicom.dcmread(expected)
                self.assertEqual(str(out.FrameOfReferenceUID), mapped_uid(str(ds.FrameOfReferenceUID)))

    def tree(self, folder):
        files = {}
        for path in dicom_oracle.dicom_files(folder):
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = f.read()
        return files

    def test_reruns_are_byte_identical(self):
        inputs = os.path.join(self.synth, "dicom")
        self.agent(inputs, self.out("run1"))
        self.agent(inputs, self.out("run2"), "--jobs", "1")
        first, second = self.tree(self.out("run1")), self.tree(self.out("run2"))
        self.assertTrue(first)
        self.assertEqual(sorted(first), sorted(second))
        for name in first:
            self.assertEqual(first[name], second[name], name)
        other_key = self.out("other.key")
        with open(other_key, "wb") as f:
            f.write(b"another-site-key-0123456789abcdef")
        self.agent(inputs, self.out("run3"), key_file=other_key)
        self.assertFalse(set(first) & set(self.tree(self.out("run3"))))

    def date_shifts(self, name, *options):
        """Runs with modified dates; returns {patient ID: {days moved earlier}}."""
        self.agent(os.path.join(self.synth, "dicom"), self.out(name), "--retain-longitudinal-modified-dates",
                   *options)
        with open(self.manifest) as f:
            studies = json.load(f)["studies"]
        shifts = {}
        for s in studies:
            folder = os.path.join(self.out(name), mapped_uid(s["studyInstanceUid"]))
            for path in dicom_oracle.dicom_files(folder):
                ds = pydicom.dcmread(path)
                self.assertEqual(ds.LongitudinalTemporalInformationModified, "MODIFIED")
                before = datetime.datetime.strptime(s["studyDate"], "%Y%m%d")
                after = datetime.datetime.strptime(str(ds.StudyDate), "%Y%m%d")
                shifts.setdefault(s["patientId"], set()).add((before - after).days)
                self.assertEqual(str(ds.SeriesDate), str(ds.StudyDate))  # same day in the input
        return shifts

    def test_dates_shift_consistently_per_patient(self):
        shifts = self.date_shifts("dates")
        self.assertEqual(len(shifts), 2)
        for patient, days in shifts.items():
            self.assertEqual(len(days), 1, "one offset per patient")
            self.assertTrue(1 <= abs(next(iter(days))) <= 365, days)  # the default largest shift
        self.assertNotEqual(*[next(iter(d)) for d in shifts.values()])

    def test_largest_date_shift_is_honoured(self):
        shifts = self.date_shifts("dates3", "--max-date-shift-days", "3")
        self.assertEqual(len(shifts), 2)
        for patient, days in shifts.items():
            self.assertEqual(len(days), 1, "one offset per patient")
            self.assertTrue(1 <= abs(next(iter(days))) <= 3, days)
        result, _ = self.agent(self.synth, self.out("dates0"), "--retain-longitudinal-modified-dates",
                               "--max-date-shift-days", "0", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--max-date-shift-days", result.stderr + result.stdout)

    def test_bad_inputs_are_quarantined(self):
        bad = self.out("bad")
        os.makedirs(bad)
        good_path = next(p for p in dicom_oracle.dicom_files(os.path.join(self.synth, "dicom"))
                         if "series02" in p)
        with open(good_path, "rb") as f:
            good = f.read()
        rng = random.Random(5)
        nested = b""
        for _ in range(5000):
            # Digital Signatures Sequence: a sequence tag that may follow Pixel Data.
            nested += b"\xfa\xff\xfa\xffSQ\0\0\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
        for _ in range(5000):
            nested += b"\xfe\xff\x0d\xe0\0\0\0\0" + b"\xfe\xff\xdd\xe0\0\0\0\0"
        pos = good.find(b"\x10\x00\x10\x00PN")
        self.assertGreater(pos, 0)
        cases = {
            "truncated.dcm": good[: len(good) // 2],
            "truncated-header.dcm": good[:200],
            "wrong-vr.dcm": good[: pos + 4] + b"US" + good[pos + 6:],
            "zero-padding.dcm": good + b"\0" * (4 << 20),
            "random1.dcm": bytes(rng.getrandbits(8) for _ in range(10000)),
            "random2.bin": b"\0" * 128 + b"DICM" + bytes(rng.getrandbits(8) for _ in range(5000)),
            "deep-nesting.dcm": good + nested,
            "empty.dcm": b"",
            "notes.txt": b"Patient list: nothing to see\n",
        }
        for name, data in cases.items():
            with open(os.path.join(bad, name), "wb") as f:
                f.write(data)
        shutil.copy(good_path, os.path.join(bad, "good.dcm"))
        _, report = self.agent(bad, self.out("bad-out"))
        self.assertEqual(report["deidentified"], 1)
        self.assertEqual(report["quarantined"], len(cases))
        reasons = {q["input"]: q["reason"] for q in report["quarantinedFiles"]}
        self.assertEqual(sorted(reasons), sorted(cases))
        self.assertIn("VR US", reasons["wrong-vr.dcm"])
        self.assertIn("nested deeper", reasons["deep-nesting.dcm"])
        self.assertIn("empty", reasons["empty.dcm"])
        self.assertIn("out of tag order", reasons["zero-padding.dcm"])
        quarantine = report["quarantineDir"]
        for q in report["quarantinedFiles"]:
            with open(os.path.join(quarantine, q["quarantineName"] + ".reason.txt")) as f:
                text = f.read()
            self.assertIn(q["input"], text)
            self.assertIn(q["reason"], text)
        self.assertEqual(len(list(dicom_oracle.dicom_files(self.out("bad-out")))), 1)

    def test_cli_errors_are_clear(self):
        agent = os.path.join(BIN, "oncoatlas-agent")
        inputs = os.path.join(self.synth, "dicom")
        short_key = self.out("short.key")
        with open(short_key, "wb") as f:
            f.write(b"tooshort")
        for argv, expected in [
            (["--input", self.out("missing"), "--output", self.out("e1"), "--key-file", self.key_file],
             "does not exist"),
            (["--input", inputs, "--output", self.out("e2"), "--key-file", self.out("nokey")], "openssl rand"),
            (["--input", inputs, "--output", self.out("e3"), "--key-file", short_key], "at least 16"),
            (["--input", inputs, "--output", self.out("e4")], "--key-file is required"),
            (["--input", inputs, "--output", self.out("e5"), "--key-file", self.key_file,
              "--retain-longitudinal-full-dates", "--retain-longitudinal-modified-dates"], "exclude each other"),
            (["--input", inputs, "--output", self.out("e6"), "--key-file", self.key_file, "--retain-safe-private",
              "--safe-private", "ACME:0018,xx10"], "odd"),
            (["--input", inputs, "--output", os.path.join(inputs, "inside"), "--key-file", self.key_file],
             "inside the input folder"),
        ]:
            with self.subTest(expected):
                r = subprocess.run([agent, "deidentify", *argv], capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(expected, r.stderr)

    # The regions oncoatlas-synth --burned-in-text burns text into (agents/synth/study_generator.h).
    BURNED_IN_RULES = """\
# US: patient name and ID in the top band; MG: the view label in the top left corner.
- modality: US
  manufacturer: OncoSynth Imaging
  manufacturerModelName: Synth US 1
  rows: 192
  columns: 256
  regions: [{x: 0, y: 0, width: 256, height: 20}]
- modality: MG
  manufacturer: "OncoSynth Imaging"
  rows: 128
  columns: 128
  regions:
  - {x: 0, y: 0, width: 64, height: 20}
"""

    def burned_in_corpus(self):
        corpus = self.out("burned-in")
        if not os.path.isdir(corpus):
            r = subprocess.run([os.path.join(BIN, "oncoatlas-synth"), "--output", corpus, "--patients", "2",
                                "--slices", "2", "--seed", "23", "--burned-in-text"],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
        rules = self.out("burned-in-rules.yaml")
        with open(rules, "w") as f:
            f.write(self.BURNED_IN_RULES)
        return corpus, rules

    def test_burned_in_text_is_cleaned(self):
        corpus, rules = self.burned_in_corpus()
        inputs = os.path.join(corpus, "dicom")
        regions = {("US", 192, 256): [(0, 0, 256, 20)], ("MG", 128, 128): [(0, 0, 64, 20)]}
        r, report = self.agent(inputs, self.out("bi-clean"), "--clean-pixel-data", "--burned-in-text-regions", rules)
        n_inputs = sum(1 for _ in dicom_oracle.dicom_files(inputs))
        self.assertEqual(report["deidentified"], n_inputs, report["quarantinedFiles"])
        cleaned = {"US": 0, "MG": 0}
        for path in dicom_oracle.dicom_files(inputs):
            src = pydicom.dcmread(path)
            out_path = os.path.join(self.out("bi-clean"), mapped_uid(str(src.StudyInstanceUID)),
                                    mapped_uid(str(src.SeriesInstanceUID)), mapped_uid(str(src.SOPInstanceUID)) + ".dcm")
            out = pydicom.dcmread(out_path)
            codes = sorted(str(i.CodeValue) for i in out.DeidentificationMethodCodeSequence)
            if "PixelData" not in src:
                self.assertEqual(codes, ["113100"], path)
                continue
            key = (str(src.Modality), int(src.Rows), int(src.Columns))
            if key in regions:
                self.assertEqual(src.BurnedInAnnotation, "YES")
                expected = dicom_oracle.blanked(src, regions[key])
                self.assertNotEqual(expected, bytes(src.PixelData), path + ": no text in the region to clean")
                self.assertEqual(bytes(out.PixelData), expected, path)
                self.assertEqual(out.BurnedInAnnotation, "NO", path)
                self.assertEqual(codes, ["113100", "113101"], path)
                cleaned[key[0]] += 1
            else:
                self.assertEqual(bytes(out.PixelData), bytes(src.PixelData), path)
                self.assertEqual(out.get("BurnedInAnnotation"), "NO", path)
                self.assertEqual(codes, ["113100"], path)
            for attr in ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "NumberOfFrames",
                         "PlanarConfiguration", "PhotometricInterpretation"):
                self.assertEqual(out.get(attr), src.get(attr), attr)
        self.assertEqual(cleaned, {"US": 4, "MG": 8})
        self.assertEqual(dicom_oracle.planted_leaks(self.out("bi-clean"), os.path.join(corpus, "manifest.json")), [])
        with open(os.path.join(corpus, "manifest.json")) as f:
            planted = {p["value"].lower() for p in json.load(f)["planted"] if p["kind"] == "text"}
        logs = (r.stdout + r.stderr).lower()
        for value in planted:
            self.assertNotIn(value, logs)

    def test_burned_in_text_without_a_rule_is_quarantined(self):
        corpus, rules = self.burned_in_corpus()
        inputs = os.path.join(corpus, "dicom")
        _, report = self.agent(inputs, self.out("bi-off"))
        reasons = [q["reason"] for q in report["quarantinedFiles"]]
        self.assertEqual(len(reasons), 12)  # 2 patients x (4 MG + 2 US)
        for reason in reasons:
            self.assertIn("Burned In Annotation is YES and Clean Pixel Data is not applied", reason)
        # A rule for US only: the MG images match none and say which device needs one.
        us_only = self.out("us-only.json")
        with open(us_only, "w") as f:
            json.dump([{"modality": "US", "rows": 192, "columns": 256,
                        "regions": [{"x": 0, "y": 0, "width": 256, "height": 20}]}], f)
        _, report = self.agent(inputs, self.out("bi-us-only"), "--clean-pixel-data", "--burned-in-text-regions",
                               us_only)
        reasons = [q["reason"] for q in report["quarantinedFiles"]]
        self.assertEqual(len(reasons), 8)
        with open(os.path.join(corpus, "manifest.json")) as f:
            planted = [p["value"] for p in json.load(f)["planted"] if p["kind"] == "text"]
        for reason in reasons:
            self.assertIn('Burned In Annotation is YES and no burnedInTextRegions rule matches this device (modality '
                          'MG, manufacturer "OncoSynth Imaging", model "Synth MG 1", 128x128); add a rule for it',
                          reason)
            for value in planted:
                self.assertNotIn(value, reason)

    def test_burned_in_text_regions_file_errors_are_clear(self):
        corpus, rules = self.burned_in_corpus()
        inputs = os.path.join(corpus, "dicom")
        agent = os.path.join(BIN, "oncoatlas-agent")
        files = {
            "outside.yaml": "- {rows: 10, columns: 10, regions: [{x: 5, y: 0, width: 6, height: 1}]}\n",
            "no-rows.yaml": "- {columns: 10, regions: [{x: 0, y: 0, width: 6, height: 1}]}\n",
            "typo.json": '[{"rows": 10, "columns": 10, "region": []}]',
            "not-a-list.yaml": "rows: 10\n",
            "broken.yaml": "- {rows: [\n",
        }
        for name, text in files.items():
            with open(self.out(name), "w") as f:
                f.write(text)
        base = ["deidentify", "--input", inputs, "--key-file", self.key_file]
        for extra, expected in [
            (["--clean-pixel-data"], "--clean-pixel-data needs --burned-in-text-regions FILE"),
            (["--burned-in-text-regions", rules], "only used with --clean-pixel-data"),
            (["--clean-pixel-data", "--burned-in-text-regions", self.out("missing.yaml")], "cannot read"),
            (["--clean-pixel-data", "--burned-in-text-regions", self.out("outside.yaml")],
             "reaches outside the 10x10 image; keep x + width <= columns"),
            (["--clean-pixel-data", "--burned-in-text-regions", self.out("no-rows.yaml")],
             "burnedInTextRegions[0] has no rows"),
            (["--clean-pixel-data", "--burned-in-text-regions", self.out("typo.json")], "burnedInTextRegions[0] has no regions"),
            (["--clean-pixel-data", "--burned-in-text-regions", self.out("not-a-list.yaml")],
             "does not hold a non-empty list"),
            (["--clean-pixel-data", "--burned-in-text-regions", self.out("broken.yaml")], "not valid YAML or JSON"),
        ]:
            with self.subTest(expected):
                r = subprocess.run([agent, *base, "--output", self.out("e-bi"), *extra], capture_output=True,
                                   text=True, timeout=120)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(expected, r.stderr)

    def head_phantom(self, name, *options):
        """oncoatlas-synth --head-phantom: (input folder, phantom folder, headPhantom labels)."""
        folder = self.out(name)
        r = subprocess.run([os.path.join(BIN, "oncoatlas-synth"), "--output", folder, "--seed", "7",
                            "--head-phantom", *options], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, head = head_phantom_oracle.labels(folder)
        return os.path.join(folder, "dicom"), folder, head

    def assert_defaced(self, name, air_max, *synth_options):
        """Clean Recognizable Visual Features on a head phantom: every voxel of
        every face feature is air, every voxel of the brain is unchanged, the
        headers say so, and no planted value is left."""
        inputs, folder, head = self.head_phantom(name, *synth_options)
        outputs = self.out(name + "-out")
        r, report = self.agent(inputs, outputs, "--clean-recognizable-visual-features")
        n_inputs = sum(1 for _ in dicom_oracle.dicom_files(inputs))
        self.assertEqual(report["deidentified"], n_inputs, report["quarantinedFiles"])
        before = head_phantom_oracle.volume(inputs)
        after = head_phantom_oracle.volume(outputs)
        # Output images match input images by position and orientation (UIDs change).
        self.assertEqual(sorted(after), sorted(before))
        faces = head_phantom_oracle.features(head, "face")
        self.assertEqual(sorted(f["name"] for f in faces), ["chin", "leftEye", "lips", "nose", "rightEye"])
        for f in faces:
            voxels, not_air = 0, []
            for s, i, p in head_phantom_oracle.voxels(after, f):
                voxels += 1
                if s.value(i) > air_max:
                    not_air.append((p, s.value(i)))
                # the input had the feature there: the test would prove nothing otherwise
                self.assertGreater(before[s.key()].value(i), head["air"][1], (f["name"], p))
            self.assertGreater(voxels, 10, f["name"])
            self.assertEqual(not_air[:5], [], "%s: %d of %d voxels are not air" % (f["name"], len(not_air), voxels))
        brains = head_phantom_oracle.features(head, "brain")
        self.assertEqual(len(brains), 1)
        changed, voxels = [], 0
        for s, i, p in head_phantom_oracle.voxels(after, brains[0]):
            voxels += 1
            src = before[s.key()]
            if s.raw[i] != src.raw[i] or s.value(i) != src.value(i):
                changed.append((p, src.value(i), s.value(i)))
        self.assertGreater(voxels, 10000)
        self.assertEqual(changed[:5], [], "%d of %d brain voxels changed" % (len(changed), voxels))
        for s in after.values():
            src = before[s.key()].ds
            self.assertEqual(s.ds.get("RecognizableVisualFeatures"), "NO", s.path)
            codes = [str(i.CodeValue) for i in s.ds.DeidentificationMethodCodeSequence]
            self.assertIn("113102", codes, s.path)
            self.assertIn("113100", codes, s.path)
            for attr in ("Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation", "PixelSpacing",
                         "ImageOrientationPatient", "ImagePositionPatient", "Modality"):
                self.assertEqual(s.ds.get(attr), src.get(attr), attr)
        self.assertEqual(dicom_oracle.planted_leaks(outputs, os.path.join(folder, "manifest.json")), [])
        with open(os.path.join(folder, "manifest.json")) as f:
            planted = {p["value"].lower() for p in json.load(f)["planted"] if p["kind"] == "text"}
        logs = (r.stdout + r.stderr).lower()
        for value in planted:
            self.assertNotIn(value, logs)

    def test_head_phantom_ct_is_defaced(self):
        # Axial CT with the patient table and foam head holder: face air (<= -900 HU), brain untouched.
        self.assert_defaced("head-ct", -900, "CT")

    def test_head_phantom_mr_sagittal_is_defaced(self):
        # Sagittal MR (slices along x): the defacer works in patient coordinates; face at most MR air.
        self.assert_defaced("head-mr", 20, "MR", "--head-orientation", "sagittal")

    def test_head_phantom_without_vertex_is_quarantined(self):
        # The volume stops at z = +60 mm, below the vertex (z = +100): the face cannot be located
        # reliably, so every image is quarantined rather than released with a face.
        inputs, folder, _ = self.head_phantom("head-cut", "CT", "--head-top-mm", "60")
        outputs = self.out("head-cut-out")
        _, report = self.agent(inputs, outputs, "--clean-recognizable-visual-features")
        n_inputs = sum(1 for _ in dicom_oracle.dicom_files(inputs))
        self.assertGreater(n_inputs, 50)
        self.assertEqual(report["deidentified"], 0)
        self.assertEqual(report["quarantined"], n_inputs)
        with open(os.path.join(folder, "manifest.json")) as f:
            planted = [p["value"] for p in json.load(f)["planted"] if p["kind"] == "text"]
        for q in report["quarantinedFiles"]:
            self.assertIn("top of the head", q["reason"])
            for value in planted:
                self.assertNotIn(value, q["reason"])
        self.assertEqual(list(dicom_oracle.dicom_files(outputs)) if os.path.isdir(outputs) else [], [])

    def test_dciodvfy_finds_no_new_errors(self):
        corpora = [(os.path.join(self.synth, "dicom"), self.out("v-synth")), (PYDICOM_FILES, self.out("v-pydicom"))]
        compared, failures = 0, []
        for inputs, outputs in corpora:
            _, report = self.agent(inputs, outputs)
            duplicates = {q["input"] for q in report["quarantinedFiles"] if "same SOP Instance UID" in q["reason"]}
            for path in dicom_oracle.dicom_files(inputs):
                try:
                    ds = pydicom.dcmread(path, stop_before_pixels=True)
                    sop, study, series = str(ds.SOPInstanceUID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)
                except Exception:
                    continue
                if os.path.relpath(path, inputs) in duplicates:
                    continue  # its output is another input's
                out = os.path.join(outputs, mapped_uid(study), mapped_uid(series), mapped_uid(sop) + ".dcm")
                if not os.path.isfile(out):
                    continue  # quarantined
                new = dicom_oracle.dciodvfy_errors(out) - dicom_oracle.dciodvfy_errors(path)
                if study == str(ds.get("FrameOfReferenceUID", "")):
                    # Equal UIDs stay equal (consistent mapping); dciodvfy flags that only in the new form.
                    new.discard("Error - StudyInstanceUID has same value as FrameOfReferenceUID <<uid>>")
                if new:
                    failures.append((os.path.relpath(path, inputs), sorted(new)))
                compared += 1
        self.maxDiff = None
        self.assertEqual(failures, [])
        self.assertGreater(compared, 60)


if __name__ == "__main__":
    unittest.main()

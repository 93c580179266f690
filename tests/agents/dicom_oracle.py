#!/usr/bin/python3
"""Independent checks of de-identified DICOM output, with pydicom (Debian's
python3-pydicom), never with the engine's own code. Used by deid_cli_test.py.

Every function walks every element of every file: file meta, private
attributes and sequence items at any depth."""
import hashlib
import hmac
import json
import os
import re
import subprocess

import pydicom
from pydicom.errors import InvalidDicomError


def dicom_files(folder):
    for root, _, names in os.walk(folder):
        for n in sorted(names):
            yield os.path.join(root, n)


def read(path):
    return pydicom.dcmread(path, force=True)


def walk(dataset):
    """Yields every data element, nested ones included."""
    for elem in dataset:
        yield elem
        if elem.VR == "SQ" and elem.value is not None:
            for item in elem.value:
                yield from walk(item)


def all_elements(ds):
    if getattr(ds, "file_meta", None) is not None:
        yield from walk(ds.file_meta)
    yield from walk(ds)


def element_texts(elem):
    """The value as text and as raw bytes (lower case), for substring search."""
    out = []
    try:
        v = elem.value
    except Exception:  # a value pydicom cannot decode is searched as bytes below
        v = None
    if isinstance(v, (bytes, bytearray)):
        out.append(bytes(v).lower())
    elif v is not None and elem.VR != "SQ":
        values = v if isinstance(v, (list, tuple, pydicom.multival.MultiValue)) else [v]
        for x in values:
            out.append(str(x).lower().encode("utf-8", "replace"))
    return out


def find_values(folder, needles):
    """Returns [(file, tag, needle)] for every needle found in any element value."""
    needles = [n.lower().encode("utf-8") if isinstance(n, str) else n.lower() for n in needles if n]
    hits = []
    for path in dicom_files(folder):
        ds = read(path)
        raw = open(path, "rb").read().lower()
        for n in needles:
            if n in raw:
                hits.append((path, "raw bytes", n))
        for elem in all_elements(ds):
            for text in element_texts(elem):
                for n in needles:
                    if n in text:
                        hits.append((path, str(elem.tag), n))
    return hits


def mapped_uid(uid, key):
    """The engine's UID mapping, computed independently: 2.25 + the first 128
    bits of HMAC-SHA256(key, "uid" 0x00 uid), in decimal."""
    digest = hmac.new(key, b"uid\0" + uid.encode(), hashlib.sha256).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def dciodvfy_errors(path):
    """dciodvfy's error lines for one file, with values, indices and UIDs masked
    so that an input and its de-identified output can be compared."""
    r = subprocess.run(["dciodvfy", path], capture_output=True, text=True, errors="replace", timeout=120)
    errors = set()
    for line in (r.stdout + r.stderr).splitlines():
        if "Error" not in line:
            continue
        line = re.sub(r"= <[^>]*>", "= <>", line)      # values
        line = re.sub(r"\[[0-9]+\]", "[]", line)        # value indices
        line = re.sub(r"[0-9]+(\.[0-9]+){2,}", "<uid>", line)  # UIDs change by design
        line = re.sub(r"(UID) [0-9.]+$", r"\1 <uid>", line)  # ... also malformed ones such as "0"
        errors.add(line.strip())
    return errors


def load_profile(json_path):
    """tag (int) -> basic action code of PS3.15 table E.1-1; patterns as regexes."""
    rows = json.load(open(json_path))
    exact, patterns = {}, []
    for r in rows:
        t = r["tag"].upper()
        if "GGGG" in t:
            continue
        if "X" in t:
            patterns.append((re.compile(t.replace("(", "").replace(")", "").replace(",", "").replace("X", "[0-9A-F]")),
                             r["basicProfile"]))
        else:
            exact[int(t[1:5] + t[6:10], 16)] = r["basicProfile"]
    return exact, patterns


def basic_action(profile, tag):
    exact, patterns = profile
    if tag in exact:
        return exact[tag]
    text = "%08X" % tag
    for rx, code in patterns:
        if rx.fullmatch(text):
            return code
    return None


def worth_searching(text):
    """A value specific enough that finding it again means it leaked: six or more
    characters with at least three letters, a UID, or a full date."""
    if len(text) < 6:
        return False
    if sum(c.isalpha() for c in text) >= 3:
        return True
    if re.fullmatch(r"[0-9]+(\.[0-9]+){3,}", text) and len(text) >= 10:
        return True
    return bool(re.fullmatch(r"(19|20)[0-9]{6}", text))


def original_identifying_values(input_folder, profile):
    """Values (text, 6+ characters) of attributes the basic profile removes or
    replaces, minus values that also occur in attributes it keeps (those may
    legitimately survive). Private attributes count as removed; coded strings
    (CS) do not identify anyone and are left out."""
    removed, kept = set(), set()
    for path in dicom_files(input_folder):
        try:
            ds = pydicom.dcmread(path)
        except (InvalidDicomError, Exception):
            continue
        try:
            elems = list(walk(ds))
        except Exception:
            continue
        for elem in elems:
            if elem.VR in ("SQ", "CS", "OB", "OW", "UN", "OF", "OD", "OL") or elem.tag.group == 0x7FE0:
                continue
            try:
                texts = [t.decode("utf-8", "replace").strip() for t in element_texts(elem)]
            except Exception:
                continue
            code = "X" if elem.tag.is_private else basic_action(profile, int(elem.tag))
            for t in texts:
                if not worth_searching(t):
                    continue
                if code is None or code == "K":
                    kept.add(t)
                else:
                    removed.add(t)
    # The engine's documented dummy value, and values that a kept attribute
    # anywhere in the corpus contains, are not leaks.
    kept_text = "\n".join(t.lower() for t in kept)
    return sorted(t for t in removed if t.lower() not in kept_text and t.lower() != "anonymized")


def planted_leaks(output_folder, manifest_path):
    """Every planted value of the generator's manifest found in the output:
    text anywhere (element values and raw bytes), dates in any non-UID element,
    UIDs as any element value."""
    planted = json.load(open(manifest_path))["planted"]
    texts = sorted({p["value"].lower() for p in planted if p["kind"] == "text" and p["value"]})
    dates = sorted({p["value"] for p in planted if p["kind"] == "date"})
    uids = {p["value"] for p in planted if p["kind"] == "uid"}
    hits = []
    for path in dicom_files(output_folder):
        raw = open(path, "rb").read().lower()
        for t in texts:
            if t.encode() in raw:
                hits.append((path, "raw bytes", t))
        for elem in all_elements(read(path)):
            for value in element_texts(elem):
                v = value.decode("utf-8", "replace")
                for t in texts:
                    if t in v:
                        hits.append((path, str(elem.tag), t))
                if elem.VR == "UI":
                    if v.strip("\0 ") in uids:
                        hits.append((path, str(elem.tag), v))
                else:
                    for d in dates:
                        if d in v:
                            hits.append((path, str(elem.tag), d))
    return hits


def uid_problems(output_folder):
    """Referenced SOP Instance UIDs that resolve to no instance of the output
    set, file meta that disagrees with the data set, and instance UIDs that the
    engine did not replace (not 2.25.)."""
    problems, instances, references = [], {}, []
    for path in dicom_files(output_folder):
        ds = read(path)
        sop = str(ds.SOPInstanceUID)
        instances[sop] = path
        if str(ds.file_meta.MediaStorageSOPInstanceUID) != sop:
            problems.append((path, "MediaStorageSOPInstanceUID differs from SOPInstanceUID"))
        for kw in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
            if not str(ds.get(kw, "")).startswith("2.25."):
                problems.append((path, kw + " was not replaced"))
        for elem in walk(ds):
            if elem.tag == 0x00081155:
                references.append((path, str(elem.value)))
    for path, ref in references:
        if ref not in instances:
            problems.append((path, "ReferencedSOPInstanceUID " + ref + " resolves to no output instance"))
    return problems, len(references)


def conformance_marks(output_folder, expected_codes, expected_longitudinal):
    """Files lacking PatientIdentityRemoved=YES, the expected CID 7050 codes,
    LongitudinalTemporalInformationModified, or still holding private attributes."""
    problems = []
    for path in dicom_files(output_folder):
        ds = read(path)
        if ds.get("PatientIdentityRemoved") != "YES":
            problems.append((path, "PatientIdentityRemoved"))
        codes = sorted(str(i.CodeValue) for i in ds.get("DeidentificationMethodCodeSequence", []))
        schemes = {str(i.CodingSchemeDesignator) for i in ds.get("DeidentificationMethodCodeSequence", [])}
        if codes != sorted(expected_codes) or schemes != {"DCM"}:
            problems.append((path, "DeidentificationMethodCodeSequence " + ",".join(codes)))
        if ds.get("LongitudinalTemporalInformationModified") != expected_longitudinal:
            problems.append((path, "LongitudinalTemporalInformationModified"))
        if ds.preamble is not None and any(ds.preamble):
            problems.append((path, "preamble not zero"))
        for elem in walk(ds):
            if elem.tag.is_private:
                problems.append((path, "private attribute " + str(elem.tag)))
            if elem.tag in (0xFFFAFFFA, 0xFFFCFFFC):
                problems.append((path, "signature or padding " + str(elem.tag)))
    return problems


def blanked(ds, regions):
    """The native Pixel Data of `ds` as it should be after Clean Pixel Data
    blanks `regions` ((x, y, width, height) in pixels) in every frame: computed
    here from the image's own attributes, without numpy or the engine's code."""
    rows, columns = int(ds.Rows), int(ds.Columns)
    samples = int(ds.get("SamplesPerPixel", 1))
    planar = int(ds.get("PlanarConfiguration", 0)) if samples > 1 else 0
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    size = int(ds.BitsAllocated) // 8
    data = bytearray(ds.PixelData)
    frame_bytes = rows * columns * samples * size
    assert len(data) >= frame_bytes * frames, "Pixel Data shorter than the image"
    planes, pixel = (samples, size) if planar == 1 else (1, samples * size)
    for f in range(frames):
        for p in range(planes):
            base = f * frame_bytes + p * rows * columns * pixel
            for (x, y, w, h) in regions:
                assert x + w <= columns and y + h <= rows, "region outside the image"
                for row in range(y, y + h):
                    start = base + (row * columns + x) * pixel
                    data[start:start + w * pixel] = bytes(w * pixel)
    return bytes(data)

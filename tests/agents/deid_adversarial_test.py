#!/usr/bin/python3
"""The de-identification engine against the adversarial corpus
(agents/synth/adversarial_corpus.py), checked by an independent reader
(pydicom, text decoded by Specific Character Set; dciodvfy from dicom3tools).

For every option set a Dataset can ask for, runs `oncoatlas-agent deidentify`
on the corpus and reports, per category of planted identifier: values planted,
values surviving in the output, files written that had to be quarantined,
references that no longer resolve, valid files quarantined, and new dciodvfy
errors (output against input). Only what KNOWN_FAILURES does not list must be
clean; what it lists is reported, so the table shows what is left to fix.

    deid_adversarial_test.py [--bin build/bin] [--option-set NAME ...] [--markdown FILE]
                             [--dciodvfy basic|all|none] [--details] [--assert]

ctest runs it with --assert (test deid_adversarial): exit 1 when a category that
KNOWN_FAILURES does not list fails under some option set."""
import argparse
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings

import pydicom
from pydicom.charset import convert_encodings, decode_bytes, encode_string

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dicom_oracle  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("ONCOATLAS_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..", "..")))
GENERATOR = os.path.join(SOURCE, "agents", "synth", "adversarial_corpus.py")
KEY = b"oncoatlas-test-key-0123456789abcdef"
DEFLATED = "1.2.840.10008.1.2.1.99"

ALL = "all option sets"

# The one place that lists what fails today: category -> option sets in which it
# may fail (ALL: every one; "all but A, B": every one except those). Whoever fixes
# a category removes it here, which puts it under the must-pass assertion; the run
# prints "now passes" for entries that no longer fail, so the list only shrinks.
KNOWN_FAILURES = {
    "sr_content_tree": ALL,
    "pr_graphic_text": ALL,
    "descriptor_other_name": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "descriptor_email": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "descriptor_short_name": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "descriptor_date_words": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "charset_latin1_upper": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "charset_utf8": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "charset_ir87": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "charset_ir149": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "outside_table_text": ALL,
    "uid_embedded": "all but retain_uids, all_full_dates, all_modified_dates",
    "references": "all but retain_uids, all_full_dates, all_modified_dates",
    "un_sequence": ALL,
    "pn_as_un": ALL,
    "deflated": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "big_endian": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "rt_structure_set": ["clean_descriptors", "all_full_dates", "all_modified_dates"],
    "segmentation": ALL,
}

# Every option set a Dataset can ask for (crds/dataset.yaml spec.deidentification):
# the basic profile, each option alone, and all of them (with either date option).
# {rules} and {safe} are filled from the corpus (its Clean Pixel Data rule, its safe
# private attributes).
OPTIONS = {
    "clean_pixel_data": ["--clean-pixel-data", "--burned-in-text-regions", "{rules}"],
    "clean_recognizable_visual_features": ["--clean-recognizable-visual-features"],
    "clean_graphics": ["--clean-graphics"],
    "clean_structured_content": ["--clean-structured-content"],
    "clean_descriptors": ["--clean-descriptors"],
    "retain_longitudinal_full_dates": ["--retain-longitudinal-full-dates"],
    "retain_longitudinal_modified_dates": ["--retain-longitudinal-modified-dates"],
    "retain_patient_characteristics": ["--retain-patient-characteristics"],
    "retain_device_identity": ["--retain-device-identity"],
    "retain_uids": ["--retain-uids"],
    "retain_safe_private": ["--retain-safe-private", "{safe}"],
    "retain_institution_identity": ["--retain-institution-identity"],
}


def option_sets():
    sets = {"basic": []}
    for name in OPTIONS:
        sets[name] = [name]
    every = [n for n in OPTIONS if not n.startswith("retain_longitudinal")]
    sets["all_full_dates"] = every + ["retain_longitudinal_full_dates"]
    sets["all_modified_dates"] = every + ["retain_longitudinal_modified_dates"]
    return sets


def argv_for(options, corpus, manifest):
    out = []
    for o in options:
        for a in OPTIONS[o]:
            if a == "{rules}":
                out.append(os.path.join(corpus, "burned-in-text-regions.yaml"))
            elif a == "{safe}":
                for s in manifest["safePrivate"]:
                    out += ["--safe-private", s]
            else:
                out.append(a)
    return out


# ---- reading outputs -------------------------------------------------------------------------------------------------
def encodings_of(ds):
    cs = ds.get("SpecificCharacterSet", "") or ""
    return convert_encodings(list(cs) if isinstance(cs, (list, pydicom.multival.MultiValue)) else [cs])


def texts(ds):
    """(tag path, VR, decoded text) of every element at every depth; UN and other
    byte values are decoded with the data set's character sets."""
    out = []

    def visit(d, path, enc):
        if "SpecificCharacterSet" in d:
            enc = encodings_of(d)
        for elem in d:
            where = path + [str(elem.tag)]
            try:
                v = elem.value
            except Exception:
                continue
            if elem.VR == "SQ":
                for item in v or []:
                    visit(item, where, enc)
                continue
            if isinstance(v, (bytes, bytearray)):
                if elem.tag == 0x7FE00010:
                    continue
                try:
                    v = decode_bytes(bytes(v), enc, set())
                except Exception:
                    v = bytes(v).decode("latin-1")
            values = v if isinstance(v, (list, tuple, pydicom.multival.MultiValue)) else [v]
            for x in values:
                out.append((">".join(where), elem.VR, str(x)))

    if getattr(ds, "file_meta", None) is not None:
        visit(ds.file_meta, [], ["iso8859"])
    visit(ds, [], encodings_of(ds))
    return out


def byte_forms(token):
    """The token as it may be written: case variants in every character set the corpus uses."""
    forms = set()
    for t in {token, token.lower(), token.upper(), token.capitalize()}:
        for cs in (["ISO_IR 192"], ["ISO_IR 100"], ["", "ISO 2022 IR 87"], ["", "ISO 2022 IR 149"]):
            try:
                forms.add(encode_string(t, convert_encodings(cs)))
            except Exception:
                pass
    return {f for f in forms if len(f) >= 2}


class Output:
    """One de-identified file: raw bytes, pydicom data set, decoded texts."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.raw = f.read()
        self.ds = pydicom.dcmread(path, force=True)
        self.texts = texts(self.ds)

    def nested_uids(self):
        return {t.strip("\0 ") for where, vr, t in self.texts if vr == "UI" and ">" in where}

    def found(self, planted):
        """Where the planted value survives in this file (empty: nowhere)."""
        token, kind = planted["token"], planted["kind"]
        if kind == "word":
            rx = re.compile(r"(?<!\w)" + re.escape(token.lower()) + r"(?!\w)")
            return [w for w, _, t in self.texts if rx.search(t.lower())]
        if kind == "uid_part":
            return [w for w, vr, t in self.texts if vr == "UI" and token in t]
        if kind == "overlay":
            return self.high_bits()
        hits = [w for w, _, t in self.texts if token.lower() in t.lower()]
        if not hits and any(f in self.raw for f in byte_forms(token)):
            hits = ["raw bytes"]
        return hits

    def high_bits(self):
        ds = self.ds
        if "PixelData" not in ds or int(ds.get("BitsAllocated", 0)) != 16:
            return []
        stored = int(ds.get("BitsStored", 16))
        mask = (0xFFFF << stored) & 0xFFFF
        data = bytes(ds.PixelData)
        big = not ds.is_little_endian
        for i in range(0, len(data) - 1, 2):
            v = (data[i] << 8 | data[i + 1]) if big else (data[i] | data[i + 1] << 8)
            if v & (mask or 0xF000):
                return ["PixelData bits above Bits Stored %d" % stored]
        return []


def mapped_uid(uid, retain):
    return uid if retain else dicom_oracle.mapped_uid(uid, KEY)


@functools.lru_cache(maxsize=None)
def input_dciodvfy_errors(path):
    return frozenset(dicom_oracle.dciodvfy_errors(path))


# ---- one option set --------------------------------------------------------------------------------------------------
def check_the_checker(corpus, manifest):
    """Every planted value is visible in its input file, and every reference
    resolves there: otherwise a clean output would prove nothing."""
    inputs = {f["file"]: Output(os.path.join(corpus, "dicom", f["file"])) for f in manifest["files"]}
    blind = ["%s: %s (%s)" % (p["file"], p["token"], p["where"]) for p in manifest["planted"]
             if not inputs[p["file"]].found(p)]
    for ref in manifest["references"]:
        t = inputs[ref["target"]].ds
        want = {"instance": t.SOPInstanceUID, "series": t.SeriesInstanceUID, "study": t.StudyInstanceUID}[ref["level"]]
        if str(want) not in inputs[ref["file"]].nested_uids():
            blind.append("reference %s -> %s (%s)" % (ref["file"], ref["target"], ref["level"]))
    if blind:
        raise AssertionError("the checker does not see in the inputs: " + "; ".join(blind))


def run_option_set(name, options, agent, corpus, manifest, work, dciodvfy):
    out_dir = os.path.join(work, name)
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.rmtree(out_dir + "-quarantine", ignore_errors=True)
    key = os.path.join(work, "site.key")
    with open(key, "wb") as f:
        f.write(KEY)
    report_path = out_dir + ".report.json"
    argv = [agent, "deidentify", "--input", os.path.join(corpus, "dicom"), "--output", out_dir, "--key-file", key,
            "--report", report_path, "--jobs", "2"] + argv_for(options, corpus, manifest)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("%s: the agent failed (%d): %s" % (name, r.returncode, (r.stderr or r.stdout)[-2000:]))
    with open(report_path) as f:
        report = json.load(f)
    quarantined = {q["input"]: q["reason"] for q in report["quarantinedFiles"]}
    retain = "retain_uids" in options
    outputs = {}
    for path in dicom_oracle.dicom_files(out_dir):
        o = Output(path)
        outputs[str(o.ds.file_meta.get("MediaStorageSOPInstanceUID", ""))] = o
    written = {}
    for f in manifest["files"]:
        o = outputs.get(mapped_uid(f["sopInstanceUid"], retain))
        if o is not None and f["file"] not in quarantined:
            written[f["file"]] = o
    rows = {c: {"planted": 0, "surviving": 0, "writtenShouldQuarantine": 0, "references": 0, "unresolved": 0,
                "quarantinedValid": 0, "dciodvfy": 0, "details": []} for c in manifest["categories"]}
    for p in manifest["planted"]:
        row = rows[p["category"]]
        if retain and p["kind"] in ("uid", "uid_part"):
            continue  # Retain UIDs keeps UIDs by definition
        row["planted"] += 1
        o = written.get(p["file"])
        hits = o.found(p) if o else []
        if hits:
            row["surviving"] += 1
            row["details"].append("leak %s (%s, planted in %s) found in %s" % (p["file"], p["token"], p["where"],
                                                                                  ", ".join(sorted(set(hits))[:3])))
    clean_pixels = "clean_pixel_data" in options
    for f in manifest["files"]:
        row = rows[f["category"]]
        expect = f["expect"]
        if expect == "quarantine_unless_rule":
            expect = "deidentify" if clean_pixels else "quarantine"
        if expect == "quarantine" and f["file"] in written:
            row["writtenShouldQuarantine"] += 1
            row["details"].append("written, should be quarantined: %s (%s)" % (f["file"], f["note"]))
        if expect == "deidentify" and f["file"] not in written:
            row["quarantinedValid"] += 1
            row["details"].append("quarantined though valid: %s: %s" % (f["file"],
                                                                         quarantined.get(f["file"], "no output")))
        if dciodvfy and f["file"] in written and f["transferSyntax"] != DEFLATED:  # dciodvfy cannot inflate
            new = dicom_oracle.dciodvfy_errors(written[f["file"]].path) - input_dciodvfy_errors(
                os.path.join(corpus, "dicom", f["file"]))
            new.discard("Error - StudyInstanceUID has same value as FrameOfReferenceUID <<uid>>")
            row["dciodvfy"] += len(new)
            for e in sorted(new)[:3]:
                row["details"].append("dciodvfy, %s: %s" % (f["file"], e))
    for ref in manifest["references"]:
        src, target = written.get(ref["file"]), written.get(ref["target"])
        if src is None or target is None:
            continue  # one end quarantined: counted above if it should not have been
        t = target.ds
        want = {"instance": str(t.SOPInstanceUID), "series": str(t.SeriesInstanceUID),
                "study": str(t.StudyInstanceUID)}[ref["level"]]
        rows[ref["category"]]["references"] += 1
        if want not in src.nested_uids():
            rows[ref["category"]]["unresolved"] += 1
            rows[ref["category"]]["details"].append("unresolved: %s %s -> %s (%s)" % (
                ref["file"], ref["where"], ref["target"], ref["level"]))
    return rows, report


def failing(row):
    return row["surviving"] or row["writtenShouldQuarantine"] or row["unresolved"] or row["quarantinedValid"]


def known(category, option_set):
    sets = KNOWN_FAILURES.get(category)
    if sets is None:
        return False
    if sets == ALL:
        return True
    if isinstance(sets, str) and sets.startswith("all but "):
        return option_set not in sets[len("all but "):].split(", ")
    return option_set in sets


# ---- output ----------------------------------------------------------------------------------------------------------
COLUMNS = [("planted", "planted"), ("surviving", "surviving"),
           ("writtenShouldQuarantine", "written, should be quarantined"), ("references", "refs checked"),
           ("unresolved", "refs unresolved"), ("quarantinedValid", "quarantined though valid"),
           ("dciodvfy", "new dciodvfy errors")]


def cell(row):
    if not failing(row):
        return "ok"
    parts = []
    for key, short in (("surviving", "L"), ("writtenShouldQuarantine", "W"), ("unresolved", "R"),
                       ("quarantinedValid", "Q")):
        if row[key]:
            parts.append("%s%d" % (short, row[key]))
    return " ".join(parts)


def markdown(results, categories, with_dciodvfy):
    names = list(results)
    lines = ["Matrix: `ok`, or L = planted values surviving, W = files written that had to be quarantined, "
             "R = references no longer resolving, Q = valid files quarantined.", "",
             "| category | " + " | ".join(n.replace("_", " ") for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for c in categories:
        lines.append("| `%s` | " % c + " | ".join(cell(results[n][c]) for n in names) + " |")
    for n in names:
        lines += ["", "#### %s" % n, "",
                  "| category | " + " | ".join(t for k, t in COLUMNS if k != "dciodvfy" or with_dciodvfy.get(n))
                  + " | status |",
                  "|---|" + "---|" * (len(COLUMNS) + (0 if with_dciodvfy.get(n) else -1)) + "---|"]
        for c in categories:
            row = results[n][c]
            status = ("known failure" if known(c, n) else "FAIL") if failing(row) else "ok"
            vals = [str(row[k]) for k, _ in COLUMNS if k != "dciodvfy" or with_dciodvfy.get(n)]
            lines.append("| `%s` | %s | %s |" % (c, " | ".join(vals), status))
    return "\n".join(lines) + "\n"


def main():
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("ONCOATLAS_BIN_DIR", "build/bin"))
    ap.add_argument("--corpus", help="an existing corpus folder (default: generate one)")
    ap.add_argument("--work", help="folder for outputs (default: a temporary one, removed)")
    ap.add_argument("--option-set", action="append", help="run only these option sets (repeatable)")
    ap.add_argument("--markdown", help="write the tables here")
    ap.add_argument("--dciodvfy", choices=["basic", "all", "none"], default="basic",
                    help="count new dciodvfy errors for the basic option set, every set, or none")
    ap.add_argument("--details", action="store_true", help="print every leak, unresolved reference, quarantine")
    ap.add_argument("--print-known-failures", action="store_true",
                    help="print KNOWN_FAILURES as this run finds it (to paste after a fix)")
    ap.add_argument("--assert", dest="check", action="store_true",
                    help="exit 1 when a category not listed in KNOWN_FAILURES fails")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="oncoatlas-deid-adversarial-")
    os.makedirs(work, exist_ok=True)
    try:
        corpus = args.corpus
        if not corpus:
            corpus = os.path.join(work, "corpus")
            shutil.rmtree(corpus, ignore_errors=True)
            subprocess.run([sys.executable, GENERATOR, "--output", corpus], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(corpus, "manifest.json")) as f:
            manifest = json.load(f)
        categories = list(manifest["categories"])
        check_the_checker(corpus, manifest)
        unknown = set(KNOWN_FAILURES) - set(categories)
        assert not unknown, "KNOWN_FAILURES names categories the corpus does not have: %s" % sorted(unknown)
        sets = option_sets()
        chosen = args.option_set or list(sets)
        agent = os.path.join(args.bin, "oncoatlas-agent")
        has_dciodvfy = shutil.which("dciodvfy") is not None
        results, with_dciodvfy, failures, now_passing = {}, {}, [], []
        for name in chosen:
            dv = has_dciodvfy and (args.dciodvfy == "all" or (args.dciodvfy == "basic" and name == "basic"))
            with_dciodvfy[name] = dv
            rows, report = run_option_set(name, sets[name], agent, corpus, manifest, work, dv)
            results[name] = rows
            for c in categories:
                if failing(rows[c]) and not known(c, name):
                    failures.append((name, c))
                if not failing(rows[c]) and known(c, name):
                    now_passing.append((name, c))
                if args.details or (args.check and failing(rows[c]) and not known(c, name)):
                    for d in rows[c]["details"]:
                        print("  [%s] %s: %s" % (name, c, d))
        table = markdown(results, categories, with_dciodvfy)
        print(table)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(table)
        planted = sum(results[n][c]["planted"] for n in results for c in categories)
        surviving = sum(results[n][c]["surviving"] for n in results for c in categories)
        print("%d option sets x %d categories: %d planted values checked, %d surviving; %d failing cells, %d of "
              "them not in KNOWN_FAILURES" % (len(results), len(categories), planted, surviving,
                                               sum(1 for n in results for c in categories if failing(results[n][c])),
                                               len(failures)))
        if args.print_known_failures:
            print("KNOWN_FAILURES = {")
            for c in categories:
                bad = [n for n in results if failing(results[n][c])]
                good = [n for n in results if n not in bad]
                if not bad:
                    continue
                if len(results) == len(sets) and not good:
                    value = "ALL"
                elif len(results) == len(sets) and len(good) < len(bad):
                    value = json.dumps("all but " + ", ".join(good))
                else:
                    value = json.dumps(bad)
                print("    %s: %s," % (json.dumps(c), value))
            print("}")
        for n, c in now_passing:
            print("now passes: %s under %s; remove it from KNOWN_FAILURES" % (c, n))
        if args.check and failures:
            for n, c in failures:
                print("FAIL: %s under %s (not in KNOWN_FAILURES)" % (c, n))
            return 1
        return 0
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

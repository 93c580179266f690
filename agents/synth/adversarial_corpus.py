#!/usr/bin/python3
"""adversarial_corpus.py: DICOM files shaped like real hospital exports,
each carrying planted identifiers that a de-identification must not let through.

Every planted value is unique to its file and category (made of letters, never
digits, so that a cleaner dropping words with digits does not hide a leak), so
a value found in an output names the file and the category it leaked from.
Python with Debian's python3-pydicom (/usr/bin/python3); no other dependency.

    adversarial_corpus.py --output DIR

writes DIR/dicom/... (the inputs), DIR/manifest.json (what was planted where,
which references must still resolve, what each file should become) and
DIR/burned-in-text-regions.yaml (the Clean Pixel Data rule for the one device
whose burned-in text is known). CATEGORIES below says what each category
plants; the checker is tests/agents/deid_adversarial_test.py and the results
are in docs/deid-adversarial.md."""
import argparse
import json
import os
import struct
import warnings
import zlib

from pydicom.charset import convert_encodings, encode_string
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.dataelem import DataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.sequence import Sequence

CATEGORIES = {
    "sr_content_tree": "SR and Key Object Selection: TextValue, PersonName, UnformattedTextValue 5 levels deep in "
                       "Content Sequence",
    "pr_graphic_text": "presentation state: Graphic Annotation Sequence > Text Object Sequence > Unformatted Text "
                       "Value",
    "burned_in_flag": "US images whose Burned In Annotation is lowercase 'yes' or invalid, with a name in the pixels",
    "descriptor_own_name": "the patient's own surname in Study/Series Description, Image Comments, Additional "
                           "Patient History",
    "descriptor_other_name": "a name occurring nowhere else ('for Dr X') in descriptor attributes",
    "descriptor_email": "an e-mail address (its mailbox) in descriptor attributes",
    "descriptor_short_name": "the patient's 2-letter names in descriptor attributes",
    "descriptor_date_words": "the birth date written in words ('March 4th 1961') in descriptor attributes",
    "charset_latin1_upper": "ISO_IR 100: upper-case name with non-ASCII letters, mixed case in free text",
    "charset_utf8": "ISO_IR 192: Polish name with non-ASCII letters in PN and free text",
    "charset_ir87": "ISO 2022 IR 87: Japanese name (kanji) in PN and free text",
    "charset_ir149": "ISO 2022 IR 149: Korean name (hangul) in PN and free text",
    "outside_table_text": "attributes table E.1-1 does not list: Body Part Examined, Code Meaning, Window Center & "
                          "Width Explanation, Document Title, Overlay Description/Label, Content Description, "
                          "Graphic Layer Description, Frame Label",
    "unknown_to_dcmtk": "standard attributes of table E.1-1 missing from DCMTK 3.6.7's dictionary (implicit VR)",
    "private_sequence": "a private sequence holding a Person Name and a private text (one of them on the safe list)",
    "uid_embedded": "UIDs outside table E.1-1 built from the birth date and MRN (SOP Instance UID Of "
                    "Concatenation Source, Table Frame Of Reference UID) inside sequences",
    "overlay_high_bits": "an overlay in the unused high bits of 16-bit Pixel Data with 12 bits stored",
    "references": "presentation state Referenced Series/Image, SR Current Requested Procedure Evidence, KOS and "
                  "RT/SEG references that must still resolve",
    "un_sequence": "defined-length sequences written as UN (explicit VR) holding identifiers",
    "pn_as_un": "Patient's Name written with VR UN (explicit VR)",
    "deflated": "Deflated Explicit VR Little Endian file with identifiers",
    "big_endian": "Explicit VR Big Endian file with identifiers",
    "rt_structure_set": "RT Structure Set: label, name, ROI name, ROI observation label, ROI interpreter",
    "segmentation": "SEG: segment label/description, content creator",
    "encapsulated_pdf": "Encapsulated PDF whose text names a person (quarantining it is acceptable)",
    "dicomdir": "a DICOMDIR with patient records (quarantining it is acceptable)",
}

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
CT = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
US = "1.2.840.10008.5.1.4.1.1.6.1"
MR = "1.2.840.10008.5.1.4.1.1.4"
GSPS = "1.2.840.10008.5.1.4.1.1.11.1"
COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33"
KOS = "1.2.840.10008.5.1.4.1.1.88.59"
RTSTRUCT = "1.2.840.10008.5.1.4.1.1.481.3"
SEG = "1.2.840.10008.5.1.4.1.1.66.4"
PDF = "1.2.840.10008.5.1.4.1.1.104.1"
DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
# Every UID of the corpus is 2.25.<UID_BASE + n> (a fixed, randomly drawn 128-bit number).
UID_BASE = 0x5E1D7A2C9B3F4E8A1C6D0B7F2A9E4C31

SYLLABLES = ["bor", "cze", "dal", "fen", "gur", "hak", "jor", "kel", "lum", "mar", "nix", "pol", "ruv", "sok", "tam",
             "vel", "wen", "zab"]
# Kanji whose JIS X 0208 code has no 0x5C byte: pydicom 2.3 (the checker) would split a value there.
KANJI = "".join(k for k in "山川田中森林木本村松竹梅桜花鳥風月雪星空海谷岡島原野"
                if b"\\" not in k.encode("iso2022_jp"))[:20]
HANGUL = "김이박최정강조윤장임한오서신권황안송류홍"
POLISH = ["Żół", "Łęc", "Śni", "Ćwi", "Źdź", "Ńał", "Ęby", "Ąmo"]
LATIN1 = ["ÖZT", "ÜRÄ", "ÉMÈ", "ÅSØ", "ÇÑÒ", "ÆLÍ", "ÔRÛ", "ÏÐÞ"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def ordinal(n):
    return str(n) + ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


class Corpus:
    def __init__(self, output):
        self.output = output
        self.dicom = os.path.join(output, "dicom")
        self.uid_counter = 0
        self.token_counter = 0
        self.files, self.planted, self.references = [], [], []
        self.current = None  # the file being built: its relative path

    # --- identifiers -----------------------------------------------------------------------------------------------
    def uid(self):
        self.uid_counter += 1
        return "2.25.%d" % (UID_BASE + self.uid_counter)

    def _n(self):
        self.token_counter += 1
        return self.token_counter

    def name(self):
        """A surname no dictionary has: three syllables, unique in the corpus, letters only."""
        s = len(SYLLABLES)
        n = (self._n() * 2357 + 1013) % s ** 3
        return (SYLLABLES[n % s] + SYLLABLES[(n // s) % s] + SYLLABLES[(n // s // s) % s]).capitalize()

    def plant(self, category, token, kind="text", where=""):
        """Records a planted value of the file being built (kinds: text, word, uid, uid_part, pixels, overlay)."""
        assert category in CATEGORIES, category
        self.planted.append({"file": self.current, "category": category, "token": token, "kind": kind,
                             "where": where})
        return token

    def reference(self, category, target, level, where):
        """The file being built refers to `target` (a relative path) at `level` (instance, series, study)."""
        self.references.append({"file": self.current, "category": category, "target": target, "level": level,
                                "where": where})

    # --- files ----------------------------------------------------------------------------------------------------
    def begin(self, rel):
        self.current = rel
        return rel

    def write(self, ds, rel, category, expect="deidentify", transfer_syntax=EXPLICIT_LE, note=""):
        """Writes `ds` as a Part 10 file. expect: deidentify (a valid file that must be written), quarantine,
        quarantine_unless_rule (written only when a Clean Pixel Data rule cleans it), either."""
        assert rel == self.current
        path = os.path.join(self.dicom, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.get("SOPClassUID", DICOMDIR_CLASS)
        meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", None) or self.uid()
        meta.TransferSyntaxUID = transfer_syntax
        meta.ImplementationClassUID = "2.25.%d" % UID_BASE
        meta.ImplementationVersionName = "ADVERSARIAL1"
        ds.file_meta = meta
        ds.is_little_endian = transfer_syntax != BIG_ENDIAN
        ds.is_implicit_VR = transfer_syntax == IMPLICIT_LE
        if transfer_syntax == DEFLATED:
            body = DicomBytesIO()
            body.is_little_endian, body.is_implicit_VR = True, False
            write_dataset(body, ds)
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            deflated = c.compress(body.getvalue()) + c.flush()
            head = DicomBytesIO()
            head.is_little_endian, head.is_implicit_VR = True, False
            write_file_meta_info(head, meta)
            data = b"\0" * 128 + b"DICM" + head.getvalue() + deflated
            with open(path, "wb") as f:
                f.write(data)
        else:
            ds.preamble = b"\0" * 128
            ds.save_as(path, write_like_original=False)
        self.files.append({"file": rel, "category": category, "expect": expect,
                           "sopInstanceUid": str(meta.MediaStorageSOPInstanceUID),
                           "seriesInstanceUid": str(ds.get("SeriesInstanceUID", "")),
                           "studyInstanceUid": str(ds.get("StudyInstanceUID", "")),
                           "transferSyntax": transfer_syntax, "note": note})
        self.current = None
        return rel


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def un(tag, value):
    """An element written with VR UN whatever the dictionary says (pydicom would convert a known VR)."""
    elem = DataElement(tag, "OB", value)
    elem.VR = "UN"
    return elem


def implicit_items(items):
    """Defined-length items in implicit VR little endian, as a UN sequence's value holds them."""
    out = b""
    for item in items:
        buf = DicomBytesIO()
        buf.is_little_endian, buf.is_implicit_VR = True, True
        write_dataset(buf, item)
        body = buf.getvalue()
        out += struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body
    return out


class Patient:
    def __init__(self, corpus, index, charset=None, family=None, given=None, ideographic=None):
        self.family = family or corpus.name().upper()
        self.given = given or corpus.name().upper()
        self.ideographic = ideographic
        self.charset = charset
        self.mrn = "%08d" % (73910000 + 37 * index)
        self.birth = (1940 + index * 7, 1 + index % 12, 3 + index % 25)
        self.birth_da = "%04d%02d%02d" % self.birth

    def pn(self):
        s = self.family + "^" + self.given
        return s + "=" + self.ideographic if self.ideographic else s


def patient_module(ds, p):
    if p.charset:
        ds.SpecificCharacterSet = p.charset
    if p.ideographic:
        # Each component on its own, so that every one starts in the default repertoire (PS3.5 6.1.2.5.3);
        # pydicom 2.3 would carry the escape state across the "^".
        enc = convert_encodings(p.charset)
        groups = [p.family + "^" + p.given, p.ideographic]
        raw = b"=".join(b"^".join(encode_string(c, enc) for c in g.split("^")) for g in groups)
        ds.add(DataElement(0x00100010, "PN", raw))
    else:
        ds.PatientName = p.pn()
    ds.PatientID = p.mrn
    ds.IssuerOfPatientID = "HOSP"
    ds.PatientBirthDate = p.birth_da
    ds.PatientSex = "F"


def study(corpus, p, modality, accession):
    s = {"study": corpus.uid(), "series": corpus.uid(), "for": corpus.uid(), "accession": accession, "patient": p,
         "modality": modality, "date": "20230412"}
    return s


def base(corpus, st, sop_class, instance=1, series=None, modality=None):
    ds = Dataset()
    patient_module(ds, st["patient"])
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = corpus.uid()
    ds.StudyInstanceUID = st["study"]
    ds.SeriesInstanceUID = series or st["series"]
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = st["date"]
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "101500"
    ds.AccessionNumber = st["accession"]
    ds.StudyID = "S1"
    ds.ReferringPhysicianName = "REFERRER^ANNA"
    ds.Modality = modality or st["modality"]
    ds.Manufacturer = "Acme Medical"
    ds.InstitutionName = "Hospital General"
    ds.SeriesNumber = 1
    ds.InstanceNumber = instance
    return ds


def image(ds, rows, cols, bits=16, stored=None, pixels=None, photometric="MONOCHROME2"):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = bits
    ds.BitsStored = stored or bits
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    if pixels is None:
        if bits == 16:
            pixels = b"".join(struct.pack("<H", (r * 7 + c * 3) % 1024) for r in range(rows) for c in range(cols))
        else:
            pixels = bytes((r * 7 + c * 3) % 200 for r in range(rows) for c in range(cols))
    ds.PixelData = pixels
    ds["PixelData"].VR = "OW" if bits == 16 else "OB"


def ct_image(corpus, st, instance, rows=32, cols=32):
    ds = base(corpus, st, CT, instance)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.FrameOfReferenceUID = st["for"]
    ds.PositionReferenceIndicator = ""
    ds.ImagePositionPatient = [0, 0, instance * 5]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.5, 0.5]
    ds.SliceThickness = 5
    ds.KVP = 120
    ds.AcquisitionNumber = 1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    ds.PatientPosition = "HFS"
    ds.BodyPartExamined = "CHEST"
    image(ds, rows, cols, 16, 12)
    return ds


def descriptors(corpus, ds, p, rel):
    """Free text a radiographer types into descriptor attributes."""
    other = corpus.plant("descriptor_other_name", corpus.name(), where="StudyDescription")
    ds.StudyDescription = "CT THORAX for Dr " + other
    # The mailbox is the identifier (the domain may be the hospital's, which other attributes name).
    email = corpus.plant("descriptor_email", corpus.name().lower() + ".ward", where="SeriesDescription")
    ds.SeriesDescription = "axial 5mm, questions " + email + "@mailbox.example"
    corpus.plant("descriptor_own_name", p.family.capitalize(), where="ImageComments")
    y, m, d = p.birth
    # Month and day are the identifier (a cleaner may drop the year as a number).
    words = corpus.plant("descriptor_date_words", "%s %s" % (MONTHS[m - 1], ordinal(d)), kind="word",
                         where="AdditionalPatientHistory")
    ds.ImageComments = "Mrs %s, left side marker" % p.family.capitalize()
    ds.AdditionalPatientHistory = "born %s %d, smoker" % (words, y)
    ds.RequestedProcedureDescription = "CT chest follow-up"


def build(corpus):
    p1 = Patient(corpus, 1)
    p2 = Patient(corpus, 2)

    # ---- a CT series the other objects reference ------------------------------------------------------------------
    st = study(corpus, p1, "CT", "ACC%s" % corpus.name().upper())
    cts = []
    for i in range(1, 4):
        rel = corpus.begin("ct/ct%d.dcm" % i)
        ds = ct_image(corpus, st, i)
        descriptors(corpus, ds, p1, rel)
        if i == 1:  # outside table E.1-1 (kept by every option set)
            ds.BodyPartExamined = corpus.plant("outside_table_text", corpus.name().upper(), where="BodyPartExamined")
            ds.WindowCenter, ds.WindowWidth = [40, 400], [400, 1500]
            ds.WindowCenterWidthExplanation = ["soft tissue", corpus.plant("outside_table_text", corpus.name(),
                                                                           where="WindowCenterWidthExplanation")]
            ds.AnatomicRegionSequence = [code("T-D3000", "SRT", "Chest of " + corpus.plant(
                "outside_table_text", corpus.name(), where="AnatomicRegionSequence>CodeMeaning"))]
            # An overlay plane with its own Overlay Data and text in its description and label.
            ds.add(DataElement(0x60000010, "US", 32))
            ds.add(DataElement(0x60000011, "US", 32))
            ds.add(DataElement(0x60000022, "LO", "marked by " + corpus.plant("outside_table_text", corpus.name(),
                                                                                where="OverlayDescription")))
            ds.add(DataElement(0x60000040, "CS", "G"))
            ds.add(DataElement(0x60000050, "SS", [1, 1]))
            ds.add(DataElement(0x60000100, "US", 1))
            ds.add(DataElement(0x60000102, "US", 0))
            ds.add(DataElement(0x60001500, "LO", corpus.plant("outside_table_text", corpus.name(),
                                                              where="OverlayLabel")))
            ds.add(DataElement(0x60003000, "OW", bytes(32 * 32 // 8)))
        if i == 2:  # UN-encoded sequences and a private sequence
            pid = Dataset()
            pid.PatientID = corpus.plant("un_sequence", corpus.name().upper(), where="OtherPatientIDsSequence(UN)")
            pid.IssuerOfPatientID = "OTHERHOSP"
            ds.add(un(0x00101002, implicit_items([pid])))
            req = Dataset()
            req.RequestedProcedureDescription = "per " + corpus.plant("un_sequence", corpus.name(),
                                                                      where="RequestAttributesSequence(UN)")
            req.RequestedProcedureID = "RP1"
            ds.add(un(0x00400275, implicit_items([req])))
            block = ds.private_block(0x0029, "ACME HOSPITAL EXPORT", create=True)
            item = Dataset()
            item.PatientName = corpus.plant("private_sequence", corpus.name().upper(), where="(0029,xx10)>PatientName")
            item.add(DataElement(0x00291011, "LO", "safe? " + corpus.plant("private_sequence", corpus.name(),
                                                                          where="(0029,xx10)>(0029,xx11)")))
            item.add(DataElement(0x00290010, "LO", "ACME HOSPITAL EXPORT"))
            block.add_new(0x10, "SQ", Sequence([item]))
            block.add_new(0x20, "DS", "1.5")  # a harmless value on the safe list
        primary = {1: "outside_table_text", 2: "un_sequence", 3: "descriptor_other_name"}[i]
        cts.append(corpus.write(ds, rel, primary))
    ct_sops = [f["sopInstanceUid"] for f in corpus.files[-3:]]

    # ---- a CT in implicit VR with attributes DCMTK 3.6.7 does not know ---------------------------------------------
    rel = corpus.begin("ct/implicit-unknown.dcm")
    ds = ct_image(corpus, st, 4)
    ds.add(DataElement(0x00120022, "LO", corpus.plant("unknown_to_dcmtk", corpus.name(),
                                                      where="IssuerOfClinicalTrialProtocolID")))
    ds.add(DataElement(0x30020121, "LO", "for " + corpus.plant("unknown_to_dcmtk", corpus.name(),
                                                               where="PositionAcquisitionTemplateName")))
    creator = Dataset()
    creator.PersonName = corpus.plant("unknown_to_dcmtk", corpus.name().upper(), where="ROICreatorSequence>PersonName")
    ds.add(DataElement(0x3006004D, "SQ", Sequence([creator])))
    corpus.write(ds, rel, "unknown_to_dcmtk", transfer_syntax=IMPLICIT_LE)

    # ---- Patient's Name as UN ----------------------------------------------------------------------------------------
    rel = corpus.begin("ct/pn-as-un.dcm")
    ds = ct_image(corpus, st, 5)
    token = corpus.plant("pn_as_un", corpus.name().upper(), where="PatientName(UN)")
    del ds.PatientName
    ds.add(un(0x00100010, (token + "^" + p1.given).encode() + b" " * ((len(token) + len(p1.given) + 1) % 2)))
    ds.add(un(0x00081070, (corpus.plant("pn_as_un", corpus.name().upper(), where="OperatorsName(UN)")
                                          + "^OP").encode().ljust(16)))
    corpus.write(ds, rel, "pn_as_un")

    # ---- deflated and big endian -------------------------------------------------------------------------------------
    for rel_name, ts, cat in [("ct/deflated.dcm", DEFLATED, "deflated"), ("ct/big-endian.dcm", BIG_ENDIAN,
                                                                           "big_endian")]:
        rel = corpus.begin(rel_name)
        ds = ct_image(corpus, st, 6 if ts == DEFLATED else 7)
        own = corpus.plant(cat, corpus.name().upper(), where="PatientName")
        ds.PatientName = own + "^" + p1.given
        ds.OperatorsName = corpus.plant(cat, corpus.name().upper(), where="OperatorsName") + "^OPS"
        ds.StudyDescription = "for Dr " + corpus.plant(cat, corpus.name(), where="StudyDescription")
        ds.ImageComments = "Mrs " + own.capitalize()
        if ts == BIG_ENDIAN:
            raw = ds.PixelData
            ds.PixelData = b"".join(raw[i + 1:i + 2] + raw[i:i + 1] for i in range(0, len(raw), 2))
        corpus.write(ds, rel, cat, transfer_syntax=ts)

    # ---- enhanced CT: frame labels and UIDs built from birth date and MRN, at depth ----------------------------------
    rel = corpus.begin("ct/enhanced.dcm")
    ds = base(corpus, study(corpus, p1, "CT", "ACC2"), ENHANCED_CT)
    ds.StudyInstanceUID = st["study"]
    ds.FrameOfReferenceUID = st["for"]
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.NumberOfFrames = 2
    ds.ContentQualification = "PRODUCT"
    mrn_uid = "2.16.840.1.999999.%s.%s.1" % (p1.mrn, p1.birth_da)
    corpus.plant("uid_embedded", mrn_uid, kind="uid", where="Shared>DerivationImage>SourceImage>"
                 "SOPInstanceUIDOfConcatenationSource")
    table_uid = "2.16.840.1.999999.%s.%s.2" % (p1.mrn, p1.birth_da)
    corpus.plant("uid_embedded", table_uid, kind="uid", where="PerFrame>TableFrameOfReferenceUID")
    corpus.plant("uid_embedded", p1.mrn + "." + p1.birth_da, kind="uid_part", where="any UID")
    src = Dataset()
    src.ReferencedSOPClassUID = CT
    src.ReferencedSOPInstanceUID = ct_sops[0]
    src.SOPInstanceUIDOfConcatenationSource = mrn_uid
    src.PurposeOfReferenceCodeSequence = [code("121322", "DCM", "Source image for image processing operation")]
    deriv = Dataset()
    deriv.SourceImageSequence = [src]
    deriv.DerivationCodeSequence = [code("113076", "DCM", "Segmentation")]
    shared = Dataset()
    shared.DerivationImageSequence = [deriv]
    pm = Dataset()
    pm.PixelSpacing, pm.SliceThickness = [0.5, 0.5], 5
    shared.PixelMeasuresSequence = [pm]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames = []
    for f in range(2):
        fc = Dataset()
        fc.FrameLabel = "phase of " + corpus.plant("outside_table_text", corpus.name(), where="FrameContent>FrameLabel")
        fc.DimensionIndexValues = [f + 1]
        pos = Dataset()
        pos.ImagePositionPatient = [0, 0, f * 5]
        tp = Dataset()
        tp.TablePosition = f * 5
        g = Dataset()
        g.FrameContentSequence = [fc]
        g.PlanePositionSequence = [pos]
        g.TablePositionSequence = [tp]
        g.TableFrameOfReferenceUID = table_uid
        frames.append(g)
    ds.PerFrameFunctionalGroupsSequence = frames
    image(ds, 32, 32, 16, 12, pixels=b"\x10\x00" * 32 * 32 * 2)
    corpus.write(ds, rel, "uid_embedded")

    # ---- an overlay in the unused high bits of 12-bit data -----------------------------------------------------------
    rel = corpus.begin("ct/overlay-high-bits.dcm")
    ds = ct_image(corpus, st, 8, 64, 64)
    token = corpus.plant("overlay_high_bits", corpus.name(), kind="overlay", where="PixelData bits 12-15")
    font = token.encode()
    px = bytearray(ds.PixelData)
    for r in range(8):  # the token's bytes drawn as a bit pattern in bit 12 of rows 0-7
        for c in range(64):
            byte = font[c // 8 % len(font)]
            if byte >> (c % 8) & 1:
                v = struct.unpack_from("<H", px, 2 * (r * 64 + c))[0] | 0x1000
                struct.pack_into("<H", px, 2 * (r * 64 + c), v)
    ds.PixelData = bytes(px)
    ds.add(DataElement(0x60000010, "US", 64))
    ds.add(DataElement(0x60000011, "US", 64))
    ds.add(DataElement(0x60000040, "CS", "G"))
    ds.add(DataElement(0x60000050, "SS", [1, 1]))
    ds.add(DataElement(0x60000100, "US", 16))
    ds.add(DataElement(0x60000102, "US", 12))
    corpus.write(ds, rel, "overlay_high_bits", expect="either")

    # ---- US with burned-in text and an untrustworthy flag ----------------------------------------------------------
    us = study(corpus, p1, "US", "ACCUS")
    for i, (flag, maker) in enumerate([("yes", "Acme Sonics"), ("Y", "Acme Sonics"), ("UNKNOWN", "Acme Sonics"),
                                       ("yes", "Other Vendor")]):
        rel = corpus.begin("us/us%d.dcm" % (i + 1))
        ds = base(corpus, us, US, i + 1)
        ds.Manufacturer = maker
        ds.ManufacturerModelName = "Sono 5"
        token = corpus.plant("burned_in_flag", corpus.name().upper(), kind="pixels", where="PixelData rows 0-7")
        row = (token.encode() + b" ") * 64
        pixels = bytearray((r * 3 + c) % 90 + 20 for r in range(48) for c in range(64))
        for r in range(8):
            pixels[r * 64:(r + 1) * 64] = row[r:r + 64]
        image(ds, 48, 64, 8, pixels=bytes(pixels))
        ds.BurnedInAnnotation = flag
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        expect = "quarantine_unless_rule" if maker == "Acme Sonics" else "quarantine"
        corpus.write(ds, rel, "burned_in_flag", expect=expect, note="Burned In Annotation " + repr(flag))

    # ---- character sets ----------------------------------------------------------------------------------------------
    charsets = [
        ("charset_latin1_upper", "ISO_IR 100", lambda n: LATIN1[n % 8] + corpus.name().upper()[3:], None),
        ("charset_utf8", "ISO_IR 192", lambda n: POLISH[n % 8].upper() + corpus.name().upper()[3:], None),
        ("charset_ir87", ["", "ISO 2022 IR 87"], lambda n: KANJI[n % 20] + KANJI[(n * 7 + 3) % 20], "jp"),
        ("charset_ir149", ["", "ISO 2022 IR 149"], lambda n: HANGUL[n % 20] + HANGUL[(n * 3 + 5) % 20], "kr"),
    ]
    for i, (cat, cs, make, ideo) in enumerate(charsets):
        family = make(i * 5 + 1)
        given = make(i * 5 + 2)
        if ideo:
            p = Patient(corpus, 10 + i, charset=cs, family=corpus.name().upper(), given="TARO",
                        ideographic=family + "^" + given)
        else:
            p = Patient(corpus, 10 + i, charset=cs, family=family, given=given)
        cst = study(corpus, p, "MR", "ACCCS%d" % i)
        rel = corpus.begin("charset/%s.dcm" % cat)
        ds = base(corpus, cst, MR)
        ds.ScanningSequence, ds.SequenceVariant, ds.ScanOptions, ds.MRAcquisitionType = "SE", "NONE", "", "2D"
        ds.RepetitionTime, ds.EchoTime, ds.EchoTrainLength = 500, 20, 1
        ds.FrameOfReferenceUID = cst["for"]
        ds.PositionReferenceIndicator = ""
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        corpus.plant(cat, family, where="PatientName + descriptors")
        if not ideo:
            corpus.plant(cat, family.capitalize(), where="ImageComments (mixed case)")
        mixed = family if ideo else family.capitalize()
        ds.StudyDescription = "MR brain " + mixed
        ds.ImageComments = "Pat. %s %s" % (given if ideo else given.capitalize(), mixed)
        ds.AdditionalPatientHistory = "seen by Dr " + corpus.plant(cat, make(i * 5 + 3),
                                                                   where="AdditionalPatientHistory")
        ds.PerformingPhysicianName = "DOCTOR^" + ("HANAKO" if ideo else given)
        image(ds, 32, 32, 16, 12)
        corpus.write(ds, rel, cat)

    # ---- short names and a second patient ---------------------------------------------------------------------------
    short = Patient(corpus, 20, family="WU", given="LI")
    sst = study(corpus, short, "CT", "ACCSHORT")
    rel = corpus.begin("ct/short-names.dcm")
    ds = ct_image(corpus, sst, 1)
    corpus.plant("descriptor_short_name", "Wu", kind="word", where="StudyDescription")
    corpus.plant("descriptor_short_name", "Li", kind="word", where="ImageComments")
    ds.StudyDescription = "CT abdomen Wu"
    ds.ImageComments = "called Li at home"
    corpus.write(ds, rel, "descriptor_short_name")

    # ---- presentation state ------------------------------------------------------------------------------------------
    rel = corpus.begin("pr/gsps.dcm")
    ds = base(corpus, st, GSPS, 1, series=corpus.uid(), modality="PR")
    ds.ContentLabel = "ANNOTATION"
    ds.ContentDescription = "measured for " + corpus.plant("outside_table_text", corpus.name(),
                                                           where="ContentDescription")
    ds.ContentCreatorName = corpus.plant("pr_graphic_text", corpus.name().upper(), where="ContentCreatorName") + "^RAD"
    ds.PresentationCreationDate, ds.PresentationCreationTime = "20230413", "090000"
    ref_series = Dataset()
    ref_series.SeriesInstanceUID = st["series"]
    imgs = []
    for sop, target in zip(ct_sops, cts):
        r = Dataset()
        r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID = CT, sop
        imgs.append(r)
        corpus.reference("references", target, "instance", "ReferencedSeriesSequence>ReferencedImageSequence")
    corpus.reference("references", cts[0], "series", "ReferencedSeriesSequence>SeriesInstanceUID")
    ref_series.ReferencedImageSequence = imgs
    ds.ReferencedSeriesSequence = [ref_series]
    layer = Dataset()
    layer.GraphicLayer, layer.GraphicLayerOrder = "ANNOT", 1
    layer.GraphicLayerDescription = "layer of " + corpus.plant("outside_table_text", corpus.name(),
                                                               where="GraphicLayerDescription")
    ds.GraphicLayerSequence = [layer]
    text = Dataset()
    text.UnformattedTextValue = "Dr %s: compare with prior, patient %s" % (
        corpus.plant("pr_graphic_text", corpus.name(), where="TextObjectSequence>UnformattedTextValue"),
        p1.family.capitalize())
    corpus.plant("pr_graphic_text", p1.family.capitalize(), kind="word", where="UnformattedTextValue (own name)")
    text.AnchorPointAnnotationUnits = "PIXEL"
    text.AnchorPoint = [10.0, 10.0]
    text.AnchorPointVisibility = "N"
    ga = Dataset()
    ga.GraphicLayer = "ANNOT"
    gref = Dataset()
    gref.ReferencedSOPClassUID, gref.ReferencedSOPInstanceUID = CT, ct_sops[0]
    ga.ReferencedImageSequence = [gref]
    corpus.reference("references", cts[0], "instance", "GraphicAnnotationSequence>ReferencedImageSequence")
    ga.TextObjectSequence = [text]
    ds.GraphicAnnotationSequence = [ga]
    dva = Dataset()
    dva.ReferencedImageSequence = [gref]
    dva.PresentationSizeMode = "SCALE TO FIT"
    dva.DisplayedAreaTopLeftHandCorner, dva.DisplayedAreaBottomRightHandCorner = [1, 1], [32, 32]
    dva.PresentationPixelAspectRatio = [1, 1]
    ds.DisplayedAreaSelectionSequence = [dva]
    ds.PresentationLUTShape = "IDENTITY"
    corpus.write(ds, rel, "pr_graphic_text")

    # ---- structured report, 5 levels deep ----------------------------------------------------------------------------
    def evidence(target_sops, targets):
        ev = Dataset()
        ev.StudyInstanceUID = st["study"]
        se = Dataset()
        se.SeriesInstanceUID = st["series"]
        refs = []
        for sop, t in zip(target_sops, targets):
            r = Dataset()
            r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID = CT, sop
            refs.append(r)
            corpus.reference("references", t, "instance", "CurrentRequestedProcedureEvidenceSequence")
        corpus.reference("references", targets[0], "study", "CurrentRequestedProcedureEvidenceSequence>Study")
        se.ReferencedSOPSequence = refs
        ev.ReferencedSeriesSequence = [se]
        return [ev]

    def item(value_type, concept, **values):
        it = Dataset()
        it.RelationshipType = "CONTAINS"
        it.ValueType = value_type
        it.ConceptNameCodeSequence = [concept]
        for k, v in values.items():
            setattr(it, k, v)
        return it

    rel = corpus.begin("sr/comprehensive.dcm")
    ds = base(corpus, st, COMPREHENSIVE_SR, 1, series=corpus.uid(), modality="SR")
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "UNVERIFIED"
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = [code("18748-4", "LN", "Diagnostic Imaging Report")]
    ds.CurrentRequestedProcedureEvidenceSequence = evidence(ct_sops, cts)
    deep_text = item("TEXT", code("121071", "DCM", "Finding"),
                     TextValue="nodule discussed with Dr %s and the patient %s" % (
                         corpus.plant("sr_content_tree", corpus.name(), where="depth 5 TextValue"),
                         p1.family.capitalize()))
    corpus.plant("sr_content_tree", p1.family.capitalize(), kind="word", where="depth 5 TextValue (own name)")
    deep_pn = item("PNAME", code("121008", "DCM", "Person Observer Name"),
                   PersonName=corpus.plant("sr_content_tree", corpus.name().upper(),
                                           where="depth 5 PersonName") + "^EVA")
    deep_un = item("TEXT", code("121106", "DCM", "Comment"),
                   TextValue="see annotation")
    deep_un.UnformattedTextValue = "typed by " + corpus.plant("sr_content_tree", corpus.name(),
                                                               where="depth 5 UnformattedTextValue")
    img = item("IMAGE", code("121080", "DCM", "Best illustration of finding"))
    isr = Dataset()
    isr.ReferencedSOPClassUID, isr.ReferencedSOPInstanceUID = CT, ct_sops[1]
    img.ReferencedSOPSequence = [isr]
    corpus.reference("references", cts[1], "instance", "ContentSequence IMAGE item")
    level = [deep_text, deep_pn, deep_un, img]
    for depth in range(4, 0, -1):
        c = item("CONTAINER", code("125007", "DCM", "Measurement Group"))
        c.ContinuityOfContent = "SEPARATE"
        c.ContentSequence = level
        level = [c]
    ds.ContentSequence = level
    ds.VerifyingObserverSequence = []
    corpus.write(ds, rel, "sr_content_tree")

    rel = corpus.begin("sr/kos.dcm")
    ds = base(corpus, st, KOS, 1, series=corpus.uid(), modality="KO")
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = [code("113000", "DCM", "Of Interest")]
    tmpl = Dataset()
    tmpl.MappingResource, tmpl.TemplateIdentifier = "DCMR", "2010"
    ds.ContentTemplateSequence = [tmpl]
    ds.CurrentRequestedProcedureEvidenceSequence = evidence(ct_sops[:2], cts[:2])
    ds.ReferencedPerformedProcedureStepSequence = []
    desc = item("TEXT", code("113012", "DCM", "Key Object Description"),
                TextValue="for tumour board, Dr " + corpus.plant("sr_content_tree", corpus.name(),
                                                                 where="KOS TextValue"))
    kos_items = [desc]
    for sop, t in zip(ct_sops[:2], cts[:2]):
        it = item("IMAGE", code("121080", "DCM", "Best illustration of finding"))
        r = Dataset()
        r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID = CT, sop
        it.ReferencedSOPSequence = [r]
        kos_items.append(it)
        corpus.reference("references", t, "instance", "KOS ContentSequence IMAGE item")
    ds.ContentSequence = kos_items
    corpus.write(ds, rel, "sr_content_tree")

    # ---- RT structure set --------------------------------------------------------------------------------------------
    rel = corpus.begin("rt/rtstruct.dcm")
    ds = base(corpus, st, RTSTRUCT, 1, series=corpus.uid(), modality="RTSTRUCT")
    ds.StructureSetLabel = corpus.plant("rt_structure_set", corpus.name(), where="StructureSetLabel")
    ds.StructureSetName = "plan of " + corpus.plant("rt_structure_set", corpus.name(), where="StructureSetName")
    ds.StructureSetDate, ds.StructureSetTime = "20230414", "120000"
    rfor = Dataset()
    rfor.FrameOfReferenceUID = st["for"]
    rst = Dataset()
    rst.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    rst.ReferencedSOPInstanceUID = st["study"]
    rse = Dataset()
    rse.SeriesInstanceUID = st["series"]
    contour_images = []
    for sop, t in zip(ct_sops, cts):
        ci = Dataset()
        ci.ReferencedSOPClassUID, ci.ReferencedSOPInstanceUID = CT, sop
        contour_images.append(ci)
        corpus.reference("references", t, "instance", "RTReferencedSeries>ContourImageSequence")
    rse.ContourImageSequence = contour_images
    rst.RTReferencedSeriesSequence = [rse]
    rfor.RTReferencedStudySequence = [rst]
    ds.ReferencedFrameOfReferenceSequence = [rfor]
    roi = Dataset()
    roi.ROINumber = 1
    roi.ReferencedFrameOfReferenceUID = st["for"]
    roi.ROIName = "GTV " + corpus.plant("rt_structure_set", corpus.name(), where="ROIName")
    roi.ROIGenerationAlgorithm = "MANUAL"
    ds.StructureSetROISequence = [roi]
    obs = Dataset()
    obs.ObservationNumber, obs.ReferencedROINumber = 1, 1
    obs.ROIObservationLabel = corpus.plant("rt_structure_set", corpus.name(), where="ROIObservationLabel")
    obs.RTROIInterpretedType = "GTV"
    obs.ROIInterpreter = corpus.plant("rt_structure_set", corpus.name().upper(), where="ROIInterpreter") + "^MAX"
    ds.RTROIObservationsSequence = [obs]
    cont = Dataset()
    cont.ReferencedROINumber = 1
    c = Dataset()
    c.ContourGeometricType, c.NumberOfContourPoints, c.ContourData = "CLOSED_PLANAR", 3, [0, 0, 5, 5, 0, 5, 5, 5, 5]
    c.ContourImageSequence = [contour_images[0]]
    cont.ContourSequence = [c]
    ds.ROIContourSequence = [cont]
    ds.ApprovalStatus = "UNAPPROVED"
    corpus.write(ds, rel, "rt_structure_set")

    # ---- segmentation ------------------------------------------------------------------------------------------------
    rel = corpus.begin("seg/seg.dcm")
    ds = base(corpus, st, SEG, 1, series=corpus.uid(), modality="SEG")
    ds.FrameOfReferenceUID = st["for"]
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.ContentLabel = "LESION"
    ds.ContentDescription = "drawn by " + corpus.plant("segmentation", corpus.name(), where="ContentDescription")
    ds.ContentCreatorName = corpus.plant("segmentation", corpus.name().upper(), where="ContentCreatorName") + "^SEG"
    ds.SegmentationType = "BINARY"
    ds.NumberOfFrames = 1
    seg = Dataset()
    seg.SegmentNumber = 1
    seg.SegmentLabel = "lesion " + corpus.plant("segmentation", corpus.name(), where="SegmentLabel")
    seg.SegmentDescription = "for " + corpus.plant("segmentation", corpus.name(), where="SegmentDescription")
    seg.SegmentAlgorithmType = "MANUAL"
    seg.SegmentedPropertyCategoryCodeSequence = [code("M-01000", "SRT", "Morphologically Altered Structure")]
    seg.SegmentedPropertyTypeCodeSequence = [code("M-03000", "SRT", "Mass")]
    ds.SegmentSequence = [seg]
    rs = Dataset()
    rs.SeriesInstanceUID = st["series"]
    ri = Dataset()
    ri.ReferencedSOPClassUID, ri.ReferencedSOPInstanceUID = CT, ct_sops[0]
    rs.ReferencedInstanceSequence = [ri]
    ds.ReferencedSeriesSequence = [rs]
    corpus.reference("references", cts[0], "instance", "ReferencedSeriesSequence>ReferencedInstanceSequence")
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 32
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit, ds.PixelRepresentation = 0, 0
    ds.LossyImageCompression = "00"
    ds.PixelData = bytes([0x0F] * (32 * 32 // 8))
    ds["PixelData"].VR = "OB"
    corpus.write(ds, rel, "segmentation")

    # ---- an encapsulated PDF with a document title -------------------------------------------------------------------
    rel = corpus.begin("doc/report.dcm")
    ds = base(corpus, st, PDF, 1, series=corpus.uid(), modality="DOC")
    ds.DocumentTitle = "Referral letter " + corpus.plant("outside_table_text", corpus.name(), where="DocumentTitle")
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.ConceptNameCodeSequence = [code("18748-4", "LN", "Diagnostic Imaging Report")]
    ds.BurnedInAnnotation = "NO"
    pdf = ("%%PDF-1.4\n1 0 obj<<>>stream\nBT (Referral for %s) Tj ET\nendstream endobj\ntrailer<<>>\n%%%%EOF\n" %
           corpus.plant("encapsulated_pdf", corpus.name(), where="EncapsulatedDocument (PDF text)")).encode()
    ds.EncapsulatedDocument = pdf + b"\0" * (len(pdf) % 2)
    corpus.write(ds, rel, "encapsulated_pdf", expect="either")

    # ---- DICOMDIR ----------------------------------------------------------------------------------------------------
    rel = corpus.begin("media/DICOMDIR")
    ds = Dataset()
    ds.FileSetID = "EXPORT"
    ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.FileSetConsistencyFlag = 0
    rec = Dataset()
    rec.OffsetOfTheNextDirectoryRecord = 0
    rec.RecordInUseFlag = 0xFFFF
    rec.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    rec.DirectoryRecordType = "PATIENT"
    rec.PatientName = corpus.plant("dicomdir", corpus.name().upper(), where="DirectoryRecordSequence>PatientName") \
        + "^EXPORT"
    rec.PatientID = p2.mrn
    ds.DirectoryRecordSequence = [rec]
    corpus.write(ds, rel, "dicomdir", expect="either")


RULES = """\
# Where the corpus's one known US device burns the patient's name (rows 0-7).
- modality: US
  manufacturer: Acme Sonics
  manufacturerModelName: Sono 5
  rows: 48
  columns: 64
  regions: [{x: 0, "y": 0, width: 64, height: 8}]
"""


def main():
    warnings.simplefilter("ignore")  # pydicom warns about the invalid values planted on purpose
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", required=True, help="folder to create (dicom/, manifest.json, rules)")
    args = ap.parse_args()
    corpus = Corpus(args.output)
    build(corpus)
    with open(os.path.join(args.output, "burned-in-text-regions.yaml"), "w") as f:
        f.write(RULES)
    manifest = {"categories": CATEGORIES, "files": corpus.files, "planted": corpus.planted,
                "references": corpus.references,
                "safePrivate": ["ACME HOSPITAL EXPORT:0029,xx10", "ACME HOSPITAL EXPORT:0029,xx20"]}
    with open(os.path.join(args.output, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    print("%d files, %d planted values, %d references in %s" % (len(corpus.files), len(corpus.planted),
                                                                 len(corpus.references), args.output))


if __name__ == "__main__":
    main()

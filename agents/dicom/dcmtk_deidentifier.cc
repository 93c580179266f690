#include "dicom/dcmtk_deidentifier.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "deid/date_shift.h"
#include "deid/text_cleaner.h"
#include "dicom/internal/checked_parse.h"
#include "dicom/internal/dcmtk_encoding.h"
#include "dicom/internal/defacer.h"
#include "dicom/internal/pixel_cleaner.h"
#include "dicom/nesting_scan.h"

namespace oncoatlas::dicom {
namespace {

using deid::Action;

std::uint32_t Tag32(const DcmTagKey& k) { return (std::uint32_t{k.getGroup()} << 16) | k.getElement(); }

std::string TagText(const DcmTagKey& k) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "(%04X,%04X)", k.getGroup(), k.getElement());
  return buf;
}

bool IsTextVr(DcmEVR vr) {
  switch (vr) {
    case EVR_PN:
    case EVR_LO:
    case EVR_SH:
    case EVR_ST:
    case EVR_LT:
    case EVR_UT:
    case EVR_UC:
    case EVR_AE:
    case EVR_CS:
    case EVR_UR:
      return true;
    default:
      return false;
  }
}

// Dictionary VRs that name one concrete VR (ambiguous ones such as US-or-SS are skipped).
bool IsConcreteVr(DcmEVR vr) {
  switch (vr) {
    case EVR_ox:
    case EVR_xs:
    case EVR_lt:
    case EVR_px:
    case EVR_up:
    case EVR_na:
    case EVR_UNKNOWN:
    case EVR_UNKNOWN2B:
    case EVR_UN:
    case EVR_item:
    case EVR_metainfo:
    case EVR_dataset:
    case EVR_fileFormat:
    case EVR_dicomDir:
    case EVR_dirRecord:
    case EVR_pixelSQ:
    case EVR_pixelItem:
    case EVR_OB:
    case EVR_OW:
      return false;
    default:
      return true;
  }
}

std::string GetString(DcmElement* e) {
  OFString v;
  if (e->getOFStringArray(v).bad()) return {};
  return std::string(v.c_str(), v.length());
}

std::vector<std::string> SplitValues(const std::string& v) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t p = v.find('\\', start);
    out.push_back(v.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

std::string JoinValues(const std::vector<std::string>& vs) {
  std::string out;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (i > 0) out.push_back('\\');
    out += vs[i];
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

// Everything one instance's walk needs.
struct Walk {
  const deid::Profile& profile;
  const deid::Pseudonymizer& pseudonymizer;
  deid::TextCleaner cleaner;
  std::string patient_pseudonym;
  std::optional<int> date_offset;
  std::string sop_class;
};

std::string PrivateCreatorOf(DcmItem* item, const DcmTagKey& key) {
  std::uint16_t block = static_cast<std::uint16_t>(key.getElement() >> 8);
  OFString creator;
  if (item->findAndGetOFString(DcmTagKey(key.getGroup(), block), creator).bad()) return {};
  return Trim(std::string(creator.c_str(), creator.length()));
}

// First pass: refuses what the engine must not guess at, and collects the words
// of every value that the profile will remove, for Clean.
Status Inspect(DcmItem* item, int depth, Walk& w) {
  if (depth > DcmtkDeidentifier::kMaxNestingDepth) {
    return InvalidArgumentError("sequences nested deeper than " + std::to_string(DcmtkDeidentifier::kMaxNestingDepth) +
                                " levels");
  }
  // nextInContainer() steps along DCMTK's list; getElement(i) would walk it from the start each time.
  for (DcmObject* o = item->nextInContainer(nullptr); o != nullptr; o = item->nextInContainer(o)) {
    auto* e = static_cast<DcmElement*>(o);
    DcmTagKey key = e->getTag();
    DcmEVR vr = e->getTag().getEVR();
    bool is_private = key.getGroup() % 2 == 1;
    if (!is_private && key.getElement() != 0) {
      DcmTag dict(key);
      DcmEVR expected = dict.getEVR();
      if (IsConcreteVr(expected) && vr != EVR_UN && vr != expected && !(expected == EVR_SQ && vr == EVR_pixelSQ)) {
        return InvalidArgumentError("attribute " + TagText(key) + " is encoded with VR " + DcmVR(vr).getVRName() +
                                    " where the data dictionary says " + DcmVR(expected).getVRName());
      }
    }
    if (vr == EVR_SQ) {
      auto* seq = static_cast<DcmSequenceOfItems*>(e);
      for (DcmObject* i = seq->nextInContainer(nullptr); i != nullptr; i = seq->nextInContainer(i)) {
        ONCOATLAS_RETURN_IF_ERROR(Inspect(static_cast<DcmItem*>(i), depth + 1, w));
      }
      continue;
    }
    if (!IsTextVr(vr) || vr == EVR_CS) continue;
    Action a = is_private ? Action::kRemove : w.profile.Decide(Tag32(key), w.sop_class);
    if (a == Action::kRemove || a == Action::kEmpty || a == Action::kDummy) {
      w.cleaner.AddIdentifyingValue(GetString(e));
    }
  }
  return Status::Ok();
}

// `clean_text`: the item lies inside a sequence the profile cleans (C), so free
// text that the table does not list is cleaned too.
Status ApplyToItem(DcmItem* item, int depth, Walk& w, bool clean_text);

Status ApplyToSequence(DcmElement* e, int depth, Walk& w, bool clean_text) {
  auto* seq = static_cast<DcmSequenceOfItems*>(e);
  for (DcmObject* i = seq->nextInContainer(nullptr); i != nullptr; i = seq->nextInContainer(i)) {
    ONCOATLAS_RETURN_IF_ERROR(ApplyToItem(static_cast<DcmItem*>(i), depth + 1, w, clean_text));
  }
  return Status::Ok();
}

void RemoveAt(DcmItem* item, DcmElement* e) { delete item->remove(e); }

Status Put(DcmElement* e, const std::string& value) {
  if (e->putOFStringArray(OFString(value.c_str(), value.size())).bad()) {
    return InternalError("could not write a value into " + TagText(e->getTag()));
  }
  return Status::Ok();
}

std::string DummyFor(DcmEVR vr) {
  switch (vr) {
    case EVR_DA:
      return "19000101";
    case EVR_TM:
      return "000000";
    case EVR_DT:
      return "19000101000000";
    case EVR_AS:
      return "000Y";
    case EVR_IS:
    case EVR_DS:
    case EVR_US:
    case EVR_SS:
    case EVR_UL:
    case EVR_SL:
    case EVR_FL:
    case EVR_FD:
    case EVR_SV:
    case EVR_UV:
      return "0";
    default:
      return "ANONYMIZED";
  }
}

Status ReplaceUids(DcmElement* e, Walk& w) {
  std::vector<std::string> values = SplitValues(GetString(e));
  for (std::string& v : values) {
    v = Trim(v);
    if (!v.empty()) v = w.pseudonymizer.MapUid(v);
  }
  return Put(e, JoinValues(values));
}

Status ShiftDates(DcmElement* e, DcmEVR vr, Walk& w) {
  if (!w.date_offset) return e->clear().good() ? Status::Ok() : InternalError("could not empty a date");
  std::vector<std::string> values = SplitValues(GetString(e));
  for (std::string& v : values) {
    v = Trim(v);
    if (v.empty()) continue;
    auto shifted = vr == EVR_DA ? deid::ShiftDate(v, *w.date_offset) : deid::ShiftDateTime(v, *w.date_offset);
    v = shifted.ok() ? *shifted : std::string();  // a date we cannot shift is not kept
  }
  return Put(e, JoinValues(values));
}

Status ApplyToItem(DcmItem* item, int depth, Walk& w, bool clean_text) {
  // The elements, last first (a private data element is decided while its creator is still there).
  std::vector<DcmElement*> elements;
  elements.reserve(item->card());
  for (DcmObject* o = item->nextInContainer(nullptr); o != nullptr; o = item->nextInContainer(o)) {
    elements.push_back(static_cast<DcmElement*>(o));
  }
  for (auto it = elements.rbegin(); it != elements.rend(); ++it) {
    DcmElement* e = *it;
    DcmTagKey key = e->getTag();
    DcmEVR vr = e->getTag().getEVR();
    const std::uint16_t group = key.getGroup();
    const std::uint16_t element = key.getElement();
    if (element == 0x0000 || group == 0x0002 || group < 0x0008) {  // group lengths, stray meta, command fields
      RemoveAt(item, e);
      continue;
    }
    if (group % 2 == 1) {
      bool keep = false;
      if (element >= 0x0010 && element <= 0x00FF) {
        keep = w.profile.KeepPrivateCreator(group, Trim(GetString(e)));
      } else if (element >= 0x1000) {
        keep = w.profile.KeepPrivate(group, static_cast<std::uint8_t>(element & 0xFF), PrivateCreatorOf(item, key));
      }
      if (!keep) {
        RemoveAt(item, e);
      } else if (vr == EVR_SQ) {
        ONCOATLAS_RETURN_IF_ERROR(ApplyToSequence(e, depth, w, clean_text));
      }
      continue;
    }
    const std::uint32_t tag = Tag32(key);
    Action action = w.profile.Decide(tag, w.sop_class);
    // Patient identifiers become the keyed pseudonym rather than an empty or dummy value.
    if ((tag == 0x00100020 || tag == 0x00100010) && (action == Action::kEmpty || action == Action::kDummy)) {
      std::string original = Trim(GetString(e));
      ONCOATLAS_RETURN_IF_ERROR(
          Put(e, tag == 0x00100020 ? w.pseudonymizer.PatientPseudonym(original) : w.patient_pseudonym));
      continue;
    }
    switch (action) {
      case Action::kKeep:
        if (vr == EVR_SQ) {
          ONCOATLAS_RETURN_IF_ERROR(ApplyToSequence(e, depth, w, clean_text));
        } else if (clean_text && IsTextVr(vr) && vr != EVR_CS) {
          ONCOATLAS_RETURN_IF_ERROR(Put(e, w.cleaner.Clean(GetString(e))));
        }
        break;
      case Action::kRemove:
        RemoveAt(item, e);
        break;
      case Action::kEmpty:
        if (e->clear().bad()) return InternalError("could not empty " + TagText(key));
        break;
      case Action::kDummy:
        if (vr == EVR_SQ) {
          ONCOATLAS_RETURN_IF_ERROR(ApplyToSequence(e, depth, w, clean_text));
        } else if (vr == EVR_UI) {
          ONCOATLAS_RETURN_IF_ERROR(ReplaceUids(e, w));
        } else if (vr == EVR_OB || vr == EVR_OW || vr == EVR_UN || vr == EVR_OF || vr == EVR_OD || vr == EVR_OL) {
          if (e->clear().bad()) return InternalError("could not empty " + TagText(key));
        } else {
          ONCOATLAS_RETURN_IF_ERROR(Put(e, DummyFor(vr)));
        }
        break;
      case Action::kClean:
        if (vr == EVR_SQ) {
          ONCOATLAS_RETURN_IF_ERROR(ApplyToSequence(e, depth, w, true));
        } else if ((group & 0xFF00) == 0x5000 || (group & 0xFF00) == 0x6000) {
          RemoveAt(item, e);  // graphics: removal is the cleaning we can vouch for
        } else if (vr == EVR_DA || vr == EVR_DT) {
          ONCOATLAS_RETURN_IF_ERROR(ShiftDates(e, vr, w));
        } else if (vr == EVR_TM) {
          // whole-day shifts leave times of day unchanged
        } else if (vr == EVR_UI) {
          ONCOATLAS_RETURN_IF_ERROR(ReplaceUids(e, w));
        } else if (IsTextVr(vr)) {
          ONCOATLAS_RETURN_IF_ERROR(Put(e, w.cleaner.Clean(GetString(e))));
        } else {
          RemoveAt(item, e);
        }
        break;
      case Action::kReplaceUid:
        if (vr == EVR_SQ) {
          ONCOATLAS_RETURN_IF_ERROR(ApplyToSequence(e, depth, w, clean_text));
        } else if (vr == EVR_UI) {
          ONCOATLAS_RETURN_IF_ERROR(ReplaceUids(e, w));
        } else if (e->clear().bad()) {
          return InternalError("could not empty " + TagText(key));
        }
        break;
    }
  }
  return Status::Ok();
}

std::string FindString(DcmItem* item, const DcmTagKey& key) {
  OFString v;
  if (item->findAndGetOFStringArray(key, v).bad()) return {};
  return Trim(std::string(v.c_str(), v.length()));
}

// Refuses an instance that may show burned-in text and will not be cleaned
// (pixel_cleaner.h), or that shows recognisable features left uncleaned.
Status CheckBurnedIn(DcmDataset* ds, const deid::ProfileOptions& options, const deid::ImageDevice& device,
                     bool cleaned) {
  ONCOATLAS_RETURN_IF_ERROR(CheckBurnedInText(FindString(ds, DCM_BurnedInAnnotation), FindString(ds, DCM_SOPClassUID),
                                              ds->tagExists(DCM_PixelData), options, device, cleaned));
  if (!options.clean_recognizable_visual_features && FindString(ds, DCM_RecognizableVisualFeatures) == "YES") {
    return FailedPreconditionError(
        "Recognizable Visual Features is YES and Clean Recognizable Visual Features is not applied; turn the "
        "option on to deface head CT and MR series");
  }
  return Status::Ok();
}

bool ValidUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (char c : uid) {
    if (!(c == '.' || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// The year of a DA value, or 0.
int Year(const std::string& date) {
  if (date.size() < 4) return 0;
  int y = 0;
  for (int i = 0; i < 4; ++i) {
    if (date[i] < '0' || date[i] > '9') return 0;
    y = y * 10 + (date[i] - '0');
  }
  return y;
}

// Whole years between two DA values (YYYYMMDD), or -1.
int YearsBetween(const std::string& from, const std::string& to) {
  auto valid = [](const std::string& d) {
    return d.size() == 8 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!valid(from) || !valid(to)) return -1;
  int years = std::stoi(to.substr(0, 4)) - std::stoi(from.substr(0, 4));
  if (to.substr(4) < from.substr(4)) --years;
  return years;
}

// A decade band from Patient's Age (AS, e.g. "045Y"), else from the birth
// and study dates when the profile kept both (a date shift moves both alike).
std::string AgeBand(const std::string& age, const std::string& birth_date, const std::string& study_date) {
  int years = -1;
  if (age.size() == 4 && std::all_of(age.begin(), age.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
    int n = std::stoi(age.substr(0, 3));
    switch (age[3]) {
      case 'Y':
        years = n;
        break;
      case 'M':
        years = n / 12;
        break;
      case 'W':
        years = n / 52;
        break;
      case 'D':
        years = n / 365;
        break;
      default:
        break;
    }
  }
  if (years < 0) years = YearsBetween(birth_date, study_date);
  if (years < 0 || years > 150) return {};
  if (years >= 90) return "90+";
  int low = years / 10 * 10;
  return std::to_string(low) + "-" + std::to_string(low + 9);
}

}  // namespace

Status InitDicomLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK's own log could print values it stumbles on; keep it silent.
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
  });
  RegisterPixelDecoders();
  if (!dcmDataDict.isDictionaryLoaded()) {
    return FailedPreconditionError(
        "DCMTK's data dictionary is not loaded; install the dcmtk package or set DCMDICTPATH");
  }
  return Status::Ok();
}

DcmtkDeidentifier::DcmtkDeidentifier(const deid::Profile& profile, const deid::Pseudonymizer& pseudonymizer)
    : profile_(profile), pseudonymizer_(pseudonymizer) {
  RegisterPixelDecoders();
}

Result<deid::DeidentifiedInstance> DcmtkDeidentifier::Deidentify(std::string_view bytes) const {
  return DeidentifyBytes(bytes, /*head_only=*/false, nullptr);
}

bool DcmtkDeidentifier::GroupsSeries() const { return profile_.options().clean_recognizable_visual_features; }

std::string DcmtkDeidentifier::SeriesKey(std::string_view bytes) const {
  if (!GroupsSeries()) return {};
  auto file = ParseChecked(bytes, kMaxNestingDepth);
  if (!file.ok()) return {};  // Deidentify() quarantines it with the reason
  DcmDataset* ds = (*file)->getDataset();
  const std::string series = FindString(ds, DCM_SeriesInstanceUID);
  if (!ValidUid(series) || !NeedsDefacing(ds)) return {};
  return pseudonymizer_.MapUid(series);
}

void DcmtkDeidentifier::DeidentifySeries(std::size_t count, const SeriesReader& read, const SeriesResult& done) const {
  // Pass 1: a coarse copy of every image, to find the face.
  std::vector<deid::SampledImage> images;
  std::vector<bool> pending(count, true);
  bool all_ct = true;
  std::size_t samples = 0;
  for (std::size_t i = 0; i < count; ++i) {
    auto bytes = read(i);
    Status failed = bytes.status();
    if (bytes.ok()) {
      auto file = ParseChecked(*bytes, kMaxNestingDepth);
      failed = file.status();
      if (file.ok()) {
        DcmDataset* ds = (*file)->getDataset();
        E_TransferSyntax xfer = ds->getOriginalXfer();
        all_ct = all_ct && IsCt(ds);
        auto image = SampleImage(ds, &xfer);
        failed = image.status();
        if (image.ok()) {
          samples += image->values.size();
          if (samples <= deid::kMaxSamples) images.push_back(std::move(*image));
        }
      }
    }
    if (!failed.ok()) {
      pending[i] = false;
      done(i, failed);
    }
  }
  double threshold = deid::kCtTissueThresholdHu;
  double air = deid::kCtAirHu;
  if (!all_ct) {
    threshold = deid::OtsuThreshold(images);
    air = std::numeric_limits<double>::infinity();
    for (const auto& image : images) {
      for (float v : image.values) air = std::min(air, static_cast<double>(v));
    }
  }
  Result<deid::FaceRegion> region = samples > deid::kMaxSamples
                                        ? Result<deid::FaceRegion>(deid::CannotDeface(deid::TooManySamples(samples)))
                                        : deid::LocateFace(images, threshold, air);
  images.clear();
  images.shrink_to_fit();
  // Pass 2: blank the face in each image and de-identify it.
  for (std::size_t i = 0; i < count; ++i) {
    if (!pending[i]) continue;
    if (!region.ok()) {
      done(i, region.status());
      continue;
    }
    auto bytes = read(i);
    done(i, bytes.ok() ? DeidentifyBytes(*bytes, /*head_only=*/false, &*region)
                       : Result<deid::DeidentifiedInstance>(bytes.status()));
  }
}

Result<deid::DeidentifiedHead> DcmtkDeidentifier::DeidentifyHead(std::string_view head, std::uint64_t file_size) const {
  auto not_here = [](const char* why) { return FailedPreconditionError(std::string("no head path: ") + why); };
  StructureScan scan = ScanStructure(head, kMaxNestingDepth, /*stop_at_pixel_data=*/true);
  const StructureScan::PixelData& pd = scan.pixel_data;
  if (!pd.found || scan.truncated || scan.out_of_order || scan.deflated || scan.max_depth > kMaxNestingDepth) {
    return not_here("no plain Pixel Data header in the head");
  }
  if (pd.big_endian || pd.length == 0xFFFFFFFFu || pd.length % 2 != 0 || pd.value_offset > head.size() ||
      pd.value_offset + std::uint64_t{pd.length} != file_size || (pd.explicit_vr && pd.vr != "OB" && pd.vr != "OW") ||
      pd.value_offset != pd.offset + (pd.explicit_vr ? 12u : 8u)) {
    return not_here("Pixel Data is not native, little endian and last");
  }
  // The file up to Pixel Data's value, with its length set to 0.
  std::string prefix(head.substr(0, pd.value_offset));
  std::memset(prefix.data() + prefix.size() - 4, 0, 4);
  deid::SampleBits tail_bits;
  auto result = DeidentifyBytes(prefix, /*head_only=*/true, nullptr, &tail_bits);
  if (!result.ok()) {
    if (result.status().message().rfind("no head path", 0) == 0) return result.status();
    return not_here("the header alone is not de-identifiable");
  }
  // The output must end with that same empty Pixel Data; give it its length back.
  std::string expected_end = prefix.substr(pd.offset);
  std::string& out = result->bytes;
  if (out.size() < expected_end.size() ||
      out.compare(out.size() - expected_end.size(), std::string::npos, expected_end) != 0) {
    return not_here("the output does not end with the input's Pixel Data");
  }
  for (int i = 0; i < 4; ++i) out[out.size() - 4 + i] = static_cast<char>((pd.length >> (8 * i)) & 0xFF);
  deid::DeidentifiedHead h;
  h.instance = std::move(*result);
  h.tail_offset = pd.value_offset;
  h.tail_bits = tail_bits;
  return h;
}

Result<deid::DeidentifiedInstance> DcmtkDeidentifier::DeidentifyBytes(std::string_view bytes, bool head_only,
                                                                      const deid::FaceRegion* face,
                                                                      deid::SampleBits* tail_bits) const {
  auto parsed = ParseChecked(bytes, kMaxNestingDepth);
  if (!parsed.ok()) return parsed.status();
  DcmFileFormat& file = **parsed;
  DcmDataset* ds = file.getDataset();
  E_TransferSyntax xfer = ds->getOriginalXfer();
  if (xfer == EXS_Unknown) xfer = EXS_LittleEndianExplicit;

  struct Required {
    DcmTagKey key;
    const char* name;
  };
  for (const Required& r :
       {Required{DCM_SOPClassUID, "SOP Class UID"}, Required{DCM_SOPInstanceUID, "SOP Instance UID"},
        Required{DCM_StudyInstanceUID, "Study Instance UID"}, Required{DCM_SeriesInstanceUID, "Series Instance UID"}}) {
    if (!ValidUid(FindString(ds, r.key))) {
      return InvalidArgumentError(std::string("missing or malformed ") + r.name + " " + TagText(r.key) +
                                  "; not a composite instance the engine can de-identify");
    }
  }
  deid::ImageDevice device{FindString(ds, DCM_Modality), FindString(ds, DCM_Manufacturer),
                           FindString(ds, DCM_ManufacturerModelName), 0, 0};
  {
    Uint16 rows = 0, columns = 0;
    if (ds->findAndGetUint16(DCM_Rows, rows).good()) device.rows = rows;
    if (ds->findAndGetUint16(DCM_Columns, columns).good()) device.columns = columns;
  }
  const std::vector<deid::PixelRegion> regions = profile_.BurnedInTextRegions(device);
  const bool clean_pixels = !regions.empty();
  if (head_only && clean_pixels) {
    return FailedPreconditionError(
        "no head path: a burned-in text rule matches, so the pixels must be read and cleaned");
  }
  const bool deface = profile_.options().clean_recognizable_visual_features && NeedsDefacing(ds);
  if (deface && head_only) return FailedPreconditionError("no head path: the image must be defaced");
  if (deface && face == nullptr) {
    return FailedPreconditionError(
        "Recognizable Visual Features: the image must be defaced together with the rest of its series");
  }
  ONCOATLAS_RETURN_IF_ERROR(CheckBurnedIn(ds, profile_.options(), device, clean_pixels));
  if (clean_pixels) {
    // PS3.15 table E.1-1 has no column for Clean Pixel Data: no attribute's
    // action depends on it. What changes is the pixels and the flag below.
    ONCOATLAS_RETURN_IF_ERROR(BlankRegions(ds, regions, &xfer));
    ds->putAndInsertString(DCM_BurnedInAnnotation, "NO");
  }
  if (deface) {
    // Neither has Clean Recognizable Visual Features a column in E.1-1.
    ONCOATLAS_RETURN_IF_ERROR(BlankFace(ds, *face, &xfer));
    ds->putAndInsertString(DCM_RecognizableVisualFeatures, "NO");
  }
  // Bits outside Bits Stored may hold an old-style overlay (text in the pixels).
  auto sample_bits = ReadSampleBits(ds);
  if (!sample_bits.ok()) return sample_bits.status();
  if (head_only) {
    if (tail_bits != nullptr) *tail_bits = *sample_bits;
  } else {
    ONCOATLAS_RETURN_IF_ERROR(ClearUnusedPixelBits(ds, *sample_bits, &xfer));
  }

  Walk walk{profile_, pseudonymizer_, {}, {}, {}, FindString(ds, DCM_SOPClassUID)};
  std::string patient_id = FindString(ds, DCM_PatientID);
  walk.patient_pseudonym = pseudonymizer_.PatientPseudonym(patient_id);
  if (profile_.options().retain_longitudinal_modified_dates) {
    walk.date_offset = pseudonymizer_.DateOffsetDays(patient_id, profile_.options().max_date_shift_days);
  }
  ONCOATLAS_RETURN_IF_ERROR(Inspect(ds, 0, walk));
  ONCOATLAS_RETURN_IF_ERROR(ApplyToItem(ds, 0, walk, false));

  // What a conforming de-identifier records (PS3.15 E.1.1).
  ds->putAndInsertString(DCM_PatientIdentityRemoved, "YES");
  ds->putAndInsertString(DCM_DeidentificationMethod, profile_.MethodDescription(clean_pixels, deface).c_str());
  ds->putAndInsertString(DCM_LongitudinalTemporalInformationModified,
                         profile_.LongitudinalTemporalInformationModified().c_str());
  delete ds->remove(DCM_DeidentificationMethodCodeSequence);
  for (const deid::MethodCode& code : profile_.MethodCodes(clean_pixels, deface)) {
    DcmItem* entry = nullptr;
    if (ds->findOrCreateSequenceItem(DCM_DeidentificationMethodCodeSequence, entry, -2).bad() || entry == nullptr) {
      return InternalError("could not add De-identification Method Code Sequence");
    }
    entry->putAndInsertString(DCM_CodeValue, code.value.c_str());
    entry->putAndInsertString(DCM_CodingSchemeDesignator, "DCM");
    entry->putAndInsertString(DCM_CodeMeaning, code.meaning.c_str());
  }

  deid::DeidentifiedInstance out;
  out.study_instance_uid = FindString(ds, DCM_StudyInstanceUID);
  out.series_instance_uid = FindString(ds, DCM_SeriesInstanceUID);
  out.sop_instance_uid = FindString(ds, DCM_SOPInstanceUID);
  out.patient_pseudonym = walk.patient_pseudonym;
  out.modality = FindString(ds, DCM_Modality);
  out.body_part = FindString(ds, DCM_BodyPartExamined);
  out.sex = FindString(ds, DCM_PatientSex);
  if (out.sex != "M" && out.sex != "F" && out.sex != "O") out.sex.clear();
  out.age_band =
      AgeBand(FindString(ds, DCM_PatientAge), FindString(ds, DCM_PatientBirthDate), FindString(ds, DCM_StudyDate));
  out.study_year = Year(FindString(ds, DCM_StudyDate));
  out.manufacturer = FindString(ds, DCM_Manufacturer);

  // A new file object: fresh meta information (Media Storage SOP Instance UID
  // from the new SOP Instance UID) and an all-zero preamble.
  DcmFileFormat fresh(file.getAndRemoveDataset(), OFFalse);
  // `bytes.size()`: the output is about as large (the profile removes more
  // than it adds), so one allocation usually holds the whole file.
  auto bytes_out = WritePart10(fresh, xfer, EGL_withoutGL, "the de-identified file", bytes.size());
  if (!bytes_out.ok()) return bytes_out.status();
  out.bytes = std::move(*bytes_out);
  return out;
}

}  // namespace oncoatlas::dicom

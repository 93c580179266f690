#include "dicom/instance_writer.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <memory>

namespace oncoatlas::dicom {
namespace {

Status AddAll(DcmItem* item, const std::vector<Attribute>& attributes);

Status Add(DcmItem* item, const Attribute& a) {
  DcmVR vr(a.vr.c_str());
  if (vr.getEVR() == EVR_UNKNOWN || a.vr.size() != 2) return InvalidArgumentError("unknown VR " + a.vr);
  DcmTag tag(a.group, a.element, vr);
  if (vr.getEVR() == EVR_SQ) {
    auto seq = std::make_unique<DcmSequenceOfItems>(tag);
    for (const auto& attrs : a.items) {
      auto child = std::make_unique<DcmItem>();
      ONCOATLAS_RETURN_IF_ERROR(AddAll(child.get(), attrs));
      if (seq->append(child.release()).bad()) return InternalError("cannot append a sequence item");
    }
    if (item->insert(seq.release(), true).bad()) return InternalError("cannot insert a sequence");
    return Status::Ok();
  }
  DcmElement* raw = nullptr;
  if (DcmItem::newDicomElementWithVR(raw, tag).bad() || raw == nullptr) {
    return InternalError("cannot create an element of VR " + a.vr);
  }
  std::unique_ptr<DcmElement> e(raw);
  OFCondition c;
  if (vr.getEVR() == EVR_OW) {
    c = e->putUint16Array(reinterpret_cast<const Uint16*>(a.value.data()),
                          static_cast<unsigned long>(a.value.size() / 2));
  } else if (vr.getEVR() == EVR_OB || vr.getEVR() == EVR_UN) {
    c = e->putUint8Array(reinterpret_cast<const Uint8*>(a.value.data()), static_cast<unsigned long>(a.value.size()));
  } else {
    c = e->putString(a.value.c_str(), static_cast<Uint32>(a.value.size()));
  }
  if (c.bad()) return InvalidArgumentError("cannot set a value of VR " + a.vr + ": " + c.text());
  if (item->insert(e.release(), true).bad()) return InternalError("cannot insert an element");
  return Status::Ok();
}

Status AddAll(DcmItem* item, const std::vector<Attribute>& attributes) {
  for (const Attribute& a : attributes) ONCOATLAS_RETURN_IF_ERROR(Add(item, a));
  return Status::Ok();
}

}  // namespace

Status WriteInstance(const std::vector<Attribute>& attributes, const std::filesystem::path& path) {
  DcmFileFormat file;
  ONCOATLAS_RETURN_IF_ERROR(AddAll(file.getDataset(), attributes));
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return UnavailableError("cannot create " + path.parent_path().string() + ": " + ec.message());
  OFCondition c = file.saveFile(path.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength, EGL_recalcGL);
  if (c.bad()) return UnavailableError("cannot write " + path.string() + ": " + c.text());
  return Status::Ok();
}

}  // namespace oncoatlas::dicom

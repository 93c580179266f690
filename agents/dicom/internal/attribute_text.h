// One attribute's value as text, for the DCMTK layer's decisions (modality,
// photometric interpretation, flags): the first value, trailing spaces
// trimmed; empty when absent or unreadable. Part of agents/dicom/.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <string>

namespace oncoatlas::dicom {

inline std::string AttributeText(DcmItem* item, const DcmTagKey& key) {
  OFString v;
  if (item->findAndGetOFString(key, v).bad()) return {};
  std::string s(v.c_str(), v.length());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace oncoatlas::dicom

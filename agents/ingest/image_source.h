// Where a dataset's images come from: a folder, a PACS over DICOMweb or DIMSE.
// A source names its items with stable keys (the same item has the same key
// on every run), which is what makes ingestion resumable. Implementations
// need not be thread-safe: the pipeline calls one source from one thread.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace oncoatlas::agent {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // The keys of every item the source currently offers, in a stable order.
  virtual Result<std::vector<std::string>> List() = 0;
  // The bytes of one item (a DICOM Part 10 file).
  virtual Result<std::string> Fetch(const std::string& key) = 0;
  // For logs and status messages, e.g. "folder /data/import".
  virtual std::string Describe() const = 0;
};

// Every regular file under a directory, recursively; keys are paths relative
// to it, sorted. Symbolic links are not followed (a link could lead out of the
// import folder).
class FolderSource : public ImageSource {
 public:
  explicit FolderSource(std::string root) : root_(std::move(root)) {}
  Result<std::vector<std::string>> List() override;
  Result<std::string> Fetch(const std::string& key) override;
  std::string Describe() const override { return "folder " + root_; }

 private:
  std::string root_;
};

}  // namespace oncoatlas::agent

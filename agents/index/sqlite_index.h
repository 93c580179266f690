// ImagingIndex on SQLite (WAL journal, foreign keys on). One connection,
// serialised by a mutex: the index is written by the ingestion pipeline in
// batches, so contention is low.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "index/imaging_index.h"

struct sqlite3;

namespace oncoatlas::agent {

class SqliteIndex : public ImagingIndex {
 public:
  // Opens (creating if needed) the index at `path`, whose folder must exist;
  // ":memory:" for tests. SQLite does its own file I/O (not through an Env).
  static Result<std::unique_ptr<SqliteIndex>> Open(const std::string& path);
  ~SqliteIndex() override;
  SqliteIndex(const SqliteIndex&) = delete;
  SqliteIndex& operator=(const SqliteIndex&) = delete;

  Status RecordIngested(const std::string& dataset, const std::vector<IngestedItem>& items) override;
  Result<std::set<std::string>> IngestedSourceKeys(const std::string& dataset) override;
  Result<std::map<std::string, std::uint64_t>> QuarantineReasons(const std::string& dataset) override;
  Status AddInstances(const std::string& dataset, const std::vector<InstanceRecord>& instances) override;
  Result<std::vector<std::string>> RemoveDataset(const std::string& dataset) override;
  Result<std::vector<std::string>> ListDatasets() override;
  Result<bool> HasInstance(const std::string& dataset, const std::string& sop_instance_uid) override;
  Result<DatasetCounts> Counts(const std::string& dataset) override;
  Result<FacetCounts> Facets(const std::string& dataset) override;
  Result<std::vector<std::string>> InstanceHashes(const std::string& dataset) override;

 private:
  explicit SqliteIndex(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);  // REQUIRES: mu_ held
  // REQUIRES: mu_ held and a transaction open.
  Status WriteInstances(const std::string& dataset, const std::vector<const InstanceRecord*>& instances);

  std::mutex mu_;
  sqlite3* db_;  // GUARDED_BY(mu_)
};

}  // namespace oncoatlas::agent

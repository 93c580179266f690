#include "index/sqlite_index.h"

#include <sqlite3.h>

#include <filesystem>
#include <utility>

#include "core/env.h"

namespace oncoatlas::agent {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS patients (
  pseudonym TEXT PRIMARY KEY,
  sex       TEXT NOT NULL DEFAULT '',
  age_band  TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS studies (
  study_uid  TEXT PRIMARY KEY,
  patient    TEXT NOT NULL REFERENCES patients(pseudonym),
  study_year INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS series (
  series_uid   TEXT PRIMARY KEY,
  study_uid    TEXT NOT NULL REFERENCES studies(study_uid),
  modality     TEXT NOT NULL DEFAULT '',
  body_part    TEXT NOT NULL DEFAULT '',
  manufacturer TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS instances (
  sop_uid    TEXT PRIMARY KEY,
  series_uid TEXT NOT NULL REFERENCES series(series_uid),
  sha256     TEXT NOT NULL,
  size_bytes INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_members (
  dataset TEXT NOT NULL,
  sop_uid TEXT NOT NULL REFERENCES instances(sop_uid),
  PRIMARY KEY (dataset, sop_uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source_items (
  dataset           TEXT NOT NULL,
  source_key        TEXT NOT NULL,
  sop_uid           TEXT REFERENCES instances(sop_uid),
  quarantine_reason TEXT,
  quarantine_sha256 TEXT,
  PRIMARY KEY (dataset, source_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dataset_members_by_instance ON dataset_members(sop_uid);
CREATE INDEX IF NOT EXISTS instances_by_series ON instances(series_uid);
CREATE INDEX IF NOT EXISTS series_by_study ON series(study_uid);
)sql";

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // Returns SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  Status Error(const std::string& what) const { return InternalError("index: " + what + ": " + sqlite3_errmsg(db_)); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back on error.
template <typename Body>
Status InTransaction(sqlite3* db, Body body) {
  char* err = nullptr;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return InternalError("index: begin transaction: " + m);
  }
  Status s = body();
  const char* end = s.ok() ? "COMMIT" : "ROLLBACK";
  if (sqlite3_exec(db, end, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    if (s.ok()) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return InternalError("index: commit: " + m);
    }
  }
  return s;
}

}  // namespace

Result<std::unique_ptr<SqliteIndex>> SqliteIndex::Open(const std::string& path) {
  constexpr const char* kHint = " (check that the directory exists and is writable by the agent)";
  if (path != ":memory:") {
    // SQLite reads and writes the file itself; the folder is checked here,
    // where the error can name it.
    std::string folder = std::filesystem::path(path).parent_path().string();
    if (folder.empty()) folder = ".";
    auto info = Env::Default().Stat(folder);
    if (!info.ok() || info->type != FileType::kDirectory) {
      return UnavailableError("cannot open index " + path + ": no folder " + folder + kHint);
    }
  }
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return UnavailableError("cannot open index " + path + ": " + m + kHint);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<SqliteIndex> index(new SqliteIndex(db));
  std::lock_guard<std::mutex> l(index->mu_);
  if (path != ":memory:")
    ONCOATLAS_RETURN_IF_ERROR(index->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"));
  ONCOATLAS_RETURN_IF_ERROR(index->Exec(kSchema));
  return index;
}

SqliteIndex::~SqliteIndex() { sqlite3_close(db_); }

Status SqliteIndex::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return InternalError("index: " + m);
  }
  return Status::Ok();
}

Status SqliteIndex::AddInstances(const std::string& dataset, const std::vector<InstanceRecord>& instances) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<const InstanceRecord*> ptrs;
  ptrs.reserve(instances.size());
  for (const auto& r : instances) ptrs.push_back(&r);
  return InTransaction(db_, [&]() -> Status { return WriteInstances(dataset, ptrs); });
}

Status SqliteIndex::RecordIngested(const std::string& dataset, const std::vector<IngestedItem>& items) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<const InstanceRecord*> ptrs;
  for (const auto& item : items) {
    if (item.instance) ptrs.push_back(&*item.instance);
  }
  return InTransaction(db_, [&]() -> Status {
    ONCOATLAS_RETURN_IF_ERROR(WriteInstances(dataset, ptrs));
    Stmt q(db_,
           "INSERT INTO source_items(dataset, source_key, sop_uid, quarantine_reason, quarantine_sha256) "
           "VALUES(?1, ?2, NULLIF(?3, ''), NULLIF(?4, ''), NULLIF(?5, '')) "
           "ON CONFLICT(dataset, source_key) DO UPDATE SET sop_uid = excluded.sop_uid, "
           "quarantine_reason = excluded.quarantine_reason, quarantine_sha256 = excluded.quarantine_sha256");
    if (!q.ok()) return q.Error("prepare");
    for (const auto& item : items) {
      if (item.source_key.empty()) return InvalidArgumentError("index: ingested item without a source key");
      if (!item.instance && item.quarantine_reason.empty()) {
        return InvalidArgumentError("index: item '" + item.source_key + "' is neither an instance nor quarantined");
      }
      q.Bind(1, dataset).Bind(2, item.source_key);
      q.Bind(3, item.instance ? item.instance->sop_instance_uid : std::string());
      q.Bind(4, item.instance ? std::string() : item.quarantine_reason);
      q.Bind(5, item.instance ? std::string() : item.quarantine_sha256);
      if (q.Step() != SQLITE_DONE) return q.Error("record source item");
      q.Reset();
    }
    return Status::Ok();
  });
}

Result<std::set<std::string>> SqliteIndex::IngestedSourceKeys(const std::string& dataset) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_, "SELECT source_key FROM source_items WHERE dataset = ?1");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, dataset);
  std::set<std::string> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.insert(q.Text(0));
  if (rc != SQLITE_DONE) return q.Error("list source items");
  return out;
}

Result<std::map<std::string, std::uint64_t>> SqliteIndex::QuarantineReasons(const std::string& dataset) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_,
         "SELECT quarantine_reason, COUNT(*) FROM source_items WHERE dataset = ?1 AND quarantine_reason IS NOT NULL "
         "GROUP BY quarantine_reason");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, dataset);
  std::map<std::string, std::uint64_t> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out[q.Text(0)] = static_cast<std::uint64_t>(q.Int(1));
  if (rc != SQLITE_DONE) return q.Error("count quarantines");
  return out;
}

Status SqliteIndex::WriteInstances(const std::string& dataset, const std::vector<const InstanceRecord*>& instances) {
  {
    Stmt patient(db_,
                 "INSERT INTO patients(pseudonym, sex, age_band) VALUES(?1, ?2, ?3) "
                 "ON CONFLICT(pseudonym) DO UPDATE SET sex = excluded.sex, age_band = excluded.age_band");
    Stmt study(db_,
               "INSERT INTO studies(study_uid, patient, study_year) VALUES(?1, ?2, ?3) "
               "ON CONFLICT(study_uid) DO UPDATE SET study_year = excluded.study_year");
    Stmt series(
        db_,
        "INSERT INTO series(series_uid, study_uid, modality, body_part, manufacturer) VALUES(?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT(series_uid) DO UPDATE SET modality = excluded.modality, "
        "body_part = excluded.body_part, manufacturer = excluded.manufacturer");
    Stmt instance(db_,
                  "INSERT INTO instances(sop_uid, series_uid, sha256, size_bytes) VALUES(?1, ?2, ?3, ?4) "
                  "ON CONFLICT(sop_uid) DO UPDATE SET sha256 = excluded.sha256, size_bytes = excluded.size_bytes");
    Stmt member(db_, "INSERT OR IGNORE INTO dataset_members(dataset, sop_uid) VALUES(?1, ?2)");
    for (Stmt* s : {&patient, &study, &series, &instance, &member}) {
      if (!s->ok()) return s->Error("prepare");
    }
    for (const InstanceRecord* rp : instances) {
      const InstanceRecord& r = *rp;
      if (r.sop_instance_uid.empty() || r.series_uid.empty() || r.study_uid.empty() || r.sha256.empty()) {
        return InvalidArgumentError("index: instance record lacks a UID or hash (SOP instance '" + r.sop_instance_uid +
                                    "')");
      }
      struct Step {
        Stmt* stmt;
        const char* what;
      };
      patient.Bind(1, r.patient_pseudonym).Bind(2, r.sex).Bind(3, r.age_band);
      study.Bind(1, r.study_uid).Bind(2, r.patient_pseudonym).Bind(3, static_cast<std::int64_t>(r.study_year));
      series.Bind(1, r.series_uid)
          .Bind(2, r.study_uid)
          .Bind(3, r.modality)
          .Bind(4, r.body_part)
          .Bind(5, r.manufacturer);
      instance.Bind(1, r.sop_instance_uid)
          .Bind(2, r.series_uid)
          .Bind(3, r.sha256)
          .Bind(4, static_cast<std::int64_t>(r.size_bytes));
      member.Bind(1, dataset).Bind(2, r.sop_instance_uid);
      for (Step st : {Step{&patient, "patient"}, Step{&study, "study"}, Step{&series, "series"},
                      Step{&instance, "instance"}, Step{&member, "dataset membership"}}) {
        int rc = st.stmt->Step();
        if (rc != SQLITE_DONE) return st.stmt->Error(std::string("write ") + st.what);
        st.stmt->Reset();
      }
    }
    return Status::Ok();
  }
}

Result<std::vector<std::string>> SqliteIndex::RemoveDataset(const std::string& dataset) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> dropped;
  Status s = InTransaction(db_, [&]() -> Status {
    ONCOATLAS_RETURN_IF_ERROR([&]() -> Status {
      for (const char* sql :
           {"DELETE FROM source_items WHERE dataset = ?1", "DELETE FROM dataset_members WHERE dataset = ?1"}) {
        Stmt del(db_, sql);
        if (!del.ok()) return del.Error("prepare");
        del.Bind(1, dataset);
        if (del.Step() != SQLITE_DONE) return del.Error("remove dataset");
      }
      return Status::Ok();
    }());
    Stmt orphans(db_,
                 "SELECT sha256 FROM instances WHERE sop_uid NOT IN (SELECT sop_uid FROM dataset_members) "
                 "AND sha256 NOT IN (SELECT i.sha256 FROM instances i JOIN dataset_members m USING (sop_uid))");
    if (!orphans.ok()) return orphans.Error("prepare");
    int rc;
    while ((rc = orphans.Step()) == SQLITE_ROW) dropped.push_back(orphans.Text(0));
    if (rc != SQLITE_DONE) return orphans.Error("find unreferenced instances");
    return Exec(
        "DELETE FROM instances WHERE sop_uid NOT IN (SELECT sop_uid FROM dataset_members);"
        "DELETE FROM series WHERE series_uid NOT IN (SELECT series_uid FROM instances);"
        "DELETE FROM studies WHERE study_uid NOT IN (SELECT study_uid FROM series);"
        "DELETE FROM patients WHERE pseudonym NOT IN (SELECT patient FROM studies);");
  });
  if (!s.ok()) return s;
  return dropped;
}

Result<std::vector<std::string>> SqliteIndex::ListDatasets() {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_, "SELECT dataset FROM source_items UNION SELECT dataset FROM dataset_members ORDER BY dataset");
  if (!q.ok()) return q.Error("prepare");
  std::vector<std::string> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(q.Text(0));
  if (rc != SQLITE_DONE) return q.Error("list datasets");
  return out;
}

Result<bool> SqliteIndex::HasInstance(const std::string& dataset, const std::string& sop_instance_uid) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_, "SELECT 1 FROM dataset_members WHERE dataset = ?1 AND sop_uid = ?2");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, dataset).Bind(2, sop_instance_uid);
  int rc = q.Step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return q.Error("look up instance");
}

Result<DatasetCounts> SqliteIndex::Counts(const std::string& dataset) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_,
         "SELECT COUNT(DISTINCT st.patient), COUNT(DISTINCT se.study_uid), COUNT(DISTINCT i.series_uid), "
         "COUNT(*), COALESCE(SUM(i.size_bytes), 0) "
         "FROM dataset_members m JOIN instances i USING (sop_uid) "
         "JOIN series se ON se.series_uid = i.series_uid JOIN studies st ON st.study_uid = se.study_uid "
         "WHERE m.dataset = ?1");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, dataset);
  if (q.Step() != SQLITE_ROW) return q.Error("count dataset");
  DatasetCounts c;
  c.patients = static_cast<std::uint64_t>(q.Int(0));
  c.studies = static_cast<std::uint64_t>(q.Int(1));
  c.series = static_cast<std::uint64_t>(q.Int(2));
  c.instances = static_cast<std::uint64_t>(q.Int(3));
  c.bytes = static_cast<std::uint64_t>(q.Int(4));
  return c;
}

Result<FacetCounts> SqliteIndex::Facets(const std::string& dataset) {
  std::lock_guard<std::mutex> l(mu_);
  // Patient-level facets count patients; the others count studies.
  static constexpr std::pair<const char*, const char*> kFacets[] = {
      {"sex", "SELECT p.sex, COUNT(DISTINCT p.pseudonym) FROM {J} GROUP BY p.sex"},
      {"ageBand", "SELECT p.age_band, COUNT(DISTINCT p.pseudonym) FROM {J} GROUP BY p.age_band"},
      {"modality", "SELECT se.modality, COUNT(DISTINCT st.study_uid) FROM {J} GROUP BY se.modality"},
      {"bodyPart", "SELECT se.body_part, COUNT(DISTINCT st.study_uid) FROM {J} GROUP BY se.body_part"},
      {"studyYear", "SELECT CAST(st.study_year AS TEXT), COUNT(DISTINCT st.study_uid) FROM {J} GROUP BY st.study_year"},
      {"manufacturer", "SELECT se.manufacturer, COUNT(DISTINCT st.study_uid) FROM {J} GROUP BY se.manufacturer"},
  };
  const std::string join =
      "dataset_members m JOIN instances i USING (sop_uid) JOIN series se ON se.series_uid = i.series_uid "
      "JOIN studies st ON st.study_uid = se.study_uid JOIN patients p ON p.pseudonym = st.patient "
      "WHERE m.dataset = ?1";
  FacetCounts out;
  for (const auto& [facet, tmpl] : kFacets) {
    std::string sql = tmpl;
    sql.replace(sql.find("{J}"), 3, join);
    Stmt q(db_, sql.c_str());
    if (!q.ok()) return q.Error("prepare");
    q.Bind(1, dataset);
    int rc;
    auto& values = out[facet];
    while ((rc = q.Step()) == SQLITE_ROW) {
      std::string v = q.Text(0);
      if (v.empty() || v == "0") v = "unknown";
      values[v] += static_cast<std::uint64_t>(q.Int(1));
    }
    if (rc != SQLITE_DONE) return q.Error(std::string("facet ") + facet);
  }
  return out;
}

Result<std::vector<std::string>> SqliteIndex::InstanceHashes(const std::string& dataset) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_,
         "SELECT i.sha256 FROM dataset_members m JOIN instances i USING (sop_uid) WHERE m.dataset = ?1 "
         "ORDER BY i.sha256");
  if (!q.ok()) return q.Error("prepare");
  q.Bind(1, dataset);
  std::vector<std::string> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(q.Text(0));
  if (rc != SQLITE_DONE) return q.Error("list instance hashes");
  return out;
}

}  // namespace oncoatlas::agent

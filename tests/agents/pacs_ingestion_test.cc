// The pipeline against a real Orthanc filled by oncoatlas-synth over STOW-RS:
// ingestion through DICOMweb (QIDO-RS + WADO-RS), DIMSE C-GET and DIMSE C-MOVE
// to the agent's own C-STORE SCP gives identical stores and indexes; each
// source's query selects exactly the instances pydicom says match; and a
// DICOMweb ingestion killed (SIGKILL) at arbitrary instants and restarted ends
// identical to an uninterrupted one.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/subprocess.h"
#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"
#include "dicom/dimse_source.h"
#include "dicomweb/dicomweb_source.h"
#include "http/client.h"
#include "index/dataset_summary.h"
#include "index/sqlite_index.h"
#include "ingest/deidentifying_processor.h"
#include "ingest/ingestion.h"
#include "support/orthanc.h"

namespace oncoatlas::agent {
namespace {

namespace fs = std::filesystem;
using testing::OrthancServer;

const char* kPacsAet = "SITEPACS";
const char* kMoveAet = "ONCOATLAS_MV";

// One instance of the corpus as pydicom reads it from the generator's files.
struct CorpusInstance {
  std::string key, date, accession, modality, path;
};

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

class PacsIngestionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(dicom::InitDicomLibrary().ok());
    base_ = new fs::path(fs::path(::testing::TempDir()) / ("pacs-ingestion-" + std::to_string(::getpid())));
    fs::remove_all(*base_);
    fs::create_directories(*base_);
    auto pacs = OrthancServer::Start("ingest", kPacsAet);
    ASSERT_TRUE(pacs.ok()) << pacs.status().ToString();
    pacs_ = std::move(pacs).value().release();

    // The corpus, loaded into the PACS by the generator itself.
    std::ofstream(*base_ / "password") << pacs_->password();
    auto synth = RunSubprocess({std::string(ONCOATLAS_BIN_DIR) + "/oncoatlas-synth", "--out",
                                (*base_ / "corpus").string(), "--patients", "4", "--slices", "2", "--matrix", "32",
                                "--seed", "11", "--stow", pacs_->dicomweb_url(), "--user", pacs_->username(),
                                "--password-file", (*base_ / "password").string()});
    ASSERT_TRUE(synth.ok() && synth->success()) << (synth.ok() ? synth->Describe() : synth.status().ToString());
    ASSERT_NE(synth->out.find("stored "), std::string::npos) << synth->out;

    // What the corpus holds, read independently of DCMTK.
    auto table = RunSubprocess({"/usr/bin/python3", "-c",
                                "import sys, pathlib, pydicom\n"
                                "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.dcm')):\n"
                                "    d = pydicom.dcmread(p, stop_before_pixels=True)\n"
                                "    print(d.StudyInstanceUID + '/' + d.SeriesInstanceUID + '/' + d.SOPInstanceUID,\n"
                                "          d.get('StudyDate', '') or '-', d.get('AccessionNumber', '') or '-',\n"
                                "          d.get('Modality', '') or '-', p)\n",
                                (*base_ / "corpus" / "dicom").string()});
    ASSERT_TRUE(table.ok() && table->success()) << (table.ok() ? table->Describe() : table.status().ToString());
    corpus_ = new std::vector<CorpusInstance>();
    std::istringstream lines(table->out);
    CorpusInstance c;
    while (lines >> c.key >> c.date >> c.accession >> c.modality >> c.path) corpus_->push_back(c);
    ASSERT_GT(corpus_->size(), 10u);

    // The agent's C-MOVE destination, registered on the PACS as a site's PACS
    // administrator would.
    move_port_ = FreePort();
    ASSERT_NE(move_port_, 0);
    http::ClientOptions ho;
    ho.credentials = {pacs_->username(), pacs_->password(), ""};
    auto rest = http::Client::Create(pacs_->url(), ho);
    ASSERT_TRUE(rest.ok()) << rest.status().ToString();
    auto put = rest->Send("PUT", std::string("/modalities/") + kMoveAet, "application/json", "application/json",
                          std::string("{\"AET\":\"") + kMoveAet +
                              "\",\"Host\":\"127.0.0.1\",\"Port\":" + std::to_string(move_port_) + "}");
    ASSERT_TRUE(put.ok() && put->status == 200) << (put.ok() ? std::to_string(put->status) : put.status().ToString());
  }

  static void TearDownTestSuite() {
    delete pacs_;
    pacs_ = nullptr;
    if (base_ != nullptr) fs::remove_all(*base_);
    delete base_;
    delete corpus_;
  }

  static dicomweb::DicomWebEndpoint WebEndpoint() {
    dicomweb::DicomWebEndpoint ep;
    ep.url = pacs_->dicomweb_url();
    ep.http.credentials = {pacs_->username(), pacs_->password(), ""};
    ep.page_size = 2;  // exercises paging on a small corpus
    return ep;
  }

  static dicom::DimseEndpoint DimseEndpoint(dicom::DimseRetrieval retrieval) {
    dicom::DimseEndpoint ep;
    ep.host = "127.0.0.1";
    ep.port = pacs_->dicom_port();
    ep.called_aet = kPacsAet;
    ep.calling_aet = retrieval == dicom::DimseRetrieval::kMove ? kMoveAet : "ONCOATLAS_T";
    ep.retrieval = retrieval;
    ep.store_port = move_port_;
    ep.timeout = std::chrono::seconds(20);
    return ep;
  }

  static Result<std::unique_ptr<ImageSource>> Source(const std::string& protocol, const SourceQuery& q) {
    if (protocol == "dicomweb") return dicomweb::MakeDicomWebSource(WebEndpoint(), q);
    if (protocol == "c-get") return dicom::MakeDimseSource(DimseEndpoint(dicom::DimseRetrieval::kGet), q);
    return dicom::MakeDimseSource(DimseEndpoint(dicom::DimseRetrieval::kMove), q);
  }

  // Ingests `source` into the workspace `work` with the full default profile.
  static Result<IngestionProgress> Ingest(const fs::path& work, ImageSource& source, std::size_t batch = 8) {
    static const auto pseudonymizer = *deid::Pseudonymizer::Create("pacs-ingestion-test-key-0123456789");
    static const deid::Profile profile{deid::ProfileOptions{}};
    static const dicom::DcmtkDeidentifier engine(profile, pseudonymizer);
    auto store = FileBlobStore::Open((work / "store").string());
    auto quarantine = FileBlobStore::Open((work / "quarantine").string());
    auto index = SqliteIndex::Open((work / "index.db").string());
    if (!store.ok() || !quarantine.ok() || !index.ok()) return InternalError("cannot open workspace " + work.string());
    DeidentifyingProcessor processor(engine);
    IngestionOptions o;
    o.batch_size = batch;
    o.quarantine_store = quarantine->get();
    Ingestion ingestion(**store, **index, processor, o);
    return ingestion.Run("ds", source);
  }

  // Everything a workspace holds that must not depend on the protocol.
  static std::string Snapshot(const fs::path& work) {
    auto idx = SqliteIndex::Open((work / "index.db").string());
    if (!idx.ok()) return "cannot open index: " + idx.status().ToString();
    std::ostringstream s;
    auto c = (*idx)->Counts("ds");
    s << "counts " << c->patients << " " << c->studies << " " << c->series << " " << c->instances << " " << c->bytes
      << "\n";
    s << "digest " << *MerkleRoot(*(*idx)->InstanceHashes("ds")) << "\n";
    auto facets = (*idx)->Facets("ds");
    auto reasons = (*idx)->QuarantineReasons("ds");
    auto keys = (*idx)->IngestedSourceKeys("ds");
    if (!facets.ok() || !reasons.ok() || !keys.ok()) return "cannot read the index";
    for (const auto& [facet, values] : *facets) {
      for (const auto& [value, n] : values) s << "facet " << facet << " " << value << " " << n << "\n";
    }
    for (const auto& [reason, n] : *reasons) s << "quarantine " << reason << " " << n << "\n";
    for (const auto& k : *keys) s << "key " << k << "\n";
    std::set<std::string> objects;
    for (const auto& e : fs::recursive_directory_iterator(work / "store" / "sha256")) {
      if (e.is_regular_file()) objects.insert(e.path().filename().string());
    }
    for (const auto& o : objects) s << "object " << o << "\n";
    return s.str();
  }

  static std::vector<std::string> Expected(const std::function<bool(const CorpusInstance&)>& match) {
    std::vector<std::string> keys;
    for (const auto& c : *corpus_) {
      if (match(c)) keys.push_back(c.key);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  static OrthancServer* pacs_;
  static fs::path* base_;
  static std::vector<CorpusInstance>* corpus_;
  static int move_port_;
};

OrthancServer* PacsIngestionTest::pacs_ = nullptr;
fs::path* PacsIngestionTest::base_ = nullptr;
std::vector<CorpusInstance>* PacsIngestionTest::corpus_ = nullptr;
int PacsIngestionTest::move_port_ = 0;

TEST_F(PacsIngestionTest, DicomWebCGetAndCMoveGiveIdenticalStoresAndIndexes) {
  std::map<std::string, std::string> snapshots;
  for (const std::string protocol : {"dicomweb", "c-get", "c-move"}) {
    auto source = Source(protocol, {});
    ASSERT_TRUE(source.ok()) << protocol << ": " << source.status().ToString();
    auto p = Ingest(*base_ / ("all-" + protocol), **source);
    ASSERT_TRUE(p.ok()) << protocol << ": " << p.status().ToString();
    EXPECT_EQ(p->total, corpus_->size()) << protocol;
    EXPECT_EQ(p->done, corpus_->size()) << protocol;
    EXPECT_GT(p->ingested, corpus_->size() / 2) << protocol;
    snapshots[protocol] = Snapshot(*base_ / ("all-" + protocol));
  }
  EXPECT_NE(snapshots["dicomweb"].find("counts 4 "), std::string::npos) << snapshots["dicomweb"];
  EXPECT_EQ(snapshots["c-get"], snapshots["dicomweb"]);
  EXPECT_EQ(snapshots["c-move"], snapshots["dicomweb"]);
}

TEST_F(PacsIngestionTest, QueriesSelectExactlyTheMatchingInstances) {
  // A date range that splits the corpus: from its median study date on.
  std::vector<std::string> dates;
  for (const auto& c : *corpus_) dates.push_back(c.date);
  std::sort(dates.begin(), dates.end());
  const std::string from = dates[dates.size() / 2];
  std::set<std::string> accession_set;
  for (const auto& c : *corpus_) accession_set.insert(c.accession);
  ASSERT_GE(accession_set.size(), 3u);
  std::vector<std::string> two_accessions(accession_set.begin(), std::next(accession_set.begin(), 2));

  struct Case {
    std::string name;
    SourceQuery query;
    std::vector<std::string> expected;
  };
  std::vector<Case> cases;
  {
    SourceQuery q;
    q.study_date_range = from + "-";
    cases.push_back({"date range", q, Expected([&](const CorpusInstance& c) { return c.date >= from; })});
  }
  {
    SourceQuery q;
    q.modalities = {"MR"};
    cases.push_back({"modality", q, Expected([](const CorpusInstance& c) { return c.modality == "MR"; })});
  }
  {
    SourceQuery q;
    q.accession_numbers = two_accessions;
    cases.push_back({"accessions", q, Expected([&](const CorpusInstance& c) {
                       return c.accession == two_accessions[0] || c.accession == two_accessions[1];
                     })});
  }
  {
    SourceQuery q;
    q.study_date_range = from + "-";
    q.modalities = {"CT", "MG"};
    cases.push_back({"date and modalities", q, Expected([&](const CorpusInstance& c) {
                       return c.date >= from && (c.modality == "CT" || c.modality == "MG");
                     })});
  }
  for (const auto& tc : cases) {
    ASSERT_FALSE(tc.expected.empty()) << tc.name;
    ASSERT_LT(tc.expected.size(), corpus_->size()) << tc.name;
    for (const std::string protocol : {"dicomweb", "c-get"}) {
      auto source = Source(protocol, tc.query);
      ASSERT_TRUE(source.ok()) << source.status().ToString();
      auto keys = (*source)->List();
      ASSERT_TRUE(keys.ok()) << tc.name << " " << protocol << ": " << keys.status().ToString();
      std::vector<std::string> extra, missing;
      std::set_difference(keys->begin(), keys->end(), tc.expected.begin(), tc.expected.end(),
                          std::back_inserter(extra));
      std::set_difference(tc.expected.begin(), tc.expected.end(), keys->begin(), keys->end(),
                          std::back_inserter(missing));
      EXPECT_TRUE(extra.empty() && missing.empty())
          << tc.name << " over " << protocol << ": " << extra.size() << " unexpected (first "
          << (extra.empty() ? "" : extra[0]) << "), " << missing.size() << " missing (first "
          << (missing.empty() ? "" : missing[0]) << ")";
    }
  }
}

TEST_F(PacsIngestionTest, WadoFetchReturnsTheStoredInstanceAndUnknownOnesAreNotFound) {
  auto source = Source("dicomweb", {});
  ASSERT_TRUE(source.ok());
  const CorpusInstance& first = corpus_->front();
  auto bytes = (*source)->Fetch(first.key);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  // The same bytes as the generator wrote (Orthanc keeps STOW-RS uploads as sent).
  std::ifstream in(first.path, std::ios::binary);
  std::ostringstream original;
  original << in.rdbuf();
  ASSERT_FALSE(original.str().empty()) << first.path;
  EXPECT_TRUE(*bytes == original.str()) << "WADO-RS gave " << bytes->size() << " bytes for " << first.path;
  auto missing = (*source)->Fetch("1.2.3/1.2.3.4/1.2.3.4.5");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ((*source)->Fetch("../studies").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PacsIngestionTest, WrongPasswordIsAClearError) {
  auto ep = WebEndpoint();
  ep.http.credentials.password = "not-the-password";
  auto source = dicomweb::MakeDicomWebSource(ep, {});
  ASSERT_TRUE(source.ok());
  auto keys = (*source)->List();
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.status().message().find("HTTP 401"), std::string::npos) << keys.status().message();
  EXPECT_EQ(keys.status().message().find("not-the-password"), std::string::npos);
}

// SIGKILL of an ingestion from the PACS at arbitrary instants, then restarts,
// until a run completes: the result equals an uninterrupted run.
TEST_F(PacsIngestionTest, KilledDicomWebIngestionResumesToTheSameResult) {
  auto reference_source = Source("dicomweb", {});
  ASSERT_TRUE(reference_source.ok());
  ASSERT_TRUE(Ingest(*base_ / "reference", **reference_source).ok());
  const fs::path work = *base_ / "killed";
  int kills = 0;
  for (int attempt = 0; attempt < 30; ++attempt) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto source = Source("dicomweb", {});
      if (!source.ok()) ::_exit(3);
      auto p = Ingest(work, **source, 2);
      ::_exit(p.ok() ? 0 : 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + (attempt * 97) % 400));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) ++kills;
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0);
      break;  // finished before the kill landed
    }
  }
  EXPECT_GT(kills, 0);
  auto source = Source("dicomweb", {});
  ASSERT_TRUE(source.ok());
  auto last = Ingest(work, **source);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->done, corpus_->size());
  EXPECT_EQ(Snapshot(work), Snapshot(*base_ / "reference"));
}

}  // namespace
}  // namespace oncoatlas::agent

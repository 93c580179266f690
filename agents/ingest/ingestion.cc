#include "ingest/ingestion.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

namespace oncoatlas::agent {
namespace fs = std::filesystem;
namespace {

// Writes `bytes` to `path` so that it exists whole or not at all: a temporary
// file (mode 0600: the spool holds identifying originals), fsync, rename.
Status WriteSpoolFile(const fs::path& path, const std::string& bytes) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("cannot create " + tmp.string());
  std::size_t done = 0;
  bool ok = true;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (!ok) {
    fs::remove(tmp, ec);
    return UnavailableError("cannot write " + tmp.string() + " (disk full?)");
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return UnavailableError("cannot rename into " + path.string());
  }
  return Status::Ok();
}

Result<std::string> ReadSpoolFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return UnavailableError("spooled input unreadable");
  std::string data;
  char buffer[1 << 16];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (n < 0) return UnavailableError("spooled input unreadable");
  return data;
}

// Creates the spool folder (0700) and removes what a killed run left in it:
// those inputs were never recorded, so this run fetches them again.
Status ClearSpool(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create the spool folder " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return UnavailableError("cannot restrict the spool folder " + dir.string() + ": " + ec.message());
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code remove_ec;
    if (it->is_regular_file(remove_ec) || it->is_symlink(remove_ec)) {
      fs::remove(it->path(), remove_ec);
      if (remove_ec) return UnavailableError("cannot remove " + it->path().string() + ": " + remove_ec.message());
    }
  }
  if (ec) return UnavailableError("cannot list the spool folder " + dir.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<IngestionProgress> Ingestion::Run(const std::string& dataset, ImageSource& source,
                                         const std::atomic<bool>* stop) {
  const fs::path spool(options_.spool_dir);
  if (!spool.empty()) ONCOATLAS_RETURN_IF_ERROR(ClearSpool(spool));
  // However the run ends, the originals it spooled do not stay behind.
  struct SpoolGuard {
    const fs::path& dir;
    ~SpoolGuard() {
      if (!dir.empty()) (void)ClearSpool(dir);
    }
  } spool_guard{spool};
  auto keys = source.List();
  if (!keys.ok()) return keys.status().WithContext("listing " + source.Describe());
  auto recorded = index_.IngestedSourceKeys(dataset);
  if (!recorded.ok()) return recorded.status();

  IngestionProgress progress;
  progress.total = keys->size();
  std::vector<IngestedItem> batch;
  const size_t batch_size = options_.batch_size == 0 ? 1 : options_.batch_size;

  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    // Every byte referenced by the batch is already durable in the store.
    ONCOATLAS_RETURN_IF_ERROR(index_.RecordIngested(dataset, batch));
    for (const auto& item : batch) {
      ++progress.done;
      if (item.instance) {
        ++progress.ingested;
      } else {
        ++progress.quarantined;
      }
    }
    batch.clear();
    if (options_.on_progress) options_.on_progress(progress);
    return Status::Ok();
  };

  // Stores the outcome for source item `key` and adds it to the batch (not yet
  // recorded). `original` is the input, kept when quarantined; null when it
  // could not be read.
  auto add = [&](const std::string& key, ProcessOutcome outcome, const std::string* original) -> Status {
    IngestedItem item;
    item.source_key = key;
    if (outcome.instance) {
      auto& [out_bytes, record] = *outcome.instance;
      auto name = store_.Put(out_bytes);
      if (!name.ok()) return name.status().WithContext("storing the de-identified instance from '" + key + "'");
      record.sha256 = *name;
      record.size_bytes = out_bytes.size();
      item.instance = std::move(record);
    } else {
      item.quarantine_reason = outcome.quarantine_reason.empty() ? "rejected" : outcome.quarantine_reason;
      if (options_.quarantine_store != nullptr && original != nullptr) {
        auto name = options_.quarantine_store->Put(*original);
        if (!name.ok()) return name.status().WithContext("keeping quarantined '" + key + "'");
        item.quarantine_sha256 = *name;
      }
    }
    batch.push_back(std::move(item));
    return Status::Ok();
  };

  // Inputs held for their series: series key -> (source key, spool file), in
  // listing order. Only names are kept in memory; the bytes are in the spool.
  struct Spooled {
    std::string source_key;
    fs::path path;
  };
  std::map<std::string, std::vector<Spooled>> series;
  std::size_t spooled = 0;

  for (const std::string& key : *keys) {
    if (stop != nullptr && stop->load()) break;
    if (recorded->count(key) != 0) {
      ++progress.skipped;
      ++progress.done;
      continue;
    }
    auto bytes = source.Fetch(key);
    if (!bytes.ok()) return bytes.status().WithContext("fetching '" + key + "' from " + source.Describe());

    std::string series_key = processor_.SeriesKey(*bytes);
    if (!series_key.empty()) {
      if (spool.empty()) {
        return FailedPreconditionError("'" + key +
                                       "' must be de-identified with the rest of its series, and no spool folder "
                                       "is configured to hold it until then");
      }
      fs::path path = spool / ("input-" + std::to_string(spooled++));
      ONCOATLAS_RETURN_IF_ERROR(WriteSpoolFile(path, *bytes).WithContext("spooling '" + key + "'"));
      series[series_key].push_back(Spooled{key, std::move(path)});
      continue;
    }

    ONCOATLAS_RETURN_IF_ERROR(add(key, processor_.Process(*bytes), &*bytes));
    if (batch.size() >= batch_size) ONCOATLAS_RETURN_IF_ERROR(flush());
  }
  ONCOATLAS_RETURN_IF_ERROR(flush());

  // Each series is recorded in one transaction, whatever the batch size: a
  // series recorded in part would be processed from the rest of its inputs
  // only after a restart, and give a different result.
  for (const auto& [series_key, inputs] : series) {
    if (stop != nullptr && stop->load()) break;
    Status failed;
    std::vector<bool> answered(inputs.size(), false);
    processor_.ProcessSeries(
        inputs.size(), [&](std::size_t i) -> Result<std::string> { return ReadSpoolFile(inputs.at(i).path); },
        [&](std::size_t i, ProcessOutcome outcome) {
          if (!failed.ok() || i >= inputs.size() || answered[i]) return;
          answered[i] = true;
          Result<std::string> original = outcome.instance || options_.quarantine_store == nullptr
                                             ? Result<std::string>(std::string())
                                             : ReadSpoolFile(inputs[i].path);
          failed = add(inputs[i].source_key, std::move(outcome), original.ok() ? &*original : nullptr);
        });
    ONCOATLAS_RETURN_IF_ERROR(failed);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (answered[i]) continue;
      ProcessOutcome none;
      none.quarantine_reason = "no outcome from the series de-identification";
      auto original = ReadSpoolFile(inputs[i].path);
      ONCOATLAS_RETURN_IF_ERROR(add(inputs[i].source_key, std::move(none), original.ok() ? &*original : nullptr));
    }
    ONCOATLAS_RETURN_IF_ERROR(flush());
    for (const auto& input : inputs) {
      std::error_code ec;
      fs::remove(input.path, ec);
    }
  }
  return progress;
}

}  // namespace oncoatlas::agent

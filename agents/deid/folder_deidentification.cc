#include "deid/folder_deidentification.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <thread>

namespace oncoatlas::deid {
namespace fs = std::filesystem;
namespace {

// Reads input `path` whole into `data` (the caller's buffer, reused from file
// to file). The messages are quarantine reasons: they name no path.
Status ReadInputInto(Env& env, const fs::path& path, std::string& data) {
  auto file = env.NewRandomAccessFile(path.string());
  if (!file.ok()) return UnavailableError("cannot open the file for reading");
  if (!ReadAll(**file, data).ok()) return UnavailableError("read error");
  return Status::Ok();
}

Result<std::string> ReadInput(Env& env, const fs::path& path) {
  std::string data;
  ONCOATLAS_RETURN_IF_ERROR(ReadInputInto(env, path, data));
  return data;
}

// Files above this size take the head path when the engine offers one: only
// their first kHeadBytes are read and parsed, the rest is copied in the kernel.
constexpr std::size_t kHeadBytes = std::size_t{64} * 1024;

// The bytes [offset, offset + length) of an open input, appended after `data`;
// when `bits` has unused bits, the bytes are Pixel Data samples, cleared of them.
struct Tail {
  RandomAccessFile* file = nullptr;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  SampleBits bits;
};

// Appends `tail`: copied in the kernel, or read, cleared and written in
// chunks when its samples have unused bits.
Status AppendTail(WritableFile& out, const Tail& tail) {
  if (!tail.bits.HasUnusedBits()) return out.AppendFrom(*tail.file, tail.offset, tail.length);
  constexpr std::uint64_t kChunk = std::uint64_t{1} << 20;  // whole samples of any size
  thread_local std::string chunk;
  for (std::uint64_t done = 0; done < tail.length;) {
    chunk.resize(static_cast<std::size_t>(std::min(kChunk, tail.length - done)));
    auto n = tail.file->Read(tail.offset + done, chunk.size(), chunk.data());
    if (!n.ok()) return n.status();
    if (*n != chunk.size()) return FailedPreconditionError("the input ended before its Pixel Data did");
    ClearUnusedBits(tail.bits, std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(chunk.data()), chunk.size()));
    ONCOATLAS_RETURN_IF_ERROR(out.Append(chunk));
    done += chunk.size();
  }
  return Status::Ok();
}

// Writes to a temporary name, then renames into place: a reader never sees a
// partial file. Durability comes from one SyncFileSystem() at the end of the
// run rather than an fsync per file (which would dominate the run time).
// Returns FailedPrecondition (and writes nothing) when the tail could not be
// copied whole.
Status WriteAtomically(Env& env, const fs::path& path, const std::string& data, const Tail* tail = nullptr) {
  const std::string tmp = path.string() + ".tmp" + std::to_string(::getpid()) + "-" +
                          std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  auto file = env.NewWritableFile(tmp, 0644);
  if (file.status().code() == StatusCode::kNotFound) {  // the first output in its folder: no stat call before
    ONCOATLAS_RETURN_IF_ERROR(CreateDirs(env, path.parent_path().string()));
    file = env.NewWritableFile(tmp, 0644);
  }
  if (!file.ok()) return file.status();
  Status s = (*file)->Append(data);
  bool tail_ok = true;
  if (s.ok() && tail != nullptr) tail_ok = AppendTail(**file, *tail).ok();
  Status closed = (*file)->Close();
  if (s.ok()) s = closed;
  if (s.ok() && !tail_ok) s = FailedPreconditionError("the input changed while it was copied");
  if (s.ok()) s = env.RenameFile(tmp, path.string());
  if (!s.ok()) (void)env.RemoveFile(tmp);
  return s;
}

// UIDs name the output files; refuse anything that could escape the folder.
bool SafeComponent(const std::string& s) {
  return !s.empty() && s.size() <= 64 && s.find_first_not_of("0123456789.") == std::string::npos && s != "." &&
         s != "..";
}

}  // namespace

nlohmann::json FolderReport::ToJson() const {
  nlohmann::json j;
  j["files"] = files;
  j["deidentified"] = deidentified;
  j["quarantined"] = quarantined;
  j["bytesIn"] = bytes_in;
  j["bytesOut"] = bytes_out;
  j["modalities"] = modalities;
  j["quarantineDir"] = quarantine_dir.string();
  std::map<std::string, std::uint64_t> reasons;
  for (const auto& q : quarantined_files) ++reasons[q.reason];
  j["quarantineReasons"] = reasons;
  j["quarantinedFiles"] = nlohmann::json::array();
  for (const auto& q : quarantined_files) {
    j["quarantinedFiles"].push_back({{"input", q.input}, {"reason", q.reason}, {"quarantineName", q.quarantine_name}});
  }
  return j;
}

std::string FolderReport::Summary() const {
  std::ostringstream s;
  s << "files: " << files << ", de-identified: " << deidentified << ", quarantined: " << quarantined << "\n";
  s << "bytes in: " << bytes_in << ", bytes out: " << bytes_out << "\n";
  for (const auto& [m, n] : modalities) s << "  modality " << (m.empty() ? "(none)" : m) << ": " << n << "\n";
  std::map<std::string, std::uint64_t> reasons;
  for (const auto& q : quarantined_files) ++reasons[q.reason];
  std::vector<std::pair<std::uint64_t, std::string>> top;
  top.reserve(reasons.size());
  for (const auto& [r, n] : reasons) top.emplace_back(n, r);
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (!top.empty()) s << "quarantine reasons (see " << quarantine_dir.string() << "):\n";
  for (const auto& [n, r] : top) s << "  " << n << " x " << r << "\n";
  return s.str();
}

Result<FolderReport> DeidentifyFolder(const InstanceDeidentifier& engine, const FolderRunOptions& options) {
  Env& env = *options.env;
  std::error_code ec;
  if (auto input = env.Stat(options.input.string()); !input.ok() || input->type != FileType::kDirectory) {
    return InvalidArgumentError("input folder " + options.input.string() +
                                " does not exist or is not a folder; pass --input with a folder of DICOM files");
  }
  fs::path quarantine = options.quarantine;
  if (quarantine.empty()) {
    fs::path out = options.output;
    if (!out.has_filename()) out = out.parent_path();
    quarantine = out;
    quarantine += "-quarantine";
  }
  auto in_abs = fs::weakly_canonical(options.input, ec);
  for (const fs::path& p : {options.output, quarantine}) {
    auto abs = fs::weakly_canonical(p, ec);
    auto rel = abs.lexically_relative(in_abs);
    if (!rel.empty() && *rel.begin() != "..") {
      return InvalidArgumentError(p.string() + " lies inside the input folder; choose an output outside it");
    }
    if (Status made = CreateDirs(env, p.string()); !made.ok()) {
      return InvalidArgumentError("cannot create " + p.string() + ": " + made.message());
    }
  }

  auto listed = ListFilesRecursively(env, options.input.string());
  if (!listed.ok()) return listed.status().WithContext("cannot list " + options.input.string());
  const std::vector<fs::path> files(listed->begin(), listed->end());

  FolderReport report;
  report.quarantine_dir = quarantine;
  report.files = files.size();
  std::vector<std::optional<QuarantinedFile>> quarantined(files.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> ok_count{0}, bytes_in{0}, bytes_out{0};
  std::mutex mu;
  Status fatal;  // GUARDED_BY(mu): an output we could not write stops the run
  // GUARDED_BY(mu): per input, where its output went; per output, which input wrote it last.
  std::vector<std::string> written(files.size());
  std::vector<std::string> modality_of(files.size());
  std::map<std::string, std::size_t> last_writer;

  // Copies input `i` (when readable) and a reason file into the quarantine folder.
  auto quarantine_file = [&](std::size_t i, const std::string* bytes, const std::string& reason) {
    std::string rel = files[i].lexically_relative(options.input).string();
    char name[32];
    std::snprintf(name, sizeof(name), "q%06zu", i);
    Status s = Status::Ok();
    if (bytes != nullptr) s = WriteAtomically(env, quarantine / (std::string(name) + ".dcm"), *bytes);
    if (s.ok()) {
      s = WriteAtomically(env, quarantine / (std::string(name) + ".reason.txt"),
                          "input: " + rel + "\nreason: " + reason + "\n");
    }
    std::lock_guard<std::mutex> lock(mu);
    quarantined[i] = QuarantinedFile{rel, reason, name};
    return s;
  };
  // Workers take runs of consecutive files (one series lies in one folder), so
  // they seldom create files in the same output folder at once: the kernel
  // serialises creations within a folder.
  constexpr std::size_t kRun = 32;
  // The head path: true when input `i` was de-identified from its first bytes
  // and written; false when it must go the whole-file way.
  auto try_head_path = [&](std::size_t i) -> bool {
    auto in = env.NewRandomAccessFile(files[i].string());
    if (!in.ok() || (*in)->Size() <= kHeadBytes) return false;
    const std::uint64_t size = (*in)->Size();
    thread_local std::string head;
    head.resize(kHeadBytes);
    auto n = (*in)->Read(0, head.size(), head.data());
    if (!n.ok() || *n != head.size()) return false;
    auto result = engine.DeidentifyHead(head, size);
    if (!result.ok() || !SafeComponent(result->instance.study_instance_uid) ||
        !SafeComponent(result->instance.series_instance_uid) || !SafeComponent(result->instance.sop_instance_uid)) {
      return false;
    }
    const DeidentifiedInstance& d = result->instance;
    fs::path out = options.output / d.study_instance_uid / d.series_instance_uid / (d.sop_instance_uid + ".dcm");
    Tail tail{in->get(), result->tail_offset, size - result->tail_offset, result->tail_bits};
    Status s = WriteAtomically(env, out, d.bytes, &tail);
    if (s.code() == StatusCode::kFailedPrecondition) return false;
    std::lock_guard<std::mutex> lock(mu);
    if (!s.ok()) {
      if (fatal.ok()) fatal = s;
    } else {
      ++ok_count;
      bytes_in += size;
      bytes_out += d.bytes.size() + tail.length;
      ++report.modalities[d.modality];
      written[i] = out.string();
      modality_of[i] = d.modality;
      last_writer[out.string()] = i;
    }
    return true;
  };
  // Writes the output of input `i`, or quarantines it (with `input`, its bytes,
  // when they could be read) for the engine's reason.
  auto finish = [&](std::size_t i, Result<DeidentifiedInstance> result, const std::string* input) {
    if (result.ok() && !(SafeComponent(result->study_instance_uid) && SafeComponent(result->series_instance_uid) &&
                         SafeComponent(result->sop_instance_uid))) {
      result = InvalidArgumentError("UIDs unusable as file names after de-identification");
    }
    if (result.ok()) {
      fs::path out = options.output / result->study_instance_uid / result->series_instance_uid /
                     (result->sop_instance_uid + ".dcm");
      Status s = WriteAtomically(env, out, result->bytes);
      std::lock_guard<std::mutex> lock(mu);
      if (!s.ok()) {
        if (fatal.ok()) fatal = s;
        return;
      }
      ++ok_count;
      bytes_out += result->bytes.size();
      ++report.modalities[result->modality];
      written[i] = out.string();
      modality_of[i] = result->modality;
      last_writer[out.string()] = i;
      return;
    }
    Status s = quarantine_file(i, input, result.status().message());
    std::lock_guard<std::mutex> lock(mu);
    if (!s.ok() && fatal.ok()) fatal = s;
  };
  // Inputs the engine de-identifies with the rest of their series
  // (InstanceDeidentifier::SeriesKey()): series key -> indices into `files`,
  // in path order. Only indices are held; the files are read again per series.
  const bool grouping = engine.GroupsSeries();
  std::map<std::string, std::vector<std::size_t>> series;  // GUARDED_BY(mu) while the workers run
  auto process = [&](std::size_t i) {
    if (!grouping && try_head_path(i)) return;
    thread_local std::string input;
    Status read = ReadInputInto(env, files[i], input);
    if (read.ok()) bytes_in += input.size();
    if (read.ok() && grouping) {
      std::string key = engine.SeriesKey(input);
      if (!key.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        series[key].push_back(i);
        return;
      }
    }
    finish(i, read.ok() ? engine.Deidentify(input) : Result<DeidentifiedInstance>(read), read.ok() ? &input : nullptr);
  };
  // De-identifies one series; done(k, ...) receives the result of members[k].
  auto deidentify_series = [&](const std::vector<std::size_t>& members,
                               const InstanceDeidentifier::SeriesResult& done) {
    engine.DeidentifySeries(
        members.size(), [&](std::size_t k) -> Result<std::string> { return ReadInput(env, files.at(members.at(k))); },
        done);
  };
  auto process_series = [&](const std::vector<std::size_t>& members) {
    std::vector<bool> answered(members.size(), false);
    deidentify_series(members, [&](std::size_t k, Result<DeidentifiedInstance> result) {
      if (k >= members.size() || answered[k]) return;
      answered[k] = true;
      std::optional<Result<std::string>> input;
      if (!result.ok()) input = ReadInput(env, files[members[k]]);
      finish(members[k], std::move(result), input && input->ok() ? &**input : nullptr);
    });
    for (std::size_t k = 0; k < members.size(); ++k) {
      if (answered[k]) continue;
      auto input = ReadInput(env, files[members[k]]);
      finish(members[k], Result<DeidentifiedInstance>(InternalError("no outcome from the series de-identification")),
             input.ok() ? &*input : nullptr);
    }
  };
  auto worker = [&] {
    for (std::size_t start = next.fetch_add(kRun); start < files.size(); start = next.fetch_add(kRun)) {
      for (std::size_t i = start; i < std::min(start + kRun, files.size()); ++i) process(i);
    }
  };
  unsigned jobs = options.jobs != 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, files.size())));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (!fatal.ok()) return fatal;

  // Then every series, one per worker at a time (each holds one series' working copy).
  std::vector<const std::vector<std::size_t>*> pending;
  std::map<std::size_t, const std::vector<std::size_t>*> series_of;  // input -> its series
  for (auto& [key, members] : series) {
    std::sort(members.begin(), members.end());  // path order, whatever the workers' order
    pending.push_back(&members);
    for (std::size_t i : members) series_of[i] = &members;
  }
  std::atomic<std::size_t> next_series{0};
  auto series_worker = [&] {
    for (std::size_t g = next_series++; g < pending.size(); g = next_series++) process_series(*pending[g]);
  };
  unsigned series_jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, pending.size())));
  threads.clear();
  for (unsigned t = 1; t < series_jobs; ++t) threads.emplace_back(series_worker);
  series_worker();
  for (auto& t : threads) t.join();
  if (!fatal.ok()) return fatal;

  // De-identifies input `i`, a member of `members`, again with its series.
  auto deidentify_again = [&](std::size_t i, const std::vector<std::size_t>& members) -> Result<DeidentifiedInstance> {
    std::optional<Result<DeidentifiedInstance>> again;
    deidentify_series(members, [&](std::size_t k, Result<DeidentifiedInstance> result) {
      if (k < members.size() && members[k] == i) again = std::move(result);
    });
    if (!again) return InternalError("no outcome from the series de-identification");
    return std::move(*again);
  };

  // Inputs that share a SOP Instance UID share an output: the first input in path
  // order is kept (rewritten if another one wrote last), the others are quarantined.
  std::map<std::string, std::vector<std::size_t>> writers;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!written[i].empty()) writers[written[i]].push_back(i);
  }
  for (auto& [path, inputs] : writers) {
    if (inputs.size() < 2) continue;
    std::size_t keep = inputs.front();
    if (last_writer[path] != keep) {
      Result<DeidentifiedInstance> result = InternalError("unset");
      if (auto in_series = series_of.find(keep); in_series != series_of.end()) {
        result = deidentify_again(keep, *in_series->second);
      } else {
        auto bytes = ReadInput(env, files[keep]);
        if (!bytes.ok()) return bytes.status().WithContext("re-reading an input");
        result = engine.Deidentify(*bytes);
      }
      if (!result.ok()) return InternalError("an input de-identified differently on a second pass");
      ONCOATLAS_RETURN_IF_ERROR(WriteAtomically(env, path, result->bytes));
    }
    for (std::size_t k = 1; k < inputs.size(); ++k) {
      std::size_t i = inputs[k];
      auto bytes = ReadInput(env, files[i]);
      ONCOATLAS_RETURN_IF_ERROR(quarantine_file(i, bytes.ok() ? &*bytes : nullptr,
                                                "another input has the same SOP Instance UID; the first in path "
                                                "order was kept"));
      --ok_count;
      if (--report.modalities[modality_of[i]] == 0) report.modalities.erase(modality_of[i]);
    }
  }

  ONCOATLAS_RETURN_IF_ERROR(env.SyncFileSystem(options.output.string()));
  ONCOATLAS_RETURN_IF_ERROR(env.SyncFileSystem(quarantine.string()));

  report.deidentified = ok_count;
  report.bytes_in = bytes_in;
  report.bytes_out = bytes_out;
  for (auto& q : quarantined) {
    if (q) report.quarantined_files.push_back(std::move(*q));
  }
  report.quarantined = report.quarantined_files.size();
  return report;
}

}  // namespace oncoatlas::deid

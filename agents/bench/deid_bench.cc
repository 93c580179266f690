// deid_bench: files/s and MB/s of `oncoatlas-agent deidentify` (the full PS3.15
// profile) on 2,000 small synthetic CT files, against two baselines measured in
// the same run on the same files: `dcmodify -ep -ma ... -gin` (a header-only
// subset without consistent UIDs) and a plain `cp`. Run by `make bench`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "core/subprocess.h"

namespace {

namespace fs = std::filesystem;
using oncoatlas::RunSubprocess;
using oncoatlas::SubprocessOptions;

struct Figure {
  std::string name;
  double seconds = 0;
};

double Timed(const std::vector<std::string>& argv, const std::string& what) {
  SubprocessOptions o;
  o.timeout = std::chrono::minutes(30);
  auto start = std::chrono::steady_clock::now();
  auto r = RunSubprocess(argv, o);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok() || !r->success()) {
    std::cerr << "deid_bench: " << what << " failed: " << (r.ok() ? r->Describe() : r.status().ToString()) << "\n";
    std::exit(1);
  }
  return s;
}

}  // namespace

int main() {
  fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  fs::path tmp = fs::temp_directory_path() / ("oncoatlas-deid-bench-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const int patients = 50, slices = 40;  // 2,000 CT files of about 40 KB
  Timed({(bin / "oncoatlas-synth").string(), "--output", (tmp / "corpus").string(), "--only-ct", "--patients",
         std::to_string(patients), "--slices", std::to_string(slices), "--matrix", "128", "--seed", "3"},
        "oncoatlas-synth");
  fs::path input = tmp / "corpus" / "dicom";
  std::vector<std::string> files;
  std::uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(input)) {
    if (e.is_regular_file()) {
      files.push_back(e.path().string());
      bytes += e.file_size();
    }
  }
  std::sort(files.begin(), files.end());
  const double mb = static_cast<double>(bytes) / 1e6;
  {
    FILE* key = std::fopen((tmp / "key").c_str(), "wb");
    std::fputs("benchmark-key-0123456789abcdef", key);
    std::fclose(key);
  }
  std::vector<Figure> figures;
  figures.push_back({"cp -r", Timed({"cp", "-r", input.string(), (tmp / "copy").string()}, "cp")});

  // dcmodify edits in place: give it its own copy (not timed).
  Timed({"cp", "-r", input.string(), (tmp / "dcmodify").string()}, "cp for dcmodify");
  std::vector<std::string> dcmodify = {
      "dcmodify", "-nb",          "-ep", "-gin",         "-ma", "(0010,0010)=ANON", "-ma", "(0010,0020)=ANON",
      "-ma",      "(0010,0030)=", "-ma", "(0008,0050)=", "-ma", "(0008,0090)=",     "-ma", "(0008,0020)=",
      "-ea",      "(0008,0080)",  "-ea", "(0010,1040)",  "-ea", "(0010,2154)",      "-ea", "(0008,1030)",
      "-ea",      "(0008,103E)",  "-ea", "(0020,4000)"};
  for (const auto& f : files) dcmodify.push_back((tmp / "dcmodify" / fs::relative(f, input)).string());
  figures.push_back({"dcmodify -ep -ma ... -gin (1 process)", Timed(dcmodify, "dcmodify")});

  auto agent = [&](const std::string& out, const std::string& jobs) {
    return Timed({(bin / "oncoatlas-agent").string(), "deidentify", "--input", input.string(), "--output",
                  (tmp / out).string(), "--key-file", (tmp / "key").string(), "--jobs", jobs},
                 "oncoatlas-agent");
  };
  figures.push_back({"oncoatlas-agent deidentify, full profile, 1 job", agent("deid1", "1")});
  const std::string cores = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
  figures.push_back({"oncoatlas-agent deidentify, full profile, " + cores + " jobs", agent("deidN", cores)});

  std::printf("%zu files, %.1f MB (%.1f KB each)\n", files.size(), mb, mb * 1000 / files.size());
  const double cp = figures[0].seconds, dcm = figures[1].seconds;
  for (const Figure& f : figures) {
    std::printf("%-52s %7.2f s %8.0f files/s %7.1f MB/s  x%.2f of dcmodify files/s  %3.0f%% of cp MB/s\n",
                f.name.c_str(), f.seconds, files.size() / f.seconds, mb / f.seconds, dcm / f.seconds,
                100.0 * cp / f.seconds);
  }
  fs::remove_all(tmp);
  return 0;
}

// deid_bench: throughput of `oncoatlas-agent deidentify` (the full PS3.15
// profile) against baselines measured in the same run on the same files:
// (a) 2,000 small synthetic CT files (~40 KB): files/s and MB/s against
//     `dcmodify -ep -ma ... -gin` (a header-only subset without consistent
//     UIDs, one process) and plain `cp -r`;
// (b) 300 multi-frame files (~2 MB): MB/s against `cp -r`, and the agent's peak
//     resident memory on N and 2N of those files (bounded: it must not grow
//     with the number of files).
// Each figure is the best of two runs (the machine is shared). Run by `make bench`.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/subprocess.h"

namespace {

namespace fs = std::filesystem;

struct Measured {
  double seconds = 0;
  double cpu_seconds = 0;  // user + system: what the work cost, whatever else the machine runs
  long peak_rss_kb = 0;
};

// Runs argv to completion (stdout to /dev/null); its wall time and peak RSS.
Measured Run(const std::vector<std::string>& argv, const std::string& what) {
  std::fflush(nullptr);  // the child must not inherit unwritten output
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd < 0 || ::dup2(null_fd, STDOUT_FILENO) < 0) ::_exit(126);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "deid_bench: " << what << " failed (status " << status << ")\n";
    std::exit(1);
  }
  Measured m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.peak_rss_kb = usage.ru_maxrss;
  m.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  return m;
}

// Best of two runs; `prepare` (untimed) runs before each, e.g. to clear the output.
template <class Prepare>
Measured Best(const std::vector<std::string>& argv, const std::string& what, Prepare prepare) {
  Measured best;
  for (int i = 0; i < 2; ++i) {
    prepare();
    Measured m = Run(argv, what);
    if (i == 0 || m.seconds < best.seconds) best = m;
  }
  return best;
}

struct Corpus {
  fs::path dir;
  std::vector<fs::path> files;
  double mb = 0;
};

Corpus Scan(const fs::path& dir) {
  Corpus c{dir, {}, 0};
  std::uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      c.files.push_back(e.path());
      bytes += e.file_size();
    }
  }
  std::sort(c.files.begin(), c.files.end());
  c.mb = static_cast<double>(bytes) / 1e6;
  return c;
}

void Print(const std::string& name, const Corpus& c, const Measured& m, double cp_seconds, double dcmodify_seconds) {
  std::printf("  %-50s %7.2f s (cpu %6.2f s) %6.0f files/s %7.1f MB/s", name.c_str(), m.seconds, m.cpu_seconds,
              c.files.size() / m.seconds, c.mb / m.seconds);
  if (dcmodify_seconds > 0) std::printf("  x%.2f of dcmodify files/s", dcmodify_seconds / m.seconds);
  std::printf("  %4.0f%% of cp MB/s\n", 100.0 * cp_seconds / m.seconds);
}

}  // namespace

int main() {
  const fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  const fs::path tmp = fs::temp_directory_path() / ("oncoatlas-deid-bench-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string agent = (bin / "oncoatlas-agent").string(), synth = (bin / "oncoatlas-synth").string();
  const std::string cores = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
  {
    FILE* key = std::fopen((tmp / "key").c_str(), "wb");
    std::fputs("benchmark-key-0123456789abcdef", key);
    std::fclose(key);
  }
  auto clear = [&](const std::string& name) {
    return [&tmp, name] {
      fs::remove_all(tmp / name);
      fs::remove_all(tmp / (name + "-quarantine"));
    };
  };
  auto deidentify = [&](const Corpus& c, const std::string& out, const std::string& jobs) {
    return std::vector<std::string>{agent,        "deidentify",
                                    "--input",    c.dir.string(),
                                    "--output",   (tmp / out).string(),
                                    "--key-file", (tmp / "key").string(),
                                    "--jobs",     jobs};
  };

  // (a) 2,000 small CT files.
  Run({synth, "--output", (tmp / "small").string(), "--only-ct", "--patients", "50", "--slices", "40", "--matrix",
       "128", "--seed", "3"},
      "oncoatlas-synth (small files)");
  const Corpus small = Scan(tmp / "small" / "dicom");
  std::printf("(a) %zu small CT files, %.1f MB (%.1f KB each)\n", small.files.size(), small.mb,
              small.mb * 1000 / small.files.size());
  Measured cp_a = Best({"cp", "-r", small.dir.string(), (tmp / "copy").string()}, "cp", clear("copy"));
  std::vector<std::string> dcmodify = {
      "dcmodify", "-nb",          "-ep", "-gin",         "-ma", "(0010,0010)=ANON", "-ma", "(0010,0020)=ANON",
      "-ma",      "(0010,0030)=", "-ma", "(0008,0050)=", "-ma", "(0008,0090)=",     "-ma", "(0008,0020)=",
      "-ea",      "(0008,0080)",  "-ea", "(0010,1040)",  "-ea", "(0010,2154)",      "-ea", "(0008,1030)",
      "-ea",      "(0008,103E)",  "-ea", "(0020,4000)"};
  for (const auto& f : small.files) dcmodify.push_back((tmp / "dcmodify" / fs::relative(f, small.dir)).string());
  // dcmodify edits in place: each run gets a fresh copy (not timed).
  Measured dcm = Best(dcmodify, "dcmodify", [&] {
    fs::remove_all(tmp / "dcmodify");
    fs::copy(small.dir, tmp / "dcmodify", fs::copy_options::recursive);
  });
  Measured agent_a1 = Best(deidentify(small, "deid-a", "1"), "oncoatlas-agent", clear("deid-a"));
  Measured agent_an = Best(deidentify(small, "deid-a", cores), "oncoatlas-agent", clear("deid-a"));
  Print("cp -r", small, cp_a, cp_a.seconds, dcm.seconds);
  Print("dcmodify -ep -ma ... -gin (1 process)", small, dcm, cp_a.seconds, dcm.seconds);
  Print("oncoatlas-agent deidentify, full profile, 1 job", small, agent_a1, cp_a.seconds, dcm.seconds);
  Print("oncoatlas-agent deidentify, full profile, " + cores + " jobs", small, agent_an, cp_a.seconds, dcm.seconds);
  std::printf("  ratio: agent (%s jobs) / dcmodify files/s = %.2f (goal >= 2)\n", cores.c_str(),
              dcm.seconds / agent_an.seconds);
  fs::remove_all(tmp / "small");
  fs::remove_all(tmp / "dcmodify");
  clear("deid-a")();
  clear("copy")();

  // (b) 300 multi-frame files of ~2 MB (16 frames of 256 x 256 x 16 bits).
  Run({synth, "--output", (tmp / "large").string(), "--only-ct", "--patients", "300", "--slices", "1", "--matrix",
       "256", "--frames", "16", "--seed", "5"},
      "oncoatlas-synth (multi-frame files)");
  const Corpus large = Scan(tmp / "large" / "dicom");
  std::printf("(b) %zu multi-frame files, %.1f MB (%.2f MB each)\n", large.files.size(), large.mb,
              large.mb / large.files.size());
  Measured cp_b = Best({"cp", "-r", large.dir.string(), (tmp / "copy").string()}, "cp", clear("copy"));
  // The agent makes its output durable (one syncfs per run); so does this baseline.
  Measured cp_sync =
      Best({"sh", "-c", "cp -r \"$0\" \"$1\" && sync -f \"$1\"", large.dir.string(), (tmp / "copy").string()},
           "cp + sync", clear("copy"));
  clear("copy")();
  Measured agent_b = Best(deidentify(large, "deid-b", cores), "oncoatlas-agent", clear("deid-b"));
  clear("deid-b")();
  Print("cp -r", large, cp_b, cp_b.seconds, 0);
  Print("cp -r, then sync -f (durable, as the agent)", large, cp_sync, cp_b.seconds, 0);
  Print("oncoatlas-agent deidentify, full profile, " + cores + " jobs", large, agent_b, cp_b.seconds, 0);
  std::printf("  ratio: agent / cp MB/s = %.0f%%; agent / (cp + sync) MB/s = %.0f%% (goal >= 70%% of cp)\n",
              100.0 * cp_b.seconds / agent_b.seconds, 100.0 * cp_sync.seconds / agent_b.seconds);

  // Memory: the same run on the first half (N) and on all (2N) of the files.
  fs::create_directories(tmp / "half");
  for (std::size_t i = 0; i < large.files.size() / 2; ++i) {
    fs::create_hard_link(large.files[i], tmp / "half" / ("f" + std::to_string(i) + ".dcm"));
  }
  const Corpus half = Scan(tmp / "half");
  Measured mem_n = Run(deidentify(half, "deid-n", cores), "oncoatlas-agent (N files)");
  clear("deid-n")();
  std::printf("  peak RSS: %zu files %ld MB, %zu files %ld MB (ratio %.2f; bounded if ~1)\n", half.files.size(),
              mem_n.peak_rss_kb / 1024, large.files.size(), agent_b.peak_rss_kb / 1024,
              static_cast<double>(agent_b.peak_rss_kb) / static_cast<double>(std::max(1L, mem_n.peak_rss_kb)));
  fs::remove_all(tmp);
  return 0;
}

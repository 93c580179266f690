// deid_bench: throughput of `oncoatlas-agent deidentify` (the full PS3.15
// profile) against baselines measured in the same run on the same files:
// (a) 2,000 small synthetic CT files (~40 KB): files/s against
//     `dcmodify -ep -ma ... -gin` (a header-only subset without consistent
//     UIDs, one process) and plain `cp -r`;
// (b) 300 multi-frame files (~2 MB): MB/s against `cp -r`, and the agent's peak
//     resident memory on N and 2N of those files (bounded: it must not grow
//     with the number of files).
// Durability differs: the agent ends every run with one syncfs() of its output
// file system, dcmodify and cp do not. Each is therefore also measured followed
// by `sync -f`; the goal lines compare like with like (both durable), and the
// ratios against the unsynced baselines are printed beside them. The CPU time
// per file shows the work whatever the load. Every command runs kRepetitions
// times, interleaved with the others so that a change in the machine's load
// hits all alike; the best run counts, and the range of all runs is printed.
// Run by `make bench`.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr int kRepetitions = 3;

struct Measured {
  double seconds = 0;
  double cpu_seconds = 0;  // user + system of the command and its children
  long peak_rss_kb = 0;
};

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// Runs argv to completion (stdout to /dev/null); its wall time, CPU time and peak RSS.
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

// One command under test: its command line for an output folder (and an
// untimed preparation of that folder, if any), and its runs.
struct Contender {
  std::string name;
  std::function<std::vector<std::string>(const fs::path& out)> argv;
  std::function<void(const fs::path& out)> prepare;
  std::vector<Measured> runs;

  const Measured& Best() const {
    return *std::min_element(runs.begin(), runs.end(),
                             [](const Measured& a, const Measured& b) { return a.seconds < b.seconds; });
  }
  double Slowest() const {
    return std::max_element(runs.begin(), runs.end(),
                            [](const Measured& a, const Measured& b) { return a.seconds < b.seconds; })
        ->seconds;
  }
};

// kRepetitions rounds; each round runs every contender once, in order, each
// into a folder of its own under `scratch`. Nothing is deleted until all runs
// are done (ext4 searches past recently deleted inodes when it creates files,
// which would slow whoever creates files next), and the page cache is flushed
// (untimed) before every run, so no run pays for another's writes.
void RunInterleaved(const fs::path& scratch, std::vector<Contender*> contenders) {
  fs::create_directories(scratch);
  int n = 0;
  for (int round = 0; round < kRepetitions; ++round) {
    for (Contender* c : contenders) {
      fs::path out = scratch / (std::string("run") += std::to_string(n++));
      if (c->prepare) c->prepare(out);
      ::sync();
      c->runs.push_back(Run(c->argv(out), c->name));
    }
  }
  fs::remove_all(scratch);
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

void PrintHeader() {
  std::printf("  %-52s %8s %15s %9s %15s %9s %8s\n", "command", "best s", "files/s (range)", "MB/s", "(range)", "cpu s",
              "cpu ms/f");
}

void Print(const Contender& c, const Corpus& corpus) {
  const Measured& b = c.Best();
  const double n = static_cast<double>(corpus.files.size());
  std::printf("  %-52s %8.2f %6.0f (%4.0f-%4.0f) %9.1f (%5.1f-%5.1f) %9.2f %8.3f\n", c.name.c_str(), b.seconds,
              n / b.seconds, n / c.Slowest(), n / b.seconds, corpus.mb / b.seconds, corpus.mb / c.Slowest(),
              corpus.mb / b.seconds, b.cpu_seconds, 1000.0 * b.cpu_seconds / n);
}

// How `c` compares with `baseline` on throughput (best runs); with a goal, whether it was met.
void PrintRatio(const std::string& what, const Contender& c, const Contender& baseline, double goal = 0) {
  const double ratio = baseline.Best().seconds / c.Best().seconds;
  std::printf("  %-40s %6.2fx  (%s / %s)", what.c_str(), ratio, c.name.c_str(), baseline.name.c_str());
  if (goal > 0) std::printf("  goal >= %.2fx: %s", goal, ratio >= goal ? "met" : "NOT met");
  std::printf("\n");
}

}  // namespace

int main() {
  const fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  const fs::path tmp = fs::temp_directory_path() / (std::string("oncoatlas-deid-bench-") += std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string agent = (bin / "oncoatlas-agent").string(), synth = (bin / "oncoatlas-synth").string();
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  const std::string cores = std::to_string(cpus);
  std::printf("deid_bench: %u CPUs, load average %s at the start; best of %d interleaved runs, range over all\n", cpus,
              LoadAverage().c_str(), kRepetitions);
  {
    std::ofstream key(tmp / "key");
    key << "benchmark-key-0123456789abcdef";
  }
  auto deidentify = [&](const Corpus& c, const std::string& jobs) {
    return [&c, &tmp, &agent, jobs](const fs::path& out) {
      return std::vector<std::string>{agent,      "deidentify", "--input",    c.dir.string(),
                                      "--output", out.string(), "--key-file", (tmp / "key").string(),
                                      "--jobs",   jobs};
    };
  };
  auto copy = [](const Corpus& c) {
    return [&c](const fs::path& out) { return std::vector<std::string>{"cp", "-r", c.dir.string(), out.string()}; };
  };
  // `sh -c '"$@" && sync -f OUT'`: the command, then a flush of its file system.
  auto then_sync = [](std::function<std::vector<std::string>(const fs::path&)> command) {
    return [command](const fs::path& out) {
      std::vector<std::string> argv = command(out);
      argv.insert(argv.begin(), {"sh", "-c", std::string("\"$@\" && sync -f ") += out.parent_path().string(), "sh"});
      return argv;
    };
  };

  // (a) 2,000 small CT files.
  Run({synth, "--output", (tmp / "small").string(), "--only-ct", "--patients", "50", "--slices", "40", "--matrix",
       "128", "--seed", "3"},
      "oncoatlas-synth (small files)");
  const Corpus small = Scan(tmp / "small" / "dicom");
  std::printf("\n(a) %zu small CT files, %.1f MB (%.1f KB each)\n", small.files.size(), small.mb,
              small.mb * 1000 / small.files.size());
  const std::vector<std::string> dcmodify_options = {
      "dcmodify", "-nb",          "-ep", "-gin",         "-ma", "(0010,0010)=ANON", "-ma", "(0010,0020)=ANON",
      "-ma",      "(0010,0030)=", "-ma", "(0008,0050)=", "-ma", "(0008,0090)=",     "-ma", "(0008,0020)=",
      "-ea",      "(0008,0080)",  "-ea", "(0010,1040)",  "-ea", "(0010,2154)",      "-ea", "(0008,1030)",
      "-ea",      "(0008,103E)",  "-ea", "(0020,4000)"};
  // dcmodify edits in place: each run gets a fresh copy (not timed).
  auto dcmodify = [&](const fs::path& out) {
    std::vector<std::string> argv = dcmodify_options;
    for (const auto& f : small.files) argv.push_back((out / fs::relative(f, small.dir)).string());
    return argv;
  };
  auto fresh_copy = [&](const fs::path& out) { fs::copy(small.dir, out, fs::copy_options::recursive); };
  Contender cp_a{"cp -r", copy(small), nullptr, {}};
  Contender cp_a_sync{"cp -r && sync -f", then_sync(copy(small)), nullptr, {}};
  Contender dcm{"dcmodify -ep -ma ... -gin (1 process)", dcmodify, fresh_copy, {}};
  Contender dcm_sync{"dcmodify -ep -ma ... -gin && sync -f", then_sync(dcmodify), fresh_copy, {}};
  Contender agent_a1{"agent deidentify, full profile, 1 job (syncfs)", deidentify(small, "1"), nullptr, {}};
  Contender agent_an{(std::string("agent deidentify, full profile, ") += cores) += " jobs (syncfs)",
                     deidentify(small, cores),
                     nullptr,
                     {}};
  RunInterleaved(tmp / "runs-a", {&cp_a, &cp_a_sync, &dcm, &dcm_sync, &agent_a1, &agent_an});
  PrintHeader();
  for (const Contender* c : {&cp_a, &cp_a_sync, &dcm, &dcm_sync, &agent_a1, &agent_an}) Print(*c, small);
  const double n_small = static_cast<double>(small.files.size());
  std::printf(
      "  CPU per file (best runs): agent 1 job %.3f ms, agent %s jobs %.3f ms, dcmodify %.3f ms (%.2fx the "
      "agent's 1-job CPU)\n",
      1000.0 * agent_a1.Best().cpu_seconds / n_small, cores.c_str(), 1000.0 * agent_an.Best().cpu_seconds / n_small,
      1000.0 * dcm.Best().cpu_seconds / n_small, dcm.Best().cpu_seconds / agent_a1.Best().cpu_seconds);
  // The goal lines compare like with like: every command ends with its output on disk.
  PrintRatio("GOAL (a) files/s, both durable", agent_an, dcm_sync, 2.0);
  PrintRatio("files/s, dcmodify not synced", agent_an, dcm);
  PrintRatio("files/s, one core each", agent_a1, dcm);
  PrintRatio("against a durable copy", agent_an, cp_a_sync);
  PrintRatio("against a plain copy (not synced)", agent_an, cp_a);
  fs::remove_all(tmp / "small");

  // (b) 300 multi-frame files of ~2 MB (16 frames of 256 x 256 x 16 bits).
  Run({synth, "--output", (tmp / "large").string(), "--only-ct", "--patients", "300", "--slices", "1", "--matrix",
       "256", "--frames", "16", "--seed", "5"},
      "oncoatlas-synth (multi-frame files)");
  const Corpus large = Scan(tmp / "large" / "dicom");
  std::printf("\n(b) %zu multi-frame files, %.1f MB (%.2f MB each); load average %s\n", large.files.size(), large.mb,
              large.mb / large.files.size(), LoadAverage().c_str());
  Contender cp_b{"cp -r", copy(large), nullptr, {}};
  Contender cp_b_sync{"cp -r && sync -f", then_sync(copy(large)), nullptr, {}};
  Contender agent_b{(std::string("agent deidentify, full profile, ") += cores) += " jobs (syncfs)",
                    deidentify(large, cores),
                    nullptr,
                    {}};
  RunInterleaved(tmp / "runs-b", {&cp_b, &cp_b_sync, &agent_b});
  PrintHeader();
  for (const Contender* c : {&cp_b, &cp_b_sync, &agent_b}) Print(*c, large);
  PrintRatio("GOAL (b) MB/s, both durable", agent_b, cp_b_sync, 0.70);
  PrintRatio("MB/s, cp not synced (page cache only)", agent_b, cp_b, 0.70);

  // Memory: the same run on the first half (N) and on all (2N) of the files.
  fs::create_directories(tmp / "half");
  for (std::size_t i = 0; i < large.files.size() / 2; ++i) {
    fs::create_hard_link(large.files[i], tmp / "half" / ((std::string("f") += std::to_string(i)) += ".dcm"));
  }
  const Corpus half = Scan(tmp / "half");
  Measured mem_n = Run(deidentify(half, cores)(tmp / "deid-n"), "oncoatlas-agent (N files)");
  const long rss_2n = agent_b.Best().peak_rss_kb;
  std::printf("  peak RSS: %zu files %ld MB, %zu files %ld MB (ratio %.2f; bounded if ~1)\n", half.files.size(),
              mem_n.peak_rss_kb / 1024, large.files.size(), rss_2n / 1024,
              static_cast<double>(rss_2n) / static_cast<double>(std::max(1L, mem_n.peak_rss_kb)));
  std::printf("load average %s at the end\n", LoadAverage().c_str());
  fs::remove_all(tmp);
  return 0;
}

// oncoatlas-agent: the per-site node agent. `run` is the agent itself (hub
// heartbeat, PACS checks, watching its hub namespace; see node/agent_run.h);
// `deidentify` is the imaging pipeline's engine on a folder, offline, so that a
// site can check its de-identification profile before joining.
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "deid/folder_deidentification.h"
#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "dicom/dcmtk_deidentifier.h"
#include "kube/logging.h"
#include "node/agent_config.h"
#include "node/agent_run.h"
#include "node/burned_in_text_rules.h"
#include "node/heartbeat.h"

namespace {

namespace fs = std::filesystem;
using oncoatlas::Result;
using oncoatlas::Status;

Result<std::string> ReadKeyFile(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return oncoatlas::InvalidArgumentError("key file " + path +
                                           " does not exist or is not a file; create one with `openssl rand -out " +
                                           path + " 32` and keep it at the site");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in) return oncoatlas::InvalidArgumentError("cannot read key file " + path + "; check its permissions");
  std::string key = ss.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  auto p = oncoatlas::deid::Pseudonymizer::Create(key);
  if (!p.ok()) return oncoatlas::InvalidArgumentError("key file " + path + ": " + p.status().message());
  return key;
}

struct DeidentifyArgs {
  std::string input, output, quarantine, key_file, report, burned_in_text_regions;
  unsigned jobs = 0;
  oncoatlas::deid::ProfileOptions options;
  std::vector<std::string> safe_private;
};

int RunDeidentify(DeidentifyArgs& args) {
  auto fail = [](const Status& s) {
    std::cerr << "oncoatlas-agent deidentify: " << s.message() << "\n";
    return 2;
  };
  if (!args.burned_in_text_regions.empty()) {
    auto rules = oncoatlas::agent::LoadBurnedInTextRegionsFile(args.burned_in_text_regions);
    if (!rules.ok()) return fail(rules.status());
    args.options.burned_in_text = std::move(*rules);
  }
  if (args.options.clean_pixel_data && args.options.burned_in_text.empty()) {
    return fail(oncoatlas::InvalidArgumentError(
        "--clean-pixel-data needs --burned-in-text-regions FILE: a YAML or JSON list of the devices, image sizes and "
        "rectangles where they burn text (the shape of a Dataset's burnedInTextRegions)"));
  }
  if (!args.options.clean_pixel_data && !args.options.burned_in_text.empty()) {
    return fail(oncoatlas::InvalidArgumentError(
        "--burned-in-text-regions is only used with --clean-pixel-data; add the flag or drop the file"));
  }
  for (const std::string& s : args.safe_private) {
    auto t = oncoatlas::deid::SafePrivateTag::Parse(s);
    if (!t.ok()) return fail(t.status());
    args.options.safe_private.push_back(*t);
  }
  Status valid = args.options.Validate();
  if (!valid.ok()) return fail(valid);
  if (args.key_file.empty()) {
    return fail(oncoatlas::InvalidArgumentError(
        "--key-file is required: the site's secret pseudonymisation key (e.g. `openssl rand -out key.bin 32`)"));
  }
  auto key = ReadKeyFile(args.key_file);
  if (!key.ok()) return fail(key.status());
  auto pseudonymizer = oncoatlas::deid::Pseudonymizer::Create(*key);
  if (!pseudonymizer.ok()) return fail(pseudonymizer.status());
  Status init = oncoatlas::dicom::InitDicomLibrary();
  if (!init.ok()) return fail(init);

  // Every file allocates and frees a few buffers of its own size: keep the freed
  // memory in the heap rather than returning it to the kernel after each file
  // (brk/munmap and TLB flushes cost more than the de-identification). What the
  // heap keeps is bounded by the largest files in flight, one per worker.
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
  ::mallopt(M_MMAP_THRESHOLD, 16 << 20);
  oncoatlas::deid::Profile profile(args.options);
  oncoatlas::dicom::DcmtkDeidentifier engine(profile, *pseudonymizer);
  oncoatlas::deid::FolderRunOptions run{args.input, args.output, args.quarantine, args.jobs};
  auto report = oncoatlas::deid::DeidentifyFolder(engine, run);
  if (!report.ok()) return fail(report.status());
  if (!args.report.empty()) {
    std::ofstream out(args.report, std::ios::binary | std::ios::trunc);
    out << report->ToJson().dump(2) << "\n";
    if (!out) return fail(oncoatlas::InvalidArgumentError("cannot write report " + args.report));
    std::ofstream summary(args.report + ".txt", std::ios::binary | std::ios::trunc);
    summary << report->Summary();
  }
  std::cout << report->Summary();
  return 0;
}

struct RunArgs {
  std::string config;
  oncoatlas::agent::ConfigOverrides overrides;
};

// Exit codes: 0 after SIGTERM/SIGINT, 2 for a configuration the agent cannot
// start from. Trouble with the hub or the PACS is retried, never an exit.
int RunAgent(const RunArgs& args) {
  auto fail = [](const Status& s) {
    std::cerr << "oncoatlas-agent run: " << s.message() << "\n";
    return 2;
  };
  auto config = oncoatlas::agent::LoadAgentConfig(args.config);
  if (!config.ok()) return fail(config.status());
  Status overridden = oncoatlas::agent::ApplyOverrides(*config, args.overrides);
  if (!overridden.ok()) return fail(overridden);
  auto format = oncoatlas::kube::ParseLogFormat(config->log_format);
  auto level = oncoatlas::kube::ParseLogLevel(config->log_level);
  if (!format.ok()) return fail(format.status());
  if (!level.ok()) return fail(level.status());
  oncoatlas::kube::SetUpLogging({*format, *level}, "oncoatlas-agent");

  // Signals are taken by sigwait below; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  oncoatlas::agent::AgentRun agent(*config, oncoatlas::kube::DefaultClock());
  Status started = agent.Start();
  if (!started.ok()) return fail(started);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}; stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  agent.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"OncoAtlas node agent"};
  app.require_subcommand(1);
  DeidentifyArgs d;
  CLI::App* deid = app.add_subcommand(
      "deidentify", "De-identify a folder of DICOM files offline (PS3.15 Annex E, table E.1-1) and report");
  deid->add_option("--input", d.input, "Folder of DICOM files (read recursively)")->required();
  deid->add_option("--output", d.output, "Folder for de-identified files (<study>/<series>/<instance>.dcm)")
      ->required();
  deid->add_option("--quarantine", d.quarantine, "Folder for quarantined inputs (default: <output>-quarantine)");
  deid->add_option("--key-file", d.key_file, "File holding the site's secret pseudonymisation key (>= 16 bytes)");
  deid->add_option("--report", d.report, "Write a JSON report here (and a summary beside it, .txt)");
  deid->add_option("--jobs", d.jobs, "Worker threads (default: one per core)");
  auto& o = d.options;
  deid->add_flag("--clean-pixel-data", o.clean_pixel_data,
                 "Clean Pixel Data option: blank the --burned-in-text-regions rectangles of matching images");
  deid->add_option("--burned-in-text-regions", d.burned_in_text_regions,
                   "YAML or JSON list of burned-in text rules (a Dataset's spec.deidentification.burnedInTextRegions)");
  deid->add_flag("--clean-recognizable-visual-features", o.clean_recognizable_visual_features,
                 "Clean Recognizable Visual Features option: deface head CT and MR series (instances flagged "
                 "Recognizable Visual Features YES, or head CT/MR/PT without the flag); the engine decides per "
                 "instance, and reads each such series whole");
  deid->add_flag("--clean-graphics", o.clean_graphics, "Clean Graphics option");
  deid->add_flag("--clean-structured-content", o.clean_structured_content, "Clean Structured Content option");
  deid->add_flag("--clean-descriptors", o.clean_descriptors, "Clean Descriptors option");
  deid->add_flag("--retain-longitudinal-full-dates", o.retain_longitudinal_full_dates,
                 "Retain Longitudinal Temporal Information with Full Dates option");
  deid->add_flag("--retain-longitudinal-modified-dates", o.retain_longitudinal_modified_dates,
                 "Retain Longitudinal Temporal Information with Modified Dates option (per-patient shift)");
  deid->add_option("--max-date-shift-days", o.max_date_shift_days,
                   "With --retain-longitudinal-modified-dates, the largest shift of a patient's dates, either way")
      ->check(CLI::Range(1, oncoatlas::deid::ProfileOptions::kMaxDateShiftDaysLimit))
      ->capture_default_str();
  deid->add_flag("--retain-patient-characteristics", o.retain_patient_characteristics,
                 "Retain Patient Characteristics option");
  deid->add_flag("--retain-device-identity", o.retain_device_identity, "Retain Device Identity option");
  deid->add_flag("--retain-uids", o.retain_uids, "Retain UIDs option");
  deid->add_flag("--retain-institution-identity", o.retain_institution_identity, "Retain Institution Identity option");
  deid->add_flag("--retain-safe-private", o.retain_safe_private, "Retain Safe Private option");
  deid->add_option("--safe-private", d.safe_private,
                   "A private attribute to keep with --retain-safe-private, as CREATOR:gggg,xxee (repeatable)");
  RunArgs r;
  CLI::App* run = app.add_subcommand("run", "Run the node agent: hub heartbeat, PACS checks, its hub namespace");
  run->add_option("--config", r.config, "agent.yaml (the ConfigMap oncoatlas-agent-<node>)")->required();
  run->add_option("--hub-kubeconfig", r.overrides.hub_kubeconfig, "Replaces hub.kubeconfig");
  run->add_option("--store", r.overrides.store, "Replaces store.path");
  run->add_option("--health-bind-address", r.overrides.health_bind_address,
                  "Replaces server.healthBindAddress (ADDRESS:PORT; port 0 picks a free one)");
  run->add_option("--pacs-credentials-dir", r.overrides.pacs_credentials_dir,
                  "Replaces pacs.dicomweb.credentialsDir (files username + password, or token)");
  CLI11_PARSE(app, argc, argv);
  if (deid->parsed()) return RunDeidentify(d);
  if (run->parsed()) return RunAgent(r);
  return 0;
}

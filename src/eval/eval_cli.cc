#include "eval/eval_cli.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "eval/nab_runner.h"
#include "eval/nab_scorer.h"
#include "eval/smd_eval.h"
#include "models/streaming_detectors.h"

namespace foresight::eval {
namespace {
namespace fs = std::filesystem;

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int ExitFor(const Status& st) {
  return st.code() == StatusCode::kNotFound || st.code() == StatusCode::kInvalidArgument ? kExitUsage
                                                                                         : kExitRuntime;
}

struct NabFlags {
  std::string data, out, detector = "ensemble", files;
  int threads = 2;
  bool score_only = false;
  std::vector<std::string> params;  // key=value
  bool per_file = false;
};

// Published normalised scores (profile -> score) of a few NAB detectors, from the data's
// results/final_results.json when present, else the figures of ../shared/data/README.md.
std::map<std::string, std::map<std::string, double>> Published(const std::string& data) {
  std::map<std::string, std::map<std::string, double>> out = {
      {"ARTime", {{"standard", 74.9}, {"reward_low_FP_rate", 65.2}, {"reward_low_FN_rate", 80.4}}},
      {"numenta", {{"standard", 70.1}, {"reward_low_FP_rate", 63.1}, {"reward_low_FN_rate", 74.3}}},
      {"randomCutForest", {{"standard", 51.7}, {"reward_low_FP_rate", 38.4}, {"reward_low_FN_rate", 59.8}}},
  };
  std::ifstream in(fs::path(data) / "results/final_results.json");
  if (!in) return out;
  try {
    nlohmann::json j;
    in >> j;
    for (auto& [det, m] : out) {
      if (!j.contains(det)) continue;
      for (auto& [profile, v] : m) {
        if (j[det].contains(profile)) v = j[det][profile].get<double>();
      }
    }
  } catch (const std::exception&) {
  }
  return out;
}

void PrintPerFile(const std::vector<nab::ProfileResult>& results) {
  if (results.empty()) return;
  const nab::ProfileResult& p = results.front();  // the first profile (standard)
  std::printf("\nper file (%s, threshold %.6g): raw score, windows found / windows, FP rows\n", p.profile.c_str(),
              p.threshold);
  for (const auto& f : p.files) {
    std::printf("  %-62s %8.3f %3d/%-3d %5d\n", f.key.c_str(), f.score, f.windows_detected, f.windows, f.fp_rows);
  }
}

void PrintNabTable(const std::string& label, const std::vector<nab::ProfileResult>& results,
                   const std::string& data) {
  const auto pub = Published(data);
  std::printf("\n%-20s %12s %12s %10s %8s %8s %12s %10s %10s\n", "profile", label.c_str(), "threshold",
              "windows", "found", "FP rows", "Numenta HTM", "ARTime", "RCF");
  for (const auto& p : results) {
    std::printf("%-20s %12.1f %12.6g %10d %8d %8d %12.1f %10.1f %10.1f\n", p.profile.c_str(), p.normalized,
                p.threshold, p.windows, p.windows_detected, p.fp_rows, pub.at("numenta").at(p.profile),
                pub.at("ARTime").at(p.profile), pub.at("randomCutForest").at(p.profile));
  }
  std::fflush(stdout);
}

int RunNabCommand(const NabFlags& f) {
  if (!fs::is_directory(fs::path(f.data) / "data") || !fs::exists(fs::path(f.data) / "labels/combined_windows.json")) {
    std::fprintf(stderr, "eval nab: --data %s is not NAB's root (needs data/ and labels/combined_windows.json)\n",
                 f.data.c_str());
    return kExitUsage;
  }
  if (f.score_only) {
    auto windows = nab::LoadWindows((fs::path(f.data) / "labels/combined_windows.json").string());
    if (!windows.ok()) {
      std::fprintf(stderr, "eval nab: %s\n", windows.status().ToString().c_str());
      return ExitFor(windows.status());
    }
    nab::Windows sel;
    for (const auto& [k, w] : *windows) {
      if (f.files.empty() || k.find(f.files) != std::string::npos) sel[k] = w;
    }
    auto files = nab::ReadResultsDir((fs::path(f.out) / f.detector).string(), f.detector, sel);
    if (!files.ok()) {
      std::fprintf(stderr, "eval nab: %s\n", files.status().ToString().c_str());
      return ExitFor(files.status());
    }
    auto profiles = nab::LoadProfiles((fs::path(f.data) / "config/profiles.json").string());
    auto r = nab::ScoreCorpus(*files, sel, profiles.ok() ? *profiles : nab::DefaultProfiles());
    if (!r.ok()) {
      std::fprintf(stderr, "eval nab: %s\n", r.status().ToString().c_str());
      return ExitFor(r.status());
    }
    if (f.per_file) PrintPerFile(*r);
    PrintNabTable(f.detector, *r, f.data);
    return 0;
  }
  NabRunOptions o;
  o.data_dir = f.data;
  o.out_dir = f.out;
  o.detector = f.detector;
  o.filter = f.files;
  o.threads = f.threads;
  for (const std::string& kv : f.params) {
    const size_t eq = kv.find('=');
    double v = 0;
    try {
      if (eq == std::string::npos) throw std::invalid_argument(kv);
      v = std::stod(kv.substr(eq + 1));
    } catch (const std::exception&) {
      std::fprintf(stderr, "eval nab: --param %s: expected name=number\n", kv.c_str());
      return kExitUsage;
    }
    o.params[kv.substr(0, eq)] = v;
  }
  o.progress = [](size_t done, size_t total, const std::string& key, size_t rows, double secs) {
    std::fprintf(stderr, "[%2zu/%zu] %-60s %6zu rows %6.2f s\n", done, total, key.c_str(), rows, secs);
  };
  auto r = RunNab(o);
  if (!r.ok()) {
    std::fprintf(stderr, "eval nab: %s\n", r.status().ToString().c_str());
    return ExitFor(r.status());
  }
  std::fprintf(stderr, "%zu files, %zu rows in %.1f s (%.2f us/row); results in %s\n", r->files, r->rows,
               r->seconds, 1e6 * r->seconds / static_cast<double>(std::max<size_t>(r->rows, 1)),
               r->results_dir.c_str());
  if (!f.files.empty()) std::printf("(subset of the corpus: --files %s; not comparable with published scores)\n", f.files.c_str());
  if (f.per_file) PrintPerFile(r->profiles);
  PrintNabTable(f.detector, r->profiles, f.data);
  return 0;
}

}  // namespace

void AddEvalCommands(CLI::App& app, int& exit_code) {
  CLI::App* eval = app.add_subcommand("eval", "Measure the detectors on labelled benchmarks (NAB, SMD) with each benchmark's own rules.");
  eval->require_subcommand(1);

  auto nf = std::make_shared<NabFlags>();
  std::string names;
  for (const auto& n : models::StreamingDetectorNames()) names += (names.empty() ? "" : ", ") + n;
  CLI::App* nab = eval->add_subcommand("nab", "Numenta Anomaly Benchmark: stream every file, write NAB's results layout, score with NAB's rules.");
  nab->add_option("--data", nf->data, "NAB root (data/, labels/, config/), e.g. build/data/nab")->required();
  nab->add_option("--out", nf->out, "Results root: files go to OUT/<detector>/<category>/<detector>_<file>.csv")->required();
  nab->add_option("--detector", nf->detector, "Detector (" + names + "); with --score-only any results folder name, e.g. numenta");
  nab->add_option("--files", nf->files, "Only files whose key contains this (a smoke run; not comparable with published scores)");
  nab->add_option("--threads", nf->threads, "Worker threads (default 2)")->check(CLI::Range(1, 64));
  nab->add_option("--param", nf->params, "Detector tuning knob name=value (development; defaults are the shipped configuration)");
  nab->add_flag("--per-file", nf->per_file, "Also print each file's raw score, windows found and FP rows (standard profile)");
  nab->add_flag("--score-only", nf->score_only, "Score existing results in OUT/<detector> instead of running a detector");
  nab->callback([nf, &exit_code] { exit_code = RunNabCommand(*nf); });

  auto sf = std::make_shared<SmdOptions>();
  CLI::App* smd = eval->add_subcommand("smd", "Server Machine Dataset: train on train/, stream test/, point-wise F1 (primary), PA F1, PA%K, HitRate.");
  smd->add_option("--data", sf->data_dir, "SMD root (train/, test/, test_label/, interpretation_label/)")->required();
  smd->add_option("--out", sf->out_dir, "Also write per-machine scores and a JSON summary here");
  smd->add_option("--machines", sf->filter, "Only machines whose name contains this");
  smd->add_option("--attribution", sf->attribution, "Attributions for HitRate: deviation (per-metric |z|, default) or treeshap (Isolation Forest + TreeSHAP)");
  smd->callback([sf, &exit_code] {
    auto r = RunSmd(*sf);
    if (!r.ok()) {
      std::fprintf(stderr, "eval smd: %s\n", r.status().ToString().c_str());
      exit_code = ExitFor(r.status());
      return;
    }
    PrintSmdTable(*r);
    exit_code = 0;
  });
}

}  // namespace foresight::eval

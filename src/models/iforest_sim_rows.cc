// iforest_sim_rows: labelled per-entity feature rows from the fleet simulator, for bench/iforest_accuracy.py.
//   iforest_sim_rows --output-dir DIR [--hosts 8] [--hours 24] [--step 10s] [--seed 42] [--scenarios-per-hour 1]
// Backfills the simulated fleet into an in-memory SampleStore, then builds each entity's rows with
// models::BuildTrainingRows (the production training path: MetricKey, EntityFeatures, one row per tick).
// Writes per entity: <entity>.rows.csv (header f0..fN), <entity>.labels.csv (tick_ns,label: 1 while a
// scenario of that entity is active, [start, end]), and once: feature_names.txt (per entity, the schema),
// ground_truth.json.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "ingest/fleet_simulator.h"
#include "models/testing/in_memory_sample_store.h"
#include "models/trainer.h"

namespace fs = foresight;

int main(int argc, char** argv) {
  CLI::App app{"Labelled feature rows of the simulated fleet"};
  std::string out_dir, step_text = "10s";
  int hosts = 8, hours = 24;
  uint64_t seed = 42;
  double per_hour = 1;
  app.add_option("--output-dir", out_dir)->required();
  app.add_option("--hosts", hosts);
  app.add_option("--hours", hours);
  app.add_option("--step", step_text);
  app.add_option("--seed", seed);
  app.add_option("--scenarios-per-hour", per_hour);
  CLI11_PARSE(app, argc, argv);
  auto step = fs::ParseDuration(step_text);
  if (!step.ok()) {
    std::cerr << step.status().ToString() << "\n";
    return 2;
  }
  std::filesystem::create_directories(out_dir);

  const fs::TimestampNs t0 = 1'793'577'600LL * fs::kNanosPerSecond;  // 2026-11-02T00:00:00Z, a Monday
  const fs::TimestampNs t1 = t0 + static_cast<int64_t>(hours) * 3600 * fs::kNanosPerSecond;
  fs::ingest::SimulatorOptions so;
  so.hosts = hosts;
  so.seed = seed;
  so.start_ns = t0;
  so.auto_scenarios_per_hour = per_hour;
  fs::ingest::FleetSimulator sim(so);

  fs::models::testing::InMemorySampleStore store;
  std::map<std::string, fs::SeriesId> ids;
  std::vector<fs::Sample> batch;
  size_t samples = 0;
  std::cerr << "simulating " << hosts << " entities x " << hours << " h every " << step_text << "\n";
  fs::Status st = sim.Backfill(t0, t1, *step, [&](std::span<const fs::LabeledSample> in) {
    batch.clear();
    for (const auto& ls : in) {
      const std::string key = ls.labels.ToString();
      auto it = ids.find(key);
      if (it == ids.end()) {
        auto id = store.Resolve(ls.labels);
        if (!id.ok()) return id.status();
        it = ids.emplace(key, *id).first;
      }
      batch.push_back({it->second, ls.ts_ns, ls.value});
    }
    samples += batch.size();
    return store.Append(batch);
  });
  if (!st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  std::cerr << samples << " samples, " << sim.scenarios().size() << " scenarios\n";
  std::ofstream(out_dir + "/ground_truth.json") << sim.GroundTruthJson();

  fs::models::TrainOptions opt;
  opt.step_ns = *step;
  std::ofstream names_out(out_dir + "/feature_names.txt");
  const auto scenarios = sim.scenarios();
  for (const std::string& entity : sim.entities()) {
    std::vector<fs::storage::LabelMatcher> m = {{std::string(fs::kEntityLabel), fs::storage::MatchOp::kEqual, entity}};
    auto series = store.Select(m);
    if (!series.ok()) return 1;
    auto rows = fs::models::BuildTrainingRows(store, *series, t0, t1, opt);
    if (!rows.ok()) {
      std::cerr << entity << ": " << rows.status().ToString() << "\n";
      return 1;
    }
    const size_t d = rows->schema.size();
    std::ofstream csv(out_dir + "/" + entity + ".rows.csv");
    for (size_t f = 0; f < d; ++f) csv << (f ? ",f" : "f") << f;
    csv << "\n";
    char buf[40];
    for (size_t r = 0; r < rows->rows(); ++r) {
      for (size_t f = 0; f < d; ++f) {
        std::snprintf(buf, sizeof(buf), "%s%.17g", f ? "," : "", rows->values[r * d + f]);
        csv << buf;
      }
      csv << "\n";
    }
    std::ofstream labels(out_dir + "/" + entity + ".labels.csv");
    labels << "tick_ns,label\n";
    size_t positives = 0;
    for (fs::TimestampNs tick : rows->ticks) {
      bool active = false;
      for (const auto& s : scenarios) active |= s.entity == entity && tick >= s.start && tick <= s.end();
      positives += active;
      labels << tick << "," << (active ? 1 : 0) << "\n";
    }
    names_out << entity;
    for (const auto& n : rows->schema.names()) names_out << " " << n;
    names_out << "\n";
    std::cerr << entity << ": " << rows->rows() << " rows x " << d << " features, " << positives
              << " in scenarios\n";
  }
  return 0;
}

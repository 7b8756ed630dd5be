// TreeSHAP speed: 100 trees of depth 8 over 32 features (the target: < 200 us per row), plus the
// plain score for scale.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "explain/explain.h"

namespace {

using foresight::models::IsolationForestModel;

std::shared_ptr<const IsolationForestModel> Model(size_t d, int trees, int psi, int depth) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> x(20000 * d);
  for (double& v : x) v = g(rng);
  foresight::models::IsolationForestOptions o;
  o.num_trees = trees;
  o.subsample = psi;
  o.max_depth = depth;
  return *IsolationForestModel::Train(x, d, {}, o);
}

std::vector<std::vector<double>> Rows(size_t d, size_t n) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> g(0, 1.5);
  std::vector<std::vector<double>> rows(n, std::vector<double>(d));
  for (auto& r : rows) {
    for (double& v : r) v = g(rng);
  }
  return rows;
}

void BM_TreeShap_100x8_32f(benchmark::State& state) {
  const auto m = Model(32, 100, 256, 8);
  const auto rows = Rows(32, 256);
  size_t i = 0;
  for (auto _ : state) {
    auto e = foresight::explain::TreeShap(*m, rows[i++ % rows.size()]);
    benchmark::DoNotOptimize(e.contributions.data());
  }
  state.counters["nodes_per_tree"] = static_cast<double>(m->num_nodes()) / 100.0;
}
BENCHMARK(BM_TreeShap_100x8_32f)->Unit(benchmark::kMicrosecond);

void BM_Score_100x8_32f(benchmark::State& state) {
  const auto m = Model(32, 100, 256, 8);
  const auto rows = Rows(32, 256);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m->Score(rows[i++ % rows.size()]));
}
BENCHMARK(BM_Score_100x8_32f)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

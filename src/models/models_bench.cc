// Isolation Forest costs: scoring one 32-feature row with 100 trees (target < 5 us), batch scoring,
// explanation, and training on 10k x 32 rows (build only and with threshold calibration).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "models/isolation_forest.h"
#include "models/testing/in_memory_sample_store.h"
#include "models/trainer.h"

namespace foresight::models {
namespace {

constexpr size_t kFeatures = 32;

const std::vector<double>& Data(size_t rows) {
  static std::vector<double> x = [] {
    std::mt19937_64 rng(1);
    std::normal_distribution<double> g(0, 1);
    std::vector<double> v(10'000 * kFeatures);
    for (double& d : v) d = g(rng);
    return v;
  }();
  (void)rows;
  return x;
}

IsolationForestPtr Model() {
  static IsolationForestPtr m = *IsolationForestModel::Train(Data(10'000), kFeatures, {}, {});
  return m;
}

void BM_ScoreOneRow(benchmark::State& state) {
  auto m = Model();
  const auto& x = Data(10'000);
  size_t r = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m->Score(std::span<const double>(x).subspan((r++ % 10'000) * kFeatures, kFeatures)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScoreOneRow);

void BM_ScoreBatch10k(benchmark::State& state) {
  auto m = Model();
  const auto& x = Data(10'000);
  std::vector<double> out;
  for (auto _ : state) {
    m->ScoreBatch(x, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 10'000);
}
BENCHMARK(BM_ScoreBatch10k)->Unit(benchmark::kMillisecond);

void BM_ExplainOneRow(benchmark::State& state) {
  auto m = Model();
  const auto& x = Data(10'000);
  size_t r = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m->Explain(std::span<const double>(x).subspan((r++ % 10'000) * kFeatures, kFeatures)));
  }
}
BENCHMARK(BM_ExplainOneRow);

// Arg 0: forest build only (calibration on 2 rows); arg 1: with the default calibration (8192 rows scored).
void BM_Train10kx32(benchmark::State& state) {
  const auto& x = Data(10'000);
  IsolationForestOptions opt;
  if (state.range(0) == 0) opt.calibration_rows = 2;
  for (auto _ : state) {
    auto m = IsolationForestModel::Train(x, kFeatures, {}, opt);
    benchmark::DoNotOptimize(m.ok());
  }
}
BENCHMARK(BM_Train10kx32)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// A whole entity training: 8 metrics scraped every 10 s for 24 h (69k samples) replayed into rows at the
// default 1 s step (capped at 50k rows x 144 features), then the forest. Per iteration.
void BM_TrainEntity24h(benchmark::State& state) {
  testing::InMemorySampleStore store;
  std::vector<storage::SeriesInfo> series;
  const TimestampNs t0 = 1'700'000'000LL * kNanosPerSecond;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 1);
  for (int m = 0; m < 8; ++m) {
    Labels labels{{"__name__", "metric_" + std::to_string(m)}, {"host", "h"}};
    const SeriesId id = *store.Resolve(labels);
    series.push_back({id, labels});
    std::vector<Sample> samples;
    for (int s = 0; s < 86400; s += 10) samples.push_back({id, t0 + s * kNanosPerSecond, 50 + 10 * g(rng)});
    (void)store.Append(samples);
  }
  TrainOptions opt;
  for (auto _ : state) {
    auto trained = TrainEntityModel(store, series, t0, t0 + 86400LL * kNanosPerSecond, opt);
    benchmark::DoNotOptimize(trained.ok());
    state.counters["rows"] = static_cast<double>(trained->rows);
  }
}
BENCHMARK(BM_TrainEntity24h)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foresight::models

BENCHMARK_MAIN();

// Feature-update cost per sample (target < 50 ns with the default three windows).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "features/entity_features.h"
#include "features/series_features.h"

namespace foresight::features {
namespace {

std::vector<double> RandomValues(size_t n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> d(50, 10);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

// Regular 1 s samples: the steady state of a scraped gauge.
void BM_SeriesUpdate(benchmark::State& state) {
  SeriesFeatures f(FeatureOptions{});
  const auto values = RandomValues(1 << 16);
  TimestampNs ts = 1'700'000'000LL * kNanosPerSecond;
  size_t i = 0;
  for (auto _ : state) {
    f.Update(ts, values[i++ & 0xffff]);
    ts += kNanosPerSecond;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SeriesUpdate);

// Irregular gaps (0.1 .. 2 s): the EWMA alpha cache misses every sample.
void BM_SeriesUpdateIrregular(benchmark::State& state) {
  SeriesFeatures f(FeatureOptions{});
  const auto values = RandomValues(1 << 16);
  std::mt19937_64 rng(2);
  std::vector<int64_t> gaps(1 << 16);
  for (auto& g : gaps) g = 100'000'000 + static_cast<int64_t>(rng() % 1'900'000'000);
  TimestampNs ts = 1'700'000'000LL * kNanosPerSecond;
  size_t i = 0;
  for (auto _ : state) {
    f.Update(ts, values[i & 0xffff]);
    ts += gaps[i++ & 0xffff];
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SeriesUpdateIrregular);

// 1 s scrapes with +-5 ms jitter: the realistic collector case (dt differs on every sample).
void BM_SeriesUpdateJittered(benchmark::State& state) {
  SeriesFeatures f(FeatureOptions{});
  const auto values = RandomValues(1 << 16);
  std::mt19937_64 rng(3);
  std::vector<int64_t> gaps(1 << 16);
  for (auto& g : gaps) g = kNanosPerSecond - 5'000'000 + static_cast<int64_t>(rng() % 10'000'000);
  TimestampNs ts = 1'700'000'000LL * kNanosPerSecond;
  size_t i = 0;
  for (auto _ : state) {
    f.Update(ts, values[i & 0xffff]);
    ts += gaps[i++ & 0xffff];
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SeriesUpdateJittered);

void BM_SeriesWrite(benchmark::State& state) {
  SeriesFeatures f(FeatureOptions{});
  const auto values = RandomValues(1000);
  TimestampNs ts = 1'700'000'000LL * kNanosPerSecond;
  for (double v : values) f.Update(ts += kNanosPerSecond, v);
  std::vector<double> out(f.size());
  for (auto _ : state) {
    f.Write(out.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_SeriesWrite);

// Entity path: metric lookup by name plus the series update.
void BM_EntityUpdate(benchmark::State& state) {
  EntityFeatures e;
  const char* metrics[] = {"cpu_used_percent", "memory_used_percent", "disk_used_percent{mount=/}",
                           "net_rx_bytes_rate{interface=eth0}"};
  const auto values = RandomValues(1 << 16);
  TimestampNs ts = 1'700'000'000LL * kNanosPerSecond;
  size_t i = 0;
  for (auto _ : state) {
    e.Update(metrics[i & 3], ts, values[i & 0xffff]);
    ++i;
    ts += kNanosPerSecond / 4;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntityUpdate);

}  // namespace
}  // namespace foresight::features

BENCHMARK_MAIN();

// Fit time per series: 1 day at 1 min (1440 points) and 1 week at 5 min (2016 points), per method and for
// FitBest (backtest of every candidate plus the final fit).
#include <cmath>
#include <random>

#include <benchmark/benchmark.h>

#include "forecast/forecast.h"

namespace foresight::forecast {
namespace {

struct Data {
  std::vector<TimestampNs> t;
  std::vector<double> v;
};

Data MakeSeries(size_t n, int64_t step) {
  Data d;
  std::mt19937_64 rng(42);
  std::normal_distribution<double> nd(0, 1);
  const TimestampNs t0 = 1'700'000'000LL * kNanosPerSecond;
  for (size_t i = 0; i < n; ++i) {
    TimestampNs t = t0 + static_cast<int64_t>(i) * step;
    double day = 2 * M_PI * static_cast<double>(t % (86400 * kNanosPerSecond)) / (86400.0 * kNanosPerSecond);
    d.t.push_back(t);
    d.v.push_back(50 + 0.01 * static_cast<double>(i) + 10 * std::sin(day) + 2 * nd(rng));
  }
  return d;
}

void Run(benchmark::State& state, int method, size_t n, int64_t step) {
  Data d = MakeSeries(n, step);
  ForecastOptions o;
  o.step_ns = step;
  for (auto _ : state) {
    auto m = method < 0 ? FitBest(d.t, d.v, o) : Fit(static_cast<Method>(method), d.t, d.v, o);
    benchmark::DoNotOptimize(m);
  }
  state.counters["series_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
}

constexpr int64_t kMin = 60 * kNanosPerSecond;
void BM_Day1m(benchmark::State& s) { Run(s, static_cast<int>(s.range(0)), 1440, kMin); }
void BM_Week5m(benchmark::State& s) { Run(s, static_cast<int>(s.range(0)), 2016, 5 * kMin); }
// range(0): -1 FitBest, else the Method's value (0 theil_sen, 1 holt_winters, 2 holt_winters_damped, 3 prophet).
BENCHMARK(BM_Day1m)->DenseRange(-1, 3)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Week5m)->DenseRange(-1, 3)->Unit(benchmark::kMicrosecond);
// NAB-sized: 70 days at 5 min (20160 points, daily and weekly periods usable).
void BM_Days70At5m(benchmark::State& s) { Run(s, static_cast<int>(s.range(0)), 20160, 5 * kMin); }
BENCHMARK(BM_Days70At5m)->DenseRange(-1, 3)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace foresight::forecast

BENCHMARK_MAIN();

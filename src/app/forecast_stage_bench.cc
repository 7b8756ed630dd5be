// Cost of one limit evaluation as the forecast stage runs it (FitBest on the history, the recent-trend
// challengers and their held-out fits, the band and the crossing paths): how many limited series one
// core can keep current per forecast.interval.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "app/forecast_stage.h"

namespace foresight::app {
namespace {

constexpr int64_t kMin = 60 * kNanosPerSecond;

// A day-periodic series with noise and, for the leak case, a ramp over the last 3 hours.
void MakeSeries(int days, bool leak, std::vector<TimestampNs>* t, std::vector<double>* v) {
  const int n = days * 1440;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double noise = (static_cast<double>(x % 10000) / 10000.0 - 0.5) * 2.0;
    double value = 50 + 8 * std::sin(2 * M_PI * i / 1440.0) + noise;
    if (leak && i > n - 180) value += (i - (n - 180)) * 0.15;
    t->push_back(1'767'571'200LL * kNanosPerSecond + static_cast<int64_t>(i) * kMin);
    v->push_back(value);
  }
}

void BM_EvaluateLimit(benchmark::State& state) {
  std::vector<TimestampNs> t;
  std::vector<double> v;
  MakeSeries(static_cast<int>(state.range(0)), state.range(1) != 0, &t, &v);
  ForecastStageOptions o;
  for (auto _ : state) {
    LimitEvaluation ev = EvaluateLimit(t, v, 100.0, forecast::Direction::kAbove, false, t.back() + kMin, o);
    benchmark::DoNotOptimize(ev.crossing.probability);
  }
  state.SetLabel(std::to_string(state.range(0)) + " d at 1 min" + (state.range(1) ? ", leaking" : ", normal"));
}
BENCHMARK(BM_EvaluateLimit)->Args({1, 0})->Args({1, 1})->Args({3, 0})->Args({3, 1})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foresight::app

BENCHMARK_MAIN();

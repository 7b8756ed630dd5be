// Throughput of the fleet simulator and latency of one real HostCollector pass.
//   cmake --build build-ingest --target ingest_bench && ./build-ingest/src/ingest/ingest_bench
#include <benchmark/benchmark.h>

#include "ingest/fleet_simulator.h"
#include "ingest/host_collector.h"

namespace foresight::ingest {
namespace {

constexpr TimestampNs kStart = 1'795'392'000LL * kNanosPerSecond;

void BM_SimulatorCollect(benchmark::State& state) {
  SimulatorOptions o;
  o.hosts = static_cast<int>(state.range(0));
  o.start_ns = kStart;
  o.auto_scenarios_per_hour = 2;
  FleetSimulator sim(o);
  std::vector<LabeledSample> out;
  TimestampNs t = kStart;
  size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(sim.Collect(t, &out));
    samples += out.size();
    t += kNanosPerSecond;
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatorCollect)->Arg(50)->Arg(500);

void BM_SimulatorBackfillHour(benchmark::State& state) {
  SimulatorOptions o;
  o.hosts = 50;
  o.start_ns = kStart;
  FleetSimulator sim(o);
  size_t samples = 0;
  for (auto _ : state) {
    Status st = sim.Backfill(kStart, kStart + 3599 * kNanosPerSecond, kNanosPerSecond,
                             [&](std::span<const LabeledSample> b) {
                               samples += b.size();
                               return Status::Ok();
                             });
    benchmark::DoNotOptimize(st);
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatorBackfillHour)->Unit(benchmark::kMillisecond);

void BM_HostCollectorCollect(benchmark::State& state) {
  HostCollector c;
  std::vector<LabeledSample> out;
  TimestampNs t = kStart;
  size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(c.Collect(t, &out));
    samples += out.size();
    t += kNanosPerSecond;
  }
  state.counters["samples/call"] = static_cast<double>(samples) / std::max<double>(1, state.iterations());
}
BENCHMARK(BM_HostCollectorCollect)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace foresight::ingest

BENCHMARK_MAIN();

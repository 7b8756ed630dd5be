// Remote write decode throughput on a Prometheus-like body: 1000 series × 10 samples (a 10-sample
// batch per series, as a remote-write queue shard sends), node_exporter-style labels.
//   cmake -S . -B build-rw -G Ninja -DFORESIGHT_BUILD_BENCH=ON
//   cmake --build build-rw --target remote_write_bench && ./build-rw/src/ingest/remote_write_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ingest/remote_write.h"

namespace foresight::ingest {
namespace {

constexpr int kSeries = 1000;
constexpr int kSamplesPerSeries = 10;

// Deterministic: series i is a pure function of i.
std::string MakeBody() {
  static const char* const kMetrics[] = {"node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
                                         "node_filesystem_avail_bytes", "node_network_receive_bytes_total",
                                         "node_load1"};
  std::vector<RemoteWriteSeries> series;
  const int64_t t0 = 1'795'392'000'000;
  for (int i = 0; i < kSeries; ++i) {
    RemoteWriteSeries s;
    s.labels = {{"__name__", kMetrics[i % 5]},
                {"cpu", std::to_string(i % 8)},
                {"instance", "web-" + std::to_string(1000 + i % 100) + ".prod.example.com:9100"},
                {"job", "node"},
                {"mode", i % 2 ? "user" : "idle"}};
    for (int j = 0; j < kSamplesPerSeries; ++j) s.samples.emplace_back(t0 + j * 15'000, i * 17.5 + j);
    series.push_back(std::move(s));
  }
  return EncodeRemoteWriteForTest(series);
}

void BM_DecodeRemoteWrite(benchmark::State& state) {
  const std::string body = MakeBody();
  std::vector<LabeledSample> out;
  out.reserve(kSeries * kSamplesPerSeries);
  RemoteWriteOptions options;
  size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    auto r = DecodeRemoteWrite(body, options, &out);
    if (!r.ok() || !r->ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    samples += r->samples;
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(body.size()));
  state.SetLabel(std::to_string(body.size()) + " B snappy body");
}
BENCHMARK(BM_DecodeRemoteWrite)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foresight::ingest

BENCHMARK_MAIN();

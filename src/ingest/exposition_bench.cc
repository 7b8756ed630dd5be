// Google Benchmark: ParseExposition throughput on a node_exporter-like body of ~1000 samples
// (counters with cpu/mode labels, gauges, a histogram, HELP/TYPE lines), with job/instance added.
#include <benchmark/benchmark.h>

#include <string>

#include "ingest/exposition.h"

namespace foresight::ingest {
namespace {

std::string NodeExporterLikeBody() {
  std::string b;
  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  b += "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n";
  for (int cpu = 0; cpu < 32; ++cpu) {
    for (const char* m : modes) {
      b += "node_cpu_seconds_total{cpu=\"" + std::to_string(cpu) + "\",mode=\"" + m + "\"} " +
           std::to_string(123456.78 + cpu * 10 + m[0]) + "\n";
    }
  }
  for (int i = 0; i < 481; ++i) {
    std::string name = "node_memory_Field" + std::to_string(i) + "_bytes";
    b += "# HELP " + name + " Memory information field.\n# TYPE " + name + " gauge\n";
    b += name + " " + std::to_string(1.6e10 + i * 4096.0) + "\n";
  }
  const char* devices[] = {"sda", "sdb", "nvme0n1", "nvme1n1", "dm-0", "dm-1", "loop0", "eth0"};
  const char* stats[] = {"reads_completed_total", "writes_completed_total", "read_bytes_total",
                         "written_bytes_total", "io_time_seconds_total"};
  for (const char* s : stats) {
    b += std::string("# TYPE node_disk_") + s + " counter\n";
    for (const char* d : devices) {
      for (int p = 0; p < 4; ++p) {
        b += std::string("node_disk_") + s + "{device=\"" + d + "p" + std::to_string(p) + "\"} " +
             std::to_string(98765432 + p) + "\n";
      }
    }
  }
  b += "# TYPE go_gc_duration_seconds summary\n";
  for (const char* q : {"0", "0.25", "0.5", "0.75", "1"}) {
    b += std::string("go_gc_duration_seconds{quantile=\"") + q + "\"} 2.1443e-05\n";
  }
  b += "go_gc_duration_seconds_sum 0.012345\ngo_gc_duration_seconds_count 1234\n";
  b += "# TYPE http_request_duration_seconds histogram\n";
  for (int h = 0; h < 8; ++h) {
    for (const char* le : {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
      b += "http_request_duration_seconds_bucket{handler=\"/api/v" + std::to_string(h) + "\",le=\"" + le + "\"} 42\n";
    }
  }
  return b;
}

void BM_ParseExposition(benchmark::State& state) {
  const std::string body = NodeExporterLikeBody();
  const Labels extra{{"job", "node"}, {"instance", "10.0.0.1:9100"}};
  std::vector<LabeledSample> out;
  size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    auto n = ParseExposition(body, 1'700'000'000LL * kNanosPerSecond, extra, &out);
    if (!n.ok()) {
      state.SkipWithError(n.status().ToString().c_str());
      return;
    }
    samples = *n;
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["samples_per_body"] = static_cast<double>(samples);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseExposition);

}  // namespace
}  // namespace foresight::ingest

BENCHMARK_MAIN();

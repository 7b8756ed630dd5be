// Ingest hot path on one core: InfluxDB line protocol decode + series lookup + streaming feature update,
// the work Pipeline does per pushed sample (the store's append is measured by the storage benchmarks).
// A Telegraf-like body of 5000 lines (250 hosts, 4-5 tags, 1-4 fields) without timestamps, so each
// iteration is a new scrape 10 s later (default_ts) and every sample really updates its features.
//   cmake --build build-bench --target ingest_features_bench && ./build-bench/src/ingest/ingest_features_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "features/entity_features.h"
#include "ingest/line_protocol.h"

namespace foresight::ingest {
namespace {

constexpr int kLines = 5000;

std::string MakeBody() {
  std::string body;
  for (int i = 0; i < kLines; ++i) {
    std::string common = ",host=web-" + std::to_string(1000 + i % 250) + ".prod.example.com,region=us-east-" +
                         std::to_string(1 + i % 2) + ",dc=use1-az" + std::to_string(1 + i % 3);
    int line_of_host = i / 250;  // 20 lines per host: distinct series per host
    switch (line_of_host % 5) {
      case 0:
        body += "cpu" + common + ",cpu=cpu" + std::to_string(line_of_host) + " usage_user=" + std::to_string(i % 97) +
                ".25,usage_system=3.5,usage_idle=" + std::to_string(90 - i % 50) + ".125,usage_iowait=0.5";
        break;
      case 1:
        body += "mem" + common + ",slot=" + std::to_string(line_of_host) + " used=" + std::to_string(4'000'000'000LL + i * 4096) +
                "i,available=12000000000i,used_percent=" + std::to_string(i % 100) + ".5";
        break;
      case 2:
        body += "disk" + common + ",device=nvme0n1p" + std::to_string(line_of_host) +
                " used_percent=61.3,free=" + std::to_string(100'000'000'000LL - i) + "i,inodes_used=123456u";
        break;
      case 3:
        body += "net" + common + ",interface=eth" + std::to_string(line_of_host) + " bytes_recv=" +
                std::to_string(9'000'000'000LL + i * 1500) + "i,err_in=0i";
        break;
      default:
        body += "system" + common + ",n=" + std::to_string(line_of_host) + " load1=" + std::to_string(i % 8) + ".07";
        break;
    }
    body += '\n';
  }
  return body;
}



// The HTTP path as the server runs it: DecodeLineProtocolResolved with a warm LineSeriesCache (a known
// series costs a hash and a probe, no Labels), the resolver called only for new series (here: creating
// its feature state, as Pipeline::ResolveSeries does through ResolveLocked), then the predict thread's
// update: each sample's series id indexes a dense vector of routes (entity and series feature state),
// prefetching a few samples ahead, as Pipeline::Process does.
struct Route {
  features::EntityFeatures* entity = nullptr;
  features::SeriesFeatures* series = nullptr;
};

// Arg 1: the full path. Arg 0: decode and series lookup only (no feature update), to split the cost.
void BM_LineProtocolDecodeAndFeatureUpdate(benchmark::State& state) {
  const bool update = state.range(0) == 1;
  const std::string body = MakeBody();
  std::unordered_map<std::string, std::unique_ptr<features::EntityFeatures>> entities;
  std::vector<Route> routes(1);  // id 0 unused
  auto resolve = [&](const Labels& labels) -> Result<SeriesId> {
    auto& e = entities[EntityOf(labels)];
    if (!e) e = std::make_unique<features::EntityFeatures>();
    routes.push_back(Route{e.get(), e->Series(features::MetricKey(labels))});
    return SeriesId{routes.size() - 1};
  };
  LineSeriesCache cache;
  std::vector<Sample> out;
  out.reserve(kLines * 4);
  LineProtocolOptions options;
  TimestampNs ts = 1'795'392'000LL * kNanosPerSecond;
  size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    options.default_ts = ts;
    ResolvedDecodeResult r = DecodeLineProtocolResolved(body, options, &cache, resolve, &out);
    if (!r.ok()) state.SkipWithError(r.first_error->message.c_str());
    if (update) {
      constexpr size_t kAhead = 8;  // as Pipeline::Process
      const size_t n = out.size();
      for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) routes[out[i + kAhead].series_id].series->Prefetch(0);
        if (i + kAhead / 2 < n) routes[out[i + kAhead / 2].series_id].series->Prefetch(1);
        const Route& route = routes[out[i].series_id];
        route.entity->Update(route.series, out[i].ts_ns, out[i].value);
      }
    }
    samples += r.samples;
    ts += 10 * kNanosPerSecond;
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["series"] = static_cast<double>(routes.size() - 1);
}
BENCHMARK(BM_LineProtocolDecodeAndFeatureUpdate)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foresight::ingest

BENCHMARK_MAIN();

// Line protocol decode throughput on a Telegraf-like body: 5000 lines, 4-5 tags, 1-4 fields each.
//   cmake -S . -B build-lp -G Ninja -DFORESIGHT_BUILD_BENCH=ON
//   cmake --build build-lp --target line_protocol_bench && ./build-lp/src/ingest/line_protocol_bench
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "ingest/line_protocol.h"

namespace foresight::ingest {
namespace {

constexpr int kLines = 5000;

// Deterministic: line i is a pure function of i. Field counts cycle 4, 3, 3, 2, 1 (mean 2.6).
std::string MakeBody() {
  std::string body;
  const int64_t t0 = 1'795'392'000'000'000'000;
  for (int i = 0; i < kLines; ++i) {
    std::string host = "web-" + std::to_string(1000 + i % 250) + ".prod.example.com";
    std::string common = ",host=" + host + ",region=us-east-" + std::to_string(1 + i % 2) +
                         ",dc=use1-az" + std::to_string(1 + i % 3) + ",rack=r" + std::to_string(i % 40);
    std::string ts = " " + std::to_string(t0 + static_cast<int64_t>(i / 250) * 10'000'000'000);
    switch (i % 5) {
      case 0:
        body += "cpu" + common + ",cpu=cpu" + std::to_string(i % 8) + " usage_user=" + std::to_string(i % 97) +
                ".25,usage_system=3.5,usage_idle=" + std::to_string(90 - i % 50) + ".125,usage_iowait=0.5" + ts;
        break;
      case 1:
        body += "mem" + common + " used=" + std::to_string(4'000'000'000LL + i * 4096) +
                "i,available=12000000000i,used_percent=" + std::to_string(i % 100) + ".5" + ts;
        break;
      case 2:
        body += "disk" + common + ",device=nvme0n1p" + std::to_string(i % 3) + ",path=/data" +
                " used_percent=61.3,free=" + std::to_string(100'000'000'000LL - i) + "i,inodes_used=123456u" + ts;
        break;
      case 3:
        body += "net" + common + ",interface=eth" + std::to_string(i % 2) + " bytes_recv=" +
                std::to_string(9'000'000'000LL + i * 1500) + "i,err_in=0i" + ts;
        break;
      default:
        body += "system" + common + " load1=" + std::to_string(i % 8) + ".07" + ts;
        break;
    }
    body += '\n';
  }
  return body;
}

void BM_DecodeLineProtocol(benchmark::State& state) {
  const std::string body = MakeBody();
  std::vector<LabeledSample> out;
  out.reserve(kLines * 4);
  LineProtocolOptions options;
  size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    DecodeResult r = DecodeLineProtocol(body, options, &out);
    if (!r.ok()) state.SkipWithError(r.first_error->message.c_str());
    samples += r.samples;
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kLines, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeLineProtocol)->Unit(benchmark::kMillisecond);

std::string Gzip(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// What a gzip-compressed write costs end to end (decompress, then decode).
void BM_GunzipAndDecode(benchmark::State& state) {
  const std::string gz = Gzip(MakeBody());
  std::vector<LabeledSample> out;
  out.reserve(kLines * 4);
  size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    Result<std::string> body = GunzipBody(gz, 32 << 20);
    if (!body.ok()) state.SkipWithError(body.status().message().c_str());
    samples += DecodeLineProtocol(*body, {}, &out).samples;
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["gz_bytes"] = static_cast<double>(gz.size());
}
BENCHMARK(BM_GunzipAndDecode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foresight::ingest

BENCHMARK_MAIN();

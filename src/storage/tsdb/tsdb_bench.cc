// Benchmarks for the tsdb: codec throughput, append throughput (memory only, WAL with interval fsync,
// WAL with fsync per batch), bytes/sample on synthetic host-like series and on a live /proc capture,
// and the 30-days-to-1000-points downsampled read. Results and commands: docs/STORAGE.md ("Measured").

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "storage/tsdb/chunk_codec.h"
#include "storage/tsdb/tsdb.h"

namespace foresight::storage::tsdb {
namespace {

constexpr TimestampNs kT0 = 1'700'000'000LL * kNanosPerSecond;

using Series = std::vector<std::pair<TimestampNs, double>>;

// Host-like synthetic mix at a 10 s interval: a third counters (CPU jiffies, bytes), a third noisy
// gauges (load with 2 decimals, memory in 4 KiB pages, temperatures), a third constants.
std::vector<Series> SyntheticMix(int series, int samples, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Series> out(series);
  for (int s = 0; s < series; ++s) {
    double v = static_cast<double>(rng() % 1'000'000);
    std::normal_distribution<double> noise(0, 1);
    for (int i = 0; i < samples; ++i) {
      const TimestampNs ts = kT0 + i * 10 * kNanosPerSecond;
      switch (s % 6) {
        case 0: v += 1000 + static_cast<double>(rng() % 50); break;                  // jiffies counter
        case 1: v += static_cast<double>(rng() % 200'000); break;                     // bytes counter
        case 2: v = std::round((1.5 + 0.3 * std::sin(i / 50.0) + 0.05 * noise(rng)) * 100) / 100; break;  // load
        case 3: v = 8'000'000'000.0 + 4096.0 * std::round(100000 * std::sin(i / 300.0) + 50 * noise(rng)); break;
        case 4: v = 42.0 + 0.5 * noise(rng); break;                                   // temperature, full float
        default: v = 16'000'000'000.0; break;                                         // constant (MemTotal)
      }
      out[s].emplace_back(ts, v);
    }
  }
  return out;
}

// Reads every number of /proc/stat, /proc/meminfo, /proc/diskstats and /proc/net/dev every `interval`
// for `ticks` ticks; one series per (file, line, column). Timestamps (`stamp`): 0 the real read time in
// ns (jitter), 1 the nominal tick (as a collector scheduling on a fixed tick would), 2 the real read time
// rounded to ms (as Prometheus-style sources send).
std::vector<Series> ProcCapture(int ticks, std::chrono::milliseconds interval, int stamp) {
  static std::map<std::string, Series> real;
  static std::map<std::string, Series> nominal;
  static int captured = 0;
  if (captured != ticks) {
    real.clear();
    nominal.clear();
    auto next = std::chrono::steady_clock::now();
    for (int t = 0; t < ticks; ++t) {
      const TimestampNs now = SystemClock::Get().NowNs();
      const TimestampNs tick_ts = kT0 + t * std::chrono::nanoseconds(interval).count();
      for (const char* file : {"/proc/stat", "/proc/meminfo", "/proc/diskstats", "/proc/net/dev"}) {
        std::ifstream in(file);
        std::string line;
        int ln = 0;
        while (std::getline(in, line)) {
          ++ln;
          for (auto& c : line) {
            if (c == ':') c = ' ';
          }
          std::istringstream words(line);
          std::string w;
          int col = 0;
          while (words >> w) {
            ++col;
            char* end = nullptr;
            double v = std::strtod(w.c_str(), &end);
            if (end == w.c_str() || *end != '\0') continue;
            if (w == "kB") continue;
            std::string key = std::string(file) + ":" + std::to_string(ln) + ":" + std::to_string(col);
            real[key].emplace_back(now, v);
            nominal[key].emplace_back(tick_ts, v);
          }
        }
      }
      next += interval;
      std::this_thread::sleep_until(next);
    }
    captured = ticks;
  }
  std::vector<Series> out;
  for (auto& [k, s] : stamp == 1 ? nominal : real) {
    out.push_back(s);
    if (stamp == 2) {
      for (auto& [ts, v] : out.back()) ts = ts / kNanosPerMilli * kNanosPerMilli;
    }
  }
  return out;
}

struct Compressed {
  uint64_t samples = 0;
  uint64_t data_bytes = 0;
  uint64_t chunks = 0;
};

Compressed Compress(const std::vector<Series>& all, uint32_t chunk_samples) {
  Compressed c;
  for (const auto& s : all) {
    ChunkEncoder enc;
    for (const auto& [ts, v] : s) {
      enc.Append(ts, v);
      if (enc.count() == chunk_samples) {
        c.data_bytes += enc.size_bytes();
        ++c.chunks;
        enc.Clear();
      }
    }
    if (enc.count() > 0) {
      c.data_bytes += enc.size_bytes();
      ++c.chunks;
    }
    c.samples += s.size();
  }
  return c;
}

void ReportBytes(benchmark::State& state, const Compressed& c) {
  state.counters["B/sample"] = static_cast<double>(c.data_bytes) / static_cast<double>(c.samples);
  // Including the 36-byte segment record (header + CRC) per chunk.
  state.counters["B/sample+rec"] = static_cast<double>(c.data_bytes + 36 * c.chunks) / static_cast<double>(c.samples);
  state.counters["samples"] = static_cast<double>(c.samples);
}

void BM_BytesPerSampleSynthetic(benchmark::State& state) {
  auto mix = SyntheticMix(600, 8640, 1);  // 600 series x 1 day at 10 s
  Compressed c;
  for (auto _ : state) c = Compress(mix, 480);
  ReportBytes(state, c);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.samples));
}
BENCHMARK(BM_BytesPerSampleSynthetic)->Unit(benchmark::kMillisecond);

// One kind of the synthetic mix at a time (0 jiffies counter, 1 bytes counter, 2 load 2-decimals,
// 3 memory pages, 4 full-precision noisy float, 5 constant).
void BM_BytesPerSampleKind(benchmark::State& state) {
  auto mix = SyntheticMix(600, 8640, 1);
  std::vector<Series> kind;
  for (size_t i = static_cast<size_t>(state.range(0)); i < mix.size(); i += 6) kind.push_back(mix[i]);
  Compressed c;
  for (auto _ : state) c = Compress(kind, 480);
  ReportBytes(state, c);
}
BENCHMARK(BM_BytesPerSampleKind)->DenseRange(0, 5)->ArgName("kind")->Unit(benchmark::kMillisecond);

void BM_BytesPerSampleProc(benchmark::State& state) {
  auto cap = ProcCapture(1000, std::chrono::milliseconds(10), static_cast<int>(state.range(0)));
  Compressed c;
  for (auto _ : state) c = Compress(cap, 480);
  ReportBytes(state, c);
  state.counters["series"] = static_cast<double>(cap.size());
}
BENCHMARK(BM_BytesPerSampleProc)->Arg(0)->Arg(1)->Arg(2)->ArgName("stamp")->Unit(benchmark::kMillisecond);

void BM_Encode(benchmark::State& state) {
  auto mix = SyntheticMix(60, 480, 2);
  uint64_t n = 0;
  for (auto _ : state) {
    for (const auto& s : mix) {
      ChunkEncoder enc;
      for (const auto& [ts, v] : s) enc.Append(ts, v);
      benchmark::DoNotOptimize(enc.size_bytes());
      n += s.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}
BENCHMARK(BM_Encode);

void BM_Decode(benchmark::State& state) {
  auto mix = SyntheticMix(60, 480, 2);
  std::vector<std::pair<std::string, uint32_t>> chunks;
  for (const auto& s : mix) {
    ChunkEncoder enc;
    for (const auto& [ts, v] : s) enc.Append(ts, v);
    chunks.emplace_back(enc.Bytes(), enc.count());
  }
  uint64_t n = 0;
  std::vector<Sample> out;
  for (auto _ : state) {
    for (const auto& [data, count] : chunks) {
      out.clear();
      DecodeChunk(data, count, 1, &out);
      n += out.size();
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}
BENCHMARK(BM_Decode);

std::string BenchDir(const char* name) {
  std::string dir = (std::filesystem::temp_directory_path() / (std::string("tsdb_bench_") + name + "_" +
                                                                std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  return dir;
}

// Append throughput: batches of `batch` samples = 1000 series x (batch / 1000) consecutive timestamps,
// the shape of a collector tick. Arg 0: mode (0 memory only, 1 WAL with interval fsync, 2 WAL with
// fdatasync per batch).
void BM_Append(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const int per_series = static_cast<int>(state.range(1));
  const std::string dir = BenchDir("append");
  spdlog::set_level(spdlog::level::warn);
  FakeClock clock(kT0);
  TsdbOptions o;
  o.data_dir = dir;
  o.wal = mode != 0;
  o.fsync_policy = mode == 2 ? FsyncPolicy::kEveryBatch : FsyncPolicy::kInterval;
  o.rollups = true;
  auto db = Tsdb::Open(o, clock);
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return;
  }
  constexpr int kSeries = 1000;
  std::vector<SeriesId> ids;
  for (int s = 0; s < kSeries; ++s) {
    ids.push_back(*(*db)->Resolve(Labels({{"__name__", "bench"}, {"s", std::to_string(s)}})));
  }
  auto mix = SyntheticMix(kSeries, 64, 3);
  std::vector<Sample> batch(static_cast<size_t>(kSeries) * per_series);
  int64_t tick = 0;
  for (auto _ : state) {
    size_t k = 0;
    for (int s = 0; s < kSeries; ++s) {
      for (int j = 0; j < per_series; ++j) {
        const int64_t t = tick + j;
        batch[k++] = Sample{ids[s], kT0 + t * 10 * kNanosPerSecond, mix[s][t % 64].second};
      }
    }
    tick += per_series;
    Status st = (*db)->Append(batch);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSeries * per_series);
  db->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Append)
    ->ArgsProduct({{0, 1, 2}, {1, 10, 100}})
    ->ArgNames({"mode", "per_series"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Two threads appending 1000-sample batches (1000 series each) concurrently: group commit shares the
// WAL writes and fsyncs. Arg: mode as in BM_Append.
void BM_AppendTwoThreads(benchmark::State& state) {
  struct Shared {
    std::string dir;
    FakeClock clock{kT0};
    std::unique_ptr<Tsdb> db;
    std::vector<SeriesId> ids;
  };
  static std::map<int64_t, std::unique_ptr<Shared>> shared;
  static std::mutex mu;
  Shared* sh;
  {
    std::lock_guard lock(mu);
    auto& slot = shared[state.range(0)];
    if (slot == nullptr) {
      spdlog::set_level(spdlog::level::warn);
      slot = std::make_unique<Shared>();
      slot->dir = BenchDir(("append2t_" + std::to_string(state.range(0))).c_str());
      TsdbOptions o;
      o.data_dir = slot->dir;
      o.wal = state.range(0) != 0;
      o.fsync_policy = state.range(0) == 2 ? FsyncPolicy::kEveryBatch : FsyncPolicy::kInterval;
      slot->db = std::move(Tsdb::Open(o, slot->clock)).value();
      for (int s = 0; s < 2000; ++s) {
        slot->ids.push_back(*slot->db->Resolve(Labels({{"__name__", "bench"}, {"s", std::to_string(s)}})));
      }
    }
    sh = slot.get();
  }
  const int t = state.thread_index();
  std::vector<Sample> batch(1000);
  int64_t tick = 0;
  for (auto _ : state) {
    for (int s = 0; s < 1000; ++s) {
      batch[s] = Sample{sh->ids[t * 1000 + s], kT0 + tick * kNanosPerSecond, static_cast<double>(tick % 100)};
    }
    ++tick;
    Status st = sh->db->Append(batch);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_AppendTwoThreads)->Arg(1)->Arg(2)->ArgName("mode")->Threads(2)->UseRealTime();

// Creating new series. Arg: 1 kInterval, 2 kEveryBatch (one fsync per new series).
void BM_ResolveNewSeries(benchmark::State& state) {
  const std::string dir = BenchDir("resolve");
  spdlog::set_level(spdlog::level::warn);
  FakeClock clock(kT0);
  TsdbOptions o;
  o.data_dir = dir;
  o.fsync_policy = state.range(0) == 2 ? FsyncPolicy::kEveryBatch : FsyncPolicy::kInterval;
  auto db = std::move(Tsdb::Open(o, clock)).value();
  int64_t n = 0;
  for (auto _ : state) {
    auto id = db->Resolve(Labels({{"__name__", "bench"}, {"host", "h" + std::to_string(n % 100)},
                                  {"s", std::to_string(n)}}));
    if (!id.ok()) state.SkipWithError(id.status().ToString().c_str());
    ++n;
  }
  state.SetItemsProcessed(n);
  db.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ResolveNewSeries)->Arg(1)->Arg(2)->ArgName("mode")->Unit(benchmark::kMicrosecond);

// Resolving series that already exist (the ingest hot path when it does not cache ids).
void BM_ResolveExisting(benchmark::State& state) {
  const std::string dir = BenchDir("resolve_existing");
  spdlog::set_level(spdlog::level::warn);
  FakeClock clock(kT0);
  TsdbOptions o;
  o.data_dir = dir;
  o.fsync_policy = FsyncPolicy::kInterval;
  auto db = std::move(Tsdb::Open(o, clock)).value();
  std::vector<Labels> labels;
  for (int s = 0; s < 1000; ++s) {
    labels.push_back(Labels({{"__name__", "node_cpu_seconds_total"}, {"host", "web-" + std::to_string(s % 50)},
                             {"cpu", std::to_string(s / 50)}, {"mode", "user"}}));
    (void)db->Resolve(labels.back());
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(db->Resolve(labels[i++ % labels.size()]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  db.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ResolveExisting);

// 30 days of one series at 1 s (2,592,000 samples) read downsampled to 1000 buckets.
void BM_ReadDownsampled30Days(benchmark::State& state) {
  struct Fixture {
    std::string dir;
    std::unique_ptr<Tsdb> db;
    SeriesId id = 0;
  };
  static std::map<int64_t, Fixture> fixtures;  // by chunk size; built once per process
  static FakeClock clock(kT0 + 31 * kDayNs);
  constexpr int64_t kSamples = 30LL * 24 * 3600;
  Fixture& f = fixtures[state.range(0)];
  if (f.db == nullptr) {
    spdlog::set_level(spdlog::level::warn);
    f.dir = BenchDir(("read30d_" + std::to_string(state.range(0))).c_str());
    TsdbOptions o;
    o.data_dir = f.dir;
    o.wal = false;
    o.background = false;
    o.raw_retention_ns = 60 * kDayNs;
    o.chunk_max_samples = static_cast<uint32_t>(state.range(0));
    f.db = std::move(Tsdb::Open(o, clock)).value();
    f.id = *f.db->Resolve(Labels({{"__name__", "cpu_busy_percent"}}));
    std::mt19937_64 rng(9);
    std::normal_distribution<double> noise(0, 3);
    std::vector<Sample> batch;
    for (int64_t i = 0; i < kSamples; ++i) {
      const double v = std::round((40 + 20 * std::sin(i / 3600.0) + noise(rng)) * 10) / 10;
      batch.push_back({f.id, kT0 + i * kNanosPerSecond, v});
      if (batch.size() == 100'000) {
        (void)f.db->Append(batch);
        batch.clear();
        (void)f.db->PersistChunks();
      }
    }
    (void)f.db->Append(batch);
    (void)f.db->SealAll();
  }
  Tsdb* db = f.db.get();
  const SeriesId id = f.id;
  const int64_t step = kSamples * kNanosPerSecond / 1000;
  size_t buckets = 0;
  for (auto _ : state) {
    auto r = db->ReadDownsampled(id, kT0, kT0 + kSamples * kNanosPerSecond, step);
    buckets = r->size();
    benchmark::DoNotOptimize(r->data());
  }
  state.counters["buckets"] = static_cast<double>(buckets);
  state.counters["chunks"] = static_cast<double>(db->stats().chunks);
  state.counters["B/sample"] = static_cast<double>(db->chunk_data_bytes()) / static_cast<double>(kSamples);
}
BENCHMARK(BM_ReadDownsampled30Days)->Arg(120)->Arg(240)->Arg(480)->ArgName("chunk_samples")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foresight::storage::tsdb

BENCHMARK_MAIN();

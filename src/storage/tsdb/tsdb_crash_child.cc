// tsdb_crash_child DATA_DIR SEED [interval]: ingests into a Tsdb until killed, writing "series_index last_ts\n" to
// stdout after every acknowledged batch. Used by tsdb_crash_test, which kill -9s it at random points.
// Series i (i in 0..7) gets timestamps kBase + k for k = 0, 1, 2, ... with value ValueOf(i, k).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/tsdb/crash_protocol.h"
#include "storage/tsdb/tsdb.h"

using namespace foresight;
using namespace foresight::storage::tsdb;

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR SEED [interval]\n", argv[0]);
    return 2;
  }
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  spdlog::set_level(spdlog::level::err);
  TsdbOptions o;
  o.data_dir = argv[1];
  o.chunk_max_samples = 64;
  o.segment_max_bytes = 16 << 10;
  o.maintenance_interval = std::chrono::milliseconds(7);
  o.checkpoint_interval = std::chrono::milliseconds(40);
  // "interval": acknowledged once written to the kernel, which must survive kill -9 as well.
  if (argc == 4 && std::string(argv[3]) == "interval") o.fsync_policy = FsyncPolicy::kInterval;
  auto db = Tsdb::Open(o, SystemClock::Get());
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  std::vector<SeriesId> ids;
  std::vector<int64_t> next_k;
  for (int i = 0; i < crash::kSeries; ++i) {
    auto id = (*db)->Resolve(Labels({{"__name__", "crash"}, {"i", std::to_string(i)}}));
    if (!id.ok()) return 1;
    ids.push_back(*id);
    std::vector<foresight::Sample> last;
    if (!(*db)->ReadRange(*id, 0, std::numeric_limits<TimestampNs>::max(), &last).ok()) return 1;
    next_k.push_back(last.empty() ? 0 : last.back().ts_ns - crash::kBase + 1);
  }
  std::mutex out_mu;
  auto worker = [&](int t) {
    std::mt19937_64 rng(seed * 31 + t);
    while (true) {
      std::vector<foresight::Sample> batch;
      std::vector<std::pair<int, int64_t>> acked;
      // Each thread owns the series with i % 2 == t, so its timestamps stay in order.
      for (int i = t; i < crash::kSeries; i += 2) {
        if (rng() % 3 == 0) continue;
        const int n = 1 + static_cast<int>(rng() % 40);
        for (int j = 0; j < n; ++j) {
          const int64_t k = next_k[i]++;
          batch.push_back({ids[i], crash::kBase + k, crash::ValueOf(i, k)});
        }
        acked.emplace_back(i, next_k[i] - 1);
      }
      if (batch.empty()) continue;
      Status s = (*db)->Append(batch);
      if (!s.ok()) {
        std::fprintf(stderr, "append: %s\n", s.ToString().c_str());
        std::_Exit(1);
      }
      std::string line;
      for (auto [i, k] : acked) line += std::to_string(i) + " " + std::to_string(k) + "\n";
      {
        std::lock_guard lock(out_mu);
        if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::_Exit(1);
      }
      // Paces kInterval runs (otherwise ~10x faster than kEveryBatch) so the verification stays quick.
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  };
  std::jthread a(worker, 0);
  std::jthread b(worker, 1);
  return 0;  // never reached: the threads run until the process is killed
}

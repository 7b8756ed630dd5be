#pragma once
// Tsdb: the embedded SampleStore. Per series, samples are appended to an open "head" chunk (Gorilla
// compressed, chunk_codec.h) and logged to a write-ahead log (wal.h); full or old heads are sealed and
// persisted to segment files (segment_file.h) with their metadata, summaries and 1 m / 1 h rollups in
// SQLite (index_db.h). Format, recovery and retention: docs/STORAGE.md.
//
// Ordering: per series, timestamps must strictly increase. A sample whose timestamp is <= the newest
// accepted one of its series (older, or an equal timestamp: first write wins) is rejected and counted in
// stats().samples_rejected; the rest of the batch is still appended.
//
// Thread-safety: every method may be called concurrently (as SampleStore requires). Append takes one
// shared lock per batch and one per-series mutex per run of same-series samples; WAL writes are
// group-committed. Reads snapshot a series under its mutex and decode outside it.
// Ownership: the Tsdb borrows `clock` for its whole lifetime.

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "storage/sample_store.h"
#include "storage/tsdb/chunk_codec.h"
#include "storage/tsdb/file_util.h"
#include "storage/tsdb/index_db.h"
#include "storage/tsdb/segment_file.h"
#include "storage/tsdb/selector.h"
#include "storage/tsdb/wal.h"

namespace foresight::storage::tsdb {

inline constexpr int64_t kMinuteNs = 60 * kNanosPerSecond;
inline constexpr int64_t kHourNs = 60 * kMinuteNs;
inline constexpr int64_t kDayNs = 24 * kHourNs;

struct TsdbOptions {
  std::string data_dir;  // REQUIRED. Holds index.db (SQLite), wal/ and chunks/; created if missing.

  // Durability of Append (see FsyncPolicy in wal.h).
  FsyncPolicy fsync_policy = FsyncPolicy::kEveryBatch;
  std::chrono::milliseconds fsync_interval{100};  // kInterval only: fdatasync period.
  // false: no write-ahead log. Head chunks are then lost on a crash (Append acknowledges from memory)
  // and sealed early at a clean close; for benchmarks and scratch stores only.
  bool wal = true;

  // A head chunk is sealed when it holds chunk_max_samples samples, reaches chunk_max_bytes encoded,
  // or was opened more than chunk_max_age ago (by the injected clock; checked by maintenance).
  uint32_t chunk_max_samples = 240;  // 120..1024 sensible; 240 balances bytes/sample and read cost
  size_t chunk_max_bytes = 4096;
  int64_t chunk_max_age_ns = 2 * kHourNs;
  uint64_t segment_max_bytes = 64ull << 20;  // a new segment file is started beyond this size

  // Retention, enforced by EnforceRetention (background: every retention_interval).
  int64_t raw_retention_ns = 7 * kDayNs;         // raw chunks whose newest sample is older are deleted
  bool rollups = true;                           // keep 1 m and 1 h min/max/sum/count/last rollups
  int64_t rollup_1m_retention_ns = 90 * kDayNs;
  int64_t rollup_1h_retention_ns = 730 * kDayNs;

  size_t max_series = 1'000'000;  // Resolve of a new series beyond this: ResourceExhausted.

  // Background maintenance thread (std::jthread). Tests turn it off and call the methods directly.
  bool background = true;
  std::chrono::milliseconds maintenance_interval{1000};  // seal old heads, persist sealed chunks
  std::chrono::milliseconds retention_interval{60'000};
  uint64_t checkpoint_wal_bytes = 64ull << 20;           // checkpoint the WAL once it is this big...
  std::chrono::milliseconds checkpoint_interval{300'000};  // ...or this old.

  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger. Warnings report recovery cuts.
};

class Tsdb final : public SampleStore {
 public:
  // Opens or creates the store: loads the index, cuts torn segment tails, replays checkpoint + WAL.
  // Errors: InvalidArgument (options), Unavailable (I/O, SQLite).
  // Resolve of a new series costs one fsync under kEveryBatch (so creating thousands of series at
  // start-up is disk-bound); under kInterval it is synced by the maintenance thread within a second.
  static Result<std::unique_ptr<Tsdb>> Open(const TsdbOptions& options, Clock& clock);
  // Stops maintenance, persists sealed chunks and checkpoints the WAL (without a WAL: seals and persists
  // every head). Errors are logged.
  ~Tsdb() override;

  Result<SeriesId> Resolve(const Labels& labels) override;
  Status Append(std::span<const Sample> samples) override;
  Result<std::vector<SeriesInfo>> Select(std::span<const LabelMatcher> matchers) const override;
  Result<Labels> LabelsOf(SeriesId id) const override;
  Status ReadRange(SeriesId id, TimestampNs from, TimestampNs to, std::vector<Sample>* out) const override;
  Status Scan(SeriesId id, TimestampNs from, TimestampNs to,
              const std::function<bool(std::span<const Sample>)>& fn) const override;
  // Raw chunks are summarised without decoding when a whole chunk falls in one bucket. Where the range
  // is older than the oldest raw sample, 1 h rollups are used when step >= 1 h, else 1 m rollups; a rollup
  // bucket counts whole in the step bucket holding its start. Errors: NotFound, InvalidArgument (step <= 0).
  Result<std::vector<Bucket>> ReadDownsampled(SeriesId id, TimestampNs from, TimestampNs to,
                                              int64_t step_ns) const override;
  Status Flush() override;
  StoreStats stats() const override;

  // Maintenance, also run by the background thread. Safe to call concurrently with everything.
  // Seals heads older than chunk_max_age and writes every sealed chunk (plus rollups) to disk.
  Status PersistChunks();
  // Seals every non-empty head now (tests, benchmarks, shutdown of a short-lived store), then persists.
  Status SealAll();
  // PersistChunks, snapshot the heads into a WAL checkpoint and delete the WAL segments it covers.
  Status Checkpoint();
  // Deletes raw chunks whose newest sample is older than now - raw_retention (and segment files left
  // empty), and rollups older than their retention.
  Status EnforceRetention(TimestampNs now);

  // Chunks skipped on read because their checksum did not match (each logged as a warning).
  uint64_t corrupt_chunks() const { return corrupt_chunks_.load(); }
  // Samples recovered from checkpoint + WAL at Open.
  uint64_t replayed_samples() const { return replayed_samples_; }
  // Encoded chunk bytes only (no record headers), for bytes/sample figures.
  uint64_t chunk_data_bytes() const { return chunk_data_bytes_.load(); }

 private:
  struct SealedChunk {
    Summary summary;
    std::string data;
  };
  struct Series {
    SeriesId id = 0;
    Labels labels;
    mutable std::mutex mu;
    ChunkEncoder head;
    Summary head_summary;
    TimestampNs head_opened_at = 0;  // clock time of the head's first sample
    bool has_last = false;
    TimestampNs last_ts = 0;         // newest accepted (or persisted) timestamp
    std::vector<std::shared_ptr<const SealedChunk>> sealed;  // sealed, not yet persisted; in time order
    std::vector<ChunkMeta> persisted;                         // by time
  };
  // What a reader sees of one series, taken under its mutex.
  struct Snapshot {
    std::vector<ChunkMeta> persisted;
    std::vector<std::shared_ptr<const SealedChunk>> sealed;
    std::shared_ptr<const SealedChunk> head;
  };

  Tsdb(const TsdbOptions& options, Clock& clock);
  Status LoadIndex();
  Status Replay(std::vector<Sample>& samples);
  Series* Find(SeriesId id) const;
  Series* AddSeries(SeriesId id, Labels labels, const std::string& key);
  // REQUIRES: s.mu held. Returns false if rejected (not newer than the newest sample).
  bool AppendLocked(Series& s, TimestampNs ts, double v, TimestampNs now);
  void SealLocked(Series& s);
  Status TakeSnapshot(SeriesId id, TimestampNs from, TimestampNs to, Snapshot* snap) const;
  // Decodes one persisted chunk; a corrupt chunk is logged, counted and yields no samples (OK).
  Status LoadPersisted(SeriesId id, const ChunkMeta& m, std::vector<Sample>* out) const;
  void RollupsOf(SeriesId id, const std::vector<Sample>& samples, std::vector<RollupRow>* out) const;
  void MaintenanceLoop(std::stop_token stop);

  std::unique_ptr<DirLock> lock_;  // first: released after everything else is closed
  const TsdbOptions options_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<IndexDb> index_;
  std::unique_ptr<SegmentFiles> segments_;
  std::unique_ptr<Wal> wal_;
  mutable RegexCache regex_cache_;

  mutable std::shared_mutex series_mu_;  // guards the maps below (not the Series' contents)
  std::vector<std::unique_ptr<Series>> by_id_;
  std::unordered_map<std::string, SeriesId> by_key_;
  // Postings: label name -> value -> ids (ascending), for equality matchers in Select.
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<SeriesId>>> postings_;
  std::mutex resolve_mu_;  // serialises series creation
  std::atomic<bool> unsynced_series_{false};  // kInterval: series rows not yet fsynced

  std::mutex pending_mu_;
  std::vector<SeriesId> pending_series_;  // series with sealed, unpersisted chunks (may repeat)

  std::mutex persist_mu_;     // one PersistChunks / EnforceRetention at a time
  std::map<uint32_t, uint64_t> segment_chunks_;  // live chunks per segment (guarded by persist_mu_)
  std::mutex checkpoint_mu_;  // one Checkpoint at a time

  std::atomic<uint64_t> samples_appended_{0};
  std::atomic<uint64_t> samples_rejected_{0};
  std::atomic<uint64_t> chunks_{0};
  std::atomic<uint64_t> bytes_on_disk_{0};
  std::atomic<uint64_t> chunk_data_bytes_{0};
  std::atomic<uint64_t> samples_in_chunks_{0};
  mutable std::atomic<uint64_t> corrupt_chunks_{0};
  uint64_t replayed_samples_ = 0;

  std::mutex bg_mu_;
  std::condition_variable_any bg_cv_;
  std::jthread maintenance_;
};

}  // namespace foresight::storage::tsdb

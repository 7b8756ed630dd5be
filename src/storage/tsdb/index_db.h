#pragma once
// IndexDb: the SQLite side of the tsdb (WAL journal mode): the series index (id <-> canonical labels),
// chunk metadata with per-chunk summaries, and the 1 m / 1 h rollups. Schema: docs/STORAGE.md ("Index").
// Doubles are stored as their 64-bit patterns (SQLite would turn NaN into NULL).
// Thread-safe: one connection behind a mutex.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/tsdb/segment_file.h"

namespace foresight::storage::tsdb {

struct RollupRow {
  SeriesId series = 0;
  int64_t res_ns = 0;
  TimestampNs start = 0;
  Summary agg;  // min_ts/max_ts: first and last sample in the bucket
};

class IndexDb {
 public:
  // Errors: Unavailable (cannot open or create the schema).
  static Result<std::unique_ptr<IndexDb>> Open(const std::string& path);
  ~IndexDb();

  // Inserts a series. durable: the commit is fsynced (synchronous=FULL); otherwise it survives a process
  // crash and becomes power-loss durable with the next durable commit or Sync(). Errors: Unavailable,
  // AlreadyExists.
  Result<SeriesId> InsertSeries(const std::string& canonical_labels, bool durable);
  // Makes every earlier commit power-loss durable (one fsync of SQLite's WAL).
  Status Sync();
  Status LoadSeries(const std::function<void(SeriesId, const std::string&)>& fn);
  Status LoadChunks(const std::function<void(SeriesId, const ChunkMeta&)>& fn);

  // One durable transaction: the chunks' metadata, and rollup buckets merged into existing rows.
  Status InsertChunks(const std::vector<std::pair<SeriesId, ChunkMeta>>& chunks, const std::vector<RollupRow>& rollups);
  // Deletes chunk rows with max_ts < cutoff.
  Status DeleteChunksBefore(TimestampNs cutoff);
  Status DeleteRollupsBefore(int64_t res_ns, TimestampNs cutoff);
  // Rollup rows of one series with from <= start <= to, by start.
  Status ReadRollups(SeriesId series, int64_t res_ns, TimestampNs from, TimestampNs to,
                     const std::function<void(const RollupRow&)>& fn);
  // The earliest rollup start kept for a series (nullopt: none).
  Result<std::optional<TimestampNs>> FirstRollup(SeriesId series, int64_t res_ns);

 private:
  explicit IndexDb(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Status Err(std::string_view what) const;

  mutable std::mutex mu_;
  sqlite3* db_;
};

}  // namespace foresight::storage::tsdb

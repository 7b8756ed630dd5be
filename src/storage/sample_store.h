#pragma once
// SampleStore: where samples live. The embedded implementation is storage/tsdb (Gorilla-compressed chunks
// behind a write-ahead log, SQLite for the series index and chunk metadata); a distributed deployment
// may put InfluxDB behind the same interface.
// Thread-safe: every method may be called concurrently.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/labels.h"
#include "core/status.h"
#include "core/types.h"

namespace foresight::storage {

enum class MatchOp { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// One PromQL-style label matcher. Regexes are fully anchored, as in Prometheus.
struct LabelMatcher {
  std::string name;
  MatchOp op = MatchOp::kEqual;
  std::string value;
};

// Parses `metric{a="x",b!="y",c=~"re",d!~"re"}` or `{...}` or a bare metric name.
// Errors: InvalidArgument naming the offset and the problem (also for an invalid regex).
Result<std::vector<LabelMatcher>> ParseSelector(std::string_view text);

struct SeriesInfo {
  SeriesId id = 0;
  Labels labels;
};

// One downsampling step [start, start + step): aggregates of the raw samples in it.
struct Bucket {
  TimestampNs start = 0;
  double min = 0;
  double max = 0;
  double sum = 0;
  double last = 0;
  uint64_t count = 0;
  double mean() const { return count ? sum / static_cast<double>(count) : 0; }
};

struct StoreStats {
  uint64_t series = 0;
  uint64_t samples_appended = 0;      // since open
  uint64_t samples_rejected = 0;      // out of order / invalid, since open
  uint64_t chunks = 0;                // closed (persisted) chunks
  uint64_t bytes_on_disk = 0;         // chunk bytes, excluding WAL and SQLite overhead
  uint64_t samples_in_chunks = 0;     // samples in closed chunks (for bytes/sample)
  uint64_t wal_bytes = 0;
};

class SampleStore {
 public:
  virtual ~SampleStore() = default;

  // Returns the id of the series with these labels, creating it (durably) if new.
  // Errors: InvalidArgument (labels invalid), ResourceExhausted (series cardinality limit).
  virtual Result<SeriesId> Resolve(const Labels& labels) = 0;

  // Appends samples of already-resolved series. Returns only once the batch is durable under the
  // configured fsync policy ("acknowledged"). Samples older than the newest sample of their series are
  // rejected (counted; see docs/STORAGE.md) without failing the rest of the batch.
  // Errors: NotFound (unknown series id), Unavailable (I/O failure: nothing of the batch is acknowledged).
  virtual Status Append(std::span<const Sample> samples) = 0;

  // Series whose labels satisfy every matcher (an empty list selects all).
  virtual Result<std::vector<SeriesInfo>> Select(std::span<const LabelMatcher> matchers) const = 0;
  virtual Result<Labels> LabelsOf(SeriesId id) const = 0;

  // Raw samples with from <= ts <= to, in time order, appended to *out. Errors: NotFound.
  virtual Status ReadRange(SeriesId id, TimestampNs from, TimestampNs to, std::vector<Sample>* out) const = 0;

  // Streams the same samples in batches; stops early when fn returns false. For training reads.
  virtual Status Scan(SeriesId id, TimestampNs from, TimestampNs to,
                      const std::function<bool(std::span<const Sample>)>& fn) const = 0;

  // Buckets of width step_ns aligned to multiples of step_ns; empty buckets are omitted.
  // Uses rollups where the range is older than raw retention. REQUIRES: step_ns > 0.
  virtual Result<std::vector<Bucket>> ReadDownsampled(SeriesId id, TimestampNs from, TimestampNs to,
                                                      int64_t step_ns) const = 0;

  // Forces the WAL to disk and seals nothing; used on clean shutdown.
  virtual Status Flush() = 0;
  virtual StoreStats stats() const = 0;
};

}  // namespace foresight::storage

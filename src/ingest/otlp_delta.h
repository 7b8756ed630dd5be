#pragma once
// Delta → cumulative conversion of OTLP sums and histograms (README.md "OTLP", "Delta temporality").
//
// A DELTA point carries the change over (start_time_unix_nano, time_unix_nano]; Foresight stores
// cumulative series (a `_total` that only grows, cumulative `_bucket`s), so the deltas of each series are
// added up here, following the OTel data model's delta-to-cumulative algorithm:
//   - the first point of a series starts its running total (the point's own value);
//   - a point whose start time is the previous point's time (the next window) is added to the total;
//     a point without a start time (0) is taken as the next window;
//   - a point that ends at or before the previous point's time (a duplicate, e.g. a retried request, or a
//     late point) is dropped (kDropped);
//   - any other point (its start leaves a gap after the previous point, or overlaps it: a restarted
//     producer) resets the total to the point's own value (kReset), which a reader sees as a counter reset;
//   - a histogram whose bucket layout changed (explicit bounds, or the exponential zero threshold) resets.
//
// A series is keyed by its label set (metric name included). At most `max_series` series are tracked:
// beyond that the least recently updated one is forgotten, and its next point starts a new total.
//
// Updates are staged: a request opens a Batch, converts its points (each sees the batch's earlier
// points), and commits only once its samples were stored, so a request refused with 429/503 and retried
// by the client is not counted twice. Two batches updating the same series at once: the later commit wins
// (OTel's single-writer principle says one producer owns a series).
//
// Thread-safe: Begin(), Commit() and the getters may be called from any thread; a Batch is used by one
// thread. The accumulator must outlive its batches.

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "ingest/otlp_exponential.h"

namespace foresight::ingest {

struct ExplicitHistogram {
  std::vector<double> bounds;    // explicit_bounds
  std::vector<uint64_t> counts;  // bucket_counts (bounds + 1, or none)
  uint64_t count = 0;
  std::optional<double> sum;
};

enum class DeltaOutcome {
  kAdded,    // the point continued the series (or started it)
  kReset,    // the series restarted at this point (gap, overlap, new layout)
  kDropped,  // a duplicate or late point: nothing to store
};

struct OtlpDeltaOptions {
  size_t max_series = 100'000;                 // series tracked; more: the least recently updated is forgotten
  size_t max_exponential_buckets_per_range = 160;  // a running exponential histogram is downscaled past this
};

class OtlpDeltaAccumulator {
 public:
  using Value = std::variant<double, ExplicitHistogram, ExponentialHistogram>;

  explicit OtlpDeltaAccumulator(OtlpDeltaOptions options = {}) : options_(options) {}
  OtlpDeltaAccumulator(const OtlpDeltaAccumulator&) = delete;
  OtlpDeltaAccumulator& operator=(const OtlpDeltaAccumulator&) = delete;

  class Batch {
   public:
    // Adds the delta point `value` (over (start_ns, time_ns]) to the series `key`; *cumulative is the
    // series' running value after it (unchanged when kDropped). `value` and *cumulative hold the same
    // alternative; a series whose alternative changes (a metric changed type) restarts.
    DeltaOutcome Add(const std::string& key, uint64_t start_ns, uint64_t time_ns, const Value& value, Value* cumulative);

    size_t size() const { return staged_.size(); }

   private:
    friend class OtlpDeltaAccumulator;
    explicit Batch(OtlpDeltaAccumulator* owner) : owner_(owner) {}
    struct State {
      uint64_t last_ns = 0;
      Value value;
    };
    OtlpDeltaAccumulator* owner_;
    std::unordered_map<std::string, State> staged_;
  };

  Batch Begin() { return Batch(this); }
  // Makes the batch's series states current (and most recently used), forgetting the least recently used
  // series beyond max_series.
  void Commit(Batch&& batch);

  size_t size() const;     // series tracked
  size_t evicted() const;  // series forgotten so far because of max_series

 private:
  using State = Batch::State;
  struct Entry {
    std::string key;
    State state;
  };
  bool Lookup(const std::string& key, State* out) const;

  const OtlpDeltaOptions options_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently updated first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t evicted_ = 0;
};

}  // namespace foresight::ingest

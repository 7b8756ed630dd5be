#pragma once
// EventAggregator: user-activity and business events (POST /api/v1/events) become ordinary series. Events
// are counted per (type, entity) in the current interval; Flush() emits, once per collect interval:
//
//   event_count{type, entity}            events in the interval
//   event_rate_per_min{type, entity}     events in the last minute (a sliding 60 s window of intervals)
//   event_<field>_sum{type, entity}      sum of the numeric field over the interval's events
//
// so "checkouts per minute" is event_rate_per_min{type="checkout"}. A (type, entity) keeps emitting
// (zeros) until its last event has left the rate window, so a rate falls back to 0 visibly. Events are
// aggregated by arrival interval; their own timestamps are not used for bucketing.
//
// Thread-safe (one mutex).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"

namespace foresight::ingest {

struct Event {
  std::string type;    // "checkout", "login_failed"
  std::string entity;  // the service, host or shop it belongs to
  TimestampNs ts_ns = 0;
  std::vector<std::pair<std::string, double>> fields;  // numeric fields; names already sanitised
};

struct EventAggregatorOptions {
  int64_t rate_window_ns = 60 * kNanosPerSecond;  // event_rate_per_min covers this much (60 s: per minute)
  size_t max_keys = 10'000;  // distinct (type, entity); events of further keys are refused by Add
  size_t max_fields_per_key = 32;  // further field names of one key are not summed
};

class EventAggregator {
 public:
  explicit EventAggregator(EventAggregatorOptions options = {});

  // Counts the events. Returns how many were refused because max_keys distinct (type, entity) exist.
  size_t Add(std::span<const Event> events);
  // Appends the interval's samples (timestamp `tick`) to `out` and starts a new interval.
  void Flush(TimestampNs tick, std::vector<LabeledSample>* out);
  size_t key_count() const;

 private:
  struct KeyState {
    uint64_t count = 0;
    std::map<std::string, double> sums;           // this interval
    std::deque<std::pair<TimestampNs, uint64_t>> history;  // (tick, count) within the rate window
    uint64_t window_total = 0;
  };
  const EventAggregatorOptions options_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, KeyState> keys_;
};

}  // namespace foresight::ingest

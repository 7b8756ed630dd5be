#pragma once
// EntityFeatures: the streaming features of one entity (host, service), one SeriesFeatures per metric key,
// turned into a fixed-order feature vector per tick. Training (models/trainer) and scoring replay samples
// through this same class, so both see identical vectors for identical input (entity_features_test.cc).
// Not thread-safe: one owner per entity; hand work to it by EntityId.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/labels.h"
#include "core/status.h"
#include "core/types.h"
#include "features/series_features.h"

namespace foresight::features {

// The feature key of a series: its metric name (the "__name__" label) plus every label that does not name
// the entity (all but host, entity, entity_kind, simulated, job, instance), in label-name order, as
// name=value without quotes. So several series of one metric on one entity do not collide:
//   disk_used_percent{host="a",mount="/"}                -> "disk_used_percent{mount=/}"
//   host_cpu_mode_percent{cpu="0",host="a",mode="idle"}  -> "host_cpu_mode_percent{cpu=0,mode=idle}"
//   memory_used_percent{host="a"}                        -> "memory_used_percent"
std::string MetricKey(const Labels& labels);

// The ordered feature names of a model's input: "metric.feature" (e.g. "memory_used_percent.slope_15m").
// Copyable value; a model stores its names and the scorer rebuilds the schema with FromNames().
class FeatureSchema {
 public:
  FeatureSchema() = default;
  // Every feature of each metric, metric-major, metrics in the given order.
  static FeatureSchema ForMetrics(std::vector<std::string> metric_keys, const FeatureOptions& options);
  // Any subset/order of "metric.feature" names; the feature part is what follows the last '.'.
  // Errors: InvalidArgument (no '.', or a feature these options do not produce, e.g. other windows).
  static Result<FeatureSchema> FromNames(const std::vector<std::string>& names, const FeatureOptions& options);

  const std::vector<std::string>& names() const { return names_; }
  // Distinct metric keys, in first-appearance order.
  const std::vector<std::string>& metrics() const { return metrics_; }
  size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }

  friend bool operator==(const FeatureSchema& a, const FeatureSchema& b) { return a.names_ == b.names_; }

 private:
  friend class EntityFeatures;
  struct Slot {
    uint32_t metric;   // index into metrics_
    uint32_t feature;  // index into SeriesFeatures::Names()
  };
  std::vector<std::string> names_;
  std::vector<std::string> metrics_;
  std::vector<Slot> slots_;
  size_t per_metric_ = 0;  // SeriesFeatures::size() for the options the schema was built with
  bool dense_ = false;     // slots are exactly every feature of every metric, metric-major (fast path)
};

class EntityFeatures {
 public:
  explicit EntityFeatures(FeatureOptions options = {});

  // Routes one sample to the metric's SeriesFeatures (created on first sight). See SeriesFeatures::Update
  // for NaN and out-of-order handling.
  void Update(std::string_view metric, TimestampNs ts, double v);

  // The metric's state (created on first sight), for a caller that routes many samples to the same
  // series and wants to skip the per-sample lookup by name: pass it to Update(SeriesFeatures*, ...).
  // The pointer stays valid until EvictIdle() drops the metric or this object is destroyed.
  SeriesFeatures* Series(std::string_view metric);
  // Update(metric, ts, v) without the lookup. REQUIRES: series came from this object's Series().
  void Update(SeriesFeatures* series, TimestampNs ts, double v) {
    series->Update(ts, v);
    if (series->last_ts() > last_ts_) last_ts_ = series->last_ts();
  }

  // Every feature of every metric seen so far, metrics sorted by key (deterministic whatever the arrival order).
  FeatureSchema Schema() const;

  // Fills *out (resized to schema.size()) in schema order. A metric never seen (or without samples yet)
  // yields NaN for its features; the model decides how to treat NaN (models/README.md: imputation).
  // REQUIRES: schema built with the same FeatureOptions as this object.
  void Vector(const FeatureSchema& schema, std::vector<double>* out) const;

  // Forgets metrics whose newest sample is older than `cutoff` (series that went away: a container, a
  // mount), so the state does not grow with churn. Their features read as NaN afterwards, exactly as for a
  // metric never seen. Returns how many were dropped.
  size_t EvictIdle(TimestampNs cutoff);

  const FeatureOptions& options() const { return options_; }
  size_t metric_count() const { return series_.size(); }
  // Newest accepted sample time over all metrics (0 before the first).
  TimestampNs last_ts() const { return last_ts_; }
  // Per-metric state, or nullptr if never seen.
  const SeriesFeatures* Find(std::string_view metric) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  FeatureOptions options_;
  size_t per_metric_;
  std::unordered_map<std::string, std::unique_ptr<SeriesFeatures>, Hash, std::equal_to<>> series_;
  TimestampNs last_ts_ = 0;
};

}  // namespace foresight::features

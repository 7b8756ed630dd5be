#pragma once
// Per-entity training: replays an entity's stored history through a fresh features::EntityFeatures (the
// code the scoring path runs), takes one feature row per step after a warm-up, and trains an Isolation
// Forest on the rows. Reads storage only through SampleStore::Scan, in time slices, so memory stays
// bounded by one slice of samples plus the rows.
// Thread-safe: the functions share no state; the store must be (SampleStore is).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "features/entity_features.h"
#include "models/isolation_forest.h"
#include "storage/sample_store.h"

namespace foresight::models {

struct TrainOptions {
  features::FeatureOptions features;
  IsolationForestOptions forest;
  int64_t step_ns = kNanosPerSecond;             // one row per step (the scoring tick). REQUIRES: > 0.
  int64_t warmup_ns = -1;                        // no rows before from + warmup; -1: the longest window.
  int64_t stale_after_ns = 60 * kNanosPerSecond; // no row at a tick if the entity sent nothing this long
                                                 // (outages would otherwise add copies of one row).
  size_t max_rows = 50'000;                      // the step widens evenly so rows stay within this.
  size_t min_rows = 64;                          // fewer rows: FailedPrecondition.
  int64_t scan_slice_ns = 3600 * kNanosPerSecond;// history is read and merged in slices this long.
  // Per-series features to keep (e.g. {"ewma", "slope_15m"}); empty keeps all. With every feature of every
  // metric, the forest's random split choice rarely lands on the few columns of the metric that moved.
  // Errors: InvalidArgument for a name SeriesFeatures::Names(features) does not produce.
  std::vector<std::string> feature_subset;
};

// Feature rows of one entity over a span, as the scorer would have seen them at each tick.
struct TrainingRows {
  features::FeatureSchema schema;  // metric keys (features::MetricKey) sorted; per key its features in
                                   // SeriesFeatures order (all, or options.feature_subset)
  std::vector<double> values;      // row-major, rows x schema.size()
  std::vector<TimestampNs> ticks;  // the tick of each row
  int64_t step_ns = 0;             // effective step (>= options.step_ns when max_rows forced it wider)
  uint64_t samples = 0;            // samples replayed
  size_t rows() const { return ticks.size(); }
};

struct TrainedEntityModel {
  IsolationForestPtr model;        // feature_names() == schema.names()
  features::FeatureSchema schema;
  features::FeatureOptions feature_options;
  TimestampNs data_from = 0;       // first row's tick
  TimestampNs data_to = 0;         // last row's tick
  uint64_t rows = 0;
  uint64_t samples = 0;
  int64_t step_ns = 0;
};

// Builds the rows: every series is keyed by features::MetricKey(labels) (series with the same key are merged
// into one stream); ticks are from + warmup + k * step <= to, and a row at tick T reflects exactly the
// samples with ts <= T. Errors: InvalidArgument (no series, from >= to, bad options), errors of
// SampleStore::Scan (e.g. NotFound) with context.
Result<TrainingRows> BuildTrainingRows(const storage::SampleStore& store,
                                       const std::vector<storage::SeriesInfo>& series_of_entity,
                                       TimestampNs from, TimestampNs to, const TrainOptions& options);

// BuildTrainingRows + IsolationForestModel::Train. Errors: as above, plus FailedPrecondition when fewer than
// options.min_rows rows, and the forest's InvalidArgument.
Result<TrainedEntityModel> TrainEntityModel(const storage::SampleStore& store,
                                            const std::vector<storage::SeriesInfo>& series_of_entity,
                                            TimestampNs from, TimestampNs to, const TrainOptions& options);

}  // namespace foresight::models

#include "models/trainer.h"

#include <algorithm>
#include <string>

namespace foresight::models {
namespace {

struct Event {
  TimestampNs ts;
  uint32_t key;  // index into the sorted metric keys
  double v;
};

}  // namespace

Result<TrainingRows> BuildTrainingRows(const storage::SampleStore& store,
                                       const std::vector<storage::SeriesInfo>& series_of_entity,
                                       TimestampNs from, TimestampNs to, const TrainOptions& options) {
  if (series_of_entity.empty()) return Status::InvalidArgument("train", "entity has no series");
  if (from >= to) return Status::InvalidArgument("train", "empty time range");
  if (options.step_ns <= 0 || options.scan_slice_ns <= 0 || options.max_rows == 0) {
    return Status::InvalidArgument("train", "step, scan slice and max_rows must be positive");
  }
  for (int64_t w : options.features.windows_ns) {
    if (w <= 0) return Status::InvalidArgument("train", "feature windows must be positive");
  }
  if (!(options.features.ewma_half_life_s > 0)) return Status::InvalidArgument("train", "ewma half-life must be > 0");

  // Metric keys, sorted and unique: the same order EntityFeatures::Schema() gives the scorer.
  std::vector<std::string> keys;
  for (const auto& s : series_of_entity) keys.push_back(features::MetricKey(s.labels));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<uint32_t> key_of_series(series_of_entity.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    key_of_series[i] =
        static_cast<uint32_t>(std::lower_bound(sorted.begin(), sorted.end(), keys[i]) - sorted.begin());
  }

  TrainingRows out;
  if (options.feature_subset.empty()) {
    out.schema = features::FeatureSchema::ForMetrics(sorted, options.features);
  } else {
    const std::vector<std::string> all = features::SeriesFeatures::Names(options.features);
    for (const std::string& f : options.feature_subset) {
      if (std::find(all.begin(), all.end(), f) == all.end()) {
        return Status::InvalidArgument("train", "feature_subset names an unknown feature", f);
      }
    }
    std::vector<std::string> names;
    for (const std::string& key : sorted) {
      for (const std::string& f : all) {
        if (std::find(options.feature_subset.begin(), options.feature_subset.end(), f) !=
            options.feature_subset.end()) {
          names.push_back(key + "." + f);
        }
      }
    }
    FS_ASSIGN_OR_RETURN(out.schema, features::FeatureSchema::FromNames(names, options.features));
  }
  const int64_t longest =
      options.features.windows_ns.empty()
          ? 0
          : *std::max_element(options.features.windows_ns.begin(), options.features.windows_ns.end());
  const int64_t warmup = options.warmup_ns >= 0 ? options.warmup_ns : longest;
  const TimestampNs first_tick = from + warmup;
  if (first_tick > to) return Status::InvalidArgument("train", "time range shorter than the warm-up");
  const uint64_t span = static_cast<uint64_t>(to - first_tick);
  out.step_ns = options.step_ns;
  if (span / static_cast<uint64_t>(out.step_ns) + 1 > options.max_rows) {
    // Smallest step with span / step + 1 <= max_rows.
    out.step_ns = options.max_rows == 1 ? static_cast<int64_t>(span) + 1
                                        : static_cast<int64_t>(span / (options.max_rows - 1)) + 1;
  }

  features::EntityFeatures entity(options.features);
  std::vector<double> row;
  TimestampNs next_tick = first_tick;
  bool any_sample = false;
  auto emit_until = [&](TimestampNs limit) {
    // Rows for every tick <= limit, each reflecting the samples fed so far (all with ts <= tick).
    for (; next_tick <= limit && next_tick <= to; next_tick += out.step_ns) {
      if (!any_sample || entity.last_ts() < next_tick - options.stale_after_ns) continue;
      entity.Vector(out.schema, &row);
      out.values.insert(out.values.end(), row.begin(), row.end());
      out.ticks.push_back(next_tick);
    }
  };

  std::vector<Event> events;
  for (TimestampNs slice = from; slice <= to;) {
    const TimestampNs slice_end = (to - slice < options.scan_slice_ns) ? to : slice + options.scan_slice_ns - 1;
    events.clear();
    for (size_t i = 0; i < series_of_entity.size(); ++i) {
      const uint32_t key = key_of_series[i];
      Status st = store.Scan(series_of_entity[i].id, slice, slice_end, [&](std::span<const Sample> batch) {
        for (const Sample& s : batch) events.push_back({s.ts_ns, key, s.value});
        return true;
      });
      if (!st.ok()) return st.WithContext("train: scan " + series_of_entity[i].labels.ToString());
    }
    // Time order; ties by metric key then arrival, so the replay order is fully determined.
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.key < b.key;
    });
    for (const Event& e : events) {
      emit_until(e.ts - 1);
      entity.Update(sorted[e.key], e.ts, e.v);
      any_sample = true;
      ++out.samples;
    }
    if (slice_end == to) break;
    slice = slice_end + 1;
  }
  emit_until(to);
  return out;
}

Result<TrainedEntityModel> TrainEntityModel(const storage::SampleStore& store,
                                            const std::vector<storage::SeriesInfo>& series_of_entity,
                                            TimestampNs from, TimestampNs to, const TrainOptions& options) {
  FS_ASSIGN_OR_RETURN(TrainingRows rows, BuildTrainingRows(store, series_of_entity, from, to, options));
  if (rows.rows() < std::max<size_t>(options.min_rows, 2)) {
    return Status::FailedPrecondition("train", "only " + std::to_string(rows.rows()) +
                                                   " rows of history, need " + std::to_string(options.min_rows));
  }
  FS_ASSIGN_OR_RETURN(IsolationForestPtr model,
                      IsolationForestModel::Train(rows.values, rows.schema.size(), rows.schema.names(),
                                                  options.forest));
  TrainedEntityModel out;
  out.model = std::move(model);
  out.schema = std::move(rows.schema);
  out.feature_options = options.features;
  out.data_from = rows.ticks.front();
  out.data_to = rows.ticks.back();
  out.rows = rows.rows();
  out.samples = rows.samples;
  out.step_ns = rows.step_ns;
  return out;
}

}  // namespace foresight::models

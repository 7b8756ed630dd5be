#include "features/entity_features.h"

#include <algorithm>
#include <limits>

namespace foresight::features {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Labels that name the entity (or where its data came from), not the feature.
constexpr std::string_view kEntityLabels[] = {"__name__", "entity", "entity_kind", "host", "instance", "job",
                                              "simulated"};

bool IsEntityLabel(std::string_view name) {
  for (std::string_view e : kEntityLabels) {
    if (name == e) return true;
  }
  return false;
}

}  // namespace

std::string MetricKey(const Labels& labels) {
  std::string key(labels.metric());
  bool open = false;
  for (const Label& l : labels) {  // sorted by name
    if (IsEntityLabel(l.name)) continue;
    key += open ? ',' : '{';
    open = true;
    key += l.name;
    key += '=';
    key += l.value;
  }
  if (open) key += '}';
  return key;
}

FeatureSchema FeatureSchema::ForMetrics(std::vector<std::string> metric_keys, const FeatureOptions& options) {
  FeatureSchema s;
  const std::vector<std::string> features = SeriesFeatures::Names(options);
  s.per_metric_ = features.size();
  s.metrics_ = std::move(metric_keys);
  for (uint32_t m = 0; m < s.metrics_.size(); ++m) {
    for (uint32_t f = 0; f < features.size(); ++f) {
      s.names_.push_back(s.metrics_[m] + "." + features[f]);
      s.slots_.push_back({m, f});
    }
  }
  s.dense_ = true;
  return s;
}

Result<FeatureSchema> FeatureSchema::FromNames(const std::vector<std::string>& names,
                                               const FeatureOptions& options) {
  FeatureSchema s;
  const std::vector<std::string> features = SeriesFeatures::Names(options);
  s.per_metric_ = features.size();
  std::unordered_map<std::string, uint32_t> metric_index;
  for (const std::string& name : names) {
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0) {
      return Status::InvalidArgument("feature schema", "expected metric.feature", name);
    }
    const std::string metric = name.substr(0, dot);
    const std::string_view feature = std::string_view(name).substr(dot + 1);
    auto it = std::find(features.begin(), features.end(), feature);
    if (it == features.end()) {
      return Status::InvalidArgument("feature schema", "feature not produced by these options", name);
    }
    auto [mit, inserted] = metric_index.try_emplace(metric, static_cast<uint32_t>(s.metrics_.size()));
    if (inserted) s.metrics_.push_back(metric);
    s.names_.push_back(name);
    s.slots_.push_back({mit->second, static_cast<uint32_t>(it - features.begin())});
  }
  // Detect the dense layout so Vector() can write straight into the output.
  bool dense = s.slots_.size() == s.metrics_.size() * features.size();
  for (size_t i = 0; dense && i < s.slots_.size(); ++i) {
    dense = s.slots_[i].metric == i / features.size() && s.slots_[i].feature == i % features.size();
  }
  s.dense_ = dense;
  return s;
}

EntityFeatures::EntityFeatures(FeatureOptions options)
    : options_(std::move(options)), per_metric_(SeriesFeatures::Names(options_).size()) {}

SeriesFeatures* EntityFeatures::Series(std::string_view metric) {
  auto it = series_.find(metric);
  if (it == series_.end()) {
    it = series_.emplace(std::string(metric), std::make_unique<SeriesFeatures>(options_)).first;
  }
  return it->second.get();
}

void EntityFeatures::Update(std::string_view metric, TimestampNs ts, double v) { Update(Series(metric), ts, v); }

const SeriesFeatures* EntityFeatures::Find(std::string_view metric) const {
  auto it = series_.find(metric);
  return it == series_.end() ? nullptr : it->second.get();
}

size_t EntityFeatures::EvictIdle(TimestampNs cutoff) {
  return std::erase_if(series_, [&](const auto& kv) { return kv.second->last_ts() < cutoff; });
}

FeatureSchema EntityFeatures::Schema() const {
  std::vector<std::string> keys;
  keys.reserve(series_.size());
  for (const auto& [k, _] : series_) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return FeatureSchema::ForMetrics(std::move(keys), options_);
}

void EntityFeatures::Vector(const FeatureSchema& schema, std::vector<double>* out) const {
  out->resize(schema.size());
  if (schema.dense_ && schema.per_metric_ == per_metric_) {
    double* o = out->data();
    for (const std::string& m : schema.metrics_) {
      const SeriesFeatures* s = Find(m);
      if (s) {
        s->Write(o);
      } else {
        std::fill(o, o + per_metric_, kNaN);
      }
      o += per_metric_;
    }
    return;
  }
  // Subset or reordered schema: write each metric once into a scratch buffer (consecutive slots of one
  // metric share it) and pick the requested features.
  constexpr size_t kStack = 64;
  double stack[kStack];
  std::vector<double> heap;
  double* scratch = stack;
  if (per_metric_ > kStack) {
    heap.resize(per_metric_);
    scratch = heap.data();
  }
  uint32_t current = std::numeric_limits<uint32_t>::max();
  const SeriesFeatures* series = nullptr;
  for (size_t i = 0; i < schema.slots_.size(); ++i) {
    const auto& slot = schema.slots_[i];
    if (slot.metric != current) {
      current = slot.metric;
      series = Find(schema.metrics_[current]);
      if (series) series->Write(scratch);
    }
    (*out)[i] = series && slot.feature < per_metric_ ? scratch[slot.feature] : kNaN;
  }
}

}  // namespace foresight::features

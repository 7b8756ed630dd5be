#include "ingest/event_aggregator.h"

namespace foresight::ingest {

EventAggregator::EventAggregator(EventAggregatorOptions options) : options_(options) {}

size_t EventAggregator::Add(std::span<const Event> events) {
  size_t refused = 0;
  std::lock_guard lock(mu_);
  for (const Event& e : events) {
    auto key = std::make_pair(e.type, e.entity);
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      if (keys_.size() >= options_.max_keys) {
        ++refused;
        continue;
      }
      it = keys_.try_emplace(std::move(key)).first;
    }
    KeyState& k = it->second;
    ++k.count;
    for (const auto& [name, v] : e.fields) {
      auto f = k.sums.find(name);
      if (f == k.sums.end()) {
        if (k.sums.size() >= options_.max_fields_per_key) continue;
        f = k.sums.emplace(name, 0.0).first;
      }
      f->second += v;
    }
  }
  return refused;
}

void EventAggregator::Flush(TimestampNs tick, std::vector<LabeledSample>* out) {
  std::lock_guard lock(mu_);
  auto emit = [&](const std::string& name, const std::pair<std::string, std::string>& key, double v) {
    LabeledSample s;
    s.labels.Set(kMetricNameLabel, name);
    s.labels.Set("type", key.first);
    s.labels.Set(kEntityLabel, key.second);
    s.ts_ns = tick;
    s.value = v;
    out->push_back(std::move(s));
  };
  for (auto it = keys_.begin(); it != keys_.end();) {
    KeyState& k = it->second;
    while (!k.history.empty() && k.history.front().first <= tick - options_.rate_window_ns) {
      k.window_total -= k.history.front().second;
      k.history.pop_front();
    }
    if (k.count == 0 && k.history.empty()) {
      it = keys_.erase(it);  // silent for a whole window: forget it (its zeros were emitted)
      continue;
    }
    if (k.count > 0) {
      k.history.emplace_back(tick, k.count);
      k.window_total += k.count;
    }
    emit("event_count", it->first, static_cast<double>(k.count));
    emit("event_rate_per_min", it->first,
         static_cast<double>(k.window_total) * (60.0 * kNanosPerSecond / static_cast<double>(options_.rate_window_ns)));
    for (auto& [field, sum] : k.sums) {
      emit("event_" + field + "_sum", it->first, sum);
      sum = 0;
    }
    k.count = 0;
    ++it;
  }
}

size_t EventAggregator::key_count() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace foresight::ingest

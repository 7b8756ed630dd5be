#include "ingest/otlp_delta.h"

#include <algorithm>

namespace foresight::ingest {
namespace {

// into += delta; false (into unchanged) when the two cannot be added (other type or bucket layout).
bool Merge(OtlpDeltaAccumulator::Value* into, const OtlpDeltaAccumulator::Value& delta, size_t max_buckets_per_range) {
  if (into->index() != delta.index()) return false;
  if (auto* d = std::get_if<double>(into)) {
    *d += std::get<double>(delta);
    return true;
  }
  if (auto* h = std::get_if<ExplicitHistogram>(into)) {
    const auto& dh = std::get<ExplicitHistogram>(delta);
    if (h->bounds != dh.bounds || h->counts.size() != dh.counts.size()) return false;
    for (size_t i = 0; i < h->counts.size(); ++i) h->counts[i] += dh.counts[i];
    h->count += dh.count;
    h->sum = (h->sum && dh.sum) ? std::optional<double>(*h->sum + *dh.sum) : std::nullopt;
    return true;
  }
  return MergeExponentialHistogram(&std::get<ExponentialHistogram>(*into), std::get<ExponentialHistogram>(delta),
                                   max_buckets_per_range);
}

}  // namespace

DeltaOutcome OtlpDeltaAccumulator::Batch::Add(const std::string& key, uint64_t start_ns, uint64_t time_ns, const Value& value,
                                              Value* cumulative) {
  auto it = staged_.find(key);
  if (it == staged_.end()) {
    State known;
    if (!owner_->Lookup(key, &known)) {
      staged_.emplace(key, State{time_ns, value});
      *cumulative = value;
      return DeltaOutcome::kAdded;
    }
    it = staged_.emplace(key, std::move(known)).first;
  }
  State& s = it->second;
  if (time_ns <= s.last_ns) {
    *cumulative = s.value;
    return DeltaOutcome::kDropped;
  }
  const bool next_window = start_ns == 0 || start_ns == s.last_ns;
  if (next_window && Merge(&s.value, value, owner_->options_.max_exponential_buckets_per_range)) {
    s.last_ns = time_ns;
    *cumulative = s.value;
    return DeltaOutcome::kAdded;
  }
  s = State{time_ns, value};
  *cumulative = value;
  return DeltaOutcome::kReset;
}

bool OtlpDeltaAccumulator::Lookup(const std::string& key, State* out) const {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  *out = it->second->state;
  return true;
}

void OtlpDeltaAccumulator::Commit(Batch&& batch) {
  std::lock_guard lock(mu_);
  for (auto& [key, state] : batch.staged_) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->state = std::move(state);
      lru_.splice(lru_.begin(), lru_, it->second);
      continue;
    }
    lru_.push_front(Entry{key, std::move(state)});
    index_.emplace(key, lru_.begin());
  }
  batch.staged_.clear();
  while (lru_.size() > std::max<size_t>(options_.max_series, 1)) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++evicted_;
  }
}

size_t OtlpDeltaAccumulator::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

size_t OtlpDeltaAccumulator::evicted() const {
  std::lock_guard lock(mu_);
  return evicted_;
}

}  // namespace foresight::ingest

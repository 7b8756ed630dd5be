#pragma once
// InMemorySampleStore: a test fake of storage::SampleStore (the edge the trainer reads from), header-only so
// only tests compile it. Keeps samples per series in vectors; Scan delivers small batches to exercise
// callers' batching. Optionally fails every Scan of one series (fault injection).
// Thread-safe: a mutex guards everything.

#include <algorithm>
#include <map>
#include <mutex>
#include <regex>
#include <vector>

#include "storage/sample_store.h"

namespace foresight::models::testing {

class InMemorySampleStore final : public storage::SampleStore {
 public:
  Result<SeriesId> Resolve(const Labels& labels) override {
    std::lock_guard lock(mu_);
    for (const auto& [id, s] : series_) {
      if (s.labels == labels) return id;
    }
    const SeriesId id = next_id_++;
    series_[id].labels = labels;
    return id;
  }

  Status Append(std::span<const Sample> samples) override {
    std::lock_guard lock(mu_);
    for (const Sample& s : samples) {
      auto it = series_.find(s.series_id);
      if (it == series_.end()) return Status::NotFound("series", std::to_string(s.series_id));
      auto& pts = it->second.samples;
      if (!pts.empty() && s.ts_ns < pts.back().ts_ns) {
        ++stats_.samples_rejected;
        continue;
      }
      pts.push_back(s);
      ++stats_.samples_appended;
    }
    return Status::Ok();
  }

  Result<std::vector<storage::SeriesInfo>> Select(std::span<const storage::LabelMatcher> matchers) const override {
    std::lock_guard lock(mu_);
    std::vector<storage::SeriesInfo> out;
    for (const auto& [id, s] : series_) {
      bool match = true;
      for (const auto& m : matchers) {
        const std::string v(s.labels.Get(m.name));
        switch (m.op) {
          case storage::MatchOp::kEqual: match &= v == m.value; break;
          case storage::MatchOp::kNotEqual: match &= v != m.value; break;
          case storage::MatchOp::kRegexMatch: match &= std::regex_match(v, std::regex(m.value)); break;
          case storage::MatchOp::kRegexNoMatch: match &= !std::regex_match(v, std::regex(m.value)); break;
        }
      }
      if (match) out.push_back({id, s.labels});
    }
    return out;
  }

  Result<Labels> LabelsOf(SeriesId id) const override {
    std::lock_guard lock(mu_);
    auto it = series_.find(id);
    if (it == series_.end()) return Status::NotFound("series", std::to_string(id));
    return it->second.labels;
  }

  Status ReadRange(SeriesId id, TimestampNs from, TimestampNs to, std::vector<Sample>* out) const override {
    return Scan(id, from, to, [&](std::span<const Sample> b) {
      out->insert(out->end(), b.begin(), b.end());
      return true;
    });
  }

  Status Scan(SeriesId id, TimestampNs from, TimestampNs to,
              const std::function<bool(std::span<const Sample>)>& fn) const override {
    std::vector<Sample> copy;
    {
      std::lock_guard lock(mu_);
      if (id == fail_scan_of_) return Status::Unavailable("injected scan failure");
      auto it = series_.find(id);
      if (it == series_.end()) return Status::NotFound("series", std::to_string(id));
      for (const Sample& s : it->second.samples) {
        if (s.ts_ns >= from && s.ts_ns <= to) copy.push_back(s);
      }
    }
    constexpr size_t kBatch = 7;
    for (size_t i = 0; i < copy.size(); i += kBatch) {
      const size_t n = std::min(kBatch, copy.size() - i);
      if (!fn(std::span<const Sample>(copy.data() + i, n))) break;
    }
    return Status::Ok();
  }

  Result<std::vector<storage::Bucket>> ReadDownsampled(SeriesId id, TimestampNs from, TimestampNs to,
                                                       int64_t step_ns) const override {
    std::vector<Sample> raw;
    FS_RETURN_IF_ERROR(ReadRange(id, from, to, &raw));
    std::vector<storage::Bucket> out;
    for (const Sample& s : raw) {
      const TimestampNs start = s.ts_ns - ((s.ts_ns % step_ns) + step_ns) % step_ns;
      if (out.empty() || out.back().start != start) out.push_back({start, s.value, s.value, 0, s.value, 0});
      auto& b = out.back();
      b.min = std::min(b.min, s.value);
      b.max = std::max(b.max, s.value);
      b.sum += s.value;
      b.last = s.value;
      ++b.count;
    }
    return out;
  }

  Status Flush() override { return Status::Ok(); }
  storage::StoreStats stats() const override {
    std::lock_guard lock(mu_);
    auto s = stats_;
    s.series = series_.size();
    return s;
  }

  void FailScansOf(SeriesId id) {
    std::lock_guard lock(mu_);
    fail_scan_of_ = id;
  }

 private:
  struct Series {
    Labels labels;
    std::vector<Sample> samples;
  };
  mutable std::mutex mu_;
  std::map<SeriesId, Series> series_;
  SeriesId next_id_ = 1;
  SeriesId fail_scan_of_ = 0;
  storage::StoreStats stats_;
};

}  // namespace foresight::models::testing

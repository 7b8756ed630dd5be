#include "models/streaming_detectors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>

namespace foresight::models {
namespace {

// P(Z > z) for a standard normal.
double UpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// Mean and variance over the last `cap` values, O(1) per push (sums re-anchored now and then).
class WindowStats {
 public:
  explicit WindowStats(size_t cap) : cap_(std::max<size_t>(cap, 2)) {}
  void Push(double x) {
    buf_.push_back(x);
    sum_ += x;
    sumsq_ += x * x;
    if (buf_.size() > cap_) {
      const double y = buf_.front();
      buf_.pop_front();
      sum_ -= y;
      sumsq_ -= y * y;
    }
    if (++since_ >= 4096) Recompute();
  }
  size_t size() const { return buf_.size(); }
  double mean() const { return buf_.empty() ? 0 : sum_ / static_cast<double>(buf_.size()); }
  double std() const {
    if (buf_.size() < 2) return 0;
    const double n = static_cast<double>(buf_.size());
    const double m = sum_ / n;
    return std::sqrt(std::max(0.0, sumsq_ / n - m * m));
  }

 private:
  void Recompute() {
    sum_ = sumsq_ = 0;
    for (double v : buf_) {
      sum_ += v;
      sumsq_ += v * v;
    }
    since_ = 0;
  }
  size_t cap_;
  std::deque<double> buf_;
  double sum_ = 0, sumsq_ = 0;
  size_t since_ = 0;
};

// A raw-score component: Raw() scores the value before Learn() sees it.
class Component {
 public:
  virtual ~Component() = default;
  virtual double Raw(int64_t ts, double x) = 0;
  virtual void Learn(int64_t ts, double x) = 0;
};

// |x - mean| / std over a window.
class GaussianComponent : public Component {
 public:
  explicit GaussianComponent(size_t window) : w_(window) {}
  double Raw(int64_t, double x) override {
    if (w_.size() < 2) return 0;
    const double s = w_.std();
    return std::abs(x - w_.mean()) / (s > 0 ? s : 1e-9 + 1e-6 * std::abs(w_.mean()));
  }
  void Learn(int64_t, double x) override { w_.Push(x); }

 private:
  WindowStats w_;
};

// Per time-of-week slot (hour of day, weekday/weekend): EW median and EW mean absolute deviation.
class SeasonalComponent : public Component {
 public:
  // mode: 0 hour of day x weekday/weekend (48 slots), 1 hour of day, 2 hour of week, 3 a single slot.
  explicit SeasonalComponent(int mode = 0) : mode_(mode) {}
  double Raw(int64_t ts, double x) override {
    const Slot& s = slots_[SlotOf(ts)];
    if (s.n < 3 || global_n_ < 10) return 0;
    const double floor = 0.05 * global_mad_ + 1e-9;
    return std::abs(x - s.median) / std::max(s.mad, floor);
  }
  void Learn(int64_t ts, double x) override {
    Slot& s = slots_[SlotOf(ts)];
    // Global scale for the step size and the deviation floor.
    if (global_n_ == 0) {
      global_median_ = x;
    } else {
      global_mad_ += kAlpha * (std::abs(x - global_median_) - global_mad_);
      global_median_ += kAlpha * 2 * global_mad_ * ((x > global_median_) - (x < global_median_));
    }
    ++global_n_;
    if (s.n == 0) {
      s.median = x;
      s.mad = global_mad_;
    } else {
      const double step = std::max(s.mad, 0.05 * global_mad_) * 0.3;
      s.mad += 0.1 * (std::abs(x - s.median) - s.mad);
      s.median += step * ((x > s.median) - (x < s.median));
    }
    ++s.n;
  }

 private:
  static constexpr double kAlpha = 0.01;
  struct Slot {
    double median = 0, mad = 0;
    uint64_t n = 0;
  };
  size_t SlotOf(int64_t ts) const {
    const int64_t sec = ts / 1'000'000;
    const int64_t day = (sec >= 0 ? sec : sec - 86399) / 86400;
    const int64_t hour = ((sec % 86400) + 86400) % 86400 / 3600;
    const int64_t wd = ((day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday (4); 0 = Sunday
    switch (mode_) {
      case 1: return static_cast<size_t>(hour);                // hour of day
      case 2: return static_cast<size_t>(hour + 24 * wd);      // hour of week
      case 3: return 0;                                        // no season: a robust level
      default: return static_cast<size_t>(hour + 24 * (wd == 0 || wd == 6 ? 1 : 0));
    }
  }
  int mode_ = 0;
  std::array<Slot, 168> slots_{};
  double global_median_ = 0, global_mad_ = 0;
  uint64_t global_n_ = 0;
};

// Damped-trend Holt forecast; residual over the EW mean absolute residual.
class ForecastComponent : public Component {
 public:
  double Raw(int64_t, double x) override {
    if (n_ < 3) return 0;
    const double pred = level_ + kPhi * trend_;
    return std::abs(x - pred) / std::max(scale_, 1e-9 + 1e-6 * std::abs(level_));
  }
  void Learn(int64_t, double x) override {
    if (n_ == 0) {
      level_ = x;
    } else {
      const double pred = level_ + kPhi * trend_;
      const double e = x - pred;
      scale_ = n_ < 2 ? std::abs(e) : scale_ + 0.02 * (std::abs(e) - scale_);
      const double prev = level_;
      level_ = pred + kAlpha * e;
      trend_ = kPhi * trend_ + kBeta * (level_ - prev - kPhi * trend_);
    }
    ++n_;
  }

 private:
  static constexpr double kAlpha = 0.5, kBeta = 0.05, kPhi = 0.9;
  double level_ = 0, trend_ = 0, scale_ = 0;
  uint64_t n_ = 0;
};

// Mean distance of the latest shingle to its k nearest among the previous `memory` shingles (values
// scaled by a running std).
class KnnComponent : public Component {
 public:
  KnnComponent(size_t shingle, size_t memory, size_t k) : L_(shingle), M_(memory), k_(k), stats_(2000) {}
  double Raw(int64_t, double x) override {
    if (recent_.size() + 1 < L_ || shingles_.size() < k_ + L_) return 0;
    std::vector<double> cur(recent_.end() - static_cast<std::ptrdiff_t>(L_ - 1), recent_.end());
    cur.push_back(x);
    const double scale = Scale();
    best_.assign(k_, std::numeric_limits<double>::infinity());
    // Exclude the L most recent shingles (they overlap the current one).
    const size_t usable = shingles_.size() - L_;
    for (size_t s = 0; s < usable; ++s) {
      const double* h = &shingles_[s][0];
      double d = 0;
      for (size_t i = 0; i < L_; ++i) {
        const double t = (cur[i] - h[i]);
        d += t * t;
        if (d >= best_.back()) break;
      }
      if (d < best_.back()) {
        best_.back() = d;
        std::sort(best_.begin(), best_.end());
      }
    }
    double sum = 0;
    for (double b : best_) sum += std::sqrt(b);
    return sum / static_cast<double>(k_) / (scale * std::sqrt(static_cast<double>(L_)));
  }
  void Learn(int64_t, double x) override {
    stats_.Push(x);
    recent_.push_back(x);
    if (recent_.size() > L_) recent_.pop_front();
    if (recent_.size() == L_) {
      shingles_.emplace_back(recent_.begin(), recent_.end());
      if (shingles_.size() > M_) shingles_.pop_front();
    }
  }

 private:
  double Scale() const {
    const double s = stats_.std();
    return s > 0 ? s : 1e-9 + 1e-6 * std::abs(stats_.mean());
  }
  size_t L_, M_, k_;
  WindowStats stats_;
  std::deque<double> recent_;
  std::deque<std::vector<double>> shingles_;
  std::vector<double> best_;
};

// How far the value falls outside everything seen so far, in units of the seen range (0 inside it):
// catches level shifts and spikes to values never observed.
class RangeComponent : public Component {
 public:
  // window: rows of history the range covers (0: all of it); sliding min/max by monotonic deques.
  explicit RangeComponent(size_t window = 0) : window_(window) {}
  double Raw(int64_t, double x) override {
    if (n_ < 2) return 0;
    const double lo = window_ ? mins_.front().second : lo_;
    const double hi = window_ ? maxs_.front().second : hi_;
    const double range = std::max(hi - lo, 1e-9 + 1e-6 * std::abs(hi));
    return std::max({0.0, x - hi, lo - x}) / range;
  }
  void Learn(int64_t, double x) override {
    lo_ = n_ ? std::min(lo_, x) : x;
    hi_ = n_ ? std::max(hi_, x) : x;
    if (window_) {
      while (!mins_.empty() && mins_.back().second >= x) mins_.pop_back();
      mins_.emplace_back(n_, x);
      while (!maxs_.empty() && maxs_.back().second <= x) maxs_.pop_back();
      maxs_.emplace_back(n_, x);
      while (mins_.front().first + window_ <= n_) mins_.pop_front();
      while (maxs_.front().first + window_ <= n_) maxs_.pop_front();
    }
    ++n_;
  }

 private:
  size_t window_;
  double lo_ = 0, hi_ = 0;
  uint64_t n_ = 0;
  std::deque<std::pair<uint64_t, double>> mins_, maxs_;
};

// Anomaly likelihood of a raw score (Numenta's recipe): how far the mean of the last `short` raw scores
// sits in the distribution of the last `window` raw scores.
class Likelihood {
 public:
  Likelihood(size_t window, size_t short_window) : long_(window), short_cap_(short_window) {}
  double Update(double raw) {
    short_.push_back(raw);
    short_sum_ += raw;
    if (short_.size() > short_cap_) {
      short_sum_ -= short_.front();
      short_.pop_front();
    }
    double l = 0.5;
    if (long_.size() >= 20) {
      const double m = long_.mean();
      const double s = std::max(long_.std(), 1e-3 * std::max(m, 1e-6) + 1e-6);
      const double z = (short_sum_ / static_cast<double>(short_.size()) - m) / s;
      l = 1 - UpperTail(z);
    }
    long_.Push(raw);
    return l;
  }

 private:
  WindowStats long_;
  size_t short_cap_;
  std::deque<double> short_;
  double short_sum_ = 0;
};

// Log-scaled likelihood in [0, 1] (0.9999 -> 0.4, 1 - 1e-10 -> 1), as Numenta reports it.
double LogScale(double likelihood) {
  const double v = std::log(1.0000000001 - likelihood) / std::log(1e-10);
  return std::clamp(v, 0.0, 1.0);
}

// A single component as a detector: raw score squashed into [0, 1).
class Single : public StreamingDetector {
 public:
  Single(std::unique_ptr<Component> c, size_t probation, bool likelihood)
      : c_(std::move(c)), probation_(probation), lik_(likelihood ? std::max<size_t>(probation, 100) : 0, 5),
        use_lik_(likelihood) {}
  double Update(int64_t ts, double x) override {
    if (std::isnan(x)) return 0;
    const double raw = c_->Raw(ts, x);
    c_->Learn(ts, x);
    double s;
    if (use_lik_) {
      s = LogScale(lik_.Update(raw));
    } else {
      s = 1 - 2 * UpperTail(raw);  // two-sided tail of a z-like residual
    }
    return n_++ < probation_ ? 0 : std::clamp(s, 0.0, 1.0);
  }

 private:
  std::unique_ptr<Component> c_;
  size_t probation_;
  Likelihood lik_;
  bool use_lik_;
  uint64_t n_ = 0;
};

double Param(const StreamingOptions& o, const char* name, double def) {
  auto it = o.params.find(name);
  return it == o.params.end() ? def : it->second;
}

// Max of the components' log-scaled likelihoods, with a hold-off: after the score passes `hold_level`,
// scores in the following `hold` rows are multiplied by `damp`, so one event raises one alarm.
// Knobs (StreamingOptions::params, defaults in brackets): parts [5] (bit mask: 1 seasonal, 2 forecast,
// 4 knn, 8 gaussian), season [0] (SeasonalComponent mode), lik_short [5], lik_window [6] (x probation),
// hold [0.2] (x probation), hold_level [0.5], damp [0.5], knn_L [8], knn_M [600], knn_k [1],
// range_gain [200] (0 disables range novelty), range_window [0] (x probation; 0 = all history).
class Ensemble : public StreamingDetector {
 public:
  explicit Ensemble(const StreamingOptions& o) : probation_(o.probation) {
    const size_t window = std::max<size_t>(static_cast<size_t>(Param(o, "lik_window", 6.0) * static_cast<double>(o.probation)), 100);
    const int parts = static_cast<int>(Param(o, "parts", 5));
    if (parts & 1) parts_.push_back(std::make_unique<SeasonalComponent>(static_cast<int>(Param(o, "season", 0))));
    if (parts & 2) parts_.push_back(std::make_unique<ForecastComponent>());
    if (parts & 4) {
      parts_.push_back(std::make_unique<KnnComponent>(static_cast<size_t>(Param(o, "knn_L", 8)),
                                                      static_cast<size_t>(Param(o, "knn_M", 600)),
                                                      static_cast<size_t>(Param(o, "knn_k", 1))));
    }
    if (parts & 8) parts_.push_back(std::make_unique<GaussianComponent>(std::max<size_t>(o.probation, 100)));
    // The range component is not a likelihood: any excursion beyond the seen range scores directly.
    range_gain_ = Param(o, "range_gain", 200);
    range_ = RangeComponent(static_cast<size_t>(Param(o, "range_window", 0) * static_cast<double>(o.probation)));
    const size_t short_window = static_cast<size_t>(Param(o, "lik_short", 5));
    for (size_t i = 0; i < parts_.size(); ++i) lik_.emplace_back(window, short_window);
    hold_ = std::max<size_t>(static_cast<size_t>(Param(o, "hold", 0.2) * static_cast<double>(o.probation)), 1);
    hold_level_ = Param(o, "hold_level", 0.5);
    damp_ = Param(o, "damp", 0.5);
  }
  double Update(int64_t ts, double x) override {
    if (std::isnan(x)) return 0;
    double s = 0;
    for (size_t i = 0; i < parts_.size(); ++i) {
      const double raw = parts_[i]->Raw(ts, x);
      parts_[i]->Learn(ts, x);
      s = std::max(s, LogScale(lik_[i].Update(raw)));
    }
    if (range_gain_ > 0) {
      const double r = range_.Raw(ts, x);
      range_.Learn(ts, x);
      s = std::max(s, 1 - std::exp(-range_gain_ * r));
    }
    const bool scoring = n_++ >= probation_;
    if (!scoring) return 0;
    if (since_alarm_ < hold_) {
      ++since_alarm_;
      s *= damp_;
    } else if (s >= hold_level_) {
      since_alarm_ = 0;
    }
    return std::clamp(s, 0.0, 1.0);
  }

 private:
  std::vector<std::unique_ptr<Component>> parts_;
  std::vector<Likelihood> lik_;
  size_t probation_;
  size_t hold_ = 100;
  double hold_level_ = 0.5, damp_ = 0.5;
  double range_gain_ = 0;
  RangeComponent range_;
  size_t since_alarm_ = std::numeric_limits<size_t>::max() / 2;
  uint64_t n_ = 0;
};

}  // namespace

std::vector<std::string> StreamingDetectorNames() { return {"ensemble", "gaussian", "seasonal", "knn", "forecast"}; }

Result<std::unique_ptr<StreamingDetector>> MakeStreamingDetector(std::string_view name,
                                                                 const StreamingOptions& o) {
  const size_t window = std::max<size_t>(o.probation, 100);
  if (name == "ensemble") return std::unique_ptr<StreamingDetector>(std::make_unique<Ensemble>(o));
  if (name == "gaussian") {
    return std::unique_ptr<StreamingDetector>(
        std::make_unique<Single>(std::make_unique<GaussianComponent>(window), o.probation, false));
  }
  if (name == "seasonal") {
    return std::unique_ptr<StreamingDetector>(
        std::make_unique<Single>(std::make_unique<SeasonalComponent>(), o.probation, true));
  }
  if (name == "knn") {
    return std::unique_ptr<StreamingDetector>(
        std::make_unique<Single>(std::make_unique<KnnComponent>(8, 600, 3), o.probation, true));
  }
  if (name == "forecast") {
    return std::unique_ptr<StreamingDetector>(
        std::make_unique<Single>(std::make_unique<ForecastComponent>(), o.probation, true));
  }
  std::string known;
  for (const auto& n : StreamingDetectorNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown detector", std::string(name) + " (known: " + known + ")");
}

}  // namespace foresight::models

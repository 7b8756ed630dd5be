#include "features/series_features.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <span>

namespace foresight::features {
namespace {

constexpr double kNanosToSeconds = 1e-9;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

SeriesFeatures::SeriesFeatures(const FeatureOptions& options) {
  assert(options.ewma_half_life_s > 0);
  nwindows_ = options.windows_ns.size();
  if (nwindows_ > kInlineWindows) more_windows_.resize(nwindows_);
  Window* w = windows();
  for (size_t i = 0; i < nwindows_; ++i) {
    assert(options.windows_ns[i] > 0);
    w[i].width_ns = options.windows_ns[i];
  }
  ewma_rate_ = std::log(2.0) / options.ewma_half_life_s;
}

std::string SeriesFeatures::WindowName(int64_t window_ns) {
  constexpr int64_t kMinute = 60 * kNanosPerSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (window_ns % kDay == 0) return std::to_string(window_ns / kDay) + "d";
  if (window_ns % kHour == 0) return std::to_string(window_ns / kHour) + "h";
  if (window_ns % kMinute == 0) return std::to_string(window_ns / kMinute) + "m";
  if (window_ns % kNanosPerSecond == 0) return std::to_string(window_ns / kNanosPerSecond) + "s";
  if (window_ns % kNanosPerMilli == 0) return std::to_string(window_ns / kNanosPerMilli) + "ms";
  return std::to_string(window_ns) + "ns";
}

std::vector<std::string> SeriesFeatures::Names(const FeatureOptions& options) {
  std::vector<std::string> names = {"last", "ewma", "rate"};
  for (int64_t w : options.windows_ns) {
    const std::string suffix = "_" + WindowName(w);
    for (const char* f : {"mean", "std", "min", "max", "slope"}) names.push_back(f + suffix);
  }
  return names;
}

void SeriesFeatures::Add(Window& w, TimestampNs ts, double v) {
  const double t = static_cast<double>(ts - w.base_ts) * kNanosToSeconds;
  const double x = v - w.shift;
  w.n += 1;
  w.sx += x;
  w.sxx += x * x;
  w.st += t;
  w.stt += t * t;
  w.stx += t * x;
}

void SeriesFeatures::Remove(Window& w, TimestampNs ts, double v) {
  const double t = static_cast<double>(ts - w.base_ts) * kNanosToSeconds;
  const double x = v - w.shift;
  w.n -= 1;
  w.sx -= x;
  w.sxx -= x * x;
  w.st -= t;
  w.stt -= t * t;
  w.stx -= t * x;
}

void SeriesFeatures::Recentre(Window& w, TimestampNs ts) {
  w.base_ts = ts;
  w.shift = last_;
  w.n = w.sx = w.sxx = w.st = w.stt = w.stx = 0;
  for (uint64_t s = w.start; s < points_.end_seq(); ++s) {
    const Point& p = points_.at(s);
    Add(w, p.ts, p.v);
  }
}

void SeriesFeatures::Prefetch(int stage) const {
  if (stage == 0) {
    const char* p = reinterpret_cast<const char*>(this);
    for (size_t off = 0; off < sizeof(SeriesFeatures); off += 64) __builtin_prefetch(p + off, 1);
    return;
  }
  // The object is (nearly) in cache by now: touch the slots Update() reads and writes.
  if (points_.empty()) return;
  __builtin_prefetch(&points_.back(), 1);
  for (const Window& w : std::span(windows(), nwindows_)) {
    if (w.start < points_.end_seq() && w.start >= points_.begin_seq()) __builtin_prefetch(&points_.at(w.start));
  }
  if (!min_q_.empty()) __builtin_prefetch(&min_q_.back(), 1);
  if (!max_q_.empty()) __builtin_prefetch(&max_q_.back(), 1);
}

void SeriesFeatures::Update(TimestampNs ts, double v) {
  if (!std::isfinite(v)) {
    ++nan_skipped_;
    return;
  }
  if (has_last_ && ts < last_ts_) {
    ++out_of_order_;
    return;
  }
  ++samples_;
  if (!has_last_) {
    has_last_ = true;
    ewma_ = v;
    rate_ = 0;
    for (Window& w : std::span(windows(), nwindows_)) {
      w.base_ts = ts;
      w.shift = v;
    }
  } else if (ts > last_ts_) {
    const double dt = static_cast<double>(ts - last_ts_) * kNanosToSeconds;
    if (dt != cached_dt_) {
      cached_dt_ = dt;
      cached_alpha_ = -std::expm1(-dt * ewma_rate_);
    }
    ewma_ += cached_alpha_ * (v - ewma_);
    rate_ = (v - last_) / dt;
  }
  last_ts_ = ts;
  last_ = v;

  const uint64_t seq = points_.end_seq();
  points_.push_back({ts, v});
  while (!min_q_.empty() && points_.at(min_q_.back()).v >= v) min_q_.pop_back();
  min_q_.push_back(seq);
  while (!max_q_.empty() && points_.at(max_q_.back()).v <= v) max_q_.pop_back();
  max_q_.push_back(seq);
  const uint64_t min_pushed = min_q_.end_seq() - 1;
  const uint64_t max_pushed = max_q_.end_seq() - 1;

  uint64_t oldest = seq;
  for (Window& w : std::span(windows(), nwindows_)) {
    Add(w, ts, v);
    // Evict points at or before ts - width: the window is (ts - width, ts].
    const TimestampNs cutoff = ts - w.width_ns;
    while (points_.at(w.start).ts <= cutoff) {
      const Point& p = points_.at(w.start);
      Remove(w, p.ts, p.v);
      ++w.start;
    }
    // An extreme popped from the back was replaced by the new point.
    if (w.min_pos > min_pushed) w.min_pos = min_pushed;
    while (min_q_.at(w.min_pos) < w.start) ++w.min_pos;
    if (w.max_pos > max_pushed) w.max_pos = max_pushed;
    while (max_q_.at(w.max_pos) < w.start) ++w.max_pos;
    if (ts - w.base_ts > 2 * w.width_ns) Recentre(w, ts);
    oldest = std::min(oldest, w.start);
  }
  while (points_.begin_seq() < oldest) points_.pop_front();
  while (min_q_.front() < oldest) min_q_.pop_front();
  while (max_q_.front() < oldest) max_q_.pop_front();
}

void SeriesFeatures::Write(double* out) const {
  if (!has_last_) {
    std::fill(out, out + size(), kNaN);
    return;
  }
  out[0] = last_;
  out[1] = ewma_;
  out[2] = rate_;
  double* o = out + kGlobalFeatures;
  for (const Window& w : std::span(windows(), nwindows_)) {
    const double n = w.n;
    const double mean_x = w.sx / n;
    const double var = std::max(0.0, w.sxx / n - mean_x * mean_x);
    const double denom = n * w.stt - w.st * w.st;
    double slope = 0;
    // Timestamps that are (numerically) all equal carry no trend.
    if (denom > 1e-9 * n * w.stt && denom > 0) slope = (n * w.stx - w.st * w.sx) / denom;
    o[0] = w.shift + mean_x;
    o[1] = std::sqrt(var);
    o[2] = points_.at(min_q_.at(w.min_pos)).v;
    o[3] = points_.at(max_q_.at(w.max_pos)).v;
    o[4] = slope;
    o += kWindowFeatures;
  }
}

}  // namespace foresight::features

#pragma once
// SeriesFeatures: streaming features of one series, O(1) per sample (amortised for min/max and the
// periodic re-centring of the running sums). Windows are by time, not by sample count, so irregular
// timestamps are handled: a window of width W at the newest sample time t holds the samples in (t - W, t].
// Algorithms and their numerical care: docs/MODELS.md ("Streaming features").
//
// Input assumptions: values are gauges or already-rated counters. A raw monotonic counter is accepted, but a
// counter reset shows up as a drop (negative rate and slope); convert counters to rates before Update().
// Not thread-safe: one owner (the entity's feature stage) updates and reads it.

#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"
#include "features/internal/ring.h"

namespace foresight::features {

struct FeatureOptions {
  // Rolling window widths. REQUIRES: each > 0, no duplicates. Named by their width ("1m", "5m", "15m").
  std::vector<int64_t> windows_ns = {60 * kNanosPerSecond, 300 * kNanosPerSecond, 900 * kNanosPerSecond};
  // Half-life of the exponentially weighted mean, in seconds of data time (not sample count).
  // REQUIRES: > 0.
  double ewma_half_life_s = 30;
};

// The features of one series, in the order Write() emits them:
//   last, ewma, rate, then per window W (in FeatureOptions order): mean_W, std_W, min_W, max_W, slope_W.
// - last:  newest value.               - ewma: time-weighted EWMA, alpha = 1 - 2^(-dt / half_life).
// - rate:  (v - v_prev) / dt per second between the last two samples with distinct timestamps (0 until then).
// - mean, std (population, ddof 0), min, max over the window.
// - slope: least-squares trend of value against time over the window, per second (0 with < 2 distinct times).
// Before the first sample every feature is NaN.
inline constexpr size_t kGlobalFeatures = 3;
inline constexpr size_t kWindowFeatures = 5;

class SeriesFeatures {
 public:
  explicit SeriesFeatures(const FeatureOptions& options = {});

  // Adds one sample. Non-finite values (NaN, ±inf) are skipped and counted in nan_skipped(); samples older
  // than the newest one are skipped and counted in out_of_order(); equal timestamps are accepted.
  void Update(TimestampNs ts, double v);

  // Writes size() features to out[0..size()). REQUIRES: out has room for size() doubles.
  void Write(double* out) const;
  size_t size() const { return kGlobalFeatures + kWindowFeatures * nwindows_; }

  // Feature names in Write() order, e.g. {"last", "ewma", "rate", "mean_1m", ..., "slope_15m"}.
  static std::vector<std::string> Names(const FeatureOptions& options);
  // "1m", "5m", "15m", "1h", "30s", "1500ms": the window's suffix in feature names.
  static std::string WindowName(int64_t window_ns);

  // Hints the CPU to start loading this series' state (the object itself, then the ring slots the next
  // Update() touches) so a caller updating many series can overlap the cache misses of several of them:
  // call Prefetch(0) a few samples ahead and Prefetch(1) about half as far ahead. No effect on results.
  void Prefetch(int stage) const;

  uint64_t samples() const { return samples_; }
  uint64_t nan_skipped() const { return nan_skipped_; }
  uint64_t out_of_order() const { return out_of_order_; }
  // Timestamp of the newest accepted sample (0 before the first).
  TimestampNs last_ts() const { return last_ts_; }

 private:
  struct Point {
    TimestampNs ts;
    double v;
  };
  // Running sums over the window's points with t = (ts - base_ts) seconds and x = v - shift, re-centred
  // (recomputed from the points) whenever base_ts falls 2 widths behind, which bounds both cancellation and
  // drift from repeated add/subtract; each point is re-summed at most once, so the cost stays amortised O(1).
  struct Window {
    int64_t width_ns = 0;
    uint64_t start = 0;  // sequence number of the oldest point inside the window
    TimestampNs base_ts = 0;
    double shift = 0;
    double n = 0, sx = 0, sxx = 0, st = 0, stt = 0, stx = 0;
    // Positions in min_q_/max_q_ of this window's minimum and maximum: the first deque entry whose point
    // is inside the window (the deques cover the longest window; any suffix's extreme is its first entry).
    uint64_t min_pos = 0;
    uint64_t max_pos = 0;
  };

  void Add(Window& w, TimestampNs ts, double v);
  void Remove(Window& w, TimestampNs ts, double v);
  void Recentre(Window& w, TimestampNs ts);

  // The windows live inside the object when there are at most kInlineWindows (the defaults have three),
  // so one Update() touches one contiguous block instead of chasing a pointer to a second one.
  static constexpr size_t kInlineWindows = 3;
  Window* windows() { return nwindows_ <= kInlineWindows ? inline_windows_ : more_windows_.data(); }
  const Window* windows() const { return nwindows_ <= kInlineWindows ? inline_windows_ : more_windows_.data(); }

  size_t nwindows_ = 0;
  Window inline_windows_[kInlineWindows];
  std::vector<Window> more_windows_;  // used instead when there are more windows
  internal::Ring<Point> points_;  // holds the longest window's points
  // Monotonic deques of point sequence numbers shared by all windows: values strictly increasing (min_q_)
  // or strictly decreasing (max_q_) from front to back.
  internal::Ring<uint64_t> min_q_;
  internal::Ring<uint64_t> max_q_;
  double ewma_rate_ = 0;          // ln 2 / half-life, per second
  double cached_dt_ = -1;         // EWMA alpha for the last seen dt (regular sampling skips the exp())
  double cached_alpha_ = 0;
  bool has_last_ = false;
  TimestampNs last_ts_ = 0;
  double last_ = 0;
  double ewma_ = 0;
  double rate_ = 0;
  uint64_t samples_ = 0;
  uint64_t nan_skipped_ = 0;
  uint64_t out_of_order_ = 0;
};

}  // namespace foresight::features

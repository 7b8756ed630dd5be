#include "features/series_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace foresight::features {
namespace {

constexpr int64_t kSec = kNanosPerSecond;
constexpr TimestampNs kT0 = 1'700'000'000LL * kSec;

struct Naive {
  double mean, std, min, max, slope;
};

// Recomputes one window's statistics from scratch over the samples in (t_end - width, t_end].
Naive NaiveWindow(const std::vector<std::pair<TimestampNs, double>>& pts, TimestampNs t_end, int64_t width) {
  std::vector<std::pair<double, double>> in;
  for (auto [ts, v] : pts) {
    if (ts > t_end - width && ts <= t_end) in.push_back({static_cast<double>(ts - t_end) * 1e-9, v});
  }
  Naive r{0, 0, in[0].second, in[0].second, 0};
  const double n = static_cast<double>(in.size());
  for (auto [t, v] : in) {
    r.mean += v / n;
    r.min = std::min(r.min, v);
    r.max = std::max(r.max, v);
  }
  double var = 0, tm = 0;
  for (auto [t, v] : in) tm += t / n;
  double stv = 0, stt = 0;
  for (auto [t, v] : in) {
    var += (v - r.mean) * (v - r.mean) / n;
    stv += (t - tm) * (v - r.mean);
    stt += (t - tm) * (t - tm);
  }
  r.std = std::sqrt(var);
  r.slope = stt > 0 ? stv / stt : 0;
  return r;
}

std::vector<double> Features(const SeriesFeatures& f) {
  std::vector<double> out(f.size());
  f.Write(out.data());
  return out;
}

TEST(SeriesFeaturesTest, NamesFollowWriteOrder) {
  auto names = SeriesFeatures::Names({});
  ASSERT_EQ(names.size(), SeriesFeatures(FeatureOptions{}).size());
  EXPECT_EQ(names[0], "last");
  EXPECT_EQ(names[1], "ewma");
  EXPECT_EQ(names[2], "rate");
  EXPECT_EQ(names[3], "mean_1m");
  EXPECT_EQ(names[7], "slope_1m");
  EXPECT_EQ(names.back(), "slope_15m");
  EXPECT_EQ(SeriesFeatures::WindowName(30 * kSec), "30s");
  EXPECT_EQ(SeriesFeatures::WindowName(3600 * kSec), "1h");
  EXPECT_EQ(SeriesFeatures::WindowName(1500 * kNanosPerMilli), "1500ms");
}

TEST(SeriesFeaturesTest, AllNaNBeforeFirstSample) {
  SeriesFeatures f(FeatureOptions{});
  for (double v : Features(f)) EXPECT_TRUE(std::isnan(v));
}

TEST(SeriesFeaturesTest, WindowEvictsSamplesOlderThanWidthByTimeNotCount) {
  FeatureOptions opt;
  opt.windows_ns = {10 * kSec};
  SeriesFeatures f(opt);
  f.Update(kT0, 100);
  f.Update(kT0 + 1 * kSec, 1);
  f.Update(kT0 + 2 * kSec, 3);
  auto x = Features(f);
  EXPECT_DOUBLE_EQ(x[3], (100 + 1 + 3) / 3.0);  // mean_10s
  EXPECT_DOUBLE_EQ(x[6], 100);                   // max_10s
  // At exactly t0 + 10 s the first sample leaves: the window is (t - 10 s, t].
  f.Update(kT0 + 10 * kSec, 2);
  x = Features(f);
  EXPECT_DOUBLE_EQ(x[3], 2.0);
  EXPECT_DOUBLE_EQ(x[5], 1);  // min_10s
  EXPECT_DOUBLE_EQ(x[6], 3);  // max_10s
  // A long gap empties the window down to the newest sample.
  f.Update(kT0 + 100 * kSec, 7);
  x = Features(f);
  EXPECT_DOUBLE_EQ(x[3], 7);
  EXPECT_DOUBLE_EQ(x[4], 0);  // std
  EXPECT_DOUBLE_EQ(x[5], 7);
  EXPECT_DOUBLE_EQ(x[6], 7);
  EXPECT_DOUBLE_EQ(x[7], 0);  // slope of a single point
}

void CheckAgainstNaive(const FeatureOptions& opt) {
  SeriesFeatures f(opt);
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> val(-50, 50);
  std::exponential_distribution<double> gap(1.0 / 2.5);  // mean 2.5 s, irregular
  std::vector<std::pair<TimestampNs, double>> pts;
  TimestampNs ts = kT0;
  for (int i = 0; i < 3000; ++i) {
    // Occasional equal timestamps and a level offset that would hurt naive (un-centred) sums.
    ts += (i % 17 == 0) ? 0 : static_cast<int64_t>(gap(rng) * 1e9) + 1;
    const double v = 1e6 + val(rng) + 0.01 * i;
    pts.push_back({ts, v});
    f.Prefetch(i % 2);  // a hint only: must not change anything
    f.Update(ts, v);
    if (i % 37 != 0) continue;
    auto x = Features(f);
    EXPECT_DOUBLE_EQ(x[0], v);
    for (size_t w = 0; w < opt.windows_ns.size(); ++w) {
      Naive n = NaiveWindow(pts, ts, opt.windows_ns[w]);
      const double* o = x.data() + kGlobalFeatures + w * kWindowFeatures;
      EXPECT_NEAR(o[0], n.mean, 1e-6) << i << " w" << w;
      EXPECT_NEAR(o[1], n.std, 1e-5 * std::max(1.0, n.std)) << i << " w" << w;
      EXPECT_EQ(o[2], n.min) << i << " w" << w;
      EXPECT_EQ(o[3], n.max) << i << " w" << w;
      EXPECT_NEAR(o[4], n.slope, 1e-5 * std::max(1.0, std::abs(n.slope))) << i << " w" << w;
    }
  }
}

TEST(SeriesFeaturesTest, MatchesNaiveRecomputationOnRandomIrregularData) {
  FeatureOptions opt;
  opt.windows_ns = {7 * kSec, 60 * kSec, 300 * kSec};
  CheckAgainstNaive(opt);
}

// More windows than the object holds inline (three): they live in a separate vector.
TEST(SeriesFeaturesTest, MatchesNaiveRecomputationWithManyWindows) {
  FeatureOptions opt;
  opt.windows_ns = {7 * kSec, 20 * kSec, 60 * kSec, 120 * kSec, 300 * kSec};
  CheckAgainstNaive(opt);
  SeriesFeatures f(opt);
  EXPECT_EQ(f.size(), kGlobalFeatures + 5 * kWindowFeatures);
  SeriesFeatures copy = f;  // copies keep working (the windows are found by count, not by a pointer)
  copy.Update(kT0, 1);
  std::vector<double> out(copy.size());
  copy.Write(out.data());
  EXPECT_EQ(out[0], 1);
}

TEST(SeriesFeaturesTest, SlopeIsPerSecondOnIrregularLinearInput) {
  FeatureOptions opt;
  opt.windows_ns = {60 * kSec};
  SeriesFeatures f(opt);
  TimestampNs ts = kT0;
  for (int i = 0; i < 100; ++i) {
    ts += (1 + i % 5) * kSec / 2;  // 0.5 .. 2.5 s gaps
    f.Update(ts, 3.0 + 0.25 * static_cast<double>(ts - kT0) * 1e-9);
  }
  auto x = Features(f);
  EXPECT_NEAR(x[7], 0.25, 1e-9);
  EXPECT_NEAR(x[2], 0.25, 1e-9);  // rate between the last two samples
}

TEST(SeriesFeaturesTest, EwmaUsesTimeWeightedHalfLife) {
  FeatureOptions opt;
  opt.ewma_half_life_s = 10;
  SeriesFeatures f(opt);
  f.Update(kT0, 0);
  f.Update(kT0 + 10 * kSec, 100);  // one half-life: halfway
  EXPECT_NEAR(Features(f)[1], 50, 1e-9);
  f.Update(kT0 + 30 * kSec, 100);  // two more half-lives: 100 - 50/4
  EXPECT_NEAR(Features(f)[1], 87.5, 1e-9);
  // Two 5 s steps toward a constant equal one 10 s step (exercises the cached alpha for a repeated dt).
  SeriesFeatures g(opt);
  g.Update(kT0, 0);
  g.Update(kT0 + 5 * kSec, 100);
  g.Update(kT0 + 10 * kSec, 100);
  EXPECT_NEAR(Features(g)[1], 50, 1e-9);
}

TEST(SeriesFeaturesTest, SkipsAndCountsNaNAndOutOfOrder) {
  SeriesFeatures f(FeatureOptions{});
  f.Update(kT0, 1);
  f.Update(kT0 + kSec, std::numeric_limits<double>::quiet_NaN());
  f.Update(kT0 + kSec, std::numeric_limits<double>::infinity());
  f.Update(kT0 + 2 * kSec, 3);
  f.Update(kT0 + kSec, 99);  // older than the newest
  EXPECT_EQ(f.nan_skipped(), 2u);
  EXPECT_EQ(f.out_of_order(), 1u);
  EXPECT_EQ(f.samples(), 2u);
  auto x = Features(f);
  EXPECT_DOUBLE_EQ(x[0], 3);
  EXPECT_DOUBLE_EQ(x[3], 2);  // mean_1m of {1, 3}
  for (double v : x) EXPECT_TRUE(std::isfinite(v));
}

TEST(SeriesFeaturesTest, LongRunStaysAccurateAfterManyRecentres) {
  // Hours of 1 s data at a large level: the running sums are re-centred many times.
  FeatureOptions opt;
  opt.windows_ns = {60 * kSec};
  SeriesFeatures f(opt);
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int i = 0; i < 6 * 3600; ++i) {
    const TimestampNs ts = kT0 + i * kSec;
    const double v = 5e9 + 1000 * std::sin(i * 0.01);
    f.Update(ts, v);
    if (i > 6 * 3600 - 120) pts.push_back({ts, v});
  }
  auto x = Features(f);
  Naive n = NaiveWindow(pts, pts.back().first, 60 * kSec);
  EXPECT_NEAR(x[3], n.mean, 1e-4);
  EXPECT_NEAR(x[4], n.std, 1e-3);
  EXPECT_NEAR(x[7], n.slope, 1e-4);
}

}  // namespace
}  // namespace foresight::features

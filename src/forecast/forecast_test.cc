#include "forecast/forecast.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace foresight::forecast {
namespace {

constexpr int64_t kSec = kNanosPerSecond;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
constexpr TimestampNs kT0 = 1'700'006'400LL * kSec;  // a midnight UTC

struct Data {
  std::vector<TimestampNs> t;
  std::vector<double> v;
};

// value(i) at t0 + i * step, plus Gaussian noise.
template <typename F>
Data Make(size_t n, int64_t step, double noise, F value, uint64_t seed = 7) {
  Data d;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0, 1);
  for (size_t i = 0; i < n; ++i) {
    d.t.push_back(kT0 + static_cast<int64_t>(i) * step);
    d.v.push_back(value(static_cast<double>(i)) + noise * nd(rng));
  }
  return d;
}

Data Ramp(size_t n, double a, double b, double noise, uint64_t seed = 7) {
  return Make(n, kMin, noise, [&](double i) { return a + b * i; }, seed);
}

// 100 + 20 sin(daily) + 0.01/step trend, on a 10-minute grid.
Data Daily(size_t days, double noise) {
  return Make(days * 144, 10 * kMin, noise, [](double i) { return 100 + 0.01 * i + 20 * std::sin(2 * M_PI * i / 144); });
}

ForecastOptions Step(int64_t step) {
  ForecastOptions o;
  o.step_ns = step;
  return o;
}

double MeanAbsError(const ForecastBand& b, const std::function<double(double)>& truth, TimestampNs t0, int64_t step) {
  double e = 0;
  for (size_t i = 0; i < b.t.size(); ++i) e += std::fabs(b.p50[i] - truth(static_cast<double>(b.t[i] - t0) / step));
  return e / b.t.size();
}

void ExpectOrderedAndFinite(const ForecastBand& b) {
  for (size_t i = 0; i < b.t.size(); ++i) {
    ASSERT_TRUE(std::isfinite(b.p10[i]) && std::isfinite(b.p50[i]) && std::isfinite(b.p90[i])) << i;
    ASSERT_LE(b.p10[i], b.p50[i]) << i;
    ASSERT_LE(b.p50[i], b.p90[i]) << i;
  }
}

TEST(ForecastTest, MethodNamesRoundTrip) {
  for (Method m : {Method::kTheilSen, Method::kHoltWinters, Method::kHoltWintersDamped, Method::kProphet}) {
    EXPECT_EQ(ParseMethod(MethodName(m)), m);
  }
  EXPECT_EQ(MethodName(Method::kHoltWintersDamped), "holt_winters_damped");
  EXPECT_FALSE(ParseMethod("arima").has_value());
}

TEST(ForecastTest, TheilSenRecoversLinearTrendDespiteOutliers) {
  Data s = Ramp(500, 10, 0.5, 1.0);
  for (size_t i = 0; i < s.v.size(); i += 25) s.v[i] += 500;  // 4 % gross outliers
  auto m = Fit(Method::kTheilSen, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_NEAR((*m)->Evidence().trend_per_hour, 30.0, 0.5);
  auto band = (*m)->Predict((*m)->fitted_to(), 60 * kMin, kMin);
  ASSERT_EQ(band.t.size(), 60u);
  EXPECT_EQ(band.t.front(), (*m)->fitted_to() + kMin);
  EXPECT_NEAR(band.p50.back(), 10 + 0.5 * (499 + 60), 2.0);
  ExpectOrderedAndFinite(band);
  // The interval widens with the horizon.
  EXPECT_GT(band.p90.back() - band.p10.back(), band.p90.front() - band.p10.front());
}

TEST(ForecastTest, TheilSenSubsampledSlopesOnLongSeries) {
  Data s = Ramp(5000, -3, 0.02, 0.5);
  auto m = Fit(Method::kTheilSen, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR((*m)->Evidence().trend_per_hour, 1.2, 0.02);
}

// Regression (NAB grok_asg_anomaly, rds_cpu_utilization_cc0c53): a level shift near the end of the history
// used to leave Theil-Sen forecasting the old level.
TEST(ForecastTest, TheilSenFollowsARecentLevelShift) {
  Data s = Make(1000, kMin, 0.5, [](double i) { return i < 930 ? 33.0 : 0.3; });
  auto m = Fit(Method::kTheilSen, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok());
  auto band = (*m)->Predict((*m)->fitted_to(), kHour, kMin);
  EXPECT_NEAR(band.p50.front(), 0.3, 1.0);
  EXPECT_NEAR(band.p50.back(), 0.3, 1.5);
}

TEST(ForecastTest, HoltWintersWithoutATrendStaysFlat) {
  // White noise: the trend does not earn its AIC, so none is kept (no random-walk trend fanning out).
  Data s = Make(1440, kMin, 1.0, [](double) { return 50.0; });
  auto m = Fit(Method::kHoltWinters, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->Evidence().trend_per_hour, 0.0);
}

TEST(ForecastTest, HoltWintersRecoversTrend) {
  Data s = Ramp(600, 10, 0.5, 1.0);
  for (Method method : {Method::kHoltWinters, Method::kHoltWintersDamped}) {
    auto m = Fit(method, s.t, s.v, ForecastOptions{});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ((*m)->method(), method);
    auto band = (*m)->Predict((*m)->fitted_to(), 30 * kMin, kMin);
    ExpectOrderedAndFinite(band);
    // 30 minutes ahead the trend adds 15 units.
    // Damping (phi <= 0.98) may give up a few units of the 15.
    EXPECT_NEAR(band.p50.back(), 10 + 0.5 * 629, method == Method::kHoltWinters ? 2.0 : 6.0) << MethodName(method);
  }
}

TEST(ForecastTest, HoltWintersRecoversDailySeasonality) {
  Data s = Daily(4, 1.0);
  auto m = Fit(Method::kHoltWinters, s.t, s.v, Step(10 * kMin));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto ev = (*m)->Evidence();
  ASSERT_EQ(ev.seasonality.size(), 1u);
  EXPECT_EQ(ev.seasonality[0].period_s, 86400);
  EXPECT_NEAR(ev.seasonality[0].amplitude, 20, 3);
  auto band = (*m)->Predict((*m)->fitted_to(), kDay, 10 * kMin);
  ExpectOrderedAndFinite(band);
  double mae = MeanAbsError(band, [](double i) { return 100 + 0.01 * i + 20 * std::sin(2 * M_PI * i / 144); },
                            kT0, 10 * kMin);
  EXPECT_LT(mae, 2.5);
}

TEST(ForecastTest, DampedTrendFlattensWhereAdditiveKeepsClimbing) {
  // A saturating curve: growth slows towards 100.
  Data s = Make(600, kMin, 0.2, [](double i) { return 100 - 90 * std::exp(-i / 200); });
  auto add = Fit(Method::kHoltWinters, s.t, s.v, ForecastOptions{});
  auto damp = Fit(Method::kHoltWintersDamped, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(add.ok() && damp.ok());
  auto ba = (*add)->Predict((*add)->fitted_to(), 12 * kHour, kMin);
  auto bd = (*damp)->Predict((*damp)->fitted_to(), 12 * kHour, kMin);
  // Additive extrapolates the last slope for 12 h (well above 100); damped levels off near the asymptote.
  EXPECT_GT(ba.p50.back(), 110);
  EXPECT_LT(bd.p50.back(), ba.p50.back());
  EXPECT_NEAR(bd.p50.back(), 100, 6);
}

TEST(ForecastTest, ProphetRecoversTrendAndSeasonality) {
  Data s = Daily(6, 1.0);
  auto m = Fit(Method::kProphet, s.t, s.v, Step(10 * kMin));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto ev = (*m)->Evidence();
  ASSERT_EQ(ev.seasonality.size(), 1u);  // 6 days: daily only (weekly needs 14)
  EXPECT_NEAR(ev.seasonality[0].amplitude, 20, 1.5);
  EXPECT_NEAR(ev.trend_per_hour, 0.06, 0.02);
  auto band = (*m)->Predict((*m)->fitted_to(), kDay, 10 * kMin);
  ExpectOrderedAndFinite(band);
  double mae = MeanAbsError(band, [](double i) { return 100 + 0.01 * i + 20 * std::sin(2 * M_PI * i / 144); },
                            kT0, 10 * kMin);
  EXPECT_LT(mae, 1.5);
}

// Regression (NAB ambient_temperature_system_failure): decimating hourly data by 4 saw only 6 phases of
// the day, too few for the daily harmonics; the stride is now coprime with the period.
TEST(ForecastTest, ProphetDecimatesLongHistoriesWithoutAliasing) {
  Data s = Make(300 * 24, kHour, 1.0, [](double i) { return 20 + 5 * std::sin(2 * M_PI * i / 24); });
  auto m = Fit(Method::kProphet, s.t, s.v, Step(kHour));
  ASSERT_TRUE(m.ok());
  auto ev = (*m)->Evidence();
  ASSERT_FALSE(ev.seasonality.empty());
  EXPECT_EQ(ev.seasonality[0].period_s, 86400);
  EXPECT_NEAR(ev.seasonality[0].amplitude, 5, 0.3);
  auto band = (*m)->Predict((*m)->fitted_to(), kDay, kHour);
  double mae = MeanAbsError(band, [](double i) { return 20 + 5 * std::sin(2 * M_PI * i / 24); }, kT0, kHour);
  EXPECT_LT(mae, 0.5);
}

TEST(ForecastTest, ProphetFindsTheChangepoint) {
  // Flat at 50 for 600 minutes, then climbing 0.2 per minute.
  Data s = Make(1000, kMin, 0.5, [](double i) { return 50 + (i > 600 ? 0.2 * (i - 600) : 0.0); });
  auto m = Fit(Method::kProphet, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok());
  auto ev = (*m)->Evidence();
  ASSERT_TRUE(ev.last_changepoint.has_value());
  EXPECT_NEAR(static_cast<double>(*ev.last_changepoint - kT0) / kMin, 600, 60);
  EXPECT_NEAR(ev.trend_per_hour, 12, 1.5);
  auto band = (*m)->Predict((*m)->fitted_to(), 2 * kHour, kMin);
  EXPECT_NEAR(band.p50.back(), 50 + 0.2 * (999 + 120 - 600), 5);
  nlohmann::json j = (*m)->Describe();
  EXPECT_EQ(j["method"], "prophet");
  EXPECT_TRUE(j["last_changepoint"].is_number_integer());
  EXPECT_TRUE(j["mase"].is_null());  // Fit() does no backtest
}

TEST(ForecastTest, FitBestPicksASeasonalModelForASeasonalSeries) {
  Data s = Daily(6, 1.0);
  auto m = FitBest(s.t, s.v, Step(10 * kMin));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_NE((*m)->method(), Method::kTheilSen);
  EXPECT_TRUE(std::isfinite((*m)->backtest_mase()));
  EXPECT_LT((*m)->backtest_mase(), 1.0);  // better than the seasonal naive forecast
  EXPECT_EQ((*m)->points(), 6u * 144);
  EXPECT_EQ((*m)->fitted_from(), kT0);
  EXPECT_EQ((*m)->fitted_to(), kT0 + (6 * 144 - 1) * 10 * kMin);
  nlohmann::json j = (*m)->Describe();
  EXPECT_EQ(j["method"], std::string(MethodName((*m)->method())));
  EXPECT_TRUE(j["mase"].is_number());
}

TEST(ForecastTest, FitBestOnARampForecastsTheRamp) {
  Data s = Ramp(720, 10, 0.5, 1.0);
  auto m = FitBest(s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok());
  auto band = (*m)->Predict((*m)->fitted_to(), 2 * kHour, kMin);
  EXPECT_NEAR(band.p50.back(), 10 + 0.5 * (719 + 120), 4) << MethodName((*m)->method());
}

TEST(ForecastTest, FitBestHonoursCandidates) {
  Data s = Daily(3, 1.0);
  ForecastOptions o = Step(10 * kMin);
  o.candidates = {Method::kHoltWintersDamped};
  auto m = FitBest(s.t, s.v, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->method(), Method::kHoltWintersDamped);
  o.candidates.clear();
  EXPECT_EQ(FitBest(s.t, s.v, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(ForecastTest, CrossingOnACleanRampMatchesTheAnalyticTime) {
  // 10 + 0.5 i reaches 400 at i = 780, i.e. 281 minutes after the last point (i = 499).
  Data s = Ramp(500, 10, 0.5, 0.2);
  const TimestampNs now = s.t.back();
  const double analytic_min = 281;
  for (Method method : {Method::kTheilSen, Method::kHoltWinters, Method::kProphet}) {
    auto m = Fit(method, s.t, s.v, ForecastOptions{});
    ASSERT_TRUE(m.ok());
    Crossing c = TimeToCrossing(**m, 400, Direction::kAbove, now, kDay, kMin);
    EXPECT_FALSE(c.already);
    EXPECT_GE(c.probability, 0.95) << MethodName(method);
    ASSERT_TRUE(c.p10 && c.p50 && c.p90) << MethodName(method);
    EXPECT_NEAR(static_cast<double>(*c.p50 - now) / kMin, analytic_min, 0.03 * analytic_min) << MethodName(method);
    EXPECT_LE(*c.p10, *c.p50);
    EXPECT_LE(*c.p50, *c.p90);
  }
  auto best = FitBest(s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(best.ok());
  Crossing c = TimeToCrossing(**best, 400, Direction::kAbove, now, kDay, kMin);
  ASSERT_TRUE(c.p50.has_value());
  EXPECT_NEAR(static_cast<double>(*c.p50 - now) / kMin, analytic_min, 0.03 * analytic_min);
  // Going down: 1000 - 0.5 i reaches 700 at i = 600, 101 minutes after the end.
  Data down = Ramp(500, 1000, -0.5, 0.2);
  auto md = Fit(Method::kTheilSen, down.t, down.v, ForecastOptions{});
  ASSERT_TRUE(md.ok());
  Crossing cd = TimeToCrossing(**md, 700, Direction::kBelow, down.t.back(), kDay, kMin);
  ASSERT_TRUE(cd.p50.has_value());
  EXPECT_NEAR(static_cast<double>(*cd.p50 - down.t.back()) / kMin, 101, 4);
}

TEST(ForecastTest, LevelCrossingIgnoresObservationNoise) {
  // Noise sd 30 around a ramp reaching 800 861 minutes after the last point: single noisy values cross
  // well before the trend does; the level paths cross around the analytic time.
  Data s = Ramp(720, 10, 0.5, 30);
  const TimestampNs now = s.t.back();
  for (Method method : {Method::kTheilSen, Method::kProphet, Method::kHoltWintersDamped}) {
    auto m = Fit(method, s.t, s.v, ForecastOptions{});
    ASSERT_TRUE(m.ok());
    Crossing noisy = TimeToCrossing(**m, 800, Direction::kAbove, now, kDay, kMin);
    CrossingOptions co;
    co.level = true;
    Crossing level = TimeToCrossing(**m, 800, Direction::kAbove, now, kDay, kMin, co);
    ASSERT_TRUE(noisy.p50 && level.p50) << MethodName(method);
    EXPECT_LT(*noisy.p50, *level.p50) << MethodName(method);
    EXPECT_NEAR(static_cast<double>(*level.p50 - now) / kMin, 861, 0.08 * 861) << MethodName(method);
    for (const auto& p : (*m)->SampleLevelPaths(now, kHour, kMin, 5, 1)) {
      for (double x : p) ASSERT_TRUE(std::isfinite(x));
    }
  }
}

TEST(ForecastTest, FlatSeriesFarFromTheLimitNeverCrosses) {
  Data s = Make(1440, kMin, 1.0, [](double) { return 50.0; });
  auto best = FitBest(s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(best.ok());
  for (Method method : {Method::kTheilSen, Method::kHoltWinters, Method::kHoltWintersDamped, Method::kProphet}) {
    auto m = Fit(method, s.t, s.v, ForecastOptions{});
    ASSERT_TRUE(m.ok());
    Crossing c = TimeToCrossing(**m, 100, Direction::kAbove, s.t.back(), kDay, kMin);
    EXPECT_LE(c.probability, 0.05) << MethodName(method);
    EXPECT_FALSE(c.p50.has_value()) << MethodName(method);
    EXPECT_FALSE(c.already);
  }
  Crossing c = TimeToCrossing(**best, 100, Direction::kAbove, s.t.back(), kDay, kMin);
  EXPECT_LE(c.probability, 0.05);
}

TEST(ForecastTest, AlreadyPastTheLimit) {
  Data s = Ramp(100, 10, 1, 0.1);
  auto m = Fit(Method::kTheilSen, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok());
  Crossing c = TimeToCrossing(**m, 50, Direction::kAbove, s.t.back(), kDay, kMin);
  EXPECT_TRUE(c.already);
  EXPECT_EQ(c.probability, 1);
  EXPECT_EQ(c.p50, s.t.back());
}

TEST(ForecastTest, BadInputTooShort) {
  Data s = Ramp(12, 0, 1, 0);
  auto m = FitBest(s.t, s.v, ForecastOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.status().message(), "12 points, need 30");
  EXPECT_EQ(FitBest({}, {}, ForecastOptions{}).status().message(), "0 points, need 30");
  // Duplicates collapse into one grid point: 100 samples in 10 minutes are 10 points.
  Data dup = Make(100, 6 * kSec, 0.1, [](double i) { return i; });
  EXPECT_EQ(FitBest(dup.t, dup.v, ForecastOptions{}).status().message(), "10 points, need 30");
}

TEST(ForecastTest, BadInputConstant) {
  Data s = Make(100, kMin, 0, [](double) { return 5.0; });
  auto m = FitBest(s.t, s.v, ForecastOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.status().message(), "constant series: all 100 points equal 5");
}

TEST(ForecastTest, BadInputGaps) {
  Data s = Ramp(200, 0, 1, 0.1);
  // Drop minutes 50..149: half the grid is empty.
  Data g;
  for (size_t i = 0; i < s.t.size(); ++i) {
    if (i < 50 || i >= 150) g.t.push_back(s.t[i]), g.v.push_back(s.v[i]);
  }
  auto m = FitBest(g.t, g.v, ForecastOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.status().message(), "too many gaps: 50% of the 1min buckets are empty (at most 20%)");
  // A small gap is interpolated and the forecast goes ahead.
  Data small;
  for (size_t i = 0; i < s.t.size(); ++i) {
    if (i < 50 || i >= 70) small.t.push_back(s.t[i]), small.v.push_back(s.v[i]);
  }
  auto ok = FitBest(small.t, small.v, ForecastOptions{});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)->points(), 200u);
}

TEST(ForecastTest, BadInputNonFinite) {
  std::vector<TimestampNs> t = {kT0, kT0 + kMin, kT0 + 2 * kMin};
  std::vector<double> v = {NAN, INFINITY, -INFINITY};
  auto m = FitBest(t, v, ForecastOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "no finite values (3 samples, all NaN or infinite)");
  std::vector<double> shorter = {1, 2};
  EXPECT_EQ(FitBest(t, shorter, ForecastOptions{}).status().code(), StatusCode::kInvalidArgument);
  // Non-finite samples among good ones are dropped.
  Data s = Ramp(100, 0, 1, 0.1);
  s.v[10] = NAN;
  s.v[20] = INFINITY;
  EXPECT_TRUE(FitBest(s.t, s.v, ForecastOptions{}).ok());
}

TEST(ForecastTest, CounterResetsAreUndone) {
  // A counter growing 10 per minute that restarts from zero twice.
  Data s = Make(300, kMin, 0, [](double i) { return 10 * (i < 100 ? i : i < 200 ? i - 100 : i - 200); });
  ForecastOptions o;
  o.counter = true;
  auto m = Fit(Method::kTheilSen, s.t, s.v, o);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR((*m)->Evidence().trend_per_hour, 600, 10);
  EXPECT_NEAR((*m)->last_value(), 10 * 299 - 10, 20);  // the reset-free total (each reset loses one step)
  // Without counter semantics the sawtooth has no upward trend of 600/h.
  auto raw = Fit(Method::kTheilSen, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(raw.ok());
  EXPECT_LT((*raw)->Evidence().trend_per_hour, 300);
  // A counter that restarts all the time is refused with the reason.
  Data flappy = Make(100, kMin, 0, [](double i) { return static_cast<double>(static_cast<int>(i) % 5); });
  auto bad = FitBest(flappy.t, flappy.v, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "19 counter resets in the history (at most 10): the series restarts too often to forecast");
}

TEST(ForecastTest, UnsortedInputIsSorted) {
  Data s = Ramp(200, 0, 1, 0.1);
  std::mt19937_64 rng(3);
  std::vector<size_t> perm(s.t.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  Data sh;
  for (size_t i : perm) sh.t.push_back(s.t[i]), sh.v.push_back(s.v[i]);
  auto a = Fit(Method::kTheilSen, s.t, s.v, ForecastOptions{});
  auto b = Fit(Method::kTheilSen, sh.t, sh.v, ForecastOptions{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_DOUBLE_EQ((*a)->Evidence().trend_per_hour, (*b)->Evidence().trend_per_hour);
}

// Property: whatever the input, a fit either fails with a reason or yields only finite numbers.
TEST(ForecastTest, NeverNaNOnRandomInput) {
  std::mt19937_64 rng(12345);
  int fitted = 0;
  for (int trial = 0; trial < 60; ++trial) {
    size_t n = 20 + rng() % 400;
    Data d;
    int kind = trial % 6;
    double scale = std::pow(10.0, static_cast<double>(rng() % 30) - 10);
    std::uniform_real_distribution<double> u(-1, 1);
    TimestampNs t = kT0;
    for (size_t i = 0; i < n; ++i) {
      t += (kind == 3 ? static_cast<int64_t>(rng() % 180) : 60) * kSec;  // jittered, duplicates, small gaps
      double v = scale * u(rng);
      if (kind == 1) v = scale * (1e6 + u(rng));                       // large offset, tiny variation
      if (kind == 2 && rng() % 10 == 0) v = (rng() % 2) ? NAN : INFINITY;
      if (kind == 4) v = (i % 7 == 0) ? 1e300 * u(rng) : u(rng);       // extreme spikes
      if (kind == 5) v = static_cast<double>(rng() % 3);               // few distinct values
      d.t.push_back(t);
      d.v.push_back(v);
    }
    ForecastOptions o;
    o.counter = trial % 5 == 0;
    o.max_counter_resets = 1000;
    for (int mi = -1; mi < 4; ++mi) {
      auto m = mi < 0 ? FitBest(d.t, d.v, o) : Fit(static_cast<Method>(mi), d.t, d.v, o);
      if (!m.ok()) {
        EXPECT_FALSE(m.status().message().empty());
        continue;
      }
      ++fitted;
      auto band = (*m)->Predict((*m)->fitted_to(), 6 * kHour, 5 * kMin);
      for (size_t i = 0; i < band.t.size(); ++i) {
        ASSERT_TRUE(std::isfinite(band.p10[i]) && std::isfinite(band.p50[i]) && std::isfinite(band.p90[i]))
            << "trial " << trial << " method " << mi;
      }
      for (const auto& p : (*m)->SamplePaths((*m)->fitted_to(), 2 * kHour, kMin, 20, 9)) {
        for (double x : p) ASSERT_TRUE(std::isfinite(x)) << "trial " << trial << " method " << mi;
      }
      for (const auto& p : (*m)->SampleLevelPaths((*m)->fitted_to(), 2 * kHour, kMin, 5, 9)) {
        for (double x : p) ASSERT_TRUE(std::isfinite(x)) << "trial " << trial << " method " << mi;
      }
      auto ev = (*m)->Evidence();
      ASSERT_TRUE(std::isfinite(ev.trend_per_hour) && std::isfinite(ev.residual_sd));
      std::string json = (*m)->Describe().dump();
      EXPECT_EQ(json.find("NaN"), std::string::npos);
      Crossing c = TimeToCrossing(**m, 0.5, Direction::kAbove, (*m)->fitted_to(), kHour, kMin, 30, 3);
      ASSERT_TRUE(c.probability >= 0 && c.probability <= 1);
    }
  }
  EXPECT_GT(fitted, 100);  // most random series are forecastable; the property is not vacuous
}

}  // namespace
}  // namespace foresight::forecast

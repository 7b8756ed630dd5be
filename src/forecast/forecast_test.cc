#include "forecast/forecast.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace foresight::forecast {
namespace {

constexpr int64_t kMin = 60 * kNanosPerSecond;
constexpr TimestampNs kT0 = 1'700'000'000LL * kNanosPerSecond;

struct Series {
  std::vector<TimestampNs> t;
  std::vector<double> v;
};

Series Ramp(size_t n, double a, double b, double noise, uint64_t seed = 7) {
  Series s;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0, 1);
  for (size_t i = 0; i < n; ++i) {
    s.t.push_back(kT0 + static_cast<int64_t>(i) * kMin);
    s.v.push_back(a + b * static_cast<double>(i) + noise * nd(rng));
  }
  return s;
}

TEST(ForecastTest, TheilSenRecoversLinearTrendDespiteOutliers) {
  Series s = Ramp(500, 10, 0.5, 1.0);
  for (size_t i = 0; i < s.v.size(); i += 25) s.v[i] += 500;  // 4 % gross outliers
  auto m = Fit(Method::kTheilSen, s.t, s.v, ForecastOptions{});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_NEAR((*m)->Evidence().trend_per_hour, 30.0, 0.5);
  auto band = (*m)->Predict((*m)->fitted_to(), 60 * kMin, kMin);
  ASSERT_EQ(band.t.size(), 60u);
  EXPECT_NEAR(band.p50.back(), 10 + 0.5 * (499 + 60), 2.0);
  EXPECT_LE(band.p10.back(), band.p50.back());
  EXPECT_GE(band.p90.back(), band.p50.back());
}

TEST(ForecastTest, TooShortSeriesStatesTheReason) {
  Series s = Ramp(12, 0, 1, 0);
  auto m = FitBest(s.t, s.v, ForecastOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.status().message(), "12 points, need 30");
}

}  // namespace
}  // namespace foresight::forecast

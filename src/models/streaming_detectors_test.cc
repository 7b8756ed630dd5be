#include "models/streaming_detectors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "models/metric_deviation.h"

namespace foresight::models {
namespace {

constexpr int64_t kStep = 300'000'000;  // 5 minutes in microseconds

std::vector<double> Noisy(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 50 + 10 * std::sin(2 * M_PI * static_cast<double>(i) / 288) + g(rng);
  return v;
}

TEST(StreamingDetectors, EveryDetectorIsSilentInProbationBoundedAndDeterministic) {
  const auto v = Noisy(2000, 1);
  StreamingOptions o;
  o.probation = 300;
  for (const std::string& name : StreamingDetectorNames()) {
    auto a = MakeStreamingDetector(name, o);
    auto b = MakeStreamingDetector(name, o);
    ASSERT_TRUE(a.ok() && b.ok()) << name;
    for (size_t i = 0; i < v.size(); ++i) {
      const double s = (*a)->Update(static_cast<int64_t>(i) * kStep, v[i]);
      ASSERT_EQ(s, (*b)->Update(static_cast<int64_t>(i) * kStep, v[i])) << name << " row " << i;
      ASSERT_TRUE(s >= 0 && s <= 1) << name << " row " << i << " score " << s;
      if (i < o.probation) ASSERT_EQ(s, 0) << name;
    }
    EXPECT_EQ((*a)->Update(static_cast<int64_t>(v.size()) * kStep, std::nan("")), 0) << name;
  }
}

TEST(StreamingDetectors, ALevelShiftOutscoresEveryNormalPoint) {
  auto v = Noisy(3000, 2);
  for (size_t i = 2500; i < v.size(); ++i) v[i] += 60;  // far outside anything seen
  StreamingOptions o;
  o.probation = 450;
  for (const std::string& name : {std::string("ensemble"), std::string("gaussian"), std::string("knn")}) {
    auto d = MakeStreamingDetector(name, o);
    ASSERT_TRUE(d.ok());
    double normal_max = 0, shift_max = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const double s = (*d)->Update(static_cast<int64_t>(i) * kStep, v[i]);
      if (i < 2500) normal_max = std::max(normal_max, s);
      if (i >= 2500 && i < 2510) shift_max = std::max(shift_max, s);
    }
    EXPECT_GT(shift_max, normal_max) << name;
    EXPECT_GT(shift_max, 0.5) << name;
  }
}

TEST(StreamingDetectors, EnsembleRaisesOneAlarmPerEventThenHoldsOff) {
  auto v = Noisy(3000, 3);
  v[2000] += 200;  // one spike
  StreamingOptions o;
  o.probation = 450;  // hold-off: 0.2 x probation = 90 rows
  auto d = MakeStreamingDetector("ensemble", o);
  ASSERT_TRUE(d.ok());
  std::vector<double> s(v.size());
  for (size_t i = 0; i < v.size(); ++i) s[i] = (*d)->Update(static_cast<int64_t>(i) * kStep, v[i]);
  EXPECT_GE(s[2000], 0.5);
  for (size_t i = 2001; i < 2090; ++i) EXPECT_LT(s[i], 0.5) << i;
}

TEST(StreamingDetectors, UnknownNameAndKnobs) {
  auto d = MakeStreamingDetector("nope");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("ensemble"), std::string::npos);
  StreamingOptions o;
  o.params = {{"parts", 4}, {"range_gain", 0}, {"no_such_knob", 1}};
  EXPECT_TRUE(MakeStreamingDetector("ensemble", o).ok());
}

TEST(MetricDeviation, RanksTheDeviatingMetricAndSmoothsCausally) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> g(0, 0.05);
  const size_t d = 6, n = 500;
  std::vector<double> train(n * d);
  for (double& x : train) x = 0.5 + g(rng);
  MetricDeviationOptions mo;
  mo.ewma_alpha = 0.25;
  auto m = MetricDeviationModel::Train(train, d, mo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  MetricDeviationModel::Scorer scorer(*m);
  std::vector<double> row(d, 0.5), c;
  const double quiet = scorer.Update(row, &c);
  row[3] = 0.95;  // 9 standard deviations
  const double first = scorer.Update(row, &c);
  EXPECT_GT(first, quiet);
  EXPECT_EQ(std::max_element(c.begin(), c.end()) - c.begin(), 3);
  EXPECT_NEAR(c[3], 9, 1.5);
  // Exponentially averaged: the raw score of the anomalous row is about 4.5 (top-2 mean), the average less.
  EXPECT_LT(first, m->Score(row));
  EXPECT_FALSE(MetricDeviationModel::Train(std::vector<double>(5, 0), 2).ok());
  EXPECT_FALSE(MetricDeviationModel::Train({}, 0).ok());
}

}  // namespace
}  // namespace foresight::models

#include "app/deviation.h"

#include <gtest/gtest.h>

#include <random>

namespace foresight::app {
namespace {

// Two metrics with level and trend features; rows are noisy around fixed levels.
std::vector<double> Rows(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> rows;
  for (size_t i = 0; i < n; ++i) {
    rows.push_back(40 + 5 * noise(rng));     // cpu.ewma
    rows.push_back(0.01 * noise(rng));       // cpu.slope_15m
    rows.push_back(0.5 + 0.1 * noise(rng));  // err.ewma
    rows.push_back(123);                     // err.std_5m (not monitored)
  }
  return rows;
}

const std::vector<std::string> kNames = {"cpu.ewma", "cpu.slope_15m", "err.ewma", "err.std_5m"};

TEST(DeviationModelTest, BlatantSingleMetricExcursionScoresCritical) {
  auto m = DeviationModel::Fit(Rows(5000, 1), kNames, {".ewma", ".slope_15m"}, 0.995, 0.9995);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<double> normal = {41, 0.0, 0.52, 123};
  std::vector<double> burst = {41, 0.0, 15.0, 123};  // error rate 30x its normal level
  std::vector<double> jitter = {41, 0.0, 0.65, 123};  // +30 %: statistically rare, practically noise
  EXPECT_LT(m->Score(normal), 0.6);
  EXPECT_GE(m->Score(burst), 0.8);
  EXPECT_LT(m->Score(jitter), 0.6);
  Deviation d = m->Max(burst);
  EXPECT_EQ(d.feature, 2u);
  EXPECT_GT(d.z, 50);
}

TEST(DeviationModelTest, FewTrainingRowsExceedWarning) {
  auto rows = Rows(5000, 2);
  auto m = DeviationModel::Fit(rows, kNames, {".ewma", ".slope_15m"}, 0.995, 0.9995);
  ASSERT_TRUE(m.ok());
  auto fresh = Rows(5000, 3);
  int above = 0;
  for (size_t r = 0; r < 5000; ++r) above += m->Score(std::span(fresh).subspan(r * 4, 4)) >= 0.6;
  EXPECT_LT(above, 5000 * 0.02);  // calibrated at the 99.5th percentile of max |z|
}

TEST(DeviationModelTest, IgnoresUnmonitoredAndNaNFeatures) {
  auto m = DeviationModel::Fit(Rows(1000, 4), kNames, {".ewma"}, 0.99, 0.999);
  ASSERT_TRUE(m.ok());
  std::vector<double> row = {std::nan(""), 5.0, 0.5, 1e9};
  EXPECT_LT(m->Score(row), 0.6);
}

TEST(DeviationModelTest, JsonRoundTripKeepsScores) {
  auto m = DeviationModel::Fit(Rows(1000, 5), kNames, {".ewma", ".slope_15m"}, 0.995, 0.9995);
  ASSERT_TRUE(m.ok());
  auto back = DeviationModel::FromJson(nlohmann::json::parse(m->ToJson().dump()));
  ASSERT_TRUE(back.ok());
  std::vector<double> row = {70, 0.3, 0.9, 1};
  EXPECT_DOUBLE_EQ(back->Score(row), m->Score(row));
  EXPECT_EQ(DeviationModel::FromJson(nlohmann::json{{"features", 1}}).status().code(), StatusCode::kDataLoss);
}

TEST(DeviationModelTest, RejectsNoMatchingFeature) {
  EXPECT_FALSE(DeviationModel::Fit(Rows(10, 6), kNames, {".nope"}, 0.99, 0.999).ok());
}

}  // namespace
}  // namespace foresight::app

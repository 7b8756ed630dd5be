#include "eval/smd_eval.h"

#include <gtest/gtest.h>

#include <vector>

namespace foresight::eval {
namespace {

// 10 points, one anomaly segment of 5 (rows 3..7).
const std::vector<int> kLabels = {0, 0, 0, 1, 1, 1, 1, 1, 0, 0};

TEST(SmdMetrics, PointwiseBestF1SweepsEveryThreshold) {
  // Only row 4 of the segment scores high, plus one false positive at row 9.
  const std::vector<double> s = {0, 0, 0, 0.1, 0.9, 0.1, 0.1, 0.1, 0, 0.8};
  const F1 f = BestF1(s, kLabels);
  // Candidates: >= 0.9: tp 1, fp 0 -> P 1, R 0.2, F1 1/3; >= 0.8: tp 1 fp 1 -> 0.286; >= 0.1: tp 5, fp 1
  // -> P 5/6, R 1, F1 0.909; >= 0: P 0.5, R 1, F1 0.667.
  EXPECT_NEAR(f.f1, 2 * (5.0 / 6) / (5.0 / 6 + 1), 1e-12);
  EXPECT_DOUBLE_EQ(f.threshold, 0.1);
  EXPECT_NEAR(f.precision, 5.0 / 6, 1e-12);
  EXPECT_NEAR(f.recall, 1, 1e-12);
}

TEST(SmdMetrics, PointAdjustmentCreditsTheWholeSegment) {
  const std::vector<double> s = {0, 0, 0, 0.1, 0.9, 0.1, 0.1, 0.1, 0, 0.8};
  // PA at >= 0.9: the segment counts fully: tp 5, fp 0 -> F1 1.
  const F1 pa = BestAdjustedF1(s, kLabels, -1);
  EXPECT_DOUBLE_EQ(pa.f1, 1.0);
  EXPECT_DOUBLE_EQ(pa.threshold, 0.9);
  // PA%K with K = 20: one detected point of 5 is exactly 20 %, not more: no adjustment at 0.9 (F1 1/3);
  // at 0.1 every point is detected anyway (0.909): the best stays 0.909.
  const F1 k20 = BestAdjustedF1(s, kLabels, 20);
  EXPECT_NEAR(k20.f1, 2 * (5.0 / 6) / (5.0 / 6 + 1), 1e-12);
  // K = 10: one point of 5 is more than 10 %: the segment is credited at 0.9 already.
  EXPECT_DOUBLE_EQ(BestAdjustedF1(s, kLabels, 10).f1, 1.0);
}

TEST(SmdMetrics, NoPositiveDetectionMeansZero) {
  const std::vector<double> s(10, 0.5);
  const std::vector<int> none(10, 0);
  EXPECT_DOUBLE_EQ(BestF1(s, none).f1, 0);
  // Constant scores: one threshold, everything detected: P 0.5, R 1.
  EXPECT_NEAR(BestF1(s, kLabels).f1, 2 * 0.5 / 1.5, 1e-12);
}

}  // namespace
}  // namespace foresight::eval

#include "models/isolation_forest.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace foresight::models {
namespace {

// n inliers ~ N(0, 1)^d plus `outliers` rows far out in feature `hot` (row indices n..n+outliers-1).
std::vector<double> Dataset(size_t n, size_t d, size_t outliers, size_t hot, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> x((n + outliers) * d);
  for (double& v : x) v = g(rng);
  for (size_t r = n; r < n + outliers; ++r) x[r * d + hot] = 8 + g(rng);
  return x;
}

std::span<const double> Row(const std::vector<double>& x, size_t d, size_t r) {
  return std::span<const double>(x).subspan(r * d, d);
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "." + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "." +
           std::to_string(reinterpret_cast<uintptr_t>(&name))))
      .string();
}

TEST(IsolationForestTest, AveragePathLengthMatchesPaper) {
  EXPECT_EQ(IsolationForestModel::AveragePathLength(1), 0);
  EXPECT_EQ(IsolationForestModel::AveragePathLength(2), 1);
  // c(256) = 2 H(255) - 2 * 255 / 256 with H(i) ~ ln(i) + gamma.
  EXPECT_NEAR(IsolationForestModel::AveragePathLength(256), 10.2448, 1e-3);
}

TEST(IsolationForestTest, SameSeedGivesIdenticalModelAndScores) {
  const size_t d = 5;
  auto x = Dataset(2000, d, 20, 2, 1);
  IsolationForestOptions opt;
  opt.seed = 7;
  auto a = IsolationForestModel::Train(x, d, {}, opt);
  auto b = IsolationForestModel::Train(x, d, {}, opt);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->Serialize(), (*b)->Serialize());
  for (size_t r = 0; r < 2020; r += 101) EXPECT_EQ((*a)->Score(Row(x, d, r)), (*b)->Score(Row(x, d, r)));
  opt.seed = 8;
  auto c = IsolationForestModel::Train(x, d, {}, opt);
  ASSERT_TRUE(c.ok());
  EXPECT_NE((*a)->Serialize(), (*c)->Serialize());
}

TEST(IsolationForestTest, AnomaliesScoreHigherThanInliers) {
  // Scattered anomalies on a sphere of radius 7 around the N(0, I) inliers. (An anomaly in just one of
  // many features isolates slowly with axis-parallel random splits; scikit-learn behaves the same.)
  const size_t d = 4, n = 3000, k = 16;
  auto x = Dataset(n, d, 0, 0, 2);
  x.resize((n + k) * d);
  std::mt19937_64 rng(22);
  std::normal_distribution<double> g(0, 1);
  for (size_t r = n; r < n + k; ++r) {
    double norm = 0;
    for (size_t f = 0; f < d; ++f) norm += (x[r * d + f] = g(rng)) * x[r * d + f];
    for (size_t f = 0; f < d; ++f) x[r * d + f] *= 7 / std::sqrt(norm);
  }
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<double> s;
  (*m)->ScoreBatch(x, &s);
  std::vector<double> inliers(s.begin(), s.begin() + n);
  std::sort(inliers.begin(), inliers.end());
  const double inlier_p95 = inliers[n * 95 / 100];
  const double inlier_p99 = inliers[n * 99 / 100];
  double inlier_mean = 0, outlier_mean = 0;
  size_t above_p99 = 0;
  for (double v : inliers) inlier_mean += v / n;
  for (size_t r = n; r < n + k; ++r) {
    outlier_mean += s[r] / k;
    above_p99 += s[r] > inlier_p99;
    EXPECT_GT(s[r], inlier_p95) << "anomaly " << r;
  }
  EXPECT_GE(above_p99, k - 2);  // diagonal directions isolate slowest with axis-parallel splits
  EXPECT_LT(inlier_mean, 0.5);
  EXPECT_GT(outlier_mean, 0.6);
}

TEST(IsolationForestTest, ScoresAreInZeroOneAndBatchEqualsSingle) {
  const size_t d = 4;
  auto x = Dataset(500, d, 5, 0, 3);
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok());
  std::vector<double> s;
  (*m)->ScoreBatch(x, &s);
  for (size_t r = 0; r < s.size(); ++r) {
    EXPECT_GT(s[r], 0);
    EXPECT_LE(s[r], 1);
    EXPECT_DOUBLE_EQ(s[r], (*m)->Score(Row(x, d, r)));
  }
  std::vector<double> far(d, 1e300);
  EXPECT_LE((*m)->Score(far), 1);
  EXPECT_GT((*m)->Score(far), 0.7);
}

TEST(IsolationForestTest, UsesSmallerSubsampleWhenFewRows) {
  const size_t d = 2;
  auto x = Dataset(50, d, 0, 0, 4);
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->subsample(), 50);
  EXPECT_EQ((*m)->max_depth(), 6);  // ceil(log2 50)
  EXPECT_EQ((*m)->num_trees(), 100u);
}

TEST(IsolationForestTest, SeverityThresholdsFollowTrainingQuantiles) {
  const size_t d = 6, n = 5000;
  auto x = Dataset(n, d, 0, 0, 5);
  IsolationForestOptions opt;
  opt.warning_quantile = 0.95;
  opt.critical_quantile = 0.999;
  opt.calibration_rows = 0;  // all rows
  auto m = IsolationForestModel::Train(x, d, {}, opt);
  ASSERT_TRUE(m.ok());
  const auto& sum = (*m)->summary();
  EXPECT_EQ(sum.calibration_rows, n);
  EXPECT_LT(sum.warning, sum.critical);
  EXPECT_GE(sum.critical, sum.warning + opt.min_critical_gap - 1e-12);
  std::vector<double> s;
  (*m)->ScoreBatch(x, &s);
  size_t warn_or_worse = 0, critical = 0;
  for (double v : s) {
    const Severity sev = (*m)->SeverityOf(v);
    warn_or_worse += sev != Severity::kInfo;
    critical += sev == Severity::kCritical;
  }
  // About 5% of the training rows reach warning, at most 0.1% critical.
  EXPECT_NEAR(static_cast<double>(warn_or_worse) / n, 0.05, 0.002);
  EXPECT_LE(critical, n / 1000 + 1);
  EXPECT_EQ((*m)->SeverityOf(0.0), Severity::kInfo);
  EXPECT_EQ((*m)->SeverityOf(sum.warning), Severity::kWarning);
  EXPECT_EQ((*m)->SeverityOf(1.0), Severity::kCritical);
}

TEST(IsolationForestTest, NaNIsImputedWithTrainingMedian) {
  const size_t d = 3;
  auto x = Dataset(1000, d, 0, 0, 6);
  for (size_t r = 0; r < 1000; r += 10) x[r * d + 1] = NAN;  // 10% missing in training
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok());
  EXPECT_GT((*m)->summary().missing_values, 0u);
  std::vector<double> row = {0.1, NAN, -0.2};
  std::vector<double> filled = {0.1, (*m)->fill_values()[1], -0.2};
  EXPECT_EQ((*m)->Score(row), (*m)->Score(filled));
  EXPECT_NEAR((*m)->fill_values()[1], 0, 0.15);
}

TEST(IsolationForestTest, ExplainCreditsTheAnomalousFeatureAndSumsToLogScore) {
  const size_t d = 6;
  auto x = Dataset(2000, d, 0, 0, 7);
  std::vector<std::string> names = {"a", "b", "c", "d", "e", "f"};
  auto m = IsolationForestModel::Train(x, d, names, {});
  ASSERT_TRUE(m.ok());
  std::vector<double> row = {0.1, -0.3, 0.2, 9.0, 0.0, 0.4};
  auto attr = (*m)->Explain(row);
  ASSERT_EQ(attr.size(), d);
  EXPECT_EQ(attr[0].feature, "d");
  EXPECT_EQ(attr[0].value, 9.0);
  EXPECT_GT(attr[0].contribution, 0.5 * (1 + std::log2((*m)->Score(row))));
  for (size_t i = 1; i < attr.size(); ++i) EXPECT_GE(attr[i - 1].contribution, attr[i].contribution);
  double sum = 0;
  for (const auto& a : attr) sum += a.contribution;
  EXPECT_NEAR(sum, 1 + std::log2((*m)->Score(row)), 1e-9);
  EXPECT_EQ((*m)->Explain(row, 2).size(), 2u);
}

TEST(IsolationForestTest, SaveLoadRoundTripGivesIdenticalScores) {
  const size_t d = 5;
  auto x = Dataset(1500, d, 15, 4, 8);
  auto m = IsolationForestModel::Train(x, d, {"m.a", "m.b", "m.c", "n.a", "n.b"}, {});
  ASSERT_TRUE(m.ok());
  const std::string path = TempPath("iforest_roundtrip");
  ASSERT_TRUE((*m)->Save(path).ok());
  auto loaded = IsolationForestModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->feature_names(), (*m)->feature_names());
  EXPECT_EQ((*loaded)->summary().warning, (*m)->summary().warning);
  EXPECT_EQ((*loaded)->summary().critical, (*m)->summary().critical);
  for (size_t r = 0; r < 1515; ++r) EXPECT_EQ((*loaded)->Score(Row(x, d, r)), (*m)->Score(Row(x, d, r)));
  EXPECT_EQ((*loaded)->Serialize(), (*m)->Serialize());
  std::filesystem::remove(path);
}

TEST(IsolationForestTest, CorruptFilesAreRejectedWithDataLoss) {
  const size_t d = 3;
  auto x = Dataset(300, d, 0, 0, 9);
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok());
  const std::string good = (*m)->Serialize();
  // Every single-byte flip anywhere in the file (sampled) and every truncation point (sampled).
  for (size_t i = 0; i < good.size(); i += 97) {
    std::string bad = good;
    bad[i] ^= 0x5a;
    auto r = IsolationForestModel::Deserialize(bad);
    ASSERT_FALSE(r.ok()) << "flip at " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << "flip at " << i << " " << r.status().ToString();
  }
  for (size_t len : {size_t{0}, size_t{7}, size_t{30}, good.size() / 2, good.size() - 1}) {
    auto r = IsolationForestModel::Deserialize(std::string_view(good).substr(0, len));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << "len " << len;
  }
  // Through the file API too.
  const std::string path = TempPath("iforest_corrupt");
  {
    std::ofstream out(path, std::ios::binary);
    std::string bad = good;
    bad[bad.size() / 3] ^= 1;
    out << bad;
  }
  auto r = IsolationForestModel::Load(path);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  std::filesystem::remove(path);
  EXPECT_EQ(IsolationForestModel::Load(path).status().code(), StatusCode::kNotFound);
}

TEST(IsolationForestTest, SharedModelScoresConcurrently) {
  const size_t d = 4;
  auto x = Dataset(1000, d, 10, 1, 11);
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok());
  IsolationForestPtr shared = *m;
  std::vector<double> expected;
  shared->ScoreBatch(x, &expected);
  std::vector<std::vector<double>> got(4, std::vector<double>(1010));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t r = 0; r < 1010; ++r) got[t][r] = shared->Score(Row(x, d, r));
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST(IsolationForestTest, NewerFormatVersionIsFailedPreconditionNotDataLoss) {
  const size_t d = 2;
  auto x = Dataset(100, d, 0, 0, 10);
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok());
  std::string bytes = (*m)->Serialize();
  const uint32_t version = 2;
  std::memcpy(bytes.data() + 8, &version, 4);  // after the 8-byte magic
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size() - 4)));
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
  EXPECT_EQ(IsolationForestModel::Deserialize(bytes).status().code(), StatusCode::kFailedPrecondition);
}

// A file whose checksum was recomputed after corruption (a buggy writer, or crafted) must be refused by
// the structural checks or load into a model that still scores safely (run under ASan in CI builds).
TEST(IsolationForestTest, StructurallyCorruptFilesWithValidChecksumNeverCrash) {
  const size_t d = 3;
  auto x = Dataset(300, d, 0, 0, 12);
  auto m = IsolationForestModel::Train(x, d, {}, {});
  ASSERT_TRUE(m.ok());
  const std::string good = (*m)->Serialize();
  std::mt19937_64 rng(99);
  size_t rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    const size_t pos = 24 + rng() % (bad.size() - 28);  // inside the payload
    bad[pos] = static_cast<char>(rng());
    const uint32_t crc = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bad.data()),
                                                     static_cast<uInt>(bad.size() - 4)));
    std::memcpy(bad.data() + bad.size() - 4, &crc, 4);
    auto r = IsolationForestModel::Deserialize(bad);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
      ++rejected;
      continue;
    }
    const double s = (*r)->Score(Row(x, d, 0));
    EXPECT_FALSE(std::isnan(s)) << "pos " << pos;
    for (const auto& a : (*r)->Explain(Row(x, d, 0))) EXPECT_TRUE(std::isfinite(a.contribution)) << "pos " << pos;
  }
  EXPECT_GT(rejected, 0u);
}

TEST(IsolationForestTest, RejectsBadInput) {
  std::vector<double> x = {1, 2, 3};
  EXPECT_EQ(IsolationForestModel::Train(x, 0, {}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IsolationForestModel::Train(x, 2, {}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IsolationForestModel::Train(x, 3, {}, {}).status().code(), StatusCode::kInvalidArgument);  // 1 row
  IsolationForestOptions opt;
  opt.warning_quantile = 0.999;
  opt.critical_quantile = 0.99;
  std::vector<double> y = {1, 2, 3, 4};
  EXPECT_EQ(IsolationForestModel::Train(y, 1, {}, opt).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IsolationForestModel::Train(y, 1, {"a", "b"}, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(IsolationForestTest, ConstantDataGivesNeutralScores) {
  std::vector<double> x(200 * 2, 3.0);
  auto m = IsolationForestModel::Train(x, 2, {}, {});
  ASSERT_TRUE(m.ok());
  // Every tree is one leaf of size psi: E[h] = c(psi), so s = 0.5 everywhere.
  EXPECT_NEAR((*m)->Score(std::vector<double>{3.0, 3.0}), 0.5, 1e-12);
  EXPECT_NEAR((*m)->Score(std::vector<double>{100.0, -5.0}), 0.5, 1e-12);
}

}  // namespace
}  // namespace foresight::models

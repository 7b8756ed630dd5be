#include "explain/explain.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace foresight::explain {
namespace {

using models::IsolationForestModel;
using models::IsolationForestOptions;

// n inliers ~ N(0, 1)^d plus `outliers` rows far out in feature `hot`.
std::vector<double> Dataset(size_t n, size_t d, size_t outliers, size_t hot, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> x((n + outliers) * d);
  for (double& v : x) v = g(rng);
  for (size_t r = n; r < n + outliers; ++r) x[r * d + hot] = 8 + g(rng);
  return x;
}

std::shared_ptr<const IsolationForestModel> Forest(const std::vector<double>& x, size_t d, int trees, int psi,
                                                   uint64_t seed, int max_depth = 0) {
  IsolationForestOptions o;
  o.num_trees = trees;
  o.subsample = psi;
  o.seed = seed;
  o.max_depth = max_depth;
  auto m = IsolationForestModel::Train(x, d, {}, o);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

double Sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// E[h_t | x_S] of one tree under the path-dependent rule: follow x on features in S, else average the
// children weighted by their training counts.
double ConditionalPathLength(const IsolationForestModel& m, uint32_t id, const double* x, uint32_t mask) {
  const auto n = m.node(id);
  if (n.leaf) return n.path_length;
  if ((mask >> n.feature) & 1) {
    return ConditionalPathLength(m, x[n.feature] < n.threshold ? n.left : n.right, x, mask);
  }
  const double l = m.node(n.left).size, r = m.node(n.right).size;
  return (l * ConditionalPathLength(m, n.left, x, mask) + r * ConditionalPathLength(m, n.right, x, mask)) /
         (l + r);
}

// Brute-force Shapley values of v(S) = 1 - mean_t E[h_t | x_S] / c(psi) by the subset formula.
std::vector<double> BruteForceForestShapley(const IsolationForestModel& m, const std::vector<double>& x,
                                            double* base) {
  const size_t d = m.num_features();
  const uint32_t n = 1u << d;
  std::vector<double> v(n);
  for (uint32_t mask = 0; mask < n; ++mask) {
    double h = 0;
    for (size_t t = 0; t < m.num_trees(); ++t) h += ConditionalPathLength(m, m.tree_root(t), x.data(), mask);
    v[mask] = 1 - h / static_cast<double>(m.num_trees()) / m.average_path_length_psi();
  }
  *base = v[0];
  std::vector<double> phi(d, 0);
  const double dfact = std::tgamma(d + 1.0);
  for (uint32_t mask = 0; mask < n; ++mask) {
    const int s = __builtin_popcount(mask);
    const double w = std::tgamma(s + 1.0) * std::tgamma(static_cast<double>(d) - s) / dfact;
    for (size_t i = 0; i < d; ++i) {
      if (!((mask >> i) & 1)) phi[i] += w * (v[mask | (1u << i)] - v[mask]);
    }
  }
  return phi;
}

TEST(TreeShap, AdditivityOnRandomForestsAndRows) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0, 3);
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const size_t d = 2 + seed * 5;  // 7 .. 32 features
    const auto x = Dataset(600, d, 10, seed % d, seed);
    const auto m = Forest(x, d, 20 + static_cast<int>(seed) * 15, 64 << (seed % 3), seed);
    for (int r = 0; r < 40; ++r) {
      std::vector<double> row(d);
      for (double& v : row) v = g(rng);
      if (r % 7 == 0) row[r % d] = std::nan("");
      if (r % 11 == 0) row[(r + 1) % d] = 1e9;
      for (ForestScale scale : {ForestScale::kScore, ForestScale::kExponent}) {
        const Explanation e = TreeShap(*m, row, scale);
        ASSERT_EQ(e.contributions.size(), d);
        EXPECT_NEAR(e.base + Sum(e.contributions), e.output, 1e-6) << "seed " << seed << " row " << r;
        for (double c : e.contributions) ASSERT_TRUE(std::isfinite(c));
      }
      const Explanation s = TreeShap(*m, row);
      EXPECT_DOUBLE_EQ(s.output, m->Score(row));
      const Explanation l = TreeShap(*m, row, ForestScale::kExponent);
      EXPECT_NEAR(l.output, 1 + std::log2(m->Score(row)), 1e-9);
    }
  }
}

TEST(TreeShap, EqualsBruteForceShapleyOnSmallForests) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0, 1.5);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const size_t d = 3 + seed % 4;  // 3..6 features; depth 6 forces repeated features on paths
    const auto x = Dataset(300, d, 5, 0, seed * 13);
    const auto m = Forest(x, d, 8, 64, seed, 6);
    for (int r = 0; r < 10; ++r) {
      std::vector<double> row(d);
      for (double& v : row) v = g(rng);
      double base = 0;
      const std::vector<double> want = BruteForceForestShapley(*m, row, &base);
      const Explanation e = TreeShap(*m, row, ForestScale::kExponent);
      EXPECT_NEAR(e.base, base, 1e-9);
      for (size_t i = 0; i < d; ++i) EXPECT_NEAR(e.contributions[i], want[i], 1e-9) << "feature " << i;
      // The score scale keeps every sign of the exact values.
      const Explanation s = TreeShap(*m, row);
      for (size_t i = 0; i < d; ++i) {
        if (std::abs(want[i]) > 1e-9) {
          EXPECT_EQ(s.contributions[i] > 0, want[i] > 0);
        }
      }
    }
  }
}

TEST(TreeShap, DeepForestsUseTheGeneralQuadratureAndStayExact) {
  // max_depth 16 needs 8 quadrature nodes (the run-time sized walker); 5 features repeat often on paths.
  const size_t d = 5;
  const auto x = Dataset(3000, d, 20, 1, 17);
  const auto m = Forest(x, d, 6, 2048, 3, 16);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 2);
  for (int r = 0; r < 5; ++r) {
    std::vector<double> row(d);
    for (double& v : row) v = g(rng);
    double base = 0;
    const std::vector<double> want = BruteForceForestShapley(*m, row, &base);
    const Explanation e = TreeShap(*m, row, ForestScale::kExponent);
    EXPECT_NEAR(e.base, base, 1e-9);
    for (size_t i = 0; i < d; ++i) EXPECT_NEAR(e.contributions[i], want[i], 1e-9) << "feature " << i;
    const Explanation s = TreeShap(*m, row);
    EXPECT_NEAR(s.base + Sum(s.contributions), s.output, 1e-6);
  }
}

TEST(TreeShap, OutlierFeatureGetsTheLargestPositiveContribution) {
  const size_t d = 8, hot = 5;
  const auto x = Dataset(2000, d, 0, 0, 11);
  const auto m = Forest(x, d, 100, 256, 5);
  std::vector<double> row(d, 0.1);
  row[hot] = 9;
  const Explanation e = TreeShap(*m, row);
  EXPECT_GT(e.output, e.base);
  const size_t top = static_cast<size_t>(
      std::max_element(e.contributions.begin(), e.contributions.end()) - e.contributions.begin());
  EXPECT_EQ(top, hot);
  EXPECT_GT(e.contributions[hot], 0.5 * (e.output - e.base));
}

double Nonlinear(std::span<const double> x) {
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += (0.3 + 0.1 * static_cast<double>(i)) * x[i];
  s += x[0] * x[1] + std::max(0.0, x[2] - x[3]) + std::sin(x[4]) * (x.size() > 6 ? x[6] : 1.0);
  return s;
}

// Shapley values by their definition over all d! orderings.
std::vector<double> PermutationShapley(const std::function<double(std::span<const double>)>& f,
                                       const std::vector<double>& row,
                                       const std::vector<std::vector<double>>& background) {
  const size_t d = row.size();
  auto value = [&](const std::vector<bool>& in) {
    double s = 0;
    for (const auto& b : background) {
      std::vector<double> z = b;
      for (size_t i = 0; i < d; ++i) {
        if (in[i]) z[i] = row[i];
      }
      s += f(z);
    }
    return s / static_cast<double>(background.size());
  };
  std::vector<size_t> perm(d);
  std::iota(perm.begin(), perm.end(), 0);
  std::vector<double> phi(d, 0);
  double count = 0;
  do {
    std::vector<bool> in(d, false);
    double prev = value(in);
    for (size_t i : perm) {
      in[i] = true;
      const double cur = value(in);
      phi[i] += cur - prev;
      prev = cur;
    }
    ++count;
  } while (std::next_permutation(perm.begin(), perm.end()));
  for (double& p : phi) p /= count;
  return phi;
}

std::vector<std::vector<double>> Background(size_t n, size_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<std::vector<double>> b(n, std::vector<double>(d));
  for (auto& r : b) {
    for (double& v : r) v = g(rng);
  }
  return b;
}

TEST(Shapley, ExactEqualsPermutationDefinition) {
  const size_t d = 6;
  const auto bg = Background(7, d, 1);
  const std::vector<double> row = {1.5, -0.5, 2.0, 0.3, 1.0, -1.2};
  const Explanation e = Shapley(Nonlinear, row, bg);
  const auto want = PermutationShapley(Nonlinear, row, bg);
  for (size_t i = 0; i < d; ++i) EXPECT_NEAR(e.contributions[i], want[i], 1e-9);
  EXPECT_NEAR(e.output, Nonlinear(row), 1e-12);
  EXPECT_NEAR(e.base + Sum(e.contributions), e.output, 1e-9);
}

TEST(Shapley, LinearModelGivesWeightTimesDeviationFromBackgroundMean) {
  const size_t d = 16;  // beyond 12: the Kernel SHAP path, exact for a linear model
  const auto bg = Background(20, d, 2);
  std::vector<double> w(d), row(d);
  for (size_t i = 0; i < d; ++i) {
    w[i] = 0.5 * static_cast<double>(i) - 3;
    row[i] = std::cos(static_cast<double>(i));
  }
  auto f = [&](std::span<const double> x) {
    double s = 1;
    for (size_t i = 0; i < x.size(); ++i) s += w[i] * x[i];
    return s;
  };
  for (const Explanation& e : {Shapley(f, row, bg, 512, 3), ShapleyExact(f, std::span(row).first(12),
                                                                          [&] {
                                                                            auto b = bg;
                                                                            for (auto& r : b) r.resize(12);
                                                                            return b;
                                                                          }())}) {
    for (size_t i = 0; i < e.contributions.size(); ++i) {
      double mean = 0;
      for (const auto& b : bg) mean += b[i];
      mean /= static_cast<double>(bg.size());
      EXPECT_NEAR(e.contributions[i], w[i] * (row[i] - mean), 1e-8) << i;
    }
    EXPECT_NEAR(e.base + Sum(e.contributions), e.output, 1e-9);
  }
}

TEST(Shapley, KernelShapCloseToExactOnEightToTwelveFeatures) {
  for (size_t d : {8, 10, 12}) {
    const auto bg = Background(10, d, d);
    std::vector<double> row(d);
    for (size_t i = 0; i < d; ++i) row[i] = 1.5 * std::sin(3.0 * static_cast<double>(i) + 1);
    const Explanation exact = ShapleyExact(Nonlinear, row, bg);
    const Explanation kernel = KernelShap(Nonlinear, row, bg, 4096, 9);
    double scale = 0;
    for (double c : exact.contributions) scale = std::max(scale, std::abs(c));
    for (size_t i = 0; i < d; ++i) {
      EXPECT_NEAR(kernel.contributions[i], exact.contributions[i], 0.05 * scale) << "d=" << d << " i=" << i;
    }
    EXPECT_NEAR(kernel.base + Sum(kernel.contributions), kernel.output, 1e-9);
    EXPECT_NEAR(kernel.output, exact.output, 1e-12);
    EXPECT_NEAR(kernel.base, exact.base, 1e-12);
  }
}

TEST(Shapley, KernelShapIsDeterministicForASeedAndAdditiveOnAForest) {
  const size_t d = 20;
  const auto x = Dataset(500, d, 0, 0, 4);
  const auto m = Forest(x, d, 50, 128, 4);
  std::vector<std::vector<double>> bg;
  for (size_t r = 0; r < 8; ++r) bg.emplace_back(x.begin() + r * d, x.begin() + (r + 1) * d);
  std::vector<double> row(d, 0.2);
  row[3] = 7;
  auto f = [&](std::span<const double> z) { return m->Score(z); };
  const Explanation a = Shapley(f, row, bg, 1024, 5);
  const Explanation b = Shapley(f, row, bg, 1024, 5);
  EXPECT_EQ(a.contributions, b.contributions);
  EXPECT_NEAR(a.base + Sum(a.contributions), a.output, 1e-9);
  const size_t top = static_cast<size_t>(
      std::max_element(a.contributions.begin(), a.contributions.end()) - a.contributions.begin());
  EXPECT_EQ(top, 3u);
}

TEST(ByMetric, SumsFeaturesOfAMetricAndSortsByMagnitude) {
  const std::vector<std::string> names = {"memory_used_percent.slope_15m", "cpu.mean_1m",
                                          "memory_used_percent.last", "disk{mount=/a.b}.max_5m", "plain"};
  Explanation e;
  e.contributions = {0.25, -0.4, 0.06, 0.1, -0.01};
  const auto by = ByMetric(names, e);
  ASSERT_EQ(by.size(), 4u);
  EXPECT_EQ(by[0].metric, "cpu");
  EXPECT_DOUBLE_EQ(by[0].contribution, -0.4);
  EXPECT_EQ(by[1].metric, "memory_used_percent");
  EXPECT_NEAR(by[1].contribution, 0.31, 1e-12);
  ASSERT_EQ(by[1].features.size(), 2u);
  EXPECT_EQ(by[1].features[0].first, "memory_used_percent.slope_15m");
  EXPECT_EQ(by[2].metric, "disk{mount=/a.b}");
  EXPECT_EQ(by[3].metric, "plain");
}

TEST(GlobalImportance, MeanAbsoluteContributionRanksTheDrivingFeature) {
  const size_t d = 6, hot = 2;
  const auto x = Dataset(1000, d, 0, 0, 21);
  const auto m = Forest(x, d, 60, 256, 21);
  std::vector<std::vector<double>> rows;
  for (int r = 0; r < 20; ++r) {
    std::vector<double> row(d, 0.0);
    row[hot] = 6 + 0.1 * r;
    rows.push_back(row);
  }
  const auto imp = GlobalImportance(*m, rows);
  ASSERT_EQ(imp.size(), d);
  EXPECT_EQ(std::max_element(imp.begin(), imp.end()) - imp.begin(), static_cast<std::ptrdiff_t>(hot));
  for (double v : imp) EXPECT_GE(v, 0);
  const auto none = GlobalImportance(*m, {});
  EXPECT_EQ(none, std::vector<double>(d, 0.0));
}

}  // namespace
}  // namespace foresight::explain

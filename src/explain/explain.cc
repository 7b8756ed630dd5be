#include "explain/explain.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <map>
#include <numeric>

namespace foresight::explain {
namespace {


constexpr int kMaxNodes = 32;  // quadrature nodes: enough for paths of up to 64 splits

// Gauss-Legendre rules on [0, 1] with n = 1..kMaxNodes nodes (exact for polynomials of degree <= 2n - 1),
// by Newton's method on the Legendre polynomial P_n.
struct GaussLegendre {
  std::array<std::array<double, kMaxNodes>, kMaxNodes + 1> t{}, w{};
  GaussLegendre() {
    for (int n = 1; n <= kMaxNodes; ++n) {
      for (int i = 0; i < n; ++i) {
        double x = std::cos(M_PI * (i + 0.75) / (n + 0.5));
        double dp = 1;
        for (int it = 0; it < 100; ++it) {
          double p0 = 1, p1 = x;
          for (int k = 2; k <= n; ++k) {
            const double p2 = ((2.0 * k - 1) * x * p1 - (k - 1.0) * p0) / k;
            p0 = p1;
            p1 = p2;
          }
          if (n == 1) p0 = 1;
          const double pn = n == 1 ? x : p1;
          dp = n * (x * pn - p0) / (x * x - 1);
          const double dx = pn / dp;
          x -= dx;
          if (std::abs(dx) < 1e-16) break;
        }
        t[n][i] = 0.5 * (1 - x);
        w[n][i] = 1.0 / ((1 - x * x) * dp * dp);  // 2 / ((1 - x^2) P'^2), halved for [0, 1]
      }
    }
  }
};
const GaussLegendre& Quadrature() {
  static const GaussLegendre kQ;
  return kQ;
}

// Path-dependent TreeSHAP of one tree's output (its leaf path length), in the integral form of Linear
// TreeSHAP (Yu et al., NeurIPS 2022). For a leaf with value v reached through the unique features U
// (z_j: product of the training-count ratios of j's splits on the path; o_j in {0,1}: whether x satisfies
// all of them), the game is v(S) = v prod_j (j in S ? o_j : z_j), a product game whose Shapley value is
//   phi_i = v (o_i - z_i) integral_0^1 prod_{j != i} (z_j + (o_j - z_j) t) dt
// (the Beta integral of the Shapley weights). The integrand is a polynomial of degree < depth, integrated
// exactly by Gauss-Legendre with ceil(depth / 2) nodes. With F(t) = prod_j (z_j + (o_j - z_j) t) carried
// down the walk and G(t) = sum over a subtree's leaves of v F(t) returned up, a path entry's total over its
// subtree is (o - z) sum_q w_q G(t_q) / factor(t_q): O(nodes x quadrature nodes) per tree. A feature split
// again further down changes its factor there; that subtree's share is moved from the old factor to the new
// one at the repeat (the terms are linear in G).
// NQ > 0: that many quadrature nodes, known at compile time (the common shallow forests); NQ == 0: nq_ at
// run time.
template <int NQ>
class TreeShapWalker {
 public:
  TreeShapWalker(const models::IsolationForestModel& m, const double* x, double* phi, int nq)
      : m_(m), x_(x), phi_(phi), nq_(nq) {
    const GaussLegendre& q = Quadrature();
    for (int i = 0; i < nq_; ++i) {
      t_[i] = q.t[nq_][i];
      w_[i] = q.w[nq_][i];
      wc_[i] = w_[i] / (1 - t_[i]);
    }
  }

  // Adds this tree's contributions to phi; returns the tree's expected output (cover-weighted mean leaf).
  double Tree(uint32_t root) {
    root_size_ = static_cast<double>(m_.node(root).size);
    expected_ = 0;
    double f[kMaxNodes], g[kMaxNodes];
    for (int i = 0; i < kMaxNodes; ++i) f[i] = 1;
    Walk(root, f, g, 0);
    return expected_;
  }

 private:
  // f: F(t_q) on the path to `id`; adds into nothing, writes G(t_q) of the subtree into g.
  void Walk(uint32_t id, const double* f, double* g, int k) {
    const models::IsolationForestModel::NodeView n = m_.node(id);
    const int nq = NQ > 0 ? NQ : nq_;
    if (n.leaf) {
      const double v = n.path_length;
      expected_ += v * static_cast<double>(n.size) / root_size_;
      for (int i = 0; i < nq; ++i) g[i] = v * f[i];
      return;
    }
    const bool go_left = x_[n.feature] < n.threshold;
    const double inv = 1.0 / static_cast<double>(n.size);
    int pos = -1;
    for (int j = 0; j < k; ++j) {
      if (feat_[j] == n.feature) {
        pos = j;
        break;
      }
    }
    for (int i = 0; i < nq; ++i) g[i] = 0;
    double fc[kMaxNodes], gc[kMaxNodes], rnew[kMaxNodes], rold[kMaxNodes];
    for (int side = 0; side < 2; ++side) {
      const uint32_t child = side == 0 ? n.left : n.right;
      const models::IsolationForestModel::NodeView cn = m_.node(child);
      const double ratio = static_cast<double>(cn.size) * inv;
      const double hot = (side == 0) == go_left ? 1.0 : 0.0;
      if (pos < 0 && cn.leaf) {
        // A leaf right below a new entry: G = v F_parent factor, so G / factor = v F_parent.
        const double v = cn.path_length;
        expected_ += v * static_cast<double>(cn.size) / root_size_;
        double s = 0;
        for (int i = 0; i < nq; ++i) {
          const double fv = v * f[i];
          g[i] += fv * (ratio + (hot - ratio) * t_[i]);
          s += w_[i] * fv;
        }
        phi_[n.feature] += (hot - ratio) * s;
        continue;
      }
      if (pos < 0 && hot == 0.0) {
        // Cold new entry: factor = z (1 - t), so (o - z) G / factor = -G / (1 - t): no division.
        const double z = ratio;
        for (int i = 0; i < nq; ++i) fc[i] = f[i] * z * (1 - t_[i]);
        feat_[k] = n.feature;
        z_[k] = z;
        o_[k] = 0;
        Walk(child, fc, gc, k + 1);
        double s = 0;
        for (int i = 0; i < nq; ++i) s += wc_[i] * gc[i];
        phi_[n.feature] -= s;
      } else if (pos < 0) {
        const double z = ratio, o = hot;
        for (int i = 0; i < nq; ++i) {
          const double factor = z + (o - z) * t_[i];
          fc[i] = f[i] * factor;
          rnew[i] = 1.0 / factor;
        }
        feat_[k] = n.feature;
        z_[k] = z;
        o_[k] = o;
        Walk(child, fc, gc, k + 1);
        double s = 0;
        for (int i = 0; i < nq; ++i) s += w_[i] * gc[i] * rnew[i];
        phi_[n.feature] += (o - z) * s;
      } else {
        const double z0 = z_[pos], o0 = o_[pos];
        const double z = z0 * ratio, o = o0 * hot;
        for (int i = 0; i < nq; ++i) {
          const double f0 = z0 + (o0 - z0) * t_[i];
          const double f1 = z + (o - z) * t_[i];
          rold[i] = 1.0 / f0;
          rnew[i] = 1.0 / f1;
          fc[i] = f[i] * rold[i] * f1;
        }
        z_[pos] = z;
        o_[pos] = o;
        Walk(child, fc, gc, k);
        z_[pos] = z0;
        o_[pos] = o0;
        double s = 0;
        for (int i = 0; i < nq; ++i) s += w_[i] * gc[i] * ((o - z) * rnew[i] - (o0 - z0) * rold[i]);
        phi_[n.feature] += s;
      }
      for (int i = 0; i < nq; ++i) g[i] += gc[i];
    }
  }

  const models::IsolationForestModel& m_;
  const double* x_;
  double* phi_;
  int nq_ = 1;
  double t_[kMaxNodes], w_[kMaxNodes], wc_[kMaxNodes];  // wc = w / (1 - t)
  double root_size_ = 1;
  double expected_ = 0;
  int32_t feat_[72];
  double z_[72], o_[72];
};

// Splits "metric.feature" at the last '.'.
std::pair<std::string, std::string> SplitName(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {name, name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// v(S) for every coalition in `masks` (bit i set: feature i from the row), mean over the background.
double CoalitionValue(const std::function<double(std::span<const double>)>& f, std::span<const double> row,
                      const std::vector<std::vector<double>>& background, const std::vector<uint8_t>& in_s,
                      std::vector<double>* buf) {
  double sum = 0;
  const size_t d = row.size();
  for (const auto& b : background) {
    buf->assign(b.begin(), b.end());
    for (size_t i = 0; i < d; ++i) {
      if (in_s[i]) (*buf)[i] = row[i];
    }
    sum += f(*buf);
  }
  return sum / static_cast<double>(background.size());
}

// SplitMix64: small, seedable, enough for coalition sampling.
struct SplitMix {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  size_t Below(size_t n) { return static_cast<size_t>(Uniform() * static_cast<double>(n)) % n; }
};

// Solves A x = b (n x n, symmetric positive semi-definite) by Gaussian elimination with partial pivoting;
// a tiny ridge keeps it regular when some feature never varied in the samples.
std::vector<double> Solve(std::vector<double> a, std::vector<double> b, size_t n) {
  double scale = 0;
  for (size_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(a[i * n + i]));
  for (size_t i = 0; i < n; ++i) a[i * n + i] += 1e-10 * std::max(scale, 1e-300);
  for (size_t c = 0; c < n; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < n; ++r) {
      if (std::abs(a[r * n + c]) > std::abs(a[piv * n + c])) piv = r;
    }
    if (piv != c) {
      for (size_t k = 0; k < n; ++k) std::swap(a[c * n + k], a[piv * n + k]);
      std::swap(b[c], b[piv]);
    }
    const double d = a[c * n + c];
    if (d == 0) continue;
    for (size_t r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / d;
      if (f == 0) continue;
      for (size_t k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n, 0);
  for (size_t c = n; c-- > 0;) {
    double s = b[c];
    for (size_t k = c + 1; k < n; ++k) s -= a[c * n + k] * x[k];
    x[c] = a[c * n + c] != 0 ? s / a[c * n + c] : 0;
  }
  return x;
}

}  // namespace

Explanation TreeShap(const models::IsolationForestModel& m, std::span<const double> row, ForestScale scale) {
  const size_t d = m.num_features();
  assert(row.size() == d);
  std::vector<double> x(row.begin(), row.end());
  for (size_t f = 0; f < d; ++f) {
    if (std::isnan(x[f])) x[f] = m.fill_values()[f];
  }
  std::vector<double> phi_h(d, 0);  // contributions to the sum of path lengths
  // Quadrature nodes: the integrand has degree < max depth; ceil(depth / 2) nodes integrate it exactly.
  const int nq = std::clamp((m.max_depth() + 1) / 2, 1, kMaxNodes);
  double expected_sum = 0;
  const size_t trees = m.num_trees();
  auto run = [&](auto walker) {
    for (size_t t = 0; t < trees; ++t) expected_sum += walker.Tree(m.tree_root(t));
  };
  switch (nq) {
    case 1: run(TreeShapWalker<1>(m, x.data(), phi_h.data(), nq)); break;
    case 2: run(TreeShapWalker<2>(m, x.data(), phi_h.data(), nq)); break;
    case 3: run(TreeShapWalker<3>(m, x.data(), phi_h.data(), nq)); break;
    case 4: run(TreeShapWalker<4>(m, x.data(), phi_h.data(), nq)); break;
    case 5: run(TreeShapWalker<5>(m, x.data(), phi_h.data(), nq)); break;
    case 6: run(TreeShapWalker<6>(m, x.data(), phi_h.data(), nq)); break;
    default: run(TreeShapWalker<0>(m, x.data(), phi_h.data(), nq)); break;
  }
  // g = 1 - (sum h / T) / c: linear in the path lengths, decreasing.
  const double k = -1.0 / (static_cast<double>(trees) * m.average_path_length_psi());
  Explanation e;
  e.contributions.resize(d);
  double sum = 0;
  for (size_t f = 0; f < d; ++f) {
    e.contributions[f] = k * phi_h[f];
    sum += e.contributions[f];
  }
  const double g_base = 1.0 + k * expected_sum;
  if (scale == ForestScale::kExponent) {
    e.base = g_base;
    e.output = g_base + sum;
    return e;
  }
  const double s_base = std::exp2(g_base - 1.0);
  const double s_out = m.Score(row);
  const double g_out = 1.0 + std::log2(s_out);
  const double dg = g_out - g_base;
  // Secant of s = 2^(g-1) between base and output (the derivative when they coincide).
  const double secant = std::abs(dg) > 1e-12 ? (s_out - s_base) / dg : std::log(2.0) * s_base;
  // Rescale so the sum is exactly s_out - s_base: the exact values sum to dg up to rounding.
  const double factor = std::abs(sum) > 1e-12 ? (s_out - s_base) / sum : secant;
  for (double& c : e.contributions) c *= factor;
  e.base = s_base;
  e.output = s_out;
  return e;
}

Explanation Shapley(const std::function<double(std::span<const double>)>& f, std::span<const double> row,
                    const std::vector<std::vector<double>>& background, int kernel_samples, uint64_t seed) {
  if (row.size() <= 12) return ShapleyExact(f, row, background);
  return KernelShap(f, row, background, kernel_samples, seed);
}

Explanation ShapleyExact(const std::function<double(std::span<const double>)>& f, std::span<const double> row,
                         const std::vector<std::vector<double>>& background) {
  const size_t d = row.size();
  assert(d <= 20 && !background.empty());
  const size_t n = size_t{1} << d;
  std::vector<double> v(n);
  std::vector<uint8_t> in_s(d);
  std::vector<double> buf;
  for (size_t mask = 0; mask < n; ++mask) {
    for (size_t i = 0; i < d; ++i) in_s[i] = (mask >> i) & 1;
    v[mask] = CoalitionValue(f, row, background, in_s, &buf);
  }
  // w(s) = s! (d-1-s)! / d!
  std::vector<double> w(d);
  for (size_t s = 0; s < d; ++s) {
    w[s] = std::exp(std::lgamma(s + 1.0) + std::lgamma(static_cast<double>(d - s)) - std::lgamma(d + 1.0));
  }
  Explanation e;
  e.contributions.assign(d, 0);
  for (size_t mask = 0; mask < n; ++mask) {
    const size_t s = static_cast<size_t>(__builtin_popcountll(mask));
    for (size_t i = 0; i < d; ++i) {
      if ((mask >> i) & 1) continue;
      e.contributions[i] += w[s] * (v[mask | (size_t{1} << i)] - v[mask]);
    }
  }
  e.base = v[0];
  e.output = v[n - 1];
  return e;
}

Explanation KernelShap(const std::function<double(std::span<const double>)>& f, std::span<const double> row,
                       const std::vector<std::vector<double>>& background, int kernel_samples, uint64_t seed) {
  const size_t d = row.size();
  assert(!background.empty() && kernel_samples >= 2);
  Explanation e;
  e.contributions.assign(d, 0);
  std::vector<double> buf;
  std::vector<uint8_t> in_s(d, 0);
  e.base = CoalitionValue(f, row, background, in_s, &buf);
  in_s.assign(d, 1);
  e.output = CoalitionValue(f, row, background, in_s, &buf);
  if (d == 0) return e;
  if (d == 1) {
    e.contributions[0] = e.output - e.base;
    return e;
  }
  const double total = e.output - e.base;
  // Coalition sizes 1..d-1 drawn with probability proportional to the Shapley kernel's mass per size,
  // (d-1) / (s (d-s)); members uniform; every draw also adds its complement (paired sampling).
  std::vector<double> cdf(d - 1);
  double acc = 0;
  for (size_t s = 1; s < d; ++s) {
    acc += (static_cast<double>(d) - 1) / (static_cast<double>(s) * static_cast<double>(d - s));
    cdf[s - 1] = acc;
  }
  for (double& c : cdf) c /= acc;
  SplitMix rng{seed};
  std::map<std::vector<uint8_t>, double> counts;  // coalition -> times drawn (its weight)
  std::vector<size_t> perm(d);
  const int pairs = std::max(1, kernel_samples / 2);
  for (int p = 0; p < pairs; ++p) {
    const double u = rng.Uniform();
    const size_t s = static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin()) + 1;
    std::iota(perm.begin(), perm.end(), 0);
    std::vector<uint8_t> z(d, 0);
    for (size_t k = 0; k < s; ++k) {
      const size_t j = k + rng.Below(d - k);
      std::swap(perm[k], perm[j]);
      z[perm[k]] = 1;
    }
    counts[z] += 1;
    for (auto& b : z) b ^= 1;
    counts[z] += 1;
  }
  // Weighted least squares with sum(phi) = total: phi_last = total - sum(others).
  // y_k - z_last * total = sum_{i<last} (z_i - z_last) phi_i.
  const size_t n = d - 1;
  std::vector<double> ata(n * n, 0), atb(n, 0), xrow(n);
  for (const auto& [z, weight] : counts) {
    const double y = CoalitionValue(f, row, background, z, &buf) - e.base - z[n] * total;
    for (size_t i = 0; i < n; ++i) xrow[i] = static_cast<double>(z[i]) - static_cast<double>(z[n]);
    for (size_t i = 0; i < n; ++i) {
      if (xrow[i] == 0) continue;
      atb[i] += weight * xrow[i] * y;
      for (size_t j = 0; j < n; ++j) ata[i * n + j] += weight * xrow[i] * xrow[j];
    }
  }
  const std::vector<double> phi = Solve(std::move(ata), std::move(atb), n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    e.contributions[i] = phi[i];
    sum += phi[i];
  }
  e.contributions[n] = total - sum;
  return e;
}

std::vector<MetricContribution> ByMetric(std::span<const std::string> feature_names, const Explanation& e) {
  assert(feature_names.size() == e.contributions.size());
  std::map<std::string, MetricContribution> by;
  for (size_t i = 0; i < feature_names.size(); ++i) {
    auto [metric, feature] = SplitName(feature_names[i]);
    MetricContribution& mc = by[metric];
    mc.metric = metric;
    mc.contribution += e.contributions[i];
    mc.features.emplace_back(feature_names[i], e.contributions[i]);
  }
  std::vector<MetricContribution> out;
  out.reserve(by.size());
  for (auto& [name, mc] : by) {
    std::stable_sort(mc.features.begin(), mc.features.end(),
                     [](const auto& a, const auto& b) { return std::abs(a.second) > std::abs(b.second); });
    out.push_back(std::move(mc));
  }
  std::stable_sort(out.begin(), out.end(), [](const MetricContribution& a, const MetricContribution& b) {
    return std::abs(a.contribution) > std::abs(b.contribution);
  });
  return out;
}

std::vector<double> GlobalImportance(const models::IsolationForestModel& m,
                                     const std::vector<std::vector<double>>& rows) {
  std::vector<double> imp(m.num_features(), 0);
  if (rows.empty()) return imp;
  for (const auto& r : rows) {
    const Explanation e = TreeShap(m, r);
    for (size_t f = 0; f < imp.size(); ++f) imp[f] += std::abs(e.contributions[f]);
  }
  for (double& v : imp) v /= static_cast<double>(rows.size());
  return imp;
}

}  // namespace foresight::explain

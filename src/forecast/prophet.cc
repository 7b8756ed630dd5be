// Prophet-style additive model (Taylor & Letham, "Forecasting at scale", 2018), MAP fit without Stan:
//   y/scale = m + k*tau + sum_j delta_j * (tau - s_j)_+ + sum_P sum_k [a_k sin(2 pi k t/P) + b_k cos(...)] + noise
// tau is time scaled to [0, 1] over the history, s_j the candidate changepoints evenly spread over the
// first changepoint_range of it, scale = max |y| (as Prophet). Priors as Prophet's: delta ~ Laplace(0,
// changepoint_prior_scale), Fourier coefficients ~ N(0, seasonality_prior_scale), k, m ~ N(0, 5), and the
// noise sd sigma is estimated jointly. The L1 part is solved by iteratively reweighted ridge on the normal
// equations (Eigen LDLT of a p x p system, p ~ 45), alternating with sigma = rms residual.
// Long histories are fitted on every k-th point (k coprime with the seasonal periods), weighted by k.
// Uncertainty as Prophet's predictive samples: future changepoints from a Poisson process with the
// history's changepoint rate, deltas ~ Laplace(0, mean |delta|), plus Gaussian noise sigma.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <Eigen/Dense>

#include "forecast/internal/common.h"

namespace foresight::forecast::internal {
namespace {

struct Seasonal {
  int64_t period_ns = 0;
  int order = 0;
};

// Phase of t in [0, 1) for a period, exact in integer arithmetic.
double Phase(TimestampNs t, int64_t period_ns) {
  int64_t r = t % period_ns;
  if (r < 0) r += period_ns;
  return static_cast<double>(r) / static_cast<double>(period_ns);
}

int64_t Poisson(Rng& rng, double mean) {
  if (!(mean > 0)) return 0;
  if (mean > 50) return std::max<int64_t>(0, std::llround(mean + std::sqrt(mean) * rng.Normal()));
  double l = std::exp(-mean), p = 1;
  int64_t k = 0;
  do {
    ++k;
    p *= rng.Uniform();
  } while (p > l);
  return k - 1;
}

class ProphetModel final : public Model {
 public:
  struct Fitted {
    TimestampNs t0 = 0;
    double span_ns = 1;  // (n - 1) * step: one unit of tau
    double y_scale = 1;
    double k = 0, m = 0;
    std::vector<double> cp;     // changepoint locations (tau)
    std::vector<double> delta;  // rate changes
    std::vector<Seasonal> seasonal;
    std::vector<double> beta;  // sin, cos per order per seasonal, in that order
    double sigma = 0;          // scaled noise sd
    TimestampNs last = 0;
    int64_t step = 0;
  };

  explicit ProphetModel(Fitted f) : f_(std::move(f)) {
    lambda_ = 1e-8;
    for (double d : f_.delta) lambda_ += std::fabs(d) / std::max<size_t>(1, f_.delta.size());
  }

  Method method() const override { return Method::kProphet; }

  ForecastBand Predict(TimestampNs from, int64_t horizon_ns, int64_t step_ns) const override {
    ForecastBand b;
    OutGrid g = MakeOutGrid(from, horizon_ns, step_ns, f_.t0, f_.step);
    b.t = g.t;
    const size_t n = b.t.size();
    b.p50.resize(n);
    b.p10.resize(n);
    b.p90.resize(n);
    for (size_t i = 0; i < n; ++i) b.p50[i] = Finite(Mean(b.t[i]) * f_.y_scale);
    // Quantiles of Prophet's predictive samples (fixed seed: Predict is deterministic).
    constexpr int kSamples = 200;
    auto paths = SamplePaths(from, horizon_ns, step_ns, kSamples, 0x5eed);
    std::vector<double> col(kSamples);
    for (size_t i = 0; i < n; ++i) {
      for (int p = 0; p < kSamples; ++p) col[p] = paths[p][i];
      double lo = Quantile(col, 0.1), hi = Quantile(col, 0.9);
      b.p10[i] = Finite(std::min(lo, b.p50[i]), b.p50[i]);
      b.p90[i] = Finite(std::max(hi, b.p50[i]), b.p50[i]);
    }
    return b;
  }

  std::vector<double> PredictMedian(TimestampNs from, int64_t horizon_ns, int64_t step_ns) const override {
    OutGrid g = MakeOutGrid(from, horizon_ns, step_ns, f_.t0, f_.step);
    std::vector<double> out(g.t.size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = Finite(Mean(g.t[i]) * f_.y_scale);
    return out;
  }

 private:
  std::vector<std::vector<double>> Sample(TimestampNs from, int64_t horizon_ns, int64_t step_ns, int paths,
                                          uint64_t seed, bool noisy) const override {
    OutGrid g = MakeOutGrid(from, horizon_ns, step_ns, f_.t0, f_.step);
    std::vector<std::vector<double>> out(std::max(paths, 0));
    const size_t n = g.t.size();
    if (n == 0) return out;
    std::vector<double> tau(n), base(n);
    for (size_t i = 0; i < n; ++i) {
      tau[i] = static_cast<double>(g.t[i] - f_.t0) / f_.span_ns;
      base[i] = Mean(g.t[i]);
    }
    double tmax = *std::max_element(tau.begin(), tau.end());
    double rate = static_cast<double>(f_.cp.size());  // changepoints per unit of tau, as in the history
    Rng rng(seed);
    std::vector<std::pair<double, double>> changes;
    for (auto& path : out) {
      changes.clear();
      int64_t nc = tmax > 1 ? Poisson(rng, rate * (tmax - 1)) : 0;
      for (int64_t c = 0; c < nc; ++c) changes.emplace_back(1 + rng.Uniform() * (tmax - 1), rng.Laplace(lambda_));
      path.resize(n);
      for (size_t i = 0; i < n; ++i) {
        double v = base[i];
        for (const auto& [u, d] : changes) {
          if (tau[i] > u) v += d * (tau[i] - u);
        }
        if (noisy) v += f_.sigma * rng.Normal();
        path[i] = Finite(v * f_.y_scale, Finite(base[i] * f_.y_scale));
      }
    }
    return out;
  }

 protected:
  void FillEvidence(ModelEvidence& e) const override {
    double rate = f_.k;
    for (double d : f_.delta) rate += d;
    e.trend_per_hour = rate * f_.y_scale / f_.span_ns * (3600.0 * kNanosPerSecond);
    e.residual_sd = f_.sigma * f_.y_scale;
    size_t off = 0;
    for (const auto& s : f_.seasonal) {
      double mn = 1e300, mx = -1e300;
      for (int q = 0; q < 240; ++q) {
        double v = Fourier(off, s, q / 240.0);
        mn = std::min(mn, v), mx = std::max(mx, v);
      }
      e.seasonality.push_back({s.period_ns / kNanosPerSecond, (mx - mn) / 2 * f_.y_scale});
      off += 2 * s.order;
    }
    // The latest changepoint whose rate change is at least a tenth of the largest rate (initial or
    // change) and moved the trend by at least one noise sd by the end of the history (the L1 prior
    // leaves the others near zero).
    double largest = std::fabs(f_.k);
    for (double d : f_.delta) largest = std::max(largest, std::fabs(d));
    for (size_t j = f_.cp.size(); j-- > 0;) {
      double d = std::fabs(f_.delta[j]);
      if (d >= 0.1 * largest && d * (1 - f_.cp[j]) >= std::max(f_.sigma, 1e-9)) {
        e.last_changepoint = f_.t0 + static_cast<int64_t>(std::llround(f_.cp[j] * f_.span_ns));
        break;
      }
    }
  }

 private:
  double Fourier(size_t off, const Seasonal& s, double phase) const {
    // Harmonics by the angle-addition recurrence, as in the design matrix.
    double a = 2 * M_PI * phase;
    double s1 = std::sin(a), c1 = std::cos(a), sk = s1, ck = c1, v = 0;
    for (int k = 1; k <= s.order; ++k) {
      v += f_.beta[off + 2 * (k - 1)] * sk + f_.beta[off + 2 * (k - 1) + 1] * ck;
      double sn = sk * c1 + ck * s1;
      ck = ck * c1 - sk * s1;
      sk = sn;
    }
    return v;
  }
  // Scaled mean at t: trend (continued linearly past the history) plus seasonality.
  double Mean(TimestampNs t) const {
    double tau = static_cast<double>(t - f_.t0) / f_.span_ns;
    double v = f_.m + f_.k * tau;
    for (size_t j = 0; j < f_.cp.size(); ++j) {
      if (tau > f_.cp[j]) v += f_.delta[j] * (tau - f_.cp[j]);
    }
    size_t off = 0;
    for (const auto& s : f_.seasonal) {
      v += Fourier(off, s, Phase(t, s.period_ns));
      off += 2 * s.order;
    }
    return v;
  }

  Fitted f_;
  double lambda_;
};

}  // namespace

Result<std::unique_ptr<Model>> FitProphet(const Series& s, const ForecastOptions& o) {
  const size_t n = s.y.size();
  if (n < 4) return Status::FailedPrecondition("prophet needs at least 4 points");
  ProphetModel::Fitted f;
  f.t0 = s.t0;
  f.step = s.step;
  f.last = s.last_time();
  f.span_ns = static_cast<double>(n - 1) * static_cast<double>(s.step);
  f.y_scale = 0;
  for (double v : s.y) f.y_scale = std::max(f.y_scale, std::fabs(v));
  if (!(f.y_scale > 0)) f.y_scale = 1;

  // Changepoints as Prophet places them: evenly over the first changepoint_range of the history.
  size_t hist = static_cast<size_t>(std::floor(static_cast<double>(n) * std::clamp(o.changepoint_range, 0.0, 1.0)));
  size_t ncp = std::min<size_t>(std::max(o.changepoints, 0), hist > 1 ? hist - 1 : 0);
  for (size_t j = 1; j <= ncp; ++j) {
    double idx = std::round(static_cast<double>(hist - 1) * j / static_cast<double>(ncp));
    f.cp.push_back(idx / static_cast<double>(n - 1));
  }
  for (int64_t m : UsablePeriods(n, s.step, o)) {
    Seasonal se;
    se.period_ns = m * s.step;
    int order = se.period_ns == 86400 * kNanosPerSecond       ? o.daily_fourier_order
                : se.period_ns == 7 * 86400 * kNanosPerSecond ? o.weekly_fourier_order
                                                              : o.other_fourier_order;
    se.order = std::clamp<int>(order, 0, static_cast<int>((m - 1) / 2));
    if (se.order > 0) f.seasonal.push_back(se);
  }
  size_t nseas = 0;
  for (const auto& se : f.seasonal) nseas += 2 * se.order;
  const size_t p = 2 + ncp + nseas;

  // Design matrix, built once; the normal equations work on its Gram matrix. Long histories are
  // decimated to at most prophet_max_points rows (every k-th point, always the last), each row weighted
  // by n/rows so the balance between likelihood and priors stays that of the full series.
  // The stride is coprime with every seasonal period (in steps), so the kept rows still visit every
  // phase of each cycle (a stride of 4 on hourly data would see 6 phases of a day, too few for order 6).
  size_t stride = std::max<size_t>(1, (n + std::max<size_t>(o.prophet_max_points, 16) - 1) /
                                          std::max<size_t>(o.prophet_max_points, 16));
  auto coprime = [&](size_t k) {
    for (const auto& se : f.seasonal) {
      if (std::gcd(k, static_cast<size_t>(se.period_ns / s.step)) != 1) return false;
    }
    return true;
  };
  while (stride > 1 && !coprime(stride)) ++stride;
  std::vector<size_t> rows;
  for (size_t i = (n - 1) % stride; i < n; i += stride) rows.push_back(i);
  const double w = static_cast<double>(n) / static_cast<double>(rows.size());
  Eigen::MatrixXd X(rows.size(), p);
  Eigen::VectorXd y(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const size_t i = rows[r];
    double tau = static_cast<double>(i) / static_cast<double>(n - 1);
    TimestampNs t = s.time(i);
    y(r) = s.y[i] / f.y_scale;
    X(r, 0) = 1;
    X(r, 1) = tau;
    for (size_t j = 0; j < ncp; ++j) X(r, 2 + j) = tau > f.cp[j] ? tau - f.cp[j] : 0.0;
    size_t c = 2 + ncp;
    for (const auto& se : f.seasonal) {
      // Harmonics by the angle-addition recurrence: one sin/cos per period and row.
      double a = 2 * M_PI * Phase(t, se.period_ns);
      double s1 = std::sin(a), c1 = std::cos(a), sk = s1, ck = c1;
      for (int k = 1; k <= se.order; ++k) {
        X(r, c++) = sk;
        X(r, c++) = ck;
        double sn = sk * c1 + ck * s1;
        ck = ck * c1 - sk * s1;
        sk = sn;
      }
    }
  }
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(p, p);
  G.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose(), w);
  G = G.selfadjointView<Eigen::Lower>();
  Eigen::VectorXd c = w * (X.transpose() * y);
  const double yy = w * y.squaredNorm();

  const double tau_cp = std::max(o.changepoint_prior_scale, 1e-6);
  const double s2_seas = std::pow(std::max(o.seasonality_prior_scale, 1e-6), 2);
  const double s2_km = 25.0;
  auto rss_of = [&](const Eigen::VectorXd& th) {
    return std::max(0.0, yy - 2 * th.dot(c) + th.dot(G * th));
  };
  // MAP: minimise RSS/(2 sigma^2) + sum |delta|/tau_cp + ridge terms; multiplied through by sigma^2 the
  // L1 weight is sigma^2/tau_cp, and |delta| ~ delta^2 / (2 |delta_prev|) gives the reweighted ridge.
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(p);
  Eigen::VectorXd d(p);
  double sigma2 = 0;
  {
    // Start: a light ridge fit for the first residual variance.
    d.setConstant(1e-8 * (G.diagonal().maxCoeff() + 1));
    theta = (G + Eigen::MatrixXd(d.asDiagonal())).ldlt().solve(c);
    sigma2 = std::max(rss_of(theta) / static_cast<double>(n), 1e-12);
  }
  constexpr double kEps = 1e-7;
  for (int it = 0; it < 40; ++it) {
    d(0) = d(1) = sigma2 / s2_km;
    for (size_t j = 0; j < ncp; ++j) d(2 + j) = sigma2 / (tau_cp * (std::fabs(theta(2 + j)) + kEps));
    for (size_t j = 2 + ncp; j < p; ++j) d(j) = sigma2 / s2_seas;
    Eigen::MatrixXd A = G;
    A.diagonal() += d;
    Eigen::VectorXd next = A.ldlt().solve(c);
    if (!next.allFinite()) break;
    double change = (next - theta).cwiseAbs().maxCoeff();
    theta = next;
    sigma2 = std::max(rss_of(theta) / static_cast<double>(n), 1e-12);
    if (change < 1e-9) break;
  }
  // Deltas the reweighting drove to (numerically) zero are reported as exactly zero.
  f.m = theta(0);
  f.k = theta(1);
  f.delta.resize(ncp);
  for (size_t j = 0; j < ncp; ++j) f.delta[j] = std::fabs(theta(2 + j)) < 1e-5 ? 0.0 : theta(2 + j);
  f.beta.assign(theta.data() + 2 + ncp, theta.data() + p);
  f.sigma = std::sqrt(sigma2);
  for (double& v : f.delta) v = Finite(v);
  for (double& v : f.beta) v = Finite(v);
  f.m = Finite(f.m);
  f.k = Finite(f.k);
  f.sigma = Finite(f.sigma);
  auto model = std::make_unique<ProphetModel>(std::move(f));
  ModelAccess::SetCommon(*model, s);
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace foresight::forecast::internal

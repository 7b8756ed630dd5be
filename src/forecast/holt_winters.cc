// Holt-Winters in its state-space (error-correction) form, additive trend (optionally damped) and additive
// seasonality with the dominant usable period:
//   yhat_t = l + phi*b + s_{t-m};  e = y_t - yhat_t;  l' = l + phi*b + alpha*e;  b' = phi*b + beta*e;
//   s_t = s_{t-m} + gamma*e.
// Parameters minimise the one-step SSE (Nelder-Mead on a logistic reparametrisation that keeps
// 0 < beta < alpha < 1, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98). Interval variance at horizon h is
// sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta*sum_{i<=j} phi^i + gamma*[j mod m == 0]
// (Hyndman et al., "Forecasting with Exponential Smoothing", class 1).
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numeric>

#include "forecast/internal/common.h"

namespace foresight::forecast::internal {
namespace {

double Sigmoid(double u) { return 1.0 / (1.0 + std::exp(-u)); }

struct Params {
  double alpha = 0.3, beta = 0.03, gamma = 0.1, phi = 1.0;
};

static_assert(kHwMaxParams == 4);
constexpr int kMaxParams = kHwMaxParams;
using Vec = std::array<double, kMaxParams>;

// Minimises f over the first `dim` coordinates of x (Nelder-Mead with the usual coefficients).
Vec NelderMead(const std::function<double(const Vec&)>& f, Vec x0, int dim, double step, int max_evals) {
  std::vector<Vec> p(dim + 1, x0);
  std::vector<double> fv(dim + 1);
  for (int i = 0; i < dim; ++i) p[i + 1][i] += step;
  int evals = 0;
  for (int i = 0; i <= dim; ++i) fv[i] = f(p[i]), ++evals;
  std::vector<int> order(dim + 1);
  while (evals < max_evals) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return fv[a] < fv[b]; });
    int best = order[0], worst = order[dim], second = order[dim - 1];
    // Converged when the simplex' values agree to 1e-5 relative (SSE differences below that do not
    // move a forecast visibly).
    if (std::fabs(fv[worst] - fv[best]) <= 1e-5 * (std::fabs(fv[best]) + 1e-300)) break;
    Vec c{};
    for (int i = 0; i <= dim; ++i) {
      if (i == worst) continue;
      for (int k = 0; k < dim; ++k) c[k] += p[i][k] / dim;
    }
    auto along = [&](double t) {
      Vec x = c;
      for (int k = 0; k < dim; ++k) x[k] = c[k] + t * (p[worst][k] - c[k]);
      return x;
    };
    Vec xr = along(-1.0);
    double fr = f(xr);
    ++evals;
    if (fr < fv[best]) {
      Vec xe = along(-2.0);
      double fe = f(xe);
      ++evals;
      if (fe < fr) p[worst] = xe, fv[worst] = fe;
      else p[worst] = xr, fv[worst] = fr;
    } else if (fr < fv[second]) {
      p[worst] = xr, fv[worst] = fr;
    } else {
      Vec xc = fr < fv[worst] ? along(-0.5) : along(0.5);
      double fc = f(xc);
      ++evals;
      if (fc < std::min(fr, fv[worst])) {
        p[worst] = xc, fv[worst] = fc;
      } else {  // shrink towards the best
        for (int i = 0; i <= dim; ++i) {
          if (i == best) continue;
          for (int k = 0; k < dim; ++k) p[i][k] = p[best][k] + 0.5 * (p[i][k] - p[best][k]);
          fv[i] = f(p[i]);
          ++evals;
        }
      }
    }
  }
  int best = static_cast<int>(std::min_element(fv.begin(), fv.end()) - fv.begin());
  return p[best];
}

struct State {
  double level = 0, trend = 0;
  std::vector<double> season;  // indexed by grid index mod m; empty when non-seasonal
};

// Runs the filter over y from `init`; returns the SSE and leaves the final state in `out` (if given).
template <bool kSeasonal, bool kKeepResiduals>
double FilterLoop(std::span<const double> y, const Params& p, double& l, double& b, double* s, size_t m,
                  std::vector<double>* residuals) {
  const double phi = p.phi, alpha = p.alpha, beta = p.beta, gamma = p.gamma;
  double sse = 0;
  size_t k = 0;  // t mod m
  const double one_minus_alpha = 1 - alpha;
  for (size_t t = 0; t < y.size(); ++t) {
    double st = kSeasonal ? s[k] : 0.0;
    double z = y[t] - st;  // off the chain
    double q = l + phi * b;
    double e = z - q;
    sse += e * e;
    if constexpr (kKeepResiduals) residuals->push_back(e);
    // l' = q + alpha (z - q) and b' = phi b + beta (z - q), rearranged so each depends on q by one
    // multiply-add: the loop-carried chain is what bounds this loop.
    l = one_minus_alpha * q + alpha * z;
    b = phi * b - beta * q + beta * z;
    if constexpr (kSeasonal) {
      s[k] = st + gamma * e;
      if (++k == m) k = 0;
    }
  }
  return sse;
}

// Runs the filter over y from `init`; returns the SSE and leaves the final state in `out` (if given).
double Filter(std::span<const double> y, const Params& p, const State& init, size_t m, State* out,
              std::vector<double>* residuals) {
  double l = init.level, b = init.trend;
  thread_local std::vector<double> scratch;
  std::vector<double>& s = out ? out->season : scratch;
  s.assign(init.season.begin(), init.season.end());
  double sse = 0;
  if (residuals) {
    sse = m ? FilterLoop<true, true>(y, p, l, b, s.data(), m, residuals)
            : FilterLoop<false, true>(y, p, l, b, s.data(), m, residuals);
  } else {
    sse = m ? FilterLoop<true, false>(y, p, l, b, s.data(), m, nullptr)
            : FilterLoop<false, false>(y, p, l, b, s.data(), m, nullptr);
  }
  if (out) {
    out->level = l;
    out->trend = b;
  }
  return std::isfinite(sse) ? sse : std::numeric_limits<double>::max();
}

// Initial state at "time -1" so that the first filter step forecasts y[0].
State Initialise(std::span<const double> y, size_t m) {
  State st;
  const size_t n = y.size();
  if (m) {
    double m1 = 0, m2 = 0;
    for (size_t i = 0; i < m; ++i) m1 += y[i], m2 += y[m + i];
    m1 /= m;
    m2 /= m;
    double b0 = (m2 - m1) / static_cast<double>(m);
    double centre = (static_cast<double>(m) - 1) / 2;
    st.season.resize(m);
    double mean = 0;
    for (size_t i = 0; i < m; ++i) {
      // Average the two seasons' deviations from the local linear trend.
      double d1 = y[i] - (m1 + b0 * (static_cast<double>(i) - centre));
      double d2 = y[m + i] - (m2 + b0 * (static_cast<double>(i) - centre));
      st.season[i] = (d1 + d2) / 2;
      mean += st.season[i];
    }
    mean /= m;
    for (auto& x : st.season) x -= mean;
    st.trend = b0;
    st.level = m1 - b0 * (centre + 1);
  } else {
    size_t k = std::max<size_t>(1, std::min<size_t>(10, n / 4));
    double a1 = 0, a2 = 0;
    for (size_t i = 0; i < k; ++i) a1 += y[i], a2 += y[k + i];
    a1 /= k;
    a2 /= k;
    double b0 = (a2 - a1) / static_cast<double>(k);
    st.trend = b0;
    st.level = a1 - b0 * ((static_cast<double>(k) - 1) / 2 + 1);
  }
  return st;
}

// Seasonal strength of period m: the variance of the per-phase mean of the linearly detrended series,
// less what noise alone gives with this many cycles, relative to the detrended variance.
double SeasonalStrength(std::span<const double> y, size_t m) {
  const size_t n = y.size();
  double xbar = (static_cast<double>(n) - 1) / 2, ybar = 0;
  for (double v : y) ybar += v;
  ybar /= n;
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (i - xbar) * (y[i] - ybar);
    sxx += (i - xbar) * (i - xbar);
  }
  double b = sxx > 0 ? sxy / sxx : 0;
  std::vector<double> sum(m, 0.0);
  std::vector<size_t> cnt(m, 0);
  double var = 0;
  for (size_t i = 0; i < n; ++i) {
    double r = y[i] - ybar - b * (i - xbar);
    sum[i % m] += r;
    ++cnt[i % m];
    var += r * r;
  }
  var /= n;
  if (!(var > 0)) return 0;
  double pv = 0;
  for (size_t k = 0; k < m; ++k) {
    double mu = sum[k] / cnt[k];
    pv += mu * mu;
  }
  pv /= m;
  double cycles = static_cast<double>(n) / m;
  return (pv - var / cycles) / var;
}

class HoltWintersModel final : public Model {
 public:
  HoltWintersModel(bool damped, Params p, State st, size_t m, size_t n, double sigma, std::vector<double> res,
                   TimestampNs last, int64_t step)
      : damped_(damped), p_(p), st_(std::move(st)), m_(m), n_(n), sigma_(sigma), res_(std::move(res)),
        last_(last), step_(step) {}

  Method method() const override { return damped_ ? Method::kHoltWintersDamped : Method::kHoltWinters; }

  ForecastBand Predict(TimestampNs from, int64_t horizon_ns, int64_t step_ns) const override {
    OutGrid g = MakeOutGrid(from, horizon_ns, step_ns, last_, step_);
    ForecastBand b;
    b.t = std::move(g.t);
    const size_t n = b.t.size();
    b.p10.resize(n);
    b.p50.resize(n);
    b.p90.resize(n);
    if (n == 0) return b;
    int64_t hmax = Steps(g.h.back());
    // Cumulative variance factors 1 + sum_{j<h} c_j^2 and damped trend sums, up to hmax.
    std::vector<double> varf(hmax + 1, 1.0), dsum(hmax + 1, 0.0);
    double phis = 0, phij = 1, acc = 1;
    for (int64_t h = 1; h <= hmax; ++h) {
      phij *= p_.phi;
      phis += phij;  // sum_{i=1..h} phi^i
      dsum[h] = phis;
      varf[h] = acc;
      double c = p_.alpha + p_.beta * phis + ((m_ && h % static_cast<int64_t>(m_) == 0) ? p_.gamma : 0.0);
      acc += c * c;
    }
    for (size_t i = 0; i < n; ++i) {
      int64_t h = Steps(g.h[i]);
      double mid = Mean(h, dsum[h]);
      double sd = sigma_ * std::sqrt(varf[h]);
      b.p50[i] = Finite(mid, st_.level);
      b.p10[i] = Finite(mid - kZ90 * sd, b.p50[i]);
      b.p90[i] = Finite(mid + kZ90 * sd, b.p50[i]);
    }
    return b;
  }

 private:
  // The state evolves with bootstrapped errors either way; `noisy` adds the step's error to the value.
  std::vector<std::vector<double>> Sample(TimestampNs from, int64_t horizon_ns, int64_t step_ns, int paths,
                                          uint64_t seed, bool noisy) const override {
    OutGrid g = MakeOutGrid(from, horizon_ns, step_ns, last_, step_);
    std::vector<std::vector<double>> out(std::max(paths, 0));
    if (g.h.empty()) return out;
    int64_t hmax = Steps(g.h.back());
    Rng rng(seed);
    std::vector<double> sim(hmax + 1);
    std::vector<double> s;
    for (auto& path : out) {
      double l = st_.level, b = st_.trend;
      s = st_.season;
      for (int64_t h = 1; h <= hmax; ++h) {
        size_t idx = m_ ? (n_ - 1 + h) % m_ : 0;
        double seas = m_ ? s[idx] : 0.0;
        double e = res_.empty() ? sigma_ * rng.Normal() : res_[rng.Below(res_.size())];
        double mean = l + p_.phi * b + seas;
        sim[h] = noisy ? mean + e : mean;
        double l_new = l + p_.phi * b + p_.alpha * e;
        b = p_.phi * b + p_.beta * e;
        l = l_new;
        if (m_) s[idx] = seas + p_.gamma * e;
      }
      path.resize(g.h.size());
      for (size_t i = 0; i < g.h.size(); ++i) path[i] = Finite(sim[Steps(g.h[i])], st_.level);
    }
    return out;
  }

 protected:
  void FillEvidence(ModelEvidence& e) const override {
    e.trend_per_hour = p_.phi * st_.trend * (3600.0 * kNanosPerSecond / static_cast<double>(step_));
    e.residual_sd = sigma_;
    if (m_) {
      auto [mn, mx] = std::minmax_element(st_.season.begin(), st_.season.end());
      e.seasonality.push_back({static_cast<int64_t>(m_) * step_ / kNanosPerSecond, (*mx - *mn) / 2});
    }
  }

 private:
  // Horizons before the end of the history get the one-step forecast; at most ~1 year of steps.
  static int64_t Steps(double h) { return std::clamp<int64_t>(std::llround(h), 1, 1 << 22); }
  double Mean(int64_t h, double damped_sum) const {
    double trend = damped_ ? damped_sum * st_.trend : static_cast<double>(h) * st_.trend;
    double seas = m_ ? st_.season[(n_ - 1 + h) % m_] : 0.0;
    return st_.level + trend + seas;
  }

  bool damped_;
  Params p_;
  State st_;
  size_t m_, n_;
  double sigma_;
  std::vector<double> res_;  // one-step residuals (bootstrap noise), at most 2000
  TimestampNs last_;
  int64_t step_;
};

}  // namespace

Result<std::unique_ptr<Model>> FitHoltWinters(const Series& full, const ForecastOptions& o, bool damped,
                                              HwWarmStart* warm) {
  if (full.y.size() < 8) return Status::FailedPrecondition("holt_winters needs at least 8 points");
  // The dominant usable seasonal period, if any is clearly present (strength > 0.1). A longer period
  // also contains the shorter one's profile (a week repeats the day), so it wins only when it explains
  // clearly more (10 % relative and 0.02 absolute).
  size_t m = 0;
  double best = 0.1;
  for (int64_t p : UsablePeriods(full.y.size(), full.step, o)) {  // shortest first
    double strength = SeasonalStrength(full.y, static_cast<size_t>(p));
    if (m == 0 ? strength > best : strength > 1.1 * best + 0.02) best = strength, m = static_cast<size_t>(p);
  }
  // The smoothing forgets old history exponentially, so parameters and state come from the most recent
  // hw_max_points, or 6 seasons (the seasonal profile needs several cycles to settle; 3 made NAB's
  // nyc_taxi forecast 2.6x worse than 6), but no more than max(3 seasons, 4000) points for long periods.
  Series s = full;
  const size_t window = std::max(o.hw_max_points, std::min(6 * m, std::max<size_t>(3 * m, 4000)));
  const size_t n = std::min(full.y.size(), window);
  if (n < full.y.size()) {
    size_t skip = full.y.size() - n;
    s.t0 = full.time(skip);
    s.y = full.y.subspan(skip);
  }
  State init = Initialise(s.y, m);
  auto decode = [&](const Vec& u) {
    Params p;
    p.alpha = 0.0001 + 0.9998 * Sigmoid(u[0]);
    p.beta = p.alpha * 0.999 * Sigmoid(u[1]);
    p.gamma = m ? (1 - p.alpha) * 0.999 * Sigmoid(u[2]) : 0.0;
    p.phi = damped ? 0.8 + 0.18 * Sigmoid(u[3]) : 1.0;
    return p;
  };
  auto objective = [&](const Vec& u) { return Filter(s.y, decode(u), init, m, nullptr, nullptr); };
  // Coordinates used: alpha, beta, then gamma (seasonal) and phi (damped); unused ones stay fixed.
  // Start: alpha 0.3, beta 0.005 (a trend that wanders only if the data insist), gamma 0.08, phi ~0.93.
  Vec u0 = {-0.85, -4.0, -2.0, 1.0};
  int dim = 2;
  Vec packed = u0;
  std::function<Vec(const Vec&)> unpack = [&](const Vec& x) {
    Vec u = u0;
    u[0] = x[0];
    u[1] = x[1];
    int k = 2;
    if (m) u[2] = x[k++];
    if (damped) u[3] = x[k++];
    return u;
  };
  if (m) packed[dim++] = u0[2];
  if (damped) packed[dim++] = u0[3];
  auto f = [&](const Vec& x) { return objective(unpack(x)); };
  Vec x;
  if (warm && warm->valid && warm->m == m && warm->dim == dim) {
    // The previous fold's optimum on overlapping data: a small simplex around it suffices.
    std::copy(warm->x, warm->x + kMaxParams, x.begin());
    x = NelderMead(f, x, dim, 0.3, 40 * dim + 40);
  } else {
    x = NelderMead(f, packed, dim, 1.0, 60 * dim + 60);
    x = NelderMead(f, x, dim, 0.3, 40 * dim + 40);  // a restart escapes early collapse of the simplex
  }
  if (warm) {
    warm->valid = true;
    warm->m = m;
    warm->dim = dim;
    std::copy(x.begin(), x.end(), warm->x);
  }
  Params p = decode(unpack(x));
  int k = 2 + (m ? 1 : 0) + (damped ? 1 : 0);
  if (!damped) {
    // A trend only if it earns its keep (AIC, as ETS model selection does): on a series without one, a
    // small fitted beta would still make the trend a random walk whose long-horizon paths fan out.
    // The trendless variant keeps the other parameters, so this errs towards keeping the trend.
    Params flat = p;
    flat.beta = 0;
    State init0 = init;
    init0.trend = 0;
    double sse1 = Filter(s.y, p, init, m, nullptr, nullptr);
    double sse0 = Filter(s.y, flat, init0, m, nullptr, nullptr);
    double nn = static_cast<double>(n);
    double aic1 = nn * std::log(std::max(sse1, 1e-300) / nn) + 2.0 * (k + 1);  // beta and the initial trend
    double aic0 = nn * std::log(std::max(sse0, 1e-300) / nn) + 2.0 * (k - 1);
    if (aic0 <= aic1) {
      p = flat;
      init = init0;
      --k;
    }
  }
  State fin;
  std::vector<double> res;
  res.reserve(n);
  double sse = Filter(s.y, p, init, m, &fin, &res);
  double sigma = std::sqrt(sse / std::max<double>(1.0, static_cast<double>(n) - k));
  // The first season is spent settling the initial state: keep later residuals for the bootstrap.
  size_t skip = std::min(res.size() / 4, std::max<size_t>(m, 10));
  std::vector<double> boot;
  size_t avail = res.size() - skip, keep = std::min<size_t>(avail, 2000);
  for (size_t i = 0; i < keep; ++i) boot.push_back(res[skip + i * avail / keep]);
  auto model = std::make_unique<HoltWintersModel>(damped, p, std::move(fin), m, n, Finite(sigma), std::move(boot),
                                                  s.last_time(), s.step);
  ModelAccess::SetCommon(*model, full);
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace foresight::forecast::internal

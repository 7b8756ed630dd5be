// Theil-Sen robust linear trend: the median of pairwise slopes, the intercept as the median of
// y - slope * x over the recent part; intervals from the residual quantiles plus the level's and the
// slope's uncertainty, which grows with the distance from where the level was estimated
// (autocorrelated residuals shrink the effective n).
#include <algorithm>
#include <cmath>

#include "forecast/internal/common.h"

namespace foresight::forecast::internal {
namespace {

class TheilSenModel final : public Model {
 public:
  TheilSenModel(double a, double b, double xbar, double n_eff, double sxx_eff, double sigma, double q10,
                double q90, std::vector<double> residuals, TimestampNs t0, int64_t step)
      : a_(a), b_(b), xbar_(xbar), n_eff_(n_eff), sxx_eff_(sxx_eff), sigma_(sigma), q10_(q10), q90_(q90),
        residuals_(std::move(residuals)), t0_(t0), step_(step) {}

  Method method() const override { return Method::kTheilSen; }

  ForecastBand Predict(TimestampNs from, int64_t horizon_ns, int64_t step_ns) const override {
    OutGrid g = MakeOutGrid(from, horizon_ns, step_ns, t0_, step_);
    ForecastBand b;
    b.t = std::move(g.t);
    size_t n = b.t.size();
    b.p10.resize(n);
    b.p50.resize(n);
    b.p90.resize(n);
    for (size_t i = 0; i < n; ++i) {
      double x = g.h[i];
      double mid = a_ + b_ * x;
      double sd_trend = TrendSd(x);
      double lo = std::sqrt(q10_ * q10_ + kZ90 * kZ90 * sd_trend * sd_trend);
      double hi = std::sqrt(q90_ * q90_ + kZ90 * kZ90 * sd_trend * sd_trend);
      b.p50[i] = Finite(mid);
      b.p10[i] = Finite(mid - lo, b.p50[i]);
      b.p90[i] = Finite(mid + hi, b.p50[i]);
    }
    return b;
  }

 private:
  std::vector<std::vector<double>> Sample(TimestampNs from, int64_t horizon_ns, int64_t step_ns, int paths,
                                          uint64_t seed, bool noisy) const override {
    OutGrid g = MakeOutGrid(from, horizon_ns, step_ns, t0_, step_);
    std::vector<std::vector<double>> out(std::max(paths, 0));
    Rng rng(seed);
    double sd_level = sigma_ / std::sqrt(n_eff_);
    double sd_slope = sxx_eff_ > 0 ? sigma_ / std::sqrt(sxx_eff_) : 0.0;
    double centre = a_ + b_ * xbar_;
    for (auto& p : out) {
      double level = centre + sd_level * rng.Normal();
      double slope = b_ + sd_slope * rng.Normal();
      p.resize(g.h.size());
      for (size_t i = 0; i < g.h.size(); ++i) {
        double noise = (!noisy || residuals_.empty()) ? 0.0 : residuals_[rng.Below(residuals_.size())];
        p[i] = Finite(level + slope * (g.h[i] - xbar_) + noise, Finite(a_ + b_ * g.h[i]));
      }
    }
    return out;
  }

 protected:
  void FillEvidence(ModelEvidence& e) const override {
    e.trend_per_hour = b_ * (3600.0 * kNanosPerSecond / static_cast<double>(step_));
    e.residual_sd = sigma_;
  }

 private:
  double TrendSd(double x) const {
    double d = x - xbar_;
    double v = sigma_ * sigma_ * (1.0 / n_eff_ + (sxx_eff_ > 0 ? d * d / sxx_eff_ : 0.0));
    return std::sqrt(std::max(v, 0.0));
  }

  double a_, b_, xbar_ /* pivot */, n_eff_, sxx_eff_, sigma_, q10_, q90_;
  std::vector<double> residuals_;  // centred, for bootstrap noise
  TimestampNs t0_;
  int64_t step_;
};

}  // namespace

Result<std::unique_ptr<Model>> FitTheilSen(const Series& s, const ForecastOptions& o) {
  const size_t n = s.y.size();
  if (n < 2) return Status::FailedPrecondition("theil_sen needs at least 2 points");
  std::vector<double> slopes;
  size_t all_pairs = n * (n - 1) / 2;
  if (all_pairs <= std::max<size_t>(o.theil_sen_max_pairs, 1)) {
    slopes.reserve(all_pairs);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) slopes.push_back((s.y[j] - s.y[i]) / static_cast<double>(j - i));
    }
  } else {
    // A deterministic random sample of pairs: the median of slopes converges at O(1/sqrt(pairs)).
    Rng rng(n * 0x2545F4914F6CDD1Dull);
    slopes.reserve(o.theil_sen_max_pairs);
    while (slopes.size() < o.theil_sen_max_pairs) {
      size_t i = rng.Below(n), j = rng.Below(n);
      if (i == j) continue;
      if (i > j) std::swap(i, j);
      slopes.push_back((s.y[j] - s.y[i]) / static_cast<double>(j - i));
    }
  }
  double b = Median(std::move(slopes));
  std::vector<double> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = s.y[i] - b * static_cast<double>(i);
  // The slope comes from the whole history, the intercept from its recent part (the last 5 %, at least
  // 30 points): after a level shift the line continues from where the series is now, as predict_linear
  // over a recent window would.
  const size_t recent = std::min(n, std::max<size_t>(30, n / 20));
  double a = Median(std::vector<double>(r.end() - static_cast<std::ptrdiff_t>(recent), r.end()));
  for (size_t i = 0; i < n; ++i) r[i] -= a;

  // Noise around the line: scale, lag-1 autocorrelation (for effective sample sizes) and quantiles, from
  // the recent part of the history (at least 200 points), which a level shift further back leaves alone.
  const size_t nw = std::min(n, std::max<size_t>(recent, 200));
  std::span<const double> w(r.data() + (n - nw), nw);
  std::vector<double> absr(nw);
  for (size_t i = 0; i < nw; ++i) absr[i] = std::fabs(w[i]);
  double sigma = 1.4826 * Median(absr);
  double var = 0, cov = 0;
  for (size_t i = 0; i < nw; ++i) var += w[i] * w[i];
  for (size_t i = 1; i < nw; ++i) cov += w[i] * w[i - 1];
  if (!(sigma > 0)) sigma = std::sqrt(var / static_cast<double>(nw));
  double rho = var > 0 ? std::clamp(cov / var, 0.0, 0.99) : 0.0;
  double shrink = (1 - rho) / (1 + rho);
  // The level is known where it was estimated (the centre of the recent window), from that window's
  // effective points; the slope's uncertainty pivots there.
  double n_eff = std::max(2.0, static_cast<double>(recent) * shrink);
  double xbar = static_cast<double>(n) - (static_cast<double>(recent) + 1) / 2;
  double sxx = static_cast<double>(n) * (static_cast<double>(n) * n - 1) / 12.0;  // sum (i - mean i)^2
  double sxx_eff = sxx * std::max(shrink, 2.0 / static_cast<double>(n));

  std::vector<double> tmp(w.begin(), w.end());
  double med = Median(tmp);
  double q10 = med - Quantile(tmp, 0.1);
  double q90 = Quantile(tmp, 0.9) - med;
  // Bootstrap noise, centred on the line; at most 2000 residuals (evenly spaced) so a model stays small.
  std::vector<double> boot;
  const size_t keep = std::min<size_t>(nw, 2000);
  boot.reserve(keep);
  for (size_t k = 0; k < keep; ++k) boot.push_back(w[k * nw / keep] - med);
  auto m = std::make_unique<TheilSenModel>(a, b, xbar, n_eff, sxx_eff, sigma, std::max(q10, 0.0),
                                           std::max(q90, 0.0), std::move(boot), s.t0, s.step);
  ModelAccess::SetCommon(*m, s);
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace foresight::forecast::internal

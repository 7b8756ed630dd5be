#pragma once
// Shared by the forecasters: the cleaned grid, the per-method fit entry points, and small numeric helpers.

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "forecast/forecast.h"

namespace foresight::forecast::internal {

// A regular series: y[i] is the value at t0 + i * step (bucket means, gaps interpolated).
struct Grid {
  TimestampNs t0 = 0;
  int64_t step = 0;
  std::vector<double> y;
  size_t missing = 0;  // buckets that were empty and interpolated
  size_t resets = 0;   // counter resets undone
};

// A prefix (or all) of a grid, what a fit sees.
struct Series {
  TimestampNs t0 = 0;
  int64_t step = 0;
  std::span<const double> y;
  TimestampNs time(size_t i) const { return t0 + static_cast<int64_t>(i) * step; }
  TimestampNs last_time() const { return time(y.size() - 1); }
};

// Cleans and resamples; the errors of FitBest.
Result<Grid> Prepare(std::span<const TimestampNs> t, std::span<const double> v, const ForecastOptions& o);

// Holt-Winters' optimum (unconstrained coordinates), carried from one backtest fold to the next and to
// the final fit as the optimiser's starting point; used only when the seasonal period matches.
inline constexpr int kHwMaxParams = 4;
struct HwWarmStart {
  bool valid = false;
  size_t m = 0;
  int dim = 0;
  double x[kHwMaxParams] = {};
};
// What one method carries between its fits on growing prefixes of one series.
struct FitCarry {
  HwWarmStart hw;
};

Result<std::unique_ptr<Model>> FitTheilSen(const Series& s, const ForecastOptions& o);
Result<std::unique_ptr<Model>> FitHoltWinters(const Series& s, const ForecastOptions& o, bool damped,
                                              HwWarmStart* warm = nullptr);
Result<std::unique_ptr<Model>> FitProphet(const Series& s, const ForecastOptions& o);
Result<std::unique_ptr<Model>> FitMethod(Method m, const Series& s, const ForecastOptions& o,
                                         FitCarry* carry = nullptr);

struct ModelAccess {
  static void SetCommon(Model& m, const Series& s) {
    m.from_ = s.t0;
    m.to_ = s.last_time();
    m.points_ = s.y.size();
    m.step_ns_ = s.step;
    m.last_value_ = s.y.empty() ? 0.0 : s.y.back();
  }
  static void SetMase(Model& m, double mase) { m.mase_ = mase; }
  static std::vector<double> PredictMedian(const Model& m, TimestampNs from, int64_t horizon_ns, int64_t step_ns) {
    return m.PredictMedian(from, horizon_ns, step_ns);
  }
};

// Seasonal periods (in grid steps) the series covers at least twice, shortest first.
std::vector<int64_t> UsablePeriods(size_t n, int64_t step, const ForecastOptions& o);

// The requested output grid: times strictly after `from`, and their offsets in model steps from `origin`.
struct OutGrid {
  std::vector<TimestampNs> t;
  std::vector<double> h;  // (t - origin) / model_step
};
OutGrid MakeOutGrid(TimestampNs from, int64_t horizon_ns, int64_t step_ns, TimestampNs origin,
                    int64_t model_step);

// q in [0, 1], linear interpolation; v is reordered. REQUIRES: !v.empty().
double Quantile(std::vector<double>& v, double q);
double Median(std::vector<double> v);
// Replaces a non-finite value by `fallback`.
inline double Finite(double x, double fallback = 0.0) { return std::isfinite(x) ? x : fallback; }

inline constexpr double kZ90 = 1.2815515655446004;  // the standard normal's 90th percentile

// A small, fast, deterministic generator (splitmix64) with a Box-Muller normal.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ^ 0x9E3779B97F4A7C15ull) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  size_t Below(size_t n) { return static_cast<size_t>(Uniform() * static_cast<double>(n)) % n; }
  double Normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u1 = Uniform(), u2 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * M_PI * u2);
    have_spare_ = true;
    return r * std::cos(2 * M_PI * u2);
  }
  double Laplace(double scale) {
    double u = Uniform() - 0.5;
    double a = 1 - 2 * std::fabs(u);
    if (a < 1e-300) a = 1e-300;
    return -scale * (u < 0 ? -1.0 : 1.0) * std::log(a);
  }

 private:
  uint64_t s_;
  bool have_spare_ = false;
  double spare_ = 0;
};

}  // namespace foresight::forecast::internal

#pragma once
// Forecasting of one metric series: robust linear trend (Theil-Sen), Holt-Winters (additive and damped
// trend), and a Prophet-style additive model (piecewise-linear trend with L1-penalised changepoints plus
// Fourier seasonality), chosen per series by rolling-origin backtest MASE; and the time at which a
// forecast crosses a limit, as a distribution from Monte-Carlo sample paths. Algorithms: README.md.
//
// Thread-safety: every function here is reentrant; a fitted Model is immutable and its const methods may
// run concurrently. Nothing here returns a NaN or an infinity in a forecast value (backtest_mase() may be
// +inf when no backtest was possible).

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "core/types.h"

namespace foresight::forecast {

enum class Method { kTheilSen, kHoltWinters, kHoltWintersDamped, kProphet };
// "theil_sen", "holt_winters", "holt_winters_damped", "prophet".
std::string_view MethodName(Method m);
// The inverse of MethodName; nullopt for an unknown name.
std::optional<Method> ParseMethod(std::string_view name);

enum class Direction { kAbove, kBelow };  // the limit is crossed going above / below it

struct ForecastOptions {
  int64_t step_ns = 60 * kNanosPerSecond;  // the series is resampled (mean per bucket) onto this grid
  // Used only when the history covers >= 2 periods. Holt-Winters takes the one with the strongest
  // seasonal profile (a longer period only if clearly stronger), the Prophet-style model all usable ones.
  std::vector<int64_t> seasonal_periods_ns = {86400 * kNanosPerSecond, 7 * 86400 * kNanosPerSecond};
  size_t min_points = 30;  // fewer grid points: FailedPrecondition ("12 points, need 30")
  std::vector<Method> candidates = {Method::kTheilSen, Method::kHoltWinters, Method::kHoltWintersDamped,
                                    Method::kProphet};
  int backtest_folds = 3;           // rolling-origin folds for MASE selection
  int64_t backtest_horizon_ns = 0;  // 0: 20 % of the history
  bool counter = false;             // monotonic counter: resets (a decrease) are undone before fitting
  double max_gap_fraction = 0.2;    // more grid buckets than this missing: FailedPrecondition
  size_t max_counter_resets = 10;   // counter with more resets than this in the history: FailedPrecondition

  // Prophet-style model (defaults follow Prophet's, except the daily Fourier order).
  int changepoints = 25;                  // candidate changepoints, evenly spread over ...
  double changepoint_range = 0.8;         // ... this leading fraction of the history
  double changepoint_prior_scale = 0.05;  // Laplace prior scale of rate changes (y scaled by max |y|)
  double seasonality_prior_scale = 10.0;  // Gaussian prior scale of Fourier coefficients
  int daily_fourier_order = 6;            // period 1 day
  int weekly_fourier_order = 3;           // period 7 days
  int other_fourier_order = 4;            // any other configured period
  size_t prophet_max_points = 2000;       // longer histories are fitted on every k-th point (weighted)

  // Holt-Winters: parameters and state from the last max(hw_max_points, 6 seasonal periods) points
  // (at most max(3 periods, 4000) points for long periods).
  size_t hw_max_points = 1000;

  // Theil-Sen: the slope from the whole history, the level from its last 5 % (at least 30 points); above
  // this many pairs, the median slope is taken over a deterministic random sample of pairs.
  size_t theil_sen_max_pairs = 20000;
};

// A forecast on a grid: t[i] = from + (i + 1) * step_ns for i < horizon_ns / step_ns (strictly after
// `from`), with the 10th, 50th and 90th percentiles of the predictive distribution.
struct ForecastBand {
  std::vector<TimestampNs> t;
  std::vector<double> p10, p50, p90;
};

struct SeasonalEvidence {
  int64_t period_s = 0;
  double amplitude = 0;  // half the peak-to-trough range of the fitted seasonal profile
};

// Evidence for humans, also the content of Model::Describe().
struct ModelEvidence {
  Method method = Method::kTheilSen;
  double trend_per_hour = 0;  // slope at the end of the history, in value units per hour
  std::vector<SeasonalEvidence> seasonality;
  std::optional<TimestampNs> last_changepoint;  // Prophet-style only: latest significant rate change
  double mase = std::numeric_limits<double>::infinity();
  double residual_sd = 0;  // one-step (or in-sample) residual standard deviation
  size_t points = 0;
  TimestampNs fitted_from = 0, fitted_to = 0;
  double last_value = 0;  // the last resampled value (after counter-reset undoing)
};

namespace internal {
struct ModelAccess;
}

// An immutable fitted forecaster. Thread-safe: all methods are const and may run concurrently.
class Model {
 public:
  virtual ~Model() = default;
  virtual Method method() const = 0;
  // See ForecastBand for the grid. REQUIRES: step_ns > 0 (else the model's own step is used).
  // Empty when horizon_ns < step_ns. Never NaN.
  virtual ForecastBand Predict(TimestampNs from, int64_t horizon_ns, int64_t step_ns) const = 0;
  // `paths` Monte-Carlo sample paths on the same grid as Predict (trend + noise uncertainty), for
  // crossing-time distributions. Deterministic for a given seed.
  std::vector<std::vector<double>> SamplePaths(TimestampNs from, int64_t horizon_ns, int64_t step_ns, int paths,
                                               uint64_t seed) const {
    return Sample(from, horizon_ns, step_ns, paths, seed, /*noisy=*/true);
  }
  // The same paths without the observation noise: each path's underlying level (trend and seasonality with
  // their uncertainty; for Holt-Winters the state still evolves with its errors). For crossing times of
  // the trend rather than of a single noisy value.
  std::vector<std::vector<double>> SampleLevelPaths(TimestampNs from, int64_t horizon_ns, int64_t step_ns,
                                                    int paths, uint64_t seed) const {
    return Sample(from, horizon_ns, step_ns, paths, seed, /*noisy=*/false);
  }

  // MASE of this method in the rolling-origin backtest (+inf if no backtest was possible, e.g. via Fit()).
  double backtest_mase() const { return mase_; }
  TimestampNs fitted_from() const { return from_; }
  TimestampNs fitted_to() const { return to_; }
  size_t points() const { return points_; }          // grid points fitted
  int64_t step_ns() const { return step_ns_; }       // the grid step the model was fitted on
  double last_value() const { return last_value_; }  // the last resampled value

  ModelEvidence Evidence() const;
  // e.g. {"method":"prophet","trend_per_hour":11.2,"seasonality":[{"period_s":86400,"amplitude":4.1}],
  //       "last_changepoint":1700000000000000000 (ns, or null),"mase":0.8 (null if +inf),
  //       "residual_sd":..,"points":..,"fitted_from":..,"fitted_to":..,"last_value":..}
  nlohmann::json Describe() const;

 protected:
  // Method-specific evidence: trend, seasonality, changepoint, residual_sd.
  virtual void FillEvidence(ModelEvidence& e) const = 0;
  // The sample paths of SamplePaths (noisy) and SampleLevelPaths (not).
  virtual std::vector<std::vector<double>> Sample(TimestampNs from, int64_t horizon_ns, int64_t step_ns, int paths,
                                                  uint64_t seed, bool noisy) const = 0;
  // The median forecast alone, on Predict's grid (what the backtest needs); by default Predict().p50.
  virtual std::vector<double> PredictMedian(TimestampNs from, int64_t horizon_ns, int64_t step_ns) const {
    return Predict(from, horizon_ns, step_ns).p50;
  }

 private:
  friend struct internal::ModelAccess;
  double mase_ = std::numeric_limits<double>::infinity();
  TimestampNs from_ = 0, to_ = 0;
  size_t points_ = 0;
  int64_t step_ns_ = 0;
  double last_value_ = 0;
};

nlohmann::json ToJson(const ModelEvidence& e);

// Cleans (drops non-finite values, sorts, averages duplicates, undoes counter resets if options.counter,
// checks gaps), resamples onto options.step_ns, backtests every candidate with rolling origins and returns
// the best by MASE, refitted on the whole history.
// Errors: InvalidArgument (t and v differ in length, step_ns <= 0, no candidates); FailedPrecondition with
// a readable reason for: too short ("12 points, need 30"), constant series, too many gaps, too many
// counter resets, no finite values.
Result<std::unique_ptr<Model>> FitBest(std::span<const TimestampNs> t, std::span<const double> v,
                                       const ForecastOptions& o);
// The same cleaning, then one method without a backtest (backtest_mase() is +inf).
Result<std::unique_ptr<Model>> Fit(Method m, std::span<const TimestampNs> t, std::span<const double> v,
                                   const ForecastOptions& o);

struct Crossing {
  double probability = 0;                    // of crossing the limit within the horizon (fraction of paths)
  std::optional<TimestampNs> p10, p50, p90;  // quantiles of the first-crossing time (unset: beyond horizon)
  bool already = false;                      // the latest value is already past the limit (all set to now)
};
// The first time each sample path from `now` reaches the limit (>= for kAbove, <= for kBelow). Paths
// include the observation noise (SamplePaths), so a noisy series crosses before its trend does, as the
// metric itself would; see CrossingOptions::level for the trend's crossing.
Crossing TimeToCrossing(const Model& m, double limit, Direction d, TimestampNs now, int64_t horizon_ns,
                        int64_t step_ns, int paths = 200, uint64_t seed = 1);

struct CrossingOptions {
  int paths = 200;
  uint64_t seed = 1;
  // false: the first sampled value past the limit (SamplePaths, the default above);
  // true: the first time the path's level crosses (SampleLevelPaths, no observation noise).
  bool level = false;
};
Crossing TimeToCrossing(const Model& m, double limit, Direction d, TimestampNs now, int64_t horizon_ns,
                        int64_t step_ns, const CrossingOptions& co);

}  // namespace foresight::forecast

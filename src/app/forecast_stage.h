#pragma once
// ForecastStage: time to failure for every series that has a limit (docs/ARCHITECTURE.md, "Forecasts").
//
// Every `interval` it finds the series each limit rule selects, reads their history onto a fixed grid,
// fits the best forecaster for each (forecast/: Theil-Sen, Holt-Winters, Prophet-style; chosen by
// backtest MASE), and computes when the forecast crosses the limit (P10/P50/P90 from sample paths) and
// the probability of crossing within the horizon. A crossing that is likely enough opens a "forecast"
// prediction (stored, updated each pass, closed when it is no longer predicted); a warning or critical
// one goes through the alert manager. Series that cannot be forecast say why (too short, constant...).
//
// Runs on its own thread, off the hot path. RunOnce() is called from one thread; ForecastsJson() may be
// called concurrently from API threads.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/actions.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/records.h"
#include "core/self_metrics.h"
#include "forecast/forecast.h"
#include "storage/record_store.h"
#include "storage/sample_store.h"

namespace foresight::alerting {
class AlertManager;
}

namespace foresight::app {

// A limit: the series `matchers` select must stay on one side of a fixed threshold or of the latest
// value of a companion series (same labels, name `threshold_metric`).
struct LimitRule {
  std::string name;
  std::string selector;
  std::vector<storage::LabelMatcher> matchers;
  std::optional<double> threshold;
  std::string threshold_metric;
  forecast::Direction direction = forecast::Direction::kAbove;
  bool counter = false;
  std::string source;  // "config" | "built-in"
};

// The built-in limits (what hosts reveal: disk size, memory total, swap, fd max; the simulator's
// memory, disk and connection pool).
std::vector<LimitRule> BuiltinLimitRules();
// Config limits (validated: selector syntax) followed by the built-in ones when host_limits is set.
// Errors: InvalidArgument "limits[i] (name): selector: ..." for a bad selector.
Result<std::vector<LimitRule>> BuildLimitRules(const std::vector<config::LimitConfig>& configured, bool host_limits);

struct ForecastStageOptions {
  config::ForecastOptions settings;
  std::vector<LimitRule> limits;
  int paths = 200;               // Monte-Carlo paths per crossing estimate
  int confirm_passes = 2;        // consecutive passes a crossing must be predicted before it opens
  int clear_passes = 3;          // consecutive passes without it before it closes
  int band_points = 96;          // points of the band kept for GET /api/v1/forecasts
  // The recent-trend challengers: Theil-Sen lines over each of these recent windows compete with the
  // full-history model on the last trend_holdout, held out (see EvaluateLimit).
  std::vector<int64_t> trend_windows_ns = {1 * 3600 * kNanosPerSecond, 2 * 3600 * kNanosPerSecond, 4 * 3600 * kNanosPerSecond,
                                           8 * 3600 * kNanosPerSecond};
  int64_t trend_holdout_ns = 1800 * kNanosPerSecond;
  // The P10-P90 ETA interval is at least P50 / (1 ± this) from now: the forecaster's own 80th-percentile
  // relative ETA error on the simulator (calibrated with seed 7; the evaluation uses seed 42).
  double eta_min_relative_error = 0.17;
  // The daily check (SeasonalCrossing): when the history covers a period plus the window, a crossing is
  // said only if yesterday's shape, moved by today's offset and its trend, also gets there. 0: off.
  int64_t seasonal_period_ns = 24 * 3600 * kNanosPerSecond;
  int64_t seasonal_window_ns = 2 * 3600 * kNanosPerSecond;
  std::shared_ptr<const ActionCatalog> actions;  // null: ActionCatalog::Default()
};

// What one evaluation of one limited series found. Pure data; no NaN anywhere.
struct LimitEvaluation {
  std::shared_ptr<const forecast::Model> model;  // null when no forecast could be made
  std::string reason;                             // why not, when model is null
  forecast::Crossing crossing;
  double limit = 0;
  double current = 0;
  Severity severity = Severity::kInfo;
  bool predicted = false;  // a crossing is likely enough to say (probability >= min_probability, or already)
  std::string note;        // why a crossing the model saw is not said (the daily check), else empty
};

// The daily check of a predicted crossing. A rise that happens every day at this hour (morning traffic,
// a nightly batch) looks like a trend to any model fitted on recent hours. Against the same hours one
// period earlier it does not: the difference d(t) = v(t) - v(t - period) over the last `window` is
// flat, while a leak that began within the period makes d grow at the leak's rate, and one older than
// the period shows as a daily offset. The seasonal forecast v(now + h - k period) + k d(now) + s h
// (k = periods back to known history; d(now) and its slope s from a Theil-Sen line through d) covers
// both; it is checked against the limit up to `horizon`.
// Returns nullopt when the history is too short (under period + window, or too few matching points);
// otherwise whether the seasonal forecast reaches the limit within the horizon.
std::optional<bool> SeasonalCrossing(std::span<const TimestampNs> t, std::span<const double> v, double limit,
                                     forecast::Direction d, int64_t horizon_ns, int64_t step_ns, int64_t period_ns,
                                     int64_t window_ns);

// Fits the history (t, v) and evaluates the crossing of `limit` from `now`. Used by the stage and by the
// offline evaluation (foresight eval forecast), so both judge the same way.
LimitEvaluation EvaluateLimit(std::span<const TimestampNs> t, std::span<const double> v, double limit,
                              forecast::Direction d, bool counter, TimestampNs now, const ForecastStageOptions& o);

// Severity from the crossing per the settings (critical/warning ETA and probability), info otherwise.
Severity ForecastSeverity(const forecast::Crossing& c, TimestampNs now, const config::ForecastOptions& s);

class ForecastStage {
 public:
  // Borrows everything; all must outlive the stage.
  ForecastStage(ForecastStageOptions options, const Clock& clock, storage::SampleStore& samples,
                storage::RecordStore& records, alerting::AlertManager& alerts, SelfMetrics& metrics);
  ~ForecastStage();

  // One pass over every limited series (the forecast thread's loop body).
  void RunOnce();
  // GET /api/v1/forecasts: the latest result per limited series ("" = every entity).
  nlohmann::json ForecastsJson(const std::string& entity) const;
  // Open forecast predictions per entity, and their soonest P50 ETA (for /api/v1/entities).
  struct EntitySummary {
    int open = 0;
    std::optional<TimestampNs> soonest_eta;
  };
  std::map<std::string, EntitySummary> Summaries() const;

 private:
  struct Tracked;
  void Evaluate(Tracked& tr, TimestampNs now);
  void UpdatePrediction(Tracked& tr, const LimitEvaluation& ev, TimestampNs now);
  std::optional<double> ThresholdOf(Tracked& tr, TimestampNs now);

  const ForecastStageOptions options_;
  const Clock& clock_;
  storage::SampleStore& samples_;
  storage::RecordStore& records_;
  alerting::AlertManager& alerts_;
  Counter& fits_total_;
  Counter& fit_failures_;
  Counter& predictions_opened_;
  Gauge& pass_seconds_;
  Gauge& series_watched_;

  mutable std::mutex mu_;  // guards tracked_'s published fields (result, summary) for API readers
  std::map<SeriesId, std::unique_ptr<Tracked>> tracked_;
};

}  // namespace foresight::app

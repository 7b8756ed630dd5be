#include "app/forecast_stage.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "alerting/alert_manager.h"
#include "core/time_util.h"
#include "features/entity_features.h"

namespace foresight::app {
namespace {

using json = nlohmann::json;
using forecast::Direction;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
json Ms(const std::optional<TimestampNs>& t) { return t ? json(*t / kNanosPerMilli) : json(nullptr); }

// A value as people read it: bytes in binary units, other numbers with up to 4 significant digits.
std::string FormatValue(std::string_view metric, double v) {
  char buf[64];
  if (metric.ends_with("_bytes") && std::fabs(v) >= 1024) {
    static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double x = v;
    int u = -1;
    while (std::fabs(x) >= 1024 && u < 4) {
      x /= 1024;
      ++u;
    }
    std::snprintf(buf, sizeof buf, "%.3g %s", x, kUnits[u]);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

std::string FormatRate(std::string_view metric, double per_hour) {
  std::string s = FormatValue(metric, per_hour);
  if (per_hour >= 0) s = "+" + s;
  return s + "/h";
}

std::string MetricName(const Labels& labels) { return std::string(labels.Get(kMetricNameLabel)); }

LimitRule Rule(std::string name, std::string selector, std::optional<double> threshold, std::string threshold_metric) {
  LimitRule r;
  r.name = std::move(name);
  r.selector = std::move(selector);
  r.matchers = storage::ParseSelector(r.selector).value();  // built-ins are valid (a test parses them all)
  r.threshold = threshold;
  r.threshold_metric = std::move(threshold_metric);
  r.source = "built-in";
  return r;
}

}  // namespace

std::vector<LimitRule> BuiltinLimitRules() {
  return {
      Rule("disk full", "host_disk_used_bytes", std::nullopt, "host_disk_size_bytes"),
      Rule("memory exhausted", "host_memory_used_bytes", std::nullopt, "host_memory_total_bytes"),
      Rule("swap exhausted", "host_swap_used_bytes", std::nullopt, "host_swap_total_bytes"),
      Rule("file descriptors exhausted", "host_file_descriptors_allocated", std::nullopt, "host_file_descriptors_max"),
      Rule("memory exhausted", "memory_used_percent", 100.0, ""),
      Rule("disk full", "disk_used_percent", 100.0, ""),
      Rule("connection pool exhausted", "db_connections", std::nullopt, "db_max_connections"),
  };
}

Result<std::vector<LimitRule>> BuildLimitRules(const std::vector<config::LimitConfig>& configured, bool host_limits) {
  std::vector<LimitRule> out;
  for (size_t i = 0; i < configured.size(); ++i) {
    const auto& c = configured[i];
    LimitRule r;
    r.name = c.name;
    r.selector = c.selector;
    auto m = storage::ParseSelector(c.selector);
    if (!m.ok()) {
      return Status::InvalidArgument("limits[" + std::to_string(i) + "] (" + c.name + "): selector", m.status().message());
    }
    r.matchers = std::move(*m);
    r.threshold = c.threshold;
    r.threshold_metric = c.threshold_metric;
    r.direction = c.direction == "below" ? Direction::kBelow : Direction::kAbove;
    r.counter = c.counter;
    r.source = "config";
    out.push_back(std::move(r));
  }
  if (host_limits) {
    for (auto& r : BuiltinLimitRules()) out.push_back(std::move(r));
  }
  return out;
}

Severity ForecastSeverity(const forecast::Crossing& c, TimestampNs now, const config::ForecastOptions& s) {
  if (c.already) return Severity::kCritical;
  if (!c.p50) return Severity::kInfo;
  const int64_t eta = *c.p50 - now;
  if (eta <= s.critical_eta_ns && c.probability >= s.critical_probability) return Severity::kCritical;
  if (eta <= s.warning_eta_ns && c.probability >= s.warning_probability) return Severity::kWarning;
  return Severity::kInfo;
}

namespace {

// Mean absolute error of m's median forecast against the held-out points (ht, hv).
double HoldoutError(const forecast::Model& m, TimestampNs from, std::span<const TimestampNs> ht,
                    std::span<const double> hv, int64_t step) {
  if (ht.empty()) return std::numeric_limits<double>::infinity();
  forecast::ForecastBand b = m.Predict(from, ht.back() - from + step, step);
  double err = 0;
  size_t n = 0;
  for (size_t i = 0, j = 0; i < ht.size(); ++i) {
    while (j < b.t.size() && b.t[j] < ht[i]) ++j;
    if (j == b.t.size()) break;
    err += std::fabs(b.p50[j] - hv[i]);
    ++n;
  }
  return n ? err / static_cast<double>(n) : std::numeric_limits<double>::infinity();
}

// The value of the grid point nearest x, if one lies within `tolerance` of it.
std::optional<double> ValueNear(std::span<const TimestampNs> t, std::span<const double> v, TimestampNs x,
                                int64_t tolerance) {
  const size_t i = std::lower_bound(t.begin(), t.end(), x) - t.begin();
  std::optional<double> best;
  int64_t best_gap = tolerance + 1;
  for (size_t j : {i, i - 1}) {  // i - 1 wraps to a huge index when i == 0
    if (j >= t.size()) continue;
    const int64_t gap = t[j] > x ? t[j] - x : x - t[j];
    if (gap < best_gap && std::isfinite(v[j])) {
      best_gap = gap;
      best = v[j];
    }
  }
  return best;
}

}  // namespace

std::optional<bool> SeasonalCrossing(std::span<const TimestampNs> t, std::span<const double> v, double limit,
                                     Direction d, int64_t horizon_ns, int64_t step_ns, int64_t period_ns,
                                     int64_t window_ns) {
  if (t.empty() || period_ns <= 0 || window_ns <= 0 || step_ns <= 0) return std::nullopt;
  if (t.back() - t.front() < period_ns + window_ns) return std::nullopt;
  const TimestampNs end = t.back();
  // d(t) over the last window, against the same time one period earlier.
  std::vector<TimestampNs> dt;
  std::vector<double> dv;
  for (size_t i = std::lower_bound(t.begin(), t.end(), end - window_ns) - t.begin(); i < t.size(); ++i) {
    auto before = ValueNear(t, v, t[i] - period_ns, step_ns);
    if (!before || !std::isfinite(v[i])) continue;
    dt.push_back(t[i]);
    dv.push_back(v[i] - *before);
  }
  // Its Theil-Sen line (the forecaster's own): the trend of the difference and its level at `end`.
  forecast::ForecastOptions fo;
  fo.step_ns = step_ns;
  auto line = forecast::Fit(forecast::Method::kTheilSen, dt, dv, fo);
  if (!line.ok()) return std::nullopt;  // too few matching points, or too many gaps
  const double slope = (*line)->Evidence().trend_per_hour;
  const forecast::ForecastBand next = (*line)->Predict(end, step_ns, step_ns);
  if (next.p50.empty()) return std::nullopt;
  const double offset = next.p50.front() - slope * static_cast<double>(step_ns) / (3600.0 * kNanosPerSecond);
  for (int64_t h = step_ns; h <= horizon_ns; h += step_ns) {
    const int64_t k = h / period_ns + 1;  // periods back to a time in the history
    auto base = ValueNear(t, v, end + h - k * period_ns, step_ns);
    if (!base) continue;
    const double value = *base + static_cast<double>(k) * offset +
                         slope * static_cast<double>(h) / (3600.0 * kNanosPerSecond);
    if (d == Direction::kAbove ? value >= limit : value <= limit) return true;
  }
  return false;
}

LimitEvaluation EvaluateLimit(std::span<const TimestampNs> t, std::span<const double> v, double limit, Direction d,
                              bool counter, TimestampNs now, const ForecastStageOptions& o) {
  LimitEvaluation ev;
  ev.limit = limit;
  if (!v.empty() && std::isfinite(v.back())) ev.current = v.back();
  forecast::ForecastOptions fo;
  fo.step_ns = o.settings.step_ns;
  fo.counter = counter;
  // A leak shows as a trend change at the very end of the history; Prophet's default keeps changepoints
  // out of the last 20 %, which would hide it for hours.
  fo.changepoint_range = 0.98;
  auto fitted = forecast::FitBest(t, v, fo);
  if (!fitted.ok()) {
    ev.reason = fitted.status().message();
    return ev;
  }
  ev.model = std::shared_ptr<const forecast::Model>(std::move(*fitted));

  // The full-history model is chosen by how well it forecast the past; a leak is a new regime that the
  // past does not contain. So robust linear trends over recent windows (as predict_linear does) compete
  // with it on the last stretch, held out: whichever forecast that stretch best is used. Short windows
  // catch a ramp that began an hour ago; long ones are steadier when nothing changed.
  const int64_t holdout = o.trend_holdout_ns;
  int64_t chosen_window = 0;  // the recent window whose Theil-Sen line won, 0 for the history model
  if (!t.empty() && holdout > 0) {
    const TimestampNs cut = t.back() - holdout;
    const size_t cut_at = std::upper_bound(t.begin(), t.end(), cut) - t.begin();
    auto history_head = cut_at >= fo.min_points ? forecast::FitBest(t.first(cut_at), v.first(cut_at), fo)
                                                : Result<std::unique_ptr<forecast::Model>>(Status::FailedPrecondition("short"));
    if (history_head.ok()) {
      auto ht = t.subspan(cut_at);
      auto hv = v.subspan(cut_at);
      double best = HoldoutError(**history_head, t[cut_at - 1], ht, hv, fo.step_ns);
      for (int64_t window : o.trend_windows_ns) {
        if (t.back() - t.front() <= window + holdout) continue;
        const size_t head_begin = std::lower_bound(t.begin(), t.end(), cut - window) - t.begin();
        auto head = forecast::Fit(forecast::Method::kTheilSen, t.subspan(head_begin, cut_at - head_begin),
                                  v.subspan(head_begin, cut_at - head_begin), fo);
        if (!head.ok()) continue;
        double err = HoldoutError(**head, t[cut_at - 1], ht, hv, fo.step_ns);
        if (!(err < best)) continue;
        const size_t begin = std::lower_bound(t.begin(), t.end(), t.back() - window) - t.begin();
        auto full = forecast::Fit(forecast::Method::kTheilSen, t.subspan(begin), v.subspan(begin), fo);
        if (!full.ok()) continue;
        best = err;
        ev.model = std::shared_ptr<const forecast::Model>(std::move(*full));
        chosen_window = window;
      }
    }
  }
  ev.current = ev.model->last_value();
  ev.crossing = forecast::TimeToCrossing(*ev.model, limit, d, now, o.settings.horizon_ns, o.settings.step_ns, o.paths);
  if (!ev.crossing.already) {
    // The ETA is when the expected level reaches the limit: the median forecast's crossing. Sample paths
    // carry per-step noise, and the first passage of a noisy path comes early by a few noise widths,
    // which the level does not. The interval is the wider of the paths' and the band's (P90 of the
    // value crossing gives the earliest time, P10 the latest).
    forecast::ForecastBand band = ev.model->Predict(now, o.settings.horizon_ns, o.settings.step_ns);
    auto first = [&](const std::vector<double>& x) -> std::optional<TimestampNs> {
      for (size_t i = 0; i < x.size(); ++i) {
        if (d == Direction::kAbove ? x[i] >= limit : x[i] <= limit) return band.t[i];
      }
      return std::nullopt;
    };
    const auto mid = first(band.p50);
    const auto early = first(d == Direction::kAbove ? band.p90 : band.p10);
    const auto late = first(d == Direction::kAbove ? band.p10 : band.p90);
    forecast::Crossing& c = ev.crossing;
    c.p50 = mid;
    if (early && (!c.p10 || *early < *c.p10)) c.p10 = early;
    if (!late) {
      c.p90.reset();  // the pessimistic bound never gets there within the horizon
    } else if (c.p90 && *late > *c.p90) {
      c.p90 = late;
    }
    // A recent line's band holds only its residual noise; on a smooth fill that is tiny, and the slope
    // itself is the uncertain part. The slopes of the window's two halves bound it: the ETA at the
    // steeper one is the earliest, at the flatter one the latest (beyond the horizon if it is flat).
    if (chosen_window > 0 && c.p50) {
      const TimestampNs halfway = t.back() - chosen_window / 2;
      const size_t a = std::lower_bound(t.begin(), t.end(), t.back() - chosen_window) - t.begin();
      const size_t m = std::lower_bound(t.begin(), t.end(), halfway) - t.begin();
      auto first_half = forecast::Fit(forecast::Method::kTheilSen, t.subspan(a, m - a), v.subspan(a, m - a), fo);
      auto second_half = forecast::Fit(forecast::Method::kTheilSen, t.subspan(m), v.subspan(m), fo);
      if (first_half.ok() && second_half.ok()) {
        const double slope = ev.model->Evidence().trend_per_hour;
        const double s1 = (*first_half)->Evidence().trend_per_hour, s2 = (*second_half)->Evidence().trend_per_hour;
        const double steep = d == Direction::kAbove ? std::max({slope, s1, s2}) : std::min({slope, s1, s2});
        const double flat = d == Direction::kAbove ? std::min({slope, s1, s2}) : std::max({slope, s1, s2});
        const double level = band.p50.empty() ? ev.model->last_value() : band.p50.front();
        const double gap = limit - level;
        auto eta_at = [&](double per_hour) -> std::optional<TimestampNs> {
          if (per_hour == 0 || (gap > 0) != (per_hour > 0)) return std::nullopt;
          const double hours = gap / per_hour;
          const int64_t ns = static_cast<int64_t>(hours * 3600.0 * kNanosPerSecond);
          if (!std::isfinite(hours) || ns > o.settings.horizon_ns) return std::nullopt;
          return now + ns;
        };
        if (auto e = eta_at(steep); e && (!c.p10 || *e < *c.p10)) c.p10 = e;
        auto l = eta_at(flat);
        if (!l) {
          c.p90.reset();
        } else if (c.p90 && *l > *c.p90) {
          c.p90 = l;
        }
      }
    }
    // No interval narrower than the ETA error the forecaster has shown: calibrated on the simulator's
    // exhaustion scenarios with another seed than the evaluation (80th percentile of |P50 - truth| / TTF:
    // 0.17), so "80 %" means about that on data like it.
    if (c.p50 && o.eta_min_relative_error > 0 && o.eta_min_relative_error < 1) {
      const double ahead = static_cast<double>(*c.p50 - now);
      const auto lo = now + static_cast<int64_t>(ahead / (1 + o.eta_min_relative_error));
      const auto hi = now + static_cast<int64_t>(ahead / (1 - o.eta_min_relative_error));
      if (!c.p10 || *c.p10 > lo) c.p10 = lo;
      if (c.p90 && *c.p90 < hi) c.p90 = hi <= now + o.settings.horizon_ns ? std::optional<TimestampNs>(hi) : std::nullopt;
    }
    if (c.p50 && c.p10 && *c.p10 > *c.p50) c.p10 = c.p50;
    if (c.p50 && c.p90 && *c.p90 < *c.p50) c.p90 = c.p50;
  }
  ev.severity = ForecastSeverity(ev.crossing, now, o.settings);
  // "Likely to hit" needs the median forecast to get there within the horizon, not only noisy paths.
  ev.predicted = ev.crossing.already || (ev.crossing.probability >= o.settings.min_probability && ev.crossing.p50);
  // ... and, given a day of history, yesterday's shape at these hours must get there too.
  if (ev.predicted && !ev.crossing.already) {
    auto seasonal = SeasonalCrossing(t, v, limit, d, o.settings.horizon_ns, o.settings.step_ns, o.seasonal_period_ns,
                                     o.seasonal_window_ns);
    if (seasonal && !*seasonal) {
      ev.predicted = false;
      ev.severity = Severity::kInfo;
      ev.note = "the rise repeats the same hours one period earlier, whose shape does not reach the limit "
                "within the horizon (a daily pattern, not a trend)";
    }
  }
  return ev;
}

// ---- the stage ----

struct ForecastStage::Tracked {
  SeriesId id = 0;
  Labels labels;
  const LimitRule* rule = nullptr;
  std::string entity;
  std::string metric;
  std::string resource;      // MetricKey: metric plus distinguishing labels, e.g. host_disk_used_bytes{mountpoint=/}
  bool simulated = false;
  SeriesId threshold_id = 0;  // the companion series, once found
  int hits = 0;               // consecutive passes with a crossing predicted
  int misses = 0;             // consecutive passes without
  std::optional<Prediction> open;
  json result;                // published under mu_
};

ForecastStage::ForecastStage(ForecastStageOptions options, const Clock& clock, storage::SampleStore& samples,
                             storage::RecordStore& records, alerting::AlertManager& alerts, SelfMetrics& metrics)
    : options_(std::move(options)),
      clock_(clock),
      samples_(samples),
      records_(records),
      alerts_(alerts),
      fits_total_(metrics.GetCounter("foresight_forecast_fits_total", "Forecast fits of limited series.")),
      fit_failures_(metrics.GetCounter("foresight_forecast_unforecastable_total",
                                       "Evaluations of a limited series that could not be forecast (reason in /api/v1/forecasts).")),
      predictions_opened_(metrics.GetCounter("foresight_forecast_predictions_opened_total",
                                             "Time-to-failure predictions opened.")),
      pass_seconds_(metrics.GetGauge("foresight_forecast_pass_seconds", "Duration of the last pass over limited series.")),
      series_watched_(metrics.GetGauge("foresight_forecast_series", "Limited series being forecast.")) {}

ForecastStage::~ForecastStage() = default;

void ForecastStage::RunOnce() {
  const TimestampNs now = clock_.NowNs();
  auto t0 = std::chrono::steady_clock::now();
  // Discover the series each rule selects; the first rule that claims a series wins (config before built-in).
  for (const LimitRule& rule : options_.limits) {
    auto selected = samples_.Select(rule.matchers);
    if (!selected.ok()) {
      spdlog::warn("forecast: limit \"{}\": {}", rule.name, selected.status().ToString());
      continue;
    }
    for (auto& s : *selected) {
      if (tracked_.count(s.id)) continue;
      auto tr = std::make_unique<Tracked>();
      tr->id = s.id;
      tr->rule = &rule;
      tr->entity = EntityOf(s.labels);
      tr->metric = MetricName(s.labels);
      tr->resource = features::MetricKey(s.labels);
      tr->simulated = s.labels.Get(kSimulatedLabel) == "true";
      tr->labels = std::move(s.labels);
      if (tr->entity.empty()) continue;  // not attributable to anything a prediction could name
      std::lock_guard lock(mu_);
      tracked_.emplace(tr->id, std::move(tr));
    }
  }
  series_watched_.Set(static_cast<double>(tracked_.size()));
  for (auto& [id, tr] : tracked_) Evaluate(*tr, now);
  pass_seconds_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

std::optional<double> ForecastStage::ThresholdOf(Tracked& tr, TimestampNs now) {
  if (tr.rule->threshold) return tr.rule->threshold;
  if (tr.threshold_id == 0) {
    std::vector<storage::LabelMatcher> m;
    for (const auto& l : tr.labels) {
      if (l.name == kMetricNameLabel) continue;
      m.push_back({l.name, storage::MatchOp::kEqual, l.value});
    }
    m.push_back({std::string(kMetricNameLabel), storage::MatchOp::kEqual, tr.rule->threshold_metric});
    auto found = samples_.Select(m);
    if (!found.ok() || found->empty()) return std::nullopt;
    // Select matches supersets of labels too; the companion must have exactly the same label count.
    for (const auto& s : *found) {
      if (s.labels.size() == tr.labels.size()) tr.threshold_id = s.id;
    }
    if (tr.threshold_id == 0) return std::nullopt;
  }
  std::vector<Sample> recent;
  const int64_t lookback = std::max<int64_t>(15 * 60 * kNanosPerSecond, 3 * options_.settings.interval_ns);
  if (!samples_.ReadRange(tr.threshold_id, now - lookback, now, &recent).ok() || recent.empty()) return std::nullopt;
  double v = recent.back().value;
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

void ForecastStage::Evaluate(Tracked& tr, TimestampNs now) {
  const auto& s = options_.settings;
  const LimitRule& rule = *tr.rule;
  json r = {{"series", tr.labels.ToString()},
            {"entity", tr.entity},
            {"metric", tr.metric},
            {"resource", tr.resource},
            {"rule", rule.name},
            {"limit_source", rule.threshold ? rule.source : rule.threshold_metric},
            {"direction", rule.direction == Direction::kAbove ? "above" : "below"},
            {"simulated", tr.simulated},
            {"evaluated_at", now / kNanosPerMilli},
            {"limit", nullptr},
            {"method", nullptr},
            {"mase", nullptr},
            {"band", json::array()},
            {"eta", nullptr},
            {"eta_low", nullptr},
            {"eta_high", nullptr},
            {"probability", nullptr},
            {"severity", nullptr},
            {"reason", nullptr}};
  LimitEvaluation ev;
  std::optional<double> limit = ThresholdOf(tr, now);
  if (!limit) {
    ev.reason = "no recent value of the limit series " + rule.threshold_metric;
  } else if (rule.direction == Direction::kAbove && *limit <= 0) {
    ev.reason = "the limit is " + FormatValue(tr.metric, *limit) + " (nothing to exhaust)";
  } else {
    auto buckets = samples_.ReadDownsampled(tr.id, now - s.history_ns, now, s.step_ns);
    if (!buckets.ok()) {
      ev.reason = "read: " + buckets.status().message();
    } else {
      std::vector<TimestampNs> t;
      std::vector<double> v;
      t.reserve(buckets->size());
      v.reserve(buckets->size());
      for (const auto& b : *buckets) {
        t.push_back(b.start);
        v.push_back(rule.counter ? b.last : b.mean());
      }
      ev = EvaluateLimit(t, v, *limit, rule.direction, rule.counter, now, options_);
      fits_total_.Inc();
    }
  }
  if (!ev.model) fit_failures_.Inc();
  if (limit) r["limit"] = Num(*limit);
  if (ev.model) {
    const forecast::ModelEvidence e = ev.model->Evidence();
    r["method"] = forecast::MethodName(ev.model->method());
    r["mase"] = Num(ev.model->backtest_mase());
    r["current"] = Num(ev.current);
    r["trend_per_hour"] = Num(e.trend_per_hour);
    const int64_t band_step = std::max<int64_t>(s.step_ns, s.horizon_ns / std::max(1, options_.band_points));
    forecast::ForecastBand band = ev.model->Predict(now, s.horizon_ns, band_step);
    for (size_t i = 0; i < band.t.size(); ++i) {
      r["band"].push_back({{"t", band.t[i] / kNanosPerMilli}, {"p10", Num(band.p10[i])}, {"p50", Num(band.p50[i])},
                           {"p90", Num(band.p90[i])}});
    }
    r["eta"] = Ms(ev.crossing.p50);
    r["eta_low"] = Ms(ev.crossing.p10);
    r["eta_high"] = Ms(ev.crossing.p90);
    r["probability"] = Num(ev.crossing.probability);
    r["already"] = ev.crossing.already;
    r["severity"] = ev.predicted ? json(SeverityName(ev.severity)) : json(nullptr);
    if (!ev.note.empty()) r["note"] = ev.note;
  } else {
    r["reason"] = ev.reason;
  }
  {
    std::lock_guard lock(mu_);
    tr.result = std::move(r);
  }
  UpdatePrediction(tr, ev, now);
}

void ForecastStage::UpdatePrediction(Tracked& tr, const LimitEvaluation& ev, TimestampNs now) {
  const bool predicted = ev.model && ev.predicted;
  if (predicted) {
    ++tr.hits;
    tr.misses = 0;
  } else {
    ++tr.misses;
    tr.hits = 0;
  }
  std::optional<Prediction> to_store;
  bool offer = false;
  {
    std::lock_guard lock(mu_);
    if (!tr.open) {
      if (!predicted || (tr.hits < options_.confirm_passes && !ev.crossing.already)) return;
      Prediction p;
      p.id = tr.entity + ":forecast:" + tr.resource + ":" + std::to_string(now / kNanosPerSecond);
      p.entity = tr.entity;
      p.kind = "forecast";
      p.resource = tr.resource;
      p.created_at = now;
      p.simulated = tr.simulated;
      tr.open = std::move(p);
      predictions_opened_.Inc();
      offer = true;  // if it is warning or worse (below)
    } else if (!predicted) {
      if (tr.misses < options_.clear_passes) return;
      tr.open->updated_at = now;
      tr.open->closed_at = now;
      to_store = std::move(*tr.open);
      tr.open.reset();
    }
    if (!to_store) {
      Prediction& p = *tr.open;
      const Severity before = offer ? Severity::kInfo : p.severity;
      const forecast::ModelEvidence e = ev.model->Evidence();
      const forecast::Crossing& c = ev.crossing;
      const bool above = tr.rule->direction == Direction::kAbove;
      p.score = c.already ? 1.0 : c.probability;
      p.severity = ev.severity;
      p.eta = c.already ? std::optional<TimestampNs>(now) : c.p50;
      p.eta_low = c.already ? std::optional<TimestampNs>(now) : c.p10;
      p.eta_high = c.already ? std::optional<TimestampNs>(now) : c.p90;
      p.probability = c.already ? 1.0 : c.probability;
      p.model = ModelRef{"forecast/" + std::string(forecast::MethodName(ev.model->method())), 0};
      p.updated_at = now;

      const std::string lim = FormatValue(tr.metric, ev.limit);
      std::string headline;
      if (c.already) {
        headline = tr.entity + " " + tr.resource + " is past its limit (" + lim + ") now";
      } else {
        headline = tr.entity + " likely to " + (above ? "hit" : "fall to") + " its " + tr.resource + " limit (" + lim +
                   ")";
        if (c.p50) headline += " in " + FormatDurationHuman(*c.p50 - now);
        std::string lo = c.p10 ? FormatDurationHuman(*c.p10 - now) : "now";
        std::string hi = c.p90 ? FormatDurationHuman(*c.p90 - now) : "beyond " + FormatDurationHuman(options_.settings.horizon_ns);
        headline += " (80%: " + lo + " - " + hi + ")";
      }
      // Why: where it is, how fast it moves, what repeats, and which model says so.
      std::string why = tr.resource + " at " + FormatValue(tr.metric, ev.current) + " (limit " + lim + "), trend " +
                        FormatRate(tr.metric, e.trend_per_hour);
      for (const auto& sea : e.seasonality) {
        why += ", " + std::string(sea.period_s == 86400 ? "daily" : sea.period_s == 7 * 86400 ? "weekly" : "periodic") +
               " swing ±" + FormatValue(tr.metric, sea.amplitude);
      }
      why += "; " + std::string(forecast::MethodName(ev.model->method()));
      if (std::isfinite(e.mase)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", e.mase);
        why += " (backtest MASE " + std::string(buf) + ")";
      }
      p.evidence = why;
      // Attributions: the share of the distance to the limit the trend covers by the ETA, the rest is
      // seasonality and noise.
      p.attributions.clear();
      const double gap = std::fabs(ev.limit - ev.current);
      double trend_share = 1.0;
      if (!c.already && c.p50 && gap > 0) {
        const double hours = static_cast<double>(*c.p50 - now) / (3600.0 * kNanosPerSecond);
        const double toward = (above ? 1 : -1) * e.trend_per_hour * hours;
        trend_share = std::clamp(toward / gap, 0.0, 1.0);
      }
      p.attributions.push_back({tr.resource + ".trend_per_hour", std::isfinite(e.trend_per_hour) ? e.trend_per_hour : 0,
                                trend_share});
      double amplitude = 0;
      for (const auto& sea : e.seasonality) amplitude = std::max(amplitude, sea.amplitude);
      p.attributions.push_back({tr.resource + ".seasonality", amplitude, 1.0 - trend_share});
      const ActionCatalog& catalog = options_.actions ? *options_.actions : ActionCatalog::Default();
      p.actions = catalog.For(tr.resource, "forecast");
      json details = {{"headline", headline},
                      {"limit", Num(ev.limit)},
                      {"direction", above ? "above" : "below"},
                      {"limit_source", tr.rule->threshold ? tr.rule->source : tr.rule->threshold_metric},
                      {"rule", tr.rule->name},
                      {"series", tr.labels.ToString()},
                      {"current", Num(ev.current)},
                      {"horizon_s", options_.settings.horizon_ns / kNanosPerSecond},
                      {"model", ev.model->Describe()}};
      p.details_json = details.dump();
      to_store = p;
      offer = p.severity >= Severity::kWarning && (offer || p.severity > before);
    }
  }
  if (Status st = records_.PutPrediction(*to_store); !st.ok()) {
    spdlog::error("store prediction {}: {}", to_store->id, st.ToString());
    return;
  }
  if (offer) {
    auto r = alerts_.Offer(*to_store);
    if (!r.ok()) spdlog::error("alert for {}: {}", to_store->id, r.status().ToString());
  }
}

json ForecastStage::ForecastsJson(const std::string& entity) const {
  json out = json::array();
  std::lock_guard lock(mu_);
  for (const auto& [id, tr] : tracked_) {
    if (!entity.empty() && tr->entity != entity) continue;
    if (tr->result.is_null()) continue;  // discovered, not evaluated yet
    json r = tr->result;
    r["prediction_id"] = tr->open ? json(tr->open->id) : json(nullptr);
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, ForecastStage::EntitySummary> ForecastStage::Summaries() const {
  std::map<std::string, EntitySummary> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, tr] : tracked_) {
    if (!tr->open) continue;
    EntitySummary& s = out[tr->entity];
    ++s.open;
    if (tr->open->eta && (!s.soonest_eta || *tr->open->eta < *s.soonest_eta)) s.soonest_eta = tr->open->eta;
  }
  return out;
}

}  // namespace foresight::app

// Cleaning, resampling, backtest selection and crossing times; the forecasters live in their own files.
#include "forecast/forecast.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "forecast/internal/common.h"

namespace foresight::forecast {

using internal::Grid;
using internal::Series;

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kTheilSen: return "theil_sen";
    case Method::kHoltWinters: return "holt_winters";
    case Method::kHoltWintersDamped: return "holt_winters_damped";
    case Method::kProphet: return "prophet";
  }
  return "unknown";
}

std::optional<Method> ParseMethod(std::string_view name) {
  for (Method m : {Method::kTheilSen, Method::kHoltWinters, Method::kHoltWintersDamped, Method::kProphet}) {
    if (MethodName(m) == name) return m;
  }
  return std::nullopt;
}

ModelEvidence Model::Evidence() const {
  ModelEvidence e;
  e.method = method();
  e.mase = mase_;
  e.points = points_;
  e.fitted_from = from_;
  e.fitted_to = to_;
  e.last_value = last_value_;
  FillEvidence(e);
  e.trend_per_hour = internal::Finite(e.trend_per_hour);
  e.residual_sd = internal::Finite(e.residual_sd);
  for (auto& s : e.seasonality) s.amplitude = internal::Finite(s.amplitude);
  return e;
}

nlohmann::json Model::Describe() const { return ToJson(Evidence()); }

nlohmann::json ToJson(const ModelEvidence& e) {
  nlohmann::json j;
  j["method"] = std::string(MethodName(e.method));
  j["trend_per_hour"] = internal::Finite(e.trend_per_hour);
  auto seas = nlohmann::json::array();
  for (const auto& s : e.seasonality) {
    seas.push_back({{"period_s", s.period_s}, {"amplitude", internal::Finite(s.amplitude)}});
  }
  j["seasonality"] = std::move(seas);
  j["last_changepoint"] = e.last_changepoint ? nlohmann::json(*e.last_changepoint) : nlohmann::json(nullptr);
  j["mase"] = std::isfinite(e.mase) ? nlohmann::json(e.mase) : nlohmann::json(nullptr);
  j["residual_sd"] = internal::Finite(e.residual_sd);
  j["points"] = e.points;
  j["fitted_from"] = e.fitted_from;
  j["fitted_to"] = e.fitted_to;
  j["last_value"] = internal::Finite(e.last_value);
  return j;
}

namespace internal {

double Quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  std::nth_element(v.begin(), v.begin() + lo, v.end());
  double a = v[lo];
  if (hi == lo) return a;
  double b = *std::min_element(v.begin() + lo + 1, v.end());
  return a + (b - a) * (pos - static_cast<double>(lo));
}

double Median(std::vector<double> v) { return Quantile(v, 0.5); }

std::vector<int64_t> UsablePeriods(size_t n, int64_t step, const ForecastOptions& o) {
  std::vector<int64_t> out;
  for (int64_t p : o.seasonal_periods_ns) {
    if (p <= 0 || step <= 0) continue;
    int64_t m = (p + step / 2) / step;
    if (m >= 2 && static_cast<int64_t>(n) >= 2 * m &&
        std::find(out.begin(), out.end(), m) == out.end()) {
      out.push_back(m);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

OutGrid MakeOutGrid(TimestampNs from, int64_t horizon_ns, int64_t step_ns, TimestampNs origin,
                    int64_t model_step) {
  OutGrid g;
  if (step_ns <= 0) step_ns = model_step;
  if (step_ns <= 0 || horizon_ns < step_ns) return g;
  constexpr int64_t kMaxPoints = 1'000'000;
  int64_t n = std::min<int64_t>(horizon_ns / step_ns, kMaxPoints);
  g.t.reserve(n);
  g.h.reserve(n);
  for (int64_t i = 1; i <= n; ++i) {
    TimestampNs t = from + i * step_ns;
    g.t.push_back(t);
    g.h.push_back(static_cast<double>(t - origin) / static_cast<double>(model_step));
  }
  return g;
}

namespace {
std::string Duration(int64_t ns) {
  int64_t s = ns / kNanosPerSecond;
  if (s % 86400 == 0 && s > 0) return fmt::format("{}d", s / 86400);
  if (s % 3600 == 0 && s > 0) return fmt::format("{}h", s / 3600);
  if (s % 60 == 0 && s > 0) return fmt::format("{}min", s / 60);
  if (s > 0) return fmt::format("{}s", s);
  return fmt::format("{}ns", ns);
}
}  // namespace

Result<Grid> Prepare(std::span<const TimestampNs> t, std::span<const double> v, const ForecastOptions& o) {
  if (t.size() != v.size()) {
    return Status::InvalidArgument(fmt::format("{} timestamps but {} values", t.size(), v.size()));
  }
  if (o.step_ns <= 0) return Status::InvalidArgument("step_ns must be positive");
  std::vector<size_t> idx;
  idx.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    if (std::isfinite(v[i])) idx.push_back(i);
  }
  if (idx.empty()) {
    if (t.empty()) return Status::FailedPrecondition(fmt::format("0 points, need {}", o.min_points));
    return Status::FailedPrecondition(fmt::format("no finite values ({} samples, all NaN or infinite)", t.size()));
  }
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return t[a] < t[b]; });

  // Counter resets: a decrease means the counter restarted from zero, so everything after it is shifted
  // up by the value before the reset (Prometheus' rate() does the same).
  std::vector<double> val(idx.size());
  size_t resets = 0;
  double offset = 0;
  for (size_t k = 0; k < idx.size(); ++k) {
    double x = v[idx[k]];
    if (o.counter && k > 0 && x < v[idx[k - 1]]) {
      offset += v[idx[k - 1]];
      ++resets;
    }
    val[k] = x + offset;
  }
  if (o.counter && resets > o.max_counter_resets) {
    return Status::FailedPrecondition(
        fmt::format("{} counter resets in the history (at most {}): the series restarts too often to forecast",
                    resets, o.max_counter_resets));
  }

  const int64_t step = o.step_ns;
  TimestampNs tmin = t[idx.front()], tmax = t[idx.back()];
  auto floor_div = [](int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); };
  TimestampNs t0 = floor_div(tmin, step) * step;
  // Spans beyond ~10 M buckets are refused rather than allocated.
  long double span_buckets = static_cast<long double>(tmax - t0) / static_cast<long double>(step);
  if (span_buckets > 1e7) {
    return Status::FailedPrecondition(
        fmt::format("history spans {:.0f} buckets of {}; use a larger step", static_cast<double>(span_buckets),
                    Duration(step)));
  }
  size_t nb = static_cast<size_t>((tmax - t0) / step) + 1;
  std::vector<double> sum(nb, 0.0);
  std::vector<uint32_t> cnt(nb, 0);
  for (size_t k = 0; k < idx.size(); ++k) {
    size_t b = static_cast<size_t>((t[idx[k]] - t0) / step);
    sum[b] += val[k];
    ++cnt[b];
  }
  size_t present = 0;
  for (auto c : cnt) present += c > 0;
  if (present < o.min_points) {
    return Status::FailedPrecondition(fmt::format("{} points, need {}", present, o.min_points));
  }
  size_t missing = nb - present;
  double gap_fraction = static_cast<double>(missing) / static_cast<double>(nb);
  if (gap_fraction > o.max_gap_fraction) {
    return Status::FailedPrecondition(
        fmt::format("too many gaps: {:.0f}% of the {} buckets are empty (at most {:.0f}%)", gap_fraction * 100,
                    Duration(step), o.max_gap_fraction * 100));
  }
  Grid g;
  g.t0 = t0;
  g.step = step;
  g.missing = missing;
  g.resets = resets;
  g.y.resize(nb);
  size_t prev = 0;  // last present bucket; bucket 0 is always present
  for (size_t b = 0; b < nb; ++b) {
    if (cnt[b] == 0) continue;
    g.y[b] = sum[b] / cnt[b];
    for (size_t k = prev + 1; k < b; ++k) {  // linear interpolation across the gap
      double f = static_cast<double>(k - prev) / static_cast<double>(b - prev);
      g.y[k] = g.y[prev] + f * (g.y[b] - g.y[prev]);
    }
    prev = b;
  }
  auto [mn, mx] = std::minmax_element(g.y.begin(), g.y.end());
  double scale = std::max(std::fabs(*mn), std::fabs(*mx));
  if (!(*mx - *mn > 1e-12 * std::max(scale, 1e-300)) || !std::isfinite(*mx - *mn)) {
    if (!std::isfinite(*mx - *mn)) {
      return Status::FailedPrecondition("values too large to forecast (the range overflows)");
    }
    return Status::FailedPrecondition(fmt::format("constant series: all {} points equal {}", nb, *mn));
  }
  return g;
}

Result<std::unique_ptr<Model>> FitMethod(Method m, const Series& s, const ForecastOptions& o, FitCarry* carry) {
  switch (m) {
    case Method::kTheilSen: return FitTheilSen(s, o);
    case Method::kHoltWinters: return FitHoltWinters(s, o, false, carry ? &carry->hw : nullptr);
    case Method::kHoltWintersDamped: return FitHoltWinters(s, o, true, carry ? &carry->hw : nullptr);
    case Method::kProphet: return FitProphet(s, o);
  }
  return Status::InvalidArgument("unknown method");
}

}  // namespace internal

namespace {

// Hyndman's MASE scale: the in-sample mean absolute error of the (seasonal) naive forecast.
double MaseScale(std::span<const double> y, int64_t lag) {
  if (lag < 1 || static_cast<size_t>(lag) >= y.size()) lag = 1;
  double s = 0;
  size_t n = 0;
  for (size_t i = static_cast<size_t>(lag); i < y.size(); ++i, ++n) s += std::fabs(y[i] - y[i - lag]);
  return n ? s / static_cast<double>(n) : 0.0;
}

struct BacktestPlan {
  std::vector<size_t> origins;  // training sizes
  size_t horizon = 0;           // grid steps
};

BacktestPlan PlanBacktest(size_t n, int64_t step, const ForecastOptions& o) {
  BacktestPlan p;
  size_t h = o.backtest_horizon_ns > 0 ? static_cast<size_t>(std::max<int64_t>(1, o.backtest_horizon_ns / step))
                                       : std::max<size_t>(1, n / 5);
  int folds = std::max(1, o.backtest_folds);
  // Origins end the last fold at the end of the history and step back by half a horizon.
  size_t stride = std::max<size_t>(1, h / 2);
  for (int f = folds - 1; f >= 0; --f) {
    size_t back = h + static_cast<size_t>(f) * stride;
    if (back >= n) continue;
    size_t origin = n - back;
    if (origin < o.min_points) continue;
    p.origins.push_back(origin);
  }
  p.horizon = h;
  return p;
}

double Backtest(Method m, const Grid& g, const BacktestPlan& plan, const ForecastOptions& o,
                internal::FitCarry* carry) {
  double total = 0;
  int used = 0;
  for (size_t origin : plan.origins) {  // growing prefixes, so each fit can start from the previous one
    internal::Series train{g.t0, g.step, std::span<const double>(g.y).subspan(0, origin)};
    auto model = internal::FitMethod(m, train, o, carry);
    if (!model.ok()) continue;
    size_t h = std::min(plan.horizon, g.y.size() - origin);
    std::vector<double> p50 =
        internal::ModelAccess::PredictMedian(**model, train.last_time(), static_cast<int64_t>(h) * g.step, g.step);
    auto periods = internal::UsablePeriods(origin, g.step, o);
    double scale = MaseScale(train.y, periods.empty() ? 1 : periods.front());
    if (!(scale > 0)) continue;
    double err = 0;
    size_t k = 0;
    for (; k < h && k < p50.size(); ++k) err += std::fabs(g.y[origin + k] - p50[k]);
    if (k == 0) continue;
    double mase = err / static_cast<double>(k) / scale;
    if (!std::isfinite(mase)) continue;
    total += mase;
    ++used;
  }
  return used ? total / used : std::numeric_limits<double>::infinity();
}

}  // namespace

Result<std::unique_ptr<Model>> Fit(Method m, std::span<const TimestampNs> t, std::span<const double> v,
                                   const ForecastOptions& o) {
  FS_ASSIGN_OR_RETURN(Grid g, internal::Prepare(t, v, o));
  return internal::FitMethod(m, internal::Series{g.t0, g.step, g.y}, o);
}

Result<std::unique_ptr<Model>> FitBest(std::span<const TimestampNs> t, std::span<const double> v,
                                       const ForecastOptions& o) {
  if (o.candidates.empty()) return Status::InvalidArgument("no candidate methods");
  FS_ASSIGN_OR_RETURN(Grid g, internal::Prepare(t, v, o));
  BacktestPlan plan = PlanBacktest(g.y.size(), g.step, o);
  // The lowest MASE wins; ties (and the no-backtest case) go to the earlier candidate.
  std::vector<std::pair<double, size_t>> ranked;  // (MASE, index into candidates)
  std::vector<internal::FitCarry> carry(o.candidates.size());
  for (size_t i = 0; i < o.candidates.size(); ++i) {
    ranked.emplace_back(Backtest(o.candidates[i], g, plan, o, &carry[i]), i);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  internal::Series all{g.t0, g.step, g.y};
  Status last = Status::Internal("no candidate could be fitted");
  for (const auto& [mase, i] : ranked) {
    auto model = internal::FitMethod(o.candidates[i], all, o, &carry[i]);
    if (!model.ok()) {
      last = model.status();
      continue;
    }
    internal::ModelAccess::SetMase(**model, mase);
    return model;
  }
  return last;
}

Crossing TimeToCrossing(const Model& m, double limit, Direction d, TimestampNs now, int64_t horizon_ns,
                        int64_t step_ns, int paths, uint64_t seed) {
  CrossingOptions co;
  co.paths = paths;
  co.seed = seed;
  return TimeToCrossing(m, limit, d, now, horizon_ns, step_ns, co);
}

Crossing TimeToCrossing(const Model& m, double limit, Direction d, TimestampNs now, int64_t horizon_ns,
                        int64_t step_ns, const CrossingOptions& co) {
  const int paths = co.paths;
  Crossing c;
  auto past = [&](double x) { return d == Direction::kAbove ? x >= limit : x <= limit; };
  if (past(m.last_value())) {
    c.already = true;
    c.probability = 1;
    c.p10 = c.p50 = c.p90 = now;
    return c;
  }
  if (step_ns <= 0) step_ns = m.step_ns();
  if (paths <= 0 || step_ns <= 0 || horizon_ns < step_ns) return c;
  auto samples = co.level ? m.SampleLevelPaths(now, horizon_ns, step_ns, paths, co.seed)
                          : m.SamplePaths(now, horizon_ns, step_ns, paths, co.seed);
  std::vector<double> first;  // crossing offsets in steps; +inf when a path never crosses
  first.reserve(samples.size());
  size_t crossed = 0;
  for (const auto& p : samples) {
    double when = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < p.size(); ++i) {
      if (past(p[i])) {
        when = static_cast<double>(i + 1);
        break;
      }
    }
    crossed += std::isfinite(when);
    first.push_back(when);
  }
  if (first.empty()) return c;
  c.probability = static_cast<double>(crossed) / static_cast<double>(first.size());
  std::sort(first.begin(), first.end());
  auto at = [&](double q) -> std::optional<TimestampNs> {
    // The q-quantile over all paths (non-crossing ones count as +inf), lower order statistic.
    size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(first.size()))) ;
    k = std::clamp<size_t>(k, 1, first.size()) - 1;
    if (!std::isfinite(first[k])) return std::nullopt;
    return now + static_cast<int64_t>(first[k]) * step_ns;
  };
  c.p10 = at(0.1);
  c.p50 = at(0.5);
  c.p90 = at(0.9);
  return c;
}

}  // namespace foresight::forecast

// foresight-forecast: fits a forecaster on the head of a timestamp,value CSV and forecasts the held-out
// tail; the C++ side of bench/forecast_vs_prophet.py.
//   foresight-forecast --input series.csv [--holdout 0.1] [--method best|theil_sen|holt_winters|
//                      holt_winters_damped|prophet] [--step 5m] [--max-gap-fraction 0.2] [--emit-forecast]
// CSV: a header line, then "timestamp,value" rows; timestamps as Unix seconds, RFC 3339 or NAB's
// "YYYY-MM-DD HH:MM:SS" (UTC). Prints one JSON object on stdout: method, points, fit_seconds and
// fit_cpu_seconds (wall and CPU time of the fit alone, backtest included for "best"), mase (mean absolute error on the tail divided by the
// in-sample mean absolute lag-1 difference of the head), and with --emit-forecast the forecast at the
// tail's timestamps. Exit 2 on bad arguments, an unreadable file or a series that cannot be forecast
// (the JSON then carries "error" with the reason).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time_util.h"
#include "forecast/forecast.h"

namespace fs = foresight;
namespace fc = foresight::forecast;

namespace {

int Fail(const std::string& why) {
  std::cout << nlohmann::json{{"error", why}}.dump() << "\n";
  std::cerr << "foresight-forecast: " << why << "\n";
  return 2;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '"')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '"')) ++b;
  return s.substr(b);
}

fs::Result<fs::TimestampNs> ParseTime(std::string text) {
  if (text.size() == 19 && text[10] == ' ') {
    text[10] = 'T';
    text += 'Z';
  }
  return fs::ParseTimestamp(text, 0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fit a forecaster on the head of a timestamp,value CSV and forecast the held-out tail"};
  std::string input, method_name = "best", step_text;
  double holdout = 0.1;
  bool emit = false;
  app.add_option("--input", input, "timestamp,value CSV with a header line")->required();
  app.add_option("--holdout", holdout, "fraction of the rows held out at the end")->check(CLI::Range(0.01, 0.9));
  app.add_option("--method", method_name, "best (backtest selection) or one method");
  app.add_option("--step", step_text, "resampling step (e.g. 5m); default: the median spacing of the rows");
  app.add_flag("--emit-forecast", emit, "include the forecast at the tail's timestamps");
  double max_gap = fc::ForecastOptions{}.max_gap_fraction;
  app.add_option("--max-gap-fraction", max_gap, "refuse when more grid buckets than this are empty")
      ->check(CLI::Range(0.0, 0.99));
  fc::ForecastOptions defaults;
  size_t hw_max_points = defaults.hw_max_points, prophet_max_points = defaults.prophet_max_points;
  app.add_option("--hw-max-points", hw_max_points, "Holt-Winters fits the last this many points (>= 3 periods)");
  app.add_option("--prophet-max-points", prophet_max_points, "Prophet-style fits at most this many rows");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::optional<fc::Method> method;
  if (method_name != "best") {
    method = fc::ParseMethod(method_name);
    if (!method) return Fail("unknown --method " + method_name);
  }

  std::ifstream in(input);
  if (!in) return Fail("cannot open " + input);
  std::vector<fs::TimestampNs> t;
  std::vector<double> v;
  std::string line;
  std::getline(in, line);  // header
  size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (Trim(line).empty()) continue;
    size_t comma = line.find(',');
    if (comma == std::string::npos) return Fail(input + ":" + std::to_string(lineno) + ": expected timestamp,value");
    auto ts = ParseTime(Trim(line.substr(0, comma)));
    if (!ts.ok()) return Fail(input + ":" + std::to_string(lineno) + ": " + ts.status().message());
    std::string val = Trim(line.substr(comma + 1));
    double x = NAN;
    auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), x);
    if (ec != std::errc() || p != val.data() + val.size()) {
      return Fail(input + ":" + std::to_string(lineno) + ": bad value '" + val + "'");
    }
    t.push_back(*ts);
    v.push_back(x);
  }
  if (t.size() < 10) return Fail(input + ": " + std::to_string(t.size()) + " rows, need at least 10");
  // Rows in time order (NAB's are; others may not be).
  std::vector<size_t> idx(t.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return t[a] < t[b]; });
  std::vector<fs::TimestampNs> ts(t.size());
  std::vector<double> vs(t.size());
  for (size_t i = 0; i < idx.size(); ++i) ts[i] = t[idx[i]], vs[i] = v[idx[i]];

  fc::ForecastOptions o;
  o.max_gap_fraction = max_gap;
  o.hw_max_points = hw_max_points;
  o.prophet_max_points = prophet_max_points;
  if (!step_text.empty()) {
    auto d = fs::ParseDuration(step_text);
    if (!d.ok() || *d <= 0) return Fail("bad --step " + step_text);
    o.step_ns = *d;
  } else {
    std::vector<int64_t> gaps;
    for (size_t i = 1; i < ts.size(); ++i) {
      if (ts[i] > ts[i - 1]) gaps.push_back(ts[i] - ts[i - 1]);
    }
    if (gaps.empty()) return Fail(input + ": all rows share one timestamp");
    std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
    o.step_ns = gaps[gaps.size() / 2];
  }
  size_t n_test = std::max<size_t>(1, static_cast<size_t>(std::llround(holdout * static_cast<double>(ts.size()))));
  size_t n_train = ts.size() - n_test;
  std::span<const fs::TimestampNs> tt(ts.data(), n_train);
  std::span<const double> vt(vs.data(), n_train);

  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  auto start = std::chrono::steady_clock::now();
  double cpu_start = cpu_now();
  auto model = method ? fc::Fit(*method, tt, vt, o) : fc::FitBest(tt, vt, o);
  double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double fit_cpu_s = cpu_now() - cpu_start;
  if (!model.ok()) return Fail(model.status().message());
  const fc::Model& m = **model;

  // The forecast on the model's grid, read at the tail's timestamps by linear interpolation.
  const fs::TimestampNs from = m.fitted_to();
  const int64_t step = m.step_ns();
  int64_t horizon = std::max<int64_t>(ts.back() - from + step, step);
  fc::ForecastBand band = m.Predict(from, horizon, step);
  auto at = [&](const std::vector<double>& series, fs::TimestampNs when) {
    double x = static_cast<double>(when - from) / static_cast<double>(step) - 1;  // index into band
    if (series.empty()) return 0.0;
    if (x <= 0) return series.front();
    size_t i = static_cast<size_t>(x);
    if (i + 1 >= series.size()) return series.back();
    double f = x - static_cast<double>(i);
    return series[i] * (1 - f) + series[i + 1] * f;
  };
  double scale = 0;
  size_t scale_n = 0;
  for (size_t i = 1; i < n_train; ++i) {
    if (std::isfinite(vs[i]) && std::isfinite(vs[i - 1])) scale += std::fabs(vs[i] - vs[i - 1]), ++scale_n;
  }
  scale = scale_n ? scale / static_cast<double>(scale_n) : 0;
  double err = 0;
  size_t err_n = 0;
  nlohmann::json fj = {{"t", nlohmann::json::array()}, {"p10", nlohmann::json::array()},
                       {"p50", nlohmann::json::array()}, {"p90", nlohmann::json::array()}};
  for (size_t i = n_train; i < ts.size(); ++i) {
    double p50 = at(band.p50, ts[i]);
    if (std::isfinite(vs[i])) err += std::fabs(vs[i] - p50), ++err_n;
    if (emit) {
      fj["t"].push_back(static_cast<double>(ts[i]) / fs::kNanosPerSecond);
      fj["p10"].push_back(at(band.p10, ts[i]));
      fj["p50"].push_back(p50);
      fj["p90"].push_back(at(band.p90, ts[i]));
    }
  }
  double mae = err_n ? err / static_cast<double>(err_n) : 0;
  nlohmann::json out = {
      {"file", input},
      {"method", std::string(fc::MethodName(m.method()))},
      {"points_train", n_train},
      {"points_test", n_test},
      {"grid_points", m.points()},
      {"step_s", static_cast<double>(step) / fs::kNanosPerSecond},
      {"fit_seconds", fit_s},
      {"fit_cpu_seconds", fit_cpu_s},
      {"mae", mae},
      {"mase", scale > 0 ? nlohmann::json(mae / scale) : nlohmann::json(nullptr)},
      {"describe", m.Describe()},
  };
  if (emit) out["forecast"] = std::move(fj);
  std::cout << out.dump() << "\n";
  return 0;
}

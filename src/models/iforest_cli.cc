// iforest_cli: the C++ side of bench/iforest_vs_sklearn.py and bench/iforest_accuracy.py.
//   iforest_cli features --input series.csv --output rows.csv [--windows 1h,4h,12h] [--half-life 1h] [--lags 0]
//     Replays a timestamp,value CSV (NAB layout; Unix seconds or "YYYY-MM-DD HH:MM:SS" UTC) through
//     features::SeriesFeatures and writes one feature row per input row (+ optional lagged values).
//   iforest_cli train-score --input rows.csv [--score-input other.csv] [--output scores.txt] [--trees 100] [--subsample 256]
//     [--seed 42] [--repeat 5] [--calibration-rows 8192]
//     Trains the Isolation Forest on a numeric CSV (header line; every column a feature), prints timings as
//     one JSON line on stdout, and writes one score per row of --score-input (default: the training rows).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "features/series_features.h"
#include "models/isolation_forest.h"

namespace fs = foresight;

namespace {

double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

double WallMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(line);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

bool ParseNumber(std::string_view s, double* out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  if (s == "nan" || s == "NaN" || s.empty()) {
    *out = NAN;
    return true;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

fs::Result<fs::TimestampNs> ParseTime(std::string text) {
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.size() == 19 && text[10] == ' ') {
    text[10] = 'T';
    text += 'Z';
  }
  return fs::ParseTimestamp(text, 0);
}

int RunFeatures(const std::string& input, const std::string& output, const std::string& windows,
                const std::string& half_life, int lags) {
  fs::features::FeatureOptions opt;
  opt.windows_ns.clear();
  for (const std::string& w : Split(windows, ',')) {
    auto d = fs::ParseDuration(w);
    if (!d.ok()) {
      std::cerr << d.status().ToString() << "\n";
      return 2;
    }
    opt.windows_ns.push_back(*d);
  }
  auto hl = fs::ParseDuration(half_life);
  if (!hl.ok()) {
    std::cerr << hl.status().ToString() << "\n";
    return 2;
  }
  opt.ewma_half_life_s = static_cast<double>(*hl) / fs::kNanosPerSecond;

  std::ifstream in(input);
  if (!in) {
    std::cerr << "cannot open " << input << "\n";
    return 1;
  }
  std::ofstream out(output);
  std::string line;
  std::getline(in, line);  // header
  out << "timestamp";
  for (const std::string& n : fs::features::SeriesFeatures::Names(opt)) out << "," << n;
  for (int k = 1; k <= lags; ++k) out << ",lag" << k;
  out << "\n";
  fs::features::SeriesFeatures f(opt);
  std::vector<double> row(f.size());
  std::vector<double> history;
  char buf[64];
  size_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const size_t comma = line.find(',');
    if (comma == std::string::npos) continue;
    const std::string ts_text = line.substr(0, comma);
    auto ts = ParseTime(ts_text);
    double v = 0;
    if (!ts.ok() || !ParseNumber(std::string_view(line).substr(comma + 1), &v)) {
      std::cerr << "bad line: " << line << "\n";
      return 1;
    }
    f.Update(*ts, v);
    f.Write(row.data());
    out << ts_text;
    for (double x : row) {
      std::snprintf(buf, sizeof(buf), ",%.17g", x);
      out << buf;
    }
    for (int k = 1; k <= lags; ++k) {
      const double lag = history.size() >= static_cast<size_t>(k) ? history[history.size() - k] : NAN;
      std::snprintf(buf, sizeof(buf), ",%.17g", lag);
      out << buf;
    }
    out << "\n";
    history.push_back(v);
    ++rows;
  }
  std::cerr << "features: " << rows << " rows x " << row.size() + lags << " -> " << output << "\n";
  return 0;
}

// Reads a numeric CSV (header line) into row-major *x; returns the column count, 0 on error.
size_t ReadMatrix(const std::string& path, std::vector<double>* x, size_t* rows) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cannot open " << path << "\n";
    return 0;
  }
  std::string line;
  std::getline(in, line);
  const size_t d = Split(line, ',').size();
  size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto cells = Split(line, ',');
    if (cells.size() != d) {
      std::cerr << path << " row " << n << ": " << cells.size() << " cells, expected " << d << "\n";
      return 0;
    }
    for (const auto& c : cells) {
      double v = 0;
      if (!ParseNumber(c, &v)) {
        std::cerr << path << " row " << n << ": not a number: " << c << "\n";
        return 0;
      }
      x->push_back(v);
    }
    ++n;
  }
  *rows = n;
  return d;
}

int RunTrainScore(const std::string& input, const std::string& score_input, const std::string& output,
                  int trees, int subsample, uint64_t seed, int repeat, size_t calibration_rows) {
  std::vector<double> x;
  size_t n = 0;
  const size_t d = ReadMatrix(input, &x, &n);
  if (d == 0) return 1;
  std::vector<double> to_score;
  if (!score_input.empty()) {
    size_t m = 0;
    if (ReadMatrix(score_input, &to_score, &m) != d) {
      std::cerr << score_input << ": column count differs from " << input << "\n";
      return 1;
    }
  }
  fs::models::IsolationForestOptions opt;
  opt.num_trees = trees;
  opt.subsample = subsample;
  opt.seed = seed;
  opt.calibration_rows = calibration_rows;
  fs::models::IsolationForestOptions build_only = opt;
  build_only.calibration_rows = 2;  // thresholds from 2 rows: the forest build alone, like sklearn's fit

  auto time_train = [&](const fs::models::IsolationForestOptions& o, std::vector<double>* wall,
                        std::vector<double>* cpu) -> fs::models::IsolationForestPtr {
    fs::models::IsolationForestPtr model;
    for (int r = 0; r < repeat; ++r) {
      const double w0 = WallMs(), c0 = CpuMs();
      auto m = fs::models::IsolationForestModel::Train(x, d, {}, o);
      const double w1 = WallMs(), c1 = CpuMs();
      if (!m.ok()) {
        std::cerr << m.status().ToString() << "\n";
        std::exit(1);
      }
      wall->push_back(w1 - w0);
      cpu->push_back(c1 - c0);
      model = *m;
    }
    return model;
  };
  std::vector<double> fit_wall, fit_cpu, cal_wall, cal_cpu;
  time_train(build_only, &fit_wall, &fit_cpu);
  auto model = time_train(opt, &cal_wall, &cal_cpu);

  std::vector<double> scores;
  const double w0 = WallMs(), c0 = CpuMs();
  model->ScoreBatch(score_input.empty() ? x : to_score, &scores);
  const double score_wall = WallMs() - w0, score_cpu = CpuMs() - c0;
  if (!output.empty()) {
    std::ofstream out(output);
    char buf[40];
    for (double s : scores) {
      std::snprintf(buf, sizeof(buf), "%.17g\n", s);
      out << buf;
    }
  }
  auto list = [](const std::vector<double>& v) {
    std::string s = "[";
    char buf[32];
    for (size_t i = 0; i < v.size(); ++i) {
      std::snprintf(buf, sizeof(buf), "%s%.4f", i ? "," : "", v[i]);
      s += buf;
    }
    return s + "]";
  };
  std::printf(
      "{\"rows\":%zu,\"features\":%zu,\"trees\":%d,\"subsample\":%d,\"fit_wall_ms\":%s,\"fit_cpu_ms\":%s,"
      "\"fit_calibrated_wall_ms\":%s,\"fit_calibrated_cpu_ms\":%s,\"calibration_rows\":%llu,"
      "\"score_wall_ms\":%.4f,\"score_cpu_ms\":%.4f,\"warning\":%.6f,\"critical\":%.6f}\n",
      n, d, trees, model->subsample(), list(fit_wall).c_str(), list(fit_cpu).c_str(), list(cal_wall).c_str(),
      list(cal_cpu).c_str(), static_cast<unsigned long long>(model->summary().calibration_rows), score_wall,
      score_cpu, model->summary().warning, model->summary().critical);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Isolation Forest benchmark tool (features export, train and score)"};
  app.require_subcommand(1);

  std::string input, output, windows = "1h,4h,12h", half_life = "1h";
  int lags = 0;
  auto* feat = app.add_subcommand("features", "Replay a timestamp,value CSV through SeriesFeatures");
  feat->add_option("--input", input)->required();
  feat->add_option("--output", output)->required();
  feat->add_option("--windows", windows, "comma-separated window durations");
  feat->add_option("--half-life", half_life, "EWMA half-life");
  feat->add_option("--lags", lags, "also emit the previous N values");

  int trees = 100, subsample = 256, repeat = 5;
  uint64_t seed = 42;
  size_t calibration_rows = 8192;
  std::string ts_input, ts_output, ts_score_input;
  auto* ts = app.add_subcommand("train-score", "Train on a numeric CSV, print timings, write scores");
  ts->add_option("--input", ts_input)->required();
  ts->add_option("--output", ts_output);
  ts->add_option("--score-input", ts_score_input, "rows to score (default: the training rows)");
  ts->add_option("--trees", trees);
  ts->add_option("--subsample", subsample);
  ts->add_option("--seed", seed);
  ts->add_option("--repeat", repeat)->check(CLI::PositiveNumber);
  ts->add_option("--calibration-rows", calibration_rows);

  CLI11_PARSE(app, argc, argv);
  if (*feat) return RunFeatures(input, output, windows, half_life, lags);
  return RunTrainScore(ts_input, ts_score_input, ts_output, trees, subsample, seed, repeat, calibration_rows);
}

#include "eval/smd_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>

#include "explain/explain.h"
#include "models/isolation_forest.h"
#include "models/metric_deviation.h"

namespace foresight::eval {
namespace {
namespace fs = std::filesystem;

Result<std::vector<std::vector<double>>> ReadMatrix(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path.string(), "cannot open");
  std::vector<std::vector<double>> rows;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<double> row;
    const char* p = line.data();
    const char* end = p + line.size();
    while (p < end) {
      double v = 0;
      while (p < end && *p == ' ') ++p;
      auto r = std::from_chars(p, end, v);
      if (r.ec != std::errc()) return Status::InvalidArgument(path.string() + ":" + std::to_string(lineno), "bad number");
      row.push_back(v);
      p = r.ptr;
      while (p < end && *p == ' ') ++p;
      if (p < end) {
        if (*p != ',') return Status::InvalidArgument(path.string() + ":" + std::to_string(lineno), "expected ','");
        ++p;
      }
    }
    if (!rows.empty() && row.size() != rows[0].size()) {
      return Status::InvalidArgument(path.string() + ":" + std::to_string(lineno), "column count differs");
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return Status::InvalidArgument(path.string(), "no rows");
  return rows;
}

struct Segment {
  size_t start, end;          // [start, end)
  std::vector<size_t> dims;   // 0-based
};

Result<std::vector<Segment>> ReadInterpretation(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path.string(), "cannot open");
  std::vector<Segment> out;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto where = path.string() + ":" + std::to_string(lineno);
    const size_t dash = line.find('-'), colon = line.find(':');
    if (dash == std::string::npos || colon == std::string::npos || colon < dash) {
      return Status::InvalidArgument(where, "expected start-end:d1,d2,...");
    }
    Segment s{};
    try {
      s.start = std::stoul(line.substr(0, dash));
      s.end = std::stoul(line.substr(dash + 1, colon - dash - 1));
      size_t p = colon + 1;
      while (p < line.size()) {
        size_t q = line.find(',', p);
        if (q == std::string::npos) q = line.size();
        const unsigned long d = std::stoul(line.substr(p, q - p));
        if (d == 0) return Status::InvalidArgument(where, "dimensions are 1-based");
        s.dims.push_back(d - 1);
        p = q + 1;
      }
    } catch (const std::exception&) {
      return Status::InvalidArgument(where, "expected start-end:d1,d2,...");
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Best F1 over every distinct threshold; a segment's points count as detected as a whole once `need(len)`
// of them are (need = SIZE_MAX: no adjustment).
template <typename Need>
F1 Sweep(const std::vector<double>& scores, const std::vector<int>& labels, Need need) {
  const size_t n = scores.size();
  std::vector<size_t> seg_of(n, SIZE_MAX);
  std::vector<size_t> seg_len, seg_need;
  for (size_t i = 0; i < n;) {
    if (!labels[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && labels[j]) seg_of[j++] = seg_len.size();
    seg_len.push_back(j - i);
    seg_need.push_back(need(j - i));
    i = j;
  }
  const double positives = static_cast<double>(std::count(labels.begin(), labels.end(), 1));
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<size_t> cnt(seg_len.size(), 0);
  double tp = 0, fp = 0;
  F1 best;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    if (seg_of[i] == SIZE_MAX) {
      fp += 1;
    } else {
      const size_t s = seg_of[i];
      const double before = cnt[s] >= seg_need[s] ? static_cast<double>(seg_len[s]) : static_cast<double>(cnt[s]);
      ++cnt[s];
      const double after = cnt[s] >= seg_need[s] ? static_cast<double>(seg_len[s]) : static_cast<double>(cnt[s]);
      tp += after - before;
    }
    if (k + 1 < n && scores[order[k + 1]] == scores[i]) continue;  // same threshold
    if (tp <= 0) continue;
    const double p = tp / (tp + fp), r = tp / positives;
    const double f = 2 * p * r / (p + r);
    if (f > best.f1) best = {f, p, r, scores[i]};
  }
  return best;
}

}  // namespace

F1 BestF1(const std::vector<double>& scores, const std::vector<int>& labels) {
  return Sweep(scores, labels, [](size_t) { return SIZE_MAX; });
}

F1 BestAdjustedF1(const std::vector<double>& scores, const std::vector<int>& labels, double k_percent) {
  if (k_percent < 0) return Sweep(scores, labels, [](size_t) { return size_t{1}; });
  return Sweep(scores, labels, [k_percent](size_t len) {
    return static_cast<size_t>(std::floor(k_percent * static_cast<double>(len) / 100.0)) + 1;
  });
}

Result<SmdResult> RunSmd(const SmdOptions& o) {
  const fs::path root(o.data_dir);
  for (const char* sub : {"train", "test", "test_label"}) {
    if (!fs::is_directory(root / sub)) return Status::NotFound(o.data_dir, std::string("no ") + sub + "/ folder");
  }
  std::vector<std::string> machines;
  for (const auto& e : fs::directory_iterator(root / "test")) {
    const std::string name = e.path().stem().string();
    if (e.path().extension() == ".txt" && (o.filter.empty() || name.find(o.filter) != std::string::npos)) {
      machines.push_back(name);
    }
  }
  std::sort(machines.begin(), machines.end());
  if (o.attribution != "deviation" && o.attribution != "treeshap") {
    return Status::InvalidArgument("--attribution", "expected deviation or treeshap, got " + o.attribution);
  }
  if (machines.empty()) return Status::InvalidArgument(o.data_dir, "no machine matches");
  const auto t0 = std::chrono::steady_clock::now();
  SmdResult result;
  if (!o.out_dir.empty()) fs::create_directories(o.out_dir);
  for (const std::string& m : machines) {
    FS_ASSIGN_OR_RETURN(auto train, ReadMatrix(root / "train" / (m + ".txt")));
    FS_ASSIGN_OR_RETURN(auto test, ReadMatrix(root / "test" / (m + ".txt")));
    FS_ASSIGN_OR_RETURN(auto lab, ReadMatrix(root / "test_label" / (m + ".txt")));
    if (lab.size() != test.size()) return Status::InvalidArgument(m, "test and test_label differ in length");
    std::vector<Segment> segments;
    if (fs::exists(root / "interpretation_label" / (m + ".txt"))) {
      FS_ASSIGN_OR_RETURN(segments, ReadInterpretation(root / "interpretation_label" / (m + ".txt")));
    }
    const size_t d = train[0].size();
    if (test[0].size() != d) return Status::InvalidArgument(m, "train and test differ in columns");
    std::vector<double> flat;
    flat.reserve(train.size() * d);
    for (const auto& r : train) flat.insert(flat.end(), r.begin(), r.end());
    models::MetricDeviationOptions mo;
    if (o.ewma_alpha > 0) mo.ewma_alpha = o.ewma_alpha;
    FS_ASSIGN_OR_RETURN(auto model, models::MetricDeviationModel::Train(flat, d, mo));
    models::MetricDeviationModel::Scorer scorer(model);
    std::vector<double> scores(test.size());
    std::vector<std::vector<double>> contrib(test.size());
    for (size_t t = 0; t < test.size(); ++t) scores[t] = scorer.Update(test[t], &contrib[t]);
    std::vector<int> labels(test.size());
    for (size_t t = 0; t < test.size(); ++t) labels[t] = lab[t][0] != 0;

    SmdMachineResult r;
    r.machine = m;
    r.train_rows = train.size();
    r.test_rows = test.size();
    r.anomalies = static_cast<size_t>(std::count(labels.begin(), labels.end(), 1));
    for (size_t t = 0; t < labels.size(); ++t) r.segments += labels[t] && (t == 0 || !labels[t - 1]);
    r.pointwise = BestF1(scores, labels);
    r.point_adjusted = BestAdjustedF1(scores, labels, -1);
    r.pa_k = BestAdjustedF1(scores, labels, o.pa_k);
    double h100 = 0, h150 = 0;
    models::IsolationForestPtr forest;
    if (o.attribution == "treeshap" && !segments.empty()) {
      models::IsolationForestOptions fo;
      FS_ASSIGN_OR_RETURN(forest, models::IsolationForestModel::Train(flat, d, {}, fo));
    }
    for (const Segment& s : segments) {
      if (s.dims.empty() || s.start >= s.end || s.end > test.size()) continue;
      if (forest) {
        for (size_t t = s.start; t < s.end; ++t) contrib[t] = explain::TreeShap(*forest, test[t]).contributions;
      }
      std::vector<double> peak(d, -std::numeric_limits<double>::infinity());
      for (size_t t = s.start; t < s.end; ++t) {
        for (size_t j = 0; j < d; ++j) peak[j] = std::max(peak[j], contrib[t][j]);
      }
      std::vector<size_t> rank(d);
      std::iota(rank.begin(), rank.end(), 0);
      std::stable_sort(rank.begin(), rank.end(), [&](size_t a, size_t b) { return peak[a] > peak[b]; });
      auto hits = [&](double p) {
        const size_t top = std::min(d, static_cast<size_t>(std::floor(p * static_cast<double>(s.dims.size()) / 100.0)));
        size_t h = 0;
        for (size_t k = 0; k < top; ++k) h += std::count(s.dims.begin(), s.dims.end(), rank[k]) > 0;
        return static_cast<double>(h) / static_cast<double>(s.dims.size());
      };
      h100 += hits(100);
      h150 += hits(150);
      ++r.interpreted_segments;
    }
    if (r.interpreted_segments) {
      r.hit100 = h100 / static_cast<double>(r.interpreted_segments);
      r.hit150 = h150 / static_cast<double>(r.interpreted_segments);
    }
    if (!o.out_dir.empty()) {
      std::ofstream csv(fs::path(o.out_dir) / (m + "_scores.csv"));
      csv << "row,score,label\n";
      for (size_t t = 0; t < scores.size(); ++t) csv << t << ',' << fmt::format("{}", scores[t]) << ',' << labels[t] << '\n';
    }
    result.machines.push_back(std::move(r));
  }
  SmdMachineResult& mean = result.mean;
  mean.machine = "mean";
  const double k = static_cast<double>(result.machines.size());
  for (const auto& r : result.machines) {
    mean.train_rows += r.train_rows;
    mean.test_rows += r.test_rows;
    mean.anomalies += r.anomalies;
    mean.segments += r.segments;
    mean.interpreted_segments += r.interpreted_segments;
    mean.pointwise.f1 += r.pointwise.f1 / k;
    mean.pointwise.precision += r.pointwise.precision / k;
    mean.pointwise.recall += r.pointwise.recall / k;
    mean.point_adjusted.f1 += r.point_adjusted.f1 / k;
    mean.pa_k.f1 += r.pa_k.f1 / k;
    mean.hit100 += r.hit100 / k;
    mean.hit150 += r.hit150 / k;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!o.out_dir.empty()) {
    std::ofstream js(fs::path(o.out_dir) / "summary.json");
    js << "{\"machines\":[";
    for (size_t i = 0; i <= result.machines.size(); ++i) {
      const auto& r = i < result.machines.size() ? result.machines[i] : result.mean;
      js << (i ? "," : "")
         << fmt::format("{{\"machine\":\"{}\",\"f1\":{:.6f},\"precision\":{:.6f},\"recall\":{:.6f},\"pa_f1\":{:.6f},"
                        "\"pa_k_f1\":{:.6f},\"hitrate100\":{:.6f},\"hitrate150\":{:.6f},\"segments\":{}}}",
                        r.machine, r.pointwise.f1, r.pointwise.precision, r.pointwise.recall, r.point_adjusted.f1,
                        r.pa_k.f1, r.hit100, r.hit150, r.segments);
    }
    js << "]}\n";
  }
  return result;
}

void PrintSmdTable(const SmdResult& r) {
  std::printf("\n%-14s %8s %8s %8s %8s %8s %9s %9s %9s\n", "machine", "F1", "P", "R", "PA F1", "PA%K F1",
              "Hit@100", "Hit@150", "segments");
  for (size_t i = 0; i <= r.machines.size(); ++i) {
    const auto& m = i < r.machines.size() ? r.machines[i] : r.mean;
    std::printf("%-14s %8.3f %8.3f %8.3f %8.3f %8.3f %9.3f %9.3f %9zu\n", m.machine.c_str(), m.pointwise.f1,
                m.pointwise.precision, m.pointwise.recall, m.point_adjusted.f1, m.pa_k.f1, m.hit100, m.hit150,
                m.segments);
  }
  std::printf("(F1: point-wise, best threshold, no point adjustment: the primary figure. PA F1 / PA%%K F1 "
              "(K=20): comparison only. mean = average over machines. %.1f s)\n",
              r.seconds);
  std::fflush(stdout);
}

}  // namespace foresight::eval

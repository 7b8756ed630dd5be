#include "eval/nab_scorer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace foresight::eval::nab {
namespace {

// S(x) = 2 sigmoid(-5x) - 1, -1 from x >= 3 on (NAB's scaledSigmoid).
double ScaledSigmoid(double x) {
  if (x >= 3.0) return -1.0;
  return 2.0 / (1.0 + std::exp(5.0 * x)) - 1.0;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// A split CSV line (no quoting: NAB's files have none).
std::vector<std::string_view> SplitCsv(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool ParseDouble(std::string_view s, double* out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// One row of the sweep: its anomaly score, its weighted sweep score, and its window (-1: outside).
struct SweepRow {
  double anomaly;
  double sweep;
  int window;  // corpus-wide window id, or -1
};

// NAB's calcSweepScore for one file: appends the scorable (non-probationary) rows to *rows; window ids
// start at *next_window. Returns the number of windows that have scorable rows.
Status Sweep(const FileScores& f, const std::vector<Window>& windows, const CostMatrix& cost,
             double probation_percent, std::vector<SweepRow>* rows, int* next_window,
             std::vector<int>* window_file_ids = nullptr, int file_id = 0) {
  const size_t n = f.timestamps.size();
  if (f.scores.size() != n) return Status::InvalidArgument(f.key, "timestamps and scores differ in length");
  std::unordered_map<int64_t, size_t> index;  // first occurrence, like list.index
  index.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) index.emplace(f.timestamps[i], i);
  const double max_tp = ScaledSigmoid(-1.0);
  const double probation = static_cast<double>(ProbationaryLength(n, probation_percent));
  size_t next = 0;
  bool in_window = false;
  double cur_width = 0, prev_width = 0;
  size_t cur_right = 0, prev_right = 0;
  bool have_prev = false;
  int cur_id = -1;
  std::map<int, bool> seen;
  for (size_t i = 0; i < n; ++i) {
    const int64_t ts = f.timestamps[i];
    if (next < windows.size() && ts == windows[next].start) {
      const Window& w = windows[next++];
      auto r = index.find(w.end);
      if (r == index.end()) return Status::InvalidArgument(f.key, "window end is not a row timestamp");
      cur_right = r->second;
      cur_width = static_cast<double>(cur_right) - static_cast<double>(index.at(w.start)) + 1;
      in_window = true;
      cur_id = (*next_window)++;
      if (window_file_ids) window_file_ids->push_back(file_id);
    }
    double sweep;
    if (in_window) {
      const double pos = -(static_cast<double>(cur_right) - static_cast<double>(i) + 1) / cur_width;
      sweep = ScaledSigmoid(pos) * cost.tp / max_tp;
    } else {
      const double pos = have_prev ? std::abs(static_cast<double>(prev_right) - static_cast<double>(i)) /
                                         (prev_width - 1)
                                   : 3.0;
      sweep = ScaledSigmoid(pos) * cost.fp;
    }
    if (static_cast<double>(i) >= probation) rows->push_back({f.scores[i], sweep, in_window ? cur_id : -1});
    if (in_window && ts == windows[next - 1].end) {
      prev_right = i;
      prev_width = cur_width;
      have_prev = true;
      in_window = false;
      cur_id = -1;
    }
  }
  if (next != windows.size()) return Status::InvalidArgument(f.key, "window start is not a row timestamp");
  return Status::Ok();
}

}  // namespace

std::vector<Profile> DefaultProfiles() {
  return {{"standard", {1.0, 0.11, 1.0}},
          {"reward_low_FP_rate", {1.0, 0.22, 1.0}},
          {"reward_low_FN_rate", {1.0, 0.11, 2.0}}};
}

size_t ProbationaryLength(size_t n, double probation_percent) {
  const double a = std::floor(probation_percent * static_cast<double>(n));
  const double b = probation_percent * 5000;
  return static_cast<size_t>(std::ceil(std::min(a, b)));
}

Result<std::vector<Profile>> LoadProfiles(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path, "cannot open");
  nlohmann::json j;
  try {
    in >> j;
    std::vector<Profile> out;
    for (auto& [name, p] : j.items()) {
      const auto& c = p.at("CostMatrix");
      out.push_back({name, {c.at("tpWeight").get<double>(), c.at("fpWeight").get<double>(),
                            c.at("fnWeight").get<double>()}});
    }
    // NAB's order of presentation.
    auto rank = [](const std::string& n) {
      return n == "standard" ? 0 : n == "reward_low_FP_rate" ? 1 : n == "reward_low_FN_rate" ? 2 : 3;
    };
    std::stable_sort(out.begin(), out.end(),
                     [&](const Profile& a, const Profile& b) { return rank(a.name) < rank(b.name); });
    if (out.empty()) return Status::InvalidArgument(path, "no profiles");
    return out;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path, e.what());
  }
}

Result<int64_t> ParseTimestamp(std::string_view t) {
  auto num = [&](size_t pos, size_t len, int64_t* v) {
    if (pos + len > t.size()) return false;
    int64_t x = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      x = x * 10 + (t[i] - '0');
    }
    *v = x;
    return true;
  };
  while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '"')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '"')) t.remove_prefix(1);
  int64_t y, mo, d, h, mi, s;
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != ' ' && t[10] != 'T') || t[13] != ':' ||
      t[16] != ':' || !num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) ||
      !num(14, 2, &mi) || !num(17, 2, &s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      s > 60) {
    return Status::InvalidArgument("bad timestamp", std::string(t));
  }
  int64_t us = 0;
  if (t.size() > 19) {
    if (t[19] != '.') return Status::InvalidArgument("bad timestamp", std::string(t));
    int64_t scale = 100000;
    for (size_t i = 20; i < t.size(); ++i) {
      if (t[i] < '0' || t[i] > '9') return Status::InvalidArgument("bad timestamp", std::string(t));
      us += (t[i] - '0') * scale;
      scale /= 10;
    }
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60 * 1'000'000 + s * 1'000'000 + us;
}

Result<Windows> LoadWindows(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path, "cannot open");
  nlohmann::json j;
  try {
    in >> j;
    Windows out;
    for (auto& [key, list] : j.items()) {
      std::vector<Window>& ws = out[key];
      for (const auto& w : list) {
        if (!w.is_array() || w.size() != 2) return Status::InvalidArgument(path, key, "window is not [start, end]");
        FS_ASSIGN_OR_RETURN(const int64_t a, ParseTimestamp(w[0].get<std::string>()));
        FS_ASSIGN_OR_RETURN(const int64_t b, ParseTimestamp(w[1].get<std::string>()));
        if (b < a) return Status::InvalidArgument(path, key, "window ends before it starts");
        ws.push_back({a, b});
      }
      std::sort(ws.begin(), ws.end(), [](const Window& a, const Window& b) { return a.start < b.start; });
    }
    return out;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path, e.what());
  }
}

Result<FileScores> ReadScoresCsv(const std::string& path, const std::string& key, bool need_score) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path, "cannot open");
  std::string line;
  if (!std::getline(in, line)) return Status::InvalidArgument(path, "empty file");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = SplitCsv(line);
  int ts_col = -1, value_col = -1, score_col = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c] == "timestamp") ts_col = static_cast<int>(c);
    if (header[c] == "value") value_col = static_cast<int>(c);
    if (header[c] == "anomaly_score") score_col = static_cast<int>(c);
  }
  if (ts_col < 0) return Status::InvalidArgument(path, "no timestamp column");
  if (need_score && score_col < 0) return Status::InvalidArgument(path, "no anomaly_score column");
  FileScores f;
  f.key = key;
  size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto cols = SplitCsv(line);
    auto where = [&] { return path + ":" + std::to_string(lineno); };
    if (static_cast<int>(cols.size()) <= std::max({ts_col, value_col, score_col})) {
      return Status::InvalidArgument(where(), "too few columns");
    }
    auto ts = ParseTimestamp(cols[static_cast<size_t>(ts_col)]);
    if (!ts.ok()) return ts.status().WithContext(where());
    f.timestamps.push_back(*ts);
    double v = 0;
    if (value_col >= 0 && !ParseDouble(cols[static_cast<size_t>(value_col)], &v)) {
      return Status::InvalidArgument(where(), "bad value");
    }
    f.values.push_back(v);
    if (score_col >= 0) {
      double s = 0;
      if (!ParseDouble(cols[static_cast<size_t>(score_col)], &s) || std::isnan(s)) {
        return Status::InvalidArgument(where(), "bad anomaly_score");
      }
      f.scores.push_back(s);
    }
  }
  return f;
}

Result<std::vector<FileScores>> ReadResultsDir(const std::string& dir, const std::string& detector,
                                               const Windows& windows) {
  std::vector<FileScores> out;
  for (const auto& [key, ws] : windows) {
    const std::filesystem::path k(key);
    const std::string path =
        (std::filesystem::path(dir) / k.parent_path() / (detector + "_" + k.filename().string())).string();
    FS_ASSIGN_OR_RETURN(FileScores f, ReadScoresCsv(path, key));
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::map<std::string, double>> LoadThresholds(const std::string& path, const std::string& detector) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path, "cannot open");
  try {
    nlohmann::json j;
    in >> j;
    if (!j.contains(detector)) return Status::InvalidArgument(path, "no detector " + detector);
    std::map<std::string, double> out;
    for (auto& [profile, v] : j.at(detector).items()) out[profile] = v.at("threshold").get<double>();
    return out;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path, e.what());
  }
}

Result<std::vector<ProfileResult>> ScoreCorpus(const std::vector<FileScores>& files, const Windows& windows,
                                               const std::vector<Profile>& profiles, double probation_percent,
                                               const std::map<std::string, double>& fixed_thresholds) {
  std::vector<ProfileResult> results;
  for (const Profile& p : profiles) {
    // 1. Every scorable row of the corpus with its sweep score.
    std::vector<SweepRow> rows;
    std::vector<int> window_file;  // window id -> file index
    std::vector<size_t> file_end;  // rows of file i end at file_end[i]
    int next_window = 0;
    int label_windows = 0;
    for (size_t fi = 0; fi < files.size(); ++fi) {
      auto w = windows.find(files[fi].key);
      if (w == windows.end()) return Status::InvalidArgument(files[fi].key, "no entry in the windows file");
      label_windows += static_cast<int>(w->second.size());
      FS_RETURN_IF_ERROR(Sweep(files[fi], w->second, p.cost, probation_percent, &rows, &next_window,
                               &window_file, static_cast<int>(fi)));
      file_end.push_back(rows.size());
    }
    // Windows that have scorable rows start at -fnWeight (NAB's scoreParts).
    std::vector<double> part(static_cast<size_t>(next_window), 0);
    std::vector<bool> scorable(static_cast<size_t>(next_window), false);
    for (const SweepRow& r : rows) {
      if (r.window >= 0) scorable[static_cast<size_t>(r.window)] = true;
    }
    double total = 0;
    for (int w = 0; w < next_window; ++w) {
      if (scorable[static_cast<size_t>(w)]) {
        part[static_cast<size_t>(w)] = -p.cost.fn;
        total -= p.cost.fn;
      }
    }
    const double null_raw = total;
    // 2. Sweep thresholds from the top (NAB's calcScoreByThreshold over the corpus).
    std::vector<uint32_t> order(rows.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return rows[a].anomaly > rows[b].anomaly; });
    double best_threshold = 1.1, best = total;
    double cur_threshold = 1.1;
    for (uint32_t idx : order) {
      const SweepRow& r = rows[idx];
      if (r.anomaly != cur_threshold) {
        if (total > best) {
          best = total;
          best_threshold = cur_threshold;
        }
        cur_threshold = r.anomaly;
      }
      if (r.window < 0) {
        total += r.sweep;
      } else {
        double& pw = part[static_cast<size_t>(r.window)];
        if (r.sweep > pw) {
          total += r.sweep - pw;
          pw = r.sweep;
        }
      }
    }
    if (total > best) {
      best = total;
      best_threshold = cur_threshold;
    }
    if (auto fixed = fixed_thresholds.find(p.name); fixed != fixed_thresholds.end()) {
      best_threshold = fixed->second;
    }
    // 3. Score each file at the threshold (rows with anomaly >= threshold are detections).
    ProfileResult pr;
    pr.profile = p.name;
    pr.threshold = best_threshold;
    pr.null_raw = null_raw;
    pr.perfect = p.cost.tp * label_windows;
    size_t begin = 0;
    for (size_t fi = 0; fi < files.size(); ++fi) {
      FileResult fr;
      fr.key = files[fi].key;
      std::map<int, double> wbest;
      for (size_t i = begin; i < file_end[fi]; ++i) {
        if (rows[i].window >= 0) wbest.emplace(rows[i].window, -p.cost.fn);
      }
      for (size_t i = begin; i < file_end[fi]; ++i) {
        const SweepRow& r = rows[i];
        if (!(r.anomaly >= best_threshold)) continue;
        if (r.window < 0) {
          fr.score += r.sweep;
          ++fr.fp_rows;
        } else {
          double& b = wbest[r.window];
          b = std::max(b, r.sweep);
        }
      }
      for (const auto& [w, s] : wbest) {
        fr.score += s;
        ++fr.windows;
        if (s > -p.cost.fn) ++fr.windows_detected;
      }
      begin = file_end[fi];
      pr.raw += fr.score;
      pr.windows += fr.windows;
      pr.windows_detected += fr.windows_detected;
      pr.fp_rows += fr.fp_rows;
      pr.files.push_back(std::move(fr));
    }
    pr.normalized = pr.perfect > pr.null_raw ? 100.0 * (pr.raw - pr.null_raw) / (pr.perfect - pr.null_raw) : 0;
    results.push_back(std::move(pr));
  }
  return results;
}

}  // namespace foresight::eval::nab

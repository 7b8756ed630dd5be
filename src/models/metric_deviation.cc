#include "models/metric_deviation.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace foresight::models {

Result<MetricDeviationModel> MetricDeviationModel::Train(std::span<const double> rows, size_t d,
                                                         const MetricDeviationOptions& options) {
  if (d == 0) return Status::InvalidArgument("metric deviation", "no metrics");
  if (rows.size() % d != 0) return Status::InvalidArgument("metric deviation", "rows not a multiple of d");
  const size_t n = rows.size() / d;
  if (n < 2) return Status::InvalidArgument("metric deviation", "need at least 2 rows");
  MetricDeviationModel m;
  m.options_ = options;
  m.centre_.resize(d);
  m.scale_.resize(d);
  std::vector<double> col(n);
  for (size_t j = 0; j < d; ++j) {
    size_t k = 0;
    for (size_t r = 0; r < n; ++r) {
      const double v = rows[r * d + j];
      if (std::isfinite(v)) col[k++] = v;
    }
    if (k == 0) {
      m.centre_[j] = 0;
      m.scale_[j] = options.min_scale;
      continue;
    }
    double mean = 0, sq = 0;
    for (size_t i = 0; i < k; ++i) mean += col[i];
    mean /= static_cast<double>(k);
    for (size_t i = 0; i < k; ++i) sq += (col[i] - mean) * (col[i] - mean);
    m.centre_[j] = mean;
    m.scale_[j] = std::max(std::sqrt(sq / static_cast<double>(k)), options.min_scale);
  }
  return m;
}

void MetricDeviationModel::Contributions(std::span<const double> row, std::vector<double>* out) const {
  const size_t d = centre_.size();
  out->resize(d);
  for (size_t j = 0; j < d; ++j) {
    const double v = std::isfinite(row[j]) ? row[j] : centre_[j];
    const double z = std::min(std::abs(v - centre_[j]) / scale_[j], options_.cap);
    (*out)[j] = z;
  }
}

double MetricDeviationModel::Combine(const std::vector<double>& terms) const {
  const size_t k = std::min(std::max<size_t>(options_.top_k, 1), terms.size());
  double top[64];
  size_t have = 0;
  if (k <= 64) {
    // Keep the k largest in a small sorted buffer (k is tiny).
    for (double v : terms) {
      if (have < k) {
        top[have++] = v;
        std::sort(top, top + have, std::greater<>());
      } else if (v > top[k - 1]) {
        top[k - 1] = v;
        std::sort(top, top + k, std::greater<>());
      }
    }
    double s = 0;
    for (size_t i = 0; i < k; ++i) s += top[i];
    return s / static_cast<double>(k);
  }
  std::vector<double> t = terms;
  std::partial_sort(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(k), t.end(), std::greater<>());
  double s = 0;
  for (size_t i = 0; i < k; ++i) s += t[i];
  return s / static_cast<double>(k);
}

double MetricDeviationModel::Score(std::span<const double> row) const {
  std::vector<double> c;
  Contributions(row, &c);
  return Combine(c);
}

double MetricDeviationModel::Scorer::Update(std::span<const double> row, std::vector<double>* contributions) {
  std::vector<double>& c = contributions ? *contributions : buf_;
  m_.Contributions(row, &c);
  const double s = m_.Combine(c);
  const double a = std::clamp(m_.options().ewma_alpha, 0.0, 1.0);
  avg_ = first_ ? s : a * s + (1 - a) * avg_;
  first_ = false;
  return avg_;
}

}  // namespace foresight::models

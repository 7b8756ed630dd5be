#include "models/isolation_forest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "models/internal/random.h"

namespace foresight::models {
namespace {

constexpr double kEulerGamma = 0.5772156649015329;

bool HasNonFinite(std::span<const double> row) {
  for (double v : row) {
    if (!std::isfinite(v)) return true;
  }
  return false;
}

// Linear interpolation between order statistics (numpy's default "linear" method). REQUIRES: sorted non-empty.
double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

double IsolationForestModel::AveragePathLength(double n) {
  if (n <= 1) return 0;
  if (n <= 2) return 1;
  return 2.0 * (std::log(n - 1) + kEulerGamma) - 2.0 * (n - 1) / n;
}

// Builds the trees of one model. Single-threaded and sequential so a seed fixes the result.
class ForestBuilder {
 public:
  ForestBuilder(IsolationForestModel* m, std::span<const double> rows, size_t d,
                const IsolationForestOptions& options)
      : m_(m), rows_(rows), d_(d), n_(rows.size() / d), options_(options), rng_(options.seed) {}

  void Build() {
    ComputeFeatureStats();
    const size_t psi = static_cast<size_t>(m_->psi_);
    std::vector<uint32_t> perm(n_);
    std::iota(perm.begin(), perm.end(), 0);
    feats_.resize(d_);
    std::iota(feats_.begin(), feats_.end(), 0);
    sample_.resize(psi * d_);
    idx_.resize(psi);
    m_->nodes_.reserve(static_cast<size_t>(options_.num_trees) * (2 * psi));
    m_->size_.reserve(m_->nodes_.capacity());
    m_->roots_.clear();
    for (int t = 0; t < options_.num_trees; ++t) {
      // Partial Fisher-Yates on a persistent permutation: the first psi entries are a uniform subset.
      for (size_t k = 0; k < psi; ++k) {
        const size_t j = k + rng_.Below(n_ - k);
        std::swap(perm[k], perm[j]);
        const double* src = rows_.data() + static_cast<size_t>(perm[k]) * d_;
        double* dst = sample_.data() + k * d_;
        for (size_t f = 0; f < d_; ++f) {
          if (std::isfinite(src[f])) {
            dst[f] = src[f];
          } else {
            dst[f] = m_->fill_[f];
            ++m_->summary_.missing_values;
          }
        }
        idx_[k] = static_cast<uint32_t>(k);
      }
      root_ = static_cast<uint32_t>(m_->nodes_.size());
      m_->roots_.push_back(root_);
      BuildNode(0, static_cast<uint32_t>(psi), 0);
    }
    m_->roots_.push_back(static_cast<uint32_t>(m_->nodes_.size()));
  }

 private:
  // Median (imputation), mean and std of the finite values of each feature.
  void ComputeFeatureStats() {
    m_->fill_.assign(d_, 0);
    m_->mean_.assign(d_, 0);
    m_->std_.assign(d_, 0);
    std::vector<double> col;
    col.reserve(n_);
    for (size_t f = 0; f < d_; ++f) {
      col.clear();
      for (size_t r = 0; r < n_; ++r) {
        const double v = rows_[r * d_ + f];
        if (std::isfinite(v)) col.push_back(v);
      }
      if (col.empty()) continue;
      const double mean = std::accumulate(col.begin(), col.end(), 0.0) / static_cast<double>(col.size());
      double var = 0;
      for (double v : col) var += (v - mean) * (v - mean);
      m_->mean_[f] = mean;
      m_->std_[f] = std::sqrt(var / static_cast<double>(col.size()));
      auto mid = col.begin() + static_cast<std::ptrdiff_t>(col.size() / 2);
      std::nth_element(col.begin(), mid, col.end());
      m_->fill_[f] = *mid;
    }
  }

  void BuildNode(uint32_t begin, uint32_t end, int depth) {
    const uint32_t n = end - begin;
    const size_t id = m_->nodes_.size();
    m_->nodes_.push_back({0, -1, 0});
    m_->size_.push_back(n);
    if (depth >= m_->max_depth_ || n <= 1) {
      m_->nodes_[id].value = depth + IsolationForestModel::AveragePathLength(n);
      return;
    }
    // A random feature among those not constant in this node (drawn without replacement until one varies).
    int feature = -1;
    double lo = 0, hi = 0;
    for (size_t k = 0; k < d_; ++k) {
      const size_t j = k + rng_.Below(d_ - k);
      std::swap(feats_[k], feats_[j]);
      const uint32_t f = feats_[k];
      lo = std::numeric_limits<double>::infinity();
      hi = -lo;
      for (uint32_t i = begin; i < end; ++i) {
        const double v = sample_[idx_[i] * d_ + f];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      if (hi > lo) {
        feature = static_cast<int>(f);
        break;
      }
    }
    if (feature < 0) {  // all rows identical: cannot be isolated further
      m_->nodes_[id].value = depth + IsolationForestModel::AveragePathLength(n);
      return;
    }
    // Threshold uniform in (lo, hi]; "x < p goes left" then leaves both sides non-empty.
    double p = lo + rng_.Uniform() * (hi - lo);
    if (!(p > lo)) p = std::nextafter(lo, hi);
    uint32_t mid = begin;
    for (uint32_t i = begin; i < end; ++i) {
      if (sample_[idx_[i] * d_ + static_cast<size_t>(feature)] < p) std::swap(idx_[i], idx_[mid++]);
    }
    m_->nodes_[id].feature = feature;
    m_->nodes_[id].value = p;
    BuildNode(begin, mid, depth + 1);
    m_->nodes_[id].right = static_cast<uint32_t>(m_->nodes_.size() - root_);
    BuildNode(mid, end, depth + 1);
  }

  IsolationForestModel* m_;
  std::span<const double> rows_;
  size_t d_, n_;
  const IsolationForestOptions& options_;
  internal::Xoshiro256 rng_;
  std::vector<double> sample_;   // this tree's subsample, row-major, imputed
  std::vector<uint32_t> idx_;    // row indices into sample_, partitioned in place
  std::vector<uint32_t> feats_;  // feature permutation for the random feature draw
  uint32_t root_ = 0;
};

Result<IsolationForestPtr> IsolationForestModel::Train(std::span<const double> rows, size_t num_features,
                                                       std::vector<std::string> feature_names,
                                                       const IsolationForestOptions& options) {
  if (num_features == 0) return Status::InvalidArgument("isolation forest", "no features");
  if (num_features > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::InvalidArgument("isolation forest", "too many features");
  }
  if (rows.size() % num_features != 0) {
    return Status::InvalidArgument("isolation forest", "row data is not a multiple of num_features");
  }
  const size_t n = rows.size() / num_features;
  if (n < 2) return Status::InvalidArgument("isolation forest", "need at least 2 rows");
  if (n > std::numeric_limits<uint32_t>::max()) return Status::InvalidArgument("isolation forest", "too many rows");
  if (options.num_trees < 1 || options.num_trees > 100'000) {
    return Status::InvalidArgument("isolation forest", "num_trees must be in 1..100000");
  }
  if (options.subsample < 2) return Status::InvalidArgument("isolation forest", "subsample must be >= 2");
  if (options.max_depth < 0 || options.max_depth > 64) {
    return Status::InvalidArgument("isolation forest", "max_depth must be in 0..64");
  }
  if (!(options.warning_quantile > 0 && options.warning_quantile <= options.critical_quantile &&
        options.critical_quantile <= 1)) {
    return Status::InvalidArgument("isolation forest", "need 0 < warning_quantile <= critical_quantile <= 1");
  }
  if (feature_names.empty()) {
    for (size_t f = 0; f < num_features; ++f) feature_names.push_back("f" + std::to_string(f));
  }
  if (feature_names.size() != num_features) {
    return Status::InvalidArgument("isolation forest", "feature_names size differs from num_features");
  }

  auto m = std::make_shared<IsolationForestModel>(Key{});
  m->feature_names_ = std::move(feature_names);
  m->psi_ = static_cast<int>(std::min<size_t>(static_cast<size_t>(options.subsample), n));
  m->max_depth_ = options.max_depth > 0
                      ? options.max_depth
                      : static_cast<int>(std::ceil(std::log2(static_cast<double>(std::max(m->psi_, 2)))));
  m->seed_ = options.seed;
  m->c_psi_ = AveragePathLength(m->psi_);
  m->summary_.rows = n;
  ForestBuilder(m.get(), rows, num_features, options).Build();
  m->Calibrate(rows, options);
  return IsolationForestPtr(std::move(m));
}

void IsolationForestModel::Calibrate(std::span<const double> rows, const IsolationForestOptions& options) {
  const size_t d = num_features();
  const size_t n = rows.size() / d;
  std::vector<double> scores;
  if (options.calibration_rows == 0 || n <= options.calibration_rows) {
    ScoreBatch(rows, &scores);
  } else {
    // Evenly strided rows: deterministic and spread over the whole training span.
    const size_t k = options.calibration_rows;
    std::vector<double> subset(k * d);
    for (size_t i = 0; i < k; ++i) {
      const size_t r = i * n / k;
      std::copy_n(rows.data() + r * d, d, subset.data() + i * d);
    }
    ScoreBatch(subset, &scores);
  }
  std::sort(scores.begin(), scores.end());
  TrainingSummary& s = summary_;
  s.calibration_rows = scores.size();
  s.score_p50 = Quantile(scores, 0.5);
  s.score_p90 = Quantile(scores, 0.9);
  s.score_p99 = Quantile(scores, 0.99);
  s.score_p999 = Quantile(scores, 0.999);
  s.score_max = scores.back();
  s.warning_quantile = options.warning_quantile;
  s.critical_quantile = options.critical_quantile;
  s.warning = std::min(1.0, Quantile(scores, options.warning_quantile));
  s.critical = std::min(1.0, std::max(Quantile(scores, options.critical_quantile),
                                      s.warning + options.min_critical_gap));
}

const double* IsolationForestModel::Imputed(std::span<const double> row, std::vector<double>* buf) const {
  if (!HasNonFinite(row)) return row.data();
  buf->assign(row.begin(), row.end());
  for (size_t f = 0; f < buf->size(); ++f) {
    // +-inf compares correctly against thresholds (it is simply extreme); only NaN is missing.
    if (std::isnan((*buf)[f])) (*buf)[f] = fill_[f];
  }
  return buf->data();
}

double IsolationForestModel::PathLength(size_t t, const double* x) const {
  const Node* tree = nodes_.data() + roots_[t];
  uint32_t i = 0;
  while (tree[i].feature >= 0) {
    i = x[tree[i].feature] < tree[i].value ? i + 1 : tree[i].right;
  }
  return tree[i].value;
}

double IsolationForestModel::Score(std::span<const double> row) const {
  std::vector<double> buf;
  const double* x = Imputed(row, &buf);
  double h = 0;
  const size_t trees = num_trees();
  for (size_t t = 0; t < trees; ++t) h += PathLength(t, x);
  return std::exp2(-(h / static_cast<double>(trees)) / c_psi_);
}

void IsolationForestModel::ScoreBatch(std::span<const double> rows, std::vector<double>* out) const {
  const size_t d = num_features();
  const size_t n = rows.size() / d;
  std::vector<double> imputed;
  const double* data = rows.data();
  if (HasNonFinite(rows)) {
    imputed.assign(rows.begin(), rows.end());
    for (size_t i = 0; i < imputed.size(); ++i) {
      if (std::isnan(imputed[i])) imputed[i] = fill_[i % d];
    }
    data = imputed.data();
  }
  out->assign(n, 0);
  const size_t trees = num_trees();
  for (size_t t = 0; t < trees; ++t) {
    for (size_t r = 0; r < n; ++r) (*out)[r] += PathLength(t, data + r * d);
  }
  const double scale = 1.0 / (static_cast<double>(trees) * c_psi_);
  for (double& h : *out) h = std::exp2(-h * scale);
}

Severity IsolationForestModel::SeverityOf(double score) const {
  if (score >= summary_.critical) return Severity::kCritical;
  if (score >= summary_.warning) return Severity::kWarning;
  return Severity::kInfo;
}

std::vector<Attribution> IsolationForestModel::Explain(std::span<const double> row, size_t top_k) const {
  std::vector<double> buf;
  const double* x = Imputed(row, &buf);
  const size_t d = num_features();
  std::vector<double> contrib(d, 0);
  struct Step {
    int32_t feature;
    double bits;
  };
  std::vector<Step> path;
  const size_t trees = num_trees();
  for (size_t t = 0; t < trees; ++t) {
    const Node* tree = nodes_.data() + roots_[t];
    const uint32_t* sizes = size_.data() + roots_[t];
    path.clear();
    double total_bits = 0;
    uint32_t i = 0;
    while (tree[i].feature >= 0) {
      const uint32_t next = x[tree[i].feature] < tree[i].value ? i + 1 : tree[i].right;
      const double bits = std::log2(static_cast<double>(sizes[i]) / static_cast<double>(sizes[next]));
      path.push_back({tree[i].feature, bits});
      total_bits += bits;
      i = next;
    }
    if (total_bits <= 0) continue;
    const double evidence = 1.0 - tree[i].value / c_psi_;
    for (const Step& s : path) contrib[static_cast<size_t>(s.feature)] += evidence * s.bits / total_bits;
  }
  std::vector<Attribution> out(d);
  for (size_t f = 0; f < d; ++f) {
    out[f].feature = feature_names_[f];
    out[f].value = row[f];
    out[f].contribution = contrib[f] / static_cast<double>(trees);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Attribution& a, const Attribution& b) { return a.contribution > b.contribution; });
  if (top_k > 0 && out.size() > top_k) out.resize(top_k);
  return out;
}

}  // namespace foresight::models

#include "models/isolation_forest.h"

#include <algorithm>
#include <cassert>
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
    m_->leaf_len_.reserve(m_->nodes_.capacity());
    m_->roots_.clear();
    for (int t = 0; t < options_.num_trees; ++t) {
      // Partial Fisher-Yates on a persistent permutation: the first psi entries are a uniform subset.
      for (size_t k = 0; k < psi; ++k) {
        const size_t j = k + rng_.Below(n_ - k);
        std::swap(perm[k], perm[j]);
      }
      // Gather the subsample, imputing missing cells (only checked when the input has any).
      for (size_t k = 0; k < psi; ++k) {
        const double* src = rows_.data() + static_cast<size_t>(perm[k]) * d_;
        double* dst = sample_.data() + k * d_;
        if (!has_missing_) {
          std::copy_n(src, d_, dst);
        } else {
          for (size_t f = 0; f < d_; ++f) {
            if (std::isfinite(src[f])) {
              dst[f] = src[f];
            } else {
              dst[f] = m_->fill_[f];
              ++m_->summary_.missing_values;
            }
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
  // Mean and std of the finite values of each feature (one row-major pass, shifted sums), and the median
  // used for imputation, taken over at most kMedianRows evenly strided rows (exact below that): a full
  // nth_element per feature used to cost more than building the trees.
  void ComputeFeatureStats() {
    constexpr size_t kMedianRows = 2048;
    m_->fill_.assign(d_, 0);
    m_->mean_.assign(d_, 0);
    m_->std_.assign(d_, 0);
    std::vector<double> shift(d_, 0), sum(d_, 0), sumsq(d_, 0);
    std::vector<uint64_t> count(d_, 0);
    for (size_t f = 0; f < d_; ++f) {
      for (size_t r = 0; r < n_; ++r) {
        if (std::isfinite(rows_[r * d_ + f])) {
          shift[f] = rows_[r * d_ + f];
          break;
        }
      }
    }
    for (size_t r = 0; r < n_; ++r) {
      const double* row = rows_.data() + r * d_;
      for (size_t f = 0; f < d_; ++f) {
        if (!std::isfinite(row[f])) continue;
        const double x = row[f] - shift[f];
        ++count[f];
        sum[f] += x;
        sumsq[f] += x * x;
      }
    }
    for (size_t f = 0; f < d_; ++f) {
      has_missing_ |= count[f] < n_;
      if (count[f] == 0) continue;
      const double c = static_cast<double>(count[f]);
      const double mean = sum[f] / c;
      m_->mean_[f] = shift[f] + mean;
      m_->std_[f] = std::sqrt(std::max(0.0, sumsq[f] / c - mean * mean));
    }
    const size_t k = std::min(n_, kMedianRows);
    std::vector<double> col;
    col.reserve(k);
    for (size_t f = 0; f < d_; ++f) {
      col.clear();
      for (size_t i = 0; i < k; ++i) {
        const double v = rows_[(i * n_ / k) * d_ + f];
        if (std::isfinite(v)) col.push_back(v);
      }
      if (col.empty()) {
        m_->fill_[f] = count[f] ? m_->mean_[f] : 0;  // finite values only outside the strided rows
        continue;
      }
      auto mid = col.begin() + static_cast<std::ptrdiff_t>(col.size() / 2);
      std::nth_element(col.begin(), mid, col.end());
      m_->fill_[f] = *mid;
    }
  }

  void BuildNode(uint32_t begin, uint32_t end, int depth) {
    const uint32_t n = end - begin;
    const size_t id = m_->nodes_.size();
    m_->nodes_.push_back({-std::numeric_limits<double>::infinity(), 0, static_cast<uint32_t>(id)});
    m_->size_.push_back(n);
    m_->leaf_len_.push_back(depth + IsolationForestModel::AveragePathLength(n));
    if (depth >= m_->max_depth_ || n <= 1) return;
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
    if (feature < 0) return;  // all rows identical: cannot be isolated further, stays a leaf
    // Threshold uniform in (lo, hi]; "x < p goes left" then leaves both sides non-empty.
    double p = lo + rng_.Uniform() * (hi - lo);
    if (!(p > lo)) p = std::nextafter(lo, hi);
    uint32_t mid = begin;
    for (uint32_t i = begin; i < end; ++i) {
      if (sample_[idx_[i] * d_ + static_cast<size_t>(feature)] < p) std::swap(idx_[i], idx_[mid++]);
    }
    m_->nodes_[id].feature = feature;
    m_->nodes_[id].threshold = p;
    m_->leaf_len_[id] = 0;
    BuildNode(begin, mid, depth + 1);
    m_->nodes_[id].right = static_cast<uint32_t>(m_->nodes_.size());
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
  bool has_missing_ = false;     // any non-finite cell in the input
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
  m->ComputeWalkDepth();
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

void IsolationForestModel::ComputeWalkDepth() {
  walk_depth_ = 0;
  std::vector<int> depth;
  for (size_t t = 0; t < num_trees(); ++t) {
    const uint32_t root = roots_[t];
    depth.assign(roots_[t + 1] - root, 0);
    // Pre-order: children follow their parent, so one forward pass sees every parent first.
    for (uint32_t i = 0; i < depth.size(); ++i) {
      const Node& n = nodes_[root + i];
      if (n.right == root + i) {
        walk_depth_ = std::max(walk_depth_, depth[i]);
      } else {
        depth[i + 1] = depth[n.right - root] = depth[i] + 1;
      }
    }
  }
}

// One step of a walk, without a data-dependent branch (a mispredicted branch per level would cost more
// than the whole step): left child i + 1 if x < threshold, else right.
inline uint32_t IsolationForestModel::Step(const Node& n, uint32_t i, const double* x) {
  const uint32_t mask = 0u - static_cast<uint32_t>(x[n.feature] < n.threshold);
  return ((i + 1) & mask) | (n.right & ~mask);
}

double IsolationForestModel::SumPathLengths(const double* x) const {
  constexpr size_t kLanes = 16;  // independent walks in flight
  const size_t trees = num_trees();
  const Node* nodes = nodes_.data();
  double h = 0;
  size_t t = 0;
  for (; t + kLanes <= trees; t += kLanes) {
    uint32_t i[kLanes];
    for (size_t k = 0; k < kLanes; ++k) i[k] = roots_[t + k];
    for (int step = 0; step < walk_depth_; ++step) {
#pragma GCC unroll 16
      for (size_t k = 0; k < kLanes; ++k) i[k] = Step(nodes[i[k]], i[k], x);
    }
    for (size_t k = 0; k < kLanes; ++k) h += leaf_len_[i[k]];
  }
  for (; t < trees; ++t) {
    uint32_t i = roots_[t];
    for (int step = 0; step < walk_depth_; ++step) i = Step(nodes[i], i, x);
    h += leaf_len_[i];
  }
  return h;
}

double IsolationForestModel::Score(std::span<const double> row) const {
  assert(row.size() == num_features());
  std::vector<double> buf;
  const double* x = Imputed(row, &buf);
  return ToScore(SumPathLengths(x));
}

void IsolationForestModel::ScoreBatch(std::span<const double> rows, std::vector<double>* out) const {
  const size_t d = num_features();
  assert(rows.size() % d == 0);
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
  // Blocks of rows small enough to stay in L1 with one tree; each tree walks the block's rows 16 at a
  // time. Every row still sums its path lengths in tree order from 0, exactly as Score() does, so batch
  // and single scores are bit-identical.
  constexpr size_t kBlock = 64, kLanes = 16;
  const Node* nodes = nodes_.data();
  const size_t trees = num_trees();
  for (size_t r0 = 0; r0 < n; r0 += kBlock) {
    const size_t r1 = std::min(n, r0 + kBlock);
    double* h = out->data();
    for (size_t t = 0; t < trees; ++t) {
      const uint32_t root = roots_[t];
      size_t r = r0;
      for (; r + kLanes <= r1; r += kLanes) {
        uint32_t i[kLanes];
        const double* x[kLanes];
        for (size_t k = 0; k < kLanes; ++k) {
          i[k] = root;
          x[k] = data + (r + k) * d;
        }
        for (int step = 0; step < walk_depth_; ++step) {
#pragma GCC unroll 16
          for (size_t k = 0; k < kLanes; ++k) i[k] = Step(nodes[i[k]], i[k], x[k]);
        }
        for (size_t k = 0; k < kLanes; ++k) h[r + k] += leaf_len_[i[k]];
      }
      for (; r < r1; ++r) {
        uint32_t i = root;
        for (int step = 0; step < walk_depth_; ++step) i = Step(nodes[i], i, data + r * d);
        h[r] += leaf_len_[i];
      }
    }
  }
  for (double& v : *out) v = ToScore(v);
}

Severity IsolationForestModel::SeverityOf(double score) const {
  if (score >= summary_.critical) return Severity::kCritical;
  if (score >= summary_.warning) return Severity::kWarning;
  return Severity::kInfo;
}

std::vector<Attribution> IsolationForestModel::Explain(std::span<const double> row, size_t top_k) const {
  assert(row.size() == num_features());
  std::vector<double> buf;
  const double* x = Imputed(row, &buf);
  const size_t d = num_features();
  std::vector<double> contrib(d, 0);
  struct PathStep {
    int32_t feature;
    double bits;
  };
  std::vector<PathStep> path;
  const size_t trees = num_trees();
  for (size_t t = 0; t < trees; ++t) {
    path.clear();
    double total_bits = 0;
    uint32_t i = roots_[t];
    while (nodes_[i].right != i) {
      const uint32_t next = Step(nodes_[i], i, x);
      const double bits = std::log2(static_cast<double>(size_[i]) / static_cast<double>(size_[next]));
      path.push_back({nodes_[i].feature, bits});
      total_bits += bits;
      i = next;
    }
    if (total_bits <= 0) continue;
    const double evidence = 1.0 - leaf_len_[i] / c_psi_;
    for (const PathStep& s : path) contrib[static_cast<size_t>(s.feature)] += evidence * s.bits / total_bits;
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

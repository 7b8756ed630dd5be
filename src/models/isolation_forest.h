#pragma once
// Isolation Forest (Liu, Ting & Zhou, ICDM 2008), written from scratch: multivariate anomaly scores for
// entity feature vectors, with severity thresholds calibrated on the training scores, a cheap path-based
// explanation, and a versioned, checksummed file format. Algorithm, calibration rule and file layout:
// docs/MODELS.md.
//
// IsolationForestModel is immutable once trained or loaded: share it as
// std::shared_ptr<const IsolationForestModel>; every const method is thread-safe. Retraining publishes a new
// model by swapping the pointer.

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"
#include "core/status.h"

namespace foresight::models {

struct IsolationForestOptions {
  int num_trees = 100;      // REQUIRES: 1..100'000.
  int subsample = 256;      // ψ, rows per tree (without replacement); min(ψ, rows) is used. REQUIRES: >= 2.
  int max_depth = 0;        // 0: ceil(log2 ψ), the paper's height limit. REQUIRES: 0..64.
  uint64_t seed = 42;       // Same seed + same rows -> bit-identical model (and scores).
  // Severity calibration (docs/MODELS.md): on the training scores, warning = Q(warning_quantile),
  // critical = max(Q(critical_quantile), warning + min_critical_gap), both capped at 1.
  // REQUIRES: 0 < warning_quantile <= critical_quantile <= 1.
  double warning_quantile = 0.99;
  double critical_quantile = 0.999;
  double min_critical_gap = 0.02;
  // Training rows scored for the calibration: all when there are fewer, else an evenly strided subset.
  // 0 scores all rows. Scoring dominates training time on large sets, hence the cap.
  size_t calibration_rows = 8192;
};

// What training saw, kept with the model (the model registry stores it as metrics_json).
struct TrainingSummary {
  uint64_t rows = 0;             // training rows
  uint64_t calibration_rows = 0; // rows scored for the thresholds
  uint64_t missing_values = 0;   // non-finite cells imputed in the trees' subsamples (a row drawn by k
                                 // trees counts k times)
  double score_p50 = 0, score_p90 = 0, score_p99 = 0, score_p999 = 0, score_max = 0;
  double warning = 1;            // score >= warning -> kWarning
  double critical = 1;           // score >= critical -> kCritical
  double warning_quantile = 0;
  double critical_quantile = 0;
};

class IsolationForestModel {
  struct Key {};  // passkey: construct only through Train() / Load()

 public:
  // Trains on `rows`, row-major, rows.size() / num_features rows. Missing values: in training every
  // non-finite cell (NaN, +-inf) is replaced by the feature's training median of finite values (over up to
  // 2048 evenly strided rows; 0 if it has none); in scoring NaN is replaced the same way, while +-inf is kept and simply lands on the extreme side
  // of every split on that feature.
  // feature_names: one per feature (may be empty: then "f0", "f1", ...).
  // Errors: InvalidArgument (num_features == 0, rows.size() not a multiple, fewer than 2 rows, names size,
  // options out of range).
  static Result<std::shared_ptr<const IsolationForestModel>> Train(std::span<const double> rows,
                                                                   size_t num_features,
                                                                   std::vector<std::string> feature_names,
                                                                   const IsolationForestOptions& options);

  // Anomaly score s = 2^(-E[h(x)] / c(ψ)) in (0, 1]: ~1 clearly anomalous, <= 0.5 normal.
  // NaN cells are imputed with the training median. REQUIRES: row.size() == num_features().
  double Score(std::span<const double> row) const;
  // Scores rows (row-major) into *out (resized), bit-identical to Score() per row; walks blocks of rows
  // tree by tree so each tree stays in cache. REQUIRES: rows.size() % num_features() == 0.
  void ScoreBatch(std::span<const double> rows, std::vector<double>* out) const;
  // kCritical if score >= critical, kWarning if >= warning, else kInfo.
  Severity SeverityOf(double score) const;

  // Per-feature contributions to the row's score, largest first (top_k > 0 keeps only the first top_k).
  // Path-based credit: in each tree, the evidence e_t = 1 - h_t / c(ψ) (positive when the row is isolated
  // faster than average) is split among the features tested on the row's path in proportion to the
  // isolation bits log2(n_parent / n_child) of each split. The contributions sum to 1 + log2(score)
  // (= 1 - E[h]/c(ψ)); positive pushes towards anomalous. REQUIRES: row.size() == num_features().
  std::vector<Attribution> Explain(std::span<const double> row, size_t top_k = 0) const;

  // Versioned binary format with magic, version and CRC-32 (docs/MODELS.md). Save writes path.tmp and renames.
  // Errors: Unavailable (I/O).
  Status Save(const std::string& path) const;
  std::string Serialize() const;
  // Errors: NotFound (no file), Unavailable (read error), DataLoss (bad magic, truncated, checksum mismatch,
  // inconsistent structure), FailedPrecondition (a newer format version).
  static Result<std::shared_ptr<const IsolationForestModel>> Load(const std::string& path);
  static Result<std::shared_ptr<const IsolationForestModel>> Deserialize(std::string_view bytes);

  size_t num_features() const { return feature_names_.size(); }
  size_t num_trees() const { return roots_.size() - 1; }
  size_t num_nodes() const { return nodes_.size(); }
  int subsample() const { return psi_; }
  int max_depth() const { return max_depth_; }
  uint64_t seed() const { return seed_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  // Imputation value per feature (training median).
  const std::vector<double>& fill_values() const { return fill_; }
  const std::vector<double>& feature_mean() const { return mean_; }
  const std::vector<double>& feature_std() const { return std_; }
  const TrainingSummary& summary() const { return summary_; }

  // Average path length of an unsuccessful BST search among n points, c(n) in the paper.
  static double AveragePathLength(double n);
  // c(psi): the normaliser of the score, s = 2^(-E[h] / c(psi)).
  double average_path_length_psi() const { return c_psi_; }

  // Read-only view of the trees for explainers (src/explain, TreeSHAP). Node ids are absolute; tree t's
  // root is tree_root(t). Every internal node has two non-empty children (size > 0).
  struct NodeView {
    bool leaf;
    int32_t feature;      // split feature (internal nodes)
    double threshold;     // go left iff x[feature] < threshold (internal nodes)
    uint32_t left, right; // children (internal nodes)
    uint32_t size;        // training rows (of the tree's subsample) reaching the node
    double path_length;   // leaf: depth + c(size), the tree's output for rows ending here; internal: 0
  };
  uint32_t tree_root(size_t t) const { return roots_[t]; }
  NodeView node(uint32_t i) const {
    const Node& n = nodes_[i];
    return NodeView{n.right == i, n.feature, n.threshold, i + 1, n.right, size_[i], leaf_len_[i]};
  }

  explicit IsolationForestModel(Key) {}

 private:
  // Flat pre-order layout, trees one after another: the left child of node i is i + 1, the right child is
  // `right` (absolute index; the file stores it relative to the tree). A leaf points to itself with threshold -inf, so a walk that has
  // reached its leaf stays there: scoring takes exactly walk_depth_ steps per tree with no data-dependent
  // branch, and interleaves several trees to hide memory latency. Leaf path lengths (depth + c(size)) and
  // node sizes live in parallel arrays, read once per tree and only by Explain() respectively.
  struct Node {
    double threshold;  // go left iff x[feature] < threshold; -inf for a leaf
    int32_t feature;   // split feature; 0 for a leaf (any valid index: the compare is always false)
    uint32_t right;    // right child (absolute index); a leaf's own index
  };
  static_assert(sizeof(Node) == 16);

  friend class ForestBuilder;
  friend class ModelCodec;

  // One branch-free step of a walk from node i.
  static uint32_t Step(const Node& n, uint32_t i, const double* x);
  // Sum over trees of the path length of `x` (an imputed row).
  double SumPathLengths(const double* x) const;
  // 2^(-E[h] / c(psi)) from the sum of path lengths.
  double ToScore(double sum_path_lengths) const {
    return std::exp2(-(sum_path_lengths / static_cast<double>(num_trees())) / c_psi_);
  }
  // Copies row into *buf with NaN replaced; returns the pointer to use.
  const double* Imputed(std::span<const double> row, std::vector<double>* buf) const;
  void Calibrate(std::span<const double> rows, const IsolationForestOptions& options);
  // Sets walk_depth_ from the tree structure (after training or loading).
  void ComputeWalkDepth();

  std::vector<Node> nodes_;
  std::vector<double> leaf_len_;   // leaf: depth + c(leaf size); internal node: 0
  std::vector<uint32_t> size_;     // training rows reaching each node
  std::vector<uint32_t> roots_;    // first node of each tree, plus nodes_.size() at the end
  std::vector<std::string> feature_names_;
  std::vector<double> fill_, mean_, std_;
  int psi_ = 0;
  int max_depth_ = 0;
  int walk_depth_ = 0;             // deepest leaf over all trees
  uint64_t seed_ = 0;
  double c_psi_ = 1;
  TrainingSummary summary_;
};

using IsolationForestPtr = std::shared_ptr<const IsolationForestModel>;

}  // namespace foresight::models

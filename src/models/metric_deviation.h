#pragma once
// Per-metric deviation model for multivariate server metrics (SMD-style rows of d metrics): learns each
// metric's training mean and standard deviation (floored) from normal rows; a row's per-metric terms are
// c_d = min(|x_d - mean_d| / scale_d, cap) and its score is the mean of the top_k largest terms. The terms
// rank the metrics that drove the score (SMD interpretation HitRate). Streaming scoring is O(d) per row;
// a causal exponential average of the row scores (Scorer, weight `ewma_alpha` on the newest) turns
// point spikes into segment evidence. Parameters chosen on SMD machines 1-2, 1-3, 2-1 (docs/RESULTS.md).

#include <cstddef>
#include <span>
#include <vector>

#include "core/status.h"

namespace foresight::models {

struct MetricDeviationOptions {
  double min_scale = 0.03;  // floor of a metric's scale (data min-max normalised to [0, 1])
  double cap = 50;          // per-metric deviation cap, in scales
  size_t top_k = 2;         // the row score is the mean of the top_k largest terms
  double ewma_alpha = 0.1;  // weight of the newest row score in the causal average (1 = none)
};

class MetricDeviationModel {
 public:
  // rows: row-major, rows.size() / d rows. Errors: InvalidArgument (d == 0, not a multiple, < 2 rows).
  static Result<MetricDeviationModel> Train(std::span<const double> rows, size_t d,
                                            const MetricDeviationOptions& options = {});
  // Per-metric terms of one row (size d).
  void Contributions(std::span<const double> row, std::vector<double>* out) const;
  // Mean of the top_k terms (unsmoothed).
  double Score(std::span<const double> row) const;
  // Mean of the top_k of the given terms.
  double Combine(const std::vector<double>& terms) const;
  size_t num_metrics() const { return centre_.size(); }
  const MetricDeviationOptions& options() const { return options_; }

  // Streaming scorer: each row once, in order; the score is the exponential average of the row scores.
  class Scorer {
   public:
    explicit Scorer(const MetricDeviationModel& m) : m_(m) {}
    // Returns the smoothed score; *contributions (if given) receives this row's per-metric terms.
    double Update(std::span<const double> row, std::vector<double>* contributions = nullptr);

   private:
    const MetricDeviationModel& m_;
    bool first_ = true;
    double avg_ = 0;
    std::vector<double> buf_;
  };

 private:
  std::vector<double> centre_, scale_;
  MetricDeviationOptions options_;
};

}  // namespace foresight::models

#pragma once
// Per-metric deviation model for multivariate server metrics (SMD-style rows of d metrics): learns each
// metric's robust centre and scale from normal training rows, scores a row as the sum of per-metric terms
// c_d = min(|x_d - centre_d| / scale_d, cap)^2 / d. The score is additive over metrics, so the terms are
// the row's exact Shapley values against the training centre (up to each term's constant background
// mean), and rank the metrics that drove it. Streaming scoring is O(d) per row; a causal moving average
// over the last `smooth` rows (Scorer) turns point spikes into segment evidence.

#include <cstddef>
#include <deque>
#include <span>
#include <vector>

#include "core/status.h"

namespace foresight::models {

struct MetricDeviationOptions {
  double min_scale = 0.02;  // floor of a metric's scale (data min-max normalised to [0, 1])
  double cap = 10;          // per-metric deviation cap, in scales
  size_t smooth = 1;        // causal moving average length of the row score (1 = none)
};

class MetricDeviationModel {
 public:
  // rows: row-major, rows.size() / d rows. Errors: InvalidArgument (d == 0, not a multiple, < 2 rows).
  static Result<MetricDeviationModel> Train(std::span<const double> rows, size_t d,
                                            const MetricDeviationOptions& options = {});
  // Per-metric terms of one row (size d); their sum is the row score.
  void Contributions(std::span<const double> row, std::vector<double>* out) const;
  double Score(std::span<const double> row) const;
  size_t num_metrics() const { return centre_.size(); }
  const MetricDeviationOptions& options() const { return options_; }

  // Streaming scorer: each row once, in order; the score is the mean of the last `smooth` row scores.
  class Scorer {
   public:
    explicit Scorer(const MetricDeviationModel& m) : m_(m) {}
    // Returns the smoothed score; *contributions (if given) receives this row's per-metric terms.
    double Update(std::span<const double> row, std::vector<double>* contributions = nullptr);

   private:
    const MetricDeviationModel& m_;
    std::deque<double> last_;
    double sum_ = 0;
    std::vector<double> buf_;
  };

 private:
  std::vector<double> centre_, scale_;
  MetricDeviationOptions options_;
};

}  // namespace foresight::models

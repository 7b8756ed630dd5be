#pragma once
// DeviationModel: a robust per-metric baseline that complements the entity's Isolation Forest.
// For each metric's level (ewma) and trend (slope_15m) feature it keeps the training median, MAD and
// 99.9th-percentile deviation, and scores a row by its largest deviation relative to that tail, so a
// heavy-tailed feature counts as much as a well-behaved one. The forest is weak on an
// excursion of one metric among many (its random split choice rarely lands on it); this baseline is
// strong exactly there and blind to unusual combinations, which the forest sees. The pipeline scores
// both and keeps the larger calibrated score.
// Immutable after Fit(); thread-safe to read.

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace foresight::app {

struct Deviation {
  size_t feature = 0;     // index into the model's feature names
  double z = 0;           // signed robust z-score, (x - median) / (1.4826 MAD), for people to read
  double tail_ratio = 0;  // (x - median) / the feature's 99.9th-percentile training deviation: what is scored
};

class DeviationModel {
 public:
  // Fits on row-major training rows over `names`, using the features whose names end in one of
  // `suffixes` (".ewma", ".slope_15m"). Calibrates warning/critical on the training rows' max tail ratio at
  // the given quantiles. Errors: InvalidArgument (no matching feature, no rows).
  static Result<DeviationModel> Fit(std::span<const double> rows, const std::vector<std::string>& names,
                                    const std::vector<std::string>& suffixes, double warning_quantile,
                                    double critical_quantile);

  // The monitored feature with the largest tail ratio (NaN features ignored).
  Deviation Max(std::span<const double> row) const;
  // Max |tail ratio| mapped onto 0..1 like the forest's score: median -> 0.25, warning -> 0.6, critical -> 0.8,
  // 2 x critical -> 1.
  double Score(std::span<const double> row) const;
  double warning() const { return warning_; }
  double critical() const { return critical_; }
  double center(size_t feature) const;
  double scale(size_t feature) const;

  nlohmann::json ToJson() const;
  static Result<DeviationModel> FromJson(const nlohmann::json& j);

 private:
  std::vector<size_t> features_;
  std::vector<double> center_, scale_, tail_;
  double p50_ = 0, warning_ = 0, critical_ = 0;
};

}  // namespace foresight::app

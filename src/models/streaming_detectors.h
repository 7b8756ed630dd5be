#pragma once
// Streaming univariate anomaly detectors: one value at a time, in time order, each point seen once, no
// look-ahead. Every Update() costs O(1) or O(window) with a fixed window, so a detector can run per series
// in `foresight serve` as well as over NAB in `foresight eval nab`.
//
// - "gaussian":  windowed Gaussian tail probability of the value (the simple baseline NAB ships).
// - "seasonal":  robust seasonal baseline: per time-of-week slot (hour of day x weekday/weekend), EW median
//                and EW mean absolute deviation; the score is the residual in deviations.
// - "knn":       distance of the latest shingle (last L values, scaled) to its nearest neighbours among
//                the previous M shingles (a windowed nearest-neighbour / discord detector).
// - "forecast":  residual of a damped-trend Holt forecast, in EW deviations of past residuals.
// - "ensemble":  the shipped detector: the seasonal and kNN raw scores each turned into an anomaly
//                likelihood against their own history (mean of the last 5 raw scores vs the distribution
//                of up to 6 x probation past ones, Numenta's recipe, log-scaled), plus range novelty (how
//                far the value falls outside every value seen so far, 1 - exp(-200 x excess / range)),
//                combined by the maximum, with a hold-off of 0.2 x probation rows after a score >= 0.5
//                (scores halved) so one event raises one alarm. NAB: 73.6 standard (docs/RESULTS.md).
//                The forecast and Gaussian components are available to it (knob "parts") but lowered the
//                NAB score.
//
// Scores are in [0, 1]; higher is more anomalous. Not thread-safe: one instance per series.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace foresight::models {

struct StreamingOptions {
  // Rows the detector may use to learn before its scores count (NAB: min(15 % of the file, 750)).
  // Detectors output 0 during it.
  size_t probation = 750;
  // Tuning knobs by name (development only; the defaults are the shipped configuration, see
  // streaming_detectors.cc for the names). Unknown names are ignored.
  std::map<std::string, double> params;
};

class StreamingDetector {
 public:
  virtual ~StreamingDetector() = default;
  // The anomaly score of this point given every earlier point; then learns from it. timestamp_us:
  // microseconds since the epoch (only "seasonal" and "ensemble" use it). A NaN value scores 0 and is
  // not learnt.
  virtual double Update(int64_t timestamp_us, double value) = 0;
};

// "ensemble" first (the default), then every component.
std::vector<std::string> StreamingDetectorNames();
// Errors: InvalidArgument naming the unknown detector and the known ones.
Result<std::unique_ptr<StreamingDetector>> MakeStreamingDetector(std::string_view name,
                                                                 const StreamingOptions& options = {});

}  // namespace foresight::models

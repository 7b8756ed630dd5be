#pragma once
// Server Machine Dataset (OmniAnomaly, KDD 2019) evaluation: per machine, train on train/ (normal rows),
// stream test/ row by row (no look-ahead), then
// - point-wise best-threshold F1 WITHOUT point adjustment (the primary figure),
// - point-adjusted F1 (a segment counts as fully detected once any of its points is) and PA%K (only when
//   more than K % of its points are), best threshold each, for comparison with published figures,
// - interpretation HitRate@100 % and @150 %: per labelled segment with true metric set G, the 38 metrics
//   ranked by their largest attribution over the segment; hits = |top floor(P |G| / 100) ∩ G| / |G|.
// Metrics: mean over machines (the aims) and over all rows pooled.

#include <string>
#include <vector>

#include "core/status.h"

namespace foresight::eval {

struct SmdOptions {
  std::string data_dir;  // train/, test/, test_label/, interpretation_label/
  std::string out_dir;   // optional: per-machine scores CSV and summary.json
  std::string filter;    // machines whose name contains this
  double pa_k = 20;      // PA%K's K, in percent
  double ewma_alpha = 0;  // 0: the detector's default
  // Attributions ranked for HitRate: "deviation" (the detector's per-metric |z|) or "treeshap" (TreeSHAP
  // of an Isolation Forest trained on the same train/ rows, 100 trees, psi 256).
  std::string attribution = "deviation";
};

struct F1 {
  double f1 = 0, precision = 0, recall = 0, threshold = 0;
};

struct SmdMachineResult {
  std::string machine;
  size_t train_rows = 0, test_rows = 0, anomalies = 0, segments = 0;
  F1 pointwise, point_adjusted, pa_k;
  double hit100 = 0, hit150 = 0;
  size_t interpreted_segments = 0;
};

struct SmdResult {
  std::vector<SmdMachineResult> machines;
  SmdMachineResult mean;    // F1s and hit rates averaged over machines
  double seconds = 0;
};

// Errors: NotFound / InvalidArgument naming the file and line.
Result<SmdResult> RunSmd(const SmdOptions& options);
void PrintSmdTable(const SmdResult& r);

// Best-threshold F1 of scores against 0/1 labels (exact sweep over every distinct score).
F1 BestF1(const std::vector<double>& scores, const std::vector<int>& labels);
// Best-threshold F1 with point adjustment; k_percent < 0: plain PA, else PA%K.
F1 BestAdjustedF1(const std::vector<double>& scores, const std::vector<int>& labels, double k_percent);

}  // namespace foresight::eval

#pragma once
// Explanations: which features (and metrics) drove a score.
//
// - TreeShap: path-dependent TreeSHAP (Lundberg et al., Nature MI 2020, Algorithm 2) on an Isolation
//   Forest, exact, O(trees x leaves x depth) per row.
// - Shapley: model-agnostic Shapley values of any scoring function against a background sample: exact over
//   all coalitions for <= 12 features, Kernel SHAP (Lundberg & Lee 2017) beyond.
// - ByMetric: feature contributions summed back to the metric they came from ("memory_used_percent.slope_15m"
//   -> "memory_used_percent").
// - GlobalImportance: mean |contribution| per feature over rows.
//
// Every function is thread-safe (pure, or reads an immutable model). Sign convention everywhere: a positive
// contribution pushes the score towards anomalous.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "models/isolation_forest.h"

namespace foresight::explain {

struct Explanation {
  double base = 0;                    // expected model output (see each function for which expectation)
  double output = 0;                  // the model output for this row; base + sum(contributions) == output
                                      // within 1e-6
  std::vector<double> contributions;  // one per feature, in the model's feature order
};

// On which scale TreeShap expresses the forest's output.
enum class ForestScale {
  // The anomaly score s = 2^(-E[h]/c(psi)) in (0, 1], exactly what IsolationForestModel::Score returns.
  // output = Score(row); base = 2^(-E_train[h]/c(psi)), the score of the expected path length over the
  // training distribution (each tree's leaves weighted by their training row counts). The score is a
  // monotone function of the mean path length, so the exact SHAP values of the exponent (kExponent below)
  // are rescaled by the secant (s(x) - base) / (g(x) - g_base) > 0: signs and ranking are those of the exact
  // values and the contributions sum to output - base.
  kScore,
  // The exponent g = 1 + log2(s) = 1 - E[h]/c(psi), linear in the trees' path lengths: the values are the
  // exact path-dependent TreeSHAP values (they equal brute-force Shapley values of the game
  // v(S) = E[g(x) | x_S] under the trees' training-count weights). Same scale as
  // IsolationForestModel::Explain.
  kExponent,
};

// Path-dependent TreeSHAP on the Isolation Forest's path lengths. NaN cells are imputed with the model's
// training medians, as Score() does. REQUIRES: row.size() == m.num_features().
Explanation TreeShap(const models::IsolationForestModel& m, std::span<const double> row,
                     ForestScale scale = ForestScale::kScore);

// Model-agnostic (interventional) Shapley values of f at `row` against `background` (rows from the
// training data; each of row.size() values). v(S) = mean over background rows b of f(x_S, b_rest);
// base = v({}) = mean f(b), output = v(all) = f(row).
// Exact over all 2^d coalitions when d <= 12 (d = row.size(); cost 2^d x |background| calls of f);
// beyond, Kernel SHAP: `kernel_samples` coalitions drawn from the Shapley kernel (in complementary
// pairs, deterministic for a seed), solved by weighted least squares with the additivity constraint, so
// additivity holds exactly and the values are estimates. f must be thread-safe.
// REQUIRES: background non-empty, every background row of row.size(); kernel_samples >= 2.
Explanation Shapley(const std::function<double(std::span<const double>)>& f, std::span<const double> row,
                    const std::vector<std::vector<double>>& background, int kernel_samples = 2048,
                    uint64_t seed = 1);

// The two halves of Shapley(), callable directly: exact for any d <= 20 (2^d coalitions), and Kernel SHAP
// for any d (tests compare them on the same function).
Explanation ShapleyExact(const std::function<double(std::span<const double>)>& f, std::span<const double> row,
                         const std::vector<std::vector<double>>& background);
Explanation KernelShap(const std::function<double(std::span<const double>)>& f, std::span<const double> row,
                       const std::vector<std::vector<double>>& background, int kernel_samples = 2048,
                       uint64_t seed = 1);

// One metric's share: the sum of its features' contributions. features: (feature name, contribution) of
// that metric, sorted by |contribution| descending.
struct MetricContribution {
  std::string metric;
  double contribution = 0;
  std::vector<std::pair<std::string, double>> features;
};

// Feature names "metric.feature" (e.g. "memory_used_percent.slope_15m") are grouped by the part before
// the LAST '.'; a name without '.' is its own metric. Sorted by |contribution| descending (ties by name).
// REQUIRES: feature_names.size() == e.contributions.size().
std::vector<MetricContribution> ByMetric(std::span<const std::string> feature_names, const Explanation& e);

// Global importance: mean |contribution| (TreeShap, kScore) per feature over `rows`, in the model's
// feature order. Empty rows -> all zeros.
std::vector<double> GlobalImportance(const models::IsolationForestModel& m,
                                     const std::vector<std::vector<double>>& rows);

}  // namespace foresight::explain

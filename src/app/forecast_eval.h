#pragma once
// `foresight eval forecast`: time-to-failure accuracy on the fleet simulator's exhaustion scenarios
// (memory leak, disk fill, connection-pool leak) with known failure times, judged by the same code the
// running server uses (EvaluateLimit, ForecastSeverity).
//
//   ETA error   for every evaluation before the failure where a P50 exists: |P50 - failure| / true TTF;
//               the median over evaluations (and per scenario), plus how often [P10, P90] holds the truth.
//   lead time   failure time minus the first evaluation at which a warning (or critical) had been
//               predicted on `confirm` consecutive evaluations, as the server would open it.
//   false warnings  on the same fleet with no scenario, over `normal_days` of simulated operation: episodes
//               that reach warning or worse, per entity and week.

#include <cstdint>
#include <string>

#include "app/forecast_stage.h"

namespace foresight::app {

struct ForecastEvalOptions {
  int hosts = 8;                         // simulated fleet (roles cycle web, api, worker, db)
  uint64_t seed = 42;
  int64_t eval_every_ns = 10 * 60 * kNanosPerSecond;   // evaluation cadence during a scenario
  int64_t normal_every_ns = 30 * 60 * kNanosPerSecond; // cadence over the normal weeks
  int normal_days = 7;
  std::vector<int64_t> ramps_ns = {3 * 3600 * kNanosPerSecond, 6 * 3600 * kNanosPerSecond,
                                   12 * 3600 * kNanosPerSecond, 24 * 3600 * kNanosPerSecond};
  int entities_per_kind = 2;
  std::string out_dir;                   // "" = no files; else scenarios.json, evaluations.csv, summary.md
  bool progress = true;                  // progress lines on stderr
  ForecastStageOptions stage;            // settings (horizon, history, step, severity) as the server uses
};

// Runs the evaluation, prints the summary (markdown) to stdout. Returns the process exit code.
int RunForecastEval(const ForecastEvalOptions& o);

}  // namespace foresight::app

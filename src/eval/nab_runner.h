#pragma once
// Runs a streaming detector over the NAB corpus the way NAB does: every file from its first row, each point
// once and in order, the detector told only the probationary length; writes NAB's results layout
// (<out>/<detector>/<category>/<detector>_<file>.csv: timestamp,value,anomaly_score,label) and scores the
// files it wrote with nab_scorer.h.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/nab_scorer.h"

namespace foresight::eval {

struct NabRunOptions {
  std::string data_dir;          // NAB's root: data/, labels/combined_windows.json, config/profiles.json
  std::string out_dir;           // results root; files go to <out_dir>/<detector>/...
  std::string detector = "ensemble";
  std::string filter;            // run only files whose key contains this ("" = all 58)
  int threads = 2;
  std::map<std::string, double> params;  // detector tuning knobs (models::StreamingOptions::params)
  // Called after each file (from any worker thread, serialised): done, total, key, rows, seconds.
  std::function<void(size_t, size_t, const std::string&, size_t, double)> progress;
};

struct NabRunResult {
  std::vector<nab::ProfileResult> profiles;
  size_t files = 0;
  size_t rows = 0;
  double seconds = 0;       // detection wall time
  std::string results_dir;  // <out_dir>/<detector>
};

// Errors: NotFound / InvalidArgument naming the missing or bad file; InvalidArgument for an unknown
// detector or a filter that matches nothing.
Result<NabRunResult> RunNab(const NabRunOptions& options);

// "YYYY-MM-DD HH:MM:SS" of microseconds since the epoch (UTC).
std::string FormatTimestamp(int64_t us);

}  // namespace foresight::eval

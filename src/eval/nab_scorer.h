#pragma once
// The Numenta Anomaly Benchmark's scoring (NAB v1.1), reimplemented: anomaly windows, the scaled sigmoid,
// the application profiles, the probationary period, one threshold per profile optimised over the whole
// corpus, and normalisation between the null and the perfect detector. Rules, as NAB's sweeper applies them:
//
// - Every row of a file gets a "sweep score". Inside a window [l, r] (row indices), row i scores
//   tpWeight * S(-(r - i + 1) / (r - l + 1)) / S(-1); outside, after a window of width w ending at r,
//   fpWeight * S(|r - i| / (w - 1)); before any window, -fpWeight. S(x) = 2 / (1 + e^(5x)) - 1, and
//   S(x) = -1 for x >= 3.
// - Rows of the probationary period (the first min(floor(0.15 n), 750) rows) are never scored.
// - At a threshold T, a row with anomaly score >= T is a detection. A window scores the largest sweep score
//   of its detections (its earliest), or -fnWeight if none; every detection outside windows adds its sweep
//   score. A file's score is the sum.
// - The threshold of a profile is the one maximising the corpus total among every distinct anomaly score
//   (and 1.1, which detects nothing); ties keep the highest threshold.
// - Normalised score = 100 (raw - null) / (perfect - null): null = the raw score of a detector that never
//   fires (-fnWeight per window), perfect = tpWeight per window.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace foresight::eval::nab {

struct CostMatrix {
  double tp = 1, fp = 0.11, fn = 1;
};

struct Profile {
  std::string name;  // "standard", "reward_low_FP_rate", "reward_low_FN_rate"
  CostMatrix cost;
};

// NAB's three profiles with their published weights (config/profiles.json).
std::vector<Profile> DefaultProfiles();
// Reads config/profiles.json. Errors: NotFound, InvalidArgument (not NAB's shape).
Result<std::vector<Profile>> LoadProfiles(const std::string& path);

// Timestamps are microseconds since the epoch (UTC, as written, no zone).
// Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (also with 'T'). Errors: InvalidArgument.
Result<int64_t> ParseTimestamp(std::string_view text);

struct Window {
  int64_t start = 0, end = 0;  // inclusive, timestamps of existing rows
};
// File key ("realKnownCause/nyc_taxi.csv") -> windows in time order.
using Windows = std::map<std::string, std::vector<Window>>;
// Reads labels/combined_windows.json. Errors: NotFound, InvalidArgument.
Result<Windows> LoadWindows(const std::string& path);

// One file's anomaly scores, rows in time order.
struct FileScores {
  std::string key;                  // "realKnownCause/nyc_taxi.csv"
  std::vector<int64_t> timestamps;  // microseconds
  std::vector<double> values;       // the series value (kept for writing results)
  std::vector<double> scores;       // anomaly_score
};

// Reads a CSV with a header naming at least "timestamp" and (when `need_score`) "anomaly_score", plus
// optionally "value". Errors: NotFound, InvalidArgument (naming the file and line).
Result<FileScores> ReadScoresCsv(const std::string& path, const std::string& key, bool need_score = true);

// Reads every results file of a detector directory in NAB's layout
// (<dir>/<category>/<detector>_<file>.csv) for every key of `windows`. Errors: NotFound naming a
// missing file.
Result<std::vector<FileScores>> ReadResultsDir(const std::string& dir, const std::string& detector,
                                               const Windows& windows);

struct FileResult {
  std::string key;
  double score = 0;
  int windows = 0, windows_detected = 0, fp_rows = 0;
};

struct ProfileResult {
  std::string profile;
  double threshold = 0;
  double raw = 0;         // sum over files at the threshold
  double null_raw = 0;    // never fires
  double perfect = 0;     // every window detected at its left edge, no false positive
  double normalized = 0;  // 100 (raw - null) / (perfect - null)
  int windows = 0, windows_detected = 0, fp_rows = 0;
  std::vector<FileResult> files;
};

// Optimises one threshold per profile over the whole corpus, then scores every file at it.
// probation_percent: NAB's 0.15. Errors: InvalidArgument (a file without windows entry, a window
// timestamp that is not a row, lengths differ).
// fixed_thresholds: profile name -> threshold to use instead of optimising (e.g. NAB's own
// config/thresholds.json, to reproduce its published numbers); profiles not in it are optimised.
Result<std::vector<ProfileResult>> ScoreCorpus(const std::vector<FileScores>& files, const Windows& windows,
                                               const std::vector<Profile>& profiles,
                                               double probation_percent = 0.15,
                                               const std::map<std::string, double>& fixed_thresholds = {});
// Reads NAB's config/thresholds.json entry of one detector: profile -> threshold. Errors: NotFound,
// InvalidArgument (no such detector).
Result<std::map<std::string, double>> LoadThresholds(const std::string& path, const std::string& detector);

// Probationary rows of a file of n rows: min(floor(p n), p * 5000).
size_t ProbationaryLength(size_t n, double probation_percent = 0.15);

}  // namespace foresight::eval::nab

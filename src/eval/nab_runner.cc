#include "eval/nab_runner.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "models/streaming_detectors.h"

namespace foresight::eval {
namespace fs = std::filesystem;

std::string FormatTimestamp(int64_t us) {
  int64_t sec = us / 1'000'000;
  if (us < 0 && us % 1'000'000) --sec;
  int64_t days = sec / 86400, rem = sec % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (H. Hinnant)
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y0 = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = y0 + (m <= 2);
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60);
}

Result<NabRunResult> RunNab(const NabRunOptions& o) {
  const fs::path root(o.data_dir);
  FS_ASSIGN_OR_RETURN(nab::Windows all_windows, nab::LoadWindows((root / "labels/combined_windows.json").string()));
  std::vector<nab::Profile> profiles = nab::DefaultProfiles();
  if (fs::exists(root / "config/profiles.json")) {
    FS_ASSIGN_OR_RETURN(profiles, nab::LoadProfiles((root / "config/profiles.json").string()));
  }
  // Fail on an unknown detector before any work.
  FS_RETURN_IF_ERROR(models::MakeStreamingDetector(o.detector).status());
  nab::Windows windows;
  for (const auto& [key, ws] : all_windows) {
    if (o.filter.empty() || key.find(o.filter) != std::string::npos) windows[key] = ws;
  }
  if (windows.empty()) return Status::InvalidArgument("--files", "matches no NAB file: " + o.filter);
  std::vector<std::string> keys;
  for (const auto& [key, ws] : windows) keys.push_back(key);

  NabRunResult result;
  result.results_dir = (fs::path(o.out_dir) / o.detector).string();
  std::atomic<size_t> next{0}, done{0}, rows{0};
  std::mutex mu;
  Status first_error = Status::Ok();
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= keys.size()) return;
      const std::string& key = keys[i];
      const auto f0 = std::chrono::steady_clock::now();
      auto run = [&]() -> Status {
        FS_ASSIGN_OR_RETURN(nab::FileScores f, nab::ReadScoresCsv((root / "data" / key).string(), key, false));
        models::StreamingOptions so;
        so.probation = nab::ProbationaryLength(f.timestamps.size());
        so.params = o.params;
        FS_ASSIGN_OR_RETURN(auto det, models::MakeStreamingDetector(o.detector, so));
        const fs::path kp(key);
        const fs::path out = fs::path(result.results_dir) / kp.parent_path() / (o.detector + "_" + kp.filename().string());
        std::error_code ec;
        fs::create_directories(out.parent_path(), ec);
        if (ec) return Status::Unavailable(out.parent_path().string(), ec.message());
        std::ofstream csv(out);
        if (!csv) return Status::Unavailable(out.string(), "cannot write");
        csv << "timestamp,value,anomaly_score,label\n";
        const auto& ws = windows.at(key);
        size_t w = 0;
        for (size_t r = 0; r < f.timestamps.size(); ++r) {
          // Strictly streaming: the detector sees this row only now, after every earlier one.
          const double score = det->Update(f.timestamps[r], f.values[r]);
          while (w < ws.size() && ws[w].end < f.timestamps[r]) ++w;
          const bool in = w < ws.size() && ws[w].start <= f.timestamps[r] && f.timestamps[r] <= ws[w].end;
          csv << FormatTimestamp(f.timestamps[r]) << ',' << fmt::format("{}", f.values[r]) << ','
              << fmt::format("{}", score) << ',' << (in ? 1 : 0) << '\n';
        }
        if (!csv.flush()) return Status::Unavailable(out.string(), "write failed");
        rows += f.timestamps.size();
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
        std::lock_guard lock(mu);
        const size_t d = ++done;
        if (o.progress) o.progress(d, keys.size(), key, f.timestamps.size(), secs);
        return Status::Ok();
      };
      Status st = run();
      if (!st.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = st;
        next = keys.size();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, o.threads); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (!first_error.ok()) return first_error;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.files = keys.size();
  result.rows = rows;
  // Score what was written, read back from disk through NAB's layout.
  FS_ASSIGN_OR_RETURN(auto files, nab::ReadResultsDir(result.results_dir, o.detector, windows));
  FS_ASSIGN_OR_RETURN(result.profiles, nab::ScoreCorpus(files, windows, profiles));
  return result;
}

}  // namespace foresight::eval

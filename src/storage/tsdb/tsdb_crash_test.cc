// Crash test: a child process ingests and reports every acknowledged batch; we kill -9 it at random
// (seeded) points, reopen the store and require every acknowledged sample to be there, bit-exact.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include "storage/tsdb/crash_protocol.h"
#include "storage/tsdb/test_util.h"
#include "storage/tsdb/tsdb.h"

namespace foresight::storage::tsdb {
namespace {

std::string ChildPath() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "tsdb_crash_child").string();
}

// Runs the child until `run_ms` after its first acknowledgement, kills it, and returns everything it reported.
std::string RunAndKill(const std::string& dir, uint64_t seed, int run_ms, bool interval) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const std::string child = ChildPath();
  const std::string seed_str = std::to_string(seed);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(child.c_str(), child.c_str(), dir.c_str(), seed_str.c_str(), interval ? "interval" : "batch",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::time_point::max();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && std::chrono::steady_clock::now() < give_up) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 5) > 0) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // the child died on its own
      out.append(buf, static_cast<size_t>(n));
      if (deadline == std::chrono::steady_clock::time_point::max()) {
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
      }
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Whatever the child wrote before dying was acknowledged first.
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited early, status " << status;
  return out;
}

TEST(TsdbCrashTest, EveryAcknowledgedSampleSurvivesKill9) {
  ASSERT_TRUE(std::filesystem::exists(ChildPath())) << ChildPath();
  TempDir dir;
  std::mt19937_64 rng(20261124);
  std::vector<int64_t> acked(crash::kSeries, -1);  // highest acknowledged k per series
  constexpr int kIterations = 24;
  uint64_t total_checked = 0;
  for (int it = 0; it < kIterations; ++it) {
    const int run_ms = static_cast<int>(rng() % 250);
    // Alternate the fsync policies: both acknowledge only what survives a process crash.
    std::string out = RunAndKill(dir.path(), rng(), run_ms, it % 2 == 1);
    std::istringstream lines(out);
    int i;
    int64_t k;
    while (lines >> i >> k) {
      ASSERT_TRUE(i >= 0 && i < crash::kSeries);
      acked[i] = std::max(acked[i], k);
    }
    ASSERT_FALSE(out.empty()) << "iteration " << it << ": the child acknowledged nothing";

    CapturingLogger log;
    TsdbOptions o;
    o.data_dir = dir.path();
    o.background = false;
    o.logger = log.logger;
    auto db = Tsdb::Open(o, SystemClock::Get());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int s = 0; s < crash::kSeries; ++s) {
      auto id = (*db)->Resolve(Labels({{"__name__", "crash"}, {"i", std::to_string(s)}}));
      ASSERT_TRUE(id.ok());
      std::vector<Sample> got;
      ASSERT_TRUE((*db)->ReadRange(*id, 0, std::numeric_limits<TimestampNs>::max(), &got).ok());
      // Every sample up to the highest acknowledged one, contiguous and exact (later unacknowledged
      // samples may or may not be there).
      ASSERT_GE(static_cast<int64_t>(got.size()), acked[s] + 1)
          << "iteration " << it << " series " << s << " lost acknowledged samples; log:\n" << log.text();
      for (int64_t j = 0; j <= acked[s]; ++j) {
        ASSERT_EQ(got[j].ts_ns, crash::kBase + j) << "iteration " << it << " series " << s;
        ASSERT_EQ(got[j].value, crash::ValueOf(s, j)) << "iteration " << it << " series " << s;
      }
      for (size_t j = 1; j < got.size(); ++j) ASSERT_EQ(got[j].ts_ns, got[j - 1].ts_ns + 1);
      // The next child continues after whatever survived, so count that as acknowledged from now on.
      acked[s] = static_cast<int64_t>(got.size()) - 1;
      total_checked += got.size();
    }
  }
  std::printf("crash test: %d kills, %llu samples verified\n", kIterations,
              static_cast<unsigned long long>(total_checked));
}

}  // namespace
}  // namespace foresight::storage::tsdb

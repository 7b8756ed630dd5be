#include "ingest/host_collector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingest/internal/tcp_diag.h"

namespace foresight::ingest {
namespace {

namespace fs = std::filesystem;

constexpr TimestampNs kT0 = 1'764'000'000LL * kNanosPerSecond;

std::optional<double> Find(const std::vector<LabeledSample>& samples, std::string_view metric,
                           std::initializer_list<std::pair<std::string_view, std::string_view>> labels = {}) {
  std::optional<double> found;
  for (const auto& s : samples) {
    if (s.labels.metric() != metric) continue;
    bool match = true;
    for (const auto& [k, v] : labels) match = match && s.labels.Get(k) == v;
    // Without label constraints, prefer the series with the fewest labels (the total, not a core).
    if (match && (!found || labels.size() > 0)) {
      if (labels.size() == 0 && (s.labels.Has("cpu") || s.labels.Has("device") || s.labels.Has("mode"))) continue;
      found = s.value;
    }
  }
  return found;
}

size_t Count(const std::vector<LabeledSample>& samples, std::string_view metric) {
  size_t n = 0;
  for (const auto& s : samples) n += s.labels.metric() == metric;
  return n;
}

// A fake /proc and /sys tree with files copied from the real formats; the test rewrites them between
// calls to drive the rate computations.
class FakeHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("fs_ingest_host_" + std::to_string(rd()));
    fs::create_directories(root_ / "proc/net");
    fs::create_directories(root_ / "proc/sys/fs");
    fs::create_directories(root_ / "proc/self");
    fs::create_directories(root_ / "data/sub");
    // sysfs: sda is a disk with partition sda1 (class/block entries are symlinks into the device tree).
    fs::create_directories(root_ / "sys/block/sda/sda1");
    fs::create_directories(root_ / "sys/class/block");
    Write("sys/block/sda/sda1/partition", "1\n");
    fs::create_directory_symlink("../../block/sda", root_ / "sys/class/block/sda");
    fs::create_directory_symlink("../../block/sda/sda1", root_ / "sys/class/block/sda1");

    Write("proc/loadavg", "0.40 0.18 0.09 2/90 6713\n");
    Write("proc/meminfo",
          "MemTotal:        1000000 kB\nMemFree:          100000 kB\nMemAvailable:     250000 kB\n"
          "Buffers:           20000 kB\nCached:           300000 kB\nSwapCached:            0 kB\n"
          "SwapTotal:        200000 kB\nSwapFree:         150000 kB\n");
    Write("proc/sys/fs/file-nr", "477\t0\t2466170\n");
    std::string data = (root_ / "data").string();
    Write("proc/self/mounts",
          "proc /proc proc rw,relatime 0 0\n"
          "tmpfs /dev/shm tmpfs rw,relatime 0 0\n"
          "/dev/fake0 " + data + "/sub ext4 rw,relatime 0 0\n"  // a bind of the same fs: reported once
          "/dev/fake0 " + data + " ext4 rw,relatime 0 0\n"
          "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n");
    Write("proc/net/tcp",
          "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
          "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1161 1\n"
          "   1: 0100007F:07E8 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 1162 1\n");
    Write("proc/net/tcp6",
          "  sl  local_address                         remote_address                        st tx_queue\n"
          "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:0\n"
          "   1: 00000000000000000000000001000000:0050 00000000000000000000000001000000:C000 08 00000000:0\n");
    // Two processes: one sleeping with 3 threads, one zombie.
    fs::create_directories(root_ / "proc/1");
    fs::create_directories(root_ / "proc/42");
    Write("proc/1/stat", "1 (init) S 0 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 100 1000 50\n");
    Write("proc/42/stat", "42 (dead (child)) Z 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n");
    WriteCounters(0);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ / rel, std::ios::trunc) << text;
  }

  // Reading 0 and reading 1, two seconds apart.
  void WriteCounters(int reading) {
    if (reading == 0) {
      Write("proc/stat",
            "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n"
            "intr 1 0\nctxt 5\nprocs_running 2\nprocs_blocked 1\n");
      Write("proc/diskstats",
            "   7       0 loop0 5 0 10 0 5 0 10 0 0 10 0 0 0 0 0 0 0\n"
            "   8       0 sda 100 0 1000 0 50 0 400 0 0 500 0 0 0 0 0 0 0\n"
            "   8       1 sda1 90 0 900 0 40 0 300 0 0 400 0 0 0 0 0 0 0\n"
            " 259       0 nvme0n1 10 0 80 0 10 0 80 0 0 100 0 0 0 0 0 0 0\n"
            " 259       1 nvme0n1p1 10 0 80 0 10 0 80 0 0 100 0 0 0 0 0 0 0\n");
      Write("proc/net/dev",
            "Inter-|   Receive                                                |  Transmit\n"
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
            "carrier compressed\n"
            "    lo:  500 5 0 0 0 0 0 0  500 5 0 0 0 0 0 0\n"
            "  eth0: 1000 10 0 0 0 0 0 0 9000 90 0 0 0 0 0 0\n");
    } else {
      // cpu: user +100, system +50, idle +200, iowait +50 (total +400). cpu1's idle steps back.
      Write("proc/stat",
            "cpu  200 0 150 1000 50 0 0 0 0 0\ncpu0 100 0 75 500 25 0 0 0 0 0\ncpu1 100 0 75 390 25 0 0 0 0 0\n"
            "intr 1 0\nctxt 5\nprocs_running 3\nprocs_blocked 0\n");
      Write("proc/diskstats",
            "   7       0 loop0 9 0 10 0 5 0 10 0 0 10 0 0 0 0 0 0 0\n"
            "   8       0 sda 300 0 3000 0 60 0 800 0 0 1500 0 0 0 0 0 0 0\n"
            "   8       1 sda1 290 0 2900 0 50 0 700 0 0 1400 0 0 0 0 0 0 0\n"
            " 259       0 nvme0n1 10 0 80 0 10 0 80 0 0 100 0 0 0 0 0 0 0\n"
            " 259       1 nvme0n1p1 10 0 80 0 10 0 80 0 0 100 0 0 0 0 0 0 0\n");
      // eth0: rx +4000 bytes; tx_bytes reset (interface re-created): that sample is skipped.
      Write("proc/net/dev",
            "Inter-|   Receive                                                |  Transmit\n"
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
            "carrier compressed\n"
            "    lo:  900 9 0 0 0 0 0 0  900 9 0 0 0 0 0 0\n"
            "  eth0: 5000 30 1 2 0 0 0 0  100 1 0 0 0 0 0 0\n");
    }
  }

  HostCollector MakeCollector() {
    HostCollectorOptions o;
    o.proc_root = (root_ / "proc").string();
    o.sys_root = (root_ / "sys").string();
    o.hostname = "testhost";
    return HostCollector(o);
  }

  fs::path root_;
};

TEST_F(FakeHostTest, FirstCallPrimesRatesAndEmitsGauges) {
  HostCollector c = MakeCollector();
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c.Collect(kT0, &out).ok());
  EXPECT_EQ(Count(out, "host_cpu_usage_percent"), 0u);
  EXPECT_EQ(Count(out, "host_disk_reads_per_second"), 0u);
  EXPECT_EQ(Count(out, "host_net_rx_bytes_per_second"), 0u);
  EXPECT_EQ(Find(out, "host_memory_total_bytes"), 1000000.0 * 1024);
  EXPECT_EQ(Find(out, "host_load1"), 0.40);
  EXPECT_EQ(Find(out, "host_procs_running"), 2);
  EXPECT_EQ(Find(out, "host_procs_blocked"), 1);
  EXPECT_EQ(Find(out, "host_cpu_cores"), 2);
  for (const auto& s : out) {
    EXPECT_EQ(s.labels.Get("host"), "testhost") << s.labels.ToString();
    EXPECT_EQ(s.labels.Get("entity_kind"), "host") << s.labels.ToString();
    EXPECT_EQ(s.ts_ns, kT0);
    EXPECT_TRUE(s.labels.Validate().ok()) << s.labels.ToString();
    EXPECT_TRUE(std::isfinite(s.value)) << s.labels.ToString();
  }
}

TEST_F(FakeHostTest, MemorySwapLoadFilesAndTcpGauges) {
  HostCollector c = MakeCollector();
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c.Collect(kT0, &out).ok());
  EXPECT_EQ(Find(out, "host_memory_available_bytes"), 250000.0 * 1024);
  EXPECT_EQ(Find(out, "host_memory_used_bytes"), 750000.0 * 1024);
  EXPECT_DOUBLE_EQ(*Find(out, "host_memory_used_percent"), 75.0);
  EXPECT_EQ(Find(out, "host_memory_buffers_bytes"), 20000.0 * 1024);
  EXPECT_EQ(Find(out, "host_memory_cached_bytes"), 300000.0 * 1024);
  EXPECT_EQ(Find(out, "host_swap_total_bytes"), 200000.0 * 1024);
  EXPECT_EQ(Find(out, "host_swap_used_bytes"), 50000.0 * 1024);
  EXPECT_DOUBLE_EQ(*Find(out, "host_swap_used_percent"), 25.0);
  EXPECT_EQ(Find(out, "host_load5"), 0.18);
  EXPECT_EQ(Find(out, "host_load15"), 0.09);
  EXPECT_EQ(Find(out, "host_threads"), 90);
  EXPECT_EQ(Find(out, "host_file_descriptors_allocated"), 477);
  EXPECT_EQ(Find(out, "host_file_descriptors_max"), 2466170);
  // tcp + tcp6: two listeners, one established, one close_wait; every state is emitted.
  EXPECT_EQ(Find(out, "host_tcp_connections", {{"state", "listen"}}), 2);
  EXPECT_EQ(Find(out, "host_tcp_connections", {{"state", "established"}}), 1);
  EXPECT_EQ(Find(out, "host_tcp_connections", {{"state", "close_wait"}}), 1);
  EXPECT_EQ(Find(out, "host_tcp_connections", {{"state", "time_wait"}}), 0);
  EXPECT_EQ(Count(out, "host_tcp_connections"), 12u);
  // Processes from /proc/<pid>/stat.
  EXPECT_EQ(Find(out, "host_processes"), 2);
  EXPECT_EQ(Find(out, "host_processes_state", {{"state", "sleeping"}}), 1);
  EXPECT_EQ(Find(out, "host_processes_state", {{"state", "zombie"}}), 1);
  EXPECT_EQ(Find(out, "host_processes_state", {{"state", "running"}}), 0);
}

TEST_F(FakeHostTest, DiskSpaceSkipsPseudoFilesystemsAndReportsEachDeviceOnce) {
  HostCollector c = MakeCollector();
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c.Collect(kT0, &out).ok());
  // Only the ext4 "device" (mounted twice); proc, tmpfs and cgroup2 are skipped.
  ASSERT_EQ(Count(out, "host_disk_used_percent"), 1u);
  std::string data = (root_ / "data").string();
  auto used = Find(out, "host_disk_used_percent", {{"mount", data}, {"device", "/dev/fake0"}});
  ASSERT_TRUE(used);
  EXPECT_GE(*used, 0);
  EXPECT_LE(*used, 100);
  EXPECT_GT(*Find(out, "host_disk_size_bytes", {{"mount", data}}), 0);
  EXPECT_GE(*Find(out, "host_disk_available_bytes", {{"mount", data}}), 0);
  EXPECT_GE(*Find(out, "host_disk_used_bytes", {{"mount", data}}), 0);
  EXPECT_EQ(Count(out, "host_disk_size_bytes"), 1u);
}

TEST_F(FakeHostTest, SecondCallComputesPercentagesAndRatesFromDeltas) {
  HostCollector c = MakeCollector();
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c.Collect(kT0, &out).ok());
  WriteCounters(1);
  out.clear();
  ASSERT_TRUE(c.Collect(kT0 + 2 * kNanosPerSecond, &out).ok());

  // Total CPU: user 100/400, system 50/400, idle 200/400, iowait 50/400.
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_mode_percent", {{"mode", "user"}, {"cpu", ""}}), 25.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_mode_percent", {{"mode", "system"}, {"cpu", ""}}), 12.5);
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_mode_percent", {{"mode", "idle"}, {"cpu", ""}}), 50.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_mode_percent", {{"mode", "iowait"}, {"cpu", ""}}), 12.5);
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_mode_percent", {{"mode", "steal"}, {"cpu", ""}}), 0.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_usage_percent"), 37.5);
  // cpu0: +50 user, +25 system, +100 idle, +25 iowait.
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_usage_percent", {{"cpu", "0"}}), 37.5);
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_mode_percent", {{"cpu", "0"}, {"mode", "user"}}), 25.0);
  // cpu1: idle went backwards -> its idle sample is skipped and the rest share 100 %.
  EXPECT_FALSE(Find(out, "host_cpu_mode_percent", {{"cpu", "1"}, {"mode", "idle"}}));
  EXPECT_DOUBLE_EQ(*Find(out, "host_cpu_mode_percent", {{"cpu", "1"}, {"mode", "user"}}), 50.0);
  EXPECT_EQ(Count(out, "host_cpu_mode_percent"), 8u + 8u + 7u);

  // Disk sda over 2 s: reads +200, sectors read +2000 (x512 bytes), writes +10, sectors written +400,
  // io time +1000 ms = 50 %.
  EXPECT_DOUBLE_EQ(*Find(out, "host_disk_reads_per_second", {{"device", "sda"}}), 100.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_disk_read_bytes_per_second", {{"device", "sda"}}), 2000.0 * 512 / 2);
  EXPECT_DOUBLE_EQ(*Find(out, "host_disk_writes_per_second", {{"device", "sda"}}), 5.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_disk_written_bytes_per_second", {{"device", "sda"}}), 400.0 * 512 / 2);
  EXPECT_DOUBLE_EQ(*Find(out, "host_disk_io_time_percent", {{"device", "sda"}}), 50.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_disk_reads_per_second", {{"device", "nvme0n1"}}), 0.0);
  // Partitions of listed disks (sysfs for sda1, by name for nvme0n1p1) and loop devices are skipped.
  EXPECT_FALSE(Find(out, "host_disk_reads_per_second", {{"device", "sda1"}}));
  EXPECT_FALSE(Find(out, "host_disk_reads_per_second", {{"device", "nvme0n1p1"}}));
  EXPECT_FALSE(Find(out, "host_disk_reads_per_second", {{"device", "loop0"}}));

  // Network eth0: rx +4000 bytes, +20 packets, +1 error, +2 drops over 2 s; tx counters reset: skipped.
  EXPECT_DOUBLE_EQ(*Find(out, "host_net_rx_bytes_per_second", {{"device", "eth0"}}), 2000.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_net_rx_packets_per_second", {{"device", "eth0"}}), 10.0);
  EXPECT_DOUBLE_EQ(*Find(out, "host_net_rx_errors_per_second", {{"device", "eth0"}}), 0.5);
  EXPECT_DOUBLE_EQ(*Find(out, "host_net_rx_drops_per_second", {{"device", "eth0"}}), 1.0);
  EXPECT_FALSE(Find(out, "host_net_tx_bytes_per_second", {{"device", "eth0"}}));
  EXPECT_FALSE(Find(out, "host_net_tx_packets_per_second", {{"device", "eth0"}}));
  EXPECT_DOUBLE_EQ(*Find(out, "host_net_tx_errors_per_second", {{"device", "eth0"}}), 0.0);
  EXPECT_FALSE(Find(out, "host_net_rx_bytes_per_second", {{"device", "lo"}}));

  // After the reset the next reading gives rates again.
  out.clear();
  ASSERT_TRUE(c.Collect(kT0 + 3 * kNanosPerSecond, &out).ok());
  EXPECT_DOUBLE_EQ(*Find(out, "host_net_tx_bytes_per_second", {{"device", "eth0"}}), 0.0);
}

TEST_F(FakeHostTest, MissingRequiredFileIsUnavailableButOtherSectionsStillCollected) {
  fs::remove(root_ / "proc/meminfo");
  fs::remove(root_ / "proc/net/tcp6");  // optional: no error
  HostCollector c = MakeCollector();
  std::vector<LabeledSample> out;
  Status st = c.Collect(kT0, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("meminfo"), std::string::npos) << st.ToString();
  EXPECT_EQ(Find(out, "host_load1"), 0.40);
  EXPECT_FALSE(Find(out, "host_memory_total_bytes"));
  EXPECT_EQ(Find(out, "host_tcp_connections", {{"state", "listen"}}), 1);
}

// Smoke test on this machine's real /proc: the metrics exist and their values are sane.
TEST(HostCollectorRealProcTest, CollectsSaneValuesFromThisMachine) {
  HostCollector c;
  EXPECT_FALSE(c.hostname().empty());
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c.Collect(kT0, &out).ok());
  // CPU percentages need two readings with jiffies in between: spin until /proc/stat moves (10 ms ticks).
  auto read_stat = [] {
    std::ifstream f("/proc/stat");
    std::string line;
    std::getline(f, line);
    return line;
  };
  std::string first = read_stat();
  for (int i = 0; i < 10'000'000 && read_stat() == first; ++i) {
  }
  out.clear();
  ASSERT_TRUE(c.Collect(kT0 + kNanosPerSecond, &out).ok());

  auto mem_total = Find(out, "host_memory_total_bytes");
  ASSERT_TRUE(mem_total);
  EXPECT_GT(*mem_total, 0);
  auto mem_pct = Find(out, "host_memory_used_percent");
  ASSERT_TRUE(mem_pct);
  EXPECT_GT(*mem_pct, 0);
  EXPECT_LE(*mem_pct, 100);
  auto usage = Find(out, "host_cpu_usage_percent");
  ASSERT_TRUE(usage);
  EXPECT_GE(*usage, 0);
  EXPECT_LE(*usage, 100);
  EXPECT_GE(*Find(out, "host_cpu_cores"), 1);
  size_t modes = 0;
  for (const auto& s : out) {
    EXPECT_TRUE(std::isfinite(s.value)) << s.labels.ToString();
    EXPECT_TRUE(s.labels.Validate().ok()) << s.labels.ToString();
    EXPECT_EQ(s.labels.Get("entity_kind"), "host");
    EXPECT_EQ(s.labels.Get("host"), c.hostname());
    if (s.labels.metric() == "host_cpu_mode_percent" || s.labels.metric().ends_with("used_percent")) {
      EXPECT_GE(s.value, 0) << s.labels.ToString();
      EXPECT_LE(s.value, 100) << s.labels.ToString();
      modes += s.labels.metric() == "host_cpu_mode_percent";
    }
    if (s.labels.metric().ends_with("_per_second")) {
      EXPECT_GE(s.value, 0) << s.labels.ToString();
    }
  }
  EXPECT_GE(modes, 8u);
  EXPECT_GE(*Find(out, "host_load1"), 0);
  EXPECT_GE(*Find(out, "host_processes"), 1);  // at least this test
  EXPECT_GE(*Find(out, "host_threads"), 1);
  EXPECT_GT(*Find(out, "host_file_descriptors_max"), 0);
  EXPECT_GE(Count(out, "host_disk_used_percent"), 1u) << "no real filesystem found in /proc/self/mounts";
  EXPECT_GE(Count(out, "host_tcp_connections"), 12u);
}

// Netlink and /proc/net/tcp agree on a listener this test owns.
TEST(HostCollectorRealProcTest, TcpStatesFromNetlinkAndProcFilesBothSeeOurListener) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);

  std::array<uint64_t, 12> counts{};
  Status st = internal::CountTcpStatesNetlink(&counts);
  if (st.ok()) {
    EXPECT_GE(counts[9], 1u);  // listen
  } else {
    GTEST_LOG_(INFO) << "netlink unavailable here: " << st.ToString();
  }
  for (bool netlink : {true, false}) {
    HostCollectorOptions o;
    o.tcp_via_netlink = netlink;
    o.processes = false;
    HostCollector c(o);
    std::vector<LabeledSample> out;
    ASSERT_TRUE(c.Collect(kT0, &out).ok());
    auto listen = Find(out, "host_tcp_connections", {{"state", "listen"}});
    ASSERT_TRUE(listen) << "netlink=" << netlink;
    EXPECT_GE(*listen, 1) << "netlink=" << netlink;
  }
  ::close(fd);
}

}  // namespace
}  // namespace foresight::ingest

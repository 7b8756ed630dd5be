#pragma once
// HostCollector: this machine's metrics from /proc and /sys (README.md has the full metric list).
// Every series carries host=<hostname> and entity_kind=host. Counter-derived values (CPU %, disk and
// network rates) are computed from the previous call's reading: the first call primes them and emits
// only the gauges; a counter that went backwards (wrap, device reset) skips that one sample.
// Owned by the collect loop. Not thread-safe: calls must be serialised (it keeps the previous readings).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "ingest/collector.h"
#include "ingest/internal/proc_parsers.h"

namespace foresight::ingest {

struct HostCollectorOptions {
  std::string proc_root = "/proc";   // tests point this at a fake tree
  std::string sys_root = "/sys";     // used to tell partitions from whole disks (class/block/<dev>/partition)
  std::string hostname;              // "" -> gethostname()
  bool per_cpu = true;               // also emit per-core CPU series (cpu="N")
  bool processes = true;             // scan /proc/<pid>/stat for the per-state process counts
  // TCP states through netlink sock_diag when proc_root is "/proc" (much cheaper than /proc/net/tcp on
  // big hosts, internal/tcp_diag.h); falls back to the files if netlink is refused.
  bool tcp_via_netlink = true;
};

class HostCollector final : public Collector {
 public:
  explicit HostCollector(HostCollectorOptions options = {});

  std::string_view name() const override { return "host"; }
  // Appends this tick's samples. Errors: Unavailable naming the required files (/proc/stat, /proc/meminfo,
  // /proc/loadavg) that could not be read or parsed; every other section is still collected. Optional
  // files that do not exist (e.g. /proc/net/tcp6 without IPv6) are skipped silently.
  Status Collect(TimestampNs now, std::vector<LabeledSample>* out) override;

  const std::string& hostname() const { return options_.hostname; }

 private:
  struct Emitter;
  void CollectCpu(const internal::ProcStat& stat, TimestampNs now, Emitter& e);
  Status CollectMemory(Emitter& e);
  void CollectProcesses(Emitter& e);
  void CollectDiskSpace(Emitter& e);
  void CollectDiskIo(TimestampNs now, Emitter& e);
  void CollectNetwork(TimestampNs now, Emitter& e);
  void CollectFilesAndTcp(Emitter& e);
  bool IsPartitionOfListedDisk(const std::string& device, const std::vector<internal::DiskStat>& all) const;

  HostCollectorOptions options_;
  // Previous readings for rates, keyed by cpu / device; each remembers when it was read.
  template <typename T>
  struct Prev {
    T value;
    TimestampNs ts = 0;
  };
  std::map<std::string, Prev<internal::CpuTimes>, std::less<>> prev_cpu_;
  std::map<std::string, Prev<internal::DiskStat>, std::less<>> prev_disk_;
  std::map<std::string, Prev<internal::NetDevStat>, std::less<>> prev_net_;
  bool netlink_failed_ = false;
};

}  // namespace foresight::ingest

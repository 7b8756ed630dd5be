#pragma once
// Parsers for the /proc text formats the host collector reads (proc(5)). Pure functions over the file
// contents so tests can feed fixtures; no I/O here. Malformed lines are skipped, not fatal: the kernel
// adds columns over time and a collector must not stop on a format it half understands.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace foresight::ingest::internal {

// /proc/stat "cpu" lines: jiffies per mode (user nice system idle iowait irq softirq steal).
inline constexpr size_t kCpuModes = 8;
inline constexpr std::array<std::string_view, kCpuModes> kCpuModeNames = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
struct CpuTimes {
  std::string cpu;  // "" for the aggregate line, else the core number ("0", "1"...)
  std::array<uint64_t, kCpuModes> jiffies{};
  uint64_t total() const;
};
struct ProcStat {
  std::vector<CpuTimes> cpus;  // aggregate first (if present), then cores in file order
  std::optional<uint64_t> procs_running;
  std::optional<uint64_t> procs_blocked;
};
ProcStat ParseProcStat(std::string_view text);

// /proc/meminfo: field name -> bytes (the kB values multiplied by 1024).
std::map<std::string, uint64_t, std::less<>> ParseMeminfo(std::string_view text);

struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
  uint64_t runnable = 0;  // 4th field "R/T": R
  uint64_t threads = 0;   // 4th field "R/T": T (kernel scheduling entities = threads)
};
std::optional<LoadAvg> ParseLoadavg(std::string_view text);

struct DiskStat {
  std::string device;
  uint64_t reads = 0, sectors_read = 0, writes = 0, sectors_written = 0, io_ms = 0;
};
std::vector<DiskStat> ParseDiskstats(std::string_view text);

struct NetDevStat {
  std::string device;
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_drops = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_drops = 0;
};
std::vector<NetDevStat> ParseNetDev(std::string_view text);

// TCP states in /proc/net/tcp{,6} "st" column order (include/net/tcp_states.h), index = code - 1.
inline constexpr std::array<std::string_view, 12> kTcpStateNames = {
    "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
    "close",       "close_wait", "last_ack", "listen", "closing", "new_syn_recv"};
// Adds the count of each state in one /proc/net/tcp{,6} file to *counts.
void CountTcpStates(std::string_view text, std::array<uint64_t, 12>* counts);

struct FileNr {
  uint64_t allocated = 0;  // allocated handles minus the free ones
  uint64_t max = 0;
};
std::optional<FileNr> ParseFileNr(std::string_view text);

struct Mount {
  std::string device, mount_point, fs_type;
};
// /proc/self/mounts, with the octal escapes (\040 for a space) decoded.
std::vector<Mount> ParseMounts(std::string_view text);

// /proc/<pid>/stat: the state letter and num_threads, parsed after the last ')' of the comm field.
struct PidStat {
  char state = '?';
  uint64_t threads = 0;
};
std::optional<PidStat> ParsePidStat(std::string_view text);

// Disk I/O: loop, ram, zram, fd and sr devices are not disks worth watching.
bool IsIgnoredBlockDevice(std::string_view device);
// The whole disk a partition name belongs to ("sda1" -> "sda", "nvme0n1p2" -> "nvme0n1",
// "mmcblk0p1" -> "mmcblk0"), or "" if the name does not look like a partition.
std::string ParentDiskByName(std::string_view device);
// Filesystems that hold no user data (proc, sysfs, tmpfs, cgroup...). overlay is handled by the caller.
bool IsPseudoFilesystem(std::string_view fs_type);

}  // namespace foresight::ingest::internal

#include "ingest/host_collector.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <set>

#include "ingest/internal/tcp_diag.h"

namespace foresight::ingest {
namespace {

namespace fs = std::filesystem;
using internal::CpuTimes;

// Reads a whole (proc) file; /proc files report size 0, so read until EOF. Errors: NotFound (ENOENT),
// Unavailable (anything else).
Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("open", path);
    return Status::Unavailable("open", path, std::strerror(err));
  }
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::Unavailable("read", path, std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string DefaultHostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

double Percent(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

// Counter delta; false when the counter went backwards (wrap or reset): the caller skips that sample.
bool Delta(uint64_t cur, uint64_t prev, double* d) {
  if (cur < prev) return false;
  *d = static_cast<double>(cur - prev);
  return true;
}

std::string_view ProcessStateName(char s) {
  switch (s) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk_sleep";
    case 'Z': return "zombie";
    case 'T':
    case 't': return "stopped";
    case 'I': return "idle";
    default: return "other";
  }
}

}  // namespace

// Builds the labels of each sample: __name__, host, entity_kind=host, plus up to two extra labels.
struct HostCollector::Emitter {
  const std::string& host;
  TimestampNs now;
  std::vector<LabeledSample>* out;

  void operator()(std::string_view metric, double value, std::initializer_list<Label> extra = {}) {
    std::vector<Label> pairs;
    pairs.reserve(3 + extra.size());
    pairs.push_back(Label{std::string(kMetricNameLabel), std::string(metric)});
    pairs.push_back(Label{std::string(kHostLabel), host});
    pairs.push_back(Label{std::string(kEntityKindLabel), "host"});
    for (const auto& l : extra) pairs.push_back(l);
    out->push_back(LabeledSample{Labels(std::move(pairs)), now, value});
  }
};

HostCollector::HostCollector(HostCollectorOptions options) : options_(std::move(options)) {
  if (options_.hostname.empty()) options_.hostname = DefaultHostname();
}

Status HostCollector::Collect(TimestampNs now, std::vector<LabeledSample>* out) {
  Emitter emit{options_.hostname, now, out};
  std::string missing;
  auto note = [&](const Status& st) {
    if (!missing.empty()) missing += "; ";
    missing += st.message();
  };

  auto stat_text = ReadFile(options_.proc_root + "/stat");
  if (stat_text.ok()) {
    internal::ProcStat stat = internal::ParseProcStat(*stat_text);
    if (stat.cpus.empty()) note(Status::Unavailable(options_.proc_root + "/stat", "no cpu lines"));
    CollectCpu(stat, now, emit);
    if (stat.procs_running) emit("host_procs_running", static_cast<double>(*stat.procs_running));
    if (stat.procs_blocked) emit("host_procs_blocked", static_cast<double>(*stat.procs_blocked));
  } else {
    note(stat_text.status());
  }

  auto load_text = ReadFile(options_.proc_root + "/loadavg");
  if (load_text.ok()) {
    if (auto load = internal::ParseLoadavg(*load_text)) {
      emit("host_load1", load->load1);
      emit("host_load5", load->load5);
      emit("host_load15", load->load15);
      emit("host_threads", static_cast<double>(load->threads));
    } else {
      note(Status::Unavailable(options_.proc_root + "/loadavg", "unparsable"));
    }
  } else {
    note(load_text.status());
  }

  if (Status st = CollectMemory(emit); !st.ok()) note(st);
  if (options_.processes) CollectProcesses(emit);
  CollectDiskSpace(emit);
  CollectDiskIo(now, emit);
  CollectNetwork(now, emit);
  CollectFilesAndTcp(emit);

  if (!missing.empty()) return Status::Unavailable("host collector", missing);
  return Status::Ok();
}

void HostCollector::CollectCpu(const internal::ProcStat& stat, TimestampNs now, Emitter& emit) {
  size_t cores = 0;
  for (const CpuTimes& cur : stat.cpus) {
    bool total = cur.cpu.empty();
    if (!total) ++cores;
    if (!total && !options_.per_cpu) continue;
    auto it = prev_cpu_.find(cur.cpu);
    if (it != prev_cpu_.end() && now > it->second.ts) {
      const CpuTimes& prev = it->second.value;
      // A mode counter can step back (iowait does on some kernels): that mode is skipped and left out
      // of the total, so the others still add up to 100.
      std::array<double, internal::kCpuModes> d{};
      std::array<bool, internal::kCpuModes> valid{};
      double sum = 0;
      for (size_t m = 0; m < internal::kCpuModes; ++m) {
        valid[m] = Delta(cur.jiffies[m], prev.jiffies[m], &d[m]);
        if (valid[m]) sum += d[m];
      }
      if (sum > 0) {
        double idle = 0;
        for (size_t m = 0; m < internal::kCpuModes; ++m) {
          if (!valid[m]) continue;
          Label mode{"mode", std::string(internal::kCpuModeNames[m])};
          if (total) {
            emit("host_cpu_mode_percent", Percent(d[m], sum), {mode});
          } else {
            emit("host_cpu_mode_percent", Percent(d[m], sum), {Label{"cpu", cur.cpu}, mode});
          }
          if (m == 3 || m == 4) idle += d[m];  // idle, iowait
        }
        double usage = std::clamp(100.0 - Percent(idle, sum), 0.0, 100.0);
        if (total) {
          emit("host_cpu_usage_percent", usage);
        } else {
          emit("host_cpu_usage_percent", usage, {Label{"cpu", cur.cpu}});
        }
      }
    }
    prev_cpu_[cur.cpu] = Prev<CpuTimes>{cur, now};
  }
  if (cores > 0) emit("host_cpu_cores", static_cast<double>(cores));
}

Status HostCollector::CollectMemory(Emitter& emit) {
  std::string path = options_.proc_root + "/meminfo";
  FS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto mem = internal::ParseMeminfo(text);
  auto get = [&](std::string_view k) -> std::optional<double> {
    auto it = mem.find(k);
    if (it == mem.end()) return std::nullopt;
    return static_cast<double>(it->second);
  };
  auto total = get("MemTotal");
  if (!total || *total <= 0) return Status::Unavailable(path, "no MemTotal");
  // MemAvailable (3.14+) is the kernel's own estimate; older kernels: free + buffers + cached.
  double available = get("MemAvailable").value_or(get("MemFree").value_or(0) + get("Buffers").value_or(0) +
                                                   get("Cached").value_or(0));
  double used = std::max(0.0, *total - available);
  emit("host_memory_total_bytes", *total);
  emit("host_memory_available_bytes", available);
  emit("host_memory_used_bytes", used);
  emit("host_memory_used_percent", Percent(used, *total));
  if (auto b = get("Buffers")) emit("host_memory_buffers_bytes", *b);
  if (auto c = get("Cached")) emit("host_memory_cached_bytes", *c);
  double swap_total = get("SwapTotal").value_or(0);
  double swap_used = std::max(0.0, swap_total - get("SwapFree").value_or(swap_total));
  emit("host_swap_total_bytes", swap_total);
  emit("host_swap_used_bytes", swap_used);
  emit("host_swap_used_percent", Percent(swap_used, swap_total));
  return Status::Ok();
}

void HostCollector::CollectProcesses(Emitter& emit) {
  DIR* dir = ::opendir(options_.proc_root.c_str());
  if (dir == nullptr) return;
  static constexpr std::string_view kStates[] = {"running", "sleeping", "disk_sleep", "zombie",
                                                 "stopped", "idle",     "other"};
  std::map<std::string_view, uint64_t> by_state;
  for (auto s : kStates) by_state[s] = 0;
  uint64_t total = 0;
  while (struct dirent* ent = ::readdir(dir)) {
    std::string_view name = ent->d_name;
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    // A process can exit between readdir and open: that is normal, not an error.
    auto text = ReadFile(options_.proc_root + "/" + std::string(name) + "/stat");
    if (!text.ok()) continue;
    auto ps = internal::ParsePidStat(*text);
    if (!ps) continue;
    ++total;
    ++by_state[ProcessStateName(ps->state)];
  }
  ::closedir(dir);
  emit("host_processes", static_cast<double>(total));
  for (const auto& [state, n] : by_state) {
    emit("host_processes_state", static_cast<double>(n), {Label{"state", std::string(state)}});
  }
}

void HostCollector::CollectDiskSpace(Emitter& emit) {
  auto text = ReadFile(options_.proc_root + "/self/mounts");
  if (!text.ok()) return;
  std::vector<internal::Mount> mounts;
  for (auto& m : internal::ParseMounts(*text)) {
    bool root_overlay = m.fs_type == "overlay" && m.mount_point == "/";
    if (internal::IsPseudoFilesystem(m.fs_type) && !root_overlay) continue;
    mounts.push_back(std::move(m));
  }
  // One filesystem mounted (or bind-mounted) in several places is reported once, at its shortest path:
  // containers bind /etc/hosts and friends from the root device.
  std::stable_sort(mounts.begin(), mounts.end(), [](const internal::Mount& a, const internal::Mount& b) {
    return a.mount_point.size() < b.mount_point.size();
  });
  std::set<std::string> seen;
  for (const auto& m : mounts) {
    if (!seen.insert(m.device).second) continue;
    struct statvfs vfs {};
    if (::statvfs(m.mount_point.c_str(), &vfs) != 0 || vfs.f_blocks == 0) continue;
    double frsize = static_cast<double>(vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize);
    double size = static_cast<double>(vfs.f_blocks) * frsize;
    double used = static_cast<double>(vfs.f_blocks - std::min(vfs.f_bfree, vfs.f_blocks)) * frsize;
    double avail = static_cast<double>(vfs.f_bavail) * frsize;
    std::initializer_list<Label> labels = {Label{"mount", m.mount_point}, Label{"device", m.device}};
    emit("host_disk_size_bytes", size, labels);
    emit("host_disk_used_bytes", used, labels);
    emit("host_disk_available_bytes", avail, labels);
    // As df: the share of what non-root users can use (reserved blocks excluded from the whole).
    emit("host_disk_used_percent", Percent(used, used + avail), labels);
    if (vfs.f_files > 0) {
      double iused = static_cast<double>(vfs.f_files - std::min(vfs.f_ffree, vfs.f_files));
      emit("host_disk_inodes_used_percent", Percent(iused, static_cast<double>(vfs.f_files)), labels);
    }
  }
}

bool HostCollector::IsPartitionOfListedDisk(const std::string& device,
                                            const std::vector<internal::DiskStat>& all) const {
  auto listed = [&](std::string_view name) {
    return std::any_of(all.begin(), all.end(), [&](const internal::DiskStat& d) { return d.device == name; });
  };
  std::error_code ec;
  fs::path sys = fs::path(options_.sys_root) / "class" / "block" / device;
  if (fs::exists(sys, ec)) {
    if (!fs::exists(sys / "partition", ec)) return false;
    // /sys/class/block/sda1 links to .../block/sda/sda1: the parent directory names the disk.
    fs::path real = fs::canonical(sys, ec);
    std::string parent = ec ? internal::ParentDiskByName(device) : real.parent_path().filename().string();
    return !parent.empty() && listed(parent);
  }
  std::string parent = internal::ParentDiskByName(device);
  return !parent.empty() && listed(parent);
}

void HostCollector::CollectDiskIo(TimestampNs now, Emitter& emit) {
  auto text = ReadFile(options_.proc_root + "/diskstats");
  if (!text.ok()) return;
  auto all = internal::ParseDiskstats(*text);
  std::map<std::string, Prev<internal::DiskStat>, std::less<>> next;
  for (const auto& cur : all) {
    if (internal::IsIgnoredBlockDevice(cur.device) || IsPartitionOfListedDisk(cur.device, all)) continue;
    auto it = prev_disk_.find(cur.device);
    if (it != prev_disk_.end() && now > it->second.ts) {
      const auto& prev = it->second.value;
      double dt = static_cast<double>(now - it->second.ts) / kNanosPerSecond;
      std::initializer_list<Label> labels = {Label{"device", cur.device}};
      double d;
      // /proc/diskstats counts sectors of 512 bytes whatever the device's sector size.
      if (Delta(cur.reads, prev.reads, &d)) emit("host_disk_reads_per_second", d / dt, labels);
      if (Delta(cur.writes, prev.writes, &d)) emit("host_disk_writes_per_second", d / dt, labels);
      if (Delta(cur.sectors_read, prev.sectors_read, &d)) emit("host_disk_read_bytes_per_second", d * 512 / dt, labels);
      if (Delta(cur.sectors_written, prev.sectors_written, &d)) {
        emit("host_disk_written_bytes_per_second", d * 512 / dt, labels);
      }
      if (Delta(cur.io_ms, prev.io_ms, &d)) {
        emit("host_disk_io_time_percent", std::min(100.0, Percent(d / 1000.0, dt)), labels);
      }
    }
    next[cur.device] = Prev<internal::DiskStat>{cur, now};
  }
  prev_disk_ = std::move(next);  // devices that vanished are forgotten
}

void HostCollector::CollectNetwork(TimestampNs now, Emitter& emit) {
  auto text = ReadFile(options_.proc_root + "/net/dev");
  if (!text.ok()) return;
  std::map<std::string, Prev<internal::NetDevStat>, std::less<>> next;
  for (const auto& cur : internal::ParseNetDev(*text)) {
    // Loopback is not network traffic; veth pairs come and go with containers (series churn) and
    // double-count what their bridge already shows.
    if (cur.device == "lo" || cur.device.starts_with("veth")) continue;
    auto it = prev_net_.find(cur.device);
    if (it != prev_net_.end() && now > it->second.ts) {
      const auto& prev = it->second.value;
      double dt = static_cast<double>(now - it->second.ts) / kNanosPerSecond;
      std::initializer_list<Label> labels = {Label{"device", cur.device}};
      struct Field {
        const char* metric;
        uint64_t cur, prev;
      };
      const Field fields[] = {
          {"host_net_rx_bytes_per_second", cur.rx_bytes, prev.rx_bytes},
          {"host_net_tx_bytes_per_second", cur.tx_bytes, prev.tx_bytes},
          {"host_net_rx_packets_per_second", cur.rx_packets, prev.rx_packets},
          {"host_net_tx_packets_per_second", cur.tx_packets, prev.tx_packets},
          {"host_net_rx_errors_per_second", cur.rx_errors, prev.rx_errors},
          {"host_net_tx_errors_per_second", cur.tx_errors, prev.tx_errors},
          {"host_net_rx_drops_per_second", cur.rx_drops, prev.rx_drops},
          {"host_net_tx_drops_per_second", cur.tx_drops, prev.tx_drops},
      };
      for (const Field& f : fields) {
        double d;
        if (Delta(f.cur, f.prev, &d)) emit(f.metric, d / dt, labels);
      }
    }
    next[cur.device] = Prev<internal::NetDevStat>{cur, now};
  }
  prev_net_ = std::move(next);
}

void HostCollector::CollectFilesAndTcp(Emitter& emit) {
  if (auto text = ReadFile(options_.proc_root + "/sys/fs/file-nr"); text.ok()) {
    if (auto nr = internal::ParseFileNr(*text)) {
      emit("host_file_descriptors_allocated", static_cast<double>(nr->allocated));
      emit("host_file_descriptors_max", static_cast<double>(nr->max));
    }
  }
  std::array<uint64_t, 12> counts{};
  bool any = false;
  // Netlink only for the real /proc of this process: a fake or foreign proc_root must be read as files.
  if (options_.tcp_via_netlink && options_.proc_root == "/proc" && !netlink_failed_) {
    any = internal::CountTcpStatesNetlink(&counts).ok();
    netlink_failed_ = !any;  // e.g. seccomp forbids netlink: use the files from now on
  }
  if (!any) {
    for (const char* f : {"/net/tcp", "/net/tcp6"}) {
      if (auto text = ReadFile(options_.proc_root + f); text.ok()) {
        internal::CountTcpStates(*text, &counts);
        any = true;
      }
    }
  }
  if (!any) return;
  for (size_t i = 0; i < counts.size(); ++i) {
    emit("host_tcp_connections", static_cast<double>(counts[i]),
         {Label{"state", std::string(internal::kTcpStateNames[i])}});
  }
}

}  // namespace foresight::ingest

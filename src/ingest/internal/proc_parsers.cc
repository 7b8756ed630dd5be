#include "ingest/internal/proc_parsers.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace foresight::ingest::internal {
namespace {

// Splits on runs of spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Calls fn(line) for each line without its '\n'.
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    fn(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool ToU64(std::string_view s, uint64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ToDouble(std::string_view s, double* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string DecodeOctalEscapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      std::string_view oct = s.substr(i + 1, 3);
      if (oct.size() == 3 && std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

uint64_t CpuTimes::total() const {
  uint64_t t = 0;
  for (uint64_t j : jiffies) t += j;
  return t;
}

ProcStat ParseProcStat(std::string_view text) {
  ProcStat out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.empty()) return;
    if (f[0].starts_with("cpu")) {
      std::string_view id = f[0].substr(3);
      if (!id.empty() && !AllDigits(id)) return;
      CpuTimes c;
      c.cpu = std::string(id);
      // Older kernels have fewer columns (no steal); missing ones stay 0. guest/guest_nice are
      // already counted in user/nice, so they are left out of the total.
      for (size_t i = 0; i < kCpuModes && i + 1 < f.size(); ++i) {
        if (!ToU64(f[i + 1], &c.jiffies[i])) return;
      }
      out.cpus.push_back(std::move(c));
    } else if (f[0] == "procs_running" && f.size() >= 2) {
      uint64_t v;
      if (ToU64(f[1], &v)) out.procs_running = v;
    } else if (f[0] == "procs_blocked" && f.size() >= 2) {
      uint64_t v;
      if (ToU64(f[1], &v)) out.procs_blocked = v;
    }
  });
  return out;
}

std::map<std::string, uint64_t, std::less<>> ParseMeminfo(std::string_view text) {
  std::map<std::string, uint64_t, std::less<>> out;
  ForEachLine(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto f = Fields(line.substr(colon + 1));
    uint64_t v;
    if (f.empty() || !ToU64(f[0], &v)) return;
    if (f.size() >= 2 && f[1] == "kB") v *= 1024;
    out.emplace(std::string(line.substr(0, colon)), v);
  });
  return out;
}

std::optional<LoadAvg> ParseLoadavg(std::string_view text) {
  auto f = Fields(text.substr(0, text.find('\n')));
  if (f.size() < 4) return std::nullopt;
  LoadAvg l;
  if (!ToDouble(f[0], &l.load1) || !ToDouble(f[1], &l.load5) || !ToDouble(f[2], &l.load15)) return std::nullopt;
  size_t slash = f[3].find('/');
  if (slash == std::string_view::npos || !ToU64(f[3].substr(0, slash), &l.runnable) ||
      !ToU64(f[3].substr(slash + 1), &l.threads)) {
    return std::nullopt;
  }
  return l;
}

std::vector<DiskStat> ParseDiskstats(std::string_view text) {
  std::vector<DiskStat> out;
  ForEachLine(text, [&](std::string_view line) {
    // major minor name reads reads_merged sectors_read ms_reading writes writes_merged sectors_written
    // ms_writing ios_in_progress ms_doing_io ...
    auto f = Fields(line);
    if (f.size() < 14) return;
    DiskStat d;
    d.device = std::string(f[2]);
    uint64_t unused;
    if (!ToU64(f[3], &d.reads) || !ToU64(f[5], &d.sectors_read) || !ToU64(f[7], &d.writes) ||
        !ToU64(f[9], &d.sectors_written) || !ToU64(f[12], &d.io_ms) || !ToU64(f[0], &unused)) {
      return;
    }
    out.push_back(std::move(d));
  });
  return out;
}

std::vector<NetDevStat> ParseNetDev(std::string_view text) {
  std::vector<NetDevStat> out;
  ForEachLine(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;  // the two header lines
    auto name = Fields(line.substr(0, colon));
    auto f = Fields(line.substr(colon + 1));
    if (name.size() != 1 || f.size() < 16) return;
    NetDevStat d;
    d.device = std::string(name[0]);
    uint64_t* dst[] = {&d.rx_bytes, &d.rx_packets, &d.rx_errors, &d.rx_drops};
    uint64_t* tdst[] = {&d.tx_bytes, &d.tx_packets, &d.tx_errors, &d.tx_drops};
    for (int i = 0; i < 4; ++i) {
      if (!ToU64(f[i], dst[i]) || !ToU64(f[8 + i], tdst[i])) return;
    }
    out.push_back(std::move(d));
  });
  return out;
}

void CountTcpStates(std::string_view text, std::array<uint64_t, 12>* counts) {
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    // "sl local_address rem_address st ..."; the header has "sl" in column 0.
    if (f.size() < 4 || f[0] == "sl") return;
    unsigned code = 0;
    auto [p, ec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), code, 16);
    if (ec != std::errc() || code < 1 || code > counts->size()) return;
    ++(*counts)[code - 1];
  });
}

std::optional<FileNr> ParseFileNr(std::string_view text) {
  auto f = Fields(text.substr(0, text.find('\n')));
  uint64_t alloc, free_handles, max;
  if (f.size() < 3 || !ToU64(f[0], &alloc) || !ToU64(f[1], &free_handles) || !ToU64(f[2], &max)) {
    return std::nullopt;
  }
  // Since 2.6 the free count is always 0; subtracting keeps the meaning right on older kernels.
  return FileNr{alloc >= free_handles ? alloc - free_handles : 0, max};
}

std::vector<Mount> ParseMounts(std::string_view text) {
  std::vector<Mount> out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() < 3) return;
    out.push_back(Mount{DecodeOctalEscapes(f[0]), DecodeOctalEscapes(f[1]), std::string(f[2])});
  });
  return out;
}

std::optional<PidStat> ParsePidStat(std::string_view text) {
  // "pid (comm) S ppid ..." where comm may contain spaces and parentheses: parse after the last ')'.
  size_t rp = text.rfind(')');
  if (rp == std::string_view::npos) return std::nullopt;
  auto f = Fields(text.substr(rp + 1, text.find('\n', rp) - rp - 1));
  // After ')': state(3) ppid(4) ... num_threads is field 20 overall, i.e. index 17 here.
  if (f.size() < 18 || f[0].size() != 1) return std::nullopt;
  PidStat s;
  s.state = f[0][0];
  if (!ToU64(f[17], &s.threads)) return std::nullopt;
  return s;
}

bool IsIgnoredBlockDevice(std::string_view d) {
  return d.starts_with("loop") || d.starts_with("ram") || d.starts_with("zram") || d.starts_with("fd") ||
         d.starts_with("sr");
}

std::string ParentDiskByName(std::string_view d) {
  if (d.empty() || !(d.back() >= '0' && d.back() <= '9')) return "";
  size_t i = d.size();
  while (i > 0 && d[i - 1] >= '0' && d[i - 1] <= '9') --i;
  std::string_view stem = d.substr(0, i);
  // nvme0n1p2, mmcblk0p1: the partition suffix is "p<digits>" after a digit.
  if (d.starts_with("nvme") || d.starts_with("mmcblk")) {
    if (stem.size() >= 2 && stem.back() == 'p' && stem[stem.size() - 2] >= '0' && stem[stem.size() - 2] <= '9') {
      return std::string(stem.substr(0, stem.size() - 1));
    }
    return "";
  }
  // sda1, vdb2, xvda1, hda3: letters then digits.
  if (d.starts_with("sd") || d.starts_with("vd") || d.starts_with("xvd") || d.starts_with("hd")) {
    if (i > 0 && i < d.size()) return std::string(stem);
  }
  return "";
}

bool IsPseudoFilesystem(std::string_view t) {
  static constexpr std::string_view kPseudo[] = {
      "proc",     "sysfs",     "tmpfs",      "devtmpfs", "devpts",  "cgroup",      "cgroup2",    "securityfs",
      "pstore",   "debugfs",   "tracefs",    "configfs", "fusectl", "mqueue",      "hugetlbfs",  "bpf",
      "autofs",   "binfmt_misc", "rpc_pipefs", "nsfs",   "ramfs",   "efivarfs",    "selinuxfs",  "squashfs",
      "fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal", "nfsd", "overlay", "aufs",   "shm",        "none",
      // Network filesystems are skipped too: statvfs on a dead server blocks the collect loop.
      "nfs",      "nfs4",      "cifs",       "smb3",     "sshfs",   "fuse.sshfs"};
  return std::find(std::begin(kPseudo), std::end(kPseudo), t) != std::end(kPseudo);
}

}  // namespace foresight::ingest::internal

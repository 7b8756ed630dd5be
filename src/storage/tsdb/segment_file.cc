#include "storage/tsdb/segment_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "storage/tsdb/crc32c.h"
#include "storage/tsdb/file_util.h"

namespace foresight::storage::tsdb {
namespace {

constexpr std::string_view kMagic = "FSSEG01\n";
// Record header: u64 series, i64 min_ts, i64 max_ts, u32 count, u32 data length.
constexpr size_t kRecordHeader = 32;

}  // namespace

std::string SegmentFiles::PathOf(uint32_t segment) const { return dir_ + "/" + fmt::format("{:08d}.seg", segment); }

Result<std::unique_ptr<SegmentFiles>> SegmentFiles::Open(const std::string& dir, uint64_t max_segment_bytes,
                                                         const std::map<uint32_t, uint64_t>& referenced_end,
                                                         std::shared_ptr<spdlog::logger> log) {
  FS_RETURN_IF_ERROR(EnsureDir(dir));
  std::unique_ptr<SegmentFiles> sf(new SegmentFiles(dir, max_segment_bytes, std::move(log)));
  uint32_t newest = 0;
  std::error_code ec;
  std::vector<std::pair<uint32_t, std::filesystem::path>> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".seg") || name.size() != 12) continue;
    const auto n = static_cast<uint32_t>(std::stoul(name.substr(0, 8)));
    found.emplace_back(n, entry.path());
    newest = std::max(newest, n);
  }
  if (ec) return Status::Unavailable("segment list", dir, ec.message());
  for (const auto& [n, path] : found) {
    auto it = referenced_end.find(n);
    if (it == referenced_end.end()) {
      sf->log_->warn("tsdb: segment {} holds no indexed chunk (unfinished write or expired); deleting it",
                     path.string());
      std::filesystem::remove(path, ec);
      continue;
    }
    if (n == newest) {
      const uint64_t size = std::filesystem::file_size(path, ec);
      if (!ec && size > it->second) {
        sf->log_->warn("tsdb: segment {}: cutting off {} bytes after the last indexed chunk (torn chunk write)",
                       path.string(), size - it->second);
        if (::truncate(path.c_str(), static_cast<off_t>(it->second)) != 0) {
          return ErrnoStatus("segment truncate", path.string());
        }
      }
    }
  }
  for (const auto& [n, end] : referenced_end) newest = std::max(newest, n);
  FS_RETURN_IF_ERROR(sf->StartSegment(newest + 1));
  return sf;
}

SegmentFiles::~SegmentFiles() {
  if (write_fd_ >= 0) ::close(write_fd_);
  for (auto& [n, fd] : read_fds_) ::close(fd);
}

Status SegmentFiles::StartSegment(uint32_t segment) {
  const std::string path = PathOf(segment);
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("segment create", path);
  Status s = WriteAll(fd, kMagic.data(), kMagic.size(), path);
  if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoStatus("segment fdatasync", path);
  if (s.ok()) s = SyncDir(dir_);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = fd;
  active_ = segment;
  active_size_ = kMagic.size();
  return Status::Ok();
}

uint32_t SegmentFiles::active_segment() const {
  std::lock_guard lock(write_mu_);
  return active_;
}

Result<std::vector<ChunkLocation>> SegmentFiles::Write(const std::vector<ChunkToWrite>& chunks) {
  std::lock_guard lock(write_mu_);
  if (active_size_ >= max_bytes_) FS_RETURN_IF_ERROR(StartSegment(active_ + 1));
  std::vector<ChunkLocation> locs;
  locs.reserve(chunks.size());
  std::string buf;
  for (const auto& c : chunks) {
    char header[kRecordHeader];
    const auto len = static_cast<uint32_t>(c.data.size());
    std::memcpy(header, &c.series, 8);
    std::memcpy(header + 8, &c.summary->min_ts, 8);
    std::memcpy(header + 16, &c.summary->max_ts, 8);
    std::memcpy(header + 24, &c.summary->count, 4);
    std::memcpy(header + 28, &len, 4);
    uint32_t crc = Crc32c(0, header, kRecordHeader);
    crc = Crc32c(crc, c.data.data(), c.data.size());
    ChunkLocation loc;
    loc.segment = active_;
    loc.offset = active_size_ + buf.size();
    loc.length = static_cast<uint32_t>(kRecordHeader + c.data.size() + 4);
    loc.crc = crc;
    buf.append(header, kRecordHeader);
    buf.append(c.data);
    buf.append(reinterpret_cast<const char*>(&crc), 4);
    locs.push_back(loc);
  }
  const std::string path = PathOf(active_);
  FS_RETURN_IF_ERROR(WriteAll(write_fd_, buf.data(), buf.size(), path));
  if (::fdatasync(write_fd_) != 0) return ErrnoStatus("segment fdatasync", path);
  active_size_ += buf.size();
  return locs;
}

Result<int> SegmentFiles::ReadFd(uint32_t segment) const {
  {
    std::shared_lock lock(read_mu_);
    auto it = read_fds_.find(segment);
    if (it != read_fds_.end()) return it->second;
  }
  std::unique_lock lock(read_mu_);
  auto it = read_fds_.find(segment);
  if (it != read_fds_.end()) return it->second;
  const std::string path = PathOf(segment);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return Status::DataLoss("segment file missing", path);
  if (fd < 0) return ErrnoStatus("segment open", path);
  read_fds_.emplace(segment, fd);
  return fd;
}

Status SegmentFiles::Read(const ChunkLocation& loc, SeriesId series, uint32_t count, std::string* data) const {
  if (loc.length < kRecordHeader + 4) return Status::DataLoss("chunk record too short", PathOf(loc.segment));
  std::string rec(loc.length, '\0');
  {
    // Shared lock: RemoveSegment must not close the fd under a concurrent pread.
    if (auto fd = ReadFd(loc.segment); !fd.ok()) return fd.status();
    std::shared_lock lock(read_mu_);
    auto it = read_fds_.find(loc.segment);
    if (it == read_fds_.end()) return Status::NotFound("segment removed", PathOf(loc.segment));
    FS_RETURN_IF_ERROR(PreadAll(it->second, rec.data(), rec.size(), loc.offset, PathOf(loc.segment)));
  }
  const uint32_t crc = Crc32c(0, rec.data(), rec.size() - 4);
  uint32_t stored;
  std::memcpy(&stored, rec.data() + rec.size() - 4, 4);
  uint64_t hdr_series;
  uint32_t hdr_count;
  uint32_t hdr_len;
  std::memcpy(&hdr_series, rec.data(), 8);
  std::memcpy(&hdr_count, rec.data() + 24, 4);
  std::memcpy(&hdr_len, rec.data() + 28, 4);
  if (crc != loc.crc || stored != loc.crc || hdr_series != series || hdr_count != count ||
      hdr_len != loc.length - kRecordHeader - 4) {
    return Status::DataLoss("chunk checksum mismatch", fmt::format("{} offset {}", PathOf(loc.segment), loc.offset));
  }
  data->assign(rec.data() + kRecordHeader, hdr_len);
  return Status::Ok();
}

Status SegmentFiles::RemoveSegment(uint32_t segment) {
  {
    std::lock_guard lock(write_mu_);
    if (segment == active_) return Status::Ok();
  }
  {
    std::unique_lock lock(read_mu_);
    auto it = read_fds_.find(segment);
    if (it != read_fds_.end()) {
      ::close(it->second);
      read_fds_.erase(it);
    }
  }
  const std::string path = PathOf(segment);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("segment unlink", path);
  return Status::Ok();
}

}  // namespace foresight::storage::tsdb

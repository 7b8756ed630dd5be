#include "storage/tsdb/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <type_traits>
#include <vector>

#include "storage/tsdb/crc32c.h"
#include "storage/tsdb/file_util.h"

namespace foresight::storage::tsdb {
namespace {

static_assert(sizeof(Sample) == 24 && std::is_trivially_copyable_v<Sample>, "WAL sample records copy Sample bytes");

constexpr std::string_view kSegmentMagic = "FSWAL01\n";
constexpr std::string_view kCheckpointMagic = "FSWCP01\n";
constexpr size_t kHeaderSize = 9;
constexpr uint32_t kMaxRecord = 1u << 30;

uint32_t RecordCrc(uint8_t type, std::string_view payload) {
  return Crc32c(Crc32c(0, &type, 1), payload.data(), payload.size());
}

// Replays the records of `data` from `pos`; returns the end of the last intact record and sets *why
// when it stopped early.
size_t ParseRecords(std::string_view data, size_t pos, const Wal::ReplayFn& replay, std::string* why) {
  while (pos < data.size()) {
    if (data.size() - pos < kHeaderSize) {
      *why = "torn record header";
      return pos;
    }
    uint32_t len;
    uint32_t crc;
    std::memcpy(&len, data.data() + pos, 4);
    std::memcpy(&crc, data.data() + pos + 4, 4);
    const auto type = static_cast<uint8_t>(data[pos + 8]);
    if (len > kMaxRecord || len > data.size() - pos - kHeaderSize) {
      *why = "torn record (length beyond end of file)";
      return pos;
    }
    std::string_view payload = data.substr(pos + kHeaderSize, len);
    if (RecordCrc(type, payload) != crc) {
      *why = "record checksum mismatch";
      return pos;
    }
    if (type != static_cast<uint8_t>(WalRecordType::kSamples) && type != static_cast<uint8_t>(WalRecordType::kHeadChunk)) {
      *why = "unknown record type";
      return pos;
    }
    replay(static_cast<WalRecordType>(type), payload);
    pos += kHeaderSize + len;
  }
  return pos;
}

bool ParseNumbered(const std::string& name, std::string_view prefix, std::string_view suffix, uint64_t* n) {
  if (name.size() <= prefix.size() + suffix.size()) return false;
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return false;
  *n = std::stoull(digits);
  return true;
}

}  // namespace

void Wal::FrameRecord(WalRecordType type, std::string_view payload, std::string* out) {
  const auto len = static_cast<uint32_t>(payload.size());
  const uint32_t crc = RecordCrc(static_cast<uint8_t>(type), payload);
  char header[kHeaderSize];
  std::memcpy(header, &len, 4);
  std::memcpy(header + 4, &crc, 4);
  header[8] = static_cast<char>(type);
  out->append(header, kHeaderSize);
  out->append(payload);
}

Wal::Wal(const WalOptions& options)
    : options_(options), log_(options.logger ? options.logger : spdlog::default_logger()) {}

std::string Wal::SegmentPath(uint64_t n) const { return options_.dir + "/" + fmt::format("{:08d}.wal", n); }
std::string Wal::CheckpointPath(uint64_t n) const {
  return options_.dir + "/" + fmt::format("checkpoint.{:08d}", n);
}

Result<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options, const ReplayFn& replay) {
  std::unique_ptr<Wal> wal(new Wal(options));
  FS_RETURN_IF_ERROR(EnsureDir(options.dir));
  std::vector<uint64_t> segments;
  std::vector<uint64_t> checkpoints;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options.dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t n;
    if (ParseNumbered(name, "", ".wal", &n)) {
      segments.push_back(n);
    } else if (ParseNumbered(name, "checkpoint.", "", &n)) {
      checkpoints.push_back(n);
    } else if (name.ends_with(".tmp")) {
      std::filesystem::remove(entry.path(), ec);  // an interrupted checkpoint
    }
  }
  if (ec) return Status::Unavailable("wal list", options.dir, ec.message());
  std::sort(segments.begin(), segments.end());
  std::sort(checkpoints.begin(), checkpoints.end());

  uint64_t covered = 0;
  if (!checkpoints.empty()) {
    covered = checkpoints.back();
    const std::string path = wal->CheckpointPath(covered);
    FS_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(path));
    if (!std::string_view(data).starts_with(kCheckpointMagic)) {
      wal->log_->warn("tsdb wal: checkpoint {} has a bad header; ignoring it", path);
    } else {
      std::string why;
      size_t end = ParseRecords(data, kCheckpointMagic.size(), replay, &why);
      if (end != data.size()) {
        wal->log_->warn("tsdb wal: checkpoint {}: {} at offset {}; {} bytes after it ignored", path, why, end,
                        data.size() - end);
      }
    }
    for (size_t i = 0; i + 1 < checkpoints.size(); ++i) std::filesystem::remove(wal->CheckpointPath(checkpoints[i]), ec);
  }
  uint64_t last = covered;
  for (uint64_t n : segments) {
    last = std::max(last, n);
    const std::string path = wal->SegmentPath(n);
    if (n <= covered) {
      std::filesystem::remove(path, ec);  // already in the checkpoint; deletion was interrupted
      continue;
    }
    FS_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(path));
    if (!std::string_view(data).starts_with(kSegmentMagic)) {
      wal->log_->warn("tsdb wal: segment {} has a torn or bad header ({} bytes); ignoring it", path, data.size());
      continue;
    }
    std::string why;
    size_t end = ParseRecords(data, kSegmentMagic.size(), replay, &why);
    if (end != data.size()) {
      wal->log_->warn("tsdb wal: {}: {} at offset {}; cutting off the last {} bytes", path, why, end,
                      data.size() - end);
      if (::truncate(path.c_str(), static_cast<off_t>(end)) != 0) return ErrnoStatus("wal truncate", path);
    }
    wal->live_bytes_ += end;
  }
  FS_RETURN_IF_ERROR(wal->OpenSegment(last + 1));
  if (options.fsync_policy == FsyncPolicy::kInterval) {
    wal->sync_thread_ = std::jthread([w = wal.get()](std::stop_token st) { w->SyncLoop(st); });
  }
  return wal;
}

Status Wal::OpenSegment(uint64_t number) {
  const std::string path = SegmentPath(number);
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("wal create", path);
  Status s = WriteAll(fd, kSegmentMagic.data(), kSegmentMagic.size(), path);
  if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoStatus("wal fdatasync", path);
  if (s.ok()) s = SyncDir(options_.dir);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = number;
  live_bytes_ += kSegmentMagic.size();
  return Status::Ok();
}

Wal::~Wal() {
  if (sync_thread_.joinable()) {
    sync_thread_.request_stop();
    sync_thread_.join();
  }
  Status s = Sync();
  if (!s.ok()) log_->error("tsdb wal: final sync failed: {}", s.ToString());
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status Wal::FlushLocked(std::unique_lock<std::mutex>& lock, bool sync) {
  flushing_ = true;
  std::string buf;
  buf.swap(pending_);
  const uint64_t upto = appended_seq_;
  const int fd = fd_;
  const std::string path = SegmentPath(segment_);
  lock.unlock();
  Status s = WriteAll(fd, buf.data(), buf.size(), path);
  if (s.ok() && sync && ::fdatasync(fd) != 0) s = ErrnoStatus("wal fdatasync", path);
  lock.lock();
  flushing_ = false;
  if (s.ok()) {
    durable_seq_ = upto;
    live_bytes_ += buf.size();
    dirty_ = sync ? false : (dirty_ || !buf.empty());
  } else {
    broken_ = s;
    log_->error("tsdb wal: {}; the log is broken until the store is reopened", s.ToString());
  }
  cv_.notify_all();
  return s;
}

Status Wal::AppendSamples(std::span<const Sample> samples) {
  if (samples.empty()) return Status::Ok();
  std::string_view payload(reinterpret_cast<const char*>(samples.data()), samples.size_bytes());
  const auto len = static_cast<uint32_t>(payload.size());
  const uint32_t crc = RecordCrc(static_cast<uint8_t>(WalRecordType::kSamples), payload);
  char header[kHeaderSize];
  std::memcpy(header, &len, 4);
  std::memcpy(header + 4, &crc, 4);
  header[8] = static_cast<char>(WalRecordType::kSamples);

  std::unique_lock lock(mu_);
  if (!broken_.ok()) return broken_;
  pending_.append(header, kHeaderSize);
  pending_.append(payload);
  const uint64_t my = ++appended_seq_;
  const bool sync = options_.fsync_policy == FsyncPolicy::kEveryBatch;
  while (durable_seq_ < my) {
    if (!broken_.ok()) return broken_;
    if (!flushing_) {
      FS_RETURN_IF_ERROR(FlushLocked(lock, sync));
    } else {
      cv_.wait(lock);
    }
  }
  return broken_;
}

Status Wal::Sync() {
  std::unique_lock lock(mu_);
  if (!broken_.ok()) return broken_;
  cv_.wait(lock, [&] { return !flushing_; });
  if (!dirty_ && pending_.empty()) return Status::Ok();
  return FlushLocked(lock, true);
}

void Wal::SyncLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait_for(lock, stop, options_.fsync_interval, [] { return false; });
    }
    if (stop.stop_requested()) break;
    (void)Sync();  // errors are logged and make the log broken
  }
}

Result<uint64_t> Wal::Rotate() {
  std::unique_lock lock(mu_);
  if (!broken_.ok()) return broken_;
  cv_.wait(lock, [&] { return !flushing_; });
  FS_RETURN_IF_ERROR(FlushLocked(lock, true));
  // Hold off writers (they queue into pending_) while the next segment is created.
  flushing_ = true;
  const uint64_t closed = segment_;
  lock.unlock();
  Status s = OpenSegment(closed + 1);
  lock.lock();
  flushing_ = false;
  if (!s.ok()) broken_ = s;
  cv_.notify_all();
  if (!s.ok()) return s;
  return closed;
}

Status Wal::WriteCheckpoint(uint64_t upto, std::string_view framed_records) {
  const std::string path = CheckpointPath(upto);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("checkpoint create", tmp);
  Status s = WriteAll(fd, kCheckpointMagic.data(), kCheckpointMagic.size(), tmp);
  if (s.ok()) s = WriteAll(fd, framed_records.data(), framed_records.size(), tmp);
  if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoStatus("checkpoint fdatasync", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus("checkpoint rename", path);
  if (s.ok()) s = SyncDir(options_.dir);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The checkpoint now covers every segment <= upto.
  std::error_code ec;
  uint64_t removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t n;
    if (ParseNumbered(name, "", ".wal", &n) && n <= upto) {
      removed += entry.file_size(ec);
      std::filesystem::remove(entry.path(), ec);
    } else if (ParseNumbered(name, "checkpoint.", "", &n) && n < upto) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  std::lock_guard lock(mu_);
  live_bytes_ = live_bytes_ > removed ? live_bytes_ - removed : 0;
  return Status::Ok();
}

uint64_t Wal::size_bytes() const {
  std::lock_guard lock(mu_);
  return live_bytes_ + pending_.size();
}

}  // namespace foresight::storage::tsdb

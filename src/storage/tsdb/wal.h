#pragma once
// Write-ahead log for samples that are not yet in persisted chunks. Format, group commit and recovery:
// docs/STORAGE.md ("Write-ahead log").
//
// Files under `dir`: numbered segments NNNNNNNN.wal (appended) and checkpoint.NNNNNNNN (an atomic snapshot of
// the head chunks covering every segment <= NNNNNNNN, which are then deleted).
// Each record: u32 payload length | u32 CRC-32C of (type byte + payload) | u8 type | payload (little endian).
//
// Thread-safe: AppendSamples, Sync, Rotate, WriteCheckpoint and size_bytes may be called concurrently.
// Concurrent AppendSamples calls are group-committed: one thread writes (and fsyncs) everything pending
// while the others wait for it.

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"
#include "core/types.h"

namespace foresight::storage::tsdb {

enum class FsyncPolicy {
  kEveryBatch,  // fdatasync before acknowledging (group commit amortises it): survives power loss.
  kInterval,    // write(2) before acknowledging, fdatasync every fsync_interval: survives a process crash;
                // a power loss may lose up to fsync_interval of acknowledged samples.
};

enum class WalRecordType : uint8_t {
  kSamples = 1,    // payload: n * {u64 series_id, i64 ts_ns, f64 value}
  kHeadChunk = 2,  // payload (checkpoints only): u64 series_id, u32 count, chunk bytes (chunk_codec.h)
};

struct WalOptions {
  std::string dir;
  FsyncPolicy fsync_policy = FsyncPolicy::kEveryBatch;
  std::chrono::milliseconds fsync_interval{100};  // kInterval only
  std::shared_ptr<spdlog::logger> logger;         // null: spdlog's default logger
};

class Wal {
 public:
  using ReplayFn = std::function<void(WalRecordType type, std::string_view payload)>;

  // Opens (creating) the log, replays the latest checkpoint and then every later segment in order through
  // `replay`. A torn or corrupt record ends its segment: the rest of that file is cut off with a warning.
  // New records go to a fresh segment. Errors: Unavailable (I/O).
  static Result<std::unique_ptr<Wal>> Open(const WalOptions& options, const ReplayFn& replay);
  ~Wal();  // Syncs.

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Returns once the samples are durable under the fsync policy. After an I/O error the log is broken and
  // every later call returns Unavailable (reopen the store to recover).
  Status AppendSamples(std::span<const Sample> samples);
  // Forces everything written so far to disk.
  Status Sync();
  // Closes the current segment (synced) and starts a new one; returns the closed segment's number.
  // Every record appended before Rotate() returns is in a segment <= that number.
  Result<uint64_t> Rotate();
  // Atomically writes checkpoint.<upto> holding `framed_records` (built with FrameRecord), then deletes
  // segments <= upto and older checkpoints.
  Status WriteCheckpoint(uint64_t upto, std::string_view framed_records);
  // Bytes in live segments (not counting the checkpoint).
  uint64_t size_bytes() const;

  static void FrameRecord(WalRecordType type, std::string_view payload, std::string* out);

 private:
  explicit Wal(const WalOptions& options);
  Status OpenSegment(uint64_t number);
  Status FlushLocked(std::unique_lock<std::mutex>& lock, bool sync);
  void SyncLoop(std::stop_token stop);
  std::string SegmentPath(uint64_t n) const;
  std::string CheckpointPath(uint64_t n) const;

  const WalOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;         // framed records not yet written
  uint64_t appended_seq_ = 0;   // records handed to the log
  uint64_t durable_seq_ = 0;    // records written (and synced under kEveryBatch)
  bool flushing_ = false;       // a thread is writing; others wait
  bool dirty_ = false;          // written but not fsynced (kInterval)
  Status broken_;
  int fd_ = -1;
  uint64_t segment_ = 0;
  uint64_t live_bytes_ = 0;     // bytes in segments since the last checkpoint
  std::mutex sync_mu_;
  std::condition_variable_any sync_cv_;
  std::jthread sync_thread_;
};

}  // namespace foresight::storage::tsdb

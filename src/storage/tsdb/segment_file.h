#pragma once
// Segment files: append-only files of sealed chunks (chunks/NNNNNNNN.seg). Record layout and recovery:
// docs/STORAGE.md ("Segment files"). SQLite (index_db.h) holds where each chunk is; a segment's bytes are
// only trusted once their CRC matches the one recorded there.
// Thread-safe: Write is serialised internally; Read may run concurrently with Write and RemoveSegment.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/tsdb/chunk_codec.h"

namespace foresight::storage::tsdb {

// Bytes a segment record adds to the encoded chunk: 32-byte header + 4-byte CRC.
inline constexpr uint32_t kChunkRecordOverhead = 36;

struct ChunkLocation {
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint32_t length = 0;  // whole record: header + data + crc
  uint32_t crc = 0;     // CRC-32C of header + data
};

// A persisted chunk as the index knows it.
struct ChunkMeta {
  Summary summary;
  ChunkLocation loc;
};

struct ChunkToWrite {
  SeriesId series = 0;
  const Summary* summary = nullptr;
  std::string_view data;
};

class SegmentFiles {
 public:
  // `referenced_end` maps each segment to the end of its last chunk known to the index. Segments without
  // any reference are deleted; bytes after the last reference of the newest segment (a chunk written but
  // never indexed, e.g. torn by a crash) are cut off with a warning. New chunks go to a fresh segment.
  static Result<std::unique_ptr<SegmentFiles>> Open(const std::string& dir, uint64_t max_segment_bytes,
                                                    const std::map<uint32_t, uint64_t>& referenced_end,
                                                    std::shared_ptr<spdlog::logger> log);
  ~SegmentFiles();

  // Appends the chunks and fdatasyncs; returns their locations in the same order. Errors: Unavailable.
  Result<std::vector<ChunkLocation>> Write(const std::vector<ChunkToWrite>& chunks);
  // Reads and verifies one chunk; *data receives the encoded chunk bytes.
  // Errors: DataLoss (checksum or header mismatch, segment file missing), Unavailable (I/O),
  // NotFound (the segment was removed by retention meanwhile).
  Status Read(const ChunkLocation& loc, SeriesId series, uint32_t count, std::string* data) const;
  // Deletes a segment no chunk refers to any more (never the one being written).
  Status RemoveSegment(uint32_t segment);
  uint32_t active_segment() const;

 private:
  SegmentFiles(std::string dir, uint64_t max_bytes, std::shared_ptr<spdlog::logger> log)
      : dir_(std::move(dir)), max_bytes_(max_bytes), log_(std::move(log)) {}
  std::string PathOf(uint32_t segment) const;
  Status StartSegment(uint32_t segment);
  Result<int> ReadFd(uint32_t segment) const;

  const std::string dir_;
  const uint64_t max_bytes_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex write_mu_;
  int write_fd_ = -1;
  uint32_t active_ = 0;
  uint64_t active_size_ = 0;

  mutable std::shared_mutex read_mu_;
  mutable std::map<uint32_t, int> read_fds_;
};

}  // namespace foresight::storage::tsdb

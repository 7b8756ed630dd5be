#pragma once
// Chunk codec: one series' samples compressed with delta-of-delta timestamps and XOR floats (Gorilla,
// Pelkonen et al., VLDB 2015), plus an integer delta-of-delta mode for values that are decimal-scaled
// integers (counters, byte gauges, percentages with 1-2 decimals).
// The bit format is specified in docs/STORAGE.md ("Chunk encoding"); any change there needs a new format
// version. Encoding is lossless: every float bit pattern (NaN payloads, ±Inf, ±0, denormals) round-trips.
// Thread-safety: an encoder or decoder is used by one thread at a time; distinct objects are independent.

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

static_assert(std::endian::native == std::endian::little, "tsdb file formats assume a little-endian host");

namespace foresight::storage::tsdb {

// Aggregates of a run of samples. min/max ignore NaN (fmin/fmax); sum and count include every sample.
struct Summary {
  TimestampNs min_ts = 0;
  TimestampNs max_ts = 0;
  uint32_t count = 0;
  double min = 0;
  double max = 0;
  double sum = 0;
  double last = 0;

  void Add(TimestampNs ts, double v);
  // Appends a later run (REQUIRES: other.min_ts > max_ts or this is empty).
  void Merge(const Summary& other);
};

// Appends samples to one chunk. Timestamps may repeat or decrease (the codec does not care; the store
// enforces ordering); arithmetic wraps modulo 2^64 so any int64 sequence round-trips.
class ChunkEncoder {
 public:
  ChunkEncoder() = default;

  void Append(TimestampNs ts, double value);

  uint32_t count() const { return count_; }
  // Encoded size so far in bytes (the final partial byte included).
  size_t size_bytes() const { return buf_.size() + (nbits_ + 7) / 8; }
  // A copy of the encoded bytes so far; decodable with the current count().
  std::string Bytes() const;
  void Clear() { *this = ChunkEncoder(); }

 private:
  void WriteBits(uint64_t v, int n);
  void WriteTimestampDod(int64_t dod);

  std::string buf_;       // complete 64-bit words, big-endian bit order
  uint64_t acc_ = 0;      // pending bits, right-aligned
  int nbits_ = 0;         // number of pending bits in acc_ (< 64)
  uint32_t count_ = 0;
  uint64_t prev_ts_ = 0;
  uint64_t prev_delta_ = 0;
  uint64_t prev_bits_ = 0;
  int lead_ = -1;         // current XOR window; -1: none yet
  int trail_ = 0;
  bool prev_int_ = false;    // previous value is a decimal-scaled integer at scale_
  int64_t prev_ival_ = 0;
  int64_t prev_idelta_ = 0;
  int unit_exp_ = 0;         // timestamp dods are coded in units of 10^unit_exp_ ns
  int scale_ = 0;            // values are tried as integers / 10^scale_
  int rescale_budget_ = 4;   // failed searches for a finer scale before giving up (encoder only)
  double FromBitsPrev() const {
    double v;
    __builtin_memcpy(&v, &prev_bits_, 8);
    return v;
  }
};

// Iterates the samples of an encoded chunk.
class ChunkDecoder {
 public:
  ChunkDecoder(std::string_view data, uint32_t count) : data_(data), remaining_(count) {}

  // Returns false at the end, or when the data is malformed (then error() is true).
  bool Next(TimestampNs* ts, double* value);
  bool error() const { return error_; }

 private:
  // Fast path inline: the decoder spends its time here.
  uint64_t ReadBits(int n) {
    if (n <= avail_ && n > 0) {
      const uint64_t r = cur_ >> (64 - n);
      cur_ <<= n;
      avail_ -= n;
      return r;
    }
    return ReadBitsSlow(n);
  }
  uint64_t ReadBitsSlow(int n);
  void Refill();
  bool ReadBit() { return ReadBits(1) != 0; }

  std::string_view data_;
  size_t byte_pos_ = 0;
  uint64_t cur_ = 0;   // left-aligned unread bits (the low 64 - avail_ bits are zero)
  int avail_ = 0;
  uint32_t remaining_;
  bool first_ = true;
  bool error_ = false;
  uint64_t prev_ts_ = 0;
  uint64_t prev_delta_ = 0;
  uint64_t prev_bits_ = 0;
  int lead_ = -1;
  int trail_ = 0;
  bool prev_int_ = false;
  int64_t prev_ival_ = 0;
  int64_t prev_idelta_ = 0;
  int scale_ = 0;
  int unit_exp_ = 0;
};

// Decodes a whole chunk, appending to *out. Returns false if the data is malformed.
bool DecodeChunk(std::string_view data, uint32_t count, SeriesId id, std::vector<Sample>* out);

}  // namespace foresight::storage::tsdb

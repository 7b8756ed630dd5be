#include "storage/tsdb/chunk_codec.h"

#include <cmath>
#include <cstring>

namespace foresight::storage::tsdb {
namespace {

constexpr double kMaxSafeInt = 9007199254740992.0;  // 2^53: every integer up to here is exact in a double

uint64_t Mask(int n) { return n >= 64 ? ~0ULL : (1ULL << n) - 1; }

bool FitsSigned(int64_t x, int n) {
  const int64_t lim = int64_t{1} << (n - 1);
  return x >= -lim && x < lim;
}

int64_t SignExtend(uint64_t v, int n) {
  if (n >= 64) return static_cast<int64_t>(v);
  const uint64_t m = 1ULL << (n - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

// Integer-valued doubles in [-2^53, 2^53], excluding -0.0 (its bits differ from +0.0).
bool AsInt(double v, int64_t* out) {
  if (!(v >= -kMaxSafeInt && v <= kMaxSafeInt)) return false;  // also rejects NaN
  const auto i = static_cast<int64_t>(v);
  if (static_cast<double>(i) != v) return false;
  if (i == 0 && std::signbit(v)) return false;
  *out = i;
  return true;
}

// Variable-width signed field used for timestamp delta-of-delta: '0' | '10'+14 | '110'+24 | '1110'+36 | '1111'+64.
constexpr int kTsWidths[] = {14, 24, 36};
// ... and for the integer delta-of-delta of values: '0' | '10'+8 | '110'+16 | '1110'+32 | '1111'+64.
constexpr int kIntWidths[] = {8, 16, 32};

int VarCost(int64_t x, const int (&widths)[3]) {
  if (x == 0) return 1;
  for (int i = 0; i < 3; ++i) {
    if (FitsSigned(x, widths[i])) return i + 2 + widths[i];
  }
  return 4 + 64;
}

}  // namespace

void Summary::Add(TimestampNs ts, double v) {
  if (count == 0) {
    min_ts = ts;
    min = max = v;
    sum = 0;
  } else {
    min = std::fmin(min, v);
    max = std::fmax(max, v);
  }
  sum += v;
  last = v;
  max_ts = ts;
  ++count;
}

void Summary::Merge(const Summary& o) {
  if (o.count == 0) return;
  if (count == 0) {
    *this = o;
    return;
  }
  min = std::fmin(min, o.min);
  max = std::fmax(max, o.max);
  sum += o.sum;
  last = o.last;
  max_ts = o.max_ts;
  count += o.count;
}

void ChunkEncoder::WriteBits(uint64_t v, int n) {
  if (n <= 0) return;
  v &= Mask(n);
  const int space = 64 - nbits_;
  if (n < space) {
    acc_ = (acc_ << n) | v;
    nbits_ += n;
    return;
  }
  const int rest = n - space;
  const uint64_t word = (space == 64 ? 0 : acc_ << space) | (v >> rest);
  const uint64_t be = __builtin_bswap64(word);
  buf_.append(reinterpret_cast<const char*>(&be), 8);
  acc_ = rest ? (v & Mask(rest)) : 0;
  nbits_ = rest;
}

std::string ChunkEncoder::Bytes() const {
  std::string out = buf_;
  if (nbits_ > 0) {
    const uint64_t be = __builtin_bswap64(acc_ << (64 - nbits_));
    out.append(reinterpret_cast<const char*>(&be), (nbits_ + 7) / 8);
  }
  return out;
}

void ChunkEncoder::Append(TimestampNs ts_signed, double value) {
  const auto ts = static_cast<uint64_t>(ts_signed);
  uint64_t bits;
  std::memcpy(&bits, &value, 8);
  int64_t ival = 0;
  const bool is_int = AsInt(value, &ival);
  if (count_ == 0) {
    WriteBits(ts, 64);
    WriteBits(bits, 64);
  } else {
    const uint64_t delta = ts - prev_ts_;
    const auto dod = static_cast<int64_t>(delta - prev_delta_);
    if (dod == 0) {
      WriteBits(0, 1);
    } else if (FitsSigned(dod, kTsWidths[0])) {
      WriteBits(0b10, 2);
      WriteBits(static_cast<uint64_t>(dod), kTsWidths[0]);
    } else if (FitsSigned(dod, kTsWidths[1])) {
      WriteBits(0b110, 3);
      WriteBits(static_cast<uint64_t>(dod), kTsWidths[1]);
    } else if (FitsSigned(dod, kTsWidths[2])) {
      WriteBits(0b1110, 4);
      WriteBits(static_cast<uint64_t>(dod), kTsWidths[2]);
    } else {
      WriteBits(0b1111, 4);
      WriteBits(static_cast<uint64_t>(dod), 64);
    }
    prev_delta_ = delta;

    const uint64_t x = bits ^ prev_bits_;
    if (x == 0) {
      WriteBits(0, 1);
    } else {
      int lead = std::countl_zero(x);
      if (lead > 31) lead = 31;
      const int trail = std::countr_zero(x);
      const bool can_reuse = lead_ >= 0 && lead >= lead_ && trail >= trail_;
      const int reuse_cost = can_reuse ? 2 + (64 - lead_ - trail_) : 1 << 20;
      const int new_cost = 3 + 5 + 6 + (64 - lead - trail);
      int64_t idod = 0;
      int int_cost = 1 << 20;
      if (is_int && prev_int_) {
        idod = (ival - prev_ival_) - prev_idelta_;
        int_cost = 3 + VarCost(idod, kIntWidths);
      }
      if (reuse_cost <= new_cost && reuse_cost <= int_cost) {
        WriteBits(0b10, 2);
        WriteBits(x >> trail_, 64 - lead_ - trail_);
      } else if (new_cost <= int_cost) {
        WriteBits(0b110, 3);
        WriteBits(static_cast<uint64_t>(lead), 5);
        const int len = 64 - lead - trail;
        WriteBits(static_cast<uint64_t>(len - 1), 6);
        WriteBits(x >> trail, len);
        lead_ = lead;
        trail_ = trail;
      } else {
        WriteBits(0b111, 3);
        const int c = VarCost(idod, kIntWidths);
        if (c == 1) {
          WriteBits(0, 1);
        } else if (c == 2 + kIntWidths[0]) {
          WriteBits(0b10, 2);
          WriteBits(static_cast<uint64_t>(idod), kIntWidths[0]);
        } else if (c == 3 + kIntWidths[1]) {
          WriteBits(0b110, 3);
          WriteBits(static_cast<uint64_t>(idod), kIntWidths[1]);
        } else if (c == 4 + kIntWidths[2]) {
          WriteBits(0b1110, 4);
          WriteBits(static_cast<uint64_t>(idod), kIntWidths[2]);
        } else {
          WriteBits(0b1111, 4);
          WriteBits(static_cast<uint64_t>(idod), 64);
        }
      }
    }
    prev_idelta_ = (is_int && prev_int_) ? ival - prev_ival_ : 0;
  }
  prev_ts_ = ts;
  prev_bits_ = bits;
  prev_int_ = is_int;
  prev_ival_ = ival;
  ++count_;
}

uint64_t ChunkDecoder::ReadBits(int n) {
  if (n <= 0) return 0;
  if (n < avail_) {
    const uint64_t r = cur_ >> (64 - n);
    cur_ <<= n;
    avail_ -= n;
    return r;
  }
  uint64_t r = 0;
  while (n > 0) {
    if (avail_ == 0) {
      const size_t left = data_.size() - byte_pos_;
      if (left >= 8) {
        uint64_t w;
        std::memcpy(&w, data_.data() + byte_pos_, 8);
        cur_ = __builtin_bswap64(w);
        byte_pos_ += 8;
        avail_ = 64;
      } else if (left > 0) {
        cur_ = 0;
        for (size_t i = 0; i < left; ++i) {
          cur_ |= static_cast<uint64_t>(static_cast<uint8_t>(data_[byte_pos_ + i])) << (56 - 8 * i);
        }
        byte_pos_ += left;
        avail_ = static_cast<int>(8 * left);
      } else {
        error_ = true;
        return 0;
      }
    }
    const int take = n < avail_ ? n : avail_;
    if (take == 64) {
      r = cur_;
      cur_ = 0;
    } else {
      r = (r << take) | (cur_ >> (64 - take));
      cur_ <<= take;
    }
    avail_ -= take;
    n -= take;
  }
  return r;
}

namespace {

// Reads a prefix-coded signed field with the given widths ('0' | '10' | '110' | '1110' | '1111'+64).
template <typename Reader>
int64_t ReadVar(Reader& rd, const int (&widths)[3]) {
  if (!rd.Bit()) return 0;
  if (!rd.Bit()) return SignExtend(rd.Bits(widths[0]), widths[0]);
  if (!rd.Bit()) return SignExtend(rd.Bits(widths[1]), widths[1]);
  if (!rd.Bit()) return SignExtend(rd.Bits(widths[2]), widths[2]);
  return static_cast<int64_t>(rd.Bits(64));
}

}  // namespace

bool ChunkDecoder::Next(TimestampNs* ts_out, double* value_out) {
  if (remaining_ == 0 || error_) return false;
  struct Rd {
    ChunkDecoder* d;
    bool Bit() { return d->ReadBits(1) != 0; }
    uint64_t Bits(int n) { return d->ReadBits(n); }
  } rd{this};
  uint64_t ts;
  uint64_t bits;
  if (first_) {
    ts = ReadBits(64);
    bits = ReadBits(64);
    first_ = false;
  } else {
    const auto dod = static_cast<uint64_t>(ReadVar(rd, kTsWidths));
    prev_delta_ += dod;
    ts = prev_ts_ + prev_delta_;
    if (!ReadBit()) {
      bits = prev_bits_;
    } else if (!ReadBit()) {
      if (lead_ < 0) {
        error_ = true;
        return false;
      }
      const int len = 64 - lead_ - trail_;
      bits = prev_bits_ ^ (ReadBits(len) << trail_);
    } else if (!ReadBit()) {
      const int lead = static_cast<int>(ReadBits(5));
      const int len = static_cast<int>(ReadBits(6)) + 1;
      if (lead + len > 64) {
        error_ = true;
        return false;
      }
      lead_ = lead;
      trail_ = 64 - lead - len;
      bits = prev_bits_ ^ (ReadBits(len) << trail_);
    } else {
      if (!prev_int_) {
        error_ = true;
        return false;
      }
      const int64_t idod = ReadVar(rd, kIntWidths);
      const int64_t ival = prev_ival_ + prev_idelta_ + idod;
      const auto v = static_cast<double>(ival);
      std::memcpy(&bits, &v, 8);
    }
  }
  if (error_) return false;
  double value;
  std::memcpy(&value, &bits, 8);
  int64_t ival = 0;
  const bool is_int = AsInt(value, &ival);
  prev_idelta_ = (is_int && prev_int_) ? ival - prev_ival_ : 0;
  prev_ts_ = ts;
  prev_bits_ = bits;
  prev_int_ = is_int;
  prev_ival_ = ival;
  --remaining_;
  *ts_out = static_cast<TimestampNs>(ts);
  *value_out = value;
  return true;
}

bool DecodeChunk(std::string_view data, uint32_t count, SeriesId id, std::vector<Sample>* out) {
  ChunkDecoder dec(data, count);
  out->reserve(out->size() + count);
  Sample s{id, 0, 0};
  while (dec.Next(&s.ts_ns, &s.value)) out->push_back(s);
  return !dec.error();
}

}  // namespace foresight::storage::tsdb

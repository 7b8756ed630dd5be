#include "storage/tsdb/chunk_codec.h"

#include <algorithm>
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

constexpr double kPow10[8] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};

double FromScaled(int64_t i, int scale) {
  return scale == 0 ? static_cast<double>(i) : static_cast<double>(i) / kPow10[scale];
}

uint64_t BitsOf(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

// Decimal-scaled integers: v == i / 10^scale exactly (bit for bit, so -0.0 and NaN never qualify) with
// |i| <= 2^53. Encoder and decoder both call this on the same doubles, so they agree on every state bit.
bool AsScaled(double v, int scale, int64_t* out) {
  const double scaled = v * kPow10[scale];
  if (!(scaled >= -kMaxSafeInt && scaled <= kMaxSafeInt)) return false;  // also rejects NaN
  const auto i = static_cast<int64_t>(std::nearbyint(scaled));
  if (BitsOf(FromScaled(i, scale)) != BitsOf(v)) return false;
  *out = i;
  return true;
}

// The chunk's starting scale: the smallest that represents its first value (0 if none does).
int InitialScale(double v) {
  int64_t i;
  for (int s = 0; s < 8; ++s) {
    if (AsScaled(v, s, &i)) return s;
  }
  return 0;
}

// Variable-width signed field used for timestamp delta-of-delta, in units of 10^unit_exp ns:
// '0' | '10'+14 | '110'+24 | '1110'+36, and the escape '1111' (see WriteTimestampDod).
constexpr int kTsWidths[] = {14, 24, 36};
constexpr int kMaxUnitExp = 18;
constexpr int64_t kPow10i[kMaxUnitExp + 1] = {1,
                                             10,
                                             100,
                                             1'000,
                                             10'000,
                                             100'000,
                                             1'000'000,
                                             10'000'000,
                                             100'000'000,
                                             1'000'000'000,
                                             10'000'000'000,
                                             100'000'000'000,
                                             1'000'000'000'000,
                                             10'000'000'000'000,
                                             100'000'000'000'000,
                                             1'000'000'000'000'000,
                                             10'000'000'000'000'000,
                                             100'000'000'000'000'000,
                                             1'000'000'000'000'000'000};

// Number of trailing decimal zeros of x != 0, capped at kMaxUnitExp.
int DecimalZeros(int64_t x) {
  int k = 0;
  while (k < kMaxUnitExp && x % 10 == 0) {
    x /= 10;
    ++k;
  }
  return k;
}
// ... and for the integer delta-of-delta of values: '0' | '10'+6 | '110'+13 | '1110'+24 | '1111'+64.
constexpr int kIntWidths[] = {6, 12, 19};

template <typename Writer>
void WriteVar(Writer&& write, int64_t x, const int (&widths)[3]) {
  if (x == 0) {
    write(0, 1);
  } else if (FitsSigned(x, widths[0])) {
    write(0b10, 2);
    write(static_cast<uint64_t>(x), widths[0]);
  } else if (FitsSigned(x, widths[1])) {
    write(0b110, 3);
    write(static_cast<uint64_t>(x), widths[1]);
  } else if (FitsSigned(x, widths[2])) {
    write(0b1110, 4);
    write(static_cast<uint64_t>(x), widths[2]);
  } else {
    write(0b1111, 4);
    write(static_cast<uint64_t>(x), 64);
  }
}

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
    // fmin/fmax semantics (a NaN loses against a number), inlined: this runs per decoded sample.
    if (v < min || std::isnan(min)) min = v;
    if (v > max || std::isnan(max)) max = v;
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

void ChunkEncoder::WriteTimestampDod(int64_t dod) {
  if (dod == 0) {
    WriteBits(0, 1);
    return;
  }
  // Timestamps with ms or s precision have dods that are multiples of 10^6 or 10^9 ns: code them in that
  // unit. The unit drops as soon as a dod needs it to, and rises when a dod shows 3+ more decimal zeros.
  const int k = DecimalZeros(dod);
  if (k >= unit_exp_ && k < unit_exp_ + 3) {
    const int64_t x = dod / kPow10i[unit_exp_];
    for (int i = 0; i < 3; ++i) {
      if (FitsSigned(x, kTsWidths[i])) {
        WriteBits((0b1110ULL >> (2 - i)) & ~1ULL, i + 2);  // '10', '110', '1110'
        WriteBits(static_cast<uint64_t>(x), kTsWidths[i]);
        return;
      }
    }
    WriteBits(0b11110, 5);  // '1111' '0': raw 64-bit dod in ns
    WriteBits(static_cast<uint64_t>(dod), 64);
    return;
  }
  // '1111' '1' + 5-bit unit exponent + the dod in the new unit (a plain var field).
  WriteBits(0b11111, 5);
  WriteBits(static_cast<uint64_t>(k), 5);
  unit_exp_ = k;
  WriteVar([this](uint64_t v, int n) { WriteBits(v, n); }, dod / kPow10i[k], kTsWidths);
}

void ChunkEncoder::Append(TimestampNs ts_signed, double value) {
  const auto ts = static_cast<uint64_t>(ts_signed);
  const uint64_t bits = BitsOf(value);
  auto write = [this](uint64_t v, int n) { WriteBits(v, n); };
  int64_t ival = 0;
  bool is_int;
  if (count_ == 0) {
    WriteBits(ts, 64);
    WriteBits(bits, 64);
    scale_ = InitialScale(value);
    is_int = AsScaled(value, scale_, &ival);
    prev_idelta_ = 0;
  } else {
    const uint64_t delta = ts - prev_ts_;
    WriteTimestampDod(static_cast<int64_t>(delta - prev_delta_));
    prev_delta_ = delta;

    const uint64_t x = bits ^ prev_bits_;
    if (x == 0) {
      WriteBits(0, 1);
      is_int = prev_int_;
      ival = prev_ival_;
    } else {
      is_int = AsScaled(value, scale_, &ival);
      constexpr int kNever = 1 << 20;
      // Candidate 1: integer delta-of-delta at the current scale.
      int64_t idod = 0;
      int int_cost = kNever;
      if (is_int && prev_int_) {
        idod = static_cast<int64_t>(static_cast<uint64_t>(ival) - static_cast<uint64_t>(prev_ival_) -
                                    static_cast<uint64_t>(prev_idelta_));
        int_cost = 2 + VarCost(idod, kIntWidths);
      }
      // Candidate 2: switch to a finer decimal scale that represents both this and the previous value.
      int new_scale = -1;
      int64_t scaled_prev = 0;
      int64_t scaled_cur = 0;
      int rescale_cost = kNever;
      if (int_cost == kNever && rescale_budget_ > 0) {
        for (int k = scale_ + 1; k < 8; ++k) {
          if (AsScaled(value, k, &scaled_cur) && AsScaled(FromBitsPrev(), k, &scaled_prev)) {
            new_scale = k;
            rescale_cost = 4 + 3 + VarCost(scaled_cur - scaled_prev, kIntWidths);
            break;
          }
        }
        if (new_scale < 0) --rescale_budget_;
      }
      // Candidates 3 and 4: Gorilla XOR in the previous window, or in a new one.
      int lead = std::countl_zero(x);
      if (lead > 31) lead = 31;
      const int trail = std::countr_zero(x);
      const bool can_reuse = lead_ >= 0 && lead >= lead_ && trail >= trail_;
      const int reuse_cost = can_reuse ? 3 + (64 - lead_ - trail_) : kNever;
      const int new_cost = 4 + 5 + 6 + (64 - lead - trail);

      const int best = std::min({int_cost, rescale_cost, reuse_cost, new_cost});
      if (best == int_cost) {
        WriteBits(0b10, 2);
        WriteVar(write, idod, kIntWidths);
      } else if (best == reuse_cost) {
        WriteBits(0b110, 3);
        WriteBits(x >> trail_, 64 - lead_ - trail_);
      } else if (best == new_cost) {
        WriteBits(0b1110, 4);
        WriteBits(static_cast<uint64_t>(lead), 5);
        const int len = 64 - lead - trail;
        WriteBits(static_cast<uint64_t>(len - 1), 6);
        WriteBits(x >> trail, len);
        lead_ = lead;
        trail_ = trail;
      } else {
        WriteBits(0b1111, 4);
        WriteBits(static_cast<uint64_t>(new_scale), 3);
        WriteVar(write, scaled_cur - scaled_prev, kIntWidths);
        scale_ = new_scale;
        prev_int_ = true;
        prev_ival_ = scaled_prev;
        prev_idelta_ = 0;
        is_int = true;
        ival = scaled_cur;
      }
      if (best != rescale_cost && best != int_cost) is_int = AsScaled(value, scale_, &ival);
    }
    prev_idelta_ = (is_int && prev_int_) ? static_cast<int64_t>(static_cast<uint64_t>(ival) -
                                                                static_cast<uint64_t>(prev_ival_))
                                         : 0;
  }
  prev_ts_ = ts;
  prev_bits_ = bits;
  prev_int_ = is_int;
  prev_ival_ = ival;
  ++count_;
}

void ChunkDecoder::Refill() {
  // Keeps at least 57 valid bits at the top of cur_ while input remains.
  if (data_.size() - byte_pos_ >= 8) {
    uint64_t w;
    std::memcpy(&w, data_.data() + byte_pos_, 8);
    w = __builtin_bswap64(w);
    cur_ |= w >> avail_;
    const int bytes = (63 - avail_) >> 3;
    byte_pos_ += static_cast<size_t>(bytes);
    avail_ += bytes * 8;
    return;
  }
  while (avail_ <= 56 && byte_pos_ < data_.size()) {
    cur_ |= static_cast<uint64_t>(static_cast<uint8_t>(data_[byte_pos_++])) << (56 - avail_);
    avail_ += 8;
  }
}

uint64_t ChunkDecoder::ReadBitsSlow(int n) {
  if (n > 56) {
    const uint64_t hi = ReadBits(n - 32);
    return (hi << 32) | ReadBits(32);
  }
  if (n <= 0) return 0;
  if (avail_ < n) {
    Refill();
    if (avail_ < n) {
      error_ = true;
      return 0;
    }
  }
  const uint64_t r = cur_ >> (64 - n);
  cur_ <<= n;
  avail_ -= n;
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
  int64_t ival = 0;
  bool is_int;
  if (first_) {
    ts = ReadBits(64);
    bits = ReadBits(64);
    first_ = false;
    double v;
    std::memcpy(&v, &bits, 8);
    scale_ = InitialScale(v);
    is_int = AsScaled(v, scale_, &ival);
    prev_idelta_ = 0;
  } else {
    uint64_t dod;
    if (!ReadBit()) {
      dod = 0;
    } else {
      int i = 0;
      while (i < 3 && ReadBit()) ++i;
      if (i < 3) {
        dod = static_cast<uint64_t>(SignExtend(ReadBits(kTsWidths[i]), kTsWidths[i])) *
              static_cast<uint64_t>(kPow10i[unit_exp_]);
      } else if (!ReadBit()) {
        dod = ReadBits(64);
      } else {
        const int k = static_cast<int>(ReadBits(5));
        if (k > kMaxUnitExp) {
          error_ = true;
          return false;
        }
        unit_exp_ = k;
        dod = static_cast<uint64_t>(ReadVar(rd, kTsWidths)) * static_cast<uint64_t>(kPow10i[k]);
      }
    }
    prev_delta_ += dod;
    ts = prev_ts_ + prev_delta_;
    if (!ReadBit()) {  // '0': same value
      bits = prev_bits_;
      is_int = prev_int_;
      ival = prev_ival_;
    } else if (!ReadBit()) {  // '10': integer delta-of-delta at the current scale
      if (!prev_int_) {
        error_ = true;
        return false;
      }
      const auto idod = static_cast<uint64_t>(ReadVar(rd, kIntWidths));
      ival = static_cast<int64_t>(static_cast<uint64_t>(prev_ival_) + static_cast<uint64_t>(prev_idelta_) + idod);
      bits = BitsOf(FromScaled(ival, scale_));
      is_int = true;
    } else if (!ReadBit()) {  // '110': XOR in the previous window
      if (lead_ < 0) {
        error_ = true;
        return false;
      }
      bits = prev_bits_ ^ (ReadBits(64 - lead_ - trail_) << trail_);
      double v;
      std::memcpy(&v, &bits, 8);
      is_int = AsScaled(v, scale_, &ival);
    } else if (!ReadBit()) {  // '1110': XOR in a new window
      const int lead = static_cast<int>(ReadBits(5));
      const int len = static_cast<int>(ReadBits(6)) + 1;
      if (lead + len > 64) {
        error_ = true;
        return false;
      }
      lead_ = lead;
      trail_ = 64 - lead - len;
      bits = prev_bits_ ^ (ReadBits(len) << trail_);
      double v;
      std::memcpy(&v, &bits, 8);
      is_int = AsScaled(v, scale_, &ival);
    } else {  // '1111': new decimal scale, then the integer delta from the rescaled previous value
      const int k = static_cast<int>(ReadBits(3));
      double prev;
      std::memcpy(&prev, &prev_bits_, 8);
      int64_t scaled_prev;
      if (!AsScaled(prev, k, &scaled_prev)) {
        error_ = true;
        return false;
      }
      const auto d = static_cast<uint64_t>(ReadVar(rd, kIntWidths));
      scale_ = k;
      prev_int_ = true;
      prev_ival_ = scaled_prev;
      ival = static_cast<int64_t>(static_cast<uint64_t>(scaled_prev) + d);
      bits = BitsOf(FromScaled(ival, scale_));
      is_int = true;
    }
    prev_idelta_ = (is_int && prev_int_) ? static_cast<int64_t>(static_cast<uint64_t>(ival) -
                                                                static_cast<uint64_t>(prev_ival_))
                                         : 0;
  }
  if (error_) return false;
  prev_ts_ = ts;
  prev_bits_ = bits;
  prev_int_ = is_int;
  prev_ival_ = ival;
  --remaining_;
  *ts_out = static_cast<TimestampNs>(ts);
  std::memcpy(value_out, &bits, 8);
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

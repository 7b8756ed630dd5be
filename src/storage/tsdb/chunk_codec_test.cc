#include "storage/tsdb/chunk_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace foresight::storage::tsdb {
namespace {

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}
double FromBits(uint64_t b) {
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}

// Encodes, decodes (from a snapshot after every prefix length in `checks`) and compares bit-exactly.
void ExpectRoundTrip(const std::vector<std::pair<TimestampNs, double>>& in) {
  ChunkEncoder enc;
  for (size_t i = 0; i < in.size(); ++i) {
    enc.Append(in[i].first, in[i].second);
    if (i % 97 == 0 || i + 1 == in.size()) {
      // A head snapshot must decode at any point.
      std::string bytes = enc.Bytes();
      ASSERT_EQ(bytes.size(), enc.size_bytes());
      std::vector<Sample> out;
      ASSERT_TRUE(DecodeChunk(bytes, enc.count(), 1, &out));
      ASSERT_EQ(out.size(), i + 1);
      for (size_t j = 0; j <= i; ++j) {
        ASSERT_EQ(out[j].ts_ns, in[j].first) << "sample " << j;
        ASSERT_EQ(Bits(out[j].value), Bits(in[j].second)) << "sample " << j << " value " << in[j].second;
      }
    }
  }
}

double RandomAdversarial(std::mt19937_64& rng) {
  switch (rng() % 12) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return FromBits(0x7ff0000000000000ULL | (rng() & 0x000fffffffffffffULL) | 1);  // NaN payloads
    case 2: return FromBits(0xfff8000000000000ULL | (rng() & 0xffff));                     // negative NaN
    case 3: return (rng() & 1) ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    case 4: return FromBits(rng() & 0x000fffffffffffffULL);                                 // denormal
    case 5: return (rng() & 1) ? 0.0 : -0.0;
    case 6: return static_cast<double>(static_cast<int64_t>(rng() % 2000) - 1000);         // small ints
    case 7: return static_cast<double>(static_cast<int64_t>(rng()) >> 10);                 // big ints near 2^53
    case 8: return FromBits(rng());                                                       // any bit pattern
    case 9: return std::ldexp(1.0, 53) * ((rng() & 1) ? 1 : -1);
    case 10: return std::numeric_limits<double>::max();
    default: return std::numeric_limits<double>::denorm_min();
  }
}

TEST(ChunkCodecTest, RoundTripsRandomValuesAndTimestamps) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::pair<TimestampNs, double>> in;
    TimestampNs ts = static_cast<TimestampNs>(rng());
    std::normal_distribution<double> noise(50, 20);
    double counter = 0;
    for (int i = 0; i < 500; ++i) {
      switch (rng() % 5) {
        case 0: ts += 1'000'000'000; break;
        case 1: ts += static_cast<TimestampNs>(rng() % 2'000'000'000); break;
        case 2: break;                                              // repeated timestamp
        case 3: ts -= static_cast<TimestampNs>(rng() % 1000); break;  // going backwards
        default: ts = static_cast<TimestampNs>(rng()); break;        // huge jump, any sign (wraps)
      }
      double v;
      switch (rng() % 4) {
        case 0: v = noise(rng); break;
        case 1: counter += static_cast<double>(rng() % 5000); v = counter; break;
        case 2: v = RandomAdversarial(rng); break;
        default: v = in.empty() ? 1 : in.back().second; break;
      }
      in.emplace_back(ts, v);
    }
    SCOPED_TRACE(seed);
    ExpectRoundTrip(in);
  }
}

TEST(ChunkCodecTest, RoundTripsAdversarialOnly) {
  for (uint64_t seed = 100; seed < 120; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::pair<TimestampNs, double>> in;
    for (int i = 0; i < 300; ++i) in.emplace_back(static_cast<TimestampNs>(rng()), RandomAdversarial(rng));
    SCOPED_TRACE(seed);
    ExpectRoundTrip(in);
  }
}

TEST(ChunkCodecTest, RoundTripsExtremeTimestamps) {
  const auto lo = std::numeric_limits<TimestampNs>::min();
  const auto hi = std::numeric_limits<TimestampNs>::max();
  ExpectRoundTrip({{lo, 1}, {hi, 2}, {lo, 3}, {0, 4}, {-1, 5}, {hi, 6}, {hi, 7}, {-5'000'000'000, 8}});
  ExpectRoundTrip({{-3, -0.0}, {-2, 0.0}, {-1, -0.0}, {0, -0.0}});
}

TEST(ChunkCodecTest, IntegerModeHandlesDeltasAtTheSafeLimit) {
  const double m = std::ldexp(1.0, 53);
  ExpectRoundTrip({{1, -m}, {2, m}, {3, -m}, {4, 0}, {5, m}, {6, m - 1}, {7, -m + 1}, {8, 1}, {9, -0.0}, {10, 3}});
}

double RandomDecimal(std::mt19937_64& rng) {
  const int decimals = static_cast<int>(rng() % 9);  // 8 is beyond the largest scale on purpose
  const double p = std::pow(10.0, decimals);
  switch (rng() % 4) {
    case 0: return static_cast<double>(static_cast<int64_t>(rng() % 100000) - 50000) / p;
    case 1: return static_cast<double>(static_cast<int64_t>(rng() >> 11)) / p;          // near 2^53 / 10^k
    case 2: return -static_cast<double>(static_cast<int64_t>(rng() >> 11)) / p;
    default: return std::round(std::ldexp(1.0, 53) / p) / p * ((rng() & 1) ? 1 : -1);  // around the limit
  }
}

TEST(ChunkCodecTest, RoundTripsDecimalsAcrossScaleChanges) {
  for (uint64_t seed = 200; seed < 230; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::pair<TimestampNs, double>> in;
    double v = RandomDecimal(rng);
    for (int i = 0; i < 400; ++i) {
      switch (rng() % 5) {
        case 0: v = RandomDecimal(rng); break;
        case 1: v += 0.1; break;                     // accumulating binary error: not a short decimal
        case 2: v = std::round(v * 100 + 3) / 100; break;
        case 3: v = RandomAdversarial(rng); break;
        default: break;
      }
      in.emplace_back(static_cast<TimestampNs>(i) * 1'000'000'000, v);
    }
    SCOPED_TRACE(seed);
    ExpectRoundTrip(in);
  }
}

TEST(ChunkCodecTest, TwoDecimalGaugeCostsAboutTwoBytes) {
  ChunkEncoder enc;
  std::mt19937_64 rng(3);
  double load = 1.50;
  for (int i = 0; i < 240; ++i) {
    load = std::max(0.0, std::round((load + (static_cast<double>(rng() % 21) - 10) / 100) * 100) / 100);
    enc.Append(1'700'000'000'000'000'000 + i * 10'000'000'000LL, load);
  }
  EXPECT_LE(enc.size_bytes(), 16u + 240 * 2);
}

TEST(ChunkCodecTest, MillisecondTimestampsAreCodedInMilliseconds) {
  // 10 s scrapes stamped with ms precision and a few ms of jitter, constant value.
  std::mt19937_64 rng(11);
  ChunkEncoder enc;
  std::vector<std::pair<TimestampNs, double>> in;
  for (int i = 0; i < 240; ++i) {
    const TimestampNs ts = 1'700'000'000'000'000'000 + i * 10'000'000'000LL + static_cast<int64_t>(rng() % 8) * 1'000'000;
    enc.Append(ts, 1.0);
    in.emplace_back(ts, 1.0);
  }
  // '10' + 14 bits per timestamp (instead of 40 bits in nanoseconds) + 1 bit per value.
  EXPECT_LE(enc.size_bytes(), 16u + 240 * 17 / 8 + 16);
  ExpectRoundTrip(in);
}

TEST(ChunkCodecTest, RoundTripsTimestampsWithChangingPrecision) {
  for (uint64_t seed = 300; seed < 330; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::pair<TimestampNs, double>> in;
    TimestampNs ts = static_cast<TimestampNs>(rng() >> 2);
    for (int i = 0; i < 300; ++i) {
      const int64_t unit = std::vector<int64_t>{1, 1000, 1'000'000, 1'000'000'000, 10'000'000'000}[rng() % 5];
      ts += unit * static_cast<int64_t>(rng() % 2000) - (rng() % 7 == 0 ? unit * 3000 : 0);
      if (rng() % 50 == 0) ts = static_cast<TimestampNs>(rng());  // any jump, wrapping
      in.emplace_back(ts, static_cast<double>(i));
    }
    SCOPED_TRACE(seed);
    ExpectRoundTrip(in);
  }
}

TEST(ChunkCodecTest, ConstantSeriesCostsAboutTwoBitsPerSample) {
  ChunkEncoder enc;
  for (int i = 0; i < 1000; ++i) enc.Append(1'700'000'000'000'000'000 + i * 1'000'000'000LL, 42.5);
  EXPECT_LE(enc.size_bytes(), 16u + 1000 * 2 / 8 + 8);
}

TEST(ChunkCodecTest, SteadyCounterUsesIntegerMode) {
  ChunkEncoder enc;
  double v = 123'456'789;
  for (int i = 0; i < 1000; ++i) {
    enc.Append(1'700'000'000'000'000'000 + i * 10'000'000'000LL, v);
    v += 4096;  // constant rate: integer delta-of-delta 0
  }
  // 1 bit timestamp + 4 bits value per sample.
  EXPECT_LE(enc.size_bytes(), 16u + 1000 * 5 / 8 + 32);
}

TEST(ChunkCodecTest, TruncatedDataIsAnErrorNotACrash) {
  ChunkEncoder enc;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) enc.Append(static_cast<TimestampNs>(rng()), FromBits(rng()));
  std::string bytes = enc.Bytes();
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    std::vector<Sample> out;
    EXPECT_FALSE(DecodeChunk(std::string_view(bytes).substr(0, cut), enc.count(), 1, &out));
  }
  // Random garbage never crashes either.
  for (int trial = 0; trial < 200; ++trial) {
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    std::vector<Sample> out;
    (void)DecodeChunk(junk, 100, 1, &out);
  }
}

TEST(ChunkCodecTest, SummaryIgnoresNanForMinMaxOnly) {
  Summary s;
  s.Add(1, std::nan(""));
  s.Add(2, 3);
  s.Add(3, -1);
  EXPECT_EQ(s.min, -1);
  EXPECT_EQ(s.max, 3);
  EXPECT_TRUE(std::isnan(s.sum));
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.last, -1);
  EXPECT_EQ(s.min_ts, 1);
  EXPECT_EQ(s.max_ts, 3);
}

}  // namespace
}  // namespace foresight::storage::tsdb

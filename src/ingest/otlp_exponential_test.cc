#include "ingest/otlp_exponential.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace foresight::ingest {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Dump(const std::vector<CumulativeBucket>& b) {
  std::string s;
  for (const auto& x : b) s += std::to_string(x.upper_bound) + ":" + std::to_string(x.cumulative) + " ";
  return s;
}

// Expects exactly these (bound, cumulative) pairs, +Inf last.
void ExpectBuckets(const std::vector<CumulativeBucket>& got, const std::vector<CumulativeBucket>& want) {
  ASSERT_EQ(got.size(), want.size()) << Dump(got);
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isinf(want[i].upper_bound)) {
      EXPECT_EQ(got[i].upper_bound, want[i].upper_bound) << i << ": " << Dump(got);
    } else {
      EXPECT_DOUBLE_EQ(got[i].upper_bound, want[i].upper_bound) << i << ": " << Dump(got);
    }
    EXPECT_EQ(got[i].cumulative, want[i].cumulative) << i << ": " << Dump(got);
  }
}

ExponentialHistogram Positive(int32_t scale, int32_t offset, std::vector<uint64_t> counts) {
  ExponentialHistogram h;
  h.scale = scale;
  h.positive.offset = offset;
  h.positive.counts = std::move(counts);
  for (uint64_t c : h.positive.counts) h.count += c;
  return h;
}

TEST(OtlpExponentialTest, BucketBoundsArePowersOfTheBase) {
  EXPECT_EQ(ExponentialBucketBound(0, 0), 1.0);
  EXPECT_EQ(ExponentialBucketBound(0, 3), 8.0);
  EXPECT_EQ(ExponentialBucketBound(0, -2), 0.25);
  EXPECT_DOUBLE_EQ(ExponentialBucketBound(1, 1), std::sqrt(2.0));  // base = 2^(1/2)
  EXPECT_EQ(ExponentialBucketBound(1, 4), 4.0);
  EXPECT_EQ(ExponentialBucketBound(3, -8), 0.5);                   // base = 2^(1/8)
  EXPECT_DOUBLE_EQ(ExponentialBucketBound(2, 3), std::pow(2.0, 0.75));
  EXPECT_EQ(ExponentialBucketBound(-1, 1), 4.0);                   // base = 4
  EXPECT_EQ(ExponentialBucketBound(-2, 1), 16.0);                  // base = 16
  EXPECT_EQ(ExponentialBucketBound(20, 1 << 20), 2.0);
  EXPECT_EQ(ExponentialBucketBound(-10, 1), kInf);  // 2^1024
  EXPECT_EQ(ExponentialBucketBound(-10, -2), 0.0);  // 2^-2048
}

TEST(OtlpExponentialTest, PositiveBucketsBecomeCumulativeUpperBounds) {
  // scale 0: bucket i holds (2^i, 2^(i+1)].
  ExpectBuckets(ExponentialToCumulative(Positive(0, 0, {1, 2, 3}), 32), {{2, 1}, {4, 3}, {8, 6}, {kInf, 6}});
  // scale 1: base sqrt(2); buckets -1 and 0 are (2^-0.5, 1] and (1, 2^0.5].
  ExpectBuckets(ExponentialToCumulative(Positive(1, -1, {1, 1}), 32), {{1, 1}, {std::sqrt(2.0), 2}, {kInf, 2}});
  // scale -1: base 4; bucket 1 is (4, 16].
  ExpectBuckets(ExponentialToCumulative(Positive(-1, 1, {4}), 32), {{16, 4}, {kInf, 4}});
  // Empty buckets inside the range stay (flat), empty ones at its ends go.
  ExpectBuckets(ExponentialToCumulative(Positive(0, 0, {0, 1, 0, 2, 0}), 32), {{4, 1}, {8, 1}, {16, 3}, {kInf, 3}});
  // No value at all: only +Inf.
  ExpectBuckets(ExponentialToCumulative(ExponentialHistogram{}, 32), {{kInf, 0}});
}

TEST(OtlpExponentialTest, NegativeBucketsComeBelowTheZeroBucket) {
  ExponentialHistogram h = Positive(0, 0, {5});  // (1, 2]: 5
  h.zero_count = 2;
  h.negative.offset = 0;
  h.negative.counts = {3, 1};  // [-2, -1): 3, [-4, -2): 1
  h.count = 5 + 2 + 3 + 1;
  ASSERT_TRUE(ValidateExponentialHistogram(h).ok());
  ExpectBuckets(ExponentialToCumulative(h, 32), {{-2, 1}, {-1, 4}, {0, 6}, {2, 11}, {kInf, 11}});
}

TEST(OtlpExponentialTest, ZeroBucketUsesTheThresholdAndAbsorbsBucketsBelowIt) {
  ExponentialHistogram h = Positive(0, 0, {2});  // (1, 2]
  h.zero_count = 1;
  h.zero_threshold = 1.5;
  h.count = 3;
  ExpectBuckets(ExponentialToCumulative(h, 32), {{1.5, 1}, {2, 3}, {kInf, 3}});
  // Bucket -1, (0.5, 1], lies inside [-1.5, 1.5]: counted into the zero bucket.
  h = Positive(0, -1, {1, 2});
  h.zero_count = 1;
  h.zero_threshold = 1.5;
  h.count = 4;
  ExpectBuckets(ExponentialToCumulative(h, 32), {{1.5, 2}, {2, 4}, {kInf, 4}});
  // Only zeros.
  h = ExponentialHistogram{};
  h.zero_count = 4;
  h.count = 4;
  ExpectBuckets(ExponentialToCumulative(h, 32), {{0, 4}, {kInf, 4}});
}

TEST(OtlpExponentialTest, DownscalesToTheBucketLimit) {
  // 8 buckets at scale 1 (bounds 2^0.5 .. 2^4) into at most 4: scale 0, pairs merged.
  ExpectBuckets(ExponentialToCumulative(Positive(1, 0, {1, 1, 1, 1, 1, 1, 1, 1}), 4),
                {{2, 2}, {4, 4}, {8, 6}, {16, 8}, {kInf, 8}});
  // Under the limit: unchanged.
  EXPECT_EQ(ExponentialToCumulative(Positive(1, 0, {1, 1, 1, 1, 1, 1, 1, 1}), 8).size(), 9u);
  // Negative indices round down: -3, -2, -1 at scale 0 become -2 (1/16, 1/4] and -1 (1/4, 1] at scale -1.
  ExpectBuckets(ExponentialToCumulative(Positive(0, -3, {1, 1, 1}), 2), {{0.25, 1}, {1, 3}, {kInf, 3}});
  // Both ranges and the zero bucket share the limit: 3 + 1 + 3 = 7 buckets into 5.
  ExponentialHistogram h = Positive(0, 0, {1, 1, 1});
  h.negative.offset = 0;
  h.negative.counts = {1, 1, 1};
  h.count = 6;
  ExpectBuckets(ExponentialToCumulative(h, 5), {{-4, 1}, {-1, 3}, {0, 3}, {4, 5}, {16, 6}, {kInf, 6}});
  // A limit below what one bucket per range needs: as few as possible, totals intact.
  auto few = ExponentialToCumulative(Positive(5, -1000, std::vector<uint64_t>(2000, 1)), 1);
  EXPECT_LE(few.size(), 3u) << Dump(few);
  EXPECT_EQ(few.back().cumulative, 2000u);
}

TEST(OtlpExponentialTest, DownscaleKeepsCountsAndMovesTheScale) {
  ExponentialHistogram h = Positive(3, 5, {1, 2, 3, 4, 5});  // indices 5..9
  DownscaleExponentialHistogram(&h, 2);                       // 5..9 >> 2 = 1, 1, 1, 2, 2
  EXPECT_EQ(h.scale, 1);
  EXPECT_EQ(h.positive.offset, 1);
  EXPECT_EQ(h.positive.counts, (std::vector<uint64_t>{6, 9}));
}

TEST(OtlpExponentialTest, ValidationNamesWhatIsWrong) {
  ExponentialHistogram h = Positive(21, 0, {1});
  EXPECT_EQ(ValidateExponentialHistogram(h).message(), "scale 21 outside [-10, 20]");
  h = Positive(0, 0, {1, 2});
  h.count = 4;
  EXPECT_EQ(ValidateExponentialHistogram(h).message(),
            "count 4 differs from the buckets' total 3 (zero_count + positive + negative)");
  h.count = 3;
  h.zero_threshold = -1;
  EXPECT_EQ(ValidateExponentialHistogram(h).code(), StatusCode::kInvalidArgument);
  h.zero_threshold = std::nan("");
  EXPECT_FALSE(ValidateExponentialHistogram(h).ok());
  h = Positive(0, std::numeric_limits<int32_t>::max(), {1, 1});
  EXPECT_FALSE(ValidateExponentialHistogram(h).ok());
  EXPECT_TRUE(ValidateExponentialHistogram(Positive(-10, -5, {1, 2})).ok());
}

TEST(OtlpExponentialTest, MergeBringsBothToTheLowerScale) {
  ExponentialHistogram a = Positive(1, 0, {1, 1});  // (1, 2^0.5], (2^0.5, 2]
  a.sum = 2.5;
  ExponentialHistogram b = Positive(0, 0, {1});     // (1, 2]
  b.sum = 1.5;
  ASSERT_TRUE(MergeExponentialHistogram(&a, b, 160));
  EXPECT_EQ(a.scale, 0);
  EXPECT_EQ(a.positive.offset, 0);
  EXPECT_EQ(a.positive.counts, (std::vector<uint64_t>{3}));
  EXPECT_EQ(a.count, 3u);
  EXPECT_EQ(a.sum, 4.0);
  // Far-apart ranges are downscaled until the union fits: 0 and 10 at scale 0 span 11; at -2, 0 and 2.
  ExponentialHistogram c = Positive(0, 0, {1});
  ASSERT_TRUE(MergeExponentialHistogram(&c, Positive(0, 10, {1}), 4));
  EXPECT_EQ(c.scale, -2);
  EXPECT_EQ(c.positive.offset, 0);
  EXPECT_EQ(c.positive.counts, (std::vector<uint64_t>{1, 0, 1}));
  // A sum missing on either side is unknown after.
  ExponentialHistogram d = Positive(0, 0, {1});
  d.sum = 1;
  ASSERT_TRUE(MergeExponentialHistogram(&d, Positive(0, 0, {1}), 160));
  EXPECT_FALSE(d.sum.has_value());
  // Different zero thresholds cannot be added exactly.
  ExponentialHistogram e = Positive(0, 0, {1});
  ExponentialHistogram f = Positive(0, 0, {1});
  f.zero_threshold = 0.5;
  EXPECT_FALSE(MergeExponentialHistogram(&e, f, 160));
  EXPECT_EQ(e.count, 1u);
}

}  // namespace
}  // namespace foresight::ingest

#pragma once
// OTLP exponential histograms as Prometheus-style cumulative buckets (docs: README.md "OTLP").
//
// An exponential histogram point has a scale and two ranges of buckets: with base = 2^(2^-scale), bucket
// i of the positive range counts the values in (base^i, base^(i+1)], bucket i of the negative range the
// values in [-base^(i+1), -base^i), and the zero bucket the values in [-zero_threshold, zero_threshold].
// Lowering the scale by one merges each pair of buckets (2i, 2i+1) into bucket i (index >> 1), so any two
// points can be brought to a common scale, and any point to as few buckets as wanted.
//
// Pure functions and plain data: thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"

namespace foresight::ingest {

// The scales the OTLP data model allows.
inline constexpr int32_t kMinExponentialScale = -10;
inline constexpr int32_t kMaxExponentialScale = 20;

struct ExponentialBuckets {
  int32_t offset = 0;             // index of counts[0]
  std::vector<uint64_t> counts;   // counts[k]: bucket offset + k
  bool empty() const;             // no bucket holds a value
};

struct ExponentialHistogram {
  int32_t scale = 0;
  uint64_t count = 0;           // all values, = zero_count + the positive and negative buckets
  std::optional<double> sum;    // absent when the producer could not keep it (e.g. negative values)
  uint64_t zero_count = 0;
  double zero_threshold = 0;
  ExponentialBuckets positive;
  ExponentialBuckets negative;
};

// One Prometheus `le` bucket: how many values are <= upper_bound (the last one is +Inf, = the total).
struct CumulativeBucket {
  double upper_bound;
  uint64_t cumulative;
};

// base^index for `scale` (the lower magnitude of bucket `index`, the upper of bucket index - 1). Exact for
// scale <= 0 and for indices that are multiples of 2^scale; 0 or +Inf when out of double range.
double ExponentialBucketBound(int32_t scale, int64_t index);

// Errors: InvalidArgument "scale 21 outside [-10, 20]", "zero_threshold -1 is negative or not a number",
// "count 7 differs from the buckets' total 6 (zero_count + positive + negative)", "bucket index out of range".
Status ValidateExponentialHistogram(const ExponentialHistogram& h);

// Lowers h's scale by `by` (>= 0), merging buckets; drops empty buckets at both ends of each range.
void DownscaleExponentialHistogram(ExponentialHistogram* h, int by);

// Adds `delta` to `into` at the lower of their two scales (further lowered while a range would span more
// than max_buckets_per_range buckets). Returns false, leaving `into` unchanged, when their zero thresholds
// differ (the two cannot be added exactly).
// REQUIRES: both valid (ValidateExponentialHistogram); max_buckets_per_range >= 1.
bool MergeExponentialHistogram(ExponentialHistogram* into, const ExponentialHistogram& delta,
                               size_t max_buckets_per_range);

// The cumulative `le` buckets of h in increasing bound order, ending with +Inf: the negative buckets from
// the most negative up (le = -base^i), then the zero bucket (le = zero_threshold; present when zero_count
// > 0 or there are negative buckets), then the positive buckets (le = base^(i+1)). Before that, h is
// downscaled until it yields at most max_buckets finite buckets (or cannot shrink further: one bucket per
// range). A bucket whose bound does not exceed the one before it (bounds out of double range, or inside
// the zero threshold) is counted into the one before it.
// Note: `le` means <=, so a negative value exactly on a bound -base^i (which OTLP puts in bucket i - 1) is
// counted one bucket later than the bound says.
// REQUIRES: ValidateExponentialHistogram(h).ok(); max_buckets >= 1.
std::vector<CumulativeBucket> ExponentialToCumulative(ExponentialHistogram h, size_t max_buckets);

}  // namespace foresight::ingest

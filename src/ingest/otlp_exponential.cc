#include "ingest/otlp_exponential.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace foresight::ingest {
namespace {

// Indices are int32 in OTLP; shifting by more than this collapses every one of them into 0 or -1.
constexpr int kMaxShift = 40;

int64_t First(const ExponentialBuckets& b) { return b.offset; }
int64_t Last(const ExponentialBuckets& b) { return static_cast<int64_t>(b.offset) + static_cast<int64_t>(b.counts.size()) - 1; }

// Drops empty buckets at both ends.
void Trim(ExponentialBuckets* b) {
  size_t lead = 0;
  while (lead < b->counts.size() && b->counts[lead] == 0) ++lead;
  if (lead == b->counts.size()) {
    b->counts.clear();
    b->offset = 0;
    return;
  }
  size_t end = b->counts.size();
  while (end > lead && b->counts[end - 1] == 0) --end;
  b->counts.erase(b->counts.begin() + static_cast<std::ptrdiff_t>(end), b->counts.end());
  b->counts.erase(b->counts.begin(), b->counts.begin() + static_cast<std::ptrdiff_t>(lead));
  b->offset = static_cast<int32_t>(b->offset + static_cast<int64_t>(lead));
}

// Buckets a trimmed range spans once downscaled by `by`.
size_t SpanAfter(const ExponentialBuckets& b, int by) {
  if (b.counts.empty()) return 0;
  by = std::min(by, kMaxShift);
  return static_cast<size_t>((Last(b) >> by) - (First(b) >> by) + 1);
}

// Span of the union of two trimmed ranges once downscaled by `by_a` and `by_b` respectively.
size_t UnionSpanAfter(const ExponentialBuckets& a, int by_a, const ExponentialBuckets& b, int by_b) {
  if (a.counts.empty()) return SpanAfter(b, by_b);
  if (b.counts.empty()) return SpanAfter(a, by_a);
  by_a = std::min(by_a, kMaxShift);
  by_b = std::min(by_b, kMaxShift);
  int64_t first = std::min(First(a) >> by_a, First(b) >> by_b);
  int64_t last = std::max(Last(a) >> by_a, Last(b) >> by_b);
  return static_cast<size_t>(last - first + 1);
}

void DownscaleRange(ExponentialBuckets* b, int by) {
  Trim(b);
  if (b->counts.empty() || by <= 0) return;
  by = std::min(by, kMaxShift);
  const int64_t first = First(*b) >> by;
  std::vector<uint64_t> merged(static_cast<size_t>((Last(*b) >> by) - first + 1), 0);
  for (size_t k = 0; k < b->counts.size(); ++k) {
    merged[static_cast<size_t>(((static_cast<int64_t>(b->offset) + static_cast<int64_t>(k)) >> by) - first)] += b->counts[k];
  }
  b->offset = static_cast<int32_t>(first);
  b->counts = std::move(merged);
}

// into += from, both trimmed and at the same scale.
void AddRange(ExponentialBuckets* into, const ExponentialBuckets& from) {
  if (from.counts.empty()) return;
  if (into->counts.empty()) {
    *into = from;
    return;
  }
  const int64_t first = std::min(First(*into), First(from));
  const int64_t last = std::max(Last(*into), Last(from));
  std::vector<uint64_t> sum(static_cast<size_t>(last - first + 1), 0);
  for (size_t k = 0; k < into->counts.size(); ++k) sum[static_cast<size_t>(First(*into) - first) + k] += into->counts[k];
  for (size_t k = 0; k < from.counts.size(); ++k) sum[static_cast<size_t>(First(from) - first) + k] += from.counts[k];
  into->offset = static_cast<int32_t>(first);
  into->counts = std::move(sum);
}

bool AddOverflows(uint64_t* acc, uint64_t v) {
  if (*acc > std::numeric_limits<uint64_t>::max() - v) return true;
  *acc += v;
  return false;
}

std::string Num(double v) {
  std::string s = std::to_string(v);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  return s;
}

}  // namespace

bool ExponentialBuckets::empty() const {
  return std::all_of(counts.begin(), counts.end(), [](uint64_t c) { return c == 0; });
}

double ExponentialBucketBound(int32_t scale, int64_t index) {
  if (scale <= 0) {
    const int shift = std::min(-scale, 20);
    // 2^(index * 2^-scale): an exact power of two. Beyond +-2000 it is out of double range either way.
    if (index > (int64_t{2000} >> shift)) return std::numeric_limits<double>::infinity();
    if (index < -(int64_t{2000} >> shift)) return 0.0;
    return std::ldexp(1.0, static_cast<int>(index * (int64_t{1} << shift)));
  }
  return std::exp2(static_cast<double>(index) / static_cast<double>(int64_t{1} << scale));
}

Status ValidateExponentialHistogram(const ExponentialHistogram& h) {
  if (h.scale < kMinExponentialScale || h.scale > kMaxExponentialScale) {
    return Status::InvalidArgument("scale " + std::to_string(h.scale) + " outside [" + std::to_string(kMinExponentialScale) +
                                   ", " + std::to_string(kMaxExponentialScale) + "]");
  }
  if (!(h.zero_threshold >= 0) || std::isinf(h.zero_threshold)) {
    return Status::InvalidArgument("zero_threshold " + Num(h.zero_threshold) + " is negative or not a finite number");
  }
  uint64_t total = h.zero_count;
  for (const ExponentialBuckets* b : {&h.positive, &h.negative}) {
    if (Last(*b) > std::numeric_limits<int32_t>::max()) {
      return Status::InvalidArgument("bucket index out of range (offset " + std::to_string(b->offset) + " + " +
                                     std::to_string(b->counts.size()) + " buckets)");
    }
    for (uint64_t c : b->counts) {
      if (AddOverflows(&total, c)) return Status::InvalidArgument("bucket counts overflow 64 bits");
    }
  }
  if (total != h.count) {
    return Status::InvalidArgument("count " + std::to_string(h.count) + " differs from the buckets' total " +
                                   std::to_string(total) + " (zero_count + positive + negative)");
  }
  return Status::Ok();
}

void DownscaleExponentialHistogram(ExponentialHistogram* h, int by) {
  by = std::max(by, 0);
  DownscaleRange(&h->positive, by);
  DownscaleRange(&h->negative, by);
  h->scale -= by;
}

bool MergeExponentialHistogram(ExponentialHistogram* into, const ExponentialHistogram& delta,
                               size_t max_buckets_per_range) {
  if (into->zero_threshold != delta.zero_threshold) return false;
  ExponentialHistogram d = delta;
  DownscaleExponentialHistogram(into, 0);  // trim
  DownscaleExponentialHistogram(&d, 0);
  int32_t scale = std::min(into->scale, d.scale);
  auto fits = [&](int32_t s) {
    return UnionSpanAfter(into->positive, into->scale - s, d.positive, d.scale - s) <= max_buckets_per_range &&
           UnionSpanAfter(into->negative, into->scale - s, d.negative, d.scale - s) <= max_buckets_per_range;
  };
  while (scale > kMinExponentialScale && !fits(scale)) --scale;
  DownscaleExponentialHistogram(into, into->scale - scale);
  DownscaleExponentialHistogram(&d, d.scale - scale);
  AddRange(&into->positive, d.positive);
  AddRange(&into->negative, d.negative);
  into->zero_count += d.zero_count;
  into->count += d.count;
  into->sum = (into->sum && d.sum) ? std::optional<double>(*into->sum + *d.sum) : std::nullopt;
  return true;
}

std::vector<CumulativeBucket> ExponentialToCumulative(ExponentialHistogram h, size_t max_buckets) {
  DownscaleExponentialHistogram(&h, 0);  // trim
  auto zero_bucket = [&] { return h.zero_count > 0 || !h.negative.counts.empty(); };
  auto finite = [&](int by) { return SpanAfter(h.positive, by) + SpanAfter(h.negative, by) + (zero_bucket() ? 1 : 0); };
  int by = 0;
  while (finite(by) > max_buckets && h.scale - by > kMinExponentialScale &&
         (SpanAfter(h.positive, by) > 1 || SpanAfter(h.negative, by) > 1)) {
    ++by;
  }
  DownscaleExponentialHistogram(&h, by);

  std::vector<CumulativeBucket> out;
  out.reserve(finite(0) + 1);
  uint64_t cumulative = 0;
  auto push = [&](double bound) {
    if (std::isinf(bound)) return;  // +-Inf: counted into the next bucket (+Inf at the latest)
    if (!out.empty() && !(bound > out.back().upper_bound)) {
      out.back().cumulative = cumulative;
      return;
    }
    out.push_back({bound, cumulative});
  };
  for (size_t k = h.negative.counts.size(); k-- > 0;) {
    cumulative += h.negative.counts[k];
    push(-ExponentialBucketBound(h.scale, static_cast<int64_t>(h.negative.offset) + static_cast<int64_t>(k)));
  }
  if (zero_bucket()) {
    cumulative += h.zero_count;
    push(h.zero_threshold);
  }
  for (size_t k = 0; k < h.positive.counts.size(); ++k) {
    cumulative += h.positive.counts[k];
    push(ExponentialBucketBound(h.scale, static_cast<int64_t>(h.positive.offset) + static_cast<int64_t>(k) + 1));
  }
  out.push_back({std::numeric_limits<double>::infinity(), cumulative});
  return out;
}

}  // namespace foresight::ingest

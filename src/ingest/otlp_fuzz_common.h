#pragma once
// Shared checks of the OTLP fuzz targets (otlp_proto_fuzz.cc, otlp_json_fuzz.cc).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/otlp.h"

namespace foresight::ingest::fuzz {

inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

inline double LeValue(const LabeledSample& s) {
  std::string le(s.labels.Get("le"));
  if (le == "+Inf") return INFINITY;
  if (le == "-Inf") return -INFINITY;
  double v = 0;
  auto [p, ec] = std::from_chars(le.data(), le.data() + le.size(), v);
  return ec == std::errc() ? v : NAN;
}

// Within a histogram point (its `_bucket` samples come in a row, +Inf last) the counts never decrease as le
// grows; a following point of the same series starts again at a lower le.
inline void CheckBuckets(const std::vector<LabeledSample>& samples) {
  for (size_t i = 1; i + 1 < samples.size(); ++i) {
    const auto& a = samples[i];
    const auto& b = samples[i + 1];
    if (a.labels.Get("le").empty() || b.labels.Get("le").empty() || a.ts_ns != b.ts_ns) continue;
    Labels la = a.labels, lb = b.labels;
    la.Set("le", "");
    lb.Set("le", "");
    if (!(la == lb) || !(LeValue(b) > LeValue(a))) continue;
    Check(b.value >= a.value, "cumulative buckets never decrease as le grows");
  }
}

// Decodes `body` as metrics and as logs; checks what otlp.h promises: errors are InvalidArgument and
// append nothing; rejected iff first_error; every sample has valid labels within the limits and a name;
// the reply body is produced without trouble; histogram buckets never decrease as `le` grows; and, decoded
// twice through a small delta accumulator, the same holds and the accumulator stays within its bound.
inline void FuzzOtlp(std::string_view body, OtlpEncoding enc, bool small) {
  OtlpOptions o;
  o.default_ts = 1;
  if (small) {
    o.max_labels = 3;
    o.max_label_value_bytes = 8;
    o.max_message_bytes = 16;
  }
  std::vector<LabeledSample> samples(1);
  auto m = DecodeOtlpMetrics(body, enc, o, &samples);
  if (!m.ok()) {
    Check(m.status().code() == StatusCode::kInvalidArgument, "metrics errors are InvalidArgument");
    Check(samples.size() == 1, "nothing appended on error");
  } else {
    Check(samples.size() == 1 + m->samples, "samples == appended");
    Check(m->first_error.has_value() == (m->rejected > 0), "first_error iff rejected");
    for (size_t i = 1; i < samples.size(); ++i) {
      const auto& s = samples[i];
      Check(!s.labels.metric().empty(), "every sample has a name");
      Check(s.labels.size() <= o.max_labels, "labels within max_labels");
      Check(s.labels.Validate().ok(), "labels valid");
      for (const auto& l : s.labels) Check(l.name == kMetricNameLabel || l.name == "le" || l.name == "quantile" ||
                                               l.value.size() <= o.max_label_value_bytes || l.name == "entity",
                                           "label values within the limit");
    }
    (void)OtlpMetricsResponse(enc, *m);
    CheckBuckets(samples);
  }
  OtlpDeltaAccumulator acc(OtlpDeltaOptions{.max_series = 4, .max_exponential_buckets_per_range = 8});
  OtlpOptions few = o;
  few.max_exponential_buckets = 3;
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<LabeledSample> d;
    auto batch = acc.Begin();
    auto r = DecodeOtlpMetrics(body, enc, few, &d, &batch);
    Check(r.ok() == m.ok(), "the accumulator does not change whether a body decodes");
    if (r.ok()) {
      Check(d.size() == r->samples, "delta: samples == appended");
      Check(r->first_error.has_value() == (r->rejected > 0), "delta: first_error iff rejected");
      for (const auto& s : d) Check(s.labels.Validate().ok() && !s.labels.metric().empty(), "delta: labels valid");
    }
    acc.Commit(std::move(batch));
    Check(acc.size() <= 4, "the accumulator keeps at most max_series");
  }
  std::vector<LogRecord> logs;
  auto l = DecodeOtlpLogs(body, enc, o, &logs);
  if (!l.ok()) {
    Check(l.status().code() == StatusCode::kInvalidArgument, "logs errors are InvalidArgument");
    Check(logs.empty(), "nothing appended on error");
  } else {
    Check(logs.size() == l->points, "records == points");
    for (const auto& r : logs) Check(r.message.size() <= o.max_message_bytes, "messages within the limit");
    (void)OtlpLogsResponse(enc, *l);
  }
}

}  // namespace foresight::ingest::fuzz

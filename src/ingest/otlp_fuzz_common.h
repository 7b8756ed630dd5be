#pragma once
// Shared checks of the OTLP fuzz targets (otlp_proto_fuzz.cc, otlp_json_fuzz.cc).
#include <cstdio>
#include <cstdlib>
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

// Decodes `body` as metrics and as logs; checks what otlp.h promises: errors are InvalidArgument and
// append nothing; rejected iff first_error; every sample has valid labels within the limits and a name;
// the reply body is produced without trouble.
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

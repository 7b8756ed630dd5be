#pragma once
// OpenTelemetry OTLP/HTTP receiver decoding: the bodies of `POST /v1/metrics` and `POST /v1/logs` in
// both encodings OTLP/HTTP defines, binary protobuf (`application/x-protobuf`) and OTLP's JSON mapping
// (`application/json`: lowerCamelCase keys — snake_case accepted too —, 64-bit integers as decimal
// strings or numbers, enums as numbers or names, trace/span ids as hex). The message subset is in
// proto/opentelemetry/*.proto with the upstream field numbers. README.md ("OTLP") has the mapping.
//
// Metrics → LabeledSamples:
//   gauge                         <name>{attrs} value
//   sum, monotonic                <name>_total{attrs} value  (unless the name already ends in _total)
//   sum, not monotonic            <name>{attrs} value
//   histogram                     <name>_bucket{attrs,le="<bound>"|"+Inf"} cumulative count,
//                                 <name>_sum (when present), <name>_count   (as Prometheus exposes them)
//   summary                       <name>{attrs,quantile="q"}, <name>_sum, <name>_count
//   exponential histogram         not decoded: its points are rejected (counted, named in the error)
// Names: characters outside [a-zA-Z0-9_:] become '_' (label names: outside [a-zA-Z0-9_]), a leading digit
// gets a '_' prefix. Labels: the resource's attributes (service.name → service_name, host.name →
// host_name, ...; telemetry.sdk.* left out: they are the same on every series of a process), then the
// point's attributes (a point attribute wins over a resource attribute of the same name). The entity
// label is the resource's host.name, else service.name (else the point keeps no entity label). Delta
// temporality is stored as sent (each point is the delta); cumulative as sent. A point without a time
// gets options.default_ts. Values are stored as doubles (as_int converted).
//
// Logs → LogRecords: message = the body (a string as is; other values as JSON text), severity from
// severity_text when set, else from severity_number; entity as for metrics (a record attribute host.name
// or service.name is used when the resource has neither); time = time_unix_nano, else
// observed_time_unix_nano, else options.default_ts.
//
// Like the other decoders, a bad data point or record is skipped and counted (the first one named) while
// the rest of the body is decoded; OTLP reports that as a partial success (OtlpMetricsResponse). A body
// that cannot be read at all is an error.
//
// Pure functions, no state: thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "ingest/log_record.h"

namespace foresight::ingest {

enum class OtlpEncoding { kProtobuf, kJson };

// "application/x-protobuf" → kProtobuf, "application/json" → kJson (parameters such as "; charset=utf-8"
// ignored, case-insensitive). Errors: InvalidArgument naming both accepted types (answer 415).
Result<OtlpEncoding> OtlpEncodingFor(std::string_view content_type);

struct OtlpOptions {
  size_t max_labels = kMaxLabels;        // labels per series, __name__ included; more: the point is rejected
  size_t max_label_value_bytes = 4096;   // a longer attribute value: the point is rejected
  size_t max_message_bytes = 64 * 1024;  // logs: a longer body: the record is rejected
  TimestampNs default_ts = 0;            // time of points/records that carry none (the receive time)
};

struct OtlpResult {
  size_t points = 0;     // data points (metrics) or log records (logs) decoded
  size_t samples = 0;    // samples appended (a histogram point gives several)
  size_t rejected = 0;   // data points / log records skipped
  // The first skipped one, ready to return: "metric \"http.duration\" point 2: 65 labels exceed the limit
  // of 64 labels per series (ingest.max_labels_per_series)".
  std::optional<std::string> first_error;
};

// Errors (nothing appended): InvalidArgument "protobuf: cannot parse ExportMetricsServiceRequest",
// "JSON: malformed at byte N ...", "JSON: resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].asInt:
// expected an integer (number or decimal string)".
Result<OtlpResult> DecodeOtlpMetrics(std::string_view body, OtlpEncoding encoding, const OtlpOptions& options,
                                     std::vector<LabeledSample>* out);
Result<OtlpResult> DecodeOtlpLogs(std::string_view body, OtlpEncoding encoding, const OtlpOptions& options,
                                  std::vector<LogRecord>* out);

// The 200 reply bodies: ExportMetricsServiceResponse / ExportLogsServiceResponse in `encoding`, with
// partial_success {rejected_data_points|rejected_log_records, error_message} when something was rejected.
std::string OtlpMetricsResponse(OtlpEncoding encoding, const OtlpResult& result);
std::string OtlpLogsResponse(OtlpEncoding encoding, const OtlpResult& result);

// A metric or label name made valid as described above (exposed for tests).
std::string SanitizeOtlpMetricName(std::string_view name);
std::string SanitizeOtlpLabelName(std::string_view name);

}  // namespace foresight::ingest

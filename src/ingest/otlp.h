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
//   exponential histogram         like histogram: <name>_bucket{le=...} cumulative (negative buckets, the zero
//                                 bucket, positive buckets), downscaled to at most
//                                 options.max_exponential_buckets finite buckets (otlp_exponential.h)
// Names: characters outside [a-zA-Z0-9_:] become '_' (label names: outside [a-zA-Z0-9_]), a leading digit
// gets a '_' prefix. Labels: the resource's attributes (service.name → service_name, host.name →
// host_name, ...; telemetry.sdk.* left out: they are the same on every series of a process), then the
// point's attributes (a point attribute wins over a resource attribute of the same name). The entity
// label is the resource's host.name, else service.name (else the point keeps no entity label). Sums and
// histograms with DELTA temporality are made cumulative per series through the caller's accumulator batch
// (otlp_delta.h; a duplicate or late delta point is rejected); without a batch they are stored as sent.
// Cumulative ones are stored as sent. A point without a time gets options.default_ts. Values are stored as
// doubles (as_int converted).
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
// Thread-safe: no state of its own (a delta batch is used by one thread, see otlp_delta.h).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "ingest/log_record.h"
#include "ingest/otlp_delta.h"

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
  // Finite `le` buckets an exponential histogram point yields at most (besides +Inf): adjacent buckets are
  // merged (the scale lowered) until it fits. Bounds the series each such metric creates.
  size_t max_exponential_buckets = 32;
};

struct OtlpResult {
  size_t points = 0;     // data points (metrics) or log records (logs) decoded
  size_t samples = 0;    // samples appended (a histogram point gives several)
  size_t rejected = 0;   // data points / log records skipped
  size_t delta_resets = 0;  // delta points that restarted their series' running total (otlp_delta.h)
  // The first skipped one, ready to return: "metric \"http.duration\" point 2: 65 labels exceed the limit
  // of 64 labels per series (ingest.max_labels_per_series)".
  std::optional<std::string> first_error;
};

// Errors (nothing appended): InvalidArgument "protobuf: cannot parse ExportMetricsServiceRequest",
// "JSON: malformed at byte N ...", "JSON: resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].asInt:
// expected an integer (number or decimal string)".
// `delta`: where DELTA sums and histograms are accumulated (commit it once `out` is stored); nullptr: they
// are stored as sent.
Result<OtlpResult> DecodeOtlpMetrics(std::string_view body, OtlpEncoding encoding, const OtlpOptions& options,
                                     std::vector<LabeledSample>* out, OtlpDeltaAccumulator::Batch* delta = nullptr);
Result<OtlpResult> DecodeOtlpLogs(std::string_view body, OtlpEncoding encoding, const OtlpOptions& options,
                                  std::vector<LogRecord>* out);

// The 200 reply bodies: ExportMetricsServiceResponse / ExportLogsServiceResponse in `encoding`, with
// partial_success {rejected_data_points|rejected_log_records, error_message} when something was rejected.
std::string OtlpMetricsResponse(OtlpEncoding encoding, const OtlpResult& result);
std::string OtlpLogsResponse(OtlpEncoding encoding, const OtlpResult& result);

// The body of a failed OTLP/HTTP request: a google.rpc.Status {code, message} in `encoding` (protobuf, or
// its JSON mapping {"code":3,"message":"..."}). OtlpRpcCodeFor gives the google.rpc.Code of a StatusCode
// (kInvalidArgument 3, kResourceExhausted 8, kUnavailable 14, kInternal 13, ...).
int OtlpRpcCodeFor(StatusCode code);
std::string OtlpStatusBody(OtlpEncoding encoding, int rpc_code, std::string_view message);
std::string OtlpStatusBody(OtlpEncoding encoding, const Status& status);

// A metric or label name made valid as described above (exposed for tests).
std::string SanitizeOtlpMetricName(std::string_view name);
std::string SanitizeOtlpLabelName(std::string_view name);

}  // namespace foresight::ingest

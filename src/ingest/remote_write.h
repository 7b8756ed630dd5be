#pragma once
// Prometheus remote write 1.0 decoder: turns the body of a `POST /api/v1/write` (Prometheus, Grafana Agent,
// vmagent, OpenTelemetry's prometheusremotewrite exporter) into LabeledSamples. README.md ("Remote write")
// has the mapping.
//
// The body is a protobuf WriteRequest (proto/prometheus/*.proto) compressed with snappy's block format
// (not the framed/stream format); requests carry `Content-Encoding: snappy`, `Content-Type:
// application/x-protobuf` and `X-Prometheus-Remote-Write-Version: 0.1.0` (the constants below; the HTTP
// handler checks them, this decoder only sees the body).
//
// Like DecodeLineProtocol: a series is taken whole or not at all, and every bad series is counted (the
// first one reported by index and cause) while the good series of the same body are still decoded — the
// caller stores them and answers 400 naming the first bad series (Prometheus does not retry a 4xx, so
// the bad series is dropped, not resent forever). A body that cannot be read at all is an error.
//
// Pure functions, no state: thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace foresight::ingest {

inline constexpr std::string_view kRemoteWriteContentType = "application/x-protobuf";
inline constexpr std::string_view kRemoteWriteContentEncoding = "snappy";
inline constexpr std::string_view kRemoteWriteVersionHeader = "X-Prometheus-Remote-Write-Version";
inline constexpr std::string_view kRemoteWriteVersion = "0.1.0";

struct RemoteWriteOptions {
  // Largest decompressed WriteRequest accepted (snappy states the size up front, so nothing is
  // allocated for a larger one). More: ResourceExhausted (429 in api/). Prometheus sends ~1-2 MB.
  size_t max_decompressed_bytes = 32 << 20;
  // Labels per series, __name__ included. More: a bad series. REQUIRES: max_labels >= 1.
  size_t max_labels = kMaxLabels;
};

struct RemoteWriteResult {
  size_t series = 0;      // series decoded (their samples were appended)
  size_t samples = 0;     // samples appended to `out`
  size_t bad_series = 0;  // series skipped whole (each a cause below)
  // The first bad series, complete and ready to return: "series 3: missing metric name (__name__)".
  // Series are numbered from 1 in request order.
  std::optional<std::string> first_error;
  bool ok() const { return !first_error.has_value(); }
};

// Decodes `body` (snappy block format around a protobuf WriteRequest) and appends one LabeledSample per
// sample of each good series to `out` (never clears it), in request order.
//
// Mapping: the series' labels become the sample's Labels (sorted by name; a label with an empty value
// is absent, as in Prometheus); each sample's value is copied bit for bit (NaN payloads, ±Inf and the
// staleness marker 0x7ff0000000000002 included); its timestamp (ms) is multiplied by 1e6 to ns.
// Exemplars, native histograms and metadata are ignored; a series without samples is counted in
// `series` and appends nothing.
//
// Bad series, each reported as "series N: <cause>" (values quoted, cut at 64 bytes):
//   invalid label name "1x" / invalid metric name "a-b"   ([a-zA-Z_][a-zA-Z0-9_]*; names also ':')
//   missing metric name (__name__)
//   duplicate label name "host"
//   more than 64 labels (max_labels, __name__ included)
//   timestamp 9300000000000 ms out of range               (±9.2e12 ms, where ns would overflow int64)
//
// Errors (nothing appended):
//   ResourceExhausted "snappy body: decompressed size 40000000 bytes exceeds the limit of 33554432 bytes"
//   InvalidArgument "snappy: corrupt input"                 (also an empty body: not snappy)
//   InvalidArgument "protobuf: cannot parse WriteRequest"
Result<RemoteWriteResult> DecodeRemoteWrite(std::string_view body, const RemoteWriteOptions& options,
                                            std::vector<LabeledSample>* out);

// One series as a sender writes it, for tests and benchmarks: labels in the given order (duplicates,
// empty or invalid names are kept, so bad series can be built), samples as (timestamp ms, value).
struct RemoteWriteSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<int64_t, double>> samples;
};

// Serialises a WriteRequest holding `series` and compresses it with snappy: a body DecodeRemoteWrite
// reads. For tests, benchmarks and the fuzz target, not for the ingest path.
std::string EncodeRemoteWriteForTest(const std::vector<RemoteWriteSeries>& series);

}  // namespace foresight::ingest

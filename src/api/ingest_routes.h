#pragma once
// The push-ingest endpoints (docs/API.md, "Ingest"): InfluxDB line protocol (POST /write, /api/v2/write),
// Prometheus remote write (POST /api/v1/write), OTLP/HTTP (POST /v1/metrics, /v1/logs), JSON log lines
// (POST /api/v1/logs), events (POST /api/v1/events) and the mined log templates
// (GET /api/v1/logs/templates). Registered by RegisterRoutes.
//
// Every endpoint keeps the good part of a batch and names the first bad line / point / series in a 400
// (OTLP: a partial success, as OTLP specifies); backpressure from the pipeline is 429/503 with
// Retry-After and nothing of the batch stored.

#include <cstddef>
#include <cstdint>

#include "api/http.h"

namespace foresight::api {

struct ApiContext;

// Configurable ingest limits (config section `ingest`); each refusal names its key.
struct IngestLimits {
  size_t max_line_bytes = 64 * 1024;        // a line (line protocol, JSON line, log message): longer is a bad line
  size_t max_labels_per_series = 64;        // labels per series, __name__ included; more: a bad line/point/series
  size_t max_label_value_bytes = 4096;      // a longer label value: a bad line/point/series
  size_t max_series_per_endpoint = 500'000; // distinct series each push endpoint may create; further new series are refused
  size_t otlp_max_exponential_buckets = 32;  // OTLP exponential histograms are downscaled to at most this many le buckets
};

void RegisterIngestRoutes(Router& router, const ApiContext& ctx);

}  // namespace foresight::api

#pragma once
// The HTTP API (docs/API.md): health, status, collect, series, query, predictions, alerts, feedback,
// models, entities, simulator control and /metrics. All handlers validate their input and answer
// 4xx with a message naming what was wrong; nothing here writes samples.

#include "api/http.h"
#include "api/ingest_routes.h"
#include "api/service.h"
#include "core/clock.h"
#include "storage/record_store.h"
#include "storage/sample_store.h"

namespace foresight::api {

struct ApiOptions {
  size_t max_series_per_query = 500;      // More matches: 400 asking to narrow the selector.
  size_t max_points_per_series = 11'000;  // (to-from)/step above this: 400 (as Prometheus does).
  size_t max_raw_points = 100'000;        // Raw reads are cut here and flagged "truncated".
  std::string dashboard_dir;              // Static files served at / when set (index.html).
  size_t max_decompressed_bytes = 64 << 20;  // gzip bodies inflating beyond this: 429 naming the limit.
  IngestLimits ingest;                       // push-ingest limits (config section `ingest`)
};

// Borrowed for the router's lifetime: every pointer must outlive the router.
struct ApiContext {
  storage::SampleStore* samples = nullptr;
  storage::RecordStore* records = nullptr;
  ServiceBackend* service = nullptr;
  const Clock* clock = nullptr;
  ApiOptions options;
};

void RegisterRoutes(Router& router, const ApiContext& ctx);

}  // namespace foresight::api

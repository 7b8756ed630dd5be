#pragma once
// ServiceBackend: what the API needs from the running service beyond the two stores. Implemented by
// app/ (the pipeline); tests may implement it over real stores. Thread-safe: called from I/O threads.

#include <nlohmann/json.hpp>

#include <span>
#include <string>

#include "core/status.h"
#include "core/types.h"
#include "ingest/event_aggregator.h"
#include "ingest/log_ingestor.h"
#include "ingest/log_record.h"

namespace foresight::api {

class ServiceBackend {
 public:
  virtual ~ServiceBackend() = default;
  // HTTP ingest (POST /write, /api/v2/write): stores the samples and feeds them to the models.
  // Returns once they are acknowledged (durable under the fsync policy). Errors: ResourceExhausted when
  // the pipeline is behind (answer 429 with Retry-After; nothing of the batch was stored), Unavailable
  // while starting, InvalidArgument for samples whose labels are invalid (the rest are stored).
  virtual Status IngestSamples(std::span<const LabeledSample> samples) = 0;
  // The fast path of HTTP ingest for decoders that keep their own cache of series (line protocol):
  // the id of a series, created if new. Errors: InvalidArgument for invalid labels (or a series past the
  // service's limit), Unavailable while starting.
  virtual Result<SeriesId> ResolveSeries(const Labels& labels) = 0;
  // Stores samples of series resolved by ResolveSeries and feeds them to the models; acknowledgement and
  // errors as IngestSamples. An empty span stores nothing and answers whether a batch would be admitted
  // now (Unavailable, ResourceExhausted), so a caller can refuse a request before decoding it.
  virtual Status IngestResolved(std::span<const Sample> samples) = 0;
  // POST /api/v1/logs, /v1/logs (and syslog): mines each line into a template and counts it per entity;
  // the counts become series at the next collect interval. Errors as IngestSamples (nothing counted).
  virtual Status IngestLogs(std::span<const ingest::LogRecord> records) {
    (void)records;
    return Status::FailedPrecondition("log ingest is not available in this service");
  }
  // POST /api/v1/events: counts the events per (type, entity) for the next collect interval.
  virtual Status IngestEvents(std::span<const ingest::Event> events) {
    (void)events;
    return Status::FailedPrecondition("event ingest is not available in this service");
  }
  // GET /api/v1/logs/templates: templates seen for `entity` ("" = all), most frequent first.
  virtual Result<std::vector<ingest::TemplateInfo>> LogTemplates(const std::string& entity, size_t limit) const {
    (void)entity;
    (void)limit;
    return Status::FailedPrecondition("log ingest is not available in this service");
  }
  // POST /collect: runs one collection of every source now; returns a summary (samples, series).
  virtual Result<nlohmann::json> CollectNow() = 0;
  // GET / and /health: version, uptime, roles, stage states, counts. healthy=false makes /health 503.
  virtual nlohmann::json StatusJson() const = 0;
  // GET /api/v1/entities: each entity with kind, simulated flag, health, latest score, open predictions.
  virtual nlohmann::json EntitiesJson() const = 0;
  // GET /api/v1/models[?entity=]: active model per entity and its versions.
  virtual Result<nlohmann::json> ModelsJson(const std::string& entity) const = 0;
  // GET /metrics body (Prometheus text format).
  virtual std::string MetricsText() const = 0;
  // Alert actions (state lives in the alerting stage). Errors: NotFound, InvalidArgument.
  virtual Status AcknowledgeAlert(const std::string& alert_id, const std::string& user) = 0;
  virtual Status Silence(const std::string& entity, TimestampNs until, const std::string& user) = 0;
  // Simulator control. Errors: FailedPrecondition when the simulator is off; InvalidArgument.
  virtual Result<nlohmann::json> InjectScenario(const nlohmann::json& request) = 0;
  virtual Result<nlohmann::json> ScenariosJson() const = 0;
  // Feedback was stored for a prediction: lets the models count it (precision implied by feedback).
  virtual void OnFeedback(const std::string& prediction_id, const std::string& verdict) = 0;
  // GET /api/v1/forecasts[?entity=]: the latest forecast of every limited series (band, ETA, reason).
  virtual nlohmann::json ForecastsJson(const std::string& entity) const { return nlohmann::json::array(); }
};

}  // namespace foresight::api

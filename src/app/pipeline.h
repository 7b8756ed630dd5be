#pragma once
// Pipeline: the embedded deployment of every stage in one process (docs/ARCHITECTURE.md).
//
//   collect thread ──► resolve + SampleStore::Append (acknowledged) ──► [samples queue] ──►
//   predict thread: entity features ─► score with the entity's model ─► predictions ─► AlertManager
//   train thread: per entity, after warm-up and then every retrain interval, replays the entity's
//                 history from the store through the same feature code, trains a forest, saves it
//                 (model registry = RecordStore model_versions + files) and swaps it in by pointer.
//
// The hot path (collect, features, scoring) never waits for training or notifications.
// Owned by the app; Start()/Stop() from one thread; the ServiceBackend methods are thread-safe.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/service.h"
#include "app/forecast_stage.h"
#include "core/bounded_queue.h"
#include "core/clock.h"
#include "core/records.h"
#include "core/self_metrics.h"
#include "features/entity_features.h"
#include "ingest/log_event_service.h"
#include "ingest/scrape_collector.h"
#include "storage/record_store.h"
#include "storage/sample_store.h"

namespace foresight::ingest {
class Collector;
class HostCollector;
class FleetSimulator;
}  // namespace foresight::ingest
namespace foresight::alerting {
class AlertManager;
}
namespace foresight::models {
class IsolationForestModel;
}
namespace foresight::app {
class DeviationModel;
}

namespace foresight::app {

// The per-entity anomaly score (0..1) as a series, one point per scored tick.
inline constexpr std::string_view kAnomalyScoreMetric = "foresight_anomaly_score";

struct PipelineOptions {
  std::string data_dir = "./data";
  int64_t collect_interval_ns = kNanosPerSecond;
  bool host = true;                       // collect this host's real metrics
  std::string proc_root = "/proc";
  std::string sys_root = "/sys";
  std::vector<ingest::ScrapeTarget> scrape_targets;  // Prometheus endpoints scraped on their own thread
  int simulate_hosts = 0;                 // 0: no simulator
  uint64_t seed = 42;
  double scenarios_per_hour = 0;          // simulator: scheduled failures per hour across the fleet
  int64_t backfill_ns = 3600 * kNanosPerSecond;  // simulator history written at start
  features::FeatureOptions features;
  int64_t warmup_ns = 600 * kNanosPerSecond;      // history needed before the first training
  int64_t retrain_interval_ns = 3600 * kNanosPerSecond;
  int64_t training_window_ns = 6 * 3600 * kNanosPerSecond;
  // Per-metric features the entity model uses (names from features::SeriesFeatures::Names()).
  std::vector<std::string> model_features = {"ewma", "mean_15m", "std_5m", "slope_15m"};
  // Pushed or scraped gauges (line protocol, remote write, OTLP, scrapes, log/event counts) one entity's
  // model takes, first come; its other series are stored and queryable but not modelled.
  size_t max_pushed_series = 32;
  int trees = 100;
  int sample_size = 256;
  uint64_t detector_seed = 42;
  double warning_quantile = 0.995;
  double critical_quantile = 0.9995;
  int64_t train_check_interval_ns = 5 * kNanosPerSecond;
  size_t queue_capacity = 1024;           // batches between collect and predict
  // Logs and events → series, syslog listener (log_events.interval_ns is taken from collect_interval_ns).
  ingest::LogEventOptions log_events;
  int calm_ticks_to_close = 30;
  int min_anomalous_ticks = 3;            // ticks at warning or above before a prediction opens
  std::optional<ForecastStageOptions> forecast;  // unset or no limits: no forecast stage
  std::shared_ptr<const ActionCatalog> actions;  // null: the built-in catalogue
  // Simulator scenarios injected before the backfill (InjectScenario's request shape; "flag" names the
  // --inject it came from in errors), so scenarios that started in the past are in the history.
  std::vector<nlohmann::json> initial_scenarios;
};

class Pipeline final : public api::ServiceBackend {
 public:
  // Borrows everything; all must outlive the pipeline.
  Pipeline(PipelineOptions options, const Clock& clock, storage::SampleStore& samples, storage::RecordStore& records,
           alerting::AlertManager& alerts, SelfMetrics& metrics);
  ~Pipeline() override;

  // Creates the collectors, backfills the simulator's history, loads stored models, starts threads.
  Status Start();
  // Stops collection first, drains the queue (bounded by a deadline), then stops training.
  void Stop();

  Status IngestSamples(std::span<const LabeledSample> samples) override;
  Result<SeriesId> ResolveSeries(const Labels& labels) override;
  Status IngestResolved(std::span<const Sample> samples) override;
  Status IngestLogs(std::span<const ingest::LogRecord> records) override;
  Status IngestEvents(std::span<const ingest::Event> events) override;
  Result<std::vector<ingest::TemplateInfo>> LogTemplates(const std::string& entity, size_t limit) const override;
  uint16_t syslog_port() const { return log_events_ ? log_events_->syslog_port() : 0; }
  // Runs one collection now (also used by the collect thread).
  Result<nlohmann::json> CollectNow() override;
  nlohmann::json StatusJson() const override;
  nlohmann::json EntitiesJson() const override;
  Result<nlohmann::json> ModelsJson(const std::string& entity) const override;
  std::string MetricsText() const override;
  Status AcknowledgeAlert(const std::string& alert_id, const std::string& user) override;
  Status Silence(const std::string& entity, TimestampNs until, const std::string& user) override;
  Result<nlohmann::json> InjectScenario(const nlohmann::json& request) override;
  Result<nlohmann::json> ScenariosJson() const override;
  void OnFeedback(const std::string& prediction_id, const std::string& verdict) override;
  nlohmann::json ForecastsJson(const std::string& entity) const override;

  // Trains every entity that is due now, synchronously (the train thread's loop body).
  void TrainDueEntities();

 private:
  struct SeriesMeta {
    SeriesId id = 0;
    std::string entity;
    std::string feature_key;   // metric name plus distinguishing labels (features::FeatureKey)
    bool modelled = false;     // part of the entity's feature vector
  };
  struct Batch {
    std::vector<Sample> samples;
    TimestampNs tick = 0;
    bool live = true;          // false during backfill: features only, no scoring
  };
  struct EntityState;
  // An open prediction to explain off the hot path (ExplainLoop).
  struct ExplainJob {
    Prediction prediction;
    std::shared_ptr<const models::IsolationForestModel> model;
    std::shared_ptr<const DeviationModel> deviation;
    std::vector<double> row;
    bool deviation_led = false;
    bool offer = false;  // fresh or escalated: offer to the alert manager once explained
  };

  Result<size_t> Ingest(std::span<const LabeledSample> samples, TimestampNs tick, bool live);
  // Sorts, stores and queues a resolved batch for the models; returns its size.
  Result<size_t> StoreAndQueue(Batch batch);
  // HTTP ingest's admission: Unavailable while starting, ResourceExhausted (counting n refused) when the
  // models' queue is full, so nothing of a refused request is stored.
  Status AdmitHttpIngest(size_t n);
  Result<const SeriesMeta*> ResolveLocked(const Labels& labels);
  Status Backfill();
  void WarmFeatures();
  void CloseStalePredictions();
  void CollectLoop(std::stop_token stop);
  void ScrapeLoop(std::stop_token stop);
  void PredictLoop(std::stop_token stop);
  void TrainLoop(std::stop_token stop);
  void ForecastLoop(std::stop_token stop);
  void ExplainLoop(std::stop_token stop);
  void Explain(ExplainJob& job);
  void Process(const Batch& batch);
  void ScoreEntity(EntityState& e, TimestampNs tick);
  void StoreScores(const std::vector<EntityState*>& touched, TimestampNs tick);
  Status TrainEntity(const std::string& entity);
  void LoadStoredModel(EntityState& e);

  const PipelineOptions options_;
  const Clock& clock_;
  storage::SampleStore& samples_;
  storage::RecordStore& records_;
  alerting::AlertManager& alerts_;
  SelfMetrics& metrics_;
  const TimestampNs started_at_;

  std::unique_ptr<ingest::HostCollector> host_;
  std::unique_ptr<ingest::FleetSimulator> sim_;
  std::unique_ptr<ingest::ScrapeCollector> scraper_;  // used only by the scrape thread
  std::unique_ptr<ingest::LogEventService> log_events_;  // logs/events counted, flushed every interval
  std::unique_ptr<ForecastStage> forecast_;          // RunOnce only on the forecast thread
  std::mutex collect_mu_;        // one collection at a time (thread or POST /collect); guards series_
  // Resolve cache by SeriesHash(labels) (core/labels.h); entries keep their labels (flattened into one
  // string, FlattenLabels) so a hash collision is a miss, not a merge.
  std::unordered_map<uint64_t, std::vector<std::pair<std::string, SeriesMeta>>> series_;
  // Process()'s routes, indexed by SeriesId (the store's ids are dense), predict thread only: where a
  // series' samples go without looking up its meta, entity and feature key by name on every sample.
  struct FeatureRoute {
    EntityState* entity = nullptr;            // null: not resolved yet (or no entity)
    features::SeriesFeatures* series = nullptr;  // null: not modelled
  };
  std::vector<FeatureRoute> routes_;
  struct RoutedSample {
    EntityState* entity;
    features::SeriesFeatures* series;
    TimestampNs ts;
    double value;
  };
  std::vector<RoutedSample> routed_;          // Process() scratch
  std::unordered_map<SeriesId, SeriesMeta> series_by_id_;         // guarded by collect_mu_ for writes
  mutable std::mutex sim_mu_;    // guards sim_ (ticks vs. injections)

  BoundedQueue<Batch> queue_;
  BoundedQueue<ExplainJob> explain_queue_{256};
  mutable std::mutex entities_mu_;  // guards entities_ map and each state's public fields
  std::map<std::string, std::unique_ptr<EntityState>> entities_;
  mutable std::mutex meta_mu_;      // guards series_by_id_ reads from the predict thread

  Counter& samples_total_;
  Counter& collect_errors_;
  Counter& ingest_rejected_;
  Counter& scores_total_;
  Counter& trainings_total_;
  Counter& training_failures_;
  Counter& predictions_opened_;
  Gauge& collect_seconds_;
  Gauge& score_seconds_;
  Gauge& train_seconds_;
  Gauge& explain_seconds_;
  std::atomic<uint64_t> feedback_confirmed_{0};
  std::atomic<uint64_t> feedback_dismissed_{0};
  std::atomic<bool> healthy_{true};
  mutable std::mutex last_error_mu_;  // last_error_ is written by the collect thread, read by the API
  std::string last_error_;

  std::vector<std::jthread> threads_;
  std::atomic<bool> started_{false};
};

}  // namespace foresight::app

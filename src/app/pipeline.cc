#include "app/pipeline.h"

#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "alerting/alert_manager.h"
#include "api/json.h"
#include "app/actions.h"
#include "app/deviation.h"
#include "explain/explain.h"
#include "core/time_util.h"
#include "ingest/fleet_simulator.h"
#include "ingest/host_collector.h"
#include "models/isolation_forest.h"
#include "models/trainer.h"

namespace foresight::app {

using nlohmann::json;
namespace fs = std::filesystem;

inline constexpr const char* kDetectorName = "isolation_forest";

namespace {

// Which series feed an entity's model (the rest stay stored and queryable):
// - everywhere: not limits or capacities (max, limit, total_bytes, size_bytes), which are constants;
// - simulated entities: all their other metrics;
// - this host's collector (host_*): the whole-host aggregates; per-core, per-process-state and per-TCP-state
//   series would drown the few metrics that matter in a forest's random feature choice;
// - everything pushed or scraped (line protocol, remote write, OTLP, scrapes, log and event counts):
//   gauges, not the parts of histograms and summaries (le, quantile, _bucket, _count, _sum) nor
//   cumulative counters (_total, _created) or info series, whose raw values only grow. The pipeline
//   also caps how many of these one entity models (PipelineOptions::max_pushed_series), first come.
enum class ModelSource { kNo, kBuiltIn, kPushed };

ModelSource ModelledAs(const Labels& labels) {
  std::string_view metric = labels.metric();
  if (metric.find("max") != std::string_view::npos || metric.find("limit") != std::string_view::npos ||
      metric.find("total_bytes") != std::string_view::npos || metric.find("size_bytes") != std::string_view::npos) {
    return ModelSource::kNo;
  }
  if (labels.Get(kSimulatedLabel) == "true") return ModelSource::kBuiltIn;
  if (metric.starts_with("host_")) {
    if (labels.Has("cpu") || labels.Has("state") || labels.Has("mode")) return ModelSource::kNo;
    return ModelSource::kBuiltIn;
  }
  if (labels.Has("le") || labels.Has("quantile")) return ModelSource::kNo;
  for (std::string_view suffix : {"_bucket", "_count", "_sum", "_total", "_created", "_info"}) {
    if (metric.ends_with(suffix)) return ModelSource::kNo;
  }
  return ModelSource::kPushed;
}

// Rounds to 4 significant digits (at most 7 decimals), as round(v * 10^k) / 10^k so the store's codec
// recognises it as a decimal-scaled integer. Our own collectors derive percentages and rates whose
// digits beyond the 4th are noise; stored at full precision they cost ~6.7 bytes per sample, rounded
// ~1-2 (docs/STORAGE.md). Data that users write is stored as sent.
double Quantize(double v) {
  static constexpr double kPow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
  if (!std::isfinite(v) || v == 0) return v;
  int k = std::clamp(3 - static_cast<int>(std::floor(std::log10(std::fabs(v)))), 0, 7);
  return std::nearbyint(v * kPow10[k]) / kPow10[k];
}

void QuantizeAll(std::vector<LabeledSample>& samples) {
  for (auto& s : samples) s.value = Quantize(s.value);
}

// "memory_used_percent.slope_15m" -> "memory_used_percent".
std::string MetricOfFeature(std::string_view feature) {
  size_t dot = feature.rfind('.');
  return std::string(dot == std::string_view::npos ? feature : feature.substr(0, dot));
}

// Fills the prediction's attributions (top features), resource (the metric whose features contribute
// most in sum) and evidence ("cpu_usage_percent +0.21: ewma 97.4 (normal 45.1 ± 8.2); ...").
// Explains an anomaly: exact TreeSHAP contributions of the forest's score, summed back to metrics; the
// resource is the metric that contributed most (or the baseline's metric when the robust baseline led);
// the evidence puts the top metrics against their normal range. Costs ~100 µs: runs on the explain
// thread, never in scoring.
void DescribeAnomaly(const models::IsolationForestModel& model, const DeviationModel* deviation,
                     std::span<const double> row, bool deviation_led, Prediction* p) {
  const auto& names = model.feature_names();
  explain::Explanation shap = explain::TreeShap(model, row);
  std::vector<explain::MetricContribution> metrics = explain::ByMetric(names, shap);
  std::vector<Attribution> all;
  for (size_t f = 0; f < names.size(); ++f) {
    all.push_back({names[f], std::isfinite(row[f]) ? row[f] : 0.0, shap.contributions[f]});
  }
  std::stable_sort(all.begin(), all.end(), [](const Attribution& a, const Attribution& b) {
    return std::fabs(a.contribution) > std::fabs(b.contribution);
  });
  p->attributions.assign(all.begin(), all.begin() + std::min<size_t>(all.size(), 8));
  p->resource.clear();
  for (const auto& m : metrics) {
    if (m.contribution > 0) {
      p->resource = m.metric;
      break;
    }
  }
  std::string evidence;
  if (deviation && deviation_led) {
    // The robust baseline fired: lead with the metric furthest from its normal range.
    Deviation d = deviation->Max(row);
    p->resource = MetricOfFeature(names[d.feature]);
    evidence = fmt::format("{} = {:.4g}, normal {:.4g} ± {:.2g} ({:+.0f} robust sd)", names[d.feature], row[d.feature],
                           deviation->center(d.feature), deviation->scale(d.feature), d.z);
  }
  int shown = 0;
  for (size_t i = 0; i < metrics.size() && shown < 3; ++i) {
    if (metrics[i].contribution <= 0) continue;
    ++shown;
    // The metric's smoothed level against its training distribution.
    std::string detail;
    for (size_t f = 0; f < names.size(); ++f) {
      if (names[f] == metrics[i].metric + ".ewma" && std::isfinite(row[f])) {
        detail = fmt::format(": now {:.4g} (normal {:.4g} ± {:.2g})", row[f], model.feature_mean()[f], model.feature_std()[f]);
        break;
      }
    }
    if (!evidence.empty()) evidence += "; ";
    evidence += fmt::format("{} {:+.2f}{}", metrics[i].metric, metrics[i].contribution, detail);
  }
  p->evidence = evidence.empty() ? "no single metric stands out; the combination is unusual" : evidence;
  // The whole explanation, for GET /api/v1/predictions/{id}/explanation.
  json ex = {{"method", "tree_shap"}, {"scale", "anomaly score"}, {"base", shap.base}, {"output", shap.output},
             {"metrics", json::array()}};
  for (const auto& m : metrics) {
    json features = json::array();
    for (const auto& [name, c] : m.features) features.push_back({name, c});
    ex["metrics"].push_back({{"metric", m.metric}, {"contribution", m.contribution}, {"features", std::move(features)}});
  }
  json details = json::parse(p->details_json.empty() ? std::string("{}") : p->details_json, nullptr, false);
  if (!details.is_object()) details = json::object();
  details["explanation"] = std::move(ex);
  if (deviation && deviation_led) details["led_by"] = "robust baseline";
  p->details_json = details.dump();
}

// Maps a raw forest score onto 0..1 through the model's own calibration, piecewise linearly:
// [0, p50] -> [0, 0.25], [p50, warning] -> [0.25, 0.6], [warning, critical] -> [0.6, 0.8],
// [critical, 1] -> [0.8, 1]. Raw forest scores of different entities sit in different narrow bands
// (a typical row scores ~0.45, a blatant outlier ~0.7); after this map the alert threshold
// (alerting.score_threshold, 0.6) means "at the calibrated warning level" for every entity.
double NormalizedScore(const models::IsolationForestModel& m, double raw) {
  const auto& s = m.summary();
  struct Knot {
    double raw, out;
  };
  const Knot knots[] = {{0, 0}, {s.score_p50, 0.25}, {s.warning, 0.6}, {s.critical, 0.8}, {1, 1}};
  if (!std::isfinite(raw)) return 0;
  for (size_t i = 1; i < std::size(knots); ++i) {
    if (raw <= knots[i].raw || i + 1 == std::size(knots)) {
      double span = knots[i].raw - knots[i - 1].raw;
      double t = span > 0 ? (raw - knots[i - 1].raw) / span : 1;
      return std::clamp(knots[i - 1].out + t * (knots[i].out - knots[i - 1].out), 0.0, 1.0);
    }
  }
  return 1;
}

json ModelStatsJson(const models::IsolationForestModel& m) {
  const auto& s = m.summary();
  return json{{"trees", m.num_trees()},
              {"subsample", m.subsample()},
              {"features", m.num_features()},
              {"rows", s.rows},
              {"thresholds", {{"warning", s.warning}, {"critical", s.critical}}},
              {"quantiles", {{"warning", s.warning_quantile}, {"critical", s.critical_quantile}}},
              {"training_scores", {{"p50", s.score_p50}, {"p90", s.score_p90}, {"p99", s.score_p99},
                                   {"p999", s.score_p999}, {"max", s.score_max}}}};
}

}  // namespace

struct Pipeline::EntityState {
  std::string name;
  std::string kind;
  bool simulated = false;
  features::EntityFeatures features;
  std::vector<SeriesId> series;              // every series of the entity
  std::shared_ptr<const models::IsolationForestModel> model;
  std::shared_ptr<const DeviationModel> deviation;  // trained with the forest on the same rows
  features::FeatureSchema schema;            // the model's schema
  ModelRef model_ref;
  TimestampNs trained_at = 0;
  TimestampNs first_ts = 0;                  // oldest sample seen (backfill included)
  TimestampNs last_ts = 0;
  double score = std::nan("");
  Severity severity = Severity::kInfo;
  std::optional<Prediction> open;            // the open anomaly prediction
  TimestampNs open_written_at = 0;
  int calm_ticks = 0;
  int hot_ticks = 0;                         // consecutive ticks at warning or above
  bool training = false;
  bool model_checked = false;                // looked for a stored model once
  std::vector<double> row;                   // scratch
  SeriesId score_series = 0;                 // foresight_anomaly_score{entity}; 0 until first resolved
  size_t pushed_modelled = 0;                // pushed/scraped series in the model (max_pushed_series)

  explicit EntityState(const features::FeatureOptions& o) : features(o) {}
};

Pipeline::Pipeline(PipelineOptions options, const Clock& clock, storage::SampleStore& samples,
                   storage::RecordStore& records, alerting::AlertManager& alerts, SelfMetrics& metrics)
    : options_(std::move(options)),
      clock_(clock),
      samples_(samples),
      records_(records),
      alerts_(alerts),
      metrics_(metrics),
      started_at_(clock.NowNs()),
      queue_(options_.queue_capacity),
      samples_total_(metrics.GetCounter("foresight_samples_ingested_total", "Samples acknowledged by the store.")),
      collect_errors_(metrics.GetCounter("foresight_collect_errors_total", "Collections that failed.")),
      ingest_rejected_(metrics.GetCounter("foresight_ingest_rejected_total", "Samples rejected at ingest (invalid labels, cardinality, full queue).")),
      scores_total_(metrics.GetCounter("foresight_scores_total", "Feature vectors scored.")),
      trainings_total_(metrics.GetCounter("foresight_trainings_total", "Models trained.")),
      training_failures_(metrics.GetCounter("foresight_training_failures_total", "Trainings that failed.")),
      predictions_opened_(metrics.GetCounter("foresight_predictions_opened_total", "Anomaly predictions opened.")),
      collect_seconds_(metrics.GetGauge("foresight_collect_duration_seconds", "Duration of the last collection, store append included.")),
      score_seconds_(metrics.GetGauge("foresight_score_duration_seconds", "Duration of the last scoring pass over all entities.")),
      train_seconds_(metrics.GetGauge("foresight_train_duration_seconds", "Duration of the last model training.")),
      explain_seconds_(metrics.GetGauge("foresight_explain_duration_seconds",
                                        "Duration of the last prediction explanation (TreeSHAP, off the hot path).")) {
  metrics.AddCallbackGauge("foresight_queue_depth", "Batches waiting between collect and predict.", {},
                           [this] { return static_cast<double>(queue_.size()); });
  metrics.AddCallbackGauge("foresight_entities", "Entities known.", {}, [this] {
    std::lock_guard lock(entities_mu_);
    return static_cast<double>(entities_.size());
  });
  metrics.AddCallbackGauge("foresight_store_series", "Series in the sample store.", {},
                           [this] { return static_cast<double>(samples_.stats().series); });
  metrics.AddCallbackGauge("foresight_store_bytes_on_disk", "Compressed chunk bytes on disk.", {},
                           [this] { return static_cast<double>(samples_.stats().bytes_on_disk); });
  metrics.AddCallbackGauge("foresight_store_samples_in_chunks", "Samples in persisted chunks (bytes/sample = bytes_on_disk / this).", {},
                           [this] { return static_cast<double>(samples_.stats().samples_in_chunks); });
  metrics.AddCallbackGauge("foresight_store_wal_bytes", "Write-ahead log size.", {},
                           [this] { return static_cast<double>(samples_.stats().wal_bytes); });
  metrics.AddCallbackGauge("foresight_store_samples_rejected", "Samples the store rejected (out of order) since start.", {},
                           [this] { return static_cast<double>(samples_.stats().samples_rejected); });
  metrics.AddCallbackGauge("foresight_feedback", "Feedback verdicts received since start.", Labels{{"verdict", "confirmed"}},
                           [this] { return static_cast<double>(feedback_confirmed_.load()); });
  metrics.AddCallbackGauge("foresight_feedback", "Feedback verdicts received since start.", Labels{{"verdict", "dismissed"}},
                           [this] { return static_cast<double>(feedback_dismissed_.load()); });
}

Pipeline::~Pipeline() { Stop(); }

Status Pipeline::Start() {
  std::error_code ec;
  fs::create_directories(fs::path(options_.data_dir) / "models", ec);
  if (ec) return Status::Unavailable("create models dir", options_.data_dir, ec.message());
  if (options_.host) {
    ingest::HostCollectorOptions ho;
    ho.proc_root = options_.proc_root;
    ho.sys_root = options_.sys_root;
    host_ = std::make_unique<ingest::HostCollector>(ho);
  }
  if (options_.simulate_hosts > 0) {
    ingest::SimulatorOptions so;
    so.hosts = options_.simulate_hosts;
    so.seed = options_.seed;
    so.auto_scenarios_per_hour = options_.scenarios_per_hour;
    so.start_ns = clock_.NowNs() - options_.backfill_ns;
    // Scheduled failures only after the backfilled history: the models must not learn them as normal.
    so.auto_scenario_quiet_ns = options_.backfill_ns;
    sim_ = std::make_unique<ingest::FleetSimulator>(so);
  }
  if (!options_.scrape_targets.empty()) {
    FS_ASSIGN_OR_RETURN(scraper_, ingest::ScrapeCollector::Create(options_.scrape_targets));
  }
  CloseStalePredictions();
  for (const json& req : options_.initial_scenarios) {
    auto injected = InjectScenario(req);
    if (!injected.ok()) return injected.status().WithContext("--inject " + req.value("flag", std::string()));
  }
  WarmFeatures();
  threads_.emplace_back([this](std::stop_token st) { PredictLoop(st); });
  threads_.emplace_back([this](std::stop_token st) { ExplainLoop(st); });
  if (sim_) FS_RETURN_IF_ERROR(Backfill());
  started_ = true;
  {
    ingest::LogEventOptions lo = options_.log_events;
    lo.interval_ns = options_.collect_interval_ns;
    log_events_ = std::make_unique<ingest::LogEventService>(lo, clock_, [this](std::span<const LabeledSample> s, TimestampNs tick) {
      return Ingest(s, tick, /*live=*/true).status();
    });
    FS_RETURN_IF_ERROR(log_events_->Start());
  }
  threads_.emplace_back([this](std::stop_token st) { CollectLoop(st); });
  threads_.emplace_back([this](std::stop_token st) { TrainLoop(st); });
  if (options_.forecast && options_.forecast->settings.enabled && !options_.forecast->limits.empty()) {
    forecast_ = std::make_unique<ForecastStage>(*options_.forecast, clock_, samples_, records_, alerts_, metrics_);
    threads_.emplace_back([this](std::stop_token st) { ForecastLoop(st); });
  }
  if (scraper_) threads_.emplace_back([this](std::stop_token st) { ScrapeLoop(st); });
  return Status::Ok();
}

// Predictions left open by an earlier run are not tracked by this one (their state was in memory):
// close them at their last update so "open" means "being watched now". New evidence opens new ones.
void Pipeline::CloseStalePredictions() {
  storage::PredictionFilter f;
  f.open_only = true;
  f.limit = 100'000;
  auto open = records_.ListPredictions(f);
  if (!open.ok()) {
    spdlog::warn("close stale predictions: {}", open.status().ToString());
    return;
  }
  for (Prediction& p : *open) {
    p.closed_at = p.updated_at;
    if (Status st = records_.PutPrediction(p); !st.ok()) spdlog::warn("close {}: {}", p.id, st.ToString());
  }
  if (!open->empty()) spdlog::info("closed {} predictions left open by the previous run", open->size());
}

void Pipeline::Stop() {
  if (log_events_) log_events_->Stop();  // its last flush is queued while the predict thread still drains
  if (!started_.exchange(false) && threads_.empty()) return;
  // Collect first (no new data), then let predict drain, then training.
  for (auto& t : threads_) t.request_stop();
  queue_.Close();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  (void)samples_.Flush();
}

Result<const Pipeline::SeriesMeta*> Pipeline::ResolveLocked(const Labels& labels) {
  auto& chain = series_[SeriesHash(labels)];
  for (const auto& [cached_labels, m] : chain) {
    if (FlatLabelsEqual(cached_labels, labels)) return &m;  // equal hashes are not proof: compare the labels
  }
  FS_ASSIGN_OR_RETURN(SeriesId id, samples_.Resolve(labels));
  SeriesMeta meta;
  meta.id = id;
  meta.entity = EntityOf(labels);
  meta.feature_key = features::MetricKey(labels);
  if (!meta.entity.empty()) {
    std::lock_guard lock(entities_mu_);
    auto& e = entities_[meta.entity];
    if (!e) {
      e = std::make_unique<EntityState>(options_.features);
      e->name = meta.entity;
      std::string_view kind = labels.Get(kEntityKindLabel);
      e->kind = kind.empty() ? "host" : std::string(kind);
      e->simulated = labels.Get(kSimulatedLabel) == "true";
    }
    e->series.push_back(id);
    switch (ModelledAs(labels)) {
      case ModelSource::kNo:
        break;
      case ModelSource::kBuiltIn:
        meta.modelled = true;
        break;
      case ModelSource::kPushed:
        if (e->pushed_modelled < options_.max_pushed_series) {
          meta.modelled = true;
          ++e->pushed_modelled;
        }
        break;
    }
  }
  {
    std::lock_guard lock(meta_mu_);
    series_by_id_[id] = meta;
  }
  std::string flat;
  FlattenLabels(labels, &flat);
  chain.emplace_back(std::move(flat), meta);
  return &chain.back().second;
}

Result<size_t> Pipeline::Ingest(std::span<const LabeledSample> in, TimestampNs tick, bool live) {
  Batch batch;
  batch.tick = tick;
  batch.live = live;
  batch.samples.reserve(in.size());
  {
    std::lock_guard lock(collect_mu_);
    for (const auto& ls : in) {
      auto meta = ResolveLocked(ls.labels);
      if (!meta.ok()) {
        ingest_rejected_.Inc();
        spdlog::debug("ingest: {}: {}", ls.labels.ToString(), meta.status().ToString());
        continue;
      }
      batch.samples.push_back(Sample{(*meta)->id, ls.ts_ns, ls.value});
    }
  }
  return StoreAndQueue(std::move(batch));
}

Result<size_t> Pipeline::StoreAndQueue(Batch batch) {
  const bool live = batch.live;
  // Sorted by series then time, as the store prefers; stable keeps each series' order.
  std::stable_sort(batch.samples.begin(), batch.samples.end(),
                   [](const Sample& a, const Sample& b) { return a.series_id < b.series_id; });
  FS_RETURN_IF_ERROR(samples_.Append(batch.samples));
  size_t n = batch.samples.size();
  samples_total_.Inc(n);
  // The collect thread waits for room rather than losing acknowledged samples from the models' view;
  // HTTP ingest was refused before storing (AdmitHttpIngest answers 429), so it waits only for a
  // moment's race between requests.
  while (!queue_.TryPush(batch)) {
    if (!started_ && live) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return n;
}

// After a restart every entity's streaming features would start empty, and the first live scores would
// set a few seconds of data against windows the models learned full: critical anomalies on entities that
// are fine. So before anything is scored, the stored last widest window (plus a margin for the EWMA) of
// every modelled series is replayed through the features, as training replays history. Called before
// the predict thread starts; the simulator's gap backfill and live data then continue from there.
void Pipeline::WarmFeatures() {
  int64_t widest = 0;
  for (int64_t w : options_.features.windows_ns) widest = std::max(widest, w);
  const TimestampNs now = clock_.NowNs();
  const TimestampNs from = now - widest - static_cast<int64_t>(10 * options_.features.ewma_half_life_s * kNanosPerSecond);
  auto all = samples_.Select({});
  if (!all.ok()) {
    spdlog::warn("warming features: {}", all.status().ToString());
    return;
  }
  Batch batch;
  batch.live = false;
  batch.tick = now;
  std::vector<Sample> range;
  for (const storage::SeriesInfo& info : *all) {
    const SeriesMeta* meta = nullptr;
    {
      std::lock_guard lock(collect_mu_);
      auto m = ResolveLocked(info.labels);
      if (m.ok()) meta = *m;
    }
    if (meta == nullptr || !meta->modelled) continue;
    range.clear();
    if (!samples_.ReadRange(info.id, from, now, &range).ok()) continue;
    batch.samples.insert(batch.samples.end(), range.begin(), range.end());
  }
  if (batch.samples.empty()) return;
  spdlog::info("warmed the features of {} entities with {} stored samples of the last {}", entities_.size(),
               batch.samples.size(), FormatDurationHuman(now - from));
  Process(batch);
}

Status Pipeline::Backfill() {
  TimestampNs now = clock_.NowNs();
  TimestampNs from = now - options_.backfill_ns;
  // After a restart only the gap since the newest stored simulated sample is filled.
  std::vector<storage::LabelMatcher> m = {{std::string(kSimulatedLabel), storage::MatchOp::kEqual, "true"}};
  if (auto series = samples_.Select(m); series.ok() && !series->empty()) {
    std::vector<Sample> tail;
    if (samples_.ReadRange(series->front().id, from, now, &tail).ok() && !tail.empty()) {
      from = tail.back().ts_ns + options_.collect_interval_ns;
    }
  }
  from = from - from % options_.collect_interval_ns;
  if (from >= now) return Status::Ok();
  spdlog::info("simulator: backfilling {} of history for {} entities", FormatDurationHuman(now - from),
               options_.simulate_hosts);
  // Batches of ~50k samples: one WAL commit each instead of one per simulated tick.
  std::vector<LabeledSample> pending;
  pending.reserve(65536);
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    QuantizeAll(pending);
    auto r = Ingest(pending, pending.back().ts_ns, /*live=*/false);
    pending.clear();
    return r.ok() ? Status::Ok() : r.status();
  };
  std::lock_guard lock(sim_mu_);
  // Catch up until the gap to the clock is under one interval: the first pass over a day of history
  // takes tens of seconds, and a gap that long before the first live tick would make every
  // time-weighted average lurch towards one noisy sample.
  for (int pass = 0; pass < 5 && from < now; ++pass) {
    TimestampNs until = now - now % options_.collect_interval_ns;
    if (until < from) break;
    FS_RETURN_IF_ERROR(sim_->Backfill(from, until, options_.collect_interval_ns,
                                      [&](std::span<const LabeledSample> batch) -> Status {
                                        pending.insert(pending.end(), batch.begin(), batch.end());
                                        return pending.size() >= 50'000 ? flush() : Status::Ok();
                                      }));
    from = until + options_.collect_interval_ns;
    now = clock_.NowNs();
  }
  return flush();
}

Status Pipeline::AdmitHttpIngest(size_t n) {
  if (!started_) return Status::Unavailable("ingest", "the pipeline is still starting (backfilling history)");
  // Refuse before storing anything, so a client's retry does not duplicate half a batch.
  if (queue_.size() >= queue_.capacity()) {
    ingest_rejected_.Inc(n);
    return Status::ResourceExhausted("ingest", "the pipeline is behind; retry shortly");
  }
  return Status::Ok();
}

Result<SeriesId> Pipeline::ResolveSeries(const Labels& labels) {
  if (!started_) return Status::Unavailable("ingest", "the pipeline is still starting (backfilling history)");
  std::lock_guard lock(collect_mu_);
  auto meta = ResolveLocked(labels);
  if (!meta.ok()) {
    ingest_rejected_.Inc();
    return meta.status();
  }
  return (*meta)->id;
}

Status Pipeline::IngestResolved(std::span<const Sample> samples) {
  FS_RETURN_IF_ERROR(AdmitHttpIngest(samples.size()));
  if (samples.empty()) return Status::Ok();
  Batch batch;
  batch.tick = clock_.NowNs();
  batch.live = true;
  batch.samples.assign(samples.begin(), samples.end());
  return StoreAndQueue(std::move(batch)).status();
}

Status Pipeline::IngestSamples(std::span<const LabeledSample> samples) {
  FS_RETURN_IF_ERROR(AdmitHttpIngest(samples.size()));
  auto n = Ingest(samples, clock_.NowNs(), /*live=*/true);
  if (!n.ok()) return n.status();
  if (*n < samples.size()) {
    return Status::InvalidArgument("ingest", std::to_string(samples.size() - *n) + " of " +
                                                 std::to_string(samples.size()) + " samples had invalid labels or exceeded the series limit");
  }
  return Status::Ok();
}

// Logs and events are counted now and become series at the next flush (LogEventService); refused, like
// samples, while starting or when the pipeline is behind.
Status Pipeline::IngestLogs(std::span<const ingest::LogRecord> records) {
  if (!started_ || !log_events_) return Status::Unavailable("ingest", "the pipeline is still starting (backfilling history)");
  if (queue_.size() >= queue_.capacity()) return Status::ResourceExhausted("ingest", "the pipeline is behind; retry shortly");
  log_events_->AddLogs(records);
  return Status::Ok();
}

Status Pipeline::IngestEvents(std::span<const ingest::Event> events) {
  if (!started_ || !log_events_) return Status::Unavailable("ingest", "the pipeline is still starting (backfilling history)");
  if (queue_.size() >= queue_.capacity()) return Status::ResourceExhausted("ingest", "the pipeline is behind; retry shortly");
  if (size_t refused = log_events_->AddEvents(events); refused > 0) {
    return Status::InvalidArgument("ingest", std::to_string(refused) + " of " + std::to_string(events.size()) +
                                                 " events refused: too many distinct (type, entity) pairs");
  }
  return Status::Ok();
}

Result<std::vector<ingest::TemplateInfo>> Pipeline::LogTemplates(const std::string& entity, size_t limit) const {
  if (!log_events_) return std::vector<ingest::TemplateInfo>{};
  return log_events_->Templates(entity, limit);
}

Result<json> Pipeline::CollectNow() {
  // Live samples during the backfill would make the rest of the backfill out of order.
  if (!started_) return Status::Unavailable("collect", "the pipeline is still starting (backfilling history)");
  auto t0 = std::chrono::steady_clock::now();
  // Millisecond timestamps: nanosecond read-time jitter costs ~3 bytes per sample in the store's
  // delta-of-delta coding; milliseconds cost ~0.5 (docs/STORAGE.md, "Measured").
  TimestampNs now = clock_.NowNs();
  now -= now % kNanosPerMilli;
  std::vector<LabeledSample> out;
  if (host_) {
    if (Status st = host_->Collect(now, &out); !st.ok()) {
      collect_errors_.Inc();
      spdlog::warn("host collector: {}", st.ToString());
    }
  }
  if (sim_) {
    std::lock_guard lock(sim_mu_);
    if (Status st = sim_->Collect(now, &out); !st.ok()) {
      collect_errors_.Inc();
      spdlog::warn("simulator: {}", st.ToString());
    }
  }
  QuantizeAll(out);
  auto n = Ingest(out, now, /*live=*/true);
  if (!n.ok()) {
    collect_errors_.Inc();
    healthy_ = false;
    std::lock_guard lock(last_error_mu_);
    last_error_ = n.status().ToString();
    return n.status();
  }
  healthy_ = true;
  collect_seconds_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return json{{"samples", *n}, {"series", samples_.stats().series}, {"ts", FormatRfc3339(now)}};
}

void Pipeline::CollectLoop(std::stop_token stop) {
  const auto interval = std::chrono::nanoseconds(options_.collect_interval_ns);
  auto next = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    auto r = CollectNow();
    if (!r.ok()) spdlog::error("collect: {}", r.status().ToString());
    next += interval;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // fell behind: skip rather than burst
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < next) {
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(next - std::chrono::steady_clock::now(),
                                                                      std::chrono::milliseconds(100)));
    }
  }
}

void Pipeline::ScrapeLoop(std::stop_token stop) {
  std::string last_error;
  TimestampNs last_logged = 0;
  while (!stop.stop_requested()) {
    TimestampNs now = clock_.NowNs();
    std::vector<LabeledSample> out;
    Status st = scraper_->Collect(now, &out);
    // A target that is down fails every tick: log a changed error at once, a repeated one once a minute.
    if (!st.ok() && (st.message() != last_error || now - last_logged > 60 * kNanosPerSecond)) {
      spdlog::warn("scrape: {}", st.message());
      last_error = st.message();
      last_logged = now;
    }
    // Targets are entities by their instance unless they say otherwise (entity or host label).
    for (auto& s : out) {
      if (!s.labels.Has(kEntityLabel) && !s.labels.Has(kHostLabel)) s.labels.Set(kEntityLabel, s.labels.Get("instance"));
    }
    if (!out.empty()) {
      auto n = Ingest(out, now, /*live=*/true);
      if (!n.ok()) spdlog::error("scrape ingest: {}", n.status().ToString());
    }
    for (int i = 0; i < 5 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Pipeline::PredictLoop(std::stop_token stop) {
  while (true) {
    auto batch = queue_.Pop(std::chrono::milliseconds(200));
    if (!batch) {
      if (stop.stop_requested()) break;
      continue;
    }
    Process(*batch);
  }
}

void Pipeline::Process(const Batch& batch) {
  // Ids beyond this are routed by name every time rather than growing routes_ without bound.
  constexpr SeriesId kMaxRoutedId = SeriesId{1} << 24;
  std::vector<EntityState*> touched;
  {
    std::lock_guard lock(entities_mu_);
    std::lock_guard mlock(meta_mu_);
    routed_.clear();
    for (const Sample& s : batch.samples) {
      FeatureRoute slow;
      FeatureRoute* route = &slow;
      if (s.series_id < kMaxRoutedId) {
        if (s.series_id >= routes_.size()) routes_.resize(s.series_id + 1);
        route = &routes_[s.series_id];
      }
      if (route->entity == nullptr) {
        // First sample of the series here: resolve its entity and feature state once.
        auto it = series_by_id_.find(s.series_id);
        if (it == series_by_id_.end() || it->second.entity.empty()) continue;
        const SeriesMeta& meta = it->second;
        auto eit = entities_.find(meta.entity);
        if (eit == entities_.end()) continue;
        route->entity = eit->second.get();
        route->series = meta.modelled ? route->entity->features.Series(meta.feature_key) : nullptr;
      }
      EntityState& e = *route->entity;
      if (e.first_ts == 0 || s.ts_ns < e.first_ts) e.first_ts = s.ts_ns;
      e.last_ts = std::max(e.last_ts, s.ts_ns);
      if (route->series) routed_.push_back({&e, route->series, s.ts_ns, s.value});
      if (touched.empty() || touched.back() != &e) {
        if (std::find(touched.begin(), touched.end(), &e) == touched.end()) touched.push_back(&e);
      }
    }
    // The feature states of thousands of series do not fit in cache: start loading the state of the
    // samples a few places ahead so their cache misses overlap instead of stalling one by one.
    constexpr size_t kAhead = 8;
    const size_t n = routed_.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) routed_[i + kAhead].series->Prefetch(0);
      if (i + kAhead / 2 < n) routed_[i + kAhead / 2].series->Prefetch(1);
      const RoutedSample& r = routed_[i];
      r.entity->features.Update(r.series, r.ts, r.value);
    }
  }
  if (!batch.live) return;
  auto t0 = std::chrono::steady_clock::now();
  for (EntityState* e : touched) ScoreEntity(*e, batch.tick);
  score_seconds_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  StoreScores(touched, batch.tick);
}

// Each scored entity's score becomes an ordinary series (foresight_anomaly_score{entity}) so charts can
// overlay it. It is appended directly, not through Ingest: the models must never see their own output.
void Pipeline::StoreScores(const std::vector<EntityState*>& touched, TimestampNs tick) {
  std::vector<Sample> out;
  for (EntityState* e : touched) {
    double score;
    bool simulated;
    {
      std::lock_guard lock(entities_mu_);
      score = e->score;
      simulated = e->simulated;
    }
    if (!std::isfinite(score)) continue;
    if (e->score_series == 0) {  // only the predict thread reads or writes score_series
      Labels labels{{std::string(kMetricNameLabel), std::string(kAnomalyScoreMetric)},
                    {std::string(kEntityLabel), e->name}};
      if (simulated) labels.Set(kSimulatedLabel, "true");
      auto id = samples_.Resolve(labels);
      if (!id.ok()) continue;  // e.g. the series limit: the score is still served by /api/v1/entities
      e->score_series = *id;
    }
    out.push_back({e->score_series, tick, score});
  }
  if (out.empty()) return;
  if (Status st = samples_.Append(out); !st.ok()) spdlog::warn("store anomaly scores: {}", st.ToString());
}

void Pipeline::ScoreEntity(EntityState& e, TimestampNs tick) {
  std::shared_ptr<const models::IsolationForestModel> model;
  std::shared_ptr<const DeviationModel> deviation;
  {
    std::lock_guard lock(entities_mu_);
    if (!e.model_checked) {
      e.model_checked = true;
      LoadStoredModel(e);
    }
    model = e.model;
    deviation = e.deviation;
    if (!model) return;
    e.features.Vector(e.schema, &e.row);
  }
  double raw = model->Score(e.row);
  Severity sev = model->SeverityOf(raw);
  double score = NormalizedScore(*model, raw);
  bool deviation_led = false;
  if (deviation) {
    double z = std::fabs(deviation->Max(e.row).tail_ratio);
    double dev_score = deviation->Score(e.row);
    Severity dev_sev = z >= deviation->critical() ? Severity::kCritical
                       : z >= deviation->warning() ? Severity::kWarning
                                                   : Severity::kInfo;
    if (dev_score > score) {
      score = dev_score;
      deviation_led = true;
    }
    sev = std::max(sev, dev_sev);
  }
  scores_total_.Inc();

  std::optional<Prediction> to_store;
  std::optional<ExplainJob> explain_job;
  bool offer = false;
  {
    std::lock_guard lock(entities_mu_);
    e.score = score;
    e.severity = sev;
    e.hot_ticks = sev >= Severity::kWarning ? e.hot_ticks + 1 : 0;
    // A prediction opens only after min_anomalous_ticks in a row: single-tick blips are noise.
    if (sev >= Severity::kWarning && (e.open || e.hot_ticks >= options_.min_anomalous_ticks)) {
      e.calm_ticks = 0;
      bool fresh = !e.open;
      if (fresh) {
        Prediction p;
        p.id = e.name + ":anomaly:" + std::to_string(tick / kNanosPerSecond);
        p.entity = e.name;
        p.kind = "anomaly";
        p.created_at = tick;
        p.simulated = e.simulated;
        p.model = e.model_ref;
        e.open = std::move(p);
        predictions_opened_.Inc();
      }
      Prediction& p = *e.open;
      bool escalated = !fresh && sev > p.severity;
      bool stronger = score > p.score;
      if (fresh || escalated || stronger) {
        // Attributions describe the strongest evidence seen while the prediction is open. They are
        // computed on the explain thread, which stores the prediction and offers the alert itself, so
        // scoring never waits for an explanation.
        p.score = std::max(p.score, score);
        p.severity = std::max(p.severity, sev);
        p.updated_at = tick;
        explain_job = ExplainJob{p, model, deviation, e.row, deviation_led, fresh || escalated};
      }
      p.updated_at = tick;
      if (!explain_job && tick - e.open_written_at >= 15 * kNanosPerSecond) {
        e.open_written_at = tick;
        to_store = p;
      }
    } else if (e.open && ++e.calm_ticks >= options_.calm_ticks_to_close) {
      e.open->updated_at = tick;
      e.open->closed_at = tick;
      to_store = *e.open;
      e.open.reset();
    }
  }
  if (explain_job) {
    e.open_written_at = tick;
    if (!explain_queue_.TryPush(*explain_job)) {
      // The explain thread is behind: explain here rather than lose the alert.
      Explain(*explain_job);
    }
  }
  if (to_store) {
    if (Status st = records_.PutPrediction(*to_store); !st.ok()) {
      spdlog::error("store prediction {}: {}", to_store->id, st.ToString());
    } else if (offer) {
      auto r = alerts_.Offer(*to_store);
      if (!r.ok()) spdlog::error("alert for {}: {}", to_store->id, r.status().ToString());
    }
  }
}

void Pipeline::ExplainLoop(std::stop_token stop) {
  while (true) {
    auto job = explain_queue_.Pop(std::chrono::milliseconds(200));
    if (!job) {
      if (stop.stop_requested()) break;
      continue;
    }
    Explain(*job);
  }
}

// Explains the prediction, writes the attributions back into the open prediction (if it is still the
// same one, so later periodic writes keep them), stores it, and offers the alert when the hot path asked.
void Pipeline::Explain(ExplainJob& job) {
  Prediction& p = job.prediction;
  auto t0 = std::chrono::steady_clock::now();
  DescribeAnomaly(*job.model, job.deviation.get(), job.row, job.deviation_led, &p);
  p.actions = (options_.actions ? *options_.actions : ActionCatalog::Default()).For(p.resource, "anomaly");
  explain_seconds_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  {
    std::lock_guard lock(entities_mu_);
    auto it = entities_.find(p.entity);
    if (it != entities_.end() && it->second->open && it->second->open->id == p.id) {
      Prediction& live = *it->second->open;
      live.attributions = p.attributions;
      live.resource = p.resource;
      live.evidence = p.evidence;
      live.actions = p.actions;
      live.details_json = p.details_json;
      // Score, severity and times may have moved on since the job was queued: store the live ones.
      p.score = live.score;
      p.severity = live.severity;
      p.updated_at = live.updated_at;
    }
  }
  if (Status st = records_.PutPrediction(p); !st.ok()) {
    spdlog::error("store prediction {}: {}", p.id, st.ToString());
    return;
  }
  if (job.offer) {
    auto r = alerts_.Offer(p);
    if (!r.ok()) spdlog::error("alert for {}: {}", p.id, r.status().ToString());
  }
}

void Pipeline::LoadStoredModel(EntityState& e) {
  auto mv = records_.LatestModel(e.name, kDetectorName);
  if (!mv.ok()) return;
  auto loaded = models::IsolationForestModel::Load((fs::path(options_.data_dir) / mv->path).string());
  if (!loaded.ok()) {
    spdlog::warn("model {} v{} for {}: {}", kDetectorName, mv->version, e.name, loaded.status().ToString());
    return;
  }
  auto schema = features::FeatureSchema::FromNames((*loaded)->feature_names(), options_.features);
  if (!schema.ok()) {
    spdlog::warn("model {} v{} for {}: {}", kDetectorName, mv->version, e.name, schema.status().ToString());
    return;
  }
  e.model = *loaded;
  e.schema = std::move(*schema);
  auto stats = json::parse(mv->metrics_json, nullptr, false);
  if (!stats.is_discarded() && stats.contains("deviation")) {
    auto dev = DeviationModel::FromJson(stats["deviation"]);
    if (dev.ok()) e.deviation = std::make_shared<const DeviationModel>(std::move(*dev));
  }
  e.model_ref = ModelRef{kDetectorName, mv->version};
  e.trained_at = mv->trained_at;
  spdlog::info("loaded model {} v{} for {}", kDetectorName, mv->version, e.name);
}

void Pipeline::TrainLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    TrainDueEntities();
    auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.train_check_interval_ns);
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void Pipeline::ForecastLoop(std::stop_token stop) {
  // Forecasting is background work: a lower priority keeps it from delaying collection and scoring.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  for (int pass = 0; !stop.stop_requested(); ++pass) {
    forecast_->RunOnce();
    // A crossing opens after two agreeing passes: the second pass after start-up comes soon, so what the
    // history already shows is reported within seconds, not after a full interval.
    const int64_t wait = pass == 0 ? std::min<int64_t>(options_.forecast->settings.interval_ns, 10 * kNanosPerSecond)
                                   : options_.forecast->settings.interval_ns;
    auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(wait);
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

json Pipeline::ForecastsJson(const std::string& entity) const {
  return forecast_ ? forecast_->ForecastsJson(entity) : json::array();
}

void Pipeline::TrainDueEntities() {
  TimestampNs now = clock_.NowNs();
  std::vector<std::string> due;
  {
    std::lock_guard lock(entities_mu_);
    for (auto& [name, e] : entities_) {
      if (!e->model_checked) {
        e->model_checked = true;
        LoadStoredModel(*e);
      }
      if (e->training || e->first_ts == 0) continue;
      bool enough = e->last_ts - e->first_ts >= options_.warmup_ns;
      bool stale = !e->model || now - e->trained_at >= options_.retrain_interval_ns;
      if (enough && stale) due.push_back(name);
    }
  }
  for (const auto& name : due) {
    auto t0 = std::chrono::steady_clock::now();
    Status st = TrainEntity(name);
    train_seconds_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!st.ok()) {
      training_failures_.Inc();
      spdlog::warn("training {}: {}", name, st.ToString());
    }
  }
}

Status Pipeline::TrainEntity(const std::string& entity) {
  std::vector<storage::SeriesInfo> series;
  {
    std::lock_guard lock(entities_mu_);
    std::lock_guard mlock(meta_mu_);
    auto it = entities_.find(entity);
    if (it == entities_.end()) return Status::NotFound("entity", entity);
    it->second->training = true;
    for (SeriesId id : it->second->series) {
      auto m = series_by_id_.find(id);
      if (m == series_by_id_.end() || !m->second.modelled) continue;
      auto labels = samples_.LabelsOf(id);
      if (labels.ok()) series.push_back({id, std::move(*labels)});
    }
  }
  auto done = [&] {
    std::lock_guard lock(entities_mu_);
    entities_[entity]->training = false;
  };
  TimestampNs to = clock_.NowNs();
  TimestampNs from = to - options_.training_window_ns;
  models::TrainOptions topts;
  topts.features = options_.features;
  auto rows = models::BuildTrainingRows(samples_, series, from, to, topts);
  if (!rows.ok()) {
    done();
    return rows.status();
  }
  if (rows->rows() < topts.min_rows) {
    done();
    return Status::FailedPrecondition("training " + entity, std::to_string(rows->rows()) + " rows < " +
                                                             std::to_string(topts.min_rows));
  }
  // The model sees a compact subset of each metric's features (options_.model_features): with every
  // feature of every metric, a forest's random split choice rarely lands on the one metric that moved.
  std::vector<std::string> names;
  std::vector<size_t> columns;
  const auto& all = rows->schema.names();
  for (size_t c = 0; c < all.size(); ++c) {
    std::string_view feature = std::string_view(all[c]).substr(all[c].rfind('.') + 1);
    if (std::find(options_.model_features.begin(), options_.model_features.end(), feature) !=
        options_.model_features.end()) {
      names.push_back(all[c]);
      columns.push_back(c);
    }
  }
  if (names.empty()) {
    done();
    return Status::FailedPrecondition("training " + entity, "no feature of detector.features present");
  }
  std::vector<double> matrix;
  matrix.reserve(rows->rows() * columns.size());
  for (size_t r = 0; r < rows->rows(); ++r) {
    const double* row = rows->values.data() + r * all.size();
    for (size_t c : columns) matrix.push_back(row[c]);
  }
  models::IsolationForestOptions fopts;
  fopts.num_trees = options_.trees;
  fopts.subsample = options_.sample_size;
  fopts.seed = options_.detector_seed;
  fopts.warning_quantile = options_.warning_quantile;
  fopts.critical_quantile = options_.critical_quantile;
  auto model = models::IsolationForestModel::Train(matrix, columns.size(), names, fopts);
  if (!model.ok()) {
    done();
    return model.status();
  }
  auto schema = features::FeatureSchema::FromNames(names, options_.features);
  if (!schema.ok()) {
    done();
    return schema.status();
  }
  auto deviation = DeviationModel::Fit(matrix, names, {".ewma", ".slope_15m"}, options_.warning_quantile,
                                       options_.critical_quantile);
  if (!deviation.ok()) {
    done();
    return deviation.status();
  }
  struct {
    models::IsolationForestPtr model;
    features::FeatureSchema schema;
    TimestampNs data_from, data_to;
    uint64_t rows;
  } trained_storage{*model, std::move(*schema), rows->ticks.front(), rows->ticks.back(), rows->rows()};
  auto* trained = &trained_storage;
  ModelVersion mv;
  mv.entity = entity;
  mv.name = kDetectorName;
  mv.trained_at = clock_.NowNs();
  mv.data_from = trained->data_from;
  mv.data_to = trained->data_to;
  mv.rows = trained->rows;
  json stats = ModelStatsJson(*trained->model);
  stats["deviation"] = deviation->ToJson();
  {
    // Global importance: mean |TreeSHAP contribution| per feature over up to 200 training rows (evenly
    // spaced), summed per metric, largest first. Costs ~0.1 s per training, on the train thread.
    const size_t d = columns.size(), n = matrix.size() / std::max<size_t>(d, 1);
    std::vector<std::vector<double>> sample;
    for (size_t r = 0; r < n && sample.size() < 200; r += std::max<size_t>(1, n / 200)) {
      sample.emplace_back(matrix.begin() + r * d, matrix.begin() + (r + 1) * d);
    }
    std::vector<double> importance = explain::GlobalImportance(**model, sample);
    std::map<std::string, double> by_metric;
    json features = json::array();
    for (size_t f = 0; f < names.size() && f < importance.size(); ++f) {
      by_metric[MetricOfFeature(names[f])] += importance[f];
      features.push_back({{"feature", names[f]}, {"importance", importance[f]}});
    }
    std::vector<std::pair<std::string, double>> metrics(by_metric.begin(), by_metric.end());
    std::sort(metrics.begin(), metrics.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    json jm = json::array();
    for (const auto& [m, v] : metrics) jm.push_back({{"metric", m}, {"importance", v}});
    stats["importance"] = {{"method", "mean |TreeSHAP| over training rows"}, {"rows", sample.size()},
                           {"metrics", std::move(jm)}, {"features", std::move(features)}};
  }
  mv.metrics_json = stats.dump();
  // The version is assigned by the registry; the file name carries it, so store first with a
  // provisional path, then write the file under the final name.
  auto version = records_.PutModelVersion(mv);
  if (!version.ok()) {
    done();
    return version.status();
  }
  mv.version = *version;
  mv.path = fmt::format("models/{}-{}-v{}.ifm", entity, kDetectorName, mv.version);
  if (Status st = trained->model->Save((fs::path(options_.data_dir) / mv.path).string()); !st.ok()) {
    done();
    return st;
  }
  if (auto r = records_.PutModelVersion(mv); !r.ok()) {
    done();
    return r.status();
  }
  trainings_total_.Inc();
  {
    std::lock_guard lock(entities_mu_);
    auto& e = *entities_[entity];
    e.model = trained->model;
    e.deviation = std::make_shared<const DeviationModel>(std::move(*deviation));
    e.schema = trained->schema;
    e.model_ref = ModelRef{kDetectorName, mv.version};
    e.trained_at = mv.trained_at;
    e.training = false;
  }
  spdlog::info("trained {} v{} for {} on {} rows ({} features)", kDetectorName, mv.version, entity, mv.rows,
               trained->model->num_features());
  return Status::Ok();
}

json Pipeline::StatusJson() const {
  auto st = samples_.stats();
  size_t n_entities = 0, n_models = 0, n_open = 0;
  {
    std::lock_guard lock(entities_mu_);
    n_entities = entities_.size();
    for (const auto& [_, e] : entities_) {
      n_models += e->model ? 1 : 0;
      n_open += e->open ? 1 : 0;
    }
  }
  json sources = json::array();
  if (host_) sources.push_back("host");
  if (sim_) sources.push_back("simulator");
  if (!options_.scrape_targets.empty()) sources.push_back("scrape");
  json j = {{"service", "foresight"},
            {"version", "0.1.0"},
            {"healthy", healthy_.load()},
            {"ready", started_.load()},
            {"uptime_s", (clock_.NowNs() - started_at_) / kNanosPerSecond},
            {"sources", sources},
            {"simulated_entities", options_.simulate_hosts},
            {"series", st.series},
            {"samples_ingested", samples_total_.value()},
            {"entities", n_entities},
            {"models", n_models},
            {"open_predictions", n_open},
            {"queue_depth", queue_.size()}};
  if (!healthy_) {
    std::lock_guard lock(last_error_mu_);
    j["last_error"] = last_error_;
  }
  return j;
}

json Pipeline::EntitiesJson() const {
  json out = json::array();
  std::map<std::string, ForecastStage::EntitySummary> forecasts;
  if (forecast_) forecasts = forecast_->Summaries();
  std::lock_guard lock(entities_mu_);
  for (const auto& [name, e] : entities_) {
    std::string health = !e->model ? "learning"
                         : std::isnan(e->score) ? "ok"
                                                : std::string(e->severity == Severity::kInfo ? "ok" : SeverityName(e->severity));
    json j = {{"entity", name},
              {"kind", e->kind},
              {"simulated", e->simulated},
              {"health", health},
              {"score", std::isfinite(e->score) ? json(e->score) : json(nullptr)},
              {"series", e->series.size()},
              {"model", e->model ? json{{"name", e->model_ref.name}, {"version", e->model_ref.version}} : json(nullptr)},
              {"open_prediction", e->open ? json(e->open->id) : json(nullptr)},
              {"open_forecasts", 0},
              {"soonest_eta", nullptr},
              {"last_seen", e->last_ts ? json(FormatRfc3339(e->last_ts)) : json(nullptr)}};
    if (auto f = forecasts.find(name); f != forecasts.end()) {
      j["open_forecasts"] = f->second.open;
      if (f->second.soonest_eta) j["soonest_eta"] = FormatRfc3339(*f->second.soonest_eta);
      if (f->second.soonest_eta) j["soonest_eta_ms"] = *f->second.soonest_eta / kNanosPerMilli;
    }
    out.push_back(std::move(j));
  }
  return out;
}

Result<json> Pipeline::ModelsJson(const std::string& entity) const {
  json out = json::array();
  std::vector<std::pair<std::string, ModelRef>> active;
  {
    std::lock_guard lock(entities_mu_);
    if (!entity.empty() && !entities_.count(entity)) return Status::NotFound("entity", entity);
    for (const auto& [name, e] : entities_) {
      if ((entity.empty() || name == entity) && e->model) active.emplace_back(name, e->model_ref);
    }
  }
  for (const auto& [name, ref] : active) {
    auto mv = records_.LatestModel(name, ref.name);
    if (!mv.ok()) continue;
    json j = {{"entity", name}, {"active_version", ref.version}};
    j["model"] = api::ToJson(*mv);
    if (!entity.empty()) {
      if (auto all = records_.ListModelVersions(name); all.ok()) {
        j["versions"] = json::array();
        for (const auto& v : *all) j["versions"].push_back(api::ToJson(v));
      }
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string Pipeline::MetricsText() const { return metrics_.RenderPrometheus(); }

Status Pipeline::AcknowledgeAlert(const std::string& alert_id, const std::string& user) {
  return alerts_.Acknowledge(alert_id, user);
}

Status Pipeline::Silence(const std::string& entity, TimestampNs until, const std::string& user) {
  {
    std::lock_guard lock(entities_mu_);
    if (!entities_.count(entity)) return Status::NotFound("entity", entity);
  }
  return alerts_.Silence(entity, until);
}

Result<json> Pipeline::InjectScenario(const json& req) {
  if (!sim_) return Status::FailedPrecondition("the simulator is off (start with --simulate N)");
  auto str = [&](const char* k) -> std::string {
    auto it = req.find(k);
    return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string entity = str("entity"), kind_name = str("kind");
  if (entity.empty()) return Status::InvalidArgument("missing string field \"entity\"");
  if (kind_name.empty()) return Status::InvalidArgument("missing string field \"kind\"");
  auto kind = ingest::ParseScenarioKind(kind_name);
  if (!kind.ok()) return kind.status();
  ingest::Scenario s;
  s.kind = *kind;
  s.entity = entity;
  TimestampNs now = clock_.NowNs();
  s.start = now;
  if (std::string t = str("start"); !t.empty()) {
    auto ts = ParseTimestamp(t, now);
    if (!ts.ok()) return ts.status().WithContext("field \"start\"");
    s.start = *ts;
  }
  s.duration_ns = ingest::DefaultScenarioDuration(s.kind);
  if (std::string d = str("duration"); !d.empty()) {
    auto dur = ParseDuration(d);
    if (!dur.ok()) return dur.status().WithContext("field \"duration\"");
    s.duration_ns = *dur;
  }
  if (auto it = req.find("intensity"); it != req.end()) {
    if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > 10) {
      return Status::InvalidArgument("field \"intensity\" must be a number in (0, 10]");
    }
    s.intensity = it->get<double>();
  }
  std::lock_guard lock(sim_mu_);
  FS_RETURN_IF_ERROR(sim_->Inject(s));
  spdlog::info("simulator: injected {} on {} at {}", kind_name, entity, FormatRfc3339(s.start));
  return json{{"entity", s.entity}, {"kind", kind_name}, {"start", FormatRfc3339(s.start)},
              {"failure_at", FormatRfc3339(s.failure_at())}, {"duration_s", s.duration_ns / kNanosPerSecond}};
}

Result<json> Pipeline::ScenariosJson() const {
  if (!sim_) return Status::FailedPrecondition("the simulator is off (start with --simulate N)");
  std::lock_guard lock(sim_mu_);
  return json::parse(sim_->GroundTruthJson());
}

void Pipeline::OnFeedback(const std::string& prediction_id, const std::string& verdict) {
  (verdict == "confirmed" ? feedback_confirmed_ : feedback_dismissed_).fetch_add(1);
}

}  // namespace foresight::app

// foresight: the single binary. `serve` runs every stage in one process; `simulate` prints the fleet
// simulator's output; `version` prints the version. Exit codes: 0 ok, 1 runtime failure, 2 bad usage
// or configuration.

#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "alerting/alert_manager.h"
#include "alerting/console_notifier.h"
#include "api/http_server.h"
#include "api/routes.h"
#include "app/forecast_eval.h"
#include "app/pipeline.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/self_metrics.h"
#include "core/time_util.h"
#include "eval/eval_cli.h"
#include "ingest/fleet_simulator.h"
#include "storage/sqlite/sqlite_record_store.h"
#include "storage/tsdb/tsdb.h"

namespace foresight::app {
namespace {

constexpr int kExitUsage = 2;

Result<nlohmann::json> ParseScenarioSpec(const std::string& spec);

// Flags given on the command line; each, when set, overrides the file and the environment.
struct ServeFlags {
  std::string config_path;
  std::optional<std::string> listen;
  std::optional<int> port;
  std::optional<std::string> data_dir;
  std::optional<int> simulate;
  std::optional<uint64_t> seed;
  std::optional<double> scenarios_per_hour;
  std::optional<std::string> backfill;
  bool no_host = false;
  std::optional<std::string> warmup;
  std::optional<std::string> retrain_interval;
  std::optional<std::string> training_window;
  std::optional<double> threshold;
  std::optional<std::string> cooldown;
  std::optional<std::string> fsync;
  std::optional<std::string> retention;
  std::optional<std::string> log_level;
  std::optional<std::string> dashboard_dir;
  std::optional<std::string> syslog_listen;
  bool print_config = false;
  std::vector<std::string> inject;  // kind:entity[@start][/duration], applied once the fleet is up
};

// Applies a duration flag; errors name the flag.
Status DurationFlag(const std::optional<std::string>& text, const char* flag, int64_t* out) {
  if (!text) return Status::Ok();
  auto d = ParseDuration(*text);
  if (!d.ok()) return d.status().WithContext(flag);
  *out = *d;
  return Status::Ok();
}

Status ApplyFlags(const ServeFlags& f, config::Config& c) {
  if (f.listen) c.server.listen = *f.listen;
  if (f.port) c.server.port = *f.port;
  if (f.data_dir) c.storage.data_dir = *f.data_dir;
  if (f.simulate) c.simulator.hosts = *f.simulate;
  if (f.seed) c.simulator.seed = *f.seed;
  if (f.scenarios_per_hour) c.simulator.scenarios_per_hour = *f.scenarios_per_hour;
  FS_RETURN_IF_ERROR(DurationFlag(f.backfill, "--backfill", &c.simulator.backfill_ns));
  if (f.no_host) c.collector.host = false;
  FS_RETURN_IF_ERROR(DurationFlag(f.warmup, "--warmup", &c.detector.warmup_ns));
  FS_RETURN_IF_ERROR(DurationFlag(f.retrain_interval, "--retrain-interval", &c.detector.retrain_interval_ns));
  FS_RETURN_IF_ERROR(DurationFlag(f.training_window, "--training-window", &c.detector.training_window_ns));
  if (f.threshold) c.alerting.score_threshold = *f.threshold;
  FS_RETURN_IF_ERROR(DurationFlag(f.cooldown, "--cooldown", &c.alerting.cooldown_ns));
  if (f.fsync) c.storage.fsync = *f.fsync;
  FS_RETURN_IF_ERROR(DurationFlag(f.retention, "--retention", &c.storage.retention_ns));
  if (f.log_level) c.logging.level = *f.log_level;
  if (f.dashboard_dir) c.server.dashboard_dir = *f.dashboard_dir;
  if (f.syslog_listen) c.ingest.syslog_listen = *f.syslog_listen;
  return config::Validate(c);
}

PipelineOptions PipelineOptionsFrom(const config::Config& c) {
  PipelineOptions o;
  o.data_dir = c.storage.data_dir;
  o.collect_interval_ns = c.collector.interval_ns;
  o.host = c.collector.host;
  o.proc_root = c.collector.proc_root;
  o.sys_root = c.collector.sys_root;
  for (const auto& job : c.scrape_configs) {
    for (const auto& st : job.static_configs) {
      Labels labels;
      for (const auto& [k, v] : st.labels) labels.Set(k, v);
      for (const auto& target : st.targets) {
        o.scrape_targets.push_back(ingest::ScrapeTarget{job.scheme + "://" + target + job.metrics_path, job.job_name,
                                                        job.interval_ns, job.timeout_ns, labels});
      }
    }
  }
  o.simulate_hosts = c.simulator.hosts;
  o.seed = c.simulator.seed;
  o.scenarios_per_hour = c.simulator.scenarios_per_hour;
  o.backfill_ns = c.simulator.backfill_ns;
  o.features.windows_ns = c.features.windows_ns;
  o.features.ewma_half_life_s = static_cast<double>(c.features.ewma_half_life_ns) / kNanosPerSecond;
  o.warmup_ns = c.detector.warmup_ns;
  o.retrain_interval_ns = c.detector.retrain_interval_ns;
  o.training_window_ns = c.detector.training_window_ns;
  o.trees = c.detector.trees;
  o.sample_size = c.detector.sample_size;
  o.detector_seed = c.detector.seed;
  o.warning_quantile = c.detector.warning_quantile;
  o.critical_quantile = c.detector.critical_quantile;
  o.max_pushed_series = c.detector.max_pushed_series;
  o.log_events.syslog_listen = c.ingest.syslog_listen;
  o.log_events.max_line_bytes = c.ingest.max_line_bytes;
  return o;
}

// Forecasting: limit rules (config + built-in) and the action catalogue. Errors are configuration
// errors (bad selector, unreadable or invalid actions file): the caller exits 2.
Status AddForecasting(const config::Config& c, PipelineOptions* o) {
  std::shared_ptr<const ActionCatalog> actions;
  if (!c.forecast.actions_file.empty()) {
    auto loaded = ActionCatalog::LoadWithDefaults(c.forecast.actions_file);
    if (!loaded.ok()) return loaded.status().WithContext("forecast.actions_file");
    actions = std::make_shared<const ActionCatalog>(std::move(*loaded));
  }
  o->actions = actions;
  FS_ASSIGN_OR_RETURN(std::vector<LimitRule> rules, BuildLimitRules(c.limits, c.forecast.host_limits));
  ForecastStageOptions fo;
  fo.settings = c.forecast;
  fo.limits = std::move(rules);
  fo.actions = actions;
  o->forecast = std::move(fo);
  return Status::Ok();
}

// Blocks SIGINT/SIGTERM in every thread (so the workers never see them) and returns the set to wait on.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Serve(const ServeFlags& flags) {
  auto loaded = flags.config_path.empty() ? Result<config::Config>(config::Config{})
                                          : config::LoadConfigFile(flags.config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "foresight: invalid configuration: %s\n", loaded.status().message().c_str());
    return kExitUsage;
  }
  config::Config cfg = std::move(*loaded);
  if (Status st = config::ApplyEnv(cfg, config::ProcessEnv()); !st.ok()) {
    std::fprintf(stderr, "foresight: invalid environment: %s\n", st.message().c_str());
    return kExitUsage;
  }
  if (Status st = ApplyFlags(flags, cfg); !st.ok()) {
    std::fprintf(stderr, "foresight: invalid option: %s\n", st.message().c_str());
    return kExitUsage;
  }
  if (flags.print_config) {
    std::cout << config::DumpConfig(cfg);
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(cfg.logging.level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  sigset_t stop_signals = BlockStopSignals();
  SystemClock& clock = SystemClock::Get();
  SelfMetrics metrics;
  std::error_code ec;
  std::filesystem::create_directories(cfg.storage.data_dir, ec);
  if (ec) {
    spdlog::error("data dir {}: {}", cfg.storage.data_dir, ec.message());
    return 1;
  }

  storage::tsdb::TsdbOptions topts;
  topts.data_dir = (std::filesystem::path(cfg.storage.data_dir) / "tsdb").string();
  topts.fsync_policy = cfg.storage.fsync == "interval" ? storage::tsdb::FsyncPolicy::kInterval
                                                       : storage::tsdb::FsyncPolicy::kEveryBatch;
  topts.fsync_interval = std::chrono::milliseconds(cfg.storage.fsync_interval_ms);
  topts.raw_retention_ns = cfg.storage.retention_ns;
  topts.rollups = cfg.storage.rollups;
  topts.max_series = cfg.storage.max_series;
  auto tsdb = storage::tsdb::Tsdb::Open(topts, clock);
  if (!tsdb.ok()) {
    spdlog::error("open sample store: {}", tsdb.status().ToString());
    return 1;
  }
  auto records = storage::SqliteRecordStore::Open((std::filesystem::path(cfg.storage.data_dir) / "foresight.db").string());
  if (!records.ok()) {
    spdlog::error("open record store: {}", records.status().ToString());
    return 1;
  }

  std::vector<std::unique_ptr<alerting::Notifier>> notifiers;
  if (cfg.alerting.console) {
    auto format = cfg.alerting.console_format == "json" ? alerting::ConsoleFormat::kJson : alerting::ConsoleFormat::kLogfmt;
    notifiers.push_back(std::make_unique<alerting::ConsoleNotifier>(format));
  }
  alerting::AlertManagerOptions aopts;
  aopts.score_threshold = cfg.alerting.score_threshold;
  aopts.cooldown_ns = cfg.alerting.cooldown_ns;
  aopts.min_severity = cfg.alerting.min_severity;
  alerting::AlertManager alerts(aopts, **records, clock, std::move(notifiers), &metrics);

  PipelineOptions popts = PipelineOptionsFrom(cfg);
  // --inject scenarios go in before the simulator backfills, so one that started in the past (a leak in
  // progress) is in the history as a ramp, not a step at start-up.
  for (const std::string& spec : flags.inject) {
    auto req = ParseScenarioSpec(spec);
    if (!req.ok()) {
      std::cerr << "foresight: --inject " << spec << ": " << req.status().ToString() << "\n";
      return kExitUsage;
    }
    (*req)["flag"] = spec;
    popts.initial_scenarios.push_back(std::move(*req));
  }
  if (Status st = AddForecasting(cfg, &popts); !st.ok()) {
    std::cerr << "foresight: " << st.ToString() << "\n";
    return kExitUsage;
  }
  if (!cfg.ingest.syslog_listen.empty()) {
    if (auto a = ingest::ParseListenAddress(cfg.ingest.syslog_listen); !a.ok()) {
      std::cerr << "foresight: ingest.syslog_listen: " << a.status().message() << "\n";
      return kExitUsage;
    }
  }
  Pipeline pipeline(std::move(popts), clock, **tsdb, **records, alerts, metrics);
  api::Router router;
  api::ApiContext ctx;
  ctx.samples = tsdb->get();
  ctx.records = records->get();
  ctx.service = &pipeline;
  ctx.clock = &clock;
  ctx.options.dashboard_dir = cfg.server.dashboard_dir;
  ctx.options.ingest.max_line_bytes = cfg.ingest.max_line_bytes;
  ctx.options.ingest.max_labels_per_series = cfg.ingest.max_labels_per_series;
  ctx.options.ingest.max_label_value_bytes = cfg.ingest.max_label_value_bytes;
  ctx.options.ingest.max_series_per_endpoint = cfg.ingest.max_series;
  ctx.options.ingest.otlp_max_exponential_buckets = cfg.ingest.otlp_max_exponential_buckets;
  api::RegisterRoutes(router, ctx);
  api::HttpServerOptions hopts;
  hopts.address = cfg.server.listen;
  hopts.port = static_cast<uint16_t>(cfg.server.port);
  hopts.threads = cfg.server.threads;
  hopts.max_body_bytes = cfg.server.max_body_bytes;
  api::HttpServer server(hopts, [&router](api::HttpRequest& r) { return router.Dispatch(r); });
  if (Status st = server.Start(); !st.ok()) {
    spdlog::error("{}", st.ToString());
    return 1;
  }
  if (Status st = pipeline.Start(); !st.ok()) {
    spdlog::error("start pipeline: {}", st.ToString());
    server.Stop();
    pipeline.Stop();
    // A bad --inject is a usage error; anything else failed at run time.
    return st.message().find("--inject") != std::string::npos ? kExitUsage : 1;
  }
  spdlog::info("foresight serving http://{}:{} (data dir {}, sources: {}{})", cfg.server.listen, server.port(),
               cfg.storage.data_dir, cfg.collector.host ? "this host" : "",
               cfg.simulator.hosts > 0 ? fmt::format("{}simulated fleet of {}", cfg.collector.host ? " + " : "", cfg.simulator.hosts) : "");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // Stop order: API (no new requests), pipeline (collect, drain predict, train), notifications, stores.
  server.Stop();
  pipeline.Stop();
  alerts.Stop(std::chrono::seconds(5));
  if (Status st = (*tsdb)->Flush(); !st.ok()) spdlog::error("flush: {}", st.ToString());
  spdlog::info("stopped");
  return 0;
}

// Parses kind:entity[@start][/duration] (e.g. memory_leak:web-1@now-30m/2h) into the JSON the
// pipeline's InjectScenario takes. Errors: InvalidArgument naming the spec.
Result<nlohmann::json> ParseScenarioSpec(const std::string& spec) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("scenario \"" + spec + "\"", "expected kind:entity[@start][/duration]");
  }
  std::string rest = spec.substr(colon + 1);
  nlohmann::json j = {{"kind", spec.substr(0, colon)}};
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    j["duration"] = rest.substr(slash + 1);
    rest.resize(slash);
  }
  if (size_t at = rest.find('@'); at != std::string::npos) {
    j["start"] = rest.substr(at + 1);
    rest.resize(at);
  }
  if (rest.empty()) return Status::InvalidArgument("scenario \"" + spec + "\"", "missing entity");
  j["entity"] = rest;
  return j;
}

struct SimulateFlags {
  int hosts = 10;
  uint64_t seed = 42;
  std::string from = "now-1h";
  std::string to = "now";
  std::string step = "10s";
  std::string format = "influx";
  std::vector<std::string> scenarios;  // kind:entity[@start][/duration]
  double scenarios_per_hour = 0;
  bool ground_truth = false;
};

void PrintSample(const LabeledSample& s, const std::string& format) {
  if (format == "json") {
    nlohmann::json j = {{"series", s.labels.ToString()}, {"ts_ms", s.ts_ns / kNanosPerMilli}, {"value", s.value}};
    std::cout << j.dump() << '\n';
    return;
  }
  if (format == "csv") {
    std::cout << s.ts_ns / kNanosPerMilli << ",\"" << s.labels.ToString() << "\"," << s.value << '\n';
    return;
  }
  // InfluxDB line protocol: measurement,tag=v value=x ts
  std::string line(s.labels.metric());
  for (const auto& l : s.labels) {
    if (l.name == kMetricNameLabel) continue;
    line += "," + l.name + "=" + l.value;
  }
  std::cout << line << " value=" << s.value << " " << s.ts_ns << '\n';
}

int Simulate(const SimulateFlags& f) {
  TimestampNs now = SystemClock::Get().NowNs();
  auto from = ParseTimestamp(f.from, now);
  auto to = ParseTimestamp(f.to, now);
  auto step = ParseDuration(f.step);
  for (const Status& st : {from.status(), to.status(), step.status()}) {
    if (!st.ok()) {
      std::fprintf(stderr, "foresight simulate: %s\n", st.message().c_str());
      return kExitUsage;
    }
  }
  if (*step <= 0 || *from > *to || f.hosts <= 0) {
    std::fprintf(stderr, "foresight simulate: need --hosts > 0, --step > 0 and --from <= --to\n");
    return kExitUsage;
  }
  if (f.format != "influx" && f.format != "json" && f.format != "csv") {
    std::fprintf(stderr, "foresight simulate: --format must be influx, json or csv\n");
    return kExitUsage;
  }
  ingest::SimulatorOptions so;
  so.hosts = f.hosts;
  so.seed = f.seed;
  so.start_ns = *from;
  so.auto_scenarios_per_hour = f.scenarios_per_hour;
  ingest::FleetSimulator sim(so);
  for (const std::string& spec : f.scenarios) {
    auto req = ParseScenarioSpec(spec);
    Status st = req.status();
    ingest::Scenario sc;
    if (st.ok()) {
      auto kind = ingest::ParseScenarioKind((*req)["kind"].get<std::string>());
      st = kind.status();
      if (st.ok()) {
        sc.kind = *kind;
        sc.entity = (*req)["entity"].get<std::string>();
        sc.start = *from;
        sc.duration_ns = ingest::DefaultScenarioDuration(sc.kind);
        if (req->contains("start")) {
          auto t = ParseTimestamp((*req)["start"].get<std::string>(), now);
          st = t.status();
          if (t.ok()) sc.start = *t;
        }
        if (st.ok() && req->contains("duration")) {
          auto d = ParseDuration((*req)["duration"].get<std::string>());
          st = d.status();
          if (d.ok()) sc.duration_ns = *d;
        }
      }
    }
    if (st.ok()) st = sim.Inject(sc);
    if (!st.ok()) {
      std::fprintf(stderr, "foresight simulate: --scenario %s: %s\n", spec.c_str(), st.message().c_str());
      return kExitUsage;
    }
  }
  if (f.ground_truth) {
    std::cout << sim.GroundTruthJson() << '\n';
    return 0;
  }
  std::ios::sync_with_stdio(false);
  Status st = sim.Backfill(*from, *to, *step, [&](std::span<const LabeledSample> batch) {
    for (const auto& s : batch) PrintSample(s, f.format);
    return Status::Ok();
  });
  if (!st.ok()) {
    std::fprintf(stderr, "foresight simulate: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "Foresight: predictive system monitoring. Watches this host (and optionally a simulated fleet), learns\n"
      "normal behaviour per entity, and raises explained predictions and alerts. Docs: README.md, docs/API.md."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "foresight 0.1.0");
  int eval_exit = -1;  // `foresight eval nab|smd` (src/eval/eval_cli.h) sets it when it runs
  eval::AddEvalCommands(app, eval_exit);

  ServeFlags sf;
  CLI::App* serve = app.add_subcommand("serve", "Run every stage in one process with the HTTP API on 127.0.0.1:8080.");
  serve->footer(
      "Precedence: defaults < --config file < FORESIGHT_<SECTION>_<KEY> environment < flags.\n"
      "Every key is documented in foresight.example.yaml and docs/CONFIGURATION.md.\n"
      "Durations: 500ms, 30s, 10m, 1h, 7d. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.");
  serve->add_option("-c,--config", sf.config_path, "YAML configuration file")->check(CLI::ExistingFile);
  serve->add_option("--listen", sf.listen, "Listen address (server.listen, default 127.0.0.1)");
  serve->add_option("-p,--port", sf.port, "HTTP port (server.port, default 8080; 0 picks a free one)")->check(CLI::Range(0, 65535));
  serve->add_option("-d,--data-dir", sf.data_dir, "Where samples, records and models live (storage.data_dir, default ./data)");
  serve->add_option("--simulate", sf.simulate, "Also run a simulated fleet of N entities, marked simulated (simulator.hosts, default 0)")->check(CLI::Range(0, 100000));
  serve->add_option("--seed", sf.seed, "Simulator seed (simulator.seed, default 42)");
  serve->add_option("--scenarios-per-hour", sf.scenarios_per_hour, "Simulator: scheduled failures per hour across the fleet (simulator.scenarios_per_hour)")->check(CLI::Range(0.0, 1000.0));
  serve->add_option("--backfill", sf.backfill, "Simulator: history written at start (simulator.backfill, default 1d)");
  serve->add_flag("--no-host", sf.no_host, "Do not collect this host's metrics (collector.host=false)");
  serve->add_option("--warmup", sf.warmup, "History needed before an entity's first model (detector.warmup, default 10m)");
  serve->add_option("--retrain-interval", sf.retrain_interval, "Retrain each entity's model this often (detector.retrain_interval, default 1h)");
  serve->add_option("--training-window", sf.training_window, "History used for training (detector.training_window, default 1d)");
  serve->add_option("--threshold", sf.threshold, "Alert when the anomaly score is at least this (alerting.score_threshold, default 0.6)")->check(CLI::Range(0.0, 1.0));
  serve->add_option("--cooldown", sf.cooldown, "Per-entity alert cooldown (alerting.cooldown, default 10m)");
  serve->add_option("--fsync", sf.fsync, "WAL fsync policy: batch or interval (storage.fsync)");
  serve->add_option("--retention", sf.retention, "Raw sample retention (storage.retention, default 7d)");
  serve->add_option("--log-level", sf.log_level, "trace, debug, info, warn, error (logging.level)");
  serve->add_option("--dashboard-dir", sf.dashboard_dir, "Serve a built dashboard from this folder (server.dashboard_dir)");
  serve->add_option("--syslog-listen", sf.syslog_listen, "Receive syslog (RFC 5424/3164) over UDP and TCP on host:port, e.g. 127.0.0.1:5514 (ingest.syslog_listen; default off)");
  serve->add_flag("--print-config", sf.print_config, "Print the effective configuration as YAML and exit");
  serve->add_option("--inject", sf.inject,
                    "Simulator: inject a failure at start, kind:entity[@start][/duration], e.g. cpu_runaway:api-3@now+30s/20m "
                    "(kinds: memory_leak disk_fill connection_pool_leak cpu_runaway latency_degradation error_burst)");

  SimulateFlags mf;
  CLI::App* simulate = app.add_subcommand("simulate", "Print the fleet simulator's samples (or its ground truth) without a server.");
  simulate->add_option("--hosts", mf.hosts, "Entities in the fleet (default 10)");
  simulate->add_option("--seed", mf.seed, "Seed (default 42): the same seed gives the same output");
  simulate->add_option("--from", mf.from, "Start time (default now-1h)");
  simulate->add_option("--to", mf.to, "End time (default now)");
  simulate->add_option("--step", mf.step, "Sample interval (default 10s)");
  simulate->add_option("--format", mf.format, "influx (line protocol), json or csv (default influx)");
  simulate->add_option("--scenario", mf.scenarios, "Inject kind:entity[@start][/duration], e.g. memory_leak:web-1@now-30m/2h");
  simulate->add_option("--scenarios-per-hour", mf.scenarios_per_hour, "Scheduled failures per hour across the fleet");
  simulate->add_flag("--ground-truth", mf.ground_truth, "Print the scenarios' ground truth as JSON instead of samples");

  // `foresight eval forecast`: time to failure on the simulator's exhaustion scenarios (app/forecast_eval.h).
  CLI::App* eval_cmd = nullptr;
  try {
    eval_cmd = app.get_subcommand("eval");
  } catch (const CLI::OptionNotFound&) {
    eval_cmd = app.add_subcommand("eval", "Measure accuracy on labelled data.");
  }
  ForecastEvalOptions fe;
  std::string fe_every = "10m", fe_history = "3d", fe_step = "1m", fe_horizon = "1d";
  bool fe_quick = false;
  CLI::App* eval_forecast = eval_cmd->add_subcommand(
      "forecast", "Time-to-failure accuracy on the simulator's leaks and fills with known failure times: ETA error, lead "
                  "time, false warnings per entity-week (docs/RESULTS.md).");
  eval_forecast->add_option("--hosts", fe.hosts, "Simulated entities (default 8)")->check(CLI::Range(4, 1000));
  eval_forecast->add_option("--seed", fe.seed, "Simulator seed (default 42)");
  eval_forecast->add_option("--out", fe.out_dir, "Write summary.md and evaluations.json here");
  eval_forecast->add_option("--every", fe_every, "Evaluation cadence during a scenario (default 10m)");
  eval_forecast->add_option("--normal-days", fe.normal_days, "Days of normal operation for false warnings (default 7)")
      ->check(CLI::Range(0, 365));
  eval_forecast->add_option("--history", fe_history, "History per fit (forecast.history, default 3d)");
  eval_forecast->add_option("--step", fe_step, "Fit grid (forecast.step, default 1m)");
  eval_forecast->add_option("--horizon", fe_horizon, "Horizon (forecast.horizon, default 1d)");
  eval_forecast->add_flag("--quick", fe_quick, "One entity per kind, ramps 6 h and 12 h, 2 normal days (a smoke run)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (serve->parsed()) return Serve(sf);
  if (simulate->parsed()) return Simulate(mf);
  if (eval_forecast->parsed()) {
    config::Config defaults;
    fe.stage.settings = defaults.forecast;
    for (auto [text, dst, flag] : {std::tuple{&fe_every, &fe.eval_every_ns, "--every"},
                                   std::tuple{&fe_history, &fe.stage.settings.history_ns, "--history"},
                                   std::tuple{&fe_step, &fe.stage.settings.step_ns, "--step"},
                                   std::tuple{&fe_horizon, &fe.stage.settings.horizon_ns, "--horizon"}}) {
      auto d = ParseDuration(*text);
      if (!d.ok() || *d <= 0) {
        std::cerr << "foresight eval forecast: " << flag << ": invalid duration \"" << *text << "\"\n";
        return kExitUsage;
      }
      *dst = *d;
    }
    if (fe_quick) {
      fe.entities_per_kind = 1;
      fe.ramps_ns = {6 * 3600 * kNanosPerSecond, 12 * 3600 * kNanosPerSecond};
      fe.normal_days = 2;
    }
    return RunForecastEval(fe);
  }
  if (eval_exit >= 0) return eval_exit;
  return kExitUsage;
}

}  // namespace foresight::app

int main(int argc, char** argv) { return foresight::app::Main(argc, argv); }

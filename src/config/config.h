#pragma once
// Config: every setting of `foresight serve`, with defaults that work with no file at all.
// Precedence: defaults < YAML file < FORESIGHT_* environment < command-line flags (flags are applied by
// app/ onto the struct, then Validate()). Keys, defaults and env names: docs/CONFIGURATION.md.
//
// Units: every duration is int64_t nanoseconds in a field named *_ns (parsed from "500ms", "30s", "10m",
// "1h", "7d", "1h30m", or a plain number of seconds); sizes are uint64_t bytes (parsed from "8MiB",
// "512KiB", "1GB", or a plain number of bytes). storage.fsync_interval_ms is a plain number of milliseconds.
// Thread-safety: plain values; the functions are pure (ProcessEnv() reads the environment).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"
#include "core/status.h"
#include "core/types.h"

namespace foresight::config {

inline constexpr int64_t kSecondNs = kNanosPerSecond;
inline constexpr int64_t kMinuteNs = 60 * kSecondNs;
inline constexpr int64_t kHourNs = 60 * kMinuteNs;
inline constexpr int64_t kDayNs = 24 * kHourNs;
inline constexpr uint64_t kMiB = 1024 * 1024;

struct ServerOptions {
  std::string listen = "127.0.0.1";        // address the HTTP API binds
  int port = 8080;                          // 0..65535; 0 = any free port
  uint64_t max_body_bytes = 8 * kMiB;       // larger request bodies get 413; 1KiB..1GiB
  int threads = 2;                          // HTTP I/O threads; 1..256
  std::string dashboard_dir;                // static dashboard files; "" = no dashboard
  friend bool operator==(const ServerOptions&, const ServerOptions&) = default;
};

struct StorageOptions {
  std::string data_dir = "./data";          // samples (tsdb/), foresight.db and model files live here
  std::string fsync = "batch";              // "batch": fsync the WAL per ingest batch; "interval": every fsync_interval_ms
  int64_t fsync_interval_ms = 100;          // 1..60000; used when fsync = "interval"
  int64_t retention_ns = 7 * kDayNs;        // raw samples older than this are deleted; 1s..3650d
  bool rollups = true;                      // keep downsampled rollups beyond the raw retention
  uint64_t max_series = 1'000'000;          // new series beyond this are rejected; 1..1e9
  friend bool operator==(const StorageOptions&, const StorageOptions&) = default;
};

struct CollectorOptions {
  int64_t interval_ns = 1 * kSecondNs;      // host collection period; 10ms..1h
  bool host = true;                         // collect this host's real metrics
  std::string proc_root = "/proc";          // where /proc is mounted (containers: /host/proc)
  std::string sys_root = "/sys";
  friend bool operator==(const CollectorOptions&, const CollectorOptions&) = default;
};

struct SimulatorOptions {
  int hosts = 0;                            // simulated hosts; 0 = simulator off; 0..100000
  uint64_t seed = 42;                       // same seed, same fleet and scenarios
  double scenarios_per_hour = 0.0;          // random failure scenarios injected per hour; 0..3600
  int64_t backfill_ns = 24 * kHourNs;       // history generated at start-up (a full daily cycle); 0..30d
  friend bool operator==(const SimulatorOptions&, const SimulatorOptions&) = default;
};

struct FeatureOptions {
  std::vector<int64_t> windows_ns = {1 * kMinuteNs, 5 * kMinuteNs, 15 * kMinuteNs};  // 1..16 windows, each 1s..7d
  int64_t ewma_half_life_ns = 30 * kSecondNs;  // 1ms..7d
  friend bool operator==(const FeatureOptions&, const FeatureOptions&) = default;
};

struct DetectorOptions {
  int64_t warmup_ns = 10 * kMinuteNs;          // per entity, before the first model is trained; 0..7d
  int64_t retrain_interval_ns = 1 * kHourNs;   // 1s..30d
  int64_t training_window_ns = 24 * kHourNs;   // history used per training (a full daily cycle); 1m..90d
  int trees = 100;                             // isolation forest trees; 1..10000
  int sample_size = 256;                       // rows per tree; 2..1000000
  uint64_t seed = 42;
  double warning_quantile = 0.995;             // training-score quantile for "warning"; (0,1)
  double critical_quantile = 0.9995;           // for "critical"; (0,1), > warning_quantile
  uint64_t max_pushed_series = 32;             // pushed/scraped gauges modelled per entity, first come; 0..1024
  friend bool operator==(const DetectorOptions&, const DetectorOptions&) = default;
};

struct AlertingOptions {
  double score_threshold = 0.6;                // alert when score >= this; 0..1
  int64_t cooldown_ns = 10 * kMinuteNs;        // per entity/kind/resource; 0..7d
  Severity min_severity = Severity::kInfo;     // and severity >= this: "info" | "warning" | "critical"
  bool console = true;                         // one line per alert on stdout
  std::string console_format = "logfmt";       // "logfmt" | "json"
  friend bool operator==(const AlertingOptions&, const AlertingOptions&) = default;
};

// Forecasting of limited series (time to failure), issue 5; see docs/CONFIGURATION.md.
struct ForecastOptions {
  bool enabled = true;
  int64_t interval_ns = 1 * kMinuteNs;         // every limited series is refitted and re-evaluated this often; 1s..1d
  int64_t horizon_ns = 24 * kHourNs;           // how far ahead crossings are predicted; 1m..90d
  int64_t history_ns = 3 * kDayNs;             // history per fit; 10m..365d
  int64_t step_ns = 1 * kMinuteNs;             // the fit grid (mean per step); 1s..1d
  bool host_limits = true;                     // built-in limits: disk size, memory total, fd and swap limits, pools
  int64_t critical_eta_ns = 1 * kHourNs;       // critical when P50 ETA <= this ...
  double critical_probability = 0.8;           // ... and probability >= this; (0,1]
  int64_t warning_eta_ns = 12 * kHourNs;       // warning when P50 ETA <= this ...
  double warning_probability = 0.6;            // ... and probability >= this; (0,1]
  double min_probability = 0.5;                // below this nothing is predicted ("likely": even odds at least); (0,1]
  std::string actions_file;                    // your action catalogue (YAML), tried before the built-in one
  friend bool operator==(const ForecastOptions&, const ForecastOptions&) = default;
};

// One limit (top-level `limits:` list): the series a selector picks must stay on one side of a
// threshold, either fixed or read from a companion series with the same labels but another name.
//   - name: db connections
//     selector: db_connections{role="primary"}
//     threshold_metric: db_max_connections   # or: threshold: 100
//     direction: above                       # above (default) | below
//     counter: false                         # true: a monotonic counter (resets undone)
struct LimitConfig {
  std::string name;
  std::string selector;
  std::optional<double> threshold;
  std::string threshold_metric;
  std::string direction = "above";
  bool counter = false;
  friend bool operator==(const LimitConfig&, const LimitConfig&) = default;
};

// Push ingest (line protocol, remote write, OTLP, JSON logs and events, syslog); docs/CONFIGURATION.md.
struct IngestOptions {
  uint64_t max_line_bytes = 64 * 1024;      // longest line / log message / syslog frame; 64B..16MiB
  uint64_t max_labels_per_series = 64;      // labels per pushed series, __name__ included; 2..64
  uint64_t max_label_value_bytes = 4096;    // longest label value (also event type/entity); 1B..1MiB
  uint64_t max_series = 500'000;            // distinct series each push endpoint may create; 1..1e9
  uint64_t otlp_max_exponential_buckets = 32;  // finite le buckets per OTLP exponential histogram point; 1..1024
  std::string syslog_listen;                // "127.0.0.1:5514": syslog over UDP and TCP; "" = off
  friend bool operator==(const IngestOptions&, const IngestOptions&) = default;
};

struct LoggingOptions {
  std::string level = "info";                  // trace | debug | info | warn | error | critical | off
  friend bool operator==(const LoggingOptions&, const LoggingOptions&) = default;
};

// One Prometheus-style scrape job (top-level `scrape_configs:` list, Prometheus' own shape):
//   - job_name: node
//     scrape_interval: 15s        # default 15s
//     scrape_timeout: 10s         # default 10s, <= interval
//     metrics_path: /metrics      # default
//     scheme: http                # http | https
//     static_configs:
//       - targets: ["127.0.0.1:9100"]
//         labels: {team: infra}
struct ScrapeConfig {
  std::string job_name;
  int64_t interval_ns = 15 * kSecondNs;
  int64_t timeout_ns = 10 * kSecondNs;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  struct StaticConfig {
    std::vector<std::string> targets;              // host:port
    std::map<std::string, std::string> labels;
    friend bool operator==(const StaticConfig&, const StaticConfig&) = default;
  };
  std::vector<StaticConfig> static_configs;
  friend bool operator==(const ScrapeConfig&, const ScrapeConfig&) = default;
};

struct Config {
  ServerOptions server;
  StorageOptions storage;
  CollectorOptions collector;
  SimulatorOptions simulator;
  FeatureOptions features;
  DetectorOptions detector;
  AlertingOptions alerting;
  LoggingOptions logging;
  ForecastOptions forecast;
  IngestOptions ingest;
  std::vector<ScrapeConfig> scrape_configs;  // Prometheus targets Foresight scrapes itself
  std::vector<LimitConfig> limits;           // series limits for time-to-failure forecasts
  friend bool operator==(const Config&, const Config&) = default;
};

// Parses YAML text onto the defaults (keys not mentioned keep their defaults; an empty document is all
// defaults) and validates. Errors: InvalidArgument "<source_name>:<line>:<column>: <reason>" (1-based)
// for YAML syntax errors, unknown sections or keys (naming the key and section), duplicate keys, wrong
// types, unparsable or out-of-range values; cross-field errors point at the later of the two keys.
Result<Config> ParseConfig(std::string_view yaml, std::string_view source_name);

// Reads `path` and ParseConfig()s it. Errors: NotFound (no such file), FailedPrecondition (unreadable),
// and ParseConfig's errors with source_name = path.
Result<Config> LoadConfigFile(const std::string& path);

// Applies FORESIGHT_<SECTION>_<KEY> variables (e.g. FORESIGHT_SERVER_PORT=9090,
// FORESIGHT_STORAGE_DATA_DIR=/x, FORESIGHT_FEATURES_WINDOWS=1m,5m) with the same parsing and validation as
// the file; lists are comma-separated. Variables whose section is unknown (e.g. FORESIGHT_CONFIG) are left
// to their owners; an unknown key in a known section is an error (typos must not pass silently).
// Errors: InvalidArgument "<VARIABLE>: <reason>". On error `config` may be partly updated.
Status ApplyEnv(Config& config, const std::map<std::string, std::string>& env);

// The FORESIGHT_* variables of this process's environment.
std::map<std::string, std::string> ProcessEnv();

// defaults, then the file (skipped when path is ""), then env; validated.
Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env);

// Checks every range and cross-field rule (for configs built or changed in code, e.g. by flags).
// Errors: InvalidArgument "<section>.<key>: <reason>".
Status Validate(const Config& config);

// The effective configuration as YAML, in the canonical forms ("7d", "8MiB"); parses back to `config`.
std::string DumpConfig(const Config& config);

// One entry per key, in file order: for docs, `foresight config --keys` and tests.
struct KeyInfo {
  std::string section;
  std::string key;
  std::string env;            // FORESIGHT_SERVER_PORT
  std::string default_value;  // as DumpConfig writes it
};
std::vector<KeyInfo> ListKeys();

// Canonical text forms used by DumpConfig, exposed for flags and messages.
std::string FormatDurationConfig(int64_t ns);  // "7d", "90s", "500ms", "0s"
std::string FormatSizeConfig(uint64_t bytes);  // "8MiB", "1536", "0"
// "8MiB", "512KiB", "1.5GiB", "10MB", "4096", "4096B" (case-insensitive units; KB = 1000, KiB = 1024).
// Errors: InvalidArgument naming the text.
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace foresight::config

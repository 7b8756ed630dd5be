#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace foresight::config {
namespace {

Config ParseOrDie(std::string_view yaml) {
  auto r = ParseConfig(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Config{};
}

// Asserts ParseConfig fails with InvalidArgument and the message starts with `prefix`.
void ExpectError(std::string_view yaml, const std::string& prefix, const std::string& contains = "") {
  auto r = ParseConfig(yaml, "f.yaml");
  ASSERT_FALSE(r.ok()) << "parsed: " << yaml;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind(prefix, 0), 0u) << r.status().message();
  if (!contains.empty()) {
    EXPECT_NE(r.status().message().find(contains), std::string::npos) << r.status().message();
  }
}

TEST(ConfigTest, DefaultsAreTheDocumentedValues) {
  Config c;
  EXPECT_EQ(c.server.listen, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.server.max_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(c.server.threads, 2);
  EXPECT_EQ(c.server.dashboard_dir, "");
  EXPECT_EQ(c.storage.data_dir, "./data");
  EXPECT_EQ(c.storage.fsync, "batch");
  EXPECT_EQ(c.storage.fsync_interval_ms, 100);
  EXPECT_EQ(c.storage.retention_ns, 7 * 86400 * kNanosPerSecond);
  EXPECT_TRUE(c.storage.rollups);
  EXPECT_EQ(c.storage.max_series, 1'000'000u);
  EXPECT_EQ(c.collector.interval_ns, kNanosPerSecond);
  EXPECT_TRUE(c.collector.host);
  EXPECT_EQ(c.collector.proc_root, "/proc");
  EXPECT_EQ(c.collector.sys_root, "/sys");
  EXPECT_EQ(c.simulator.hosts, 0);
  EXPECT_EQ(c.simulator.seed, 42u);
  EXPECT_EQ(c.simulator.scenarios_per_hour, 0.0);
  EXPECT_EQ(c.simulator.backfill_ns, 24 * 3600 * kNanosPerSecond);
  EXPECT_EQ(c.features.windows_ns, (std::vector<int64_t>{60 * kNanosPerSecond, 300 * kNanosPerSecond, 900 * kNanosPerSecond}));
  EXPECT_EQ(c.features.ewma_half_life_ns, 30 * kNanosPerSecond);
  EXPECT_EQ(c.detector.warmup_ns, 600 * kNanosPerSecond);
  EXPECT_EQ(c.detector.retrain_interval_ns, 3600 * kNanosPerSecond);
  EXPECT_EQ(c.detector.training_window_ns, 24 * 3600 * kNanosPerSecond);
  EXPECT_EQ(c.detector.trees, 100);
  EXPECT_EQ(c.detector.sample_size, 256);
  EXPECT_EQ(c.detector.seed, 42u);
  EXPECT_EQ(c.detector.warning_quantile, 0.995);
  EXPECT_EQ(c.detector.critical_quantile, 0.9995);
  EXPECT_EQ(c.alerting.score_threshold, 0.6);
  EXPECT_EQ(c.alerting.cooldown_ns, 600 * kNanosPerSecond);
  EXPECT_EQ(c.alerting.min_severity, Severity::kInfo);
  EXPECT_TRUE(c.alerting.console);
  EXPECT_EQ(c.alerting.console_format, "logfmt");
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_TRUE(Validate(c).ok());
}

TEST(ConfigTest, EmptyOrCommentOnlyDocumentIsAllDefaults) {
  EXPECT_EQ(ParseOrDie(""), Config{});
  EXPECT_EQ(ParseOrDie("# nothing\n\n"), Config{});
  EXPECT_EQ(ParseOrDie("server:\n"), Config{});
}

TEST(ConfigTest, OverridesOnlyTheKeysGiven) {
  Config c = ParseOrDie("server:\n  port: 9090\nsimulator:\n  hosts: 10\n");
  Config want;
  want.server.port = 9090;
  want.simulator.hosts = 10;
  EXPECT_EQ(c, want);
}

TEST(ConfigTest, EveryDurationForm) {
  const std::pair<const char*, int64_t> cases[] = {
      {"500ms", 500 * kNanosPerMilli}, {"30s", 30 * kNanosPerSecond},   {"10m", 600 * kNanosPerSecond},
      {"1h", 3600 * kNanosPerSecond},  {"2d", 2 * 86400 * kNanosPerSecond}, {"1h30m", 5400 * kNanosPerSecond},
      {"45", 45 * kNanosPerSecond},    {"1.5", 1500 * kNanosPerMilli},  {"\"90s\"", 90 * kNanosPerSecond},
  };
  for (const auto& [text, ns] : cases) {
    Config c = ParseOrDie(std::string("alerting:\n  cooldown: ") + text + "\n");
    EXPECT_EQ(c.alerting.cooldown_ns, ns) << text;
  }
  EXPECT_EQ(ParseOrDie("storage:\n  retention: 7d\n").storage.retention_ns, 7 * 86400 * kNanosPerSecond);
  ExpectError("alerting:\n  cooldown: 10 minutes\n", "f.yaml:2:13: alerting.cooldown: expected a duration");
  ExpectError("alerting:\n  cooldown: -5s\n", "f.yaml:2:13: alerting.cooldown:");
}

TEST(ConfigTest, EverySizeForm) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"8MiB", 8ull << 20}, {"512KiB", 512ull << 10}, {"1GiB", 1ull << 30},    {"1.5MiB", 3ull << 19},
      {"2MB", 2'000'000},   {"4KB", 4000},            {"65536", 65536},        {"4096B", 4096},
      {"8mib", 8ull << 20}, {"8 MiB", 8ull << 20},
  };
  for (const auto& [text, bytes] : cases) {
    Config c = ParseOrDie(std::string("server:\n  max_body_bytes: ") + text + "\n");
    EXPECT_EQ(c.server.max_body_bytes, bytes) << text;
  }
  for (const char* bad : {"8 parsecs", "MiB", "-1", "1.5", "1e3"}) {
    EXPECT_FALSE(ParseSize(bad).ok()) << bad;
  }
  ExpectError("server:\n  max_body_bytes: 2GiB\n", "f.yaml:2:19: server.max_body_bytes: must be between 1KiB and 1GiB");
}

TEST(ConfigTest, BooleansListsAndEnums) {
  Config c = ParseOrDie(
      "storage:\n  rollups: no\n  fsync: interval\ncollector:\n  host: false\n"
      "features:\n  windows: [30s, 2m]\nalerting:\n  min_severity: warning\n  console_format: json\n"
      "logging:\n  level: debug\n");
  EXPECT_FALSE(c.storage.rollups);
  EXPECT_EQ(c.storage.fsync, "interval");
  EXPECT_FALSE(c.collector.host);
  EXPECT_EQ(c.features.windows_ns, (std::vector<int64_t>{30 * kNanosPerSecond, 120 * kNanosPerSecond}));
  EXPECT_EQ(c.alerting.min_severity, Severity::kWarning);
  EXPECT_EQ(c.alerting.console_format, "json");
  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_EQ(ParseOrDie("features:\n  windows:\n    - 1m\n    - 1h\n").features.windows_ns,
            (std::vector<int64_t>{60 * kNanosPerSecond, 3600 * kNanosPerSecond}));
  EXPECT_EQ(ParseOrDie("features:\n  windows: 1m, 2m\n").features.windows_ns,
            (std::vector<int64_t>{60 * kNanosPerSecond, 120 * kNanosPerSecond}));
}

TEST(ConfigTest, YamlSyntaxErrorReportsLineAndColumn) {
  auto r = ParseConfig("server:\n  port: [1, 2\n", "bad.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("bad.yaml:", 0), 0u) << r.status().message();
  auto r2 = ParseConfig("server:\n  port: 1\n listen: x\n", "bad.yaml");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().message().rfind("bad.yaml:3:", 0), 0u) << r2.status().message();
}

TEST(ConfigTest, UnknownKeyNamesKeyAndSectionAtItsPosition) {
  ExpectError("server:\n  prot: 9090\n", "f.yaml:2:3: unknown key \"prot\" in section \"server\"", "port");
  ExpectError("# c\nsever:\n  port: 1\n", "f.yaml:2:1: unknown section \"sever\"", "server");
}

TEST(ConfigTest, WrongTypesReportTheValuePosition) {
  ExpectError("server:\n  port: abc\n", "f.yaml:2:9: server.port: expected an integer in 0..65535, got \"abc\"");
  ExpectError("server:\n  port: [1]\n", "f.yaml:2:9: server.port: expected a scalar, got a list");
  ExpectError("server:\n  port: {a: 1}\n", "f.yaml:2:9: server.port: expected a scalar, got a mapping");
  ExpectError("server: 5\n", "f.yaml:1:9: section \"server\" must be a mapping");
  ExpectError("- a\n- b\n", "f.yaml:1:1: expected a mapping of sections");
  ExpectError("storage:\n  rollups: maybe\n", "f.yaml:2:12: storage.rollups: expected true or false");
  ExpectError("features:\n  windows: {a: 1}\n", "f.yaml:2:12: features.windows: expected a list");
  ExpectError("features:\n  windows: [1m, [2m]]\n", "f.yaml:2:17: features.windows: list items must be scalars");
  ExpectError("server:\n  listen:\n", "f.yaml:2:3: server.listen: must not be empty");
}

TEST(ConfigTest, OutOfRangeValuesReportTheValuePosition) {
  ExpectError("server:\n  port: 70000\n", "f.yaml:2:9: server.port: must be in 0..65535, got \"70000\"");
  ExpectError("server:\n  threads: 0\n", "f.yaml:2:12: server.threads: must be in 1..256");
  ExpectError("detector:\n  warning_quantile: 1.0\n", "f.yaml:2:21: detector.warning_quantile: must be in (0.0, 1.0)");
  ExpectError("alerting:\n  score_threshold: 1.5\n", "f.yaml:2:20: alerting.score_threshold: must be in [0.0, 1.0]");
  ExpectError("collector:\n  interval: 1ms\n", "f.yaml:2:13: collector.interval: must be between 10ms and 1h");
  ExpectError("features:\n  windows: []\n", "f.yaml:2:12: features.windows: must list 1..16 durations");
  ExpectError("storage:\n  fsync: sometimes\n", "f.yaml:2:10: storage.fsync: must be one of batch interval");
  ExpectError("alerting:\n  console_format: xml\n", "f.yaml:2:19: alerting.console_format: must be one of logfmt json");
  ExpectError("alerting:\n  min_severity: loud\n", "f.yaml:2:17: alerting.min_severity: expected one of info warning critical");
  ExpectError("simulator:\n  hosts: 99999999999\n", "f.yaml:2:10: simulator.hosts: must be in 0..100000");
}

TEST(ConfigTest, CrossFieldErrorPointsAtTheLaterKey) {
  ExpectError("detector:\n  warning_quantile: 0.99\n  critical_quantile: 0.9\n",
              "f.yaml:3:22: detector.critical_quantile: must be greater than detector.warning_quantile");
  ExpectError("detector:\n  warning_quantile: 0.99999\n", "f.yaml: detector.critical_quantile: must be greater");
}

TEST(ConfigTest, DuplicateKeysAreErrors) {
  ExpectError("server:\n  port: 1\n  port: 2\n", "f.yaml:3:3: duplicate key \"server.port\"");
  ExpectError("server:\n  port: 1\nserver:\n  threads: 2\n", "f.yaml:3:1: duplicate section \"server\"");
}

TEST(ConfigTest, EnvOverridesFieldsWithTheSameParsing) {
  Config c;
  ASSERT_TRUE(ApplyEnv(c, {{"FORESIGHT_SERVER_PORT", "9090"},
                           {"FORESIGHT_STORAGE_DATA_DIR", "/x"},
                           {"FORESIGHT_SIMULATOR_HOSTS", "10"},
                           {"FORESIGHT_ALERTING_COOLDOWN", "30s"},
                           {"FORESIGHT_SERVER_MAX_BODY_BYTES", "16MiB"},
                           {"FORESIGHT_FEATURES_WINDOWS", "1m, 10m"},
                           {"FORESIGHT_CONFIG", "/etc/foresight.yaml"},  // not ours: ignored
                           {"PATH", "/usr/bin"}})
                  .ok());
  EXPECT_EQ(c.server.port, 9090);
  EXPECT_EQ(c.storage.data_dir, "/x");
  EXPECT_EQ(c.simulator.hosts, 10);
  EXPECT_EQ(c.alerting.cooldown_ns, 30 * kNanosPerSecond);
  EXPECT_EQ(c.server.max_body_bytes, 16u << 20);
  EXPECT_EQ(c.features.windows_ns, (std::vector<int64_t>{60 * kNanosPerSecond, 600 * kNanosPerSecond}));
}

TEST(ConfigTest, EnvErrorsNameTheVariable) {
  Config c;
  Status st = ApplyEnv(c, {{"FORESIGHT_SERVER_PORT", "http"}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("FORESIGHT_SERVER_PORT: expected an integer", 0), 0u) << st.message();
  st = ApplyEnv(c, {{"FORESIGHT_SERVER_PROT", "1"}});
  EXPECT_EQ(st.message().rfind("FORESIGHT_SERVER_PROT: unknown setting in section \"server\"", 0), 0u) << st.message();
  EXPECT_NE(st.message().find("FORESIGHT_SERVER_PORT"), std::string::npos);
  st = ApplyEnv(c, {{"FORESIGHT_DETECTOR_CRITICAL_QUANTILE", "0.5"}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("detector.critical_quantile"), std::string::npos) << st.message();
}

TEST(ConfigTest, ProcessEnvCollectsForesightVariables) {
  ::setenv("FORESIGHT_TEST_ONLY_VAR", "1", 1);
  auto env = ProcessEnv();
  ::unsetenv("FORESIGHT_TEST_ONLY_VAR");
  EXPECT_EQ(env["FORESIGHT_TEST_ONLY_VAR"], "1");
  for (const auto& [k, v] : env) EXPECT_EQ(k.rfind("FORESIGHT_", 0), 0u);
}

TEST(ConfigTest, PrecedenceIsDefaultsThenFileThenEnv) {
  auto dir = std::filesystem::temp_directory_path() / ("fs_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "f.yaml").string();
  std::ofstream(path) << "server:\n  port: 9000\n  threads: 4\n";
  auto c = LoadConfig(path, {{"FORESIGHT_SERVER_PORT", "9100"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.port, 9100);   // env beats file
  EXPECT_EQ(c->server.threads, 4);   // file beats default
  EXPECT_EQ(c->server.listen, "127.0.0.1");
  auto file_only = LoadConfigFile(path);
  ASSERT_TRUE(file_only.ok());
  EXPECT_EQ(file_only->server.port, 9000);
  EXPECT_EQ(LoadConfigFile((dir / "missing.yaml").string()).status().code(), StatusCode::kNotFound);
  std::ofstream(path) << "server:\n  bogus: 1\n";
  auto bad = LoadConfigFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind(path + ":2:3: unknown key", 0), 0u) << bad.status().message();
  EXPECT_TRUE(LoadConfig("", {}).ok());
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, ValidateCatchesValuesSetInCode) {
  Config c;
  c.server.port = -1;
  Status st = Validate(c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("server.port: must be in 0..65535", 0), 0u) << st.message();
  c = Config{};
  c.features.windows_ns.clear();
  EXPECT_FALSE(Validate(c).ok());
  c = Config{};
  c.detector.critical_quantile = c.detector.warning_quantile;
  EXPECT_FALSE(Validate(c).ok());
  c = Config{};
  c.logging.level = "verbose";
  EXPECT_FALSE(Validate(c).ok());
}

TEST(ConfigTest, DumpParsesBackToTheSameConfig) {
  Config c;
  c.server.port = 9191;
  c.server.dashboard_dir = "";
  c.storage.data_dir = "/var/lib/foresight data";
  c.storage.retention_ns = 36 * 3600 * kNanosPerSecond;
  c.server.max_body_bytes = 1536;
  c.collector.interval_ns = 250 * kNanosPerMilli;
  c.features.windows_ns = {90 * kNanosPerSecond};
  c.simulator.scenarios_per_hour = 2.5;
  c.simulator.seed = 18446744073709551615ull;
  c.detector.warning_quantile = 0.99;
  c.alerting.min_severity = Severity::kCritical;
  c.logging.level = "off";
  const std::string text = DumpConfig(c);
  auto back = ParseConfig(text, "dump");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
  EXPECT_EQ(*back, c) << text;
  EXPECT_NE(text.find("retention: 36h"), std::string::npos) << text;
  EXPECT_NE(text.find("interval: 250ms"), std::string::npos) << text;
  EXPECT_EQ(*ParseConfig(DumpConfig(Config{}), "dump"), Config{});
}

TEST(ConfigTest, FormatsCanonicalDurationsAndSizes) {
  EXPECT_EQ(FormatDurationConfig(7 * 86400 * kNanosPerSecond), "7d");
  EXPECT_EQ(FormatDurationConfig(90 * kNanosPerSecond), "90s");
  EXPECT_EQ(FormatDurationConfig(500 * kNanosPerMilli), "500ms");
  EXPECT_EQ(FormatDurationConfig(0), "0s");
  EXPECT_EQ(FormatSizeConfig(8u << 20), "8MiB");
  EXPECT_EQ(FormatSizeConfig(1536), "1536");
  EXPECT_EQ(FormatSizeConfig(3u << 10), "3KiB");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ConfigTest, ExampleFileParsesToTheDefaultsAndDocumentsEveryKey) {
  const std::string path = std::string(FORESIGHT_SOURCE_DIR) + "/foresight.example.yaml";
  auto c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, Config{});
  const std::string text = ReadFile(path);
  for (const auto& k : ListKeys()) {
    EXPECT_NE(text.find("\n  " + k.key + ":"), std::string::npos) << "example lacks " << k.section << "." << k.key;
  }
}

TEST(ConfigTest, ConfigurationDocListsEveryKeyAndEnvName) {
  const std::string text = ReadFile(std::string(FORESIGHT_SOURCE_DIR) + "/docs/CONFIGURATION.md");
  ASSERT_FALSE(text.empty());
  for (const auto& k : ListKeys()) {
    EXPECT_NE(text.find("`" + k.section + "." + k.key + "`"), std::string::npos) << k.section << "." << k.key;
    EXPECT_NE(text.find("`" + k.env + "`"), std::string::npos) << k.env;
  }
}

TEST(ConfigTest, ListKeysGivesEnvNamesAndDefaults) {
  auto keys = ListKeys();
  auto it = std::find_if(keys.begin(), keys.end(), [](const KeyInfo& k) { return k.key == "data_dir"; });
  ASSERT_NE(it, keys.end());
  EXPECT_EQ(it->env, "FORESIGHT_STORAGE_DATA_DIR");
  EXPECT_EQ(it->default_value, "./data");
}

TEST(ConfigTest, GarbageInputNeverThrowsOrCrashes) {
  // Seeded: the same 2000 inputs every run. Any outcome is fine except an exception or a crash.
  std::mt19937 rng(12345);
  const std::string alphabet = "server:port listen\n\t -[]{}#&*!|>'\"%@`,?=~0123456789abc.:\n\n  ";
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    const int len = static_cast<int>(rng() % 64);
    for (int j = 0; j < len; ++j) text += alphabet[rng() % alphabet.size()];
    EXPECT_NO_THROW({
      auto r = ParseConfig(text, "fuzz");
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
      }
    });
  }
}

}  // namespace
}  // namespace foresight::config

namespace foresight::config {
namespace {

TEST(ConfigScrapeTest, ParsesPrometheusShapedScrapeConfigs) {
  auto c = ParseConfig(R"(
scrape_configs:
  - job_name: node
    scrape_interval: 5s
    scrape_timeout: 2s
    static_configs:
      - targets: ["127.0.0.1:9100", "127.0.0.1:9101"]
        labels: {team: infra}
  - job_name: app
    metrics_path: /stats
)", "s.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->scrape_configs.size(), 2u);
  const auto& node = c->scrape_configs[0];
  EXPECT_EQ(node.job_name, "node");
  EXPECT_EQ(node.interval_ns, 5 * kNanosPerSecond);
  EXPECT_EQ(node.timeout_ns, 2 * kNanosPerSecond);
  EXPECT_EQ(node.static_configs[0].targets.size(), 2u);
  EXPECT_EQ(node.static_configs[0].labels.at("team"), "infra");
  EXPECT_EQ(c->scrape_configs[1].metrics_path, "/stats");
  EXPECT_EQ(c->scrape_configs[1].interval_ns, 15 * kNanosPerSecond);
}

TEST(ConfigScrapeTest, ScrapeErrorsNameFileLineAndReason) {
  struct Case {
    const char* yaml;
    const char* needle;
  } cases[] = {
      {"scrape_configs: {a: 1}\n", "must be a list of jobs"},
      {"scrape_configs:\n  - scrape_interval: 5s\n", "job_name is required"},
      {"scrape_configs:\n  - job_name: a\n    scrape_interval: soon\n", "invalid duration"},
      {"scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n", "must not exceed"},
      {"scrape_configs:\n  - job_name: a\n    targets: [x]\n", "unknown key \"targets\""},
      {"scrape_configs:\n  - job_name: a\n  - job_name: a\n", "duplicate job_name"},
      {"scrape_configs:\n  - job_name: a\n    scheme: ftp\n", "scheme must be http or https"},
  };
  for (const auto& c : cases) {
    auto r = ParseConfig(c.yaml, "s.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find("s.yaml:"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().message();
  }
}

TEST(ConfigLimitsTest, LimitsAndForecastSettingsParse) {
  auto c = ParseConfig(R"(
forecast:
  horizon: 48h
  warning_eta: 6h
  actions_file: /etc/foresight/actions.yaml
limits:
  - name: db connections
    selector: db_connections{role="primary"}
    threshold_metric: db_max_connections
  - selector: queue_free_slots
    threshold: 0
    direction: below
)", "l.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->forecast.horizon_ns, 48 * kHourNs);
  EXPECT_EQ(c->forecast.warning_eta_ns, 6 * kHourNs);
  EXPECT_EQ(c->forecast.actions_file, "/etc/foresight/actions.yaml");
  ASSERT_EQ(c->limits.size(), 2u);
  EXPECT_EQ(c->limits[0].name, "db connections");
  EXPECT_EQ(c->limits[0].threshold_metric, "db_max_connections");
  EXPECT_FALSE(c->limits[0].threshold.has_value());
  EXPECT_EQ(c->limits[1].name, "queue_free_slots");  // defaults to the selector
  EXPECT_EQ(c->limits[1].threshold, 0.0);
  EXPECT_EQ(c->limits[1].direction, "below");
}

TEST(ConfigLimitsTest, LimitErrorsNameFileLineAndReason) {
  struct Case {
    const char* yaml;
    const char* needle;
  } cases[] = {
      {"limits: {a: 1}\n", "must be a list of limits"},
      {"limits:\n  - threshold: 5\n", "selector is required"},
      {"limits:\n  - selector: x\n", "exactly one of threshold or threshold_metric"},
      {"limits:\n  - selector: x\n    threshold: 1\n    threshold_metric: y\n", "exactly one of"},
      {"limits:\n  - selector: x\n    threshold: lots\n", "threshold must be a number"},
      {"limits:\n  - selector: x\n    threshold: 1\n    direction: sideways\n", "above or below"},
      {"limits:\n  - selector: x\n    threshold: 1\n    when: now\n", "unknown key \"when\""},
      {"forecast:\n  critical_probability: 2\n", "critical_probability"},
  };
  for (const auto& c : cases) {
    auto r = ParseConfig(c.yaml, "l.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find("l.yaml:"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace foresight::config

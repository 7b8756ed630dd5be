#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <filesystem>
#include <unistd.h>

#include "core/time_util.h"


namespace foresight::config {
namespace {

// ---- scalar parsing ----

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  int64_t v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseUint(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  uint64_t v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string_view s) {
  const std::string l = Lower(Trim(s));
  if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
  if (l == "false" || l == "no" || l == "off" || l == "0") return false;
  return std::nullopt;
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, p);
  // Keep it a float to YAML readers ("1" would read back as an integer, which we accept anyway).
  if (s.find_first_of(".eE") == std::string::npos && s.find_first_not_of("-0123456789") == std::string::npos) {
    s += ".0";
  }
  return s;
}

// ---- field table ----
// Each key is a Field: how to parse text onto the Config, how to check the value, how to print it.
// set() = parse + check; the reason it returns has no location (callers add file:line:col or the env name).

struct Field {
  std::string section;
  std::string key;
  bool is_list = false;
  std::function<std::optional<std::string>(std::string_view, Config&)> set;                       // scalar
  std::function<std::optional<std::string>(const std::vector<std::string>&, Config&)> set_list;  // list
  std::function<std::optional<std::string>(const Config&)> check;
  std::function<std::string(const Config&)> text;                // scalar canonical text
  std::function<std::vector<std::string>(const Config&)> items;  // list canonical items

  std::string path() const { return section + "." + key; }
};

template <typename S, typename T>
struct Ref {
  S Config::*sec;
  T S::*mem;
  T& operator()(Config& c) const { return (c.*sec).*mem; }
  const T& operator()(const Config& c) const { return (c.*sec).*mem; }
};

// Builds a scalar field from parse(text) -> optional<T>, a checker and a printer.
template <typename S, typename T>
Field MakeScalar(std::string section, std::string key, Ref<S, T> ref, std::string expected,
                 std::function<std::optional<T>(std::string_view)> parse,
                 std::function<std::optional<std::string>(const T&)> check, std::function<std::string(const T&)> print) {
  Field f;
  f.section = std::move(section);
  f.key = std::move(key);
  f.check = [ref, check](const Config& c) { return check(ref(c)); };
  f.set = [ref, expected, parse, check](std::string_view text, Config& c) -> std::optional<std::string> {
    std::optional<T> v = parse(text);
    if (!v) return "expected " + expected + ", got " + Quote(text);
    if (auto err = check(*v)) return *err + ", got " + Quote(text);
    ref(c) = std::move(*v);
    return std::nullopt;
  };
  f.text = [ref, print](const Config& c) { return print(ref(c)); };
  return f;
}

template <typename S, typename N>
Field IntField(std::string section, std::string key, Ref<S, N> ref, int64_t lo, int64_t hi) {
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  return MakeScalar<S, N>(
      std::move(section), std::move(key), ref, "an integer in " + range,
      [](std::string_view t) -> std::optional<N> {
        auto v = ParseInt(t);
        if (!v) return std::nullopt;
        return static_cast<N>(*v);  // range checked next (lo/hi fit N)
      },
      [lo, hi, range](const N& v) -> std::optional<std::string> {
        if (static_cast<int64_t>(v) < lo || static_cast<int64_t>(v) > hi) return "must be in " + range;
        return std::nullopt;
      },
      [](const N& v) { return std::to_string(v); });
}

template <typename S>
Field IntFieldChecked(std::string section, std::string key, Ref<S, int> ref, int64_t lo, int64_t hi) {
  // Parse as int64 first so "99999999999" is out of range rather than wrapped.
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  Field f = IntField<S, int>(section, key, ref, lo, hi);
  f.set = [ref, lo, hi, range](std::string_view text, Config& c) -> std::optional<std::string> {
    auto v = ParseInt(text);
    if (!v) return "expected an integer in " + range + ", got " + Quote(text);
    if (*v < lo || *v > hi) return "must be in " + range + ", got " + Quote(text);
    ref(c) = static_cast<int>(*v);
    return std::nullopt;
  };
  return f;
}

template <typename S>
Field UintField(std::string section, std::string key, Ref<S, uint64_t> ref, uint64_t lo, uint64_t hi) {
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  return MakeScalar<S, uint64_t>(
      std::move(section), std::move(key), ref, "a non-negative integer",
      [](std::string_view t) { return ParseUint(t); },
      [lo, hi, range](const uint64_t& v) -> std::optional<std::string> {
        if (v < lo || v > hi) return "must be in " + range;
        return std::nullopt;
      },
      [](const uint64_t& v) { return std::to_string(v); });
}

template <typename S>
Field DoubleField(std::string section, std::string key, Ref<S, double> ref, double lo, double hi, bool open) {
  std::string range = (open ? "(" : "[") + FormatDouble(lo) + ", " + FormatDouble(hi) + (open ? ")" : "]");
  return MakeScalar<S, double>(
      std::move(section), std::move(key), ref, "a number",
      [](std::string_view t) { return ParseDouble(t); },
      [lo, hi, open, range](const double& v) -> std::optional<std::string> {
        bool ok = open ? (v > lo && v < hi) : (v >= lo && v <= hi);
        if (!ok || !std::isfinite(v)) return "must be in " + range;
        return std::nullopt;
      },
      [](const double& v) { return FormatDouble(v); });
}

template <typename S>
Field BoolField(std::string section, std::string key, Ref<S, bool> ref) {
  return MakeScalar<S, bool>(
      std::move(section), std::move(key), ref, "true or false", [](std::string_view t) { return ParseBool(t); },
      [](const bool&) -> std::optional<std::string> { return std::nullopt; },
      [](const bool& v) { return std::string(v ? "true" : "false"); });
}

template <typename S>
Field StringField(std::string section, std::string key, Ref<S, std::string> ref, bool allow_empty,
                  std::vector<std::string> allowed = {}) {
  std::string expected = "a string";
  if (!allowed.empty()) {
    expected = "one of";
    for (const auto& a : allowed) expected += " " + a;
  }
  return MakeScalar<S, std::string>(
      std::move(section), std::move(key), ref, expected, [](std::string_view t) { return std::string(t); },
      [allow_empty, allowed, expected](const std::string& v) -> std::optional<std::string> {
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
          return "must be " + expected;
        }
        if (!allow_empty && v.empty()) return std::string("must not be empty");
        return std::nullopt;
      },
      [](const std::string& v) { return v; });
}

template <typename S>
Field SeverityField(std::string section, std::string key, Ref<S, Severity> ref) {
  return MakeScalar<S, Severity>(
      std::move(section), std::move(key), ref, "one of info warning critical",
      [](std::string_view t) { return ParseSeverity(Lower(Trim(t))); },
      [](const Severity&) -> std::optional<std::string> { return std::nullopt; },
      [](const Severity& v) { return std::string(SeverityName(v)); });
}

std::optional<int64_t> ParseDurationText(std::string_view t) {
  auto r = ParseDuration(Trim(t));
  if (!r.ok()) return std::nullopt;
  return *r;
}

std::function<std::optional<std::string>(const int64_t&)> DurationRange(int64_t lo, int64_t hi) {
  return [lo, hi](const int64_t& v) -> std::optional<std::string> {
    if (v < lo || v > hi) return "must be between " + FormatDurationConfig(lo) + " and " + FormatDurationConfig(hi);
    return std::nullopt;
  };
}

constexpr const char* kDurationExpected = "a duration such as 500ms, 30s, 10m, 1h, 7d (or seconds)";

template <typename S>
Field DurationField(std::string section, std::string key, Ref<S, int64_t> ref, int64_t lo, int64_t hi) {
  return MakeScalar<S, int64_t>(std::move(section), std::move(key), ref, kDurationExpected, ParseDurationText,
                                DurationRange(lo, hi), [](const int64_t& v) { return FormatDurationConfig(v); });
}

template <typename S>
Field SizeField(std::string section, std::string key, Ref<S, uint64_t> ref, uint64_t lo, uint64_t hi) {
  return MakeScalar<S, uint64_t>(
      std::move(section), std::move(key), ref, "a size such as 8MiB, 512KiB or a number of bytes",
      [](std::string_view t) -> std::optional<uint64_t> {
        auto r = ParseSize(t);
        if (!r.ok()) return std::nullopt;
        return *r;
      },
      [lo, hi](const uint64_t& v) -> std::optional<std::string> {
        if (v < lo || v > hi) return "must be between " + FormatSizeConfig(lo) + " and " + FormatSizeConfig(hi);
        return std::nullopt;
      },
      [](const uint64_t& v) { return FormatSizeConfig(v); });
}

template <typename S>
Field DurationListField(std::string section, std::string key, Ref<S, std::vector<int64_t>> ref, size_t max_items,
                        int64_t lo, int64_t hi) {
  Field f;
  f.section = std::move(section);
  f.key = std::move(key);
  f.is_list = true;
  auto check_one = DurationRange(lo, hi);
  auto check = [check_one, max_items](const std::vector<int64_t>& v) -> std::optional<std::string> {
    if (v.empty() || v.size() > max_items) return "must list 1.." + std::to_string(max_items) + " durations";
    for (int64_t d : v) {
      if (auto err = check_one(d)) return "each " + *err;
    }
    return std::nullopt;
  };
  f.check = [ref, check](const Config& c) { return check(ref(c)); };
  f.set_list = [ref, check, check_one](const std::vector<std::string>& items, Config& c) -> std::optional<std::string> {
    std::vector<int64_t> out;
    for (const auto& item : items) {
      auto d = ParseDurationText(item);
      if (!d) return std::string("expected ") + kDurationExpected + ", got " + Quote(item);
      if (auto err = check_one(*d)) return *err + ", got " + Quote(item);
      out.push_back(*d);
    }
    if (auto err = check(out)) return err;
    ref(c) = std::move(out);
    return std::nullopt;
  };
  f.items = [ref](const Config& c) {
    std::vector<std::string> out;
    for (int64_t d : ref(c)) out.push_back(FormatDurationConfig(d));
    return out;
  };
  return f;
}

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = [] {
    using C = Config;
    std::vector<Field> f;
    // server
    f.push_back(StringField<ServerOptions>("server", "listen", {&C::server, &ServerOptions::listen}, false));
    f.push_back(IntFieldChecked<ServerOptions>("server", "port", {&C::server, &ServerOptions::port}, 0, 65535));
    f.push_back(SizeField<ServerOptions>("server", "max_body_bytes", {&C::server, &ServerOptions::max_body_bytes},
                                         1024, 1024 * kMiB));
    f.push_back(IntFieldChecked<ServerOptions>("server", "threads", {&C::server, &ServerOptions::threads}, 1, 256));
    f.push_back(StringField<ServerOptions>("server", "dashboard_dir", {&C::server, &ServerOptions::dashboard_dir}, true));
    // storage
    f.push_back(StringField<StorageOptions>("storage", "data_dir", {&C::storage, &StorageOptions::data_dir}, false));
    f.push_back(StringField<StorageOptions>("storage", "fsync", {&C::storage, &StorageOptions::fsync}, false,
                                            {"batch", "interval"}));
    f.push_back(IntField<StorageOptions, int64_t>("storage", "fsync_interval_ms",
                                                  {&C::storage, &StorageOptions::fsync_interval_ms}, 1, 60'000));
    f.push_back(DurationField<StorageOptions>("storage", "retention", {&C::storage, &StorageOptions::retention_ns},
                                              kSecondNs, 3650 * kDayNs));
    f.push_back(BoolField<StorageOptions>("storage", "rollups", {&C::storage, &StorageOptions::rollups}));
    f.push_back(UintField<StorageOptions>("storage", "max_series", {&C::storage, &StorageOptions::max_series}, 1,
                                          1'000'000'000));
    // collector
    f.push_back(DurationField<CollectorOptions>("collector", "interval", {&C::collector, &CollectorOptions::interval_ns},
                                                10 * kNanosPerMilli, kHourNs));
    f.push_back(BoolField<CollectorOptions>("collector", "host", {&C::collector, &CollectorOptions::host}));
    f.push_back(StringField<CollectorOptions>("collector", "proc_root", {&C::collector, &CollectorOptions::proc_root}, false));
    f.push_back(StringField<CollectorOptions>("collector", "sys_root", {&C::collector, &CollectorOptions::sys_root}, false));
    // simulator
    f.push_back(IntFieldChecked<SimulatorOptions>("simulator", "hosts", {&C::simulator, &SimulatorOptions::hosts}, 0,
                                                  100'000));
    f.push_back(UintField<SimulatorOptions>("simulator", "seed", {&C::simulator, &SimulatorOptions::seed}, 0,
                                            std::numeric_limits<uint64_t>::max()));
    f.push_back(DoubleField<SimulatorOptions>("simulator", "scenarios_per_hour",
                                              {&C::simulator, &SimulatorOptions::scenarios_per_hour}, 0, 3600, false));
    f.push_back(DurationField<SimulatorOptions>("simulator", "backfill", {&C::simulator, &SimulatorOptions::backfill_ns},
                                                0, 30 * kDayNs));
    // features
    f.push_back(DurationListField<FeatureOptions>("features", "windows", {&C::features, &FeatureOptions::windows_ns},
                                                  16, kSecondNs, 7 * kDayNs));
    f.push_back(DurationField<FeatureOptions>("features", "ewma_half_life",
                                              {&C::features, &FeatureOptions::ewma_half_life_ns}, kNanosPerMilli,
                                              7 * kDayNs));
    // detector
    f.push_back(DurationField<DetectorOptions>("detector", "warmup", {&C::detector, &DetectorOptions::warmup_ns}, 0,
                                               7 * kDayNs));
    f.push_back(DurationField<DetectorOptions>("detector", "retrain_interval",
                                               {&C::detector, &DetectorOptions::retrain_interval_ns}, kSecondNs,
                                               30 * kDayNs));
    f.push_back(DurationField<DetectorOptions>("detector", "training_window",
                                               {&C::detector, &DetectorOptions::training_window_ns}, kMinuteNs,
                                               90 * kDayNs));
    f.push_back(IntFieldChecked<DetectorOptions>("detector", "trees", {&C::detector, &DetectorOptions::trees}, 1, 10'000));
    f.push_back(IntFieldChecked<DetectorOptions>("detector", "sample_size", {&C::detector, &DetectorOptions::sample_size},
                                                 2, 1'000'000));
    f.push_back(UintField<DetectorOptions>("detector", "seed", {&C::detector, &DetectorOptions::seed}, 0,
                                           std::numeric_limits<uint64_t>::max()));
    f.push_back(DoubleField<DetectorOptions>("detector", "warning_quantile",
                                             {&C::detector, &DetectorOptions::warning_quantile}, 0, 1, true));
    f.push_back(DoubleField<DetectorOptions>("detector", "critical_quantile",
                                             {&C::detector, &DetectorOptions::critical_quantile}, 0, 1, true));
    f.push_back(UintField<DetectorOptions>("detector", "max_pushed_series",
                                           {&C::detector, &DetectorOptions::max_pushed_series}, 0, 1024));
    // alerting
    f.push_back(DoubleField<AlertingOptions>("alerting", "score_threshold",
                                             {&C::alerting, &AlertingOptions::score_threshold}, 0, 1, false));
    f.push_back(DurationField<AlertingOptions>("alerting", "cooldown", {&C::alerting, &AlertingOptions::cooldown_ns}, 0,
                                               7 * kDayNs));
    f.push_back(SeverityField<AlertingOptions>("alerting", "min_severity", {&C::alerting, &AlertingOptions::min_severity}));
    f.push_back(BoolField<AlertingOptions>("alerting", "console", {&C::alerting, &AlertingOptions::console}));
    f.push_back(StringField<AlertingOptions>("alerting", "console_format",
                                             {&C::alerting, &AlertingOptions::console_format}, false, {"logfmt", "json"}));
    // forecast
    f.push_back(BoolField<ForecastOptions>("forecast", "enabled", {&C::forecast, &ForecastOptions::enabled}));
    f.push_back(DurationField<ForecastOptions>("forecast", "interval", {&C::forecast, &ForecastOptions::interval_ns},
                                               kSecondNs, kDayNs));
    f.push_back(DurationField<ForecastOptions>("forecast", "horizon", {&C::forecast, &ForecastOptions::horizon_ns},
                                               kMinuteNs, 90 * kDayNs));
    f.push_back(DurationField<ForecastOptions>("forecast", "history", {&C::forecast, &ForecastOptions::history_ns},
                                               10 * kMinuteNs, 365 * kDayNs));
    f.push_back(DurationField<ForecastOptions>("forecast", "step", {&C::forecast, &ForecastOptions::step_ns}, kSecondNs,
                                               kDayNs));
    f.push_back(BoolField<ForecastOptions>("forecast", "host_limits", {&C::forecast, &ForecastOptions::host_limits}));
    f.push_back(DurationField<ForecastOptions>("forecast", "critical_eta",
                                               {&C::forecast, &ForecastOptions::critical_eta_ns}, 0, 365 * kDayNs));
    f.push_back(DoubleField<ForecastOptions>("forecast", "critical_probability",
                                             {&C::forecast, &ForecastOptions::critical_probability}, 0, 1, false));
    f.push_back(DurationField<ForecastOptions>("forecast", "warning_eta", {&C::forecast, &ForecastOptions::warning_eta_ns},
                                               0, 365 * kDayNs));
    f.push_back(DoubleField<ForecastOptions>("forecast", "warning_probability",
                                             {&C::forecast, &ForecastOptions::warning_probability}, 0, 1, false));
    f.push_back(DoubleField<ForecastOptions>("forecast", "min_probability",
                                             {&C::forecast, &ForecastOptions::min_probability}, 0, 1, false));
    f.push_back(StringField<ForecastOptions>("forecast", "actions_file", {&C::forecast, &ForecastOptions::actions_file},
                                             true));
    // ingest
    f.push_back(SizeField<IngestOptions>("ingest", "max_line_bytes", {&C::ingest, &IngestOptions::max_line_bytes}, 64,
                                         16 * kMiB));
    f.push_back(UintField<IngestOptions>("ingest", "max_labels_per_series",
                                         {&C::ingest, &IngestOptions::max_labels_per_series}, 2, kMaxLabels));
    f.push_back(SizeField<IngestOptions>("ingest", "max_label_value_bytes",
                                         {&C::ingest, &IngestOptions::max_label_value_bytes}, 1, kMiB));
    f.push_back(UintField<IngestOptions>("ingest", "max_series", {&C::ingest, &IngestOptions::max_series}, 1,
                                         1'000'000'000));
    f.push_back(UintField<IngestOptions>("ingest", "otlp_max_exponential_buckets",
                                         {&C::ingest, &IngestOptions::otlp_max_exponential_buckets}, 1, 1024));
    f.push_back(StringField<IngestOptions>("ingest", "syslog_listen", {&C::ingest, &IngestOptions::syslog_listen}, true));
    // logging
    f.push_back(StringField<LoggingOptions>("logging", "level", {&C::logging, &LoggingOptions::level}, false,
                                            {"trace", "debug", "info", "warn", "error", "critical", "off"}));
    return f;
  }();
  return fields;
}

std::vector<std::string> Sections() {
  std::vector<std::string> out;
  for (const auto& f : Fields()) {
    if (out.empty() || out.back() != f.section) out.push_back(f.section);
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> KeysOf(const std::string& section) {
  std::vector<std::string> out;
  for (const auto& f : Fields()) {
    if (f.section == section) out.push_back(f.key);
  }
  return out;
}

const Field* FindField(std::string_view section, std::string_view key) {
  for (const auto& f : Fields()) {
    if (f.section == section && f.key == key) return &f;
  }
  return nullptr;
}

std::string EnvName(const Field& f) { return "FORESIGHT_" + Upper(f.section) + "_" + Upper(f.key); }

// Cross-field rules; returns (field path the error belongs to, reason).
std::optional<std::pair<std::string, std::string>> CrossCheck(const Config& c) {
  if (c.detector.critical_quantile <= c.detector.warning_quantile) {
    return std::make_pair(std::string("detector.critical_quantile"),
                          "must be greater than detector.warning_quantile (" + FormatDouble(c.detector.warning_quantile) +
                              "), got " + FormatDouble(c.detector.critical_quantile));
  }
  return std::nullopt;
}

// ---- YAML ----

std::string Where(std::string_view source, const YAML::Mark& mark) {
  if (mark.is_null()) return std::string(source);
  return std::string(source) + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string NodeKind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    default: return "a scalar";
  }
}

// scrape_configs: a sequence of jobs in Prometheus' shape (see ScrapeConfig in config.h).
Status ParseScrapeConfigs(const YAML::Node& node, std::string_view source, std::vector<ScrapeConfig>* out) {
  auto bad = [&](const YAML::Node& at, const std::string& why) {
    return Status::InvalidArgument(Where(source, at.Mark()), "scrape_configs: " + why);
  };
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) return bad(node, "must be a list of jobs, got " + NodeKind(node));
  std::set<std::string> jobs;
  for (const auto& job : node) {
    if (!job.IsMap()) return bad(job, "each job must be a mapping, got " + NodeKind(job));
    ScrapeConfig sc;
    for (const auto& kv : job) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      auto scalar = [&]() -> Result<std::string> {
        if (!v.IsScalar()) return bad(v, Quote(key) + " must be a scalar");
        return v.Scalar();
      };
      if (key == "job_name") {
        FS_ASSIGN_OR_RETURN(sc.job_name, scalar());
      } else if (key == "scrape_interval" || key == "scrape_timeout") {
        FS_ASSIGN_OR_RETURN(std::string text, scalar());
        auto d = ParseDuration(text);
        if (!d.ok() || *d <= 0) return bad(v, Quote(key) + ": invalid duration " + Quote(text));
        (key == "scrape_interval" ? sc.interval_ns : sc.timeout_ns) = *d;
      } else if (key == "metrics_path") {
        FS_ASSIGN_OR_RETURN(sc.metrics_path, scalar());
        if (sc.metrics_path.empty() || sc.metrics_path[0] != '/') return bad(v, "metrics_path must start with '/'");
      } else if (key == "scheme") {
        FS_ASSIGN_OR_RETURN(sc.scheme, scalar());
        if (sc.scheme != "http" && sc.scheme != "https") return bad(v, "scheme must be http or https");
      } else if (key == "static_configs") {
        if (!v.IsSequence()) return bad(v, "static_configs must be a list");
        for (const auto& st : v) {
          if (!st.IsMap()) return bad(st, "each static_config must be a mapping");
          ScrapeConfig::StaticConfig cfg;
          for (const auto& skv : st) {
            const std::string skey = skv.first.Scalar();
            if (skey == "targets") {
              if (!skv.second.IsSequence()) return bad(skv.second, "targets must be a list of host:port");
              for (const auto& t : skv.second) {
                if (!t.IsScalar() || t.Scalar().empty()) return bad(t, "each target must be host:port");
                cfg.targets.push_back(t.Scalar());
              }
            } else if (skey == "labels") {
              if (!skv.second.IsMap()) return bad(skv.second, "labels must be a mapping");
              for (const auto& l : skv.second) cfg.labels[l.first.Scalar()] = l.second.Scalar();
            } else {
              return bad(skv.first, "unknown key " + Quote(skey) + " in static_configs (known: targets, labels)");
            }
          }
          sc.static_configs.push_back(std::move(cfg));
        }
      } else {
        return bad(kv.first, "unknown key " + Quote(key) +
                                 " (known: job_name, scrape_interval, scrape_timeout, metrics_path, scheme, static_configs)");
      }
    }
    if (sc.job_name.empty()) return bad(job, "job_name is required");
    if (!jobs.insert(sc.job_name).second) return bad(job, "duplicate job_name " + Quote(sc.job_name));
    if (sc.timeout_ns > sc.interval_ns) return bad(job, "scrape_timeout must not exceed scrape_interval");
    out->push_back(std::move(sc));
  }
  return Status::Ok();
}

// limits: a sequence of {name, selector, threshold | threshold_metric, direction, counter} (LimitConfig).
Status ParseLimits(const YAML::Node& node, std::string_view source, std::vector<LimitConfig>* out) {
  auto bad = [&](const YAML::Node& at, const std::string& why) {
    return Status::InvalidArgument(Where(source, at.Mark()), "limits: " + why);
  };
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) return bad(node, "must be a list of limits, got " + NodeKind(node));
  for (const auto& item : node) {
    if (!item.IsMap()) return bad(item, "each limit must be a mapping, got " + NodeKind(item));
    LimitConfig l;
    for (const auto& kv : item) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (!v.IsScalar()) return bad(v, Quote(key) + " must be a scalar");
      const std::string text = v.Scalar();
      if (key == "name") {
        l.name = text;
      } else if (key == "selector") {
        l.selector = text;
      } else if (key == "threshold") {
        auto d = ParseDouble(text);
        if (!d) return bad(v, "threshold must be a number, got " + Quote(text));
        l.threshold = *d;
      } else if (key == "threshold_metric") {
        l.threshold_metric = text;
      } else if (key == "direction") {
        if (text != "above" && text != "below") return bad(v, "direction must be above or below, got " + Quote(text));
        l.direction = text;
      } else if (key == "counter") {
        auto b = ParseBool(text);
        if (!b) return bad(v, "counter must be true or false, got " + Quote(text));
        l.counter = *b;
      } else {
        return bad(kv.first, "unknown key " + Quote(key) +
                                 " (known: name, selector, threshold, threshold_metric, direction, counter)");
      }
    }
    if (l.selector.empty()) return bad(item, "selector is required");
    if (l.threshold.has_value() == !l.threshold_metric.empty()) {
      return bad(item, "give exactly one of threshold or threshold_metric");
    }
    if (l.name.empty()) l.name = l.selector;
    out->push_back(std::move(l));
  }
  return Status::Ok();
}

Result<Config> ParseYaml(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Where(source, e.mark), e.msg);
  }
  Config c;
  if (!root.IsDefined() || root.IsNull()) return c;
  if (!root.IsMap()) {
    return Status::InvalidArgument(Where(source, root.Mark()),
                                   "expected a mapping of sections (" + Join(Sections(), ", ") + "), got " + NodeKind(root));
  }
  const std::vector<std::string> sections = Sections();
  std::map<std::string, YAML::Mark> marks;  // field path -> where its value was
  std::set<std::string> seen_sections;
  for (const auto& sec : root) {
    const YAML::Node& sk = sec.first;
    const YAML::Node& sv = sec.second;
    if (!sk.IsScalar()) return Status::InvalidArgument(Where(source, sk.Mark()), "section names must be scalars");
    const std::string section = sk.Scalar();
    if (section == "scrape_configs" || section == "limits") {
      if (!seen_sections.insert(section).second) {
        return Status::InvalidArgument(Where(source, sk.Mark()), "duplicate section " + Quote(section));
      }
      if (section == "limits") {
        FS_RETURN_IF_ERROR(ParseLimits(sv, source, &c.limits));
      } else {
        FS_RETURN_IF_ERROR(ParseScrapeConfigs(sv, source, &c.scrape_configs));
      }
      continue;
    }
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
      return Status::InvalidArgument(Where(source, sk.Mark()), "unknown section " + Quote(section) + " (known: " +
                                                                   Join(sections, ", ") + ")");
    }
    if (!seen_sections.insert(section).second) {
      return Status::InvalidArgument(Where(source, sk.Mark()), "duplicate section " + Quote(section));
    }
    if (sv.IsNull()) continue;  // "server:" with nothing under it: all defaults
    if (!sv.IsMap()) {
      return Status::InvalidArgument(Where(source, sv.Mark()),
                                     "section " + Quote(section) + " must be a mapping of keys, got " + NodeKind(sv));
    }
    std::set<std::string> seen_keys;
    for (const auto& kv : sv) {
      const YAML::Node& k = kv.first;
      const YAML::Node& v = kv.second;
      if (!k.IsScalar()) return Status::InvalidArgument(Where(source, k.Mark()), "keys must be scalars");
      const std::string key = k.Scalar();
      const Field* field = FindField(section, key);
      if (!field) {
        return Status::InvalidArgument(Where(source, k.Mark()), "unknown key " + Quote(key) + " in section " +
                                                                    Quote(section) + " (known: " +
                                                                    Join(KeysOf(section), ", ") + ")");
      }
      if (!seen_keys.insert(key).second) {
        return Status::InvalidArgument(Where(source, k.Mark()), "duplicate key " + Quote(section + "." + key));
      }
      const YAML::Mark at = v.IsNull() ? k.Mark() : v.Mark();
      std::optional<std::string> err;
      if (field->is_list) {
        std::vector<std::string> items;
        if (v.IsSequence()) {
          for (const auto& item : v) {
            if (!item.IsScalar()) {
              return Status::InvalidArgument(Where(source, item.Mark()), field->path(),
                                             "list items must be scalars, got " + NodeKind(item));
            }
            items.push_back(item.Scalar());
          }
        } else if (v.IsScalar()) {  // "1m,5m" is accepted as in the environment
          std::string_view s = v.Scalar();
          size_t start = 0;
          while (start <= s.size()) {
            size_t comma = s.find(',', start);
            if (comma == std::string_view::npos) comma = s.size();
            items.emplace_back(Trim(s.substr(start, comma - start)));
            start = comma + 1;
          }
        } else {
          return Status::InvalidArgument(Where(source, at), field->path(), "expected a list, got " + NodeKind(v));
        }
        err = field->set_list(items, c);
      } else {
        if (v.IsNull()) {
          // "dashboard_dir:" (or ~) means empty; fields that cannot be empty say what they expected.
          err = field->set("", c);
        } else if (!v.IsScalar()) {
          return Status::InvalidArgument(Where(source, at), field->path(), "expected a scalar, got " + NodeKind(v));
        } else {
          err = field->set(v.Scalar(), c);
        }
      }
      if (err) return Status::InvalidArgument(Where(source, at), field->path(), *err);
      marks[field->path()] = at;
    }
  }
  if (auto cross = CrossCheck(c)) {
    auto it = marks.find(cross->first);
    return Status::InvalidArgument(it == marks.end() ? std::string(source) : Where(source, it->second), cross->first,
                                   cross->second);
  }
  return c;
}

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    out.emplace_back(Trim(s.substr(start, comma - start)));
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<Config> ParseConfig(std::string_view yaml, std::string_view source_name) {
  try {
    return ParseYaml(yaml, source_name);
  } catch (const YAML::Exception& e) {  // yaml-cpp throws from node access too; never let it escape
    return Status::InvalidArgument(Where(source_name, e.mark), e.msg);
  }
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("config file", path);
  if (std::filesystem::is_directory(path, ec)) return Status::FailedPrecondition("config file", path, "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FailedPrecondition("config file", path, "cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::FailedPrecondition("config file", path, "read error");
  return ParseConfig(text.str(), path);
}

Status ApplyEnv(Config& config, const std::map<std::string, std::string>& env) {
  constexpr std::string_view kPrefix = "FORESIGHT_";
  const std::vector<std::string> sections = Sections();
  for (const auto& [name, value] : env) {
    if (!name.starts_with(kPrefix)) continue;
    std::string_view rest = std::string_view(name).substr(kPrefix.size());
    const std::string* section = nullptr;
    for (const auto& s : sections) {
      std::string p = Upper(s) + "_";
      if (rest.starts_with(p)) section = &s;
    }
    if (!section) continue;  // FORESIGHT_CONFIG and friends belong to app/
    const std::string key_upper(rest.substr(section->size() + 1));
    const Field* field = nullptr;
    for (const auto& f : Fields()) {
      if (f.section == *section && Upper(f.key) == key_upper) field = &f;
    }
    if (!field) {
      std::vector<std::string> names;
      for (const auto& k : KeysOf(*section)) names.push_back("FORESIGHT_" + Upper(*section) + "_" + Upper(k));
      return Status::InvalidArgument(name, "unknown setting in section " + Quote(*section) + " (known: " +
                                               Join(names, ", ") + ")");
    }
    std::optional<std::string> err = field->is_list ? field->set_list(SplitList(value), config)
                                                    : field->set(value, config);
    if (err) return Status::InvalidArgument(name, *err);
  }
  if (auto cross = CrossCheck(config)) return Status::InvalidArgument("environment", cross->first, cross->second);
  return Status::Ok();
}

std::map<std::string, std::string> ProcessEnv() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("FORESIGHT_")) continue;
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env) {
  Config c;
  if (!path.empty()) {
    FS_ASSIGN_OR_RETURN(c, LoadConfigFile(path));
  }
  FS_RETURN_IF_ERROR(ApplyEnv(c, env));
  FS_RETURN_IF_ERROR(Validate(c));
  return c;
}

Status Validate(const Config& config) {
  for (const auto& f : Fields()) {
    if (auto err = f.check(config)) {
      std::string shown = f.is_list ? "[" + Join(f.items(config), ", ") + "]" : f.text(config);
      return Status::InvalidArgument(f.path(), *err + ", got " + Quote(shown));
    }
  }
  if (auto cross = CrossCheck(config)) return Status::InvalidArgument(cross->first, cross->second);
  return Status::Ok();
}

std::string DumpConfig(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string section;
  for (const auto& f : Fields()) {
    if (f.section != section) {
      if (!section.empty()) out << YAML::EndMap;
      section = f.section;
      out << YAML::Key << section << YAML::Value << YAML::BeginMap;
    }
    out << YAML::Key << f.key << YAML::Value;
    if (f.is_list) {
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& item : f.items(config)) out << item;
      out << YAML::EndSeq;
    } else {
      out << f.text(config);  // the parser reads every scalar as text, so no YAML typing surprises
    }
  }
  if (!section.empty()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<KeyInfo> ListKeys() {
  const Config defaults;
  std::vector<KeyInfo> out;
  for (const auto& f : Fields()) {
    std::string def = f.is_list ? "[" + Join(f.items(defaults), ", ") + "]" : f.text(defaults);
    out.push_back({f.section, f.key, EnvName(f), def});
  }
  return out;
}

std::string FormatDurationConfig(int64_t ns) {
  if (ns == 0) return "0s";
  if (ns < 0) return "-" + FormatDurationConfig(-ns);
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {kDayNs, "d"}, {kHourNs, "h"}, {kMinuteNs, "m"}, {kSecondNs, "s"}, {kNanosPerMilli, "ms"}, {1000, "us"}, {1, "ns"}};
  for (const auto& [unit, name] : kUnits) {
    if (ns % unit == 0) return std::to_string(ns / unit) + name;
  }
  return std::to_string(ns) + "ns";
}

std::string FormatSizeConfig(uint64_t bytes) {
  if (bytes == 0) return "0";
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {1ULL << 40, "TiB"}, {1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}};
  for (const auto& [unit, name] : kUnits) {
    if (bytes % unit == 0) return std::to_string(bytes / unit) + name;
  }
  return std::to_string(bytes);
}

Result<uint64_t> ParseSize(std::string_view text) {
  auto bad = [&] { return Status::InvalidArgument("invalid size (use e.g. 8MiB, 512KiB, 1GB or bytes)", Quote(text)); };
  std::string_view s = Trim(text);
  size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  if (i == 0) return bad();
  auto number = ParseDouble(s.substr(0, i));
  if (!number || *number < 0) return bad();
  const std::string unit = Lower(Trim(s.substr(i)));
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},          {"b", 1},
      {"kb", 1e3},      {"mb", 1e6},          {"gb", 1e9},          {"tb", 1e12},
      {"kib", 1024.0},  {"mib", 1048576.0},   {"gib", 1073741824.0}, {"tib", 1099511627776.0},
  };
  for (const auto& [name, mult] : kUnits) {
    if (unit == name) {
      double bytes = *number * mult;
      if (bytes > 9e18) return bad();
      if (unit.empty() || unit == "b") {
        if (s.substr(0, i).find('.') != std::string_view::npos) return bad();  // fractional bytes
      }
      return static_cast<uint64_t>(std::llround(bytes));
    }
  }
  return bad();
}

}  // namespace foresight::config

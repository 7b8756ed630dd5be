#include "ingest/otlp.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "ingest/otlp_exponential.h"
#include "proto/google/rpc/status.pb.h"
#include "proto/opentelemetry/logs.pb.h"
#include "proto/opentelemetry/metrics.pb.h"

namespace foresight::ingest {
namespace {

namespace otc = opentelemetry::proto::common::v1;
namespace otm = opentelemetry::proto::metrics::v1;
namespace otl = opentelemetry::proto::logs::v1;
using nlohmann::json;

constexpr int kMaxAnyValueDepth = 32;

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, p);
}

std::string Base64(std::string_view in) {
  static constexpr char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlpha[n >> 18];
    out += kAlpha[(n >> 12) & 63];
    out += kAlpha[(n >> 6) & 63];
    out += kAlpha[n & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += kAlpha[n >> 18];
    out += kAlpha[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlpha[n >> 18];
    out += kAlpha[(n >> 12) & 63];
    out += kAlpha[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// AnyValue as a label value or log message: scalars as text, arrays and maps as JSON text.
json AnyToJson(const otc::AnyValue& v, int depth);
std::string AnyToString(const otc::AnyValue& v) {
  switch (v.value_case()) {
    case otc::AnyValue::kStringValue: return v.string_value();
    case otc::AnyValue::kBoolValue: return v.bool_value() ? "true" : "false";
    case otc::AnyValue::kIntValue: return std::to_string(v.int_value());
    case otc::AnyValue::kDoubleValue: return FormatDouble(v.double_value());
    case otc::AnyValue::kBytesValue: return Base64(v.bytes_value());
    case otc::AnyValue::kArrayValue:
    case otc::AnyValue::kKvlistValue:
      return AnyToJson(v, 0).dump(-1, ' ', false, json::error_handler_t::replace);
    case otc::AnyValue::VALUE_NOT_SET: return "";
  }
  return "";
}
json AnyToJson(const otc::AnyValue& v, int depth) {
  if (depth > kMaxAnyValueDepth) return "...";
  switch (v.value_case()) {
    case otc::AnyValue::kArrayValue: {
      json a = json::array();
      for (const auto& e : v.array_value().values()) a.push_back(AnyToJson(e, depth + 1));
      return a;
    }
    case otc::AnyValue::kKvlistValue: {
      json o = json::object();
      for (const auto& kv : v.kvlist_value().values()) o[kv.key()] = AnyToJson(kv.value(), depth + 1);
      return o;
    }
    case otc::AnyValue::kBoolValue: return v.bool_value();
    case otc::AnyValue::kIntValue: return v.int_value();
    case otc::AnyValue::kDoubleValue:
      if (std::isfinite(v.double_value())) return v.double_value();
      return FormatDouble(v.double_value());
    default: return AnyToString(v);
  }
}

// `s` with each byte that does not start a valid UTF-8 sequence replaced by U+FFFD: proto3 string fields
// must be UTF-8 (a client's parser rejects the whole message otherwise), and error texts may quote input.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    }
    bool ok = n > 0 && i + n < s.size();
    for (size_t k = 1; ok && k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // No overlong forms, surrogates or code points past U+10FFFF.
    if (ok && ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))) {
      ok = false;
    }
    if (ok) {
      out.append(s.substr(i, n + 1));
      i += n + 1;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

// The labels every point of one resource starts from, and its entity.
struct ResourceLabels {
  std::vector<Label> labels;
  std::string entity;
};

ResourceLabels FromResource(const google::protobuf::RepeatedPtrField<otc::KeyValue>& attrs) {
  ResourceLabels r;
  std::string host, service;
  for (const auto& kv : attrs) {
    if (kv.key().rfind("telemetry.sdk.", 0) == 0) continue;
    std::string value = AnyToString(kv.value());
    if (kv.key() == "host.name") host = value;
    if (kv.key() == "service.name") service = value;
    r.labels.push_back({SanitizeOtlpLabelName(kv.key()), std::move(value)});
  }
  r.entity = !host.empty() ? host : service;
  return r;
}

class MetricsMapper {
 public:
  MetricsMapper(const OtlpOptions& options, std::vector<LabeledSample>* out, OtlpResult* result,
                OtlpDeltaAccumulator::Batch* delta)
      : options_(options), out_(out), result_(result), delta_(delta) {}

  void Map(const otm::ExportMetricsServiceRequest& req) {
    for (const auto& rm : req.resource_metrics()) {
      ResourceLabels res = FromResource(rm.resource().attributes());
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) MapMetric(res, m);
      }
    }
  }

 private:
  void Reject(const otm::Metric& m, size_t point, const std::string& cause) {
    ++result_->rejected;
    if (!result_->first_error) {
      result_->first_error = "metric " + Quoted(m.name()) + " point " + std::to_string(point + 1) + ": " + cause;
    }
  }

  // Builds the point's base labels (without __name__) into base_; returns the cause when the point is bad.
  std::optional<std::string> PointLabels(const ResourceLabels& res,
                                         const google::protobuf::RepeatedPtrField<otc::KeyValue>& attrs,
                                         size_t extra) {
    std::vector<Label> pairs = res.labels;
    for (const auto& kv : attrs) pairs.push_back({SanitizeOtlpLabelName(kv.key()), AnyToString(kv.value())});
    if (!res.entity.empty()) pairs.push_back({std::string(kEntityLabel), res.entity});
    for (const auto& l : pairs) {
      if (l.name == kMetricNameLabel) return "attribute " + Quoted(l.name) + " is reserved";
      if (l.value.size() > options_.max_label_value_bytes) {
        return "attribute " + Quoted(l.name) + " value of " + std::to_string(l.value.size()) +
               " bytes exceeds the limit of " + std::to_string(options_.max_label_value_bytes) +
               " bytes (ingest.max_label_value_bytes)";
      }
    }
    base_ = Labels(std::move(pairs));  // later duplicates (point attributes, entity) win
    if (base_.size() + 1 + extra > options_.max_labels) {
      return std::to_string(base_.size() + 1 + extra) + " labels exceed the limit of " +
             std::to_string(options_.max_labels) + " labels per series (ingest.max_labels_per_series)";
    }
    return std::nullopt;
  }

  std::optional<TimestampNs> Time(uint64_t t) const {
    if (t == 0) return options_.default_ts;
    if (t > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<TimestampNs>(t);
  }
  // A data point's labels (PointLabels, with `extra` labels to come) and time; nullopt once the point is
  // rejected for either, named by its metric and index.
  template <typename Point>
  std::optional<TimestampNs> PointStart(const ResourceLabels& res, const otm::Metric& m, int i, const Point& p,
                                        size_t extra) {
    if (auto bad = PointLabels(res, p.attributes(), extra)) {
      Reject(m, i, *bad);
      return std::nullopt;
    }
    auto ts = Time(p.time_unix_nano());
    if (!ts) Reject(m, i, "time_unix_nano " + std::to_string(p.time_unix_nano()) + " out of range");
    return ts;
  }


  void Emit(const std::string& name, TimestampNs ts, double value, std::string_view extra_name = {},
            std::string_view extra_value = {}) {
    LabeledSample s;
    s.labels = base_;
    s.labels.Set(kMetricNameLabel, name);
    if (!extra_name.empty()) s.labels.Set(extra_name, extra_value);
    s.ts_ns = ts;
    s.value = value;
    out_->push_back(std::move(s));
    ++result_->samples;
  }

  // The running cumulative value of a DELTA point (false: the point is a duplicate or late, rejected).
  // Without an accumulator (delta_ == nullptr) the point is kept as sent.
  bool Accumulate(const otm::Metric& m, int i, const std::string& name, uint64_t start_ns, TimestampNs ts,
                  OtlpDeltaAccumulator::Value* value) {
    if (delta_ == nullptr) return true;
    OtlpDeltaAccumulator::Value cumulative;
    DeltaOutcome outcome = delta_->Add(name + base_.ToString(), start_ns, static_cast<uint64_t>(ts), *value, &cumulative);
    if (outcome == DeltaOutcome::kDropped) {
      Reject(m, static_cast<size_t>(i), "delta point ending at " + std::to_string(ts) +
                                            " ns does not come after the series' last point (a duplicate or late point)");
      return false;
    }
    if (outcome == DeltaOutcome::kReset) ++result_->delta_resets;
    *value = std::move(cumulative);
    return true;
  }

  void MapNumberPoints(const ResourceLabels& res, const otm::Metric& m,
                       const google::protobuf::RepeatedPtrField<otm::NumberDataPoint>& points, const std::string& name,
                       bool delta = false) {
    for (int i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      auto ts = PointStart(res, m, i, p, 0);
      if (!ts) continue;
      double v = 0;
      switch (p.value_case()) {
        case otm::NumberDataPoint::kAsDouble: v = p.as_double(); break;
        case otm::NumberDataPoint::kAsInt: v = static_cast<double>(p.as_int()); break;
        default:
          Reject(m, i, "data point has no value (as_double or as_int)");
          continue;
      }
      if (delta) {
        OtlpDeltaAccumulator::Value value = v;
        if (!Accumulate(m, i, name, p.start_time_unix_nano(), *ts, &value)) continue;
        v = std::get<double>(value);
      }
      Emit(name, *ts, v);
      ++result_->points;
    }
  }

  void MapMetric(const ResourceLabels& res, const otm::Metric& m) {
    std::string name = SanitizeOtlpMetricName(m.name());
    if (name.empty()) {
      size_t n = 0;
      switch (m.data_case()) {
        case otm::Metric::kGauge: n = m.gauge().data_points_size(); break;
        case otm::Metric::kSum: n = m.sum().data_points_size(); break;
        case otm::Metric::kHistogram: n = m.histogram().data_points_size(); break;
        case otm::Metric::kSummary: n = m.summary().data_points_size(); break;
        case otm::Metric::kExponentialHistogram: n = m.exponential_histogram().data_points_size(); break;
        default: break;
      }
      for (size_t i = 0; i < std::max<size_t>(n, 1); ++i) Reject(m, i, "metric has no name");
      return;
    }
    switch (m.data_case()) {
      case otm::Metric::kGauge:
        MapNumberPoints(res, m, m.gauge().data_points(), name);
        break;
      case otm::Metric::kSum: {
        std::string n = name;
        if (m.sum().is_monotonic() && !(n.size() >= 6 && n.compare(n.size() - 6, 6, "_total") == 0)) n += "_total";
        MapNumberPoints(res, m, m.sum().data_points(), n,
                        m.sum().aggregation_temporality() == otm::AGGREGATION_TEMPORALITY_DELTA);
        break;
      }
      case otm::Metric::kHistogram: {
        const auto& points = m.histogram().data_points();
        const bool delta = m.histogram().aggregation_temporality() == otm::AGGREGATION_TEMPORALITY_DELTA;
        for (int i = 0; i < points.size(); ++i) MapHistogramPoint(res, m, i, points[i], name, delta);
        break;
      }
      case otm::Metric::kSummary: {
        const auto& points = m.summary().data_points();
        for (int i = 0; i < points.size(); ++i) {
          const auto& p = points[i];
          auto ts = PointStart(res, m, i, p, 1);
          if (!ts) continue;
          for (const auto& q : p.quantile_values()) Emit(name, *ts, q.value(), "quantile", FormatDouble(q.quantile()));
          Emit(name + "_sum", *ts, p.sum());
          Emit(name + "_count", *ts, static_cast<double>(p.count()));
          ++result_->points;
        }
        break;
      }
      case otm::Metric::kExponentialHistogram: {
        const auto& points = m.exponential_histogram().data_points();
        const bool delta = m.exponential_histogram().aggregation_temporality() == otm::AGGREGATION_TEMPORALITY_DELTA;
        for (int i = 0; i < points.size(); ++i) MapExponentialPoint(res, m, i, points[i], name, delta);
        break;
      }
      case otm::Metric::DATA_NOT_SET:
        Reject(m, 0, "metric has no data (gauge, sum, histogram, exponential histogram or summary)");
        break;
    }
  }

  void MapHistogramPoint(const ResourceLabels& res, const otm::Metric& m, int i, const otm::HistogramDataPoint& p,
                         const std::string& name, bool delta) {
    auto ts = PointStart(res, m, i, p, 1);
    if (!ts) return;
    const int nb = p.bucket_counts_size();
    const int ne = p.explicit_bounds_size();
    if (nb != 0 && nb != ne + 1) {
      Reject(m, i, std::to_string(nb) + " bucket_counts for " + std::to_string(ne) +
                       " explicit_bounds (needs explicit_bounds + 1)");
      return;
    }
    for (int b = 1; b < ne; ++b) {
      if (!(p.explicit_bounds(b) > p.explicit_bounds(b - 1))) {
        Reject(m, i, "explicit_bounds are not strictly increasing");
        return;
      }
    }
    uint64_t total = 0;
    for (uint64_t c : p.bucket_counts()) {
      if (total > std::numeric_limits<uint64_t>::max() - c) {
        Reject(m, i, "bucket_counts overflow 64 bits");
        return;
      }
      total += c;
    }
    ExplicitHistogram h;
    h.bounds.assign(p.explicit_bounds().begin(), p.explicit_bounds().end());
    h.counts.assign(p.bucket_counts().begin(), p.bucket_counts().end());
    h.count = p.count();
    if (p.has_sum()) h.sum = p.sum();
    if (delta) {
      OtlpDeltaAccumulator::Value value = std::move(h);
      if (!Accumulate(m, i, name, p.start_time_unix_nano(), *ts, &value)) return;
      h = std::get<ExplicitHistogram>(std::move(value));
    }
    uint64_t cumulative = 0;
    for (size_t b = 0; b < h.counts.size(); ++b) {
      cumulative += h.counts[b];
      std::string le = b < h.bounds.size() ? FormatDouble(h.bounds[b]) : "+Inf";
      Emit(name + "_bucket", *ts, static_cast<double>(cumulative), "le", le);
    }
    if (h.sum) Emit(name + "_sum", *ts, *h.sum);
    Emit(name + "_count", *ts, static_cast<double>(h.count));
    ++result_->points;
  }

  // Exponential buckets become the same series as explicit ones (otlp_exponential.h has the bounds).
  void MapExponentialPoint(const ResourceLabels& res, const otm::Metric& m, int i,
                           const otm::ExponentialHistogramDataPoint& p, const std::string& name, bool delta) {
    auto ts = PointStart(res, m, i, p, 1);
    if (!ts) return;
    ExponentialHistogram h;
    h.scale = p.scale();
    h.count = p.count();
    if (p.has_sum()) h.sum = p.sum();
    h.zero_count = p.zero_count();
    h.zero_threshold = p.zero_threshold();
    h.positive.offset = p.positive().offset();
    h.positive.counts.assign(p.positive().bucket_counts().begin(), p.positive().bucket_counts().end());
    h.negative.offset = p.negative().offset();
    h.negative.counts.assign(p.negative().bucket_counts().begin(), p.negative().bucket_counts().end());
    if (Status st = ValidateExponentialHistogram(h); !st.ok()) {
      Reject(m, i, "exponential histogram: " + st.message());
      return;
    }
    if (delta) {
      OtlpDeltaAccumulator::Value value = std::move(h);
      if (!Accumulate(m, i, name, p.start_time_unix_nano(), *ts, &value)) return;
      h = std::get<ExponentialHistogram>(std::move(value));
    }
    for (const CumulativeBucket& b : ExponentialToCumulative(h, std::max<size_t>(1, options_.max_exponential_buckets))) {
      Emit(name + "_bucket", *ts, static_cast<double>(b.cumulative), "le", FormatDouble(b.upper_bound));
    }
    if (h.sum) Emit(name + "_sum", *ts, *h.sum);
    Emit(name + "_count", *ts, static_cast<double>(h.count));
    ++result_->points;
  }

  const OtlpOptions& options_;
  std::vector<LabeledSample>* out_;
  OtlpResult* result_;
  OtlpDeltaAccumulator::Batch* delta_;
  Labels base_;
};

void MapLogs(const otl::ExportLogsServiceRequest& req, const OtlpOptions& options, std::vector<LogRecord>* out,
             OtlpResult* result) {
  size_t index = 0;
  for (const auto& rl : req.resource_logs()) {
    ResourceLabels res = FromResource(rl.resource().attributes());
    for (const auto& sl : rl.scope_logs()) {
      for (const auto& r : sl.log_records()) {
        ++index;
        LogRecord rec;
        rec.message = AnyToString(r.body());
        if (rec.message.size() > options.max_message_bytes) {
          ++result->rejected;
          if (!result->first_error) {
            result->first_error = "log record " + std::to_string(index) + ": body of " + std::to_string(rec.message.size()) +
                                  " bytes exceeds the limit of " + std::to_string(options.max_message_bytes) +
                                  " bytes (ingest.max_line_bytes)";
          }
          continue;
        }
        uint64_t t = r.time_unix_nano() != 0 ? r.time_unix_nano() : r.observed_time_unix_nano();
        if (t > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          ++result->rejected;
          if (!result->first_error) result->first_error = "log record " + std::to_string(index) + ": time out of range";
          continue;
        }
        rec.ts_ns = t == 0 ? options.default_ts : static_cast<TimestampNs>(t);
        rec.severity = !r.severity_text().empty() ? NormalizeSeverity(r.severity_text())
                                                  : std::string(SeverityFromOtelNumber(r.severity_number()));
        rec.entity = res.entity;
        if (rec.entity.empty()) {
          std::string host, service;
          for (const auto& kv : r.attributes()) {
            if (kv.key() == "host.name") host = AnyToString(kv.value());
            if (kv.key() == "service.name") service = AnyToString(kv.value());
          }
          rec.entity = !host.empty() ? host : service;
        }
        out->push_back(std::move(rec));
        ++result->points;
      }
    }
  }
}

// ---- OTLP JSON → the generated messages ----

class JsonReader {
 public:
  Status error() const { return error_; }
  bool ok() const { return error_.ok(); }

  // obj[camel] or obj[snake]; nullptr when absent or null.
  static const json* Field(const json& obj, const char* camel, const char* snake) {
    auto it = obj.find(camel);
    if (it == obj.end() && snake != nullptr) it = obj.find(snake);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }

  const json* Array(const json& obj, const char* camel, const char* snake, const std::string& path) {
    const json* a = Field(obj, camel, snake);
    if (a != nullptr && !a->is_array()) {
      Fail(path + "." + camel, "expected an array");
      return nullptr;
    }
    return a;
  }
  const json* Object(const json& obj, const char* camel, const char* snake, const std::string& path) {
    const json* o = Field(obj, camel, snake);
    if (o != nullptr && !o->is_object()) {
      Fail(path + "." + camel, "expected an object");
      return nullptr;
    }
    return o;
  }
  bool RequireObject(const json& j, const std::string& path) {
    if (!j.is_object()) Fail(path, "expected an object");
    return ok();
  }

  std::string String(const json& obj, const char* camel, const char* snake, const std::string& path) {
    const json* v = Field(obj, camel, snake);
    if (v == nullptr) return "";
    if (!v->is_string()) {
      Fail(path + "." + camel, "expected a string");
      return "";
    }
    return v->get<std::string>();
  }

  uint64_t U64(const json& v, const std::string& path) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      uint64_t out = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
    }
    Fail(path, "expected an unsigned integer (number or decimal string)");
    return 0;
  }
  int64_t I64(const json& v, const std::string& path) {
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Fail(path, "integer out of range");
        return 0;
      }
      return v.get<int64_t>();
    }
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      int64_t out = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
    }
    Fail(path, "expected an integer (number or decimal string)");
    return 0;
  }
  double F64(const json& v, const std::string& path) {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (s == "Infinity") return std::numeric_limits<double>::infinity();
      if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    }
    Fail(path, "expected a number");
    return 0;
  }
  bool Bool(const json& v, const std::string& path) {
    if (v.is_boolean()) return v.get<bool>();
    Fail(path, "expected true or false");
    return false;
  }
  uint64_t U64Field(const json& obj, const char* camel, const char* snake, const std::string& path) {
    const json* v = Field(obj, camel, snake);
    return v == nullptr ? 0 : U64(*v, path + "." + camel);
  }
  int EnumField(const json& obj, const char* camel, const char* snake, const std::string& path,
                std::initializer_list<std::pair<const char*, int>> names) {
    const json* v = Field(obj, camel, snake);
    if (v == nullptr) return 0;
    if (v->is_number_integer()) {
      int64_t n = v->get<int64_t>();
      if (n >= std::numeric_limits<int32_t>::min() && n <= std::numeric_limits<int32_t>::max()) return static_cast<int>(n);
    }
    if (v->is_string()) {
      for (const auto& [name, value] : names) {
        if (*v == name) return value;
      }
    }
    Fail(path + "." + camel, "expected an enum number or name");
    return 0;
  }

  void AnyValue(const json& j, const std::string& path, otc::AnyValue* out, int depth) {
    if (!RequireObject(j, path)) return;
    if (depth > kMaxAnyValueDepth) {
      Fail(path, "values nested deeper than " + std::to_string(kMaxAnyValueDepth));
      return;
    }
    if (const json* v = Field(j, "stringValue", "string_value")) {
      if (!v->is_string()) return Fail(path + ".stringValue", "expected a string");
      out->set_string_value(v->get<std::string>());
    } else if (const json* v = Field(j, "boolValue", "bool_value")) {
      out->set_bool_value(Bool(*v, path + ".boolValue"));
    } else if (const json* v = Field(j, "intValue", "int_value")) {
      out->set_int_value(I64(*v, path + ".intValue"));
    } else if (const json* v = Field(j, "doubleValue", "double_value")) {
      out->set_double_value(F64(*v, path + ".doubleValue"));
    } else if (const json* v = Field(j, "bytesValue", "bytes_value")) {
      if (!v->is_string()) return Fail(path + ".bytesValue", "expected a base64 string");
      out->set_string_value(v->get<std::string>());  // kept as its base64 text, as AnyToString prints bytes
    } else if (const json* v = Field(j, "arrayValue", "array_value")) {
      if (!RequireObject(*v, path + ".arrayValue")) return;
      auto* arr = out->mutable_array_value();
      if (const json* vals = Array(*v, "values", nullptr, path + ".arrayValue")) {
        for (size_t i = 0; i < vals->size() && ok(); ++i) {
          AnyValue((*vals)[i], path + ".arrayValue.values[" + std::to_string(i) + "]", arr->add_values(), depth + 1);
        }
      }
    } else if (const json* v = Field(j, "kvlistValue", "kvlist_value")) {
      if (!RequireObject(*v, path + ".kvlistValue")) return;
      auto* kvl = out->mutable_kvlist_value();
      if (const json* vals = Array(*v, "values", nullptr, path + ".kvlistValue")) {
        for (size_t i = 0; i < vals->size() && ok(); ++i) {
          KeyValue((*vals)[i], path + ".kvlistValue.values[" + std::to_string(i) + "]", kvl->add_values(), depth + 1);
        }
      }
    }
  }

  void KeyValue(const json& j, const std::string& path, otc::KeyValue* out, int depth) {
    if (!RequireObject(j, path)) return;
    out->set_key(String(j, "key", nullptr, path));
    if (const json* v = Field(j, "value", nullptr)) AnyValue(*v, path + ".value", out->mutable_value(), depth);
  }

  void Attributes(const json& obj, const char* camel, const std::string& path,
                  google::protobuf::RepeatedPtrField<otc::KeyValue>* out) {
    const json* a = Array(obj, camel, nullptr, path);
    if (a == nullptr) return;
    for (size_t i = 0; i < a->size() && ok(); ++i) {
      KeyValue((*a)[i], path + "." + camel + "[" + std::to_string(i) + "]", out->Add(), 0);
    }
  }

  void Resource(const json& obj, const std::string& path, opentelemetry::proto::resource::v1::Resource* out) {
    const json* r = Object(obj, "resource", nullptr, path);
    if (r == nullptr) return;
    Attributes(*r, "attributes", path + ".resource", out->mutable_attributes());
  }

  void NumberPoint(const json& j, const std::string& path, otm::NumberDataPoint* p) {
    if (!RequireObject(j, path)) return;
    Attributes(j, "attributes", path, p->mutable_attributes());
    p->set_start_time_unix_nano(U64Field(j, "startTimeUnixNano", "start_time_unix_nano", path));
    p->set_time_unix_nano(U64Field(j, "timeUnixNano", "time_unix_nano", path));
    if (const json* v = Field(j, "asDouble", "as_double")) {
      p->set_as_double(F64(*v, path + ".asDouble"));
    } else if (const json* v = Field(j, "asInt", "as_int")) {
      p->set_as_int(I64(*v, path + ".asInt"));
    }
  }

  // What explicit and exponential histogram points share: attributes, start and end time, count, sum.
  template <typename Point>
  void HistogramHeader(const json& j, const std::string& path, Point* p) {
    Attributes(j, "attributes", path, p->mutable_attributes());
    p->set_start_time_unix_nano(U64Field(j, "startTimeUnixNano", "start_time_unix_nano", path));
    p->set_time_unix_nano(U64Field(j, "timeUnixNano", "time_unix_nano", path));
    p->set_count(U64Field(j, "count", nullptr, path));
    if (const json* v = Field(j, "sum", nullptr)) p->set_sum(F64(*v, path + ".sum"));
  }

  void HistogramPoint(const json& j, const std::string& path, otm::HistogramDataPoint* p) {
    if (!RequireObject(j, path)) return;
    HistogramHeader(j, path, p);
    if (const json* b = Array(j, "bucketCounts", "bucket_counts", path)) {
      for (size_t i = 0; i < b->size() && ok(); ++i) p->add_bucket_counts(U64((*b)[i], path + ".bucketCounts[" + std::to_string(i) + "]"));
    }
    if (const json* b = Array(j, "explicitBounds", "explicit_bounds", path)) {
      for (size_t i = 0; i < b->size() && ok(); ++i) p->add_explicit_bounds(F64((*b)[i], path + ".explicitBounds[" + std::to_string(i) + "]"));
    }
  }

  void SummaryPoint(const json& j, const std::string& path, otm::SummaryDataPoint* p) {
    if (!RequireObject(j, path)) return;
    Attributes(j, "attributes", path, p->mutable_attributes());
    p->set_time_unix_nano(U64Field(j, "timeUnixNano", "time_unix_nano", path));
    p->set_count(U64Field(j, "count", nullptr, path));
    if (const json* v = Field(j, "sum", nullptr)) p->set_sum(F64(*v, path + ".sum"));
    if (const json* q = Array(j, "quantileValues", "quantile_values", path)) {
      for (size_t i = 0; i < q->size() && ok(); ++i) {
        std::string qp = path + ".quantileValues[" + std::to_string(i) + "]";
        if (!RequireObject((*q)[i], qp)) return;
        auto* qv = p->add_quantile_values();
        if (const json* v = Field((*q)[i], "quantile", nullptr)) qv->set_quantile(F64(*v, qp + ".quantile"));
        if (const json* v = Field((*q)[i], "value", nullptr)) qv->set_value(F64(*v, qp + ".value"));
      }
    }
  }

  void ExponentialBucketsJson(const json& obj, const char* name, const std::string& path,
                              otm::ExponentialHistogramDataPoint::Buckets* out) {
    const json* b = Object(obj, name, nullptr, path);
    if (b == nullptr) return;
    const std::string bp = path + "." + name;
    if (const json* o = Field(*b, "offset", nullptr)) {
      int64_t offset = I64(*o, bp + ".offset");
      if (ok() && (offset < std::numeric_limits<int32_t>::min() || offset > std::numeric_limits<int32_t>::max())) {
        return Fail(bp + ".offset", "out of the 32-bit range");
      }
      out->set_offset(static_cast<int32_t>(offset));
    }
    if (const json* c = Array(*b, "bucketCounts", "bucket_counts", bp)) {
      for (size_t i = 0; i < c->size() && ok(); ++i) out->add_bucket_counts(U64((*c)[i], bp + ".bucketCounts[" + std::to_string(i) + "]"));
    }
  }

  void ExponentialPoint(const json& j, const std::string& path, otm::ExponentialHistogramDataPoint* p) {
    if (!RequireObject(j, path)) return;
    HistogramHeader(j, path, p);
    if (const json* v = Field(j, "scale", nullptr)) {
      int64_t scale = I64(*v, path + ".scale");
      if (ok() && (scale < std::numeric_limits<int32_t>::min() || scale > std::numeric_limits<int32_t>::max())) {
        return Fail(path + ".scale", "out of the 32-bit range");
      }
      p->set_scale(static_cast<int32_t>(scale));
    }
    p->set_zero_count(U64Field(j, "zeroCount", "zero_count", path));
    if (const json* v = Field(j, "zeroThreshold", "zero_threshold")) p->set_zero_threshold(F64(*v, path + ".zeroThreshold"));
    ExponentialBucketsJson(j, "positive", path, p->mutable_positive());
    ExponentialBucketsJson(j, "negative", path, p->mutable_negative());
  }

  template <typename Fn>
  void Points(const json& obj, const std::string& path, Fn&& each) {
    const json* a = Array(obj, "dataPoints", "data_points", path);
    if (a == nullptr) return;
    for (size_t i = 0; i < a->size() && ok(); ++i) each((*a)[i], path + ".dataPoints[" + std::to_string(i) + "]");
  }

  void Metric(const json& j, const std::string& path, otm::Metric* m) {
    if (!RequireObject(j, path)) return;
    m->set_name(String(j, "name", nullptr, path));
    const std::initializer_list<std::pair<const char*, int>> kTemporality = {
        {"AGGREGATION_TEMPORALITY_UNSPECIFIED", 0}, {"AGGREGATION_TEMPORALITY_DELTA", 1}, {"AGGREGATION_TEMPORALITY_CUMULATIVE", 2}};
    if (const json* g = Object(j, "gauge", nullptr, path)) {
      auto* gauge = m->mutable_gauge();
      Points(*g, path + ".gauge", [&](const json& p, const std::string& pp) { NumberPoint(p, pp, gauge->add_data_points()); });
    } else if (const json* s = Object(j, "sum", nullptr, path)) {
      auto* sum = m->mutable_sum();
      const json* mono = Field(*s, "isMonotonic", "is_monotonic");
      if (mono != nullptr) sum->set_is_monotonic(Bool(*mono, path + ".sum.isMonotonic"));
      sum->set_aggregation_temporality(static_cast<otm::AggregationTemporality>(
          EnumField(*s, "aggregationTemporality", "aggregation_temporality", path + ".sum", kTemporality)));
      Points(*s, path + ".sum", [&](const json& p, const std::string& pp) { NumberPoint(p, pp, sum->add_data_points()); });
    } else if (const json* h = Object(j, "histogram", nullptr, path)) {
      auto* hist = m->mutable_histogram();
      hist->set_aggregation_temporality(static_cast<otm::AggregationTemporality>(
          EnumField(*h, "aggregationTemporality", "aggregation_temporality", path + ".histogram", kTemporality)));
      Points(*h, path + ".histogram", [&](const json& p, const std::string& pp) { HistogramPoint(p, pp, hist->add_data_points()); });
    } else if (const json* s = Object(j, "summary", nullptr, path)) {
      auto* sum = m->mutable_summary();
      Points(*s, path + ".summary", [&](const json& p, const std::string& pp) { SummaryPoint(p, pp, sum->add_data_points()); });
    } else if (const json* e = Object(j, "exponentialHistogram", "exponential_histogram", path)) {
      auto* eh = m->mutable_exponential_histogram();
      eh->set_aggregation_temporality(static_cast<otm::AggregationTemporality>(EnumField(
          *e, "aggregationTemporality", "aggregation_temporality", path + ".exponentialHistogram", kTemporality)));
      Points(*e, path + ".exponentialHistogram",
             [&](const json& p, const std::string& pp) { ExponentialPoint(p, pp, eh->add_data_points()); });
    }
  }

  void Metrics(const json& root, otm::ExportMetricsServiceRequest* req) {
    if (!RequireObject(root, "body")) return;
    const json* rms = Array(root, "resourceMetrics", "resource_metrics", "body");
    if (rms == nullptr) return;
    for (size_t i = 0; i < rms->size() && ok(); ++i) {
      std::string p = "resourceMetrics[" + std::to_string(i) + "]";
      const json& rm = (*rms)[i];
      if (!RequireObject(rm, p)) return;
      auto* out = req->add_resource_metrics();
      Resource(rm, p, out->mutable_resource());
      const json* sms = Array(rm, "scopeMetrics", "scope_metrics", p);
      if (sms == nullptr) continue;
      for (size_t s = 0; s < sms->size() && ok(); ++s) {
        std::string sp = p + ".scopeMetrics[" + std::to_string(s) + "]";
        if (!RequireObject((*sms)[s], sp)) return;
        auto* sm = out->add_scope_metrics();
        const json* ms = Array((*sms)[s], "metrics", nullptr, sp);
        if (ms == nullptr) continue;
        for (size_t k = 0; k < ms->size() && ok(); ++k) {
          Metric((*ms)[k], sp + ".metrics[" + std::to_string(k) + "]", sm->add_metrics());
        }
      }
    }
  }

  void LogRecordJson(const json& j, const std::string& path, otl::LogRecord* r) {
    if (!RequireObject(j, path)) return;
    r->set_time_unix_nano(U64Field(j, "timeUnixNano", "time_unix_nano", path));
    r->set_observed_time_unix_nano(U64Field(j, "observedTimeUnixNano", "observed_time_unix_nano", path));
    r->set_severity_number(EnumField(j, "severityNumber", "severity_number", path,
                                     {{"SEVERITY_NUMBER_TRACE", 1}, {"SEVERITY_NUMBER_DEBUG", 5}, {"SEVERITY_NUMBER_INFO", 9},
                                      {"SEVERITY_NUMBER_WARN", 13}, {"SEVERITY_NUMBER_ERROR", 17}, {"SEVERITY_NUMBER_FATAL", 21}}));
    r->set_severity_text(String(j, "severityText", "severity_text", path));
    if (const json* b = Field(j, "body", nullptr)) AnyValue(*b, path + ".body", r->mutable_body(), 0);
    Attributes(j, "attributes", path, r->mutable_attributes());
    // traceId / spanId (hex) are not used; they are only checked to be strings.
    String(j, "traceId", "trace_id", path);
    String(j, "spanId", "span_id", path);
  }

  void Logs(const json& root, otl::ExportLogsServiceRequest* req) {
    if (!RequireObject(root, "body")) return;
    const json* rls = Array(root, "resourceLogs", "resource_logs", "body");
    if (rls == nullptr) return;
    for (size_t i = 0; i < rls->size() && ok(); ++i) {
      std::string p = "resourceLogs[" + std::to_string(i) + "]";
      const json& rl = (*rls)[i];
      if (!RequireObject(rl, p)) return;
      auto* out = req->add_resource_logs();
      Resource(rl, p, out->mutable_resource());
      const json* sls = Array(rl, "scopeLogs", "scope_logs", p);
      if (sls == nullptr) continue;
      for (size_t s = 0; s < sls->size() && ok(); ++s) {
        std::string sp = p + ".scopeLogs[" + std::to_string(s) + "]";
        if (!RequireObject((*sls)[s], sp)) return;
        auto* sl = out->add_scope_logs();
        const json* recs = Array((*sls)[s], "logRecords", "log_records", sp);
        if (recs == nullptr) continue;
        for (size_t k = 0; k < recs->size() && ok(); ++k) {
          LogRecordJson((*recs)[k], sp + ".logRecords[" + std::to_string(k) + "]", sl->add_log_records());
        }
      }
    }
  }

 private:
  void Fail(const std::string& path, const std::string& what) {
    if (error_.ok()) error_ = Status::InvalidArgument("JSON: " + path + ": " + what);
  }
  Status error_ = Status::Ok();
};

Result<json> ParseJson(std::string_view body) {
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("JSON: malformed at byte " + std::to_string(e.byte), e.what());
  } catch (const json::exception& e) {  // e.g. out_of_range 406: a number literal that overflows a double
    return Status::InvalidArgument("JSON: ", e.what());
  }
}

std::string ResponseBody(OtlpEncoding encoding, const OtlpResult& result, bool metrics) {
  if (encoding == OtlpEncoding::kJson) {
    json j = json::object();
    if (result.rejected > 0) {
      j["partialSuccess"] = {{metrics ? "rejectedDataPoints" : "rejectedLogRecords", std::to_string(result.rejected)},
                             {"errorMessage", result.first_error.value_or("")}};
    }
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (metrics) {
    otm::ExportMetricsServiceResponse r;
    if (result.rejected > 0) {
      r.mutable_partial_success()->set_rejected_data_points(static_cast<int64_t>(result.rejected));
      r.mutable_partial_success()->set_error_message(ValidUtf8(result.first_error.value_or("")));
    }
    return r.SerializeAsString();
  }
  otl::ExportLogsServiceResponse r;
  if (result.rejected > 0) {
    r.mutable_partial_success()->set_rejected_log_records(static_cast<int64_t>(result.rejected));
    r.mutable_partial_success()->set_error_message(ValidUtf8(result.first_error.value_or("")));
  }
  return r.SerializeAsString();
}

}  // namespace

Result<OtlpEncoding> OtlpEncodingFor(std::string_view content_type) {
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ct == "application/x-protobuf") return OtlpEncoding::kProtobuf;
  if (ct == "application/json") return OtlpEncoding::kJson;
  return Status::InvalidArgument("Content-Type \"" + std::string(content_type) +
                                 "\" is not OTLP/HTTP (use application/x-protobuf or application/json)");
}

std::string SanitizeOtlpMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
    out += ok ? c : '_';
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

std::string SanitizeOtlpLabelName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

Result<OtlpResult> DecodeOtlpMetrics(std::string_view body, OtlpEncoding encoding, const OtlpOptions& options,
                                     std::vector<LabeledSample>* out, OtlpDeltaAccumulator::Batch* delta) {
  otm::ExportMetricsServiceRequest req;
  if (encoding == OtlpEncoding::kProtobuf) {
    if (!req.ParseFromArray(body.data(), static_cast<int>(std::min<size_t>(body.size(), INT32_MAX)))) {
      return Status::InvalidArgument("protobuf: cannot parse ExportMetricsServiceRequest");
    }
  } else {
    FS_ASSIGN_OR_RETURN(json root, ParseJson(body));
    JsonReader reader;
    reader.Metrics(root, &req);
    if (!reader.ok()) return reader.error();
  }
  OtlpResult result;
  size_t before = out->size();
  MetricsMapper(options, out, &result, delta).Map(req);
  result.samples = out->size() - before;
  return result;
}

Result<OtlpResult> DecodeOtlpLogs(std::string_view body, OtlpEncoding encoding, const OtlpOptions& options,
                                  std::vector<LogRecord>* out) {
  otl::ExportLogsServiceRequest req;
  if (encoding == OtlpEncoding::kProtobuf) {
    if (!req.ParseFromArray(body.data(), static_cast<int>(std::min<size_t>(body.size(), INT32_MAX)))) {
      return Status::InvalidArgument("protobuf: cannot parse ExportLogsServiceRequest");
    }
  } else {
    FS_ASSIGN_OR_RETURN(json root, ParseJson(body));
    JsonReader reader;
    reader.Logs(root, &req);
    if (!reader.ok()) return reader.error();
  }
  OtlpResult result;
  MapLogs(req, options, out, &result);
  return result;
}

std::string OtlpMetricsResponse(OtlpEncoding encoding, const OtlpResult& result) {
  return ResponseBody(encoding, result, true);
}
std::string OtlpLogsResponse(OtlpEncoding encoding, const OtlpResult& result) {
  return ResponseBody(encoding, result, false);
}

int OtlpRpcCodeFor(StatusCode code) {
  // google.rpc.Code numbers.
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return 3;
    case StatusCode::kNotFound: return 5;
    case StatusCode::kAlreadyExists: return 6;
    case StatusCode::kPermissionDenied: return 7;
    case StatusCode::kResourceExhausted: return 8;
    case StatusCode::kFailedPrecondition: return 9;
    case StatusCode::kOutOfRange: return 11;
    case StatusCode::kInternal: return 13;
    case StatusCode::kUnavailable: return 14;
    case StatusCode::kDataLoss: return 15;
    case StatusCode::kUnauthenticated: return 16;
  }
  return 2;  // UNKNOWN
}

std::string OtlpStatusBody(OtlpEncoding encoding, int rpc_code, std::string_view message) {
  if (encoding == OtlpEncoding::kJson) {
    json j = {{"code", rpc_code}, {"message", message}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  google::rpc::Status st;
  st.set_code(rpc_code);
  st.set_message(ValidUtf8(message));
  return st.SerializeAsString();
}

std::string OtlpStatusBody(OtlpEncoding encoding, const Status& status) {
  return OtlpStatusBody(encoding, OtlpRpcCodeFor(status.code()), status.message());
}

}  // namespace foresight::ingest

#include "api/ingest_routes.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <unordered_set>

#include "api/routes.h"
#include "core/time_util.h"
#include "ingest/json_ingest.h"
#include "ingest/line_protocol.h"
#include "ingest/otlp.h"
#include "ingest/remote_write.h"

namespace foresight::api {
namespace {

using nlohmann::json;

// Distinct series one endpoint has let in, up to ingest.max_series (ingest::SeriesHash of the label sets).
class SeriesBudget {
 public:
  explicit SeriesBudget(size_t max) : max_(max) {}
  // Sets ok[i] = 2 (refused) for each series hashes[i] that is new when the budget is spent. One lock per request;
  // entries already cleared are skipped (they take no room).
  void Admit(const std::vector<uint64_t>& hashes, std::vector<char>* ok) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < hashes.size(); ++i) {
      if ((*ok)[i] && !AdmitLocked(hashes[i])) (*ok)[i] = 2;  // refused by the budget
    }
  }
  // One series; false when it is new and the budget is spent.
  bool AdmitOne(uint64_t hash) {
    std::lock_guard lock(mu_);
    return AdmitLocked(hash);
  }

 private:
  bool AdmitLocked(uint64_t hash) {
    if (seen_.count(hash)) return true;
    if (seen_.size() >= max_) return false;
    seen_.insert(hash);
    return true;
  }

  const size_t max_;
  std::mutex mu_;
  std::unordered_set<uint64_t> seen_;
};

// Line protocol series caches (ingest::LineSeriesCache), one per concurrent request: a request takes one
// and gives it back, so decoding needs no lock. Entries are series ids of the one backend.
class LineCachePool {
 public:
  explicit LineCachePool(size_t max_entries) : max_entries_(max_entries) {}
  std::unique_ptr<ingest::LineSeriesCache> Take() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return std::make_unique<ingest::LineSeriesCache>(max_entries_);
    auto c = std::move(free_.back());
    free_.pop_back();
    return c;
  }
  void Give(std::unique_ptr<ingest::LineSeriesCache> cache) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(cache));
  }

 private:
  const size_t max_entries_;
  std::mutex mu_;
  std::vector<std::unique_ptr<ingest::LineSeriesCache>> free_;
};

struct IngestContext {
  ApiContext api;
  IngestLimits limits;
  // One budget per endpoint family.
  SeriesBudget influx{0}, remote_write{0}, otlp{0};
  // Running totals of OTLP delta sums and histograms across requests (ingest/otlp_delta.h), for at most
  // min(ingest.max_series, 100,000) series: the least recently updated is forgotten first.
  ingest::OtlpDeltaAccumulator otlp_delta{
      ingest::OtlpDeltaOptions{.max_series = std::min<size_t>(limits.max_series_per_endpoint, 100'000)}};
  // A series may be written in several byte forms (tag order), hence twice the series budget.
  LineCachePool line_caches;
  explicit IngestContext(const ApiContext& ctx)
      : api(ctx),
        limits(ctx.options.ingest),
        influx(limits.max_series_per_endpoint),
        remote_write(limits.max_series_per_endpoint),
        otlp(limits.max_series_per_endpoint),
        line_caches(std::clamp<size_t>(2 * limits.max_series_per_endpoint, 1024, size_t{1} << 20)) {}
};

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse Ok(const json& data, int status = 200) {
  return HttpResponse::Json(status, Dump(json{{"status", "success"}, {"data", data}}));
}

HttpResponse NoContent() {
  HttpResponse r;
  r.status = 204;
  return r;
}

// The per-series limit a label set breaks (too many labels, a label value too long), naming its key.
std::optional<std::string> SeriesLimitError(const IngestLimits& limits, const Labels& labels) {
  if (labels.size() > limits.max_labels_per_series) {
    std::string why = labels.metric().empty() ? std::string("series") : "series " + std::string(labels.metric());
    return why + ": " + std::to_string(labels.size()) + " labels exceed the limit of " +
           std::to_string(limits.max_labels_per_series) + " (ingest.max_labels_per_series)";
  }
  for (const Label& l : labels) {
    if (l.value.size() > limits.max_label_value_bytes) {
      return "label " + l.name + ": value of " + std::to_string(l.value.size()) + " bytes exceeds the limit of " +
             std::to_string(limits.max_label_value_bytes) + " bytes (ingest.max_label_value_bytes)";
    }
  }
  return std::nullopt;
}

std::string BudgetError(const IngestLimits& limits, const Labels& labels) {
  return "series " + labels.ToString().substr(0, 200) + " would exceed this endpoint's limit of " +
         std::to_string(limits.max_series_per_endpoint) + " series (ingest.max_series)";
}

// Drops the samples that break a per-series limit (label values too long, or a new series past the
// endpoint's budget); returns the first cause, naming the limit's key.
std::optional<std::string> ApplyLimits(const IngestLimits& limits, SeriesBudget& budget, std::vector<LabeledSample>* samples,
                                       size_t* dropped) {
  std::optional<std::string> first;
  std::vector<uint64_t> hashes(samples->size());
  std::vector<char> ok(samples->size(), 1);
  for (size_t i = 0; i < samples->size(); ++i) {
    const LabeledSample& s = (*samples)[i];
    if (auto why = SeriesLimitError(limits, s.labels)) {
      ok[i] = 0;
      if (!first) first = std::move(why);
    }
    if (ok[i]) hashes[i] = ingest::SeriesHash(s.labels);
  }
  budget.Admit(hashes, &ok);
  size_t kept = 0;
  for (size_t i = 0; i < samples->size(); ++i) {
    LabeledSample& s = (*samples)[i];
    if (ok[i] == 2) {
      ok[i] = 0;
      if (!first) first = BudgetError(limits, s.labels);
    }
    if (!ok[i]) {
      ++*dropped;
      continue;
    }
    if (kept != i) (*samples)[kept] = std::move(s);
    ++kept;
  }
  samples->resize(kept);
  return first;
}

// Maps a backend refusal to its HTTP answer; 429/503 carry Retry-After.
HttpResponse BackendError(const Status& st) {
  HttpResponse resp = HttpResponse::Error(st);
  if (st.code() == StatusCode::kResourceExhausted || st.code() == StatusCode::kUnavailable) {
    resp.headers.emplace_back("Retry-After", "1");
  }
  return resp;
}

std::optional<HttpResponse> IngestOrError(const IngestContext& ctx, std::span<const LabeledSample> samples) {
  if (samples.empty()) return std::nullopt;
  Status st = ctx.api.service->IngestSamples(samples);
  if (st.ok()) return std::nullopt;
  return BackendError(st);
}

// A body, gunzipped when Content-Encoding says so. Errors are complete responses.
std::variant<std::string_view, HttpResponse> Body(const IngestContext& ctx, const HttpRequest& req, std::string* storage) {
  std::string encoding = req.Header("content-encoding");
  if (encoding == "gzip") {
    auto plain = ingest::GunzipBody(req.body, ctx.api.options.max_decompressed_bytes);
    if (!plain.ok()) return HttpResponse::Error(plain.status());
    *storage = std::move(*plain);
    return std::string_view(*storage);
  }
  if (!encoding.empty() && encoding != "identity") {
    return HttpResponse::Error(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Encoding \"" + encoding + "\" is not supported (use gzip)");
  }
  return std::string_view(req.body);
}

// POST /write (InfluxDB 1.x) and /api/v2/write (2.x): line protocol, optionally gzip. Good lines are
// stored even when some are bad; the answer then is 400 naming the first bad line, as InfluxDB does.
HttpResponse HandleLineProtocolWrite(IngestContext& ctx, const HttpRequest& req) {
  std::string storage;
  auto body = Body(ctx, req, &storage);
  if (auto* err = std::get_if<HttpResponse>(&body)) return *err;
  ingest::LineProtocolOptions lo;
  if (std::string precision = req.Query("precision"); !precision.empty()) lo.precision = precision;
  if (auto p = ingest::ParsePrecision(lo.precision); !p.ok()) return HttpResponse::Error(p.status().WithContext("parameter precision"));
  lo.default_ts = ctx.api.clock->NowNs();
  lo.max_line_bytes = ctx.limits.max_line_bytes;
  lo.max_labels = std::max<size_t>(1, ctx.limits.max_labels_per_series);
  // Refused now (starting, or the models are behind: 503/429) before any work or any new series.
  if (Status st = ctx.api.service->IngestResolved({}); !st.ok()) return BackendError(st);
  // Series are resolved through a cache of their bytes as written (no Labels for a known series); a new
  // one passes the per-series limits and the endpoint's budget, then the backend resolves it.
  auto resolve = [&ctx](const Labels& labels) -> Result<SeriesId> {
    if (auto why = SeriesLimitError(ctx.limits, labels)) return Status::InvalidArgument(*why);
    if (!ctx.influx.AdmitOne(ingest::SeriesHash(labels))) return Status::InvalidArgument(BudgetError(ctx.limits, labels));
    return ctx.api.service->ResolveSeries(labels);
  };
  std::vector<Sample> samples;
  std::unique_ptr<ingest::LineSeriesCache> cache = ctx.line_caches.Take();
  ingest::ResolvedDecodeResult r =
      ingest::DecodeLineProtocolResolved(std::get<std::string_view>(body), lo, cache.get(), resolve, &samples);
  ctx.line_caches.Give(std::move(cache));
  if (!samples.empty()) {
    if (Status st = ctx.api.service->IngestResolved(samples); !st.ok()) return BackendError(st);
  }
  if (r.first_error) {
    std::string msg = r.first_error->message;
    // Say which setting governs the two limit errors of the decoder.
    if (msg.find("tags (max_labels") != std::string::npos) {
      msg += " (ingest.max_labels_per_series)";
    } else if (msg.find("line exceeds") != std::string::npos) {
      msg += " (ingest.max_line_bytes)";
    }
    return HttpResponse::Error(400, "INVALID_ARGUMENT",
                               msg + " (" + std::to_string(r.points) + " of " + std::to_string(r.lines) + " lines stored)");
  }
  if (r.first_refusal) {
    return HttpResponse::Error(400, "INVALID_ARGUMENT",
                               *r.first_refusal + " (" + std::to_string(r.refused) + " of " + std::to_string(r.samples) +
                                   " samples refused, the rest stored)");
  }
  return NoContent();
}

// POST /api/v1/write: Prometheus remote write 1.0 (snappy-compressed protobuf WriteRequest).
HttpResponse HandleRemoteWrite(IngestContext& ctx, const HttpRequest& req) {
  std::string encoding = req.Header("content-encoding");
  if (!encoding.empty() && encoding != ingest::kRemoteWriteContentEncoding) {
    return HttpResponse::Error(415, "UNSUPPORTED_MEDIA_TYPE",
                               "remote write needs Content-Encoding: snappy, got \"" + encoding + "\"");
  }
  std::vector<LabeledSample> samples;
  ingest::RemoteWriteOptions opts;
  opts.max_labels = std::max<size_t>(1, ctx.limits.max_labels_per_series);
  auto r = ingest::DecodeRemoteWrite(req.body, opts, &samples);
  if (!r.ok()) {
    // An oversized body would be retried forever on 429: it is a bad request here.
    return HttpResponse::Error(400, StatusCodeName(r.status().code()), r.status().message());
  }
  size_t dropped = 0;
  auto limit_error = ApplyLimits(ctx.limits, ctx.remote_write, &samples, &dropped);
  if (auto err = IngestOrError(ctx, samples)) return *err;
  if (r->first_error) {
    return HttpResponse::Error(400, "INVALID_ARGUMENT",
                               *r->first_error + " (" + std::to_string(r->series - r->bad_series) + " of " +
                                   std::to_string(r->series) + " series stored)");
  }
  if (limit_error) {
    return HttpResponse::Error(400, "INVALID_ARGUMENT",
                               *limit_error + " (" + std::to_string(dropped) + " of " + std::to_string(r->samples) +
                                   " samples refused, the rest stored)");
  }
  return NoContent();
}

// An unknown Content-Type: the encoding a google.rpc.Status would need is unknown, so the plain error.
std::variant<ingest::OtlpEncoding, HttpResponse> OtlpEncodingOf(const HttpRequest& req) {
  auto enc = ingest::OtlpEncodingFor(req.Header("content-type"));
  if (!enc.ok()) return HttpResponse::Error(415, "UNSUPPORTED_MEDIA_TYPE", enc.status().message());
  return *enc;
}

HttpResponse OtlpReply(ingest::OtlpEncoding enc, std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.content_type = enc == ingest::OtlpEncoding::kJson ? "application/json" : "application/x-protobuf";
  r.body = std::move(body);
  return r;
}

// A failed OTLP/HTTP request: a google.rpc.Status {code, message} in the request's encoding, as OTLP/HTTP
// says; 429 and 503 (the client retries) carry Retry-After.
HttpResponse OtlpError(ingest::OtlpEncoding enc, int http_status, int rpc_code, std::string_view message) {
  HttpResponse r = OtlpReply(enc, ingest::OtlpStatusBody(enc, rpc_code, message), http_status);
  if (http_status == 429 || http_status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}
HttpResponse OtlpError(ingest::OtlpEncoding enc, const Status& st) {
  return OtlpError(enc, HttpStatusFor(st.code()), ingest::OtlpRpcCodeFor(st.code()), st.message());
}

// The OTLP body, gunzipped when Content-Encoding says so. Errors are complete OTLP answers.
// An OTLP request's encoding (from Content-Type) and body (gunzipped into *storage when compressed).
struct OtlpRequest {
  ingest::OtlpEncoding enc;
  std::string_view body;
};

std::variant<OtlpRequest, HttpResponse> ReadOtlp(const IngestContext& ctx, const HttpRequest& req, std::string* storage) {
  auto encoding_of = OtlpEncodingOf(req);
  if (auto* err = std::get_if<HttpResponse>(&encoding_of)) return *err;
  const ingest::OtlpEncoding enc = std::get<ingest::OtlpEncoding>(encoding_of);
  std::string encoding = req.Header("content-encoding");
  if (encoding == "gzip") {
    auto plain = ingest::GunzipBody(req.body, ctx.api.options.max_decompressed_bytes);
    if (!plain.ok()) {
      // Too large once decompressed: 413, which OTLP clients do not retry (429 would be retried forever).
      if (plain.status().code() == StatusCode::kResourceExhausted) {
        return OtlpError(enc, 413, ingest::OtlpRpcCodeFor(StatusCode::kResourceExhausted), plain.status().message());
      }
      return OtlpError(enc, plain.status());
    }
    *storage = std::move(*plain);
    return OtlpRequest{enc, *storage};
  }
  if (!encoding.empty() && encoding != "identity") {
    return OtlpError(enc, 415, ingest::OtlpRpcCodeFor(StatusCode::kInvalidArgument),
                     "Content-Encoding \"" + encoding + "\" is not supported (use gzip)");
  }
  return OtlpRequest{enc, req.body};
}

ingest::OtlpOptions OtlpOptionsFor(const IngestContext& ctx) {
  ingest::OtlpOptions o;
  o.max_labels = ctx.limits.max_labels_per_series;
  o.max_label_value_bytes = ctx.limits.max_label_value_bytes;
  o.max_message_bytes = ctx.limits.max_line_bytes;
  o.max_exponential_buckets = ctx.limits.otlp_max_exponential_buckets;
  o.default_ts = ctx.api.clock->NowNs();
  return o;
}

// POST /v1/metrics: OTLP/HTTP metrics, protobuf or JSON, optionally gzip. Rejected points are reported
// as OTLP's partial success (200), the rest stored. Delta points are accumulated in a batch that counts
// only once the samples are stored, so a request refused with 429/503 can be retried as it is.
HttpResponse HandleOtlpMetrics(IngestContext& ctx, const HttpRequest& req) {
  std::string storage;
  auto in = ReadOtlp(ctx, req, &storage);
  if (auto* err = std::get_if<HttpResponse>(&in)) return *err;
  const auto [enc, body] = std::get<OtlpRequest>(in);
  std::vector<LabeledSample> samples;
  ingest::OtlpDeltaAccumulator::Batch delta = ctx.otlp_delta.Begin();
  auto r = ingest::DecodeOtlpMetrics(body, enc, OtlpOptionsFor(ctx), &samples, &delta);
  if (!r.ok()) return OtlpError(enc, r.status());
  size_t dropped = 0;
  if (auto limit_error = ApplyLimits(ctx.limits, ctx.otlp, &samples, &dropped)) {
    r->rejected += 1;  // OTLP counts points; at least one point lost samples here
    if (!r->first_error) r->first_error = *limit_error;
  }
  if (!samples.empty()) {
    if (Status st = ctx.api.service->IngestSamples(samples); !st.ok()) return OtlpError(enc, st);
  }
  ctx.otlp_delta.Commit(std::move(delta));
  return OtlpReply(enc, ingest::OtlpMetricsResponse(enc, *r));
}

std::optional<HttpResponse> LogsOrError(const IngestContext& ctx, std::span<const ingest::LogRecord> records) {
  if (records.empty()) return std::nullopt;
  Status st = ctx.api.service->IngestLogs(records);
  if (st.ok()) return std::nullopt;
  return BackendError(st);
}

// POST /v1/logs: OTLP/HTTP logs; errors as for /v1/metrics.
HttpResponse HandleOtlpLogs(IngestContext& ctx, const HttpRequest& req) {
  std::string storage;
  auto in = ReadOtlp(ctx, req, &storage);
  if (auto* err = std::get_if<HttpResponse>(&in)) return *err;
  const auto [enc, body] = std::get<OtlpRequest>(in);
  std::vector<ingest::LogRecord> records;
  auto r = ingest::DecodeOtlpLogs(body, enc, OtlpOptionsFor(ctx), &records);
  if (!r.ok()) return OtlpError(enc, r.status());
  if (!records.empty()) {
    if (Status st = ctx.api.service->IngestLogs(records); !st.ok()) return OtlpError(enc, st);
  }
  return OtlpReply(enc, ingest::OtlpLogsResponse(enc, *r));
}

ingest::JsonIngestOptions JsonOptionsFor(const IngestContext& ctx) {
  ingest::JsonIngestOptions o;
  o.max_line_bytes = ctx.limits.max_line_bytes;
  o.max_value_bytes = ctx.limits.max_label_value_bytes;
  o.now = ctx.api.clock->NowNs();
  return o;
}

HttpResponse JsonIngestReply(const ingest::JsonIngestResult& r, const char* what) {
  if (r.first_error) {
    return HttpResponse::Error(400, "INVALID_ARGUMENT",
                               *r.first_error + " (" + std::to_string(r.accepted) + " of " + std::to_string(r.lines) + " " +
                                   what + " accepted)");
  }
  return Ok(json{{"accepted", r.accepted}});
}

// POST /api/v1/logs: JSON lines (or a JSON array) of log records.
HttpResponse HandleJsonLogs(IngestContext& ctx, const HttpRequest& req) {
  std::string storage;
  auto body = Body(ctx, req, &storage);
  if (auto* err = std::get_if<HttpResponse>(&body)) return *err;
  std::vector<ingest::LogRecord> records;
  auto r = ingest::ParseJsonLogs(std::get<std::string_view>(body), JsonOptionsFor(ctx), &records);
  if (r.lines == 0) return HttpResponse::Error(400, "INVALID_ARGUMENT", "request body holds no log lines");
  if (auto err = LogsOrError(ctx, records)) return *err;
  return JsonIngestReply(r, "lines");
}

// POST /api/v1/events: JSON array or JSON lines of {type, entity, timestamp?, fields?}.
HttpResponse HandleEvents(IngestContext& ctx, const HttpRequest& req) {
  std::string storage;
  auto body = Body(ctx, req, &storage);
  if (auto* err = std::get_if<HttpResponse>(&body)) return *err;
  std::vector<ingest::Event> events;
  auto r = ingest::ParseJsonEvents(std::get<std::string_view>(body), JsonOptionsFor(ctx), &events);
  if (r.lines == 0) return HttpResponse::Error(400, "INVALID_ARGUMENT", "request body holds no events");
  if (!events.empty()) {
    Status st = ctx.api.service->IngestEvents(events);
    if (!st.ok()) return BackendError(st);
  }
  return JsonIngestReply(r, "events");
}

// GET /api/v1/logs/templates?entity=&limit=: what T12 means.
HttpResponse HandleTemplates(IngestContext& ctx, const HttpRequest& req) {
  size_t limit = 100;
  if (std::string s = req.Query("limit"); !s.empty()) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (end != s.c_str() + s.size() || v == 0 || v > 10000 || s[0] == '-') {
      return HttpResponse::Error(Status::InvalidArgument("parameter limit", "must be an integer in 1..10000", "got \"" + s + "\""));
    }
    limit = v;
  }
  auto templates = ctx.api.service->LogTemplates(req.Query("entity"), limit);
  if (!templates.ok()) return HttpResponse::Error(templates.status());
  json data = json::array();
  for (const auto& t : *templates) {
    data.push_back({{"id", t.template_id},
                    {"template", t.text},
                    {"count", t.count},
                    {"first_seen", t.first_seen > 0 ? json(FormatRfc3339(t.first_seen)) : json(nullptr)},
                    {"example", t.example}});
  }
  return Ok(data);
}

}  // namespace

void RegisterIngestRoutes(Router& router, const ApiContext& ctx_in) {
  auto ctx = std::make_shared<IngestContext>(ctx_in);
  router.Add("POST", "/write", [ctx](HttpRequest& req) { return HandleLineProtocolWrite(*ctx, req); });
  router.Add("POST", "/api/v2/write", [ctx](HttpRequest& req) { return HandleLineProtocolWrite(*ctx, req); });
  router.Add("POST", "/api/v1/write", [ctx](HttpRequest& req) { return HandleRemoteWrite(*ctx, req); });
  router.Add("POST", "/v1/metrics", [ctx](HttpRequest& req) { return HandleOtlpMetrics(*ctx, req); });
  router.Add("POST", "/v1/logs", [ctx](HttpRequest& req) { return HandleOtlpLogs(*ctx, req); });
  router.Add("POST", "/api/v1/logs", [ctx](HttpRequest& req) { return HandleJsonLogs(*ctx, req); });
  router.Add("POST", "/api/v1/events", [ctx](HttpRequest& req) { return HandleEvents(*ctx, req); });
  router.Add("GET", "/api/v1/logs/templates", [ctx](HttpRequest& req) { return HandleTemplates(*ctx, req); });
}

}  // namespace foresight::api

#include "api/routes.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "api/dashboard_assets.h"
#include "api/json.h"
#include "api/stream.h"
#include "core/time_util.h"

namespace foresight::api {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse Ok(const json& data, int status = 200) {
  return HttpResponse::Json(status, Dump(json{{"status", "success"}, {"data", data}}));
}

Result<size_t> ParseLimit(const HttpRequest& req, size_t def, size_t max) {
  std::string s = req.Query("limit");
  if (s.empty()) return def;
  size_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > max) {
    return Status::InvalidArgument("parameter limit", "must be an integer in 1.." + std::to_string(max), "got \"" + s + "\"");
  }
  return v;
}

Result<json> ParseJsonBody(const HttpRequest& req) {
  if (req.body.empty()) return Status::InvalidArgument("request body is empty; expected a JSON object");
  try {
    json j = json::parse(req.body);
    if (!j.is_object()) return Status::InvalidArgument("request body must be a JSON object");
    return j;
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("malformed JSON at byte " + std::to_string(e.byte), e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for a double (out_of_range)
    return Status::InvalidArgument("unreadable JSON", e.what());
  }
}

// A required string field; errors name the field.
Result<std::string> StringField(const json& j, const char* name, bool required = true) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return Status::InvalidArgument("missing field \"" + std::string(name) + "\"");
    return std::string();
  }
  if (!it->is_string()) return Status::InvalidArgument("field \"" + std::string(name) + "\" must be a string");
  return it->get<std::string>();
}

Result<std::optional<Severity>> SeverityParam(const HttpRequest& req) {
  std::string s = req.Query("severity");
  if (s.empty()) return std::optional<Severity>();
  auto sev = ParseSeverity(s);
  if (!sev) return Status::InvalidArgument("parameter severity", "must be info, warning or critical", "got \"" + s + "\"");
  return std::optional<Severity>(sev);
}

Result<TimestampNs> TimeParam(const HttpRequest& req, const char* name, TimestampNs def, TimestampNs now) {
  std::string s = req.Query(name);
  if (s.empty()) return def;
  auto t = ParseTimestamp(s, now);
  if (!t.ok()) return t.status().WithContext(std::string("parameter ") + name);
  return t;
}

// The filters predictions and alerts share: entity, minimum severity, since, limit.
struct ListFilter {
  std::string entity;
  std::optional<Severity> min_severity;
  TimestampNs since = 0;
  size_t limit = 100;
};

Result<ListFilter> ParseListFilter(const HttpRequest& req, TimestampNs now) {
  ListFilter f;
  f.entity = req.Query("entity");
  FS_ASSIGN_OR_RETURN(f.min_severity, SeverityParam(req));
  FS_ASSIGN_OR_RETURN(f.since, TimeParam(req, "since", 0, now));
  FS_ASSIGN_OR_RETURN(f.limit, ParseLimit(req, 100, 10000));
  return f;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The status page at / until the dashboard is built: entities, open predictions and recent alerts.
std::string StatusPage(const ApiContext& ctx) {
  json status = ctx.service->StatusJson();
  json entities = ctx.service->EntitiesJson();
  std::string html =
      "<!doctype html><html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=5>"
      "<title>Foresight</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#111}"
      "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}"
      ".critical{color:#b00020;font-weight:600}.warning{color:#b26a00}.sim{color:#666;font-size:12px}"
      "@media(prefers-color-scheme:dark){body{background:#111;color:#eee}td,th{border-color:#333}}</style></head><body>"
      "<h1>Foresight</h1><p>" +
      HtmlEscape(Dump(status)) + "</p><h2>Predictions</h2><table><tr><th>entity</th><th>severity</th><th>score</th><th>why</th><th>do</th></tr>";
  storage::PredictionFilter pf;
  pf.limit = 50;
  if (auto preds = ctx.records->ListPredictions(pf); preds.ok()) {
    for (const auto& p : *preds) {
      std::string sev(SeverityName(p.severity));
      html += "<tr><td>" + HtmlEscape(p.entity) + (p.simulated ? " <span class=sim>simulated</span>" : "") +
              "</td><td class=" + sev + ">" + sev + "</td><td>" + std::to_string(p.score).substr(0, 4) + "</td><td>" +
              HtmlEscape(p.evidence) + "</td><td>" + HtmlEscape(p.actions.empty() ? "" : p.actions.front()) + "</td></tr>";
    }
  }
  html += "</table><h2>Entities</h2><table><tr><th>entity</th><th>kind</th><th>health</th><th>score</th></tr>";
  for (const auto& e : entities) {
    html += "<tr><td>" + HtmlEscape(e.value("entity", "")) +
            (e.value("simulated", false) ? " <span class=sim>simulated</span>" : "") + "</td><td>" +
            HtmlEscape(e.value("kind", "")) + "</td><td>" + HtmlEscape(e.value("health", "")) + "</td><td>" +
            (e.contains("score") && e["score"].is_number() ? std::to_string(e["score"].get<double>()).substr(0, 4) : "") +
            "</td></tr>";
  }
  html += "</table><p>API: <a href=/api/v1/entities>/api/v1/entities</a> · <a href=/api/v1/predictions>/api/v1/predictions</a> · "
          "<a href=/api/v1/alerts>/api/v1/alerts</a> · <a href=/metrics>/metrics</a></p></body></html>";
  return html;
}

HttpResponse HandleQuery(const ApiContext& ctx, const HttpRequest& req) {
  const TimestampNs now = ctx.clock->NowNs();
  std::string selector = req.Query("series");
  if (selector.empty()) selector = req.Query("match");
  if (selector.empty()) return HttpResponse::Error(Status::InvalidArgument("missing parameter series (a selector such as cpu_usage_percent{entity=\"web-1\"})"));
  auto matchers = storage::ParseSelector(selector);
  if (!matchers.ok()) return HttpResponse::Error(matchers.status());
  auto from = TimeParam(req, "from", now - 3600 * kNanosPerSecond, now);
  if (!from.ok()) return HttpResponse::Error(from.status());
  auto to = TimeParam(req, "to", now, now);
  if (!to.ok()) return HttpResponse::Error(to.status());
  if (*from > *to) return HttpResponse::Error(Status::InvalidArgument("from is after to", req.Query("from") + " > " + req.Query("to")));
  int64_t step = 0;
  if (std::string s = req.Query("step"); !s.empty()) {
    auto d = ParseDuration(s);
    if (!d.ok()) return HttpResponse::Error(d.status().WithContext("parameter step"));
    if (*d <= 0) return HttpResponse::Error(Status::InvalidArgument("parameter step must be positive"));
    step = *d;
    if ((*to - *from) / step > static_cast<int64_t>(ctx.options.max_points_per_series)) {
      return HttpResponse::Error(Status::InvalidArgument(
          "too many points", "(to-from)/step exceeds " + std::to_string(ctx.options.max_points_per_series) + "; use a larger step"));
    }
  }
  std::string agg = req.Query("agg");
  if (agg.empty()) agg = "mean";
  if (agg != "mean" && agg != "min" && agg != "max" && agg != "last" && agg != "sum" && agg != "count") {
    return HttpResponse::Error(Status::InvalidArgument("parameter agg must be mean, min, max, last, sum or count", "got \"" + agg + "\""));
  }
  auto series = ctx.samples->Select(*matchers);
  if (!series.ok()) return HttpResponse::Error(series.status());
  if (series->empty()) return HttpResponse::Error(Status::NotFound("no series matches", selector));
  if (series->size() > ctx.options.max_series_per_query) {
    return HttpResponse::Error(Status::InvalidArgument(
        "selector matches " + std::to_string(series->size()) + " series (limit " +
        std::to_string(ctx.options.max_series_per_query) + "); narrow it", selector));
  }
  json out_series = json::array();
  for (const auto& info : *series) {
    json points = json::array();
    bool truncated = false;
    if (step > 0) {
      auto buckets = ctx.samples->ReadDownsampled(info.id, *from, *to, step);
      if (!buckets.ok()) return HttpResponse::Error(buckets.status());
      for (const auto& b : *buckets) {
        double v = agg == "mean" ? b.mean() : agg == "min" ? b.min : agg == "max" ? b.max : agg == "last" ? b.last
                 : agg == "sum" ? b.sum : static_cast<double>(b.count);
        points.push_back(json::array({b.start / kNanosPerMilli, Number(v)}));
      }
    } else {
      std::vector<Sample> samples;
      if (Status st = ctx.samples->ReadRange(info.id, *from, *to, &samples); !st.ok()) return HttpResponse::Error(st);
      if (samples.size() > ctx.options.max_raw_points) {
        samples.resize(ctx.options.max_raw_points);
        truncated = true;
      }
      for (const auto& s : samples) points.push_back(json::array({s.ts_ns / kNanosPerMilli, Number(s.value)}));
    }
    json item = {{"id", info.id}, {"labels", ToJson(info.labels)}, {"points", std::move(points)},
                 {"simulated", info.labels.Get(kSimulatedLabel) == "true"}};
    if (truncated) item["truncated"] = true;
    out_series.push_back(std::move(item));
  }
  json data = {{"from_ms", *from / kNanosPerMilli}, {"to_ms", *to / kNanosPerMilli}, {"step_ms", step / kNanosPerMilli},
               {"agg", step > 0 ? agg : "raw"}, {"series", std::move(out_series)}};
  return Ok(data);
}

}  // namespace

void RegisterRoutes(Router& router, const ApiContext& ctx_in) {
  auto ctx = std::make_shared<ApiContext>(ctx_in);

  router.Add("GET", "/health", [ctx](HttpRequest&) {
    json s = ctx->service->StatusJson();
    bool healthy = s.value("healthy", true);
    return HttpResponse::Json(healthy ? 200 : 503, Dump(json{{"status", healthy ? "ok" : "unhealthy"}, {"details", s}}));
  });

  // Browsers get the dashboard (embedded, or from server.dashboard_dir), else the status page; API
  // clients get the status as JSON.
  router.Add("GET", "/", [ctx](HttpRequest& req) {
    if (req.Header("accept").find("text/html") != std::string::npos) {
      if (auto f = DashboardFile(ctx->options.dashboard_dir, "/index.html", req)) return *f;
      return HttpResponse::Text(200, StatusPage(*ctx), "text/html; charset=utf-8");
    }
    return Ok(ctx->service->StatusJson());
  });
  router.Add("GET", "/api/v1/status", [ctx](HttpRequest&) { return Ok(ctx->service->StatusJson()); });

  router.Add("POST", "/collect", [ctx](HttpRequest&) {
    auto r = ctx->service->CollectNow();
    return r.ok() ? Ok(*r) : HttpResponse::Error(r.status());
  });

  router.Add("GET", "/metrics", [ctx](HttpRequest&) {
    return HttpResponse::Text(200, ctx->service->MetricsText(), "text/plain; version=0.0.4; charset=utf-8");
  });

  router.Add("GET", "/api/v1/series", [ctx](HttpRequest& req) {
    auto limit = ParseLimit(req, 1000, 100000);
    if (!limit.ok()) return HttpResponse::Error(limit.status());
    std::vector<storage::LabelMatcher> matchers;
    if (std::string sel = req.Query("match"); !sel.empty()) {
      auto m = storage::ParseSelector(sel);
      if (!m.ok()) return HttpResponse::Error(m.status());
      matchers = std::move(*m);
    }
    auto series = ctx->samples->Select(matchers);
    if (!series.ok()) return HttpResponse::Error(series.status());
    json data = json::array();
    for (size_t i = 0; i < series->size() && i < *limit; ++i) {
      const auto& s = (*series)[i];
      data.push_back({{"id", s.id}, {"series", s.labels.ToString()}, {"labels", ToJson(s.labels)}});
    }
    json out = {{"status", "success"}, {"data", std::move(data)}, {"total", series->size()}};
    return HttpResponse::Json(200, Dump(out));
  });

  router.Add("GET", "/api/v1/query", [ctx](HttpRequest& req) { return HandleQuery(*ctx, req); });
  RegisterIngestRoutes(router, *ctx);  // POST /write, /api/v2/write, /api/v1/write, /v1/metrics, /v1/logs, ... (ingest_routes.cc)

  router.Add("GET", "/api/v1/predictions", [ctx](HttpRequest& req) {
    auto common = ParseListFilter(req, ctx->clock->NowNs());
    if (!common.ok()) return HttpResponse::Error(common.status());
    storage::PredictionFilter f;
    f.entity = common->entity;
    f.min_severity = common->min_severity;
    f.since = common->since;
    f.limit = common->limit;
    f.kind = req.Query("kind");
    if (!f.kind.empty() && f.kind != "anomaly" && f.kind != "forecast") {
      return HttpResponse::Error(Status::InvalidArgument("parameter kind must be anomaly or forecast", "got \"" + f.kind + "\""));
    }
    if (std::string open = req.Query("open"); !open.empty()) {
      if (open != "true" && open != "false") {
        return HttpResponse::Error(Status::InvalidArgument("parameter open must be true or false", "got \"" + open + "\""));
      }
      f.open_only = open == "true";
    }
    auto preds = ctx->records->ListPredictions(f);
    if (!preds.ok()) return HttpResponse::Error(preds.status());
    json data = json::array();
    for (const auto& p : *preds) data.push_back(ToJson(p));
    return Ok(data);
  });

  router.Add("GET", "/api/v1/predictions/{id}", [ctx](HttpRequest& req) {
    auto p = ctx->records->GetPrediction(req.params["id"]);
    if (!p.ok()) return HttpResponse::Error(p.status());
    json j = ToJson(*p);
    if (auto fb = ctx->records->ListFeedback(p->id); fb.ok()) {
      j["feedback_history"] = json::array();
      for (const auto& f : *fb) j["feedback_history"].push_back(ToJson(f));
    }
    return Ok(j);
  });

  // The explanation stored with a prediction: for anomalies, TreeSHAP contributions of the forest's score
  // summed by metric (base + sum = output); for forecasts, the model's evidence (trend, seasonality,
  // method, backtest error) and the share of the distance to the limit each component covers.
  router.Add("GET", "/api/v1/predictions/{id}/explanation", [ctx](HttpRequest& req) {
    auto p = ctx->records->GetPrediction(req.params["id"]);
    if (!p.ok()) return HttpResponse::Error(p.status());
    json details = json::parse(p->details_json.empty() ? std::string("{}") : p->details_json, nullptr, false);
    if (!details.is_object()) details = json::object();
    json out = {{"prediction_id", p->id}, {"kind", p->kind}, {"entity", p->entity}, {"resource", p->resource},
                {"evidence", p->evidence}};
    json attrs = json::array();
    for (const auto& a : p->attributions) {
      attrs.push_back({{"feature", a.feature}, {"value", Number(a.value)}, {"contribution", Number(a.contribution)}});
    }
    out["attributions"] = std::move(attrs);
    if (details.contains("explanation")) {
      for (auto& [k, v] : details["explanation"].items()) out[k] = v;
    } else if (p->kind == "forecast") {
      out["method"] = "forecast_decomposition";
      out["model"] = details.value("model", json::object());
      out["metrics"] = json::array();
      for (const auto& a : p->attributions) {
        out["metrics"].push_back({{"metric", a.feature}, {"contribution", Number(a.contribution)},
                                  {"features", json::array({json::array({a.feature, Number(a.contribution)})})}});
      }
    } else {
      return HttpResponse::Error(Status::NotFound("explanation of " + p->id, "not computed yet; retry in a second"));
    }
    return Ok(out);
  });

  router.Add("GET", "/api/v1/alerts", [ctx](HttpRequest& req) {
    auto common = ParseListFilter(req, ctx->clock->NowNs());
    if (!common.ok()) return HttpResponse::Error(common.status());
    storage::AlertFilter f;
    f.entity = common->entity;
    f.min_severity = common->min_severity;
    f.since = common->since;
    f.limit = common->limit;
    auto alerts = ctx->records->ListAlerts(f);
    if (!alerts.ok()) return HttpResponse::Error(alerts.status());
    json data = json::array();
    for (const auto& a : *alerts) data.push_back(ToJson(a));
    return Ok(data);
  });

  router.Add("POST", "/api/v1/alerts/{id}/ack", [ctx](HttpRequest& req) {
    std::string user = "anonymous";
    if (!req.body.empty()) {
      auto body = ParseJsonBody(req);
      if (!body.ok()) return HttpResponse::Error(body.status());
      auto u = StringField(*body, "user", false);
      if (!u.ok()) return HttpResponse::Error(u.status());
      if (!u->empty()) user = *u;
    }
    Status st = ctx->service->AcknowledgeAlert(req.params["id"], user);
    if (!st.ok()) return HttpResponse::Error(st);
    return Ok(json{{"id", req.params["id"]}, {"acked_by", user}});
  });

  router.Add("POST", "/api/v1/silences", [ctx](HttpRequest& req) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return HttpResponse::Error(body.status());
    auto entity = StringField(*body, "entity");
    if (!entity.ok()) return HttpResponse::Error(entity.status());
    auto dur_text = StringField(*body, "duration");
    if (!dur_text.ok()) return HttpResponse::Error(dur_text.status());
    auto dur = ParseDuration(*dur_text);
    if (!dur.ok()) return HttpResponse::Error(dur.status().WithContext("field \"duration\""));
    auto user = StringField(*body, "user", false);
    if (!user.ok()) return HttpResponse::Error(user.status());
    TimestampNs until = ctx->clock->NowNs() + *dur;
    Status st = ctx->service->Silence(*entity, until, user->empty() ? "anonymous" : *user);
    if (!st.ok()) return HttpResponse::Error(st);
    return Ok(json{{"entity", *entity}, {"until", FormatRfc3339(until)}}, 201);
  });

  router.Add("POST", "/api/v1/feedback", [ctx](HttpRequest& req) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return HttpResponse::Error(body.status());
    Feedback f;
    auto id = StringField(*body, "prediction_id");
    if (!id.ok()) return HttpResponse::Error(id.status());
    auto verdict = StringField(*body, "verdict");
    if (!verdict.ok()) return HttpResponse::Error(verdict.status());
    if (*verdict != "confirmed" && *verdict != "dismissed") {
      return HttpResponse::Error(Status::InvalidArgument("field \"verdict\" must be confirmed or dismissed", "got \"" + *verdict + "\""));
    }
    auto note = StringField(*body, "note", false);
    if (!note.ok()) return HttpResponse::Error(note.status());
    auto user = StringField(*body, "user", false);
    if (!user.ok()) return HttpResponse::Error(user.status());
    f.prediction_id = *id;
    f.verdict = *verdict;
    f.note = *note;
    f.user = user->empty() ? "anonymous" : *user;
    f.at = ctx->clock->NowNs();
    if (Status st = ctx->records->PutFeedback(f); !st.ok()) return HttpResponse::Error(st);
    ctx->service->OnFeedback(f.prediction_id, f.verdict);
    return Ok(ToJson(f), 201);
  });

  router.Add("GET", "/api/v1/forecasts", [ctx](HttpRequest& req) {
    return Ok(ctx->service->ForecastsJson(req.Query("entity")));
  });

  router.Add("GET", "/api/v1/entities", [ctx](HttpRequest&) { return Ok(ctx->service->EntitiesJson()); });

  router.Add("GET", "/api/v1/models", [ctx](HttpRequest& req) {
    auto r = ctx->service->ModelsJson(req.Query("entity"));
    return r.ok() ? Ok(*r) : HttpResponse::Error(r.status());
  });

  router.Add("GET", "/api/v1/simulator/scenarios", [ctx](HttpRequest&) {
    auto r = ctx->service->ScenariosJson();
    return r.ok() ? Ok(*r) : HttpResponse::Error(r.status());
  });
  router.Add("POST", "/api/v1/simulator/scenarios", [ctx](HttpRequest& req) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return HttpResponse::Error(body.status());
    auto r = ctx->service->InjectScenario(*body);
    return r.ok() ? Ok(*r, 201) : HttpResponse::Error(r.status());
  });

  // Dashboard assets (issue: dashboard) when a build is present.
  router.Add("GET", "/assets/{file}", [ctx](HttpRequest& req) {
    if (auto f = DashboardFile(ctx->options.dashboard_dir, "/assets/" + req.params["file"], req)) return *f;
    return HttpResponse::Error(404, "NOT_FOUND", "no such asset: " + req.params["file"]);
  });

  RegisterStreamRoutes(router, ctx_in);  // GET /api/v1/stream (Server-Sent Events, api/stream.h)
}

}  // namespace foresight::api

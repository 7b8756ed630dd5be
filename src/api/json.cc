#include "api/json.h"

#include <cmath>

#include "core/time_util.h"

namespace foresight::api {
namespace {

void PutTime(nlohmann::json& j, const char* key, TimestampNs ts) {
  j[key] = FormatRfc3339(ts);
  j[std::string(key) + "_ms"] = ts / kNanosPerMilli;
}

}  // namespace

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json ToJson(const Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& l : labels) j[l.name] = l.value;
  return j;
}

nlohmann::json ToJson(const Prediction& p) {
  nlohmann::json j;
  j["id"] = p.id;
  j["entity"] = p.entity;
  j["kind"] = p.kind;
  j["resource"] = p.resource;
  j["score"] = Number(p.score);
  j["severity"] = SeverityName(p.severity);
  if (p.eta) PutTime(j, "eta", *p.eta);
  if (p.eta_low) PutTime(j, "eta_low", *p.eta_low);
  if (p.eta_high) PutTime(j, "eta_high", *p.eta_high);
  if (p.probability) j["probability"] = Number(*p.probability);
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& a : p.attributions) {
    attrs.push_back({{"feature", a.feature}, {"value", Number(a.value)}, {"contribution", Number(a.contribution)}});
  }
  j["attributions"] = std::move(attrs);
  j["evidence"] = p.evidence;
  j["actions"] = p.actions;
  j["model"] = {{"name", p.model.name}, {"version", p.model.version}};
  j["simulated"] = p.simulated;
  PutTime(j, "created_at", p.created_at);
  PutTime(j, "updated_at", p.updated_at);
  j["feedback"] = p.feedback.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.feedback);
  j["open"] = !p.closed_at.has_value();
  if (p.closed_at) PutTime(j, "closed_at", *p.closed_at);
  // Details are stored as JSON written by the pipeline; a malformed value is dropped, never passed through.
  auto details = nlohmann::json::parse(p.details_json.empty() ? std::string("{}") : p.details_json, nullptr, false);
  j["details"] = details.is_object() ? details : nlohmann::json::object();
  return j;
}

nlohmann::json ToJson(const Alert& a) {
  nlohmann::json j;
  j["id"] = a.id;
  j["prediction_id"] = a.prediction_id;
  j["entity"] = a.entity;
  j["severity"] = SeverityName(a.severity);
  j["state"] = AlertStateName(a.state);
  j["message"] = a.message;
  j["channels"] = a.channels;
  PutTime(j, "created_at", a.created_at);
  j["acked_by"] = a.acked_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.acked_by);
  if (a.silenced_until) PutTime(j, "silenced_until", *a.silenced_until);
  return j;
}

nlohmann::json ToJson(const Feedback& f) {
  nlohmann::json j = {{"prediction_id", f.prediction_id}, {"verdict", f.verdict}, {"note", f.note}, {"user", f.user}};
  PutTime(j, "at", f.at);
  return j;
}

nlohmann::json ToJson(const ModelVersion& m) {
  nlohmann::json j = {{"entity", m.entity}, {"name", m.name}, {"version", m.version}, {"rows", m.rows}, {"path", m.path}};
  PutTime(j, "trained_at", m.trained_at);
  PutTime(j, "data_from", m.data_from);
  PutTime(j, "data_to", m.data_to);
  auto metrics = nlohmann::json::parse(m.metrics_json, nullptr, false);
  j["metrics"] = metrics.is_discarded() ? nlohmann::json(nullptr) : metrics;
  return j;
}

}  // namespace foresight::api

#pragma once
// The relational records of the data model (docs/ARCHITECTURE.md): predictions, alerts, feedback and
// model versions. Plain values; storage/ persists them, api/ renders them as JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace foresight {

enum class Severity { kInfo = 0, kWarning = 1, kCritical = 2 };
std::string_view SeverityName(Severity s);            // "info", "warning", "critical"
std::optional<Severity> ParseSeverity(std::string_view s);

struct Attribution {
  std::string feature;       // e.g. "memory_used_percent.slope_15m"
  double value = 0;          // the feature's value in the scored row
  double contribution = 0;   // its share of the score (sign: towards anomalous is positive)
};

struct ModelRef {
  std::string name;          // e.g. "isolation_forest"
  int64_t version = 0;
};

struct Prediction {
  std::string id;            // stable: derived from entity, kind, resource and the first tick it fired
  std::string entity;
  std::string kind;          // "anomaly" | "forecast"
  std::string resource;      // the metric or resource concerned ("" for a whole-entity anomaly)
  double score = 0;          // 0..1
  Severity severity = Severity::kInfo;
  std::optional<TimestampNs> eta;              // forecast: when the limit is crossed (P50)
  std::optional<TimestampNs> eta_low;          // P10
  std::optional<TimestampNs> eta_high;         // P90
  std::optional<double> probability;           // forecast: of crossing within the horizon
  std::vector<Attribution> attributions;
  std::string evidence;      // human-readable summary of what moved
  std::vector<std::string> actions;
  ModelRef model;
  bool simulated = false;    // the entity comes from the fleet simulator
  TimestampNs created_at = 0;
  TimestampNs updated_at = 0;
  std::string feedback;      // "" | "confirmed" | "dismissed" (latest verdict)
  std::optional<TimestampNs> closed_at;  // unset while the prediction is open
  // Structured details as a JSON object: forecast limit/direction/method/current value/trend, the
  // explanation (base, per-metric contributions). "{}" or "" when none.
  std::string details_json;
};

enum class AlertState { kFiring, kResolved, kAcknowledged, kSilenced };
std::string_view AlertStateName(AlertState s);

struct Alert {
  std::string id;
  std::string prediction_id;
  std::string entity;
  Severity severity = Severity::kInfo;
  AlertState state = AlertState::kFiring;
  std::string message;
  std::vector<std::string> channels;  // where it was delivered, e.g. {"console"}
  TimestampNs created_at = 0;
  std::string acked_by;
  std::optional<TimestampNs> silenced_until;
};

struct Feedback {
  std::string prediction_id;
  std::string verdict;       // "confirmed" | "dismissed"
  std::string note;
  std::string user;
  TimestampNs at = 0;
};

struct ModelVersion {
  std::string entity;        // the entity (or group) the model serves
  std::string name;          // detector name
  int64_t version = 0;       // increasing per (entity, name)
  TimestampNs trained_at = 0;
  TimestampNs data_from = 0;
  TimestampNs data_to = 0;
  uint64_t rows = 0;
  std::string path;          // serialised model file, relative to the data dir
  std::string metrics_json;  // training statistics (thresholds, score quantiles...)
};

}  // namespace foresight

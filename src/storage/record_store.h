#pragma once
// RecordStore: predictions, alerts, feedback and model versions. Embedded: SQLite in WAL mode
// (storage/sqlite); distributed: PostgreSQL behind the same interface.
// Thread-safe: every method may be called concurrently.

#include <optional>
#include <string>
#include <vector>

#include "core/records.h"
#include "core/status.h"

namespace foresight::storage {

struct PredictionFilter {
  std::string entity;                    // "" = any
  std::string kind;                      // "" = any
  std::optional<Severity> min_severity;  // at least this severity
  TimestampNs since = 0;                 // updated_at >= since
  bool open_only = false;                // only predictions not closed yet (closed_at unset)
  size_t limit = 100;
};

struct AlertFilter {
  std::string entity;
  std::optional<Severity> min_severity;
  TimestampNs since = 0;
  size_t limit = 100;
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // Inserts or replaces by id (idempotent: at-least-once delivery is safe).
  virtual Status PutPrediction(const Prediction& p) = 0;
  virtual Result<Prediction> GetPrediction(const std::string& id) const = 0;   // NotFound
  virtual Result<std::vector<Prediction>> ListPredictions(const PredictionFilter& f) const = 0;  // newest first

  virtual Status PutAlert(const Alert& a) = 0;
  virtual Result<Alert> GetAlert(const std::string& id) const = 0;
  virtual Result<std::vector<Alert>> ListAlerts(const AlertFilter& f) const = 0;  // newest first

  // Records a verdict and sets the prediction's latest feedback. Errors: NotFound (unknown prediction),
  // InvalidArgument (verdict not confirmed|dismissed).
  virtual Status PutFeedback(const Feedback& f) = 0;
  virtual Result<std::vector<Feedback>> ListFeedback(const std::string& prediction_id) const = 0;

  // Assigns the next version for (entity, name) when mv.version == 0; returns the stored version.
  virtual Result<int64_t> PutModelVersion(const ModelVersion& mv) = 0;
  virtual Result<std::vector<ModelVersion>> ListModelVersions(const std::string& entity) const = 0;  // newest first
  virtual Result<ModelVersion> LatestModel(const std::string& entity, const std::string& name) const = 0;
};

}  // namespace foresight::storage

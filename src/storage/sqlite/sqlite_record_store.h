#pragma once
// SqliteRecordStore: the embedded RecordStore. One SQLite file (WAL mode) holds predictions, alerts,
// feedback and model versions; vectors (attributions, actions, channels) are JSON text columns.
// Owned by app/ (one per data dir); stages borrow it as RecordStore&.
// Thread-safe: every method; calls are serialised on one connection by a mutex (see README.md for why).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/record_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace foresight::storage {

namespace internal {
// Deleters defined in internal/sqlite_util.cc, so this header needs no <sqlite3.h>.
struct DbCloser {
  void operator()(sqlite3* db) const;
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const;
};
}  // namespace internal

struct SqliteOptions {
  // NORMAL in WAL mode: a commit survives a process crash; an OS crash or power loss may roll back the
  // last commits but never corrupts the file. FULL also fsyncs the WAL at every commit (slower).
  bool synchronous_full = false;
  int busy_timeout_ms = 5000;  // another process holding the write lock: wait this long, then Unavailable
};

class SqliteRecordStore final : public RecordStore {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for a private in-memory store) and
  // migrates its schema to the current version.
  // Errors: FailedPrecondition (cannot open/create, or the file was written by a newer schema version),
  // DataLoss (not a database / corrupt), Internal.
  static Result<std::unique_ptr<SqliteRecordStore>> Open(const std::string& path, const SqliteOptions& options = {});
  ~SqliteRecordStore() override;

  static constexpr int kSchemaVersion = 1;

  // REQUIRES (checked, InvalidArgument): non-empty id and entity.
  // Replaces every column, except that an empty `feedback` keeps the stored verdict: predictions are
  // re-put by the pipeline (updated score) without knowing what a user said since.
  Status PutPrediction(const Prediction& p) override;
  Result<Prediction> GetPrediction(const std::string& id) const override;
  // Newest updated_at first (ties: id descending). limit 0 = no limit.
  Result<std::vector<Prediction>> ListPredictions(const PredictionFilter& f) const override;

  Status PutAlert(const Alert& a) override;  // REQUIRES (checked): non-empty id
  Result<Alert> GetAlert(const std::string& id) const override;
  // Newest created_at first (ties: id descending). limit 0 = no limit.
  Result<std::vector<Alert>> ListAlerts(const AlertFilter& f) const override;

  Status PutFeedback(const Feedback& f) override;
  Result<std::vector<Feedback>> ListFeedback(const std::string& prediction_id) const override;  // oldest first

  // version == 0: next version for (entity, name), atomically. version > 0: inserts or replaces that version.
  Result<int64_t> PutModelVersion(const ModelVersion& mv) override;
  Result<std::vector<ModelVersion>> ListModelVersions(const std::string& entity) const override;
  Result<ModelVersion> LatestModel(const std::string& entity, const std::string& name) const override;

  const std::string& path() const { return path_; }

 private:
  SqliteRecordStore(std::string path, std::unique_ptr<sqlite3, internal::DbCloser> db);
  Status Migrate();
  // Returns the cached prepared statement for `sql` (prepared on first use). REQUIRES: mu_ held.
  Result<sqlite3_stmt*> Prepare(const std::string& sql) const;

  const std::string path_;
  mutable std::mutex mu_;
  // Declared before stmts_ so the statements are finalized before the connection closes.
  std::unique_ptr<sqlite3, internal::DbCloser> db_;
  mutable std::map<std::string, std::unique_ptr<sqlite3_stmt, internal::StmtFinalizer>> stmts_;
};

}  // namespace foresight::storage

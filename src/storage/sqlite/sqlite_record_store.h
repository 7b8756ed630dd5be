#pragma once
// SqliteRecordStore: the embedded RecordStore. One SQLite file (WAL mode) holds predictions, alerts,
// feedback and model versions; vectors (attributions, actions, channels) are JSON text columns.
// Owned by app/ (one per data dir); stages borrow it as RecordStore&.
// Thread-safe: every method. Writes are serialised on one read-write connection; reads use a small pool
// of read-only connections, so in WAL mode an API query never makes the pipeline's PutPrediction wait
// (see README.md).

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
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
  int read_connections = 2;    // read-only connections for Get*/List*; 0 = reads share the write connection.
                               // Ignored (0) for in-memory databases, which one connection cannot share.
};

class SqliteRecordStore final : public RecordStore {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for a private in-memory store) and
  // migrates its schema to the current version.
  // Errors: FailedPrecondition (cannot open/create, or the file was written by a newer schema version),
  // DataLoss (not a database / corrupt), Internal.
  static Result<std::unique_ptr<SqliteRecordStore>> Open(const std::string& path, const SqliteOptions& options = {});
  ~SqliteRecordStore() override;

  static constexpr int kSchemaVersion = 2;

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

  // Deletes alerts created before `cutoff` and predictions last updated before it, except predictions
  // that carry a user verdict (they are training labels; their feedback rows stay too). Model versions
  // are the trainer's to prune. Returns the number of rows deleted. For app/'s retention loop.
  Result<int64_t> DeleteBefore(TimestampNs cutoff);

  const std::string& path() const { return path_; }
  // "wal" for a file database; "memory" for :memory:. Anything else means the filesystem refused WAL
  // (e.g. some network filesystems): still correct, but readers and the writer then block each other.
  const std::string& journal_mode() const { return journal_mode_; }

 private:
  // One sqlite3 handle with its prepared-statement cache; `mu` serialises its use.
  struct Connection {
    std::mutex mu;
    std::unique_ptr<sqlite3, internal::DbCloser> db;  // declared first: closed after the statements
    std::map<std::string, std::unique_ptr<sqlite3_stmt, internal::StmtFinalizer>> stmts;
    // Returns the cached statement for `sql`, preparing it on first use. REQUIRES: mu held.
    Result<sqlite3_stmt*> Prepare(const std::string& sql);
  };

  explicit SqliteRecordStore(std::string path);
  Status Migrate();
  // Locks and returns an idle reader (or the writer when there are none).
  std::pair<Connection*, std::unique_lock<std::mutex>> AcquireReader() const;

  const std::string path_;
  std::string journal_mode_;
  std::unique_ptr<Connection> writer_;
  std::vector<std::unique_ptr<Connection>> readers_;
  mutable std::atomic<size_t> next_reader_{0};
};

}  // namespace foresight::storage

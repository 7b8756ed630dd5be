#include "storage/sqlite/sqlite_record_store.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "storage/sqlite/internal/sqlite_util.h"

namespace foresight::storage {
namespace {

using internal::Exec;
using internal::SqliteError;
using internal::Stmt;
using json = nlohmann::json;

// Migrations in order; migration i brings the schema from version i to i + 1. Append, never edit.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the four record tables and the indexes behind the RecordStore filters.
    R"sql(
CREATE TABLE predictions (
  id TEXT PRIMARY KEY,
  entity TEXT NOT NULL,
  kind TEXT NOT NULL,
  resource TEXT NOT NULL,
  score REAL NOT NULL,
  severity INTEGER NOT NULL,
  eta INTEGER, eta_low INTEGER, eta_high INTEGER,
  probability REAL,
  attributions TEXT NOT NULL,  -- JSON [{"feature","value","contribution"}]
  evidence TEXT NOT NULL,
  actions TEXT NOT NULL,       -- JSON ["..."]
  model_name TEXT NOT NULL,
  model_version INTEGER NOT NULL,
  simulated INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  feedback TEXT NOT NULL
);
CREATE INDEX predictions_by_updated ON predictions(updated_at DESC, id DESC);
CREATE INDEX predictions_by_entity ON predictions(entity, updated_at DESC, id DESC);
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  prediction_id TEXT NOT NULL,
  entity TEXT NOT NULL,
  severity INTEGER NOT NULL,
  state TEXT NOT NULL,
  message TEXT NOT NULL,
  channels TEXT NOT NULL,      -- JSON ["console", ...]
  created_at INTEGER NOT NULL,
  acked_by TEXT NOT NULL,
  silenced_until INTEGER
);
CREATE INDEX alerts_by_created ON alerts(created_at DESC, id DESC);
CREATE INDEX alerts_by_entity ON alerts(entity, created_at DESC, id DESC);
CREATE TABLE feedback (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  prediction_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  note TEXT NOT NULL,
  user TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX feedback_by_prediction ON feedback(prediction_id, seq);
CREATE TABLE model_versions (
  entity TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  trained_at INTEGER NOT NULL,
  data_from INTEGER NOT NULL,
  data_to INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  path TEXT NOT NULL,
  metrics_json TEXT NOT NULL,
  PRIMARY KEY (entity, name, version)
);
CREATE INDEX model_versions_by_trained ON model_versions(entity, trained_at DESC);
)sql",
    // 1 -> 2: predictions close (closed_at) and carry structured details (forecast limit, band, explanation).
    R"sql(
ALTER TABLE predictions ADD COLUMN closed_at INTEGER;
ALTER TABLE predictions ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
)sql",
};
constexpr int kMigrationCount = static_cast<int>(std::size(kMigrations));
static_assert(kMigrationCount == SqliteRecordStore::kSchemaVersion);

// JSON cannot hold NaN/inf (nlohmann writes null); null reads back as NaN.
double JsonDouble(const json& j) { return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN(); }

std::string StringsToJson(const std::vector<std::string>& v) { return json(v).dump(); }

Result<std::vector<std::string>> StringsFromJson(const std::string& text, std::string_view column) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Status::DataLoss("sqlite", column, "not a JSON array");
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return Status::DataLoss("sqlite", column, "non-string element");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string AttributionsToJson(const std::vector<Attribution>& v) {
  json j = json::array();
  for (const auto& a : v) j.push_back({{"feature", a.feature}, {"value", a.value}, {"contribution", a.contribution}});
  return j.dump();
}

Result<std::vector<Attribution>> AttributionsFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Status::DataLoss("sqlite", "attributions", "not a JSON array");
  std::vector<Attribution> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("feature") || !e["feature"].is_string()) {
      return Status::DataLoss("sqlite", "attributions", "malformed element");
    }
    out.push_back({e["feature"].get<std::string>(), JsonDouble(e.value("value", json())),
                   JsonDouble(e.value("contribution", json()))});
  }
  return out;
}

std::optional<AlertState> ParseAlertState(std::string_view s) {
  for (AlertState st : {AlertState::kFiring, AlertState::kResolved, AlertState::kAcknowledged, AlertState::kSilenced}) {
    if (AlertStateName(st) == s) return st;
  }
  return std::nullopt;
}

Severity SeverityFromInt(int64_t v) {
  if (v <= 0) return Severity::kInfo;
  if (v == 1) return Severity::kWarning;
  return Severity::kCritical;
}

constexpr const char* kPredictionColumns =
    "id, entity, kind, resource, score, severity, eta, eta_low, eta_high, probability, attributions, evidence, "
    "actions, model_name, model_version, simulated, created_at, updated_at, feedback, closed_at, details";

Result<Prediction> ReadPrediction(const Stmt& s) {
  Prediction p;
  p.id = s.Text(0);
  p.entity = s.Text(1);
  p.kind = s.Text(2);
  p.resource = s.Text(3);
  p.score = s.IsNull(4) ? std::numeric_limits<double>::quiet_NaN() : s.Double(4);
  p.severity = SeverityFromInt(s.Int(5));
  p.eta = s.OptInt(6);
  p.eta_low = s.OptInt(7);
  p.eta_high = s.OptInt(8);
  p.probability = s.OptDouble(9);
  FS_ASSIGN_OR_RETURN(p.attributions, AttributionsFromJson(s.Text(10)));
  p.evidence = s.Text(11);
  FS_ASSIGN_OR_RETURN(p.actions, StringsFromJson(s.Text(12), "actions"));
  p.model.name = s.Text(13);
  p.model.version = s.Int(14);
  p.simulated = s.Int(15) != 0;
  p.created_at = s.Int(16);
  p.updated_at = s.Int(17);
  p.feedback = s.Text(18);
  p.closed_at = s.OptInt(19);
  p.details_json = s.Text(20);
  return p;
}

constexpr const char* kAlertColumns =
    "id, prediction_id, entity, severity, state, message, channels, created_at, acked_by, silenced_until";

Result<Alert> ReadAlert(const Stmt& s) {
  Alert a;
  a.id = s.Text(0);
  a.prediction_id = s.Text(1);
  a.entity = s.Text(2);
  a.severity = SeverityFromInt(s.Int(3));
  auto state = ParseAlertState(s.Text(4));
  if (!state) return Status::DataLoss("sqlite", "alerts.state", s.Text(4));
  a.state = *state;
  a.message = s.Text(5);
  FS_ASSIGN_OR_RETURN(a.channels, StringsFromJson(s.Text(6), "channels"));
  a.created_at = s.Int(7);
  a.acked_by = s.Text(8);
  a.silenced_until = s.OptInt(9);
  return a;
}

constexpr const char* kModelColumns = "entity, name, version, trained_at, data_from, data_to, rows, path, metrics_json";

ModelVersion ReadModel(const Stmt& s) {
  ModelVersion mv;
  mv.entity = s.Text(0);
  mv.name = s.Text(1);
  mv.version = s.Int(2);
  mv.trained_at = s.Int(3);
  mv.data_from = s.Int(4);
  mv.data_to = s.Int(5);
  mv.rows = static_cast<uint64_t>(s.Int(6));
  mv.path = s.Text(7);
  mv.metrics_json = s.Text(8);
  return mv;
}

int64_t SqlLimit(size_t limit) {
  return limit == 0 || limit > static_cast<size_t>(std::numeric_limits<int64_t>::max())
             ? -1
             : static_cast<int64_t>(limit);
}

// BEGIN IMMEDIATE takes the write lock up front, so a read-then-write transaction cannot fail half way
// with SQLITE_BUSY when another process writes. Rolls back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)Exec(db_, "ROLLBACK");
  }
  Status Begin() {
    FS_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    FS_RETURN_IF_ERROR(Exec(db_, "COMMIT"));
    open_ = false;
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace

namespace {

// Opens one connection with the pragmas every connection needs.
Result<internal::DbPtr> OpenConnection(const std::string& path, int flags, const SqliteOptions& options) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each Connection's own mutex serialises its use.
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  internal::DbPtr db(raw);  // sqlite3_open_v2 may return a handle even on failure; close it either way
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "open " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  return db;
}

bool IsInMemory(const std::string& path) {
  return path.empty() || path == ":memory:" || path.find("mode=memory") != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::Open(const std::string& path,
                                                                   const SqliteOptions& options) {
  FS_ASSIGN_OR_RETURN(internal::DbPtr db, OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, options));
  // Returns the mode in effect: "wal", or "memory" for in-memory databases, or the old mode when the
  // filesystem cannot do WAL.
  std::string journal_mode;
  {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode=WAL", -1, &raw, nullptr);
    internal::StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "journal_mode " + path);
    Stmt s(db.get(), raw);
    FS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) journal_mode = s.Text(0);
  }
  FS_RETURN_IF_ERROR(Exec(db.get(), options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  std::unique_ptr<SqliteRecordStore> store(new SqliteRecordStore(path));
  store->journal_mode_ = journal_mode;
  store->writer_ = std::make_unique<Connection>();
  store->writer_->db = std::move(db);
  FS_RETURN_IF_ERROR(store->Migrate().WithContext(path));
  // Readers open after the migration so they see the final schema. An in-memory database is private to
  // its connection, so there reads share the writer.
  const int readers = IsInMemory(path) ? 0 : std::max(options.read_connections, 0);
  for (int i = 0; i < readers; ++i) {
    FS_ASSIGN_OR_RETURN(internal::DbPtr rdb, OpenConnection(path, SQLITE_OPEN_READONLY, options));
    auto conn = std::make_unique<Connection>();
    conn->db = std::move(rdb);
    store->readers_.push_back(std::move(conn));
  }
  return store;
}

SqliteRecordStore::SqliteRecordStore(std::string path) : path_(std::move(path)) {}

SqliteRecordStore::~SqliteRecordStore() = default;

Status SqliteRecordStore::Migrate() {
  Connection& conn = *writer_;
  std::lock_guard lock(conn.mu);
  sqlite3* db = conn.db.get();
  Transaction tx(db);
  FS_RETURN_IF_ERROR(tx.Begin());
  FS_RETURN_IF_ERROR(Exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  int64_t version = 0;
  {
    FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare("SELECT MAX(version) FROM schema_version"));
    Stmt s(db, raw);
    FS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && !s.IsNull(0)) version = s.Int(0);
  }
  if (version > kMigrationCount) {
    return Status::FailedPrecondition("schema version " + std::to_string(version) +
                                      " is newer than this build supports (" + std::to_string(kMigrationCount) + ")");
  }
  for (int64_t v = version; v < kMigrationCount; ++v) {
    FS_RETURN_IF_ERROR(Exec(db, kMigrations[v]).WithContext("migration " + std::to_string(v + 1)));
  }
  if (version < kMigrationCount) {
    FS_RETURN_IF_ERROR(Exec(db, "DELETE FROM schema_version"));
    FS_RETURN_IF_ERROR(Exec(db, "INSERT INTO schema_version(version) VALUES (" + std::to_string(kMigrationCount) + ")"));
  }
  return tx.Commit();
}

Result<sqlite3_stmt*> SqliteRecordStore::Connection::Prepare(const std::string& sql) {
  auto it = stmts.find(sql);
  if (it != stmts.end()) return it->second.get();
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db.get(), sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                              nullptr);
  internal::StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "prepare");
  sqlite3_stmt* out = stmt.get();
  stmts.emplace(sql, std::move(stmt));
  return out;
}

std::pair<SqliteRecordStore::Connection*, std::unique_lock<std::mutex>> SqliteRecordStore::AcquireReader() const {
  if (readers_.empty()) return {writer_.get(), std::unique_lock(writer_->mu)};
  // Take the first idle reader, starting at a rotating index; if all are busy, wait for the first one.
  const size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < readers_.size(); ++i) {
    Connection* c = readers_[(start + i) % readers_.size()].get();
    std::unique_lock lock(c->mu, std::try_to_lock);
    if (lock.owns_lock()) return {c, std::move(lock)};
  }
  Connection* c = readers_[start % readers_.size()].get();
  return {c, std::unique_lock(c->mu)};
}

// ---- predictions ----

Status SqliteRecordStore::PutPrediction(const Prediction& p) {
  if (p.id.empty()) return Status::InvalidArgument("prediction", "empty id");
  if (p.entity.empty()) return Status::InvalidArgument("prediction", p.id, "empty entity");
  Connection& conn = *writer_;
  std::lock_guard lock(conn.mu);
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(std::string("INSERT INTO predictions (") + kPredictionColumns +
                                                  ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
                                                  "?18,?19,?20,?21) ON CONFLICT(id) DO UPDATE SET entity=excluded.entity, "
                                                  "kind=excluded.kind, resource=excluded.resource, score=excluded.score, "
                                                  "severity=excluded.severity, eta=excluded.eta, eta_low=excluded.eta_low, "
                                                  "eta_high=excluded.eta_high, probability=excluded.probability, "
                                                  "attributions=excluded.attributions, evidence=excluded.evidence, "
                                                  "actions=excluded.actions, model_name=excluded.model_name, "
                                                  "model_version=excluded.model_version, simulated=excluded.simulated, "
                                                  "created_at=excluded.created_at, updated_at=excluded.updated_at, "
                                                  "feedback=CASE WHEN excluded.feedback = '' THEN predictions.feedback "
                                                  "ELSE excluded.feedback END, closed_at=excluded.closed_at, details=excluded.details"));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, p.id);
  s.Bind(2, p.entity);
  s.Bind(3, p.kind);
  s.Bind(4, p.resource);
  if (std::isnan(p.score)) s.BindNull(5); else s.Bind(5, p.score);
  s.Bind(6, static_cast<int64_t>(p.severity));
  s.Bind(7, p.eta);
  s.Bind(8, p.eta_low);
  s.Bind(9, p.eta_high);
  s.Bind(10, p.probability);
  s.Bind(11, AttributionsToJson(p.attributions));
  s.Bind(12, p.evidence);
  s.Bind(13, StringsToJson(p.actions));
  s.Bind(14, p.model.name);
  s.Bind(15, p.model.version);
  s.Bind(16, static_cast<int64_t>(p.simulated ? 1 : 0));
  s.Bind(17, p.created_at);
  s.Bind(18, p.updated_at);
  s.Bind(19, p.feedback);
  s.Bind(20, p.closed_at);
  s.Bind(21, p.details_json.empty() ? std::string("{}") : p.details_json);
  return s.Run().WithContext("put prediction " + p.id);
}

Result<Prediction> SqliteRecordStore::GetPrediction(const std::string& id) const {
  auto [conn_ptr, lock] = AcquireReader();
  Connection& conn = *conn_ptr;
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                      conn.Prepare(std::string("SELECT ") + kPredictionColumns + " FROM predictions WHERE id = ?1"));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, id);
  FS_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("prediction", id);
  return ReadPrediction(s);
}

Result<std::vector<Prediction>> SqliteRecordStore::ListPredictions(const PredictionFilter& f) const {
  // The WHERE clause names only the filters in use so SQLite can pick the matching index; the handful of
  // shapes are each prepared once and cached.
  std::string sql = std::string("SELECT ") + kPredictionColumns + " FROM predictions WHERE updated_at >= ?1";
  if (!f.entity.empty()) sql += " AND entity = ?2";
  if (!f.kind.empty()) sql += " AND kind = ?3";
  if (f.min_severity) sql += " AND severity >= ?4";
  if (f.open_only) sql += " AND closed_at IS NULL";
  sql += " ORDER BY updated_at DESC, id DESC LIMIT ?5";
  auto [conn_ptr, lock] = AcquireReader();
  Connection& conn = *conn_ptr;
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, f.since);
  if (!f.entity.empty()) s.Bind(2, f.entity);
  if (!f.kind.empty()) s.Bind(3, f.kind);
  if (f.min_severity) s.Bind(4, static_cast<int64_t>(*f.min_severity));
  s.Bind(5, SqlLimit(f.limit));
  std::vector<Prediction> out;
  while (true) {
    FS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    FS_ASSIGN_OR_RETURN(Prediction p, ReadPrediction(s));
    out.push_back(std::move(p));
  }
  return out;
}

// ---- alerts ----

Status SqliteRecordStore::PutAlert(const Alert& a) {
  if (a.id.empty()) return Status::InvalidArgument("alert", "empty id");
  Connection& conn = *writer_;
  std::lock_guard lock(conn.mu);
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(std::string("INSERT OR REPLACE INTO alerts (") + kAlertColumns +
                                                  ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, a.id);
  s.Bind(2, a.prediction_id);
  s.Bind(3, a.entity);
  s.Bind(4, static_cast<int64_t>(a.severity));
  s.Bind(5, AlertStateName(a.state));
  s.Bind(6, a.message);
  s.Bind(7, StringsToJson(a.channels));
  s.Bind(8, a.created_at);
  s.Bind(9, a.acked_by);
  s.Bind(10, a.silenced_until);
  return s.Run().WithContext("put alert " + a.id);
}

Result<Alert> SqliteRecordStore::GetAlert(const std::string& id) const {
  auto [conn_ptr, lock] = AcquireReader();
  Connection& conn = *conn_ptr;
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id = ?1"));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, id);
  FS_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("alert", id);
  return ReadAlert(s);
}

Result<std::vector<Alert>> SqliteRecordStore::ListAlerts(const AlertFilter& f) const {
  std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE created_at >= ?1";
  if (!f.entity.empty()) sql += " AND entity = ?2";
  if (f.min_severity) sql += " AND severity >= ?3";
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?4";
  auto [conn_ptr, lock] = AcquireReader();
  Connection& conn = *conn_ptr;
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, f.since);
  if (!f.entity.empty()) s.Bind(2, f.entity);
  if (f.min_severity) s.Bind(3, static_cast<int64_t>(*f.min_severity));
  s.Bind(4, SqlLimit(f.limit));
  std::vector<Alert> out;
  while (true) {
    FS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    FS_ASSIGN_OR_RETURN(Alert a, ReadAlert(s));
    out.push_back(std::move(a));
  }
  return out;
}

// ---- feedback ----

Status SqliteRecordStore::PutFeedback(const Feedback& f) {
  if (f.verdict != "confirmed" && f.verdict != "dismissed") {
    return Status::InvalidArgument("feedback", "verdict must be confirmed or dismissed, got \"" + f.verdict + "\"");
  }
  Connection& conn = *writer_;
  std::lock_guard lock(conn.mu);
  sqlite3* db = conn.db.get();
  Transaction tx(db);
  FS_RETURN_IF_ERROR(tx.Begin());
  {
    FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare("UPDATE predictions SET feedback = ?2 WHERE id = ?1"));
    Stmt s(db, raw);
    s.Bind(1, f.prediction_id);
    s.Bind(2, f.verdict);
    FS_RETURN_IF_ERROR(s.Run());
    if (sqlite3_changes(db) == 0) return Status::NotFound("prediction", f.prediction_id);
  }
  {
    FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                        conn.Prepare("INSERT INTO feedback (prediction_id, verdict, note, user, at) VALUES (?1,?2,?3,?4,?5)"));
    Stmt s(db, raw);
    s.Bind(1, f.prediction_id);
    s.Bind(2, f.verdict);
    s.Bind(3, f.note);
    s.Bind(4, f.user);
    s.Bind(5, f.at);
    FS_RETURN_IF_ERROR(s.Run());
  }
  return tx.Commit();
}

Result<std::vector<Feedback>> SqliteRecordStore::ListFeedback(const std::string& prediction_id) const {
  auto [conn_ptr, lock] = AcquireReader();
  Connection& conn = *conn_ptr;
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare("SELECT prediction_id, verdict, note, user, at FROM feedback "
                                                  "WHERE prediction_id = ?1 ORDER BY seq"));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, prediction_id);
  std::vector<Feedback> out;
  while (true) {
    FS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4)});
  }
  return out;
}

// ---- model versions ----

Result<int64_t> SqliteRecordStore::PutModelVersion(const ModelVersion& mv) {
  if (mv.entity.empty() || mv.name.empty()) return Status::InvalidArgument("model version", "empty entity or name");
  if (mv.version < 0) return Status::InvalidArgument("model version", "negative version");
  Connection& conn = *writer_;
  std::lock_guard lock(conn.mu);
  sqlite3* db = conn.db.get();
  Transaction tx(db);
  FS_RETURN_IF_ERROR(tx.Begin());
  int64_t version = mv.version;
  if (version == 0) {
    FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                        conn.Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE entity = ?1 AND name = ?2"));
    Stmt s(db, raw);
    s.Bind(1, mv.entity);
    s.Bind(2, mv.name);
    FS_ASSIGN_OR_RETURN(bool row, s.Step());
    version = row ? s.Int(0) : 1;
  }
  {
    FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(std::string("INSERT OR REPLACE INTO model_versions (") +
                                                    kModelColumns + ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"));
    Stmt s(db, raw);
    s.Bind(1, mv.entity);
    s.Bind(2, mv.name);
    s.Bind(3, version);
    s.Bind(4, mv.trained_at);
    s.Bind(5, mv.data_from);
    s.Bind(6, mv.data_to);
    s.Bind(7, static_cast<int64_t>(mv.rows));
    s.Bind(8, mv.path);
    s.Bind(9, mv.metrics_json);
    FS_RETURN_IF_ERROR(s.Run());
  }
  FS_RETURN_IF_ERROR(tx.Commit());
  return version;
}

Result<int64_t> SqliteRecordStore::DeleteBefore(TimestampNs cutoff) {
  Connection& conn = *writer_;
  std::lock_guard lock(conn.mu);
  sqlite3* db = conn.db.get();
  Transaction tx(db);
  FS_RETURN_IF_ERROR(tx.Begin());
  int64_t deleted = 0;
  for (const char* sql : {"DELETE FROM alerts WHERE created_at < ?1",
                          "DELETE FROM predictions WHERE updated_at < ?1 AND feedback = ''"}) {
    FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql));
    Stmt s(db, raw);
    s.Bind(1, cutoff);
    FS_RETURN_IF_ERROR(s.Run());
    deleted += sqlite3_changes(db);
  }
  FS_RETURN_IF_ERROR(tx.Commit());
  return deleted;
}

Result<std::vector<ModelVersion>> SqliteRecordStore::ListModelVersions(const std::string& entity) const {
  auto [conn_ptr, lock] = AcquireReader();
  Connection& conn = *conn_ptr;
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(std::string("SELECT ") + kModelColumns +
                                                  " FROM model_versions WHERE entity = ?1 "
                                                  "ORDER BY trained_at DESC, version DESC, name"));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, entity);
  std::vector<ModelVersion> out;
  while (true) {
    FS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadModel(s));
  }
  return out;
}

Result<ModelVersion> SqliteRecordStore::LatestModel(const std::string& entity, const std::string& name) const {
  auto [conn_ptr, lock] = AcquireReader();
  Connection& conn = *conn_ptr;
  FS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(std::string("SELECT ") + kModelColumns +
                                                  " FROM model_versions WHERE entity = ?1 AND name = ?2 "
                                                  "ORDER BY version DESC LIMIT 1"));
  Stmt s(conn.db.get(), raw);
  s.Bind(1, entity);
  s.Bind(2, name);
  FS_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("model", entity, name);
  return ReadModel(s);
}

}  // namespace foresight::storage

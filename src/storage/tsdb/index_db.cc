#include "storage/tsdb/index_db.h"

#include <cstring>
#include <optional>

namespace foresight::storage::tsdb {
namespace {

int64_t DBits(double v) {
  int64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}
double DFromBits(int64_t b) {
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t Int(int c) { return sqlite3_column_int64(s_, c); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS series(
  id INTEGER PRIMARY KEY,
  labels TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS chunks(
  series_id INTEGER NOT NULL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL,
  count INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  crc INTEGER NOT NULL,
  vmin INTEGER NOT NULL, vmax INTEGER NOT NULL, vsum INTEGER NOT NULL, vlast INTEGER NOT NULL,
  PRIMARY KEY(series_id, min_ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunks_by_max_ts ON chunks(max_ts);
CREATE TABLE IF NOT EXISTS rollups(
  series_id INTEGER NOT NULL,
  res_ns INTEGER NOT NULL,
  start INTEGER NOT NULL,
  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, count INTEGER NOT NULL,
  vmin INTEGER NOT NULL, vmax INTEGER NOT NULL, vsum INTEGER NOT NULL, vlast INTEGER NOT NULL,
  PRIMARY KEY(series_id, res_ns, start)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rollups_by_start ON rollups(res_ns, start);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);
PRAGMA user_version = 1;
)sql";

}  // namespace

Status IndexDb::Err(std::string_view what) const { return Status::Unavailable("tsdb index", what, sqlite3_errmsg(db_)); }

Status IndexDb::Exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "?";
    sqlite3_free(msg);
    return Status::Unavailable("tsdb index", sql, m);
  }
  return Status::Ok();
}

Result<std::unique_ptr<IndexDb>> IndexDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    Status s = Status::Unavailable("tsdb index open", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<IndexDb> idx(new IndexDb(db));
  sqlite3_busy_timeout(db, 5000);
  FS_RETURN_IF_ERROR(idx->Exec("PRAGMA journal_mode=WAL"));
  // NORMAL by default (commits survive a process crash); commits that must survive power loss switch to
  // FULL for that transaction (chunk rows, which replace WAL records; series under kEveryBatch).
  FS_RETURN_IF_ERROR(idx->Exec("PRAGMA synchronous=NORMAL"));
  FS_RETURN_IF_ERROR(idx->Exec(kSchema));
  return idx;
}

IndexDb::~IndexDb() { sqlite3_close(db_); }

Result<SeriesId> IndexDb::InsertSeries(const std::string& canonical, bool durable) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "INSERT INTO series(labels) VALUES(?)");
  if (!st.ok()) return Err("prepare insert series");
  st.Bind(1, canonical);
  if (durable) FS_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  int rc = st.Step();
  if (durable) FS_RETURN_IF_ERROR(Exec("PRAGMA synchronous=NORMAL"));
  if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists("series", canonical);
  if (rc != SQLITE_DONE) return Err("insert series");
  return static_cast<SeriesId>(sqlite3_last_insert_rowid(db_));
}

Status IndexDb::Sync() {
  std::lock_guard lock(mu_);
  FS_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  // A FULL commit fsyncs SQLite's WAL, and with it every earlier NORMAL commit.
  Status s = Exec("INSERT OR REPLACE INTO meta(key, value) VALUES('last_sync', strftime('%s','now'))");
  Status r = Exec("PRAGMA synchronous=NORMAL");
  return s.ok() ? r : s;
}

Status IndexDb::LoadSeries(const std::function<void(SeriesId, const std::string&)>& fn) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT id, labels FROM series ORDER BY id");
  if (!st.ok()) return Err("prepare load series");
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1));
    fn(static_cast<SeriesId>(st.Int(0)), std::string(text ? text : "", sqlite3_column_bytes(st.get(), 1)));
  }
  return rc == SQLITE_DONE ? Status::Ok() : Err("load series");
}

Status IndexDb::LoadChunks(const std::function<void(SeriesId, const ChunkMeta&)>& fn) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT series_id, min_ts, max_ts, count, segment, offset, length, crc, vmin, vmax, vsum, vlast "
          "FROM chunks ORDER BY series_id, min_ts");
  if (!st.ok()) return Err("prepare load chunks");
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    ChunkMeta m;
    m.summary.min_ts = st.Int(1);
    m.summary.max_ts = st.Int(2);
    m.summary.count = static_cast<uint32_t>(st.Int(3));
    m.loc.segment = static_cast<uint32_t>(st.Int(4));
    m.loc.offset = static_cast<uint64_t>(st.Int(5));
    m.loc.length = static_cast<uint32_t>(st.Int(6));
    m.loc.crc = static_cast<uint32_t>(st.Int(7));
    m.summary.min = DFromBits(st.Int(8));
    m.summary.max = DFromBits(st.Int(9));
    m.summary.sum = DFromBits(st.Int(10));
    m.summary.last = DFromBits(st.Int(11));
    fn(static_cast<SeriesId>(st.Int(0)), m);
  }
  return rc == SQLITE_DONE ? Status::Ok() : Err("load chunks");
}

Status IndexDb::InsertChunks(const std::vector<std::pair<SeriesId, ChunkMeta>>& chunks,
                             const std::vector<RollupRow>& rollups) {
  std::lock_guard lock(mu_);
  FS_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  struct Restore {
    IndexDb* db;
    ~Restore() { (void)db->Exec("PRAGMA synchronous=NORMAL"); }
  } restore{this};
  FS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](std::string_view what) {
    Status s = Err(what);
    (void)Exec("ROLLBACK");
    return s;
  };
  {
    Stmt ins(db_,
             "INSERT OR REPLACE INTO chunks(series_id, min_ts, max_ts, count, segment, offset, length, crc, vmin, vmax, "
             "vsum, vlast) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!ins.ok()) return fail("prepare insert chunk");
    for (const auto& [series, m] : chunks) {
      ins.Bind(1, static_cast<int64_t>(series));
      ins.Bind(2, m.summary.min_ts);
      ins.Bind(3, m.summary.max_ts);
      ins.Bind(4, m.summary.count);
      ins.Bind(5, m.loc.segment);
      ins.Bind(6, static_cast<int64_t>(m.loc.offset));
      ins.Bind(7, m.loc.length);
      ins.Bind(8, m.loc.crc);
      ins.Bind(9, DBits(m.summary.min));
      ins.Bind(10, DBits(m.summary.max));
      ins.Bind(11, DBits(m.summary.sum));
      ins.Bind(12, DBits(m.summary.last));
      if (ins.Step() != SQLITE_DONE) return fail("insert chunk");
      ins.Reset();
    }
  }
  if (!rollups.empty()) {
    Stmt sel(db_,
             "SELECT first_ts, last_ts, count, vmin, vmax, vsum, vlast FROM rollups "
             "WHERE series_id=? AND res_ns=? AND start=?");
    Stmt put(db_,
             "INSERT OR REPLACE INTO rollups(series_id, res_ns, start, first_ts, last_ts, count, vmin, vmax, vsum, vlast) "
             "VALUES(?,?,?,?,?,?,?,?,?,?)");
    if (!sel.ok() || !put.ok()) return fail("prepare rollups");
    for (const auto& r : rollups) {
      Summary agg = r.agg;
      sel.Bind(1, static_cast<int64_t>(r.series));
      sel.Bind(2, r.res_ns);
      sel.Bind(3, r.start);
      int rc = sel.Step();
      if (rc == SQLITE_ROW) {
        Summary old;
        old.min_ts = sel.Int(0);
        old.max_ts = sel.Int(1);
        old.count = static_cast<uint32_t>(sel.Int(2));
        old.min = DFromBits(sel.Int(3));
        old.max = DFromBits(sel.Int(4));
        old.sum = DFromBits(sel.Int(5));
        old.last = DFromBits(sel.Int(6));
        if (old.max_ts < agg.min_ts) {
          old.Merge(agg);
          agg = old;
        } else if (agg.max_ts < old.min_ts) {
          agg.Merge(old);
        }
        // Overlap means this chunk was already rolled up (re-persisted after a crash): keep the new row.
      } else if (rc != SQLITE_DONE) {
        return fail("select rollup");
      }
      sel.Reset();
      put.Bind(1, static_cast<int64_t>(r.series));
      put.Bind(2, r.res_ns);
      put.Bind(3, r.start);
      put.Bind(4, agg.min_ts);
      put.Bind(5, agg.max_ts);
      put.Bind(6, agg.count);
      put.Bind(7, DBits(agg.min));
      put.Bind(8, DBits(agg.max));
      put.Bind(9, DBits(agg.sum));
      put.Bind(10, DBits(agg.last));
      if (put.Step() != SQLITE_DONE) return fail("put rollup");
      put.Reset();
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  return Status::Ok();
}

Status IndexDb::DeleteChunksBefore(TimestampNs cutoff) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "DELETE FROM chunks WHERE max_ts < ?");
  if (!st.ok()) return Err("prepare delete chunks");
  st.Bind(1, cutoff);
  return st.Step() == SQLITE_DONE ? Status::Ok() : Err("delete chunks");
}

Status IndexDb::DeleteRollupsBefore(int64_t res_ns, TimestampNs cutoff) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "DELETE FROM rollups WHERE res_ns=? AND start < ?");
  if (!st.ok()) return Err("prepare delete rollups");
  st.Bind(1, res_ns);
  st.Bind(2, cutoff);
  return st.Step() == SQLITE_DONE ? Status::Ok() : Err("delete rollups");
}

Status IndexDb::ReadRollups(SeriesId series, int64_t res_ns, TimestampNs from, TimestampNs to,
                            const std::function<void(const RollupRow&)>& fn) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT start, first_ts, last_ts, count, vmin, vmax, vsum, vlast FROM rollups "
          "WHERE series_id=? AND res_ns=? AND start>=? AND start<=? ORDER BY start");
  if (!st.ok()) return Err("prepare read rollups");
  st.Bind(1, static_cast<int64_t>(series));
  st.Bind(2, res_ns);
  st.Bind(3, from);
  st.Bind(4, to);
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    RollupRow r;
    r.series = series;
    r.res_ns = res_ns;
    r.start = st.Int(0);
    r.agg.min_ts = st.Int(1);
    r.agg.max_ts = st.Int(2);
    r.agg.count = static_cast<uint32_t>(st.Int(3));
    r.agg.min = DFromBits(st.Int(4));
    r.agg.max = DFromBits(st.Int(5));
    r.agg.sum = DFromBits(st.Int(6));
    r.agg.last = DFromBits(st.Int(7));
    fn(r);
  }
  return rc == SQLITE_DONE ? Status::Ok() : Err("read rollups");
}

Result<std::optional<TimestampNs>> IndexDb::FirstRollup(SeriesId series, int64_t res_ns) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT MIN(start) FROM rollups WHERE series_id=? AND res_ns=?");
  if (!st.ok()) return Err("prepare first rollup");
  st.Bind(1, static_cast<int64_t>(series));
  st.Bind(2, res_ns);
  if (st.Step() != SQLITE_ROW) return Err("first rollup");
  if (sqlite3_column_type(st.get(), 0) == SQLITE_NULL) return std::optional<TimestampNs>();
  return std::optional<TimestampNs>(st.Int(0));
}

}  // namespace foresight::storage::tsdb

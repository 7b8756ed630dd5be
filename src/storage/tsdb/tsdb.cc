#include "storage/tsdb/tsdb.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "storage/tsdb/file_util.h"

namespace foresight::storage::tsdb {
namespace {

TimestampNs FloorTo(TimestampNs ts, int64_t step) {
  TimestampNs q = ts / step;
  if (ts % step != 0 && ts < 0) --q;
  return q * step;
}

// Accumulates time-ordered samples and summaries into step buckets.
class BucketBuilder {
 public:
  explicit BucketBuilder(int64_t step) : step_(step) {}
  void Add(TimestampNs ts, double v) {
    if (!InCurrent(ts)) Roll(FloorTo(ts, step_));
    cur_.Add(ts, v);
  }
  void AddSummary(TimestampNs any_ts_in_bucket, const Summary& s) {
    if (!InCurrent(any_ts_in_bucket)) Roll(FloorTo(any_ts_in_bucket, step_));
    cur_.Merge(s);
  }
  std::vector<Bucket> Finish() {
    Roll(0);
    return std::move(out_);
  }

 private:
  // Avoids a division per sample; unsigned arithmetic cannot overflow near the int64 limits.
  bool InCurrent(TimestampNs ts) const {
    return open_ && ts >= cur_start_ &&
           static_cast<uint64_t>(ts) - static_cast<uint64_t>(cur_start_) < static_cast<uint64_t>(step_);
  }
  void Roll(TimestampNs next) {
    if (open_ && cur_.count > 0) {
      out_.push_back(Bucket{cur_start_, cur_.min, cur_.max, cur_.sum, cur_.last, cur_.count});
    }
    cur_ = Summary();
    cur_start_ = next;
    open_ = true;
  }
  const int64_t step_;
  bool open_ = false;
  TimestampNs cur_start_ = 0;
  Summary cur_;
  std::vector<Bucket> out_;
};

}  // namespace

Tsdb::Tsdb(const TsdbOptions& options, Clock& clock)
    : options_(options), clock_(clock), log_(options.logger ? options.logger : spdlog::default_logger()) {}

Result<std::unique_ptr<Tsdb>> Tsdb::Open(const TsdbOptions& options, Clock& clock) {
  if (options.data_dir.empty()) return Status::InvalidArgument("tsdb options", "data_dir is empty");
  if (options.chunk_max_samples < 2) return Status::InvalidArgument("tsdb options", "chunk_max_samples < 2");
  if (options.raw_retention_ns <= 0) return Status::InvalidArgument("tsdb options", "raw_retention_ns <= 0");
  std::unique_ptr<Tsdb> db(new Tsdb(options, clock));
  FS_RETURN_IF_ERROR(EnsureDir(options.data_dir));
  FS_ASSIGN_OR_RETURN(db->lock_, DirLock::Acquire(options.data_dir));
  FS_ASSIGN_OR_RETURN(db->index_, IndexDb::Open(options.data_dir + "/index.db"));
  FS_RETURN_IF_ERROR(db->LoadIndex());

  std::vector<Sample> replayed;
  size_t bad_records = 0;
  WalOptions wo;
  wo.dir = options.data_dir + "/wal";
  wo.fsync_policy = options.fsync_policy;
  wo.fsync_interval = options.fsync_interval;
  wo.logger = db->log_;
  auto replay = [&](WalRecordType type, std::string_view payload) {
    if (type == WalRecordType::kSamples) {
      if (payload.size() % sizeof(Sample) != 0) {
        ++bad_records;
        return;
      }
      const size_t n = payload.size() / sizeof(Sample);
      const size_t old = replayed.size();
      replayed.resize(old + n);
      std::memcpy(replayed.data() + old, payload.data(), payload.size());
    } else if (type == WalRecordType::kHeadChunk) {
      if (payload.size() < 12) {
        ++bad_records;
        return;
      }
      SeriesId id;
      uint32_t count;
      std::memcpy(&id, payload.data(), 8);
      std::memcpy(&count, payload.data() + 8, 4);
      if (!DecodeChunk(payload.substr(12), count, id, &replayed)) ++bad_records;
    }
  };
  if (options.wal) {
    FS_ASSIGN_OR_RETURN(db->wal_, Wal::Open(wo, replay));
  }
  if (bad_records > 0) db->log_->warn("tsdb: {} malformed WAL records skipped during replay", bad_records);
  FS_RETURN_IF_ERROR(db->Replay(replayed));

  if (options.background) {
    db->maintenance_ = std::jthread([d = db.get()](std::stop_token st) { d->MaintenanceLoop(st); });
  }
  return db;
}

Status Tsdb::LoadIndex() {
  Status parse_error;
  FS_RETURN_IF_ERROR(index_->LoadSeries([&](SeriesId id, const std::string& key) {
    auto labels = Labels::Parse(key);
    if (!labels.ok()) {
      parse_error = labels.status().WithContext("tsdb index: stored labels");
      return;
    }
    AddSeries(id, std::move(labels).value(), key);
  }));
  FS_RETURN_IF_ERROR(parse_error);
  std::map<uint32_t, uint64_t> referenced_end;
  size_t orphans = 0;
  FS_RETURN_IF_ERROR(index_->LoadChunks([&](SeriesId id, const ChunkMeta& m) {
    Series* s = Find(id);
    if (s == nullptr) {
      ++orphans;
      return;
    }
    s->persisted.push_back(m);
    s->has_last = true;
    s->last_ts = std::max(s->last_ts, m.summary.max_ts);
    auto& end = referenced_end[m.loc.segment];
    end = std::max(end, m.loc.offset + m.loc.length);
    ++segment_chunks_[m.loc.segment];
    chunks_.fetch_add(1);
    bytes_on_disk_.fetch_add(m.loc.length);
    chunk_data_bytes_.fetch_add(m.loc.length - kChunkRecordOverhead);
    samples_in_chunks_.fetch_add(m.summary.count);
  }));
  if (orphans) log_->warn("tsdb: {} chunk rows refer to unknown series; ignored", orphans);
  FS_ASSIGN_OR_RETURN(segments_, SegmentFiles::Open(options_.data_dir + "/chunks", options_.segment_max_bytes,
                                                    referenced_end, log_));
  return Status::Ok();
}

Status Tsdb::Replay(std::vector<Sample>& samples) {
  // WAL order is not per-series time order when threads raced on one series, and the checkpoint repeats
  // samples that are also in later segments: sort, then the usual ordering rule drops the repeats and
  // everything already persisted.
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return a.series_id != b.series_id ? a.series_id < b.series_id : a.ts_ns < b.ts_ns;
  });
  const TimestampNs now = clock_.NowNs();
  size_t unknown = 0;
  Series* cur = nullptr;
  for (const Sample& x : samples) {
    if (cur == nullptr || cur->id != x.series_id) cur = Find(x.series_id);
    if (cur == nullptr) {
      ++unknown;
      continue;
    }
    std::lock_guard lock(cur->mu);
    if (AppendLocked(*cur, x.ts_ns, x.value, now)) ++replayed_samples_;
  }
  if (unknown) log_->warn("tsdb: {} replayed samples belong to unknown series; dropped", unknown);
  if (replayed_samples_) log_->info("tsdb: recovered {} samples from the WAL", replayed_samples_);
  return Status::Ok();
}

Tsdb::~Tsdb() {
  if (maintenance_.joinable()) {
    maintenance_.request_stop();
    maintenance_.join();
  }
  if (segments_ != nullptr) {
    // Without a WAL, heads survive a clean close only as (possibly short) persisted chunks.
    Status s = wal_ ? Checkpoint() : SealAll();
    if (!s.ok()) log_->error("tsdb: checkpoint at close failed: {}", s.ToString());
    if (unsynced_series_.load() && !(s = index_->Sync()).ok()) {
      log_->error("tsdb: syncing the series index at close failed: {}", s.ToString());
    }
  }
}

Tsdb::Series* Tsdb::Find(SeriesId id) const {
  std::shared_lock lock(series_mu_);
  return id < by_id_.size() ? by_id_[id].get() : nullptr;
}

Tsdb::Series* Tsdb::AddSeries(SeriesId id, Labels labels, const std::string& key) {
  auto s = std::make_unique<Series>();
  s->id = id;
  s->labels = std::move(labels);
  Series* raw = s.get();
  std::unique_lock lock(series_mu_);
  if (by_id_.size() <= id) by_id_.resize(id + 1);
  by_key_[key] = id;
  for (const auto& l : raw->labels) {
    auto& ids = postings_[l.name][l.value];
    ids.insert(std::upper_bound(ids.begin(), ids.end(), id), id);  // ids arrive ascending; stay sorted
  }
  by_id_[id] = std::move(s);
  return raw;
}

Result<SeriesId> Tsdb::Resolve(const Labels& labels) {
  if (labels.empty()) return Status::InvalidArgument("resolve", "empty label set");
  FS_RETURN_IF_ERROR(labels.Validate());
  const std::string key = labels.ToString();
  {
    std::shared_lock lock(series_mu_);
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
  }
  std::lock_guard creating(resolve_mu_);
  {
    std::shared_lock lock(series_mu_);
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
    if (by_key_.size() >= options_.max_series) {
      return Status::ResourceExhausted("tsdb", fmt::format("series limit {} reached", options_.max_series), key);
    }
  }
  // kEveryBatch: fsynced before Resolve returns. kInterval: synced by maintenance (like the WAL interval).
  const bool durable = options_.fsync_policy == FsyncPolicy::kEveryBatch;
  FS_ASSIGN_OR_RETURN(SeriesId id, index_->InsertSeries(key, durable));
  if (!durable) unsynced_series_.store(true);
  AddSeries(id, labels, key);
  return id;
}

void Tsdb::SealLocked(Series& s) {
  auto c = std::make_shared<SealedChunk>();
  c->summary = s.head_summary;
  c->data = s.head.Bytes();
  s.sealed.push_back(std::move(c));
  s.head.Clear();
  s.head_summary = Summary();
  std::lock_guard lock(pending_mu_);
  pending_series_.push_back(s.id);
}

bool Tsdb::AppendLocked(Series& s, TimestampNs ts, double v, TimestampNs now) {
  if (s.has_last && ts <= s.last_ts) return false;
  if (s.head.count() == 0) s.head_opened_at = now;
  s.head.Append(ts, v);
  s.head_summary.Add(ts, v);
  s.has_last = true;
  s.last_ts = ts;
  if (s.head.count() >= options_.chunk_max_samples || s.head.size_bytes() >= options_.chunk_max_bytes) {
    SealLocked(s);
  }
  return true;
}

Status Tsdb::Append(std::span<const Sample> samples) {
  if (samples.empty()) return Status::Ok();
  std::vector<Sample> accepted;  // used only once a sample is rejected
  bool filtered = false;
  uint64_t rejected = 0;
  {
    std::shared_lock lock(series_mu_);
    for (const Sample& x : samples) {
      if (x.series_id >= by_id_.size() || by_id_[x.series_id] == nullptr) {
        return Status::NotFound("append", fmt::format("unknown series id {}", x.series_id));
      }
    }
    const TimestampNs now = clock_.NowNs();
    Series* cur = nullptr;
    std::unique_lock<std::mutex> series_lock;
    for (size_t i = 0; i < samples.size(); ++i) {
      const Sample& x = samples[i];
      Series* s = by_id_[x.series_id].get();
      if (s != cur) {
        if (series_lock.owns_lock()) series_lock.unlock();
        series_lock = std::unique_lock(s->mu);
        cur = s;
      }
      if (AppendLocked(*s, x.ts_ns, x.value, now)) {
        if (filtered) accepted.push_back(x);
      } else {
        ++rejected;
        if (!filtered) {
          filtered = true;
          accepted.reserve(samples.size());
          accepted.assign(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
    }
  }
  if (rejected) samples_rejected_.fetch_add(rejected, std::memory_order_relaxed);
  std::span<const Sample> to_log = filtered ? std::span<const Sample>(accepted) : samples;
  samples_appended_.fetch_add(to_log.size(), std::memory_order_relaxed);
  return wal_ ? wal_->AppendSamples(to_log) : Status::Ok();
}

Result<std::vector<SeriesInfo>> Tsdb::Select(std::span<const LabelMatcher> matchers) const {
  FS_ASSIGN_OR_RETURN(CompiledMatchers cm, CompiledMatchers::Compile(matchers, regex_cache_));
  std::vector<SeriesInfo> out;
  std::shared_lock lock(series_mu_);
  auto consider = [&](SeriesId id) {
    const Series* s = id < by_id_.size() ? by_id_[id].get() : nullptr;
    if (s != nullptr && cm.Matches(s->labels)) out.push_back(SeriesInfo{id, s->labels});
  };
  // Start from the smallest postings list of an equality matcher; otherwise scan every series.
  const std::vector<SeriesId>* candidates = nullptr;
  for (const auto& [name, value] : cm.equalities()) {
    static const std::vector<SeriesId> kNone;
    const std::vector<SeriesId>* ids = &kNone;
    if (auto n = postings_.find(name); n != postings_.end()) {
      if (auto v = n->second.find(value); v != n->second.end()) ids = &v->second;
    }
    if (candidates == nullptr || ids->size() < candidates->size()) candidates = ids;
  }
  if (candidates != nullptr) {
    for (SeriesId id : *candidates) consider(id);
  } else {
    for (SeriesId id = 0; id < by_id_.size(); ++id) consider(id);
  }
  std::sort(out.begin(), out.end(), [](const SeriesInfo& a, const SeriesInfo& b) { return a.id < b.id; });
  return out;
}

Result<Labels> Tsdb::LabelsOf(SeriesId id) const {
  const Series* s = Find(id);
  if (s == nullptr) return Status::NotFound("series", std::to_string(id));
  return s->labels;  // immutable after creation
}

Status Tsdb::TakeSnapshot(SeriesId id, TimestampNs from, TimestampNs to, Snapshot* snap) const {
  const Series* s = Find(id);
  if (s == nullptr) return Status::NotFound("series", std::to_string(id));
  std::lock_guard lock(s->mu);
  // Chunks are disjoint and time ordered, so max_ts is sorted too.
  auto first = std::lower_bound(s->persisted.begin(), s->persisted.end(), from,
                                [](const ChunkMeta& m, TimestampNs t) { return m.summary.max_ts < t; });
  for (auto it = first; it != s->persisted.end() && it->summary.min_ts <= to; ++it) snap->persisted.push_back(*it);
  for (const auto& c : s->sealed) {
    if (c->summary.max_ts >= from && c->summary.min_ts <= to) snap->sealed.push_back(c);
  }
  if (s->head.count() > 0 && s->head_summary.max_ts >= from && s->head_summary.min_ts <= to) {
    auto h = std::make_shared<SealedChunk>();
    h->summary = s->head_summary;
    h->data = s->head.Bytes();
    snap->head = std::move(h);
  }
  return Status::Ok();
}

Status Tsdb::LoadPersisted(SeriesId id, const ChunkMeta& m, std::vector<Sample>* out) const {
  std::string data;
  Status st = segments_->Read(m.loc, id, m.summary.count, &data);
  if (st.code() == StatusCode::kNotFound) return Status::Ok();  // deleted by retention meanwhile
  if (st.ok() && !DecodeChunk(data, m.summary.count, id, out)) {
    st = Status::DataLoss("chunk does not decode", fmt::format("segment {} offset {}", m.loc.segment, m.loc.offset));
  }
  if (st.code() == StatusCode::kDataLoss) {
    corrupt_chunks_.fetch_add(1);
    log_->warn("tsdb: series {}: skipping corrupt chunk [{}, {}] ({} samples): {}", id, m.summary.min_ts,
               m.summary.max_ts, m.summary.count, st.ToString());
    return Status::Ok();
  }
  return st;
}

Status Tsdb::Scan(SeriesId id, TimestampNs from, TimestampNs to,
                  const std::function<bool(std::span<const Sample>)>& fn) const {
  Snapshot snap;
  FS_RETURN_IF_ERROR(TakeSnapshot(id, from, to, &snap));
  std::vector<Sample> buf;
  // Emits the in-range part of buf; returns false when the consumer stops.
  auto emit = [&]() -> bool {
    auto lo = std::lower_bound(buf.begin(), buf.end(), from, [](const Sample& s, TimestampNs t) { return s.ts_ns < t; });
    auto hi = std::upper_bound(lo, buf.end(), to, [](TimestampNs t, const Sample& s) { return t < s.ts_ns; });
    bool more = lo == hi || fn(std::span<const Sample>(&*lo, static_cast<size_t>(hi - lo)));
    buf.clear();
    return more;
  };
  for (const auto& m : snap.persisted) {
    FS_RETURN_IF_ERROR(LoadPersisted(id, m, &buf));
    if (!emit()) return Status::Ok();
  }
  for (const auto& c : snap.sealed) {
    DecodeChunk(c->data, c->summary.count, id, &buf);
    if (!emit()) return Status::Ok();
  }
  if (snap.head) {
    DecodeChunk(snap.head->data, snap.head->summary.count, id, &buf);
    emit();
  }
  return Status::Ok();
}

Status Tsdb::ReadRange(SeriesId id, TimestampNs from, TimestampNs to, std::vector<Sample>* out) const {
  return Scan(id, from, to, [out](std::span<const Sample> batch) {
    out->insert(out->end(), batch.begin(), batch.end());
    return true;
  });
}

Result<std::vector<Bucket>> Tsdb::ReadDownsampled(SeriesId id, TimestampNs from, TimestampNs to,
                                                  int64_t step_ns) const {
  if (step_ns <= 0) return Status::InvalidArgument("downsample", "step_ns must be > 0");
  Snapshot snap;
  FS_RETURN_IF_ERROR(TakeSnapshot(id, from, to, &snap));
  BucketBuilder bb(step_ns);
  if (from > to) return bb.Finish();

  // Oldest raw sample still kept (in the range or after it).
  TimestampNs raw_begin = std::numeric_limits<TimestampNs>::max();
  if (!snap.persisted.empty()) {
    raw_begin = snap.persisted.front().summary.min_ts;
  } else if (!snap.sealed.empty()) {
    raw_begin = snap.sealed.front()->summary.min_ts;
  } else if (snap.head) {
    raw_begin = snap.head->summary.min_ts;
  }
  TimestampNs raw_from = from;
  if (options_.rollups && from < raw_begin) {
    const int64_t res = step_ns >= kHourNs ? kHourNs : kMinuteNs;
    const bool no_raw = raw_begin == std::numeric_limits<TimestampNs>::max();
    // Rollup rows exist before the raw data's first bucket only where raw chunks expired. Then the rollup
    // bucket holding raw_begin also holds expired samples: use it whole, and raw from the next boundary.
    const TimestampNs raw_bucket = no_raw ? to : FloorTo(raw_begin, res);
    const TimestampNs boundary = no_raw ? to : raw_bucket + (raw_begin == raw_bucket ? 0 : res);
    std::vector<RollupRow> rows;
    FS_RETURN_IF_ERROR(index_->ReadRollups(id, res, FloorTo(from, res), std::min(boundary - 1, to),
                                           [&](const RollupRow& r) { rows.push_back(r); }));
    if (!rows.empty() && (no_raw || rows.front().start < raw_bucket)) {
      for (const auto& r : rows) bb.AddSummary(std::max(r.start, from), r.agg);
      raw_from = no_raw ? to : std::max(from, boundary);
      if (no_raw) return bb.Finish();
    }
  }

  auto add_chunk = [&](const Summary& s, const std::function<Status(std::vector<Sample>*)>& load) -> Status {
    if (s.max_ts < raw_from || s.min_ts > to) return Status::Ok();
    if (s.min_ts >= raw_from && s.max_ts <= to && FloorTo(s.min_ts, step_ns) == FloorTo(s.max_ts, step_ns)) {
      bb.AddSummary(s.min_ts, s);  // the whole chunk is in one bucket: no decoding
      return Status::Ok();
    }
    std::vector<Sample> samples;
    FS_RETURN_IF_ERROR(load(&samples));
    for (const Sample& x : samples) {
      if (x.ts_ns >= raw_from && x.ts_ns <= to) bb.Add(x.ts_ns, x.value);
    }
    return Status::Ok();
  };
  for (const auto& m : snap.persisted) {
    FS_RETURN_IF_ERROR(add_chunk(m.summary, [&](std::vector<Sample>* out) { return LoadPersisted(id, m, out); }));
  }
  for (const auto& c : snap.sealed) {
    FS_RETURN_IF_ERROR(add_chunk(c->summary, [&](std::vector<Sample>* out) {
      DecodeChunk(c->data, c->summary.count, id, out);
      return Status::Ok();
    }));
  }
  if (snap.head) {
    FS_RETURN_IF_ERROR(add_chunk(snap.head->summary, [&](std::vector<Sample>* out) {
      DecodeChunk(snap.head->data, snap.head->summary.count, id, out);
      return Status::Ok();
    }));
  }
  return bb.Finish();
}

Status Tsdb::Flush() {
  if (unsynced_series_.exchange(false)) {
    Status s = index_->Sync();
    if (!s.ok()) {
      unsynced_series_.store(true);
      return s;
    }
  }
  return wal_ ? wal_->Sync() : Status::Ok();
}

StoreStats Tsdb::stats() const {
  StoreStats st;
  {
    std::shared_lock lock(series_mu_);
    st.series = by_key_.size();
  }
  st.samples_appended = samples_appended_.load();
  st.samples_rejected = samples_rejected_.load();
  st.chunks = chunks_.load();
  st.bytes_on_disk = bytes_on_disk_.load();
  st.samples_in_chunks = samples_in_chunks_.load();
  st.wal_bytes = wal_ ? wal_->size_bytes() : 0;
  return st;
}

void Tsdb::RollupsOf(SeriesId id, const std::vector<Sample>& samples, std::vector<RollupRow>* out) const {
  for (int64_t res : {kMinuteNs, kHourNs}) {
    RollupRow row;
    bool open = false;
    for (const Sample& x : samples) {
      const TimestampNs start = FloorTo(x.ts_ns, res);
      if (!open || start != row.start) {
        if (open) out->push_back(row);
        row = RollupRow{id, res, start, Summary()};
        open = true;
      }
      row.agg.Add(x.ts_ns, x.value);
    }
    if (open) out->push_back(row);
  }
}

Status Tsdb::PersistChunks() {
  std::lock_guard persist_lock(persist_mu_);
  // Seal heads that have been open too long (by the injected clock).
  const TimestampNs now = clock_.NowNs();
  {
    std::shared_lock lock(series_mu_);
    for (const auto& s : by_id_) {
      if (s == nullptr) continue;
      std::lock_guard sl(s->mu);
      if (s->head.count() > 0 && now - s->head_opened_at >= options_.chunk_max_age_ns) SealLocked(*s);
    }
  }
  std::vector<SeriesId> ids;
  {
    std::lock_guard lock(pending_mu_);
    ids.swap(pending_series_);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.empty()) return Status::Ok();

  struct Item {
    Series* series;
    std::vector<std::shared_ptr<const SealedChunk>> chunks;
  };
  std::vector<Item> items;
  std::vector<ChunkToWrite> writes;
  for (SeriesId id : ids) {
    Series* s = Find(id);
    if (s == nullptr) continue;
    Item item{s, {}};
    {
      std::lock_guard sl(s->mu);
      item.chunks = s->sealed;
    }
    if (item.chunks.empty()) continue;
    items.push_back(std::move(item));
  }
  std::vector<RollupRow> rollups;
  std::vector<Sample> decoded;
  for (const auto& item : items) {
    for (const auto& c : item.chunks) {
      writes.push_back(ChunkToWrite{item.series->id, &c->summary, c->data});
      if (options_.rollups) {
        decoded.clear();
        DecodeChunk(c->data, c->summary.count, item.series->id, &decoded);
        RollupsOf(item.series->id, decoded, &rollups);
      }
    }
  }
  auto requeue = [&] {
    std::lock_guard lock(pending_mu_);
    for (const auto& item : items) pending_series_.push_back(item.series->id);
  };
  auto locs = segments_->Write(writes);
  if (!locs.ok()) {
    requeue();
    return locs.status();
  }
  std::vector<std::pair<SeriesId, ChunkMeta>> metas;
  metas.reserve(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) metas.push_back({writes[i].series, ChunkMeta{*writes[i].summary, (*locs)[i]}});
  Status st = index_->InsertChunks(metas, rollups);
  if (!st.ok()) {
    requeue();
    return st;
  }
  // Publish: each series swaps its persisted-in-memory chunks for their metadata in one step.
  size_t k = 0;
  for (const auto& item : items) {
    std::lock_guard sl(item.series->mu);
    auto& sealed = item.series->sealed;
    size_t n = item.chunks.size();
    // New chunks may have been sealed meanwhile; ours are the first n.
    sealed.erase(sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(n));
    for (size_t j = 0; j < n; ++j, ++k) {
      const ChunkMeta& m = metas[k].second;
      item.series->persisted.push_back(m);
      ++segment_chunks_[m.loc.segment];
      chunks_.fetch_add(1);
      bytes_on_disk_.fetch_add(m.loc.length);
      chunk_data_bytes_.fetch_add(m.loc.length - kChunkRecordOverhead);
      samples_in_chunks_.fetch_add(m.summary.count);
    }
  }
  return Status::Ok();
}

Status Tsdb::SealAll() {
  {
    std::shared_lock lock(series_mu_);
    for (const auto& s : by_id_) {
      if (s == nullptr) continue;
      std::lock_guard sl(s->mu);
      if (s->head.count() > 0) SealLocked(*s);
    }
  }
  return PersistChunks();
}

Status Tsdb::Checkpoint() {
  std::lock_guard cp(checkpoint_mu_);
  if (wal_ == nullptr) return PersistChunks();
  // Every sample in segments <= upto is already in memory (Append applies before it logs).
  FS_ASSIGN_OR_RETURN(uint64_t upto, wal_->Rotate());
  FS_RETURN_IF_ERROR(PersistChunks());
  std::string records;
  std::string payload;
  auto add = [&](SeriesId id, const std::string& data, uint32_t count) {
    payload.clear();
    payload.append(reinterpret_cast<const char*>(&id), 8);
    payload.append(reinterpret_cast<const char*>(&count), 4);
    payload.append(data);
    Wal::FrameRecord(WalRecordType::kHeadChunk, payload, &records);
  };
  {
    std::shared_lock lock(series_mu_);
    for (const auto& s : by_id_) {
      if (s == nullptr) continue;
      std::lock_guard sl(s->mu);
      for (const auto& c : s->sealed) add(s->id, c->data, c->summary.count);  // sealed since PersistChunks
      if (s->head.count() > 0) add(s->id, s->head.Bytes(), s->head.count());
    }
  }
  return wal_->WriteCheckpoint(upto, records);
}

Status Tsdb::EnforceRetention(TimestampNs now) {
  std::lock_guard persist_lock(persist_mu_);
  const TimestampNs cutoff = now - options_.raw_retention_ns;
  FS_RETURN_IF_ERROR(index_->DeleteChunksBefore(cutoff));
  {
    std::shared_lock lock(series_mu_);
    for (const auto& s : by_id_) {
      if (s == nullptr) continue;
      std::lock_guard sl(s->mu);
      auto& p = s->persisted;
      size_t n = 0;
      while (n < p.size() && p[n].summary.max_ts < cutoff) {
        --segment_chunks_[p[n].loc.segment];
        chunks_.fetch_sub(1);
        bytes_on_disk_.fetch_sub(p[n].loc.length);
        chunk_data_bytes_.fetch_sub(p[n].loc.length - kChunkRecordOverhead);
        samples_in_chunks_.fetch_sub(p[n].summary.count);
        ++n;
      }
      p.erase(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }
  const uint32_t active = segments_->active_segment();
  for (auto it = segment_chunks_.begin(); it != segment_chunks_.end();) {
    if (it->second == 0 && it->first != active) {
      FS_RETURN_IF_ERROR(segments_->RemoveSegment(it->first));
      it = segment_chunks_.erase(it);
    } else {
      ++it;
    }
  }
  if (options_.rollups) {
    FS_RETURN_IF_ERROR(index_->DeleteRollupsBefore(kMinuteNs, now - options_.rollup_1m_retention_ns));
    FS_RETURN_IF_ERROR(index_->DeleteRollupsBefore(kHourNs, now - options_.rollup_1h_retention_ns));
  }
  return Status::Ok();
}

void Tsdb::MaintenanceLoop(std::stop_token stop) {
  auto last_checkpoint = std::chrono::steady_clock::now();
  auto last_retention = std::chrono::steady_clock::time_point{};
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(bg_mu_);
      bg_cv_.wait_for(lock, stop, options_.maintenance_interval, [] { return false; });
    }
    if (stop.stop_requested()) break;
    Status s = PersistChunks();
    if (!s.ok()) log_->error("tsdb: persisting chunks failed: {}", s.ToString());
    if (unsynced_series_.exchange(false)) {
      s = index_->Sync();
      if (!s.ok()) {
        unsynced_series_.store(true);
        log_->error("tsdb: syncing the series index failed: {}", s.ToString());
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if ((wal_ && wal_->size_bytes() >= options_.checkpoint_wal_bytes) || now - last_checkpoint >= options_.checkpoint_interval) {
      s = Checkpoint();
      if (!s.ok()) log_->error("tsdb: WAL checkpoint failed: {}", s.ToString());
      last_checkpoint = now;
    }
    if (now - last_retention >= options_.retention_interval) {
      s = EnforceRetention(clock_.NowNs());
      if (!s.ok()) log_->error("tsdb: retention failed: {}", s.ToString());
      last_retention = now;
    }
  }
}

}  // namespace foresight::storage::tsdb

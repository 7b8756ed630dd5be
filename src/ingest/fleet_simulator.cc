#include "ingest/fleet_simulator.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <nlohmann/json.hpp>

#include "core/time_util.h"

namespace foresight::ingest {
namespace {

// Metric indices into kSimMetricNames.
enum Metric : size_t { kCpu, kMem, kResp, kReq, kErr, kDisk, kDbConn, kDbMax };

constexpr int64_t kSlotNs = 3600 * kNanosPerSecond;
constexpr double kTwoPi = 2 * std::numbers::pi;

// --- Noise: counter-based (hash of seed, series, time), so any t can be evaluated in any order. ---

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t a, uint64_t b) { return Mix(a ^ Mix(b)); }
uint64_t HashStr(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}
double U01(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }
double Gauss(uint64_t key, int64_t i) {
  uint64_t h = Hash(key, static_cast<uint64_t>(i));
  double u1 = std::max(U01(h), 1e-300);
  double u2 = U01(Mix(h));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}
// Smooth noise: N(0,1) knots every `period` seconds, cosine-interpolated (a slow wander).
double Smooth(uint64_t key, double t_s, double period) {
  double x = t_s / period;
  double k = std::floor(x);
  double w = 0.5 - 0.5 * std::cos(std::numbers::pi * (x - k));
  auto ki = static_cast<int64_t>(k);
  return Gauss(key, ki) * (1 - w) + Gauss(key, ki + 1) * w;
}
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

enum class Role { kWeb, kApi, kWorker, kDb };
// Role of the i-th entity: per ten, 3 web, 3 api, 2 worker, 2 db; a fleet of 4 already has one of each.
constexpr Role kRolePattern[] = {Role::kWeb, Role::kApi, Role::kWorker, Role::kDb, Role::kWeb,
                                 Role::kApi, Role::kWorker, Role::kWeb, Role::kApi, Role::kDb};

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kWeb: return "web";
    case Role::kApi: return "api";
    case Role::kWorker: return "worker";
    case Role::kDb: return "db";
  }
  return "";
}
std::string_view RoleKind(Role r) {
  switch (r) {
    case Role::kWeb:
    case Role::kApi: return "service";
    case Role::kWorker: return "host";
    case Role::kDb: return "database";
  }
  return "";
}

// Ramp progress of an exhaustion scenario: 0 at start, 1 at failure_at and while pinned until end().
double ExhaustionProgress(const Scenario& s, TimestampNs t) {
  TimestampNs f = s.failure_at();
  if (t >= f) return 1.0;
  return Clamp01(static_cast<double>(t - s.start) / static_cast<double>(std::max<int64_t>(1, f - s.start)));
}

// The longest a scheduled scenario lasts (exhaustion kinds: 1.4 x the longest default ramp + hold).
int64_t MaxScheduledSpan() {
  int64_t longest = 0;
  for (ScenarioKind k : kAllScenarioKinds) longest = std::max(longest, DefaultScenarioDuration(k));
  return longest * 14 / 10 + kExhaustedHoldNs;
}

}  // namespace

struct FleetSimulator::Entity {
  std::string name;
  Role role = Role::kWeb;
  uint64_t key = 0;
  std::array<uint64_t, kSimMetricCount> series_key{};
  std::vector<Labels> labels;  // per metric index; empty Labels for metrics the entity lacks
  // Model parameters, drawn once from the seed.
  double tz_shift_h = 0;      // users of this entity live around UTC + shift
  double base_rps = 0;        // request rate at the daily peak on a weekday
  double cpu_base = 0, cpu_per_rps = 0;
  double lat_base_ms = 0;
  double err_base_pct = 0;
  double mem_base = 0, mem_traffic = 0;
  double disk_base = 0, disk_amp = 0, disk_period_s = 0, disk_phase_s = 0;
  double pool_max = 0;        // 0: no database pool / connections
  double conn_base = 0, conn_per_rps = 0;
};

struct FleetSimulator::Values {
  std::array<double, kSimMetricCount> v{};
};

FleetSimulator::FleetSimulator(SimulatorOptions options) : options_(std::move(options)) {
  int per_role[4] = {0, 0, 0, 0};
  for (int i = 0; i < std::max(0, options_.hosts); ++i) {
    Entity e;
    e.role = kRolePattern[i % std::size(kRolePattern)];
    int n = ++per_role[static_cast<int>(e.role)];
    e.name = std::string(RoleName(e.role)) + "-" + std::to_string(n);
    e.key = Hash(options_.seed, HashStr(e.name));
    for (size_t m = 0; m < kSimMetricCount; ++m) e.series_key[m] = Hash(e.key, 1000 + m);
    auto p = [&](int id, double lo, double hi) { return lo + (hi - lo) * U01(Hash(e.key, id)); };
    e.tz_shift_h = p(1, -1.5, 1.5);
    double peak_cpu = 0;
    switch (e.role) {
      case Role::kWeb:
        e.base_rps = p(2, 150, 400); peak_cpu = p(3, 40, 62); e.lat_base_ms = p(4, 35, 90);
        e.err_base_pct = p(5, 0.2, 0.6); e.mem_base = p(6, 30, 45); e.mem_traffic = p(7, 8, 15);
        break;
      case Role::kApi:
        e.base_rps = p(2, 80, 250); peak_cpu = p(3, 45, 65); e.lat_base_ms = p(4, 60, 150);
        e.err_base_pct = p(5, 0.3, 1.0); e.mem_base = p(6, 40, 55); e.mem_traffic = p(7, 6, 12);
        e.pool_max = 100; e.conn_base = p(8, 4, 10); e.conn_per_rps = p(9, 0.08, 0.14);
        break;
      case Role::kWorker:
        e.base_rps = p(2, 10, 40); peak_cpu = p(3, 50, 68); e.lat_base_ms = p(4, 300, 900);
        e.err_base_pct = p(5, 0.1, 0.4); e.mem_base = p(6, 45, 60); e.mem_traffic = p(7, 5, 12);
        e.pool_max = 100; e.conn_base = p(8, 3, 8); e.conn_per_rps = p(9, 0.6, 1.0);
        break;
      case Role::kDb:
        e.base_rps = p(2, 500, 2000); peak_cpu = p(3, 35, 60); e.lat_base_ms = p(4, 2, 8);
        e.err_base_pct = p(5, 0.01, 0.05); e.mem_base = p(6, 60, 70); e.mem_traffic = p(7, 3, 8);
        e.pool_max = 200; e.conn_base = p(8, 20, 35); e.conn_per_rps = p(9, 0.03, 0.05);
        break;
    }
    e.cpu_base = p(10, 3, 8);
    e.cpu_per_rps = (peak_cpu - e.cpu_base) / e.base_rps;
    e.disk_base = p(11, 20, 55);
    e.disk_amp = p(12, 5, 15);
    e.disk_period_s = p(13, 1, 7) * 86400;
    e.disk_phase_s = p(14, 0, 1) * e.disk_period_s;

    std::string host = "sim-" + e.name;
    e.labels.resize(kSimMetricCount);
    for (size_t m = 0; m < kSimMetricCount; ++m) {
      if ((m == kDbConn || m == kDbMax) && e.pool_max <= 0) continue;
      e.labels[m] = Labels{{std::string(kMetricNameLabel), std::string(kSimMetricNames[m])},
                           {std::string(kEntityLabel), e.name},
                           {std::string(kEntityKindLabel), std::string(RoleKind(e.role))},
                           {std::string(kHostLabel), host},
                           {std::string(kSimulatedLabel), "true"}};
    }
    entities_.push_back(std::move(e));
  }
}

FleetSimulator::~FleetSimulator() = default;

const FleetSimulator::Entity* FleetSimulator::Find(std::string_view name) const {
  int i = EntityIndex(name);
  return i < 0 ? nullptr : &entities_[static_cast<size_t>(i)];
}

int FleetSimulator::EntityIndex(std::string_view name) const {
  for (size_t i = 0; i < entities_.size(); ++i) {
    if (entities_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> FleetSimulator::entities() const {
  std::vector<std::string> out;
  out.reserve(entities_.size());
  for (const auto& e : entities_) out.push_back(e.name);
  return out;
}

std::string_view FleetSimulator::EntityKind(std::string_view entity) const {
  const Entity* e = Find(entity);
  return e ? RoleKind(e->role) : std::string_view();
}

bool FleetSimulator::Supports(std::string_view entity, ScenarioKind kind) const {
  const Entity* e = Find(entity);
  if (e == nullptr) return false;
  return kind != ScenarioKind::kConnectionPoolLeak || e->pool_max > 0;
}

Status FleetSimulator::Inject(const Scenario& scenario) {
  const Entity* e = Find(scenario.entity);
  if (e == nullptr) return Status::InvalidArgument("unknown entity", scenario.entity);
  if (scenario.duration_ns <= 0) return Status::InvalidArgument("scenario duration must be positive");
  if (!(scenario.intensity > 0 && scenario.intensity <= 100)) {
    return Status::InvalidArgument("scenario intensity must be in (0, 100]");
  }
  if (!Supports(scenario.entity, scenario.kind)) {
    return Status::InvalidArgument(std::string(ScenarioKindName(scenario.kind)), scenario.entity,
                                   "the entity has no database connection pool");
  }
  Scenario s = scenario;
  s.scheduled = false;
  injected_.push_back(std::move(s));
  return Status::Ok();
}

// Slot k covers [start_ns + quiet + k h, ... + 1 h). Its scenarios depend only on (options, k), so the
// schedule is the same whichever times are produced, and in whatever order.
const std::vector<Scenario>& FleetSimulator::Slot(int64_t k) const {
  auto it = slots_.find(k);
  if (it != slots_.end()) return it->second;
  std::vector<Scenario> out;
  double rate = options_.auto_scenarios_per_hour;
  if (rate > 0 && !entities_.empty() && k >= 0) {
    TimestampNs slot_start = options_.start_ns + options_.auto_scenario_quiet_ns + k * kSlotNs;
    uint64_t slot_key = Hash(Hash(options_.seed, 0x5ced), static_cast<uint64_t>(k));
    double whole = std::floor(rate);
    int n = static_cast<int>(whole) + (U01(Hash(slot_key, 0)) < rate - whole ? 1 : 0);
    std::vector<bool> used(entities_.size(), false);
    for (int i = 0; i < n; ++i) {
      uint64_t h = Hash(slot_key, 100 + static_cast<uint64_t>(i));
      Scenario s;
      s.scheduled = true;
      s.kind = kAllScenarioKinds[static_cast<size_t>(U01(Hash(h, 2)) * std::size(kAllScenarioKinds))];
      // One scheduled scenario per entity per slot; scenarios of different slots may still overlap.
      int pick = -1;
      for (uint64_t attempt = 0; attempt < 32 && pick < 0; ++attempt) {
        auto idx = static_cast<size_t>(U01(Hash(h, 10 + attempt)) * static_cast<double>(entities_.size()));
        if (!used[idx] && (s.kind != ScenarioKind::kConnectionPoolLeak || entities_[idx].pool_max > 0)) {
          pick = static_cast<int>(idx);
        }
      }
      if (pick < 0) continue;
      used[static_cast<size_t>(pick)] = true;
      s.entity = entities_[static_cast<size_t>(pick)].name;
      s.start = slot_start + static_cast<int64_t>(U01(Hash(h, 1)) * 3600) * kNanosPerSecond;
      double scale = 0.6 + 0.8 * U01(Hash(h, 3));
      s.duration_ns =
          static_cast<int64_t>(static_cast<double>(DefaultScenarioDuration(s.kind) / kNanosPerSecond) * scale) *
          kNanosPerSecond;
      s.intensity = IsExhaustionKind(s.kind) ? 1.0 : std::round((0.8 + 0.6 * U01(Hash(h, 4))) * 100) / 100;
      out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(), [](const Scenario& a, const Scenario& b) { return a.start < b.start; });
  }
  return slots_.emplace(k, std::move(out)).first->second;
}

std::vector<Scenario> FleetSimulator::ScheduledScenarios(TimestampNs from, TimestampNs to) const {
  std::vector<Scenario> out;
  if (options_.auto_scenarios_per_hour <= 0 || to <= from) return out;
  TimestampNs base = options_.start_ns + options_.auto_scenario_quiet_ns;
  int64_t first = std::max<int64_t>(0, FloorDiv(from - base, kSlotNs));
  int64_t last = FloorDiv(to - base, kSlotNs);
  for (int64_t k = first; k <= last; ++k) {
    for (const Scenario& s : Slot(k)) {
      if (s.start >= from && s.start < to) out.push_back(s);
    }
  }
  return out;
}

std::vector<Scenario> FleetSimulator::scenarios() const {
  std::vector<Scenario> out = injected_;
  if (high_water_ >= low_water_) {
    // Scheduled scenarios whose effect touched the produced span.
    auto sched = ScheduledScenarios(low_water_ - MaxScheduledSpan(), high_water_ + 1);
    for (auto& s : sched) {
      if (s.end() > low_water_) out.push_back(std::move(s));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Scenario& a, const Scenario& b) { return a.start < b.start; });
  return out;
}

std::vector<const Scenario*> FleetSimulator::ActiveAt(TimestampNs t) const {
  std::vector<const Scenario*> out;
  for (const Scenario& s : injected_) {
    if (t >= s.start && t < s.end()) out.push_back(&s);
  }
  if (options_.auto_scenarios_per_hour > 0) {
    TimestampNs base = options_.start_ns + options_.auto_scenario_quiet_ns;
    int64_t last = FloorDiv(t - base, kSlotNs);
    int64_t first = std::max<int64_t>(0, FloorDiv(t - MaxScheduledSpan() - base, kSlotNs));
    for (int64_t k = first; k <= last; ++k) {
      for (const Scenario& s : Slot(k)) {
        if (t >= s.start && t < s.end()) out.push_back(&s);
      }
    }
  }
  return out;
}

void FleetSimulator::Evaluate(const Entity& e, TimestampNs t, std::span<const Scenario* const> active,
                              Values* out) const {
  const double ts = static_cast<double>(t) / kNanosPerSecond;
  const int64_t sec = FloorDiv(t, kNanosPerSecond);
  auto g = [&](Metric m, uint64_t salt = 0) { return Gauss(e.series_key[m] + salt, sec); };
  auto sm = [&](Metric m, double period) { return Smooth(e.series_key[m] + 7, ts, period); };

  // Traffic: a daily curve (trough ~04:00, peak ~16:00 local), quieter weekends, slow wander, noise.
  double hour = std::fmod(ts / 3600.0 + e.tz_shift_h, 24.0);
  if (hour < 0) hour += 24;
  double daily = 0.25 + 0.75 * (0.5 - 0.5 * std::cos(kTwoPi * (hour - 4.0) / 24.0));
  double dow = std::fmod(ts / 86400.0 + 3.0, 7.0);  // days since Monday 00:00 (1970-01-01 was a Thursday)
  if (dow < 0) dow += 7;
  double weekend = std::pow(0.5 + 0.5 * std::cos(kTwoPi * (dow - 6.0) / 7.0), 4);
  double traffic = daily * (1.0 - 0.35 * weekend);
  double rps = std::max(0.0, e.base_rps * traffic * (1 + 0.08 * sm(kReq, 300)) * (1 + 0.03 * g(kReq)));

  // This entity's scenarios. Two of one exhaustion kind overlapping: the further-progressed one wins (a
  // resource cannot be more than full); two of another kind: the later-started one.
  double mem_progress = 0, disk_progress = 0, pool_progress = 0;
  const Scenario* runaway = nullptr;
  const Scenario* latency = nullptr;
  const Scenario* burst = nullptr;
  auto later = [](const Scenario* cur, const Scenario* s) { return cur == nullptr || s->start >= cur->start ? s : cur; };
  for (const Scenario* s : active) {
    if (s->entity != e.name) continue;
    switch (s->kind) {
      case ScenarioKind::kMemoryLeak: mem_progress = std::max(mem_progress, ExhaustionProgress(*s, t)); break;
      case ScenarioKind::kDiskFill: disk_progress = std::max(disk_progress, ExhaustionProgress(*s, t)); break;
      case ScenarioKind::kConnectionPoolLeak:
        pool_progress = std::max(pool_progress, ExhaustionProgress(*s, t));
        break;
      case ScenarioKind::kCpuRunaway: runaway = later(runaway, s); break;
      case ScenarioKind::kLatencyDegradation: latency = later(latency, s); break;
      case ScenarioKind::kErrorBurst: burst = later(burst, s); break;
    }
  }

  // CPU follows the request rate.
  double cpu = e.cpu_base + e.cpu_per_rps * rps + 1.5 * sm(kCpu, 120) + 1.0 * g(kCpu);
  if (runaway) {
    double ramp = Clamp01(static_cast<double>(t - runaway->start) / (30.0 * kNanosPerSecond));
    double target = std::min(99.5, 94.0 + 3.0 * runaway->intensity) + 0.5 * g(kCpu, 1);
    cpu += (target - cpu) * ramp;
  }
  cpu = std::clamp(cpu, 0.5, 100.0);

  // Latency: a queueing curve in utilisation, so saturation makes it climb steeply.
  double u = std::min(cpu / 100.0, 0.985);
  double lat = e.lat_base_ms * (1 + 0.6 * u * u / (1 - u)) * std::exp(0.06 * sm(kResp, 180) + 0.08 * g(kResp));
  double lat_ramp = 0;
  if (latency) {
    lat_ramp = Clamp01(static_cast<double>(t - latency->start) / (0.5 * static_cast<double>(latency->duration_ns)));
    lat *= 1 + 4.0 * latency->intensity * lat_ramp;
  }

  // Connections: Little's law, in-flight requests x time spent holding a connection.
  double conns = 0;
  bool exhausted = false;
  if (e.pool_max > 0) {
    conns = e.conn_base + e.conn_per_rps * rps * std::sqrt(lat / e.lat_base_ms) + 1.5 * g(kDbConn);
    conns += (e.pool_max - conns) * pool_progress;
    conns = std::clamp(std::round(conns), 0.0, e.pool_max);
    exhausted = conns >= e.pool_max;
    if (exhausted) lat *= 3;  // requests queue for a connection
  }

  // Errors (% of requests): a small base, plus saturation, plus exhaustion and bursts.
  double err = e.err_base_pct * std::exp(0.35 * g(kErr));
  double sat = std::max(0.0, (u - 0.85) / 0.15);
  err += 25.0 * sat * sat;
  err += 2.0 * lat_ramp * (latency ? latency->intensity : 0);  // timeouts
  if (exhausted) err += 15.0;
  if (burst) {
    double rise = Clamp01(static_cast<double>(t - burst->start) / (20.0 * kNanosPerSecond));
    err += 15.0 * burst->intensity * rise * (1 + 0.1 * g(kErr, 1));
  }
  err = std::clamp(err, 0.0, 100.0);

  // Memory: baseline plus caches that grow with traffic.
  double mem = std::clamp(e.mem_base + e.mem_traffic * traffic + 1.2 * sm(kMem, 600) + 0.25 * g(kMem), 1.0, 99.0);
  mem += (100.0 - mem) * mem_progress;

  // Disk: closed-form sawtooth (linear growth, periodic cleanup), so no state is carried between ticks.
  double cycle = std::fmod(ts + e.disk_phase_s, e.disk_period_s) / e.disk_period_s;
  if (cycle < 0) cycle += 1;
  double disk = std::clamp(e.disk_base + e.disk_amp * cycle + 0.01 * g(kDisk), 0.0, 99.0);
  disk += (100.0 - disk) * disk_progress;

  out->v[kCpu] = cpu;
  out->v[kMem] = std::min(mem, 100.0);
  out->v[kResp] = lat;
  out->v[kReq] = rps;
  out->v[kErr] = err;
  out->v[kDisk] = std::min(disk, 100.0);
  out->v[kDbConn] = conns;
  out->v[kDbMax] = e.pool_max;
}

void FleetSimulator::Emit(TimestampNs t, std::vector<LabeledSample>* out) {
  low_water_ = std::min(low_water_, t);
  high_water_ = std::max(high_water_, t);
  std::vector<const Scenario*> active = ActiveAt(t);
  out->reserve(out->size() + entities_.size() * kSimMetricCount);
  Values v;
  for (const Entity& e : entities_) {
    Evaluate(e, t, active, &v);
    for (size_t m = 0; m < kSimMetricCount; ++m) {
      if (e.labels[m].empty()) continue;
      out->push_back(LabeledSample{e.labels[m], t, v.v[m]});
    }
  }
}

Status FleetSimulator::Collect(TimestampNs now, std::vector<LabeledSample>* out) {
  Emit(now, out);
  return Status::Ok();
}

Status FleetSimulator::Backfill(TimestampNs from, TimestampNs to, int64_t step_ns,
                                const std::function<Status(std::span<const LabeledSample>)>& sink) {
  if (step_ns <= 0) return Status::InvalidArgument("backfill step must be positive");
  if (to < from) return Status::InvalidArgument("backfill range ends before it starts");
  std::vector<LabeledSample> batch;
  for (TimestampNs t = from; t <= to; t += step_ns) {
    batch.clear();
    Emit(t, &batch);
    FS_RETURN_IF_ERROR(sink(batch));
  }
  return Status::Ok();
}

Result<double> FleetSimulator::ValueAt(std::string_view entity, std::string_view metric, TimestampNs t) const {
  const Entity* e = Find(entity);
  if (e == nullptr) return Status::NotFound("entity", entity);
  auto it = std::find(std::begin(kSimMetricNames), std::end(kSimMetricNames), metric);
  size_t m = static_cast<size_t>(it - std::begin(kSimMetricNames));
  if (it == std::end(kSimMetricNames) || e->labels[m].empty()) return Status::NotFound("metric", metric);
  Values v;
  std::vector<const Scenario*> active = ActiveAt(t);
  Evaluate(*e, t, active, &v);
  return v.v[m];
}

std::string FleetSimulator::GroundTruthJson() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const Scenario& s : scenarios()) {
    arr.push_back({{"entity", s.entity},
                   {"kind", ScenarioKindName(s.kind)},
                   {"metric", ScenarioMetric(s.kind)},
                   {"start", FormatRfc3339(s.start)},
                   {"failure_at", FormatRfc3339(s.failure_at())},
                   {"end", FormatRfc3339(s.end())},
                   {"start_ns", s.start},
                   {"failure_at_ns", s.failure_at()},
                   {"end_ns", s.end()},
                   {"duration_s", s.duration_ns / kNanosPerSecond},
                   {"intensity", s.intensity},
                   {"source", s.scheduled ? "scheduled" : "injected"}});
  }
  return arr.dump();
}

}  // namespace foresight::ingest

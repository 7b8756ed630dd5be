#pragma once
// FleetSimulator: a deterministic demo fleet of web servers, API services, workers and databases with
// daily/weekly traffic, correlated metrics and injectable failure scenarios with ground truth
// (README.md describes the model, the metrics and the scenario shapes).
//
// Determinism: every value is a pure function of (seed, entity, metric, t) and the scenario list — noise
// comes from a hash of (seed, series, second), not a sequential RNG, and cumulative quantities (disk usage)
// are closed-form in t. So Backfill() and Collect() ticks agree bit for bit, whatever the tick pattern,
// and two simulators with equal options produce identical output.
//
// Owned by the collect loop. Not thread-safe: serialise all calls (Inject included).

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "ingest/collector.h"
#include "ingest/scenario.h"

namespace foresight::ingest {

struct SimulatorOptions {
  int hosts = 50;                 // number of entities; roles cycle web, api, worker, db (README.md)
  uint64_t seed = 42;
  TimestampNs start_ns = 0;       // when the fleet starts; scheduled scenarios begin after it
  // > 0: failures are scheduled pseudo-randomly from the seed at this mean rate across the fleet
  // (part of scenarios() and the ground truth). 0: only injected scenarios.
  double auto_scenarios_per_hour = 0;
  // No scheduled scenario starts before start_ns + this, so the first models train on a calm fleet.
  int64_t auto_scenario_quiet_ns = 3600 * kNanosPerSecond;
};

// The per-entity metrics, in emission order. db_connections/db_max_connections exist only for entities
// with a database pool (api, worker) and for databases.
inline constexpr std::string_view kSimMetricNames[] = {
    "cpu_usage_percent", "memory_used_percent", "response_time_ms", "request_rate",
    "error_rate",        "disk_used_percent",   "db_connections",   "db_max_connections"};
inline constexpr size_t kSimMetricCount = std::size(kSimMetricNames);

class FleetSimulator final : public Collector {
 public:
  // REQUIRES: options.hosts >= 0 (0 gives an empty fleet).
  explicit FleetSimulator(SimulatorOptions options = {});
  ~FleetSimulator() override;

  std::string_view name() const override { return "simulator"; }
  // Appends one sample per series at `now`. Never fails.
  Status Collect(TimestampNs now, std::vector<LabeledSample>* out) override;

  // Produces the samples at from, from + step, ... up to and including `to`, one batch per timestamp
  // (every series of the fleet at that instant), and stops at the first error the sink returns.
  // Errors: InvalidArgument (step <= 0 or to < from), or the sink's error.
  Status Backfill(TimestampNs from, TimestampNs to, int64_t step_ns,
                  const std::function<Status(std::span<const LabeledSample>)>& sink);

  // Adds a scenario. Errors: InvalidArgument for an unknown entity, duration <= 0, intensity not in
  // (0, 100], or a connection_pool_leak on an entity without a pool (web servers).
  Status Inject(const Scenario& scenario);

  // Ground truth: every injected scenario plus the scheduled ones whose effect overlaps the span of times
  // produced so far (earliest to latest Collect/Backfill timestamp), sorted by start.
  std::vector<Scenario> scenarios() const;
  // Scheduled scenarios starting in [from, to) (pure function of the options).
  std::vector<Scenario> ScheduledScenarios(TimestampNs from, TimestampNs to) const;
  // Entity names in creation order ("web-1", "api-1", "worker-1", "db-1", ...).
  std::vector<std::string> entities() const;
  // "service", "database" or "host"; "" if unknown.
  std::string_view EntityKind(std::string_view entity) const;
  // The scenario kinds that make sense for an entity (no pool leak on a server without a pool).
  bool Supports(std::string_view entity, ScenarioKind kind) const;

  // JSON array, one object per scenario of scenarios(): entity, kind, metric, start, failure_at, end
  // (RFC 3339) and the same as *_ns integers, duration_s, intensity, source ("injected"|"scheduled").
  std::string GroundTruthJson() const;

  // One series' value at t (tests and evaluation). Errors: NotFound (unknown entity, or a metric the
  // entity does not have).
  Result<double> ValueAt(std::string_view entity, std::string_view metric, TimestampNs t) const;

  const SimulatorOptions& options() const { return options_; }

 private:
  struct Entity;
  struct Values;
  // The scheduled scenarios of one hour-long slot: a pure function of (options, slot), cached.
  const std::vector<Scenario>& Slot(int64_t slot) const;
  // Every scenario (injected or scheduled) whose effect covers t.
  std::vector<const Scenario*> ActiveAt(TimestampNs t) const;
  void Evaluate(const Entity& e, TimestampNs t, std::span<const Scenario* const> active, Values* v) const;
  void Emit(TimestampNs t, std::vector<LabeledSample>* out);
  const Entity* Find(std::string_view name) const;
  int EntityIndex(std::string_view name) const;

  SimulatorOptions options_;
  std::vector<Entity> entities_;
  std::vector<Scenario> injected_;
  mutable std::map<int64_t, std::vector<Scenario>> slots_;
  // The span of times produced so far (Collect/Backfill): scenarios() reports what touched it.
  TimestampNs low_water_ = std::numeric_limits<TimestampNs>::max();
  TimestampNs high_water_ = std::numeric_limits<TimestampNs>::min();
};

}  // namespace foresight::ingest

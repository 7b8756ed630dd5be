#pragma once
// Failure scenarios of the fleet simulator and their ground truth (README.md: "Scenarios").
// Plain values; thread-compatible.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/types.h"

namespace foresight::ingest {

enum class ScenarioKind {
  kMemoryLeak,          // memory_used_percent climbs linearly to 100 % at failure_at
  kDiskFill,            // disk_used_percent climbs linearly to 100 % at failure_at
  kConnectionPoolLeak,  // db_connections climbs linearly to db_max_connections at failure_at
  kCpuRunaway,          // cpu_usage_percent jumps to ~97 % at start (failure_at = start)
  kLatencyDegradation,  // response_time_ms ramps up from start (failure_at = start)
  kErrorBurst,          // error_rate spikes from start for the duration (failure_at = start)
};

inline constexpr ScenarioKind kAllScenarioKinds[] = {
    ScenarioKind::kMemoryLeak, ScenarioKind::kDiskFill,           ScenarioKind::kConnectionPoolLeak,
    ScenarioKind::kCpuRunaway, ScenarioKind::kLatencyDegradation, ScenarioKind::kErrorBurst};

// "memory_leak", "disk_fill", "connection_pool_leak", "cpu_runaway", "latency_degradation", "error_burst".
std::string_view ScenarioKindName(ScenarioKind kind);
// Inverse of ScenarioKindName. Errors: InvalidArgument listing the valid names.
Result<ScenarioKind> ParseScenarioKind(std::string_view name);
// The metric the scenario drives (its ground-truth resource), e.g. "memory_used_percent".
std::string_view ScenarioMetric(ScenarioKind kind);
// True for the kinds that exhaust a resource (memory, disk, pool): failure_at is when it hits the limit.
bool IsExhaustionKind(ScenarioKind kind);
// A sensible duration when the caller gives none: leaks take hours, bursts minutes.
int64_t DefaultScenarioDuration(ScenarioKind kind);

// How long an exhausted resource stays pinned at its limit after failure_at before the "operator"
// restarts the process / cleans the disk and the entity returns to its baseline.
inline constexpr int64_t kExhaustedHoldNs = 5 * 60 * kNanosPerSecond;

struct Scenario {
  ScenarioKind kind = ScenarioKind::kMemoryLeak;
  std::string entity;
  TimestampNs start = 0;
  // Exhaustion kinds: the ramp from start to the limit at intensity 1. Others: how long the effect lasts.
  int64_t duration_ns = 0;
  // Exhaustion kinds: speed (the limit is reached after duration_ns / intensity).
  // Others: magnitude (cpu_runaway: how close to 100 %; latency: ramp slope; error burst: peak height).
  double intensity = 1;
  bool scheduled = false;  // set by the simulator for auto-scheduled scenarios (vs. injected)

  // Ground truth. Exhaustion kinds: when the resource reaches its limit (start + duration / intensity).
  // Others: the onset (= start).
  TimestampNs failure_at() const;
  // When the effect is over: failure_at + kExhaustedHoldNs for exhaustion kinds, start + duration otherwise.
  TimestampNs end() const;

  friend bool operator==(const Scenario&, const Scenario&) = default;
};

}  // namespace foresight::ingest

#include "ingest/scenario.h"

#include <cmath>

namespace foresight::ingest {

std::string_view ScenarioKindName(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::kMemoryLeak: return "memory_leak";
    case ScenarioKind::kDiskFill: return "disk_fill";
    case ScenarioKind::kConnectionPoolLeak: return "connection_pool_leak";
    case ScenarioKind::kCpuRunaway: return "cpu_runaway";
    case ScenarioKind::kLatencyDegradation: return "latency_degradation";
    case ScenarioKind::kErrorBurst: return "error_burst";
  }
  return "unknown";
}

Result<ScenarioKind> ParseScenarioKind(std::string_view name) {
  for (ScenarioKind k : kAllScenarioKinds) {
    if (ScenarioKindName(k) == name) return k;
  }
  return Status::InvalidArgument(
      "unknown scenario kind", name,
      "expected memory_leak, disk_fill, connection_pool_leak, cpu_runaway, latency_degradation or error_burst");
}

std::string_view ScenarioMetric(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::kMemoryLeak: return "memory_used_percent";
    case ScenarioKind::kDiskFill: return "disk_used_percent";
    case ScenarioKind::kConnectionPoolLeak: return "db_connections";
    case ScenarioKind::kCpuRunaway: return "cpu_usage_percent";
    case ScenarioKind::kLatencyDegradation: return "response_time_ms";
    case ScenarioKind::kErrorBurst: return "error_rate";
  }
  return "";
}

bool IsExhaustionKind(ScenarioKind kind) {
  return kind == ScenarioKind::kMemoryLeak || kind == ScenarioKind::kDiskFill ||
         kind == ScenarioKind::kConnectionPoolLeak;
}

int64_t DefaultScenarioDuration(ScenarioKind kind) {
  constexpr int64_t kMin = 60 * kNanosPerSecond;
  switch (kind) {
    case ScenarioKind::kMemoryLeak: return 180 * kMin;
    case ScenarioKind::kDiskFill: return 360 * kMin;
    case ScenarioKind::kConnectionPoolLeak: return 60 * kMin;
    case ScenarioKind::kCpuRunaway: return 30 * kMin;
    case ScenarioKind::kLatencyDegradation: return 30 * kMin;
    case ScenarioKind::kErrorBurst: return 10 * kMin;
  }
  return 30 * kMin;
}

TimestampNs Scenario::failure_at() const {
  if (!IsExhaustionKind(kind)) return start;
  double speed = intensity > 0 ? intensity : 1.0;
  return start + static_cast<int64_t>(std::llround(static_cast<double>(duration_ns) / speed));
}

TimestampNs Scenario::end() const {
  return IsExhaustionKind(kind) ? failure_at() + kExhaustedHoldNs : start + duration_ns;
}

}  // namespace foresight::ingest

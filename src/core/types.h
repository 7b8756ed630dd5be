#pragma once
// The small value types every stage shares.

#include <cstdint>
#include <string>

#include "core/labels.h"

namespace foresight {

// Series ids are assigned by the sample store, stable for the store's lifetime (persisted).
using SeriesId = uint64_t;
// Timestamps are nanoseconds since the Unix epoch, UTC.
using TimestampNs = int64_t;

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kNanosPerMilli = 1'000'000;

struct Sample {
  SeriesId series_id = 0;
  TimestampNs ts_ns = 0;
  double value = 0;
};

// A sample before its series is resolved to an id: what collectors and decoders emit.
struct LabeledSample {
  Labels labels;
  TimestampNs ts_ns = 0;
  double value = 0;
};

// An entity (host, service, database) groups series; it is named by the "entity" label if present,
// else by "host". Its kind ("host", "service", "database") comes from the "entity_kind" label.
inline constexpr std::string_view kEntityLabel = "entity";
inline constexpr std::string_view kHostLabel = "host";
inline constexpr std::string_view kEntityKindLabel = "entity_kind";
// Series produced by the simulator carry simulated="true" so the API and UI can mark them.
inline constexpr std::string_view kSimulatedLabel = "simulated";

// Returns the entity a series belongs to ("" if none).
std::string EntityOf(const Labels& labels);

}  // namespace foresight

#pragma once
// Shared between tsdb_crash_child and tsdb_crash_test: what the child writes, so the parent can check it.

#include <cstdint>

#include "core/types.h"

namespace foresight::storage::tsdb::crash {

inline constexpr int kSeries = 8;
// In the future (2096), so retention, which runs on the real clock in the child, never deletes it.
inline constexpr TimestampNs kBase = 4'000'000'000'000'000'000;
// Deterministic value of series i's k-th sample: a mix of integers, fractions and a constant series.
inline double ValueOf(int i, int64_t k) {
  if (i == 0) return 42.0;
  if (i % 2 == 1) return static_cast<double>(k * (i + 1));
  return static_cast<double>(k % 1000) * 0.1 + i;
}

}  // namespace foresight::storage::tsdb::crash

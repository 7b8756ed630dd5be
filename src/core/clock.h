#pragma once
// Clock: where time comes from. Stages take a Clock& so tests can drive time without sleeping.
// Thread-safe: all methods.

#include <atomic>
#include <chrono>

#include "core/types.h"

namespace foresight {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimestampNs NowNs() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimestampNs NowNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimestampNs start = 1'700'000'000LL * kNanosPerSecond) : now_(start) {}
  TimestampNs NowNs() const override { return now_.load(); }
  void Set(TimestampNs t) { now_.store(t); }
  void Advance(TimestampNs d) { now_.fetch_add(d); }

 private:
  std::atomic<TimestampNs> now_;
};

}  // namespace foresight

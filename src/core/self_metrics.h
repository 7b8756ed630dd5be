#pragma once
// SelfMetrics: Foresight's own health, exposed at GET /metrics in the Prometheus text format (0.0.4).
// Counters and gauges are registered once (owned by the registry, addresses stable) and updated
// lock-free. Callback gauges read a value at scrape time (queue depths, store stats).
// Thread-safe: all methods.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/labels.h"

namespace foresight {

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class SelfMetrics {
 public:
  // Returns the counter for (name, labels), creating it on first use. REQUIRES: name ends in _total.
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  // fn is called at every render; it must be cheap and thread-safe.
  void AddCallbackGauge(const std::string& name, const std::string& help, const Labels& labels,
                        std::function<double()> fn);

  // Prometheus text exposition format, families in registration order.
  std::string RenderPrometheus() const;

 private:
  struct Entry {
    std::string name, help, type;
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> fn;
  };
  Entry* Find(const std::string& name, const Labels& labels);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace foresight

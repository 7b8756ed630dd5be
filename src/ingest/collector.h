#pragma once
// Collector: a source of samples polled by the collect loop (app/). Each call appends the samples for one
// tick at `now` to *out; it never clears *out, so several collectors can fill one batch.
// Thread-safety: implementations are not thread-safe unless they say so; the owner serialises calls.

#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace foresight::ingest {

class Collector {
 public:
  virtual ~Collector() = default;
  // Short stable name for logs and self-metrics ("host", "simulator").
  virtual std::string_view name() const = 0;
  // Appends this tick's samples (timestamped `now`) to *out. On error, whatever could be collected has
  // still been appended; the Status says what was missing.
  virtual Status Collect(TimestampNs now, std::vector<LabeledSample>* out) = 0;
};

}  // namespace foresight::ingest

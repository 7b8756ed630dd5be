#pragma once
// LogIngestor: turns log lines from any source (OTLP logs, JSON lines, syslog) into series. Each line is
// mined online into a template (logs::TemplateMiner, one miner for all entities so that "T12" means the
// same everywhere) and counted per entity; Flush() emits, once per collect interval, per entity:
//
//   log_template_count{entity, template_id="T12", severity}   lines of that template and severity
//   log_lines_total{entity}                                    all lines
//   log_error_lines{entity}                                    lines of severity error or fatal
//   log_new_templates{entity}                                  templates this entity had never shown
//
// Each value counts the lines added since the previous Flush (a per-interval count, not a running
// total), so an error burst or a never-seen template is a step the detectors see. A template series
// that was non-zero in the previous interval gets an explicit 0 when it falls silent; an entity keeps
// its three entity series (at 0) until it has been silent for `idle_ns`.
//
// Thread-safe: Add, Flush and Templates may be called from any threads (one mutex).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/types.h"
#include "ingest/log_record.h"
#include "logs/template_miner.h"

namespace foresight::ingest {

struct LogIngestorOptions {
  logs::MinerOptions miner;
  size_t max_entities = 10'000;      // further entities' lines are counted under entity "other"
  size_t max_templates = 100'000;    // lines that would create more templates are counted as template_id "other"
  int64_t idle_ns = 600 * kNanosPerSecond;  // an entity silent this long stops emitting zeros
  size_t max_example_bytes = 512;    // the example line kept per template is cut here
};

// What GET /api/v1/logs/templates returns per template.
struct TemplateInfo {
  uint64_t id = 0;
  std::string template_id;   // "T12", the value of the template_id label
  std::string text;          // the template, variables as <*>
  uint64_t count = 0;        // lines matched (for the entity asked about, or all entities)
  TimestampNs first_seen = 0;
  std::string example;       // the first line that matched
};

struct LogAddResult {
  size_t lines = 0;
  size_t new_templates = 0;  // templates created by these lines (new to the whole miner)
};

class LogIngestor {
 public:
  explicit LogIngestor(LogIngestorOptions options = {});
  ~LogIngestor();

  LogAddResult Add(std::span<const LogRecord> records);
  // Appends the interval's samples (timestamp `tick`) to `out` and starts a new interval.
  void Flush(TimestampNs tick, std::vector<LabeledSample>* out);
  // Templates seen for `entity` (all entities when empty), most frequent first, at most `limit`.
  std::vector<TemplateInfo> Templates(std::string_view entity, size_t limit) const;
  size_t template_count() const;
  size_t entity_count() const;

 private:
  struct EntityState;
  struct GlobalTemplate {
    std::string text;
    uint64_t count = 0;
    TimestampNs first_seen = 0;
    std::string example;
  };
  EntityState& EntityLocked(const std::string& name, TimestampNs now);

  const LogIngestorOptions options_;
  mutable std::mutex mu_;
  logs::TemplateMiner miner_;
  std::unordered_map<uint64_t, GlobalTemplate> templates_;
  std::map<std::string, std::unique_ptr<EntityState>, std::less<>> entities_;
};

}  // namespace foresight::ingest

#include "ingest/log_ingestor.h"

#include <algorithm>
#include <set>

namespace foresight::ingest {

namespace {
constexpr uint64_t kOtherTemplate = 0;  // "other": past max_templates
std::string TemplateLabel(uint64_t id) { return id == kOtherTemplate ? "other" : "T" + std::to_string(id); }
}  // namespace

struct LogIngestor::EntityState {
  uint64_t lines = 0;
  uint64_t errors = 0;
  uint64_t new_templates = 0;
  std::map<std::pair<uint64_t, std::string>, uint64_t> counts;  // (template, severity) → lines this interval
  std::set<std::pair<uint64_t, std::string>> previously_active;
  struct Seen {
    uint64_t count = 0;
    TimestampNs first_seen = 0;
  };
  std::unordered_map<uint64_t, Seen> seen;  // templates this entity has shown
  TimestampNs last_line = 0;
};

LogIngestor::LogIngestor(LogIngestorOptions options) : options_(std::move(options)), miner_(options_.miner) {}
LogIngestor::~LogIngestor() = default;

LogIngestor::EntityState& LogIngestor::EntityLocked(const std::string& name, TimestampNs now) {
  std::string key = name.empty() ? "unknown" : name;
  auto it = entities_.find(key);
  if (it == entities_.end()) {
    if (entities_.size() >= options_.max_entities) key = "other";
    it = entities_.try_emplace(key, std::make_unique<EntityState>()).first;
  }
  it->second->last_line = std::max(it->second->last_line, now);
  return *it->second;
}

LogAddResult LogIngestor::Add(std::span<const LogRecord> records) {
  LogAddResult r;
  std::lock_guard lock(mu_);
  for (const LogRecord& rec : records) {
    uint64_t id = kOtherTemplate;
    bool created = false;
    if (templates_.size() < options_.max_templates) {
      logs::Match m = miner_.Add(rec.message);
      id = m.template_id;
      created = m.is_new;
      GlobalTemplate& g = templates_[id];
      if (g.text != m.template_text) g.text = std::string(m.template_text);
      if (m.is_new) {
        g.first_seen = rec.ts_ns;
        g.example = rec.message.substr(0, options_.max_example_bytes);
      }
      ++g.count;
    }
    if (created) ++r.new_templates;
    EntityState& e = EntityLocked(rec.entity, rec.ts_ns);
    const std::string severity = rec.severity.empty() ? "info" : rec.severity;
    ++e.lines;
    if (IsErrorSeverity(severity)) ++e.errors;
    ++e.counts[{id, severity}];
    auto [seen, inserted] = e.seen.try_emplace(id);
    if (inserted) {
      seen->second.first_seen = rec.ts_ns;
      if (id != kOtherTemplate) ++e.new_templates;
    }
    ++seen->second.count;
    ++r.lines;
  }
  return r;
}

void LogIngestor::Flush(TimestampNs tick, std::vector<LabeledSample>* out) {
  std::lock_guard lock(mu_);
  auto emit = [&](std::string_view name, const std::string& entity, double v, std::string_view tid = {},
                  std::string_view sev = {}) {
    LabeledSample s;
    s.labels.Set(kMetricNameLabel, name);
    s.labels.Set(kEntityLabel, entity);
    if (!tid.empty()) s.labels.Set("template_id", tid);
    if (!sev.empty()) s.labels.Set("severity", sev);
    s.ts_ns = tick;
    s.value = v;
    out->push_back(std::move(s));
  };
  for (auto& [name, ep] : entities_) {
    EntityState& e = *ep;
    bool active = e.lines > 0 || !e.previously_active.empty();
    if (!active && tick - e.last_line > options_.idle_ns) continue;
    emit("log_lines_total", name, static_cast<double>(e.lines));
    emit("log_error_lines", name, static_cast<double>(e.errors));
    emit("log_new_templates", name, static_cast<double>(e.new_templates));
    std::set<std::pair<uint64_t, std::string>> now_active;
    for (const auto& [key, n] : e.counts) {
      emit("log_template_count", name, static_cast<double>(n), TemplateLabel(key.first), key.second);
      now_active.insert(key);
    }
    for (const auto& key : e.previously_active) {
      if (!now_active.count(key)) emit("log_template_count", name, 0, TemplateLabel(key.first), key.second);
    }
    e.previously_active = std::move(now_active);
    e.counts.clear();
    e.lines = e.errors = e.new_templates = 0;
  }
}

std::vector<TemplateInfo> LogIngestor::Templates(std::string_view entity, size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<TemplateInfo> out;
  auto info = [&](uint64_t id, uint64_t count, TimestampNs first_seen) {
    TemplateInfo t;
    t.id = id;
    t.template_id = TemplateLabel(id);
    t.count = count;
    t.first_seen = first_seen;
    if (auto it = templates_.find(id); it != templates_.end()) {
      t.text = it->second.text;
      t.example = it->second.example;
    } else {
      t.text = "(lines past ingest's template limit)";
    }
    out.push_back(std::move(t));
  };
  if (entity.empty()) {
    for (const auto& [id, g] : templates_) info(id, g.count, g.first_seen);
  } else {
    auto it = entities_.find(entity);
    if (it == entities_.end()) return out;
    for (const auto& [id, s] : it->second->seen) info(id, s.count, s.first_seen);
  }
  std::sort(out.begin(), out.end(), [](const TemplateInfo& a, const TemplateInfo& b) {
    return a.count != b.count ? a.count > b.count : a.id < b.id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

size_t LogIngestor::template_count() const {
  std::lock_guard lock(mu_);
  return templates_.size();
}

size_t LogIngestor::entity_count() const {
  std::lock_guard lock(mu_);
  return entities_.size();
}

}  // namespace foresight::ingest

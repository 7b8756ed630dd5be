#include "core/self_metrics.h"

#include <cmath>
#include <cstdio>
#include <set>

namespace foresight {
namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string LabelText(const Labels& labels) {
  if (labels.empty()) return "";
  std::string s = labels.ToString();  // "{...}" with an empty metric name in front
  return s;
}

}  // namespace

SelfMetrics::Entry* SelfMetrics::Find(const std::string& name, const Labels& labels) {
  for (auto& e : entries_) {
    if (e->name == name && e->labels == labels) return e.get();
  }
  return nullptr;
}

Counter& SelfMetrics::GetCounter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  if (Entry* e = Find(name, labels); e && e->counter) return *e->counter;
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = "counter";
  e->labels = labels;
  e->counter = std::make_unique<Counter>();
  Counter& c = *e->counter;
  entries_.push_back(std::move(e));
  return c;
}

Gauge& SelfMetrics::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  if (Entry* e = Find(name, labels); e && e->gauge) return *e->gauge;
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = "gauge";
  e->labels = labels;
  e->gauge = std::make_unique<Gauge>();
  Gauge& g = *e->gauge;
  entries_.push_back(std::move(e));
  return g;
}

void SelfMetrics::AddCallbackGauge(const std::string& name, const std::string& help, const Labels& labels,
                                   std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = "gauge";
  e->labels = labels;
  e->fn = std::move(fn);
  entries_.push_back(std::move(e));
}

std::string SelfMetrics::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  std::set<std::string> described;
  // Group samples of one family together, in first-registration order.
  for (const auto& first : entries_) {
    if (described.count(first->name)) continue;
    described.insert(first->name);
    out += "# HELP " + first->name + " " + first->help + "\n";
    out += "# TYPE " + first->name + " " + first->type + "\n";
    for (const auto& e : entries_) {
      if (e->name != first->name) continue;
      double v = e->counter ? static_cast<double>(e->counter->value())
                 : e->gauge ? e->gauge->value()
                            : e->fn();
      out += e->name + LabelText(e->labels) + " " + FormatValue(v) + "\n";
    }
  }
  return out;
}

}  // namespace foresight

#include "alerting/alert_manager.h"

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>

#include "core/time_util.h"

namespace foresight::alerting {
namespace {

constexpr size_t kPruneCooldownAbove = 10'000;  // cooldown entries before expired ones are swept

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Alert ids are derived from what fired and when, so a redelivered prediction at the same instant maps to
// the same row (idempotent put) instead of a duplicate alert.
std::string AlertId(const Prediction& p, TimestampNs now) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") != ("a","bc")
    h *= 1099511628211ULL;
  };
  mix(p.id);
  mix(p.entity);
  mix(p.kind);
  mix(p.resource);
  mix(std::to_string(now));
  char buf[24];
  std::snprintf(buf, sizeof(buf), "al-%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string Fixed(double v, const char* fmt) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

}  // namespace

AlertManager::AlertManager(AlertManagerOptions options, storage::RecordStore& store, Clock& clock,
                           std::vector<std::unique_ptr<Notifier>> notifiers, SelfMetrics* metrics)
    : options_(options),
      store_(store),
      clock_(clock),
      notifiers_(std::move(notifiers)),
      queue_(std::max<size_t>(options.queue_capacity, 1)) {
  for (const auto& n : notifiers_) channel_names_.emplace_back(n->name());
  Counter** slots[] = {&fired_, &suppressed_, &silenced_, &delivered_, &failures_, &dropped_};
  static constexpr const char* kNames[][2] = {
      {"foresight_alerts_fired_total", "Alerts created and queued for delivery."},
      {"foresight_alerts_suppressed_by_cooldown_total", "Predictions above threshold suppressed by the cooldown."},
      {"foresight_alerts_silenced_total", "Alerts stored as silenced and not delivered."},
      {"foresight_alerts_delivered_total", "Successful notifier deliveries (per alert and channel)."},
      {"foresight_alerts_delivery_failures_total", "Notifier errors."},
      {"foresight_alerts_dropped_total", "Deliveries dropped (queue full or shutdown deadline)."},
  };
  for (int i = 0; i < 6; ++i) {
    *slots[i] = metrics ? &metrics->GetCounter(kNames[i][0], kNames[i][1]) : &own_[i];
  }
  worker_ = std::jthread([this](std::stop_token st) { DeliveryLoop(st); });
}

AlertManager::~AlertManager() { Stop(); }

std::string AlertManager::BuildMessage(const Prediction& p, TimestampNs now) {
  // Forecasts carry their own headline ("db-1 likely to hit its db_connections limit (100) in 3 h ..."):
  // the alert reads headline, why, what to do.
  if (p.kind == "forecast") {
    auto details = nlohmann::json::parse(p.details_json.empty() ? std::string("{}") : p.details_json, nullptr, false);
    if (details.is_object() && details.contains("headline") && details["headline"].is_string()) {
      std::string msg = details["headline"].get<std::string>() + ".";
      if (!p.evidence.empty()) msg += " Why: " + p.evidence + (p.evidence.back() == '.' ? "" : ".");
      if (!p.actions.empty()) msg += " Do: " + p.actions.front() + (p.actions.front().ends_with('.') ? "" : ".");
      return msg;
    }
  }
  std::string msg = p.entity + ": ";
  if (p.kind == "forecast") {
    msg += "forecast: " + (p.resource.empty() ? std::string("a resource") : p.resource) + " will cross its limit";
  } else {
    msg += p.kind.empty() ? "anomaly" : p.kind;
    if (!p.resource.empty()) msg += " on " + p.resource;
  }
  msg += " (score " + (std::isfinite(p.score) ? Fixed(p.score, "%.2f") : std::string("NaN")) + ", " +
         std::string(SeverityName(p.severity));
  if (p.probability) msg += ", probability " + Fixed(*p.probability * 100, "%.0f") + "%";
  msg += ").";
  if (!p.evidence.empty()) msg += " " + p.evidence + (p.evidence.back() == '.' ? "" : ".");
  if (!p.attributions.empty()) {
    std::vector<const Attribution*> top;
    for (const auto& a : p.attributions) top.push_back(&a);
    std::stable_sort(top.begin(), top.end(), [](const Attribution* a, const Attribution* b) {
      return std::fabs(a->contribution) > std::fabs(b->contribution);
    });
    msg += " Top:";
    for (size_t i = 0; i < top.size() && i < 3; ++i) {
      msg += (i ? ", " : " ") + top[i]->feature + " " + Fixed(top[i]->contribution, "%+.2f");
    }
    msg += ".";
  }
  if (!p.actions.empty()) msg += " Action: " + p.actions.front() + (p.actions.front().ends_with('.') ? "" : ".");
  if (p.eta) {
    if (*p.eta > now) {
      msg += " ETA in " + FormatDurationHuman(*p.eta - now);
      if (p.eta_low && p.eta_high && *p.eta_low > now && *p.eta_high > *p.eta_low) {
        msg += " (" + FormatDurationHuman(*p.eta_low - now) + " to " + FormatDurationHuman(*p.eta_high - now) + ")";
      }
      msg += ".";
    } else {
      msg += " Limit reached.";
    }
  }
  return msg;
}

Result<std::optional<Alert>> AlertManager::Offer(const Prediction& p) {
  if (p.id.empty() || p.entity.empty()) return Status::InvalidArgument("alert offer", "prediction without id or entity");
  if (!(p.score >= options_.score_threshold) || p.severity < options_.min_severity) {
    return std::optional<Alert>();
  }
  const TimestampNs now = clock_.NowNs();
  Alert alert;
  bool silenced = false;
  {
    std::lock_guard lock(mu_);
    Key key{p.entity, p.kind, p.resource};
    auto it = last_fired_.find(key);
    if (it != last_fired_.end() && now - it->second.at < options_.cooldown_ns && p.severity <= it->second.severity) {
      suppressed_->Inc();
      return std::optional<Alert>();
    }
    auto sil = silences_.find(p.entity);
    if (sil != silences_.end()) {
      if (sil->second > now) {
        silenced = true;
        alert.silenced_until = sil->second;
      } else {
        silences_.erase(sil);
      }
    }
    alert.id = AlertId(p, now);
    alert.prediction_id = p.id;
    alert.entity = p.entity;
    alert.severity = p.severity;
    alert.state = silenced ? AlertState::kSilenced : AlertState::kFiring;
    alert.message = BuildMessage(p, now);
    if (!silenced) alert.channels = channel_names_;
    alert.created_at = now;
    FS_RETURN_IF_ERROR(store_.PutAlert(alert).WithContext("alerting"));
    if (last_fired_.size() > kPruneCooldownAbove) {
      std::erase_if(last_fired_, [&](const auto& kv) { return now - kv.second.at >= options_.cooldown_ns; });
    }
    last_fired_[key] = {now, p.severity};
  }
  if (silenced) {
    silenced_->Inc();
    return std::optional<Alert>(std::move(alert));
  }
  fired_->Inc();
  if (notifiers_.empty()) return std::optional<Alert>(alert);
  {
    std::lock_guard stop_lock(stop_mu_);
    if (stopping_.load()) {
      dropped_->Inc();
    } else {
      {
        std::lock_guard lock(pending_mu_);
        ++pending_;
      }
      if (queue_.PushDropOldest(Delivery{alert, p})) {
        dropped_->Inc();
        Settled(1);  // the oldest one left the queue undelivered
      }
    }
  }
  return std::optional<Alert>(std::move(alert));
}

Status AlertManager::Acknowledge(const std::string& alert_id, const std::string& user) {
  std::lock_guard lock(mu_);
  FS_ASSIGN_OR_RETURN(Alert alert, store_.GetAlert(alert_id));
  alert.state = AlertState::kAcknowledged;
  alert.acked_by = user;
  return store_.PutAlert(alert);
}

Status AlertManager::Silence(const std::string& entity, TimestampNs until) {
  if (entity.empty()) return Status::InvalidArgument("silence", "empty entity");
  std::lock_guard lock(mu_);
  if (until <= clock_.NowNs()) {
    silences_.erase(entity);
  } else {
    silences_[entity] = until;
  }
  return Status::Ok();
}

std::map<std::string, TimestampNs> AlertManager::Silences() const {
  const TimestampNs now = clock_.NowNs();
  std::lock_guard lock(mu_);
  std::map<std::string, TimestampNs> out;
  for (const auto& [entity, until] : silences_) {
    if (until > now) out.emplace(entity, until);
  }
  return out;
}

bool AlertManager::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(pending_mu_);
  return pending_cv_.wait_for(lock, timeout, [&] { return pending_ == 0; });
}

void AlertManager::Stop(std::chrono::milliseconds deadline) {
  std::lock_guard join_lock(join_mu_);
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(stop_mu_);
    stop_deadline_ns_.store(SteadyNowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(deadline).count());
    stopping_.store(true);
    queue_.Close();
  }
  worker_.request_stop();
  worker_.join();
}

AlertCounters AlertManager::counters() const {
  AlertCounters c;
  c.fired = fired_->value();
  c.suppressed_by_cooldown = suppressed_->value();
  c.silenced = silenced_->value();
  c.delivered = delivered_->value();
  c.delivery_failures = failures_->value();
  c.dropped = dropped_->value();
  return c;
}

void AlertManager::Settled(uint64_t n) {
  {
    std::lock_guard lock(pending_mu_);
    pending_ -= std::min(pending_, n);
  }
  pending_cv_.notify_all();
}

void AlertManager::DeliveryLoop(std::stop_token stop) {
  while (true) {
    // Pop returns at once when the queue is closed and empty, so shutdown does not wait out the timeout.
    std::optional<Delivery> d = queue_.Pop(std::chrono::milliseconds(200));
    if (!d) {
      if (stopping_.load() || stop.stop_requested()) {
        if (queue_.size() == 0) return;
      }
      continue;
    }
    if (stopping_.load() && SteadyNowNs() > stop_deadline_ns_.load()) {
      dropped_->Inc();
    } else {
      Deliver(*d);
    }
    Settled(1);
  }
}

void AlertManager::Deliver(Delivery& d) {
  std::vector<std::string> delivered_to;
  for (const auto& n : notifiers_) {
    Status st;
    try {
      st = n->Notify(d.alert, d.prediction);
    } catch (const std::exception& e) {
      st = Status::Internal("notifier threw", e.what());
    } catch (...) {
      st = Status::Internal("notifier threw");
    }
    if (st.ok()) {
      delivered_->Inc();
      delivered_to.emplace_back(n->name());
    } else {
      failures_->Inc();
      spdlog::warn("alert {} to {} failed: {}", d.alert.id, n->name(), st.ToString());
    }
  }
  if (delivered_to == d.alert.channels) return;
  // Record where the alert actually went. Re-read under mu_ so an Acknowledge() in between is kept.
  std::lock_guard lock(mu_);
  auto stored = store_.GetAlert(d.alert.id);
  Status st = stored.status();
  if (stored.ok()) {
    stored->channels = std::move(delivered_to);
    st = store_.PutAlert(*stored);
  }
  if (!st.ok()) {
    failures_->Inc();
    spdlog::warn("alert {}: recording delivery channels failed: {}", d.alert.id, st.ToString());
  }
}

}  // namespace foresight::alerting

#pragma once
// AlertManager: turns predictions into alerts. Offer() decides (threshold, minimum severity, cooldown,
// silences), stores the Alert through the RecordStore and queues it for the notifiers; one delivery
// thread (std::jthread) calls the notifiers, so a slow or failing channel never blocks the caller.
// Owned by app/; borrows the RecordStore, the Clock and SelfMetrics, which must outlive it.
// Thread-safe: every public method.
//
// Rules, in order, for a prediction P offered at clock time `now`:
//  1. P.score < score_threshold (or NaN), or P.severity < min_severity: no alert (nullopt).
//  2. Key = (entity, kind, resource). If the key fired within cooldown_ns of now (now - last < cooldown)
//     and P.severity <= the severity it last fired with: suppressed (nullopt, suppressed_by_cooldown++).
//     An escalation to a higher severity inside the cooldown does fire, and restarts the cooldown at the
//     new severity: escalations are exactly the change an operator must hear about; repeats are noise.
//  3. Otherwise an Alert is created (state firing, channels = the notifiers' names), stored, and queued for
//     delivery (fired++). If P.entity is silenced (Silence(entity, until) with until > now) the alert is
//     stored with state silenced and silenced_until set, and not delivered (silenced++). Both start the
//     cooldown, so a silenced entity does not store an alert per tick either.
// A condition that stays above threshold therefore re-alerts once per cooldown (a reminder), not per tick.
// Cost on the caller's thread: a map lookup and, when an alert fires, one RecordStore::PutAlert.
// Delivery queue: bounded, full policy drop-oldest (dropped++); a notifier error is counted
// (delivery_failures++) and not retried; each successful Notify() counts delivered++.
// Silences live in memory only (lost on restart); alerts and acks are in the RecordStore.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "alerting/notifier.h"
#include "core/bounded_queue.h"
#include "core/clock.h"
#include "core/records.h"
#include "core/self_metrics.h"
#include "core/status.h"
#include "storage/record_store.h"

namespace foresight::alerting {

struct AlertManagerOptions {
  double score_threshold = 0.6;                     // fire when score >= this (config: alerting.score_threshold)
  int64_t cooldown_ns = 10 * 60 * kNanosPerSecond;  // per (entity, kind, resource) (config: alerting.cooldown)
  Severity min_severity = Severity::kInfo;          // and severity >= this (config: alerting.min_severity)
  size_t queue_capacity = 1024;                     // pending deliveries; full: drop oldest, counted
};

// Snapshot of the self-metrics counters (monotonic since construction).
struct AlertCounters {
  uint64_t fired = 0;                   // alerts created and queued for delivery
  uint64_t suppressed_by_cooldown = 0;  // offers above threshold swallowed by the cooldown
  uint64_t silenced = 0;                // alerts stored as silenced (not delivered)
  uint64_t delivered = 0;               // successful Notify() calls (one per alert per notifier)
  uint64_t delivery_failures = 0;       // Notify() errors, plus failures to record delivery channels
  uint64_t dropped = 0;                 // deliveries dropped: queue full, or still queued at Stop()'s deadline
};

class AlertManager {
 public:
  // `metrics` (nullable) registers foresight_alerts_{fired,suppressed_by_cooldown,silenced,delivered,
  // delivery_failures,dropped}_total there; counters() works either way. Starts the delivery thread.
  AlertManager(AlertManagerOptions options, storage::RecordStore& store, Clock& clock,
               std::vector<std::unique_ptr<Notifier>> notifiers, SelfMetrics* metrics = nullptr);
  ~AlertManager();  // Stop() with a 5 s deadline
  AlertManager(const AlertManager&) = delete;
  AlertManager& operator=(const AlertManager&) = delete;

  // Applies the rules above. Returns the stored alert (firing or silenced) or nullopt (no alert).
  // Errors: InvalidArgument (empty prediction id or entity), the store's errors (the cooldown is not
  // started when storing fails, so the next offer retries).
  Result<std::optional<Alert>> Offer(const Prediction& prediction);

  // Marks a stored alert acknowledged by `user`. Errors: NotFound (unknown alert), the store's errors.
  Status Acknowledge(const std::string& alert_id, const std::string& user);
  // Silences `entity` until `until` (clock time); until <= now lifts the silence.
  // Errors: InvalidArgument (empty entity).
  Status Silence(const std::string& entity, TimestampNs until);
  // Current silences (entity -> until) that have not expired.
  std::map<std::string, TimestampNs> Silences() const;

  // Waits until every queued delivery has been handed to the notifiers (or dropped); false on timeout.
  // For tests and orderly shutdown; never called on the hot path.
  bool Flush(std::chrono::milliseconds timeout);
  // Stops accepting deliveries, delivers what is queued until `deadline` passes (the rest is dropped and
  // counted), then joins the delivery thread. Offer() still stores alerts afterwards but delivers nothing.
  // Idempotent.
  void Stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  AlertCounters counters() const;
  size_t queue_size() const { return queue_.size(); }
  const AlertManagerOptions& options() const { return options_; }

  // The alert text: "web-3: anomaly on disk_used_percent (score 0.82, warning). Top: a +0.31, b +0.12,
  // c -0.05. Action: rotate logs. ETA in 3 h 10 m." Pure; exposed for tests and other channels.
  static std::string BuildMessage(const Prediction& p, TimestampNs now);

 private:
  struct Delivery {
    Alert alert;
    Prediction prediction;
  };
  struct LastFired {
    TimestampNs at = 0;
    Severity severity = Severity::kInfo;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // entity, kind, resource

  void DeliveryLoop(std::stop_token stop);
  void Deliver(Delivery& d);
  void Settled(uint64_t n);  // n deliveries finished (delivered, failed or dropped)

  const AlertManagerOptions options_;
  storage::RecordStore& store_;
  Clock& clock_;
  const std::vector<std::unique_ptr<Notifier>> notifiers_;
  std::vector<std::string> channel_names_;

  mutable std::mutex mu_;  // guards last_fired_, silences_, and read-modify-write of stored alerts
  std::map<Key, LastFired> last_fired_;
  std::map<std::string, TimestampNs> silences_;

  Counter own_[6];
  Counter* fired_;
  Counter* suppressed_;
  Counter* silenced_;
  Counter* delivered_;
  Counter* failures_;
  Counter* dropped_;

  BoundedQueue<Delivery> queue_;
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  uint64_t pending_ = 0;  // queued or being delivered
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> stop_deadline_ns_{0};  // steady_clock ns; meaningful once stopping_
  std::mutex stop_mu_;  // orders Stop()'s close against Offer()'s enqueue
  std::mutex join_mu_;  // serialises concurrent Stop() calls
  std::jthread worker_;  // last: started after everything it uses, joined first
};

}  // namespace foresight::alerting

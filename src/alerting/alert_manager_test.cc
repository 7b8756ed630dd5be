#include "alerting/alert_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include "alerting/console_notifier.h"
#include "storage/sqlite/sqlite_record_store.h"

namespace foresight::alerting {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kWait{10'000};  // bound for waiting on the delivery thread; never a timing assertion
constexpr int64_t kMinute = 60 * kNanosPerSecond;

// Records every alert it is handed; optionally fails.
class RecordingNotifier final : public Notifier {
 public:
  explicit RecordingNotifier(std::string name, bool fail = false) : name_(std::move(name)), fail_(fail) {}
  std::string_view name() const override { return name_; }
  Status Notify(const Alert& alert, const Prediction&) override {
    std::lock_guard lock(mu_);
    if (fail_) return Status::Unavailable(name_, "down");
    ids_.push_back(alert.id);
    return Status::Ok();
  }
  std::vector<std::string> ids() const {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  const std::string name_;
  const bool fail_;
  mutable std::mutex mu_;
  std::vector<std::string> ids_;
};

// Blocks in Notify() until released, to prove the caller never waits on a channel.
class GateNotifier final : public Notifier {
 public:
  std::string_view name() const override { return "gate"; }
  Status Notify(const Alert&, const Prediction&) override {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    ++delivered_;
    return Status::Ok();
  }
  bool WaitEntered(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int delivered() const {
    std::lock_guard lock(mu_);
    return delivered_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int entered_ = 0;
  int delivered_ = 0;
};

// A RecordStore that fails PutAlert on demand and otherwise forwards to the real SQLite store.
class FailingAlertStore final : public storage::RecordStore {
 public:
  explicit FailingAlertStore(storage::RecordStore& inner) : inner_(inner) {}
  std::atomic<bool> fail_put_alert{false};
  Status PutPrediction(const Prediction& p) override { return inner_.PutPrediction(p); }
  Result<Prediction> GetPrediction(const std::string& id) const override { return inner_.GetPrediction(id); }
  Result<std::vector<Prediction>> ListPredictions(const storage::PredictionFilter& f) const override {
    return inner_.ListPredictions(f);
  }
  Status PutAlert(const Alert& a) override {
    if (fail_put_alert) return Status::Unavailable("injected");
    return inner_.PutAlert(a);
  }
  Result<Alert> GetAlert(const std::string& id) const override { return inner_.GetAlert(id); }
  Result<std::vector<Alert>> ListAlerts(const storage::AlertFilter& f) const override { return inner_.ListAlerts(f); }
  Status PutFeedback(const Feedback& f) override { return inner_.PutFeedback(f); }
  Result<std::vector<Feedback>> ListFeedback(const std::string& id) const override { return inner_.ListFeedback(id); }
  Result<int64_t> PutModelVersion(const ModelVersion& mv) override { return inner_.PutModelVersion(mv); }
  Result<std::vector<ModelVersion>> ListModelVersions(const std::string& e) const override {
    return inner_.ListModelVersions(e);
  }
  Result<ModelVersion> LatestModel(const std::string& e, const std::string& n) const override {
    return inner_.LatestModel(e, n);
  }

 private:
  storage::RecordStore& inner_;
};

Prediction Pred(const std::string& entity, double score, Severity sev = Severity::kWarning,
                const std::string& resource = "") {
  Prediction p;
  p.id = "pr-" + entity + "-" + resource + "-" + std::to_string(score);
  p.entity = entity;
  p.kind = "anomaly";
  p.resource = resource;
  p.score = score;
  p.severity = sev;
  return p;
}

class AlertManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::SqliteRecordStore::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // Builds a manager with a RecordingNotifier named "rec" (plus `extra` notifiers).
  std::unique_ptr<AlertManager> Make(AlertManagerOptions opts = {},
                                     std::vector<std::unique_ptr<Notifier>> extra = {},
                                     storage::RecordStore* store = nullptr, SelfMetrics* metrics = nullptr) {
    std::vector<std::unique_ptr<Notifier>> notifiers;
    auto rec = std::make_unique<RecordingNotifier>("rec");
    rec_ = rec.get();
    notifiers.push_back(std::move(rec));
    for (auto& n : extra) notifiers.push_back(std::move(n));
    return std::make_unique<AlertManager>(opts, store ? *store : *store_, clock_, std::move(notifiers), metrics);
  }

  // Offers and returns whether an alert came out; fails the test on error.
  bool Fires(AlertManager& m, const Prediction& p) {
    auto r = m.Offer(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->has_value();
  }

  FakeClock clock_;
  std::unique_ptr<storage::SqliteRecordStore> store_;
  RecordingNotifier* rec_ = nullptr;
};

TEST_F(AlertManagerTest, FiresAtOrAboveThresholdOnly) {
  auto m = Make({.score_threshold = 0.6});
  EXPECT_FALSE(Fires(*m, Pred("a", 0.59)));
  EXPECT_TRUE(Fires(*m, Pred("b", 0.6)));
  EXPECT_TRUE(Fires(*m, Pred("c", 0.99)));
  Prediction nan = Pred("d", std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(Fires(*m, nan));
  EXPECT_EQ(m->counters().fired, 2u);
}

TEST_F(AlertManagerTest, MinSeverityFilters) {
  auto m = Make({.min_severity = Severity::kWarning});
  EXPECT_FALSE(Fires(*m, Pred("a", 0.9, Severity::kInfo)));
  EXPECT_TRUE(Fires(*m, Pred("a", 0.9, Severity::kWarning)));
}

TEST_F(AlertManagerTest, RejectsPredictionWithoutIdOrEntity) {
  auto m = Make();
  Prediction p = Pred("a", 0.9);
  p.id.clear();
  EXPECT_EQ(m->Offer(p).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AlertManagerTest, CooldownIsPerEntityKindAndResource) {
  auto m = Make({.cooldown_ns = 10 * kMinute});
  EXPECT_TRUE(Fires(*m, Pred("web-1", 0.9)));
  clock_.Advance(kMinute);
  EXPECT_FALSE(Fires(*m, Pred("web-1", 0.95)));          // same key, within cooldown
  EXPECT_TRUE(Fires(*m, Pred("web-2", 0.9)));            // another entity
  EXPECT_TRUE(Fires(*m, Pred("web-1", 0.9, Severity::kWarning, "disk")));  // another resource
  Prediction forecast = Pred("web-1", 0.9);
  forecast.kind = "forecast";
  EXPECT_TRUE(Fires(*m, forecast));                      // another kind
  clock_.Advance(9 * kMinute - 1);                       // 10 min - 1 ns after the first
  EXPECT_FALSE(Fires(*m, Pred("web-1", 0.9)));
  clock_.Advance(1);                                     // exactly the cooldown: fires again
  EXPECT_TRUE(Fires(*m, Pred("web-1", 0.9)));
  auto c = m->counters();
  EXPECT_EQ(c.fired, 5u);
  EXPECT_EQ(c.suppressed_by_cooldown, 2u);
}

TEST_F(AlertManagerTest, EscalationInsideCooldownFiresAndRestartsIt) {
  auto m = Make({.cooldown_ns = 10 * kMinute});
  EXPECT_TRUE(Fires(*m, Pred("web-1", 0.7, Severity::kWarning)));
  clock_.Advance(kMinute);
  EXPECT_TRUE(Fires(*m, Pred("web-1", 0.9, Severity::kCritical)));   // escalation
  clock_.Advance(kMinute);
  EXPECT_FALSE(Fires(*m, Pred("web-1", 0.95, Severity::kCritical)));  // same severity: suppressed
  EXPECT_FALSE(Fires(*m, Pred("web-1", 0.7, Severity::kWarning)));    // de-escalation: suppressed
  clock_.Advance(9 * kMinute);  // 10 min after the escalation, 11 after the first
  EXPECT_TRUE(Fires(*m, Pred("web-1", 0.7, Severity::kWarning)));
  EXPECT_EQ(m->counters().suppressed_by_cooldown, 2u);
}

TEST_F(AlertManagerTest, StoresAlertWithMessageAndChannelsAndDelivers) {
  auto m = Make();
  Prediction p = Pred("web-3", 0.82, Severity::kWarning, "memory_used_percent");
  p.attributions = {{"memory_used_percent.slope_15m", 1, 0.31}};
  auto r = m->Offer(p);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  const Alert& a = **r;
  EXPECT_EQ(a.state, AlertState::kFiring);
  EXPECT_EQ(a.created_at, clock_.NowNs());
  EXPECT_EQ(a.prediction_id, p.id);
  EXPECT_EQ(a.channels, std::vector<std::string>{"rec"});

  auto stored = store_->GetAlert(a.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->entity, "web-3");
  EXPECT_EQ(stored->severity, Severity::kWarning);
  EXPECT_EQ(stored->message, a.message);
  EXPECT_NE(stored->message.find("memory_used_percent.slope_15m +0.31"), std::string::npos) << stored->message;
  EXPECT_EQ(store_->ListAlerts({})->size(), 1u);

  ASSERT_TRUE(m->Flush(kWait));
  EXPECT_EQ(rec_->ids(), std::vector<std::string>{a.id});
  EXPECT_EQ(m->counters().delivered, 1u);
}

TEST_F(AlertManagerTest, MessageNamesEntityWhatScoreTopThreeActionAndEta) {
  const TimestampNs now = clock_.NowNs();
  Prediction p = Pred("web-3", 0.8237, Severity::kCritical, "disk_used_percent");
  p.kind = "forecast";
  p.probability = 0.93;
  p.attributions = {{"a", 0, 0.05}, {"b", 0, -0.40}, {"c", 0, 0.31}, {"d", 0, 0.01}};
  p.actions = {"rotate logs in /var/log", "expand the volume"};
  p.eta = now + (3 * 3600 + 10 * 60) * kNanosPerSecond;
  EXPECT_EQ(AlertManager::BuildMessage(p, now),
            "web-3: forecast: disk_used_percent will cross its limit (score 0.82, critical, probability 93%). "
            "Top: b -0.40, c +0.31, a +0.05. Action: rotate logs in /var/log. ETA in 3 h 10 m.");
  Prediction q = Pred("db-1", 0.7);
  EXPECT_EQ(AlertManager::BuildMessage(q, now), "db-1: anomaly (score 0.70, warning).");
  q.eta = now - 1;
  EXPECT_EQ(AlertManager::BuildMessage(q, now), "db-1: anomaly (score 0.70, warning). Limit reached.");
}

TEST_F(AlertManagerTest, ForecastWithHeadlineReadsWhatWhenWhyAndDo) {
  const TimestampNs now = clock_.NowNs();
  Prediction p = Pred("db-1", 0.83, Severity::kWarning, "db_connections");
  p.kind = "forecast";
  p.details_json = R"j({"headline":"db-1 likely to hit its db_connections limit (100) in 3 h 10 m (80%: 2 h 20 m - 4 h 5 m)"})j";
  p.evidence = "db_connections at 64 (limit 100), trend +11/h";
  p.actions = {"List sessions by state", "Raise max_connections"};
  EXPECT_EQ(AlertManager::BuildMessage(p, now),
            "db-1 likely to hit its db_connections limit (100) in 3 h 10 m (80%: 2 h 20 m - 4 h 5 m). "
            "Why: db_connections at 64 (limit 100), trend +11/h. Do: List sessions by state.");
  p.details_json = "not json";  // falls back to the generic form
  EXPECT_EQ(AlertManager::BuildMessage(p, now).rfind("db-1: forecast: db_connections will cross its limit", 0), 0u);
}

TEST_F(AlertManagerTest, SilencedEntityStoresSilencedAlertsWithoutNotifying) {
  auto m = Make({.cooldown_ns = kMinute});
  const TimestampNs until = clock_.NowNs() + 30 * kMinute;
  ASSERT_TRUE(m->Silence("web-1", until).ok());
  EXPECT_EQ(m->Silences().size(), 1u);
  auto r = m->Offer(Pred("web-1", 0.9));
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->state, AlertState::kSilenced);
  EXPECT_EQ((*r)->silenced_until, until);
  EXPECT_TRUE((*r)->channels.empty());
  EXPECT_EQ(store_->GetAlert((*r)->id)->state, AlertState::kSilenced);
  EXPECT_TRUE(Fires(*m, Pred("web-2", 0.9)));  // others still notify

  clock_.Advance(30 * kMinute);  // silence over
  EXPECT_TRUE(m->Silences().empty());
  auto after = m->Offer(Pred("web-1", 0.9));
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->state, AlertState::kFiring);

  ASSERT_TRUE(m->Flush(kWait));
  EXPECT_EQ(rec_->ids().size(), 2u);  // web-2 and web-1 after the silence
  auto c = m->counters();
  EXPECT_EQ(c.silenced, 1u);
  EXPECT_EQ(c.fired, 2u);
}

TEST_F(AlertManagerTest, SilenceInThePastLiftsIt) {
  auto m = Make();
  ASSERT_TRUE(m->Silence("web-1", clock_.NowNs() + kMinute).ok());
  ASSERT_TRUE(m->Silence("web-1", clock_.NowNs()).ok());
  EXPECT_TRUE(m->Silences().empty());
  EXPECT_EQ((*m->Offer(Pred("web-1", 0.9)))->state, AlertState::kFiring);
  EXPECT_EQ(m->Silence("", 1).code(), StatusCode::kInvalidArgument);
}

TEST_F(AlertManagerTest, AcknowledgeMarksStoredAlert) {
  auto m = Make();
  auto r = m->Offer(Pred("web-1", 0.9));
  ASSERT_TRUE(r.ok() && r->has_value());
  ASSERT_TRUE(m->Acknowledge((*r)->id, "ana").ok());
  ASSERT_TRUE(m->Flush(kWait));
  auto stored = store_->GetAlert((*r)->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, AlertState::kAcknowledged);
  EXPECT_EQ(stored->acked_by, "ana");
  EXPECT_EQ(m->Acknowledge("al-unknown", "ana").code(), StatusCode::kNotFound);
}

TEST_F(AlertManagerTest, FailingNotifierIsCountedAndOthersStillDeliver) {
  std::vector<std::unique_ptr<Notifier>> extra;
  extra.push_back(std::make_unique<RecordingNotifier>("broken", /*fail=*/true));
  auto m = Make({}, std::move(extra));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = m->Offer(Pred("web-" + std::to_string(i), 0.9));
    ASSERT_TRUE(r.ok() && r->has_value());
    ids.push_back((*r)->id);
  }
  ASSERT_TRUE(m->Flush(kWait));
  EXPECT_EQ(rec_->ids(), ids);
  auto c = m->counters();
  EXPECT_EQ(c.delivered, 3u);
  EXPECT_EQ(c.delivery_failures, 3u);
  // The stored alert records where it actually went.
  EXPECT_EQ(store_->GetAlert(ids[0])->channels, std::vector<std::string>{"rec"});
}

TEST_F(AlertManagerTest, BlockedNotifierNeverBlocksOfferAndFullQueueDropsOldest) {
  auto gate_owned = std::make_unique<GateNotifier>();
  GateNotifier* gate = gate_owned.get();
  std::vector<std::unique_ptr<Notifier>> notifiers;
  notifiers.push_back(std::move(gate_owned));
  AlertManager m({.queue_capacity = 2}, *store_, clock_, std::move(notifiers));

  ASSERT_TRUE(Fires(m, Pred("e0", 0.9)));
  ASSERT_TRUE(gate->WaitEntered(1));  // the delivery thread is now stuck in Notify()
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(Fires(m, Pred("e" + std::to_string(i), 0.9)));  // returns regardless
  EXPECT_EQ(m.counters().dropped, 1u);  // capacity 2: e1 dropped for e3
  EXPECT_EQ(m.queue_size(), 2u);
  gate->Open();
  ASSERT_TRUE(m.Flush(kWait));
  EXPECT_EQ(gate->delivered(), 3);
  EXPECT_EQ(m.counters().delivered, 3u);
  EXPECT_EQ(m.counters().fired, 4u);
}

TEST_F(AlertManagerTest, StopDrainsQueuedDeliveriesThenDeliversNothing) {
  auto m = Make();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Fires(*m, Pred("e" + std::to_string(i), 0.9)));
  m->Stop(std::chrono::seconds(10));
  EXPECT_EQ(rec_->ids().size(), 5u);
  EXPECT_TRUE(Fires(*m, Pred("late", 0.9)));  // still stored...
  EXPECT_EQ(rec_->ids().size(), 5u);          // ...but not delivered
  EXPECT_EQ(m->counters().dropped, 1u);
  EXPECT_TRUE(store_->GetAlert((*store_->ListAlerts({.limit = 1}))[0].id).ok());
  m->Stop();  // idempotent
}

TEST_F(AlertManagerTest, StoreFailureIsReturnedAndDoesNotStartCooldown) {
  FailingAlertStore failing(*store_);
  auto m = Make({}, {}, &failing);
  failing.fail_put_alert = true;
  EXPECT_EQ(m->Offer(Pred("web-1", 0.9)).status().code(), StatusCode::kUnavailable);
  failing.fail_put_alert = false;
  EXPECT_TRUE(Fires(*m, Pred("web-1", 0.9)));  // retried on the next offer, not suppressed
  EXPECT_EQ(m->counters().fired, 1u);
}

TEST_F(AlertManagerTest, CountersAreExportedToSelfMetrics) {
  SelfMetrics metrics;
  auto m = Make({}, {}, nullptr, &metrics);
  ASSERT_TRUE(Fires(*m, Pred("web-1", 0.9)));
  ASSERT_FALSE(Fires(*m, Pred("web-1", 0.9)));
  ASSERT_TRUE(m->Flush(kWait));
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("foresight_alerts_fired_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("foresight_alerts_suppressed_by_cooldown_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("foresight_alerts_delivered_total 1"), std::string::npos) << text;
}

TEST_F(AlertManagerTest, ConcurrentOffersAcksAndSilencesKeepCountersConsistent) {
  auto m = Make({.cooldown_ns = kMinute});
  constexpr int kThreads = 4;
  constexpr int kOffers = 200;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOffers; ++i) {
        // 10 entities shared by all threads, so cooldown decisions race on the same keys.
        auto r = m->Offer(Pred("e" + std::to_string((t + i) % 10), 0.9));
        if (!r.ok()) ++errors;
        if (r.ok() && r->has_value() && i % 7 == 0 && !m->Acknowledge((*r)->id, "t").ok()) ++errors;
        if (i % 50 == 0 && !m->Silence("e9", clock_.NowNs() + kMinute).ok()) ++errors;
        if (i % 10 == 0) clock_.Advance(kMinute / 4);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(m->Flush(kWait));
  EXPECT_EQ(errors.load(), 0);
  auto c = m->counters();
  EXPECT_EQ(c.fired + c.silenced + c.suppressed_by_cooldown, static_cast<uint64_t>(kThreads * kOffers));
  EXPECT_EQ(c.delivered, c.fired);
  EXPECT_EQ(rec_->ids().size(), c.fired);
  EXPECT_EQ(store_->ListAlerts({.limit = 0})->size(), c.fired + c.silenced);
}

TEST_F(AlertManagerTest, ConsoleNotifierEndToEnd) {
  std::ostringstream out;
  std::vector<std::unique_ptr<Notifier>> notifiers;
  notifiers.push_back(std::make_unique<ConsoleNotifier>(ConsoleFormat::kLogfmt, out));
  AlertManager m({}, *store_, clock_, std::move(notifiers));
  auto r = m.Offer(Pred("web-3", 0.82, Severity::kWarning));
  ASSERT_TRUE(r.ok() && r->has_value());
  ASSERT_TRUE(m.Flush(kWait));
  EXPECT_NE(out.str().find("level=warning alert=" + (*r)->id + " entity=web-3 kind=anomaly score=0.82"),
            std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace foresight::alerting

// The forecast stage against real stores (an embedded Tsdb and SQLite record store in a temp dir) and
// the real alert manager: ramps get a time to failure, flat and broken series get a reason, never NaN.

#include "app/forecast_stage.h"

#include <gtest/gtest.h>

#include <cmath>

#include "alerting/alert_manager.h"
#include "storage/testing/temp_stores.h"

namespace foresight::app {
namespace {

using nlohmann::json;
constexpr int64_t kMin = 60 * kNanosPerSecond;
constexpr int64_t kHour = 60 * kMin;

class ForecastStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stores_.Open("forecast-stage", clock_).ok());
    tsdb_ = &stores_.samples();
    records_ = &stores_.records();
    alerting::AlertManagerOptions ao;
    alerts_ = std::make_unique<alerting::AlertManager>(ao, *records_, clock_,
                                                       std::vector<std::unique_ptr<alerting::Notifier>>{});
  }
  void TearDown() override {
    alerts_.reset();  // before the record store it writes to
    stores_.Close();
  }

  // One sample per minute of value(minutes since start) over [now - span, now].
  void Write(const Labels& labels, int64_t span, const std::function<double(double)>& value) {
    auto id = tsdb_->Resolve(labels);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    std::vector<Sample> s;
    const TimestampNs now = clock_.NowNs();
    for (TimestampNs t = now - span; t <= now; t += kMin) {
      s.push_back({*id, t, value(static_cast<double>(t - (now - span)) / kMin)});
    }
    ASSERT_TRUE(tsdb_->Append(s).ok());
  }

  std::unique_ptr<ForecastStage> Stage(std::vector<LimitRule> limits) {
    ForecastStageOptions o;
    o.limits = std::move(limits);
    return std::make_unique<ForecastStage>(o, clock_, *tsdb_, *records_, *alerts_, metrics_);
  }

  static Labels L(const std::string& metric, const std::string& entity) {
    return Labels{{"__name__", metric}, {"entity", entity}};
  }

  FakeClock clock_{1'767'571'200LL * kNanosPerSecond};
  storage::testing::TempStores stores_;
  storage::tsdb::Tsdb* tsdb_ = nullptr;
  storage::SqliteRecordStore* records_ = nullptr;
  std::unique_ptr<alerting::AlertManager> alerts_;
  SelfMetrics metrics_;
};

TEST_F(ForecastStageTest, BuiltinRulesParseAndConfigRulesComeFirst) {
  for (const auto& r : BuiltinLimitRules()) {
    EXPECT_FALSE(r.matchers.empty()) << r.selector;
    EXPECT_TRUE(r.threshold.has_value() != !r.threshold_metric.empty()) << r.selector;
  }
  config::LimitConfig c;
  c.name = "p95";
  c.selector = "response_time_ms";
  c.threshold = 800;
  auto rules = BuildLimitRules({c}, true);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->front().name, "p95");
  EXPECT_EQ(rules->size(), 1 + BuiltinLimitRules().size());
  c.selector = "bad{";
  auto bad = BuildLimitRules({c}, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("limits[0] (p95): selector"), std::string::npos) << bad.status().ToString();
}

// A pool filling at 10 connections per hour for 5 h, from 20 to 70, towards a companion limit of 100: 3 h left.
TEST_F(ForecastStageTest, LeakGetsAnEtaNearTheTruthAndAWarningAlertWithAHeadline) {
  Write(L("db_connections", "db-1"), 24 * kHour, [](double m) { return m < 19 * 60 ? 20.0 + std::sin(m) : 20 + (m - 19 * 60) / 6.0; });
  Write(L("db_max_connections", "db-1"), 24 * kHour, [](double) { return 100.0; });
  auto stage = Stage(BuiltinLimitRules());
  stage->RunOnce();
  clock_.Advance(kMin);
  stage->RunOnce();  // a crossing must be predicted on two passes before it opens

  json f = stage->ForecastsJson("db-1");
  ASSERT_EQ(f.size(), 1u) << f.dump();
  EXPECT_EQ(f[0]["resource"], "db_connections");
  EXPECT_EQ(f[0]["limit"], 100.0);
  EXPECT_EQ(f[0]["limit_source"], "db_max_connections");
  ASSERT_TRUE(f[0]["eta"].is_number()) << f[0].dump();
  const double eta_h = (f[0]["eta"].get<double>() - clock_.NowNs() / kNanosPerMilli) / 3.6e6;
  // 70 at the end of the history, 10/h: the level reaches 100 in 3 h (one minute has passed since).
  EXPECT_NEAR(eta_h, 3.0, 0.3);
  EXPECT_LE(f[0]["eta_low"].get<double>(), f[0]["eta"].get<double>());
  EXPECT_FALSE(f[0]["band"].empty());

  storage::PredictionFilter pf;
  pf.kind = "forecast";
  auto preds = records_->ListPredictions(pf);
  ASSERT_TRUE(preds.ok());
  ASSERT_EQ(preds->size(), 1u);
  const Prediction& p = (*preds)[0];
  EXPECT_EQ(p.entity, "db-1");
  EXPECT_EQ(p.severity, Severity::kWarning);  // 3 h < 12 h with a high probability, > 1 h
  ASSERT_TRUE(p.probability.has_value());
  EXPECT_GT(*p.probability, 0.8);
  EXPECT_FALSE(p.closed_at.has_value());
  EXPECT_FALSE(p.actions.empty());
  EXPECT_NE(p.actions[0].find("pg_stat_activity"), std::string::npos);
  auto details = json::parse(p.details_json);
  EXPECT_NE(details["headline"].get<std::string>().find("db-1 likely to hit its db_connections limit (100) in"),
            std::string::npos)
      << details.dump();
  ASSERT_EQ(p.attributions.size(), 2u);
  EXPECT_GT(p.attributions[0].contribution, 0.5);  // the trend does most of the way

  auto alerts = records_->ListAlerts({});
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].message.rfind("db-1 likely to hit its db_connections limit (100) in", 0), 0u)
      << (*alerts)[0].message;
  auto summary = stage->Summaries();
  EXPECT_EQ(summary["db-1"].open, 1);
}

TEST_F(ForecastStageTest, FlatSeriesAreWatchedButPredictNothing) {
  Write(L("memory_used_percent", "web-1"), 24 * kHour, [](double m) { return 40 + 3 * std::sin(m / 60.0); });
  auto stage = Stage(BuiltinLimitRules());
  stage->RunOnce();
  clock_.Advance(kMin);
  stage->RunOnce();
  json f = stage->ForecastsJson("");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0]["reason"].is_null());
  EXPECT_TRUE(f[0]["eta"].is_null());
  EXPECT_TRUE(f[0]["severity"].is_null());
  EXPECT_LT(f[0]["probability"].get<double>(), 0.3);
  EXPECT_TRUE(records_->ListPredictions({})->empty());
}

TEST_F(ForecastStageTest, UnforecastableSeriesSayWhyAndNeverNaN) {
  Write(L("disk_used_percent", "short"), 10 * kMin, [](double m) { return 50 + m; });   // 11 points
  Write(L("disk_used_percent", "flat"), 6 * kHour, [](double) { return 42.0; });        // constant
  Write(L("host_swap_used_bytes", "nos"), 6 * kHour, [](double) { return 0.0; });       // no swap at all
  Write(L("host_swap_total_bytes", "nos"), 6 * kHour, [](double) { return 0.0; });
  Write(L("host_disk_used_bytes", "orphan"), 6 * kHour, [](double m) { return 1e9 + m; });  // no size series
  auto stage = Stage(BuiltinLimitRules());
  stage->RunOnce();
  json f = stage->ForecastsJson("");
  ASSERT_EQ(f.size(), 4u) << f.dump();
  std::map<std::string, std::string> reasons;
  for (const auto& r : f) {
    ASSERT_TRUE(r["reason"].is_string()) << r.dump();
    reasons[r["entity"]] = r["reason"];
    EXPECT_EQ(r.dump().find("NaN"), std::string::npos);
  }
  EXPECT_NE(reasons["short"].find("need"), std::string::npos) << reasons["short"];
  EXPECT_NE(reasons["flat"].find("constant"), std::string::npos) << reasons["flat"];
  EXPECT_NE(reasons["nos"].find("nothing to exhaust"), std::string::npos) << reasons["nos"];
  EXPECT_NE(reasons["orphan"].find("host_disk_size_bytes"), std::string::npos) << reasons["orphan"];
  EXPECT_TRUE(records_->ListPredictions({})->empty());
}

TEST_F(ForecastStageTest, PredictionClosesWhenTheLeakIsFixed) {
  auto id = tsdb_->Resolve(L("memory_used_percent", "worker-1"));
  ASSERT_TRUE(id.ok());
  const TimestampNs t0 = clock_.NowNs();
  std::vector<Sample> s;
  for (TimestampNs t = t0 - 12 * kHour; t <= t0; t += kMin) {
    double m = static_cast<double>(t - (t0 - 12 * kHour)) / kMin;
    s.push_back({*id, t, m < 9 * 60 ? 40.0 + std::sin(m) : 40 + (m - 9 * 60) / 6.0});  // +10 %/h for 3 h
  }
  ASSERT_TRUE(tsdb_->Append(s).ok());
  auto stage = Stage(BuiltinLimitRules());
  stage->RunOnce();
  clock_.Advance(kMin);
  stage->RunOnce();
  storage::PredictionFilter open;
  open.open_only = true;
  ASSERT_EQ(records_->ListPredictions(open)->size(), 1u);
  // The process is restarted: memory drops back and stays flat for hours.
  for (int i = 0; i < 8 * 60; ++i) {
    clock_.Advance(kMin);
    ASSERT_TRUE(tsdb_->Append(std::vector<Sample>{{*id, clock_.NowNs(), 40.0 + std::sin(i)}}).ok());
    if (i % 60 == 59) stage->RunOnce();
  }
  EXPECT_TRUE(records_->ListPredictions(open)->empty());
  auto all = records_->ListPredictions({});
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].closed_at.has_value());
}

// Three days on a 1-minute grid of a daily cycle (100 +- 40, peak at 14:00, limit 200 never reached),
// evaluated at 10:00 in the steep morning rise, optionally with a leak of `leak_per_hour` that began
// `leak_age` before then.
struct DailySeries {
  std::vector<TimestampNs> t;
  std::vector<double> v;
  TimestampNs now = 0;
};

DailySeries Daily(double leak_per_hour, int64_t leak_age_ns) {
  constexpr int64_t kMin = 60 * kNanosPerSecond;
  constexpr int64_t kDay = 24 * 60 * kMin;
  DailySeries d;
  const TimestampNs start = 1'795'305'600LL * kNanosPerSecond;  // a midnight UTC
  d.now = start + 3 * kDay + 10 * 60 * kMin;
  uint64_t noise = 12345;
  for (TimestampNs x = start; x < d.now; x += kMin) {
    const double hour = static_cast<double>((x - start) % kDay) / (60.0 * kMin);
    double y = 100 + 40 * std::sin(2 * M_PI * (hour - 8) / 24);  // rises from 02:00, peaks at 14:00
    noise = noise * 6364136223846793005ULL + 1442695040888963407ULL;
    y += (static_cast<double>(noise >> 40) / static_cast<double>(1ULL << 24) - 0.5) * 2;  // +-1
    if (leak_per_hour > 0 && x > d.now - leak_age_ns) {
      y += leak_per_hour * static_cast<double>(x - (d.now - leak_age_ns)) / (60.0 * kMin);
    }
    d.t.push_back(x);
    d.v.push_back(y);
  }
  return d;
}

TEST(SeasonalCrossingTest, ADailyRiseIsNotATrendButALeakOnTopOfItIs) {
  ForecastStageOptions o;
  o.settings.horizon_ns = 24 * 3600 * kNanosPerSecond;
  DailySeries calm = Daily(0, 0);
  // Without the daily check the morning rise reads as a trend that reaches 200 within the day.
  ForecastStageOptions off = o;
  off.seasonal_period_ns = 0;
  LimitEvaluation naive = EvaluateLimit(calm.t, calm.v, 200, forecast::Direction::kAbove, false, calm.now, off);
  ASSERT_TRUE(naive.model);
  EXPECT_TRUE(naive.predicted) << "the case this check exists for: a model fitted on recent hours extrapolates the rise";
  LimitEvaluation checked = EvaluateLimit(calm.t, calm.v, 200, forecast::Direction::kAbove, false, calm.now, o);
  EXPECT_FALSE(checked.predicted);
  EXPECT_NE(checked.note.find("daily pattern"), std::string::npos) << checked.note;
  EXPECT_EQ(SeasonalCrossing(calm.t, calm.v, 200, forecast::Direction::kAbove, o.settings.horizon_ns,
                             o.settings.step_ns, o.seasonal_period_ns, o.seasonal_window_ns),
            std::optional<bool>(false));

  // A leak of 15/h that began 3 h ago on the same cycle: predicted, with or without the check.
  DailySeries leak = Daily(15, 3 * 3600 * kNanosPerSecond);
  LimitEvaluation leaking = EvaluateLimit(leak.t, leak.v, 200, forecast::Direction::kAbove, false, leak.now, o);
  EXPECT_TRUE(leaking.predicted) << leaking.note;
  EXPECT_TRUE(leaking.note.empty());
  EXPECT_EQ(SeasonalCrossing(leak.t, leak.v, 200, forecast::Direction::kAbove, o.settings.horizon_ns,
                             o.settings.step_ns, o.seasonal_period_ns, o.seasonal_window_ns),
            std::optional<bool>(true));
}

TEST(SeasonalCrossingTest, NeedsAPeriodOfHistoryPlusTheWindow) {
  DailySeries calm = Daily(0, 0);
  const size_t keep = 25 * 60;  // 25 h: under 24 h + the 2 h window
  std::span<const TimestampNs> t(calm.t.data() + calm.t.size() - keep, keep);
  std::span<const double> v(calm.v.data() + calm.v.size() - keep, keep);
  ForecastStageOptions o;
  EXPECT_EQ(SeasonalCrossing(t, v, 200, forecast::Direction::kAbove, o.settings.horizon_ns, o.settings.step_ns,
                             o.seasonal_period_ns, o.seasonal_window_ns),
            std::nullopt);
}

}  // namespace
}  // namespace foresight::app

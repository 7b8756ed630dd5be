#include "ingest/fleet_simulator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace foresight::ingest {
namespace {

constexpr int64_t kSec = kNanosPerSecond;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 3600 * kSec;
// Monday 2026-11-23 00:00:00 UTC.
constexpr TimestampNs kMonday = 1'795'392'000LL * kSec;

SimulatorOptions Opts(int hosts = 12, uint64_t seed = 7, double auto_rate = 0) {
  SimulatorOptions o;
  o.hosts = hosts;
  o.seed = seed;
  o.start_ns = kMonday;
  o.auto_scenarios_per_hour = auto_rate;
  return o;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void ExpectIdentical(const std::vector<LabeledSample>& a, const std::vector<LabeledSample>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].labels, b[i].labels) << i;
    ASSERT_EQ(a[i].ts_ns, b[i].ts_ns) << i;
    ASSERT_TRUE(SameBits(a[i].value, b[i].value)) << a[i].labels.ToString() << " " << a[i].value << " vs " << b[i].value;
  }
}

double V(const FleetSimulator& sim, std::string_view entity, std::string_view metric, TimestampNs t) {
  auto r = sim.ValueAt(entity, metric, t);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : NAN;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= x.size(), my /= y.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(FleetSimulatorTest, FleetHasEveryRoleWithEntityLabelsAndSimulatedMark) {
  FleetSimulator sim(Opts(6));
  EXPECT_EQ(sim.entities(), (std::vector<std::string>{"web-1", "api-1", "worker-1", "db-1", "web-2", "api-2"}));
  EXPECT_EQ(sim.EntityKind("web-1"), "service");
  EXPECT_EQ(sim.EntityKind("worker-1"), "host");
  EXPECT_EQ(sim.EntityKind("db-1"), "database");
  EXPECT_EQ(sim.EntityKind("nope"), "");
  std::vector<LabeledSample> out;
  ASSERT_TRUE(sim.Collect(kMonday, &out).ok());
  std::map<std::string, std::set<std::string>> metrics;
  for (const auto& s : out) {
    EXPECT_TRUE(s.labels.Validate().ok()) << s.labels.ToString();
    EXPECT_EQ(s.labels.Get(kSimulatedLabel), "true");
    EXPECT_FALSE(s.labels.Get(kHostLabel).empty());
    EXPECT_EQ(s.labels.Get(kEntityKindLabel), sim.EntityKind(s.labels.Get(kEntityLabel)));
    EXPECT_EQ(EntityOf(s.labels), s.labels.Get(kEntityLabel));
    EXPECT_TRUE(std::isfinite(s.value));
    EXPECT_EQ(s.ts_ns, kMonday);
    metrics[std::string(s.labels.Get(kEntityLabel))].insert(std::string(s.labels.metric()));
  }
  EXPECT_EQ(metrics.size(), 6u);
  EXPECT_EQ(metrics["web-1"].size(), 6u);  // no pool
  EXPECT_FALSE(metrics["web-1"].count("db_connections"));
  EXPECT_EQ(metrics["api-1"].size(), 8u);
  EXPECT_EQ(metrics["db-1"].size(), 8u);
  EXPECT_EQ(FleetSimulator(SimulatorOptions{}).entities().size(), 50u);
}

TEST(FleetSimulatorTest, AnEntityBehavesTheSameWhateverTheFleetSize) {
  FleetSimulator small(Opts(4)), big(Opts(40));
  for (TimestampNs t = kMonday; t < kMonday + 24 * kHour; t += 17 * kMin) {
    for (std::string_view m : kSimMetricNames) {
      auto a = small.ValueAt("api-1", m, t), b = big.ValueAt("api-1", m, t);
      ASSERT_TRUE(a.ok() && b.ok()) << m;
      EXPECT_TRUE(SameBits(*a, *b)) << m;
    }
  }
}

TEST(FleetSimulatorTest, OverlappingLeaksOfOneResourceDoNotExceedTheLimit) {
  FleetSimulator sim(Opts(4));
  Scenario slow{ScenarioKind::kMemoryLeak, "web-1", kMonday + kHour, 4 * kHour};
  Scenario fast{ScenarioKind::kMemoryLeak, "web-1", kMonday + 2 * kHour, kHour};
  ASSERT_TRUE(sim.Inject(slow).ok());
  ASSERT_TRUE(sim.Inject(fast).ok());
  EXPECT_EQ(V(sim, "web-1", "memory_used_percent", fast.failure_at()), 100);
  for (TimestampNs t = slow.start; t < slow.end(); t += 10 * kMin) {
    EXPECT_LE(V(sim, "web-1", "memory_used_percent", t), 100);
  }
}

TEST(FleetSimulatorTest, ValuesStayInTheirPhysicalRanges) {
  FleetSimulator sim(Opts(20));
  for (TimestampNs t = kMonday; t < kMonday + 7 * 24 * kHour; t += 7 * kMin) {
    std::vector<LabeledSample> out;
    ASSERT_TRUE(sim.Collect(t, &out).ok());
    for (const auto& s : out) {
      std::string_view m = s.labels.metric();
      EXPECT_GE(s.value, 0) << s.labels.ToString();
      if (m.ends_with("percent") || m == "error_rate") {
        EXPECT_LE(s.value, 100) << s.labels.ToString();
      }
    }
  }
}

TEST(FleetSimulatorTest, SameSeedGivesBitIdenticalOutputAndOtherSeedDiffers) {
  FleetSimulator a(Opts(10, 7, 2)), b(Opts(10, 7, 2)), c(Opts(10, 8, 2));
  std::vector<LabeledSample> oa, ob, oc;
  for (TimestampNs t = kMonday + 2 * kHour; t < kMonday + 2 * kHour + 300 * kSec; t += kSec) {
    ASSERT_TRUE(a.Collect(t, &oa).ok());
    ASSERT_TRUE(b.Collect(t, &ob).ok());
    ASSERT_TRUE(c.Collect(t, &oc).ok());
  }
  ExpectIdentical(oa, ob);
  ASSERT_EQ(oa.size(), oc.size());
  size_t differ = 0;
  for (size_t i = 0; i < oa.size(); ++i) differ += oa[i].value != oc[i].value;
  EXPECT_GT(differ, oa.size() / 2);
}

TEST(FleetSimulatorTest, BackfillEqualsLiveTicksInAnyOrder) {
  // With an injected and scheduled scenarios, so the scenario paths are covered too.
  SimulatorOptions o = Opts(10, 11, 3);
  FleetSimulator a(o), b(o);
  Scenario s{ScenarioKind::kMemoryLeak, "api-1", kMonday + 90 * kMin, 30 * kMin};
  ASSERT_TRUE(a.Inject(s).ok());
  ASSERT_TRUE(b.Inject(s).ok());
  TimestampNs from = kMonday + 100 * kMin, to = from + 20 * kMin;
  std::vector<LabeledSample> backfilled;
  size_t batches = 0;
  ASSERT_TRUE(a.Backfill(from, to, 10 * kSec, [&](std::span<const LabeledSample> batch) {
                 ++batches;
                 for (const auto& ls : batch) EXPECT_EQ(ls.ts_ns, batch.front().ts_ns);  // one tick per batch
                 backfilled.insert(backfilled.end(), batch.begin(), batch.end());
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(batches, 121u);  // from and to inclusive
  // Live ticks produced backwards (the schedule cache is filled in a different order).
  std::vector<std::vector<LabeledSample>> ticks;
  for (TimestampNs t = to; t >= from; t -= 10 * kSec) {
    std::vector<LabeledSample> out;
    ASSERT_TRUE(b.Collect(t, &out).ok());
    ticks.push_back(std::move(out));
  }
  std::vector<LabeledSample> live;
  for (auto it = ticks.rbegin(); it != ticks.rend(); ++it) live.insert(live.end(), it->begin(), it->end());
  ExpectIdentical(backfilled, live);
  EXPECT_EQ(a.scenarios(), b.scenarios());
}

TEST(FleetSimulatorTest, BackfillRejectsBadRangeAndStopsAtSinkError) {
  FleetSimulator sim(Opts(4));
  auto ok_sink = [](std::span<const LabeledSample>) { return Status::Ok(); };
  EXPECT_EQ(sim.Backfill(kMonday, kMonday + kMin, 0, ok_sink).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sim.Backfill(kMonday + kMin, kMonday, kSec, ok_sink).code(), StatusCode::kInvalidArgument);
  int calls = 0;
  Status st = sim.Backfill(kMonday, kMonday + kHour, kSec, [&](std::span<const LabeledSample>) {
    return ++calls == 3 ? Status::Unavailable("store full") : Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 3);
}

TEST(FleetSimulatorTest, TrafficHasDailyAndWeeklySeasonality) {
  FleetSimulator sim(Opts(8));
  for (const std::string& e : sim.entities()) {
    double day = 0, night = 0, weekday = 0, weekend = 0;
    int n = 0;
    for (int64_t m = 0; m < 60; m += 2) {
      day += V(sim, e, "request_rate", kMonday + 2 * 24 * kHour + 14 * kHour + m * kMin);   // Wed 14:00
      night += V(sim, e, "request_rate", kMonday + 2 * 24 * kHour + 3 * kHour + m * kMin);  // Wed 03:00
      weekday += V(sim, e, "request_rate", kMonday + 1 * 24 * kHour + 12 * kHour + m * kMin);  // Tue noon
      weekend += V(sim, e, "request_rate", kMonday + 6 * 24 * kHour + 12 * kHour + m * kMin);  // Sun noon
      ++n;
    }
    EXPECT_GT(day, 2.0 * night) << e;
    EXPECT_GT(weekday, 1.2 * weekend) << e;
  }
}

TEST(FleetSimulatorTest, RequestRateDrivesCpuAndLatency) {
  FleetSimulator sim(Opts(8));
  for (const std::string& e : sim.entities()) {
    std::vector<double> rps, cpu, lat;
    for (TimestampNs t = kMonday; t < kMonday + 24 * kHour; t += 5 * kMin) {
      rps.push_back(V(sim, e, "request_rate", t));
      cpu.push_back(V(sim, e, "cpu_usage_percent", t));
      lat.push_back(V(sim, e, "response_time_ms", t));
    }
    EXPECT_GT(Pearson(rps, cpu), 0.8) << e;
    EXPECT_GT(Pearson(cpu, lat), 0.3) << e;
  }
}

TEST(FleetSimulatorTest, CpuSaturationRaisesLatencyAndErrors) {
  FleetSimulator base(Opts(4)), sim(Opts(4));
  TimestampNs start = kMonday + 10 * kHour;
  ASSERT_TRUE(sim.Inject({ScenarioKind::kCpuRunaway, "api-1", start, 30 * kMin}).ok());
  TimestampNs t = start + 5 * kMin;
  EXPECT_GT(V(sim, "api-1", "response_time_ms", t), 5 * V(base, "api-1", "response_time_ms", t));
  EXPECT_GT(V(sim, "api-1", "error_rate", t), V(base, "api-1", "error_rate", t) + 5);
}

TEST(FleetSimulatorTest, InjectRejectsUnknownEntityAndImpossibleScenarios) {
  FleetSimulator sim(Opts(6));
  Status st = sim.Inject({ScenarioKind::kMemoryLeak, "web-99", kMonday, kHour});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("web-99"), std::string::npos);
  EXPECT_EQ(sim.Inject({ScenarioKind::kConnectionPoolLeak, "web-1", kMonday, kHour}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(sim.Inject({ScenarioKind::kMemoryLeak, "web-1", kMonday, 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sim.Inject({ScenarioKind::kMemoryLeak, "web-1", kMonday, kHour, -1}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(sim.scenarios().empty());
  EXPECT_TRUE(sim.Inject({ScenarioKind::kConnectionPoolLeak, "api-1", kMonday, kHour}).ok());
  EXPECT_EQ(sim.scenarios().size(), 1u);
}

struct KindCase {
  ScenarioKind kind;
  std::string entity;
};

class ScenarioEffectTest : public ::testing::TestWithParam<KindCase> {};

// Every scenario changes its own metric on its own entity, reaches its limit at failure_at (exhaustion
// kinds) and leaves every other entity untouched; before start and after end nothing differs.
TEST_P(ScenarioEffectTest, ChangesTargetMetricOfTargetEntityOnly) {
  const KindCase& c = GetParam();
  FleetSimulator base(Opts(12)), sim(Opts(12));
  Scenario s{c.kind, c.entity, kMonday + 9 * kHour + 17 * kSec, DefaultScenarioDuration(c.kind)};
  ASSERT_TRUE(sim.Inject(s).ok());
  const std::string metric(ScenarioMetric(c.kind));
  const TimestampNs f = s.failure_at();

  // Other entities: identical at all times, all metrics.
  for (TimestampNs t = s.start - 10 * kMin; t < s.end() + 10 * kMin; t += 3 * kMin + 1) {
    std::vector<LabeledSample> a, b;
    ASSERT_TRUE(base.Collect(t, &a).ok());
    ASSERT_TRUE(sim.Collect(t, &b).ok());
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      bool inside = t >= s.start && t < s.end();
      if (a[i].labels.Get(kEntityLabel) != c.entity || !inside) {
        ASSERT_TRUE(SameBits(a[i].value, b[i].value)) << a[i].labels.ToString() << " at +" << (t - s.start) / kSec;
      }
    }
  }
  // Target: the metric departs from the baseline in the scenario's direction.
  double limit = c.kind == ScenarioKind::kConnectionPoolLeak ? V(sim, c.entity, "db_max_connections", f) : 100.0;
  switch (c.kind) {
    case ScenarioKind::kMemoryLeak:
    case ScenarioKind::kDiskFill:
    case ScenarioKind::kConnectionPoolLeak: {
      TimestampNs mid = s.start + (f - s.start) / 2;
      double b_mid = V(base, c.entity, metric, mid), v_mid = V(sim, c.entity, metric, mid);
      EXPECT_GT(v_mid, b_mid + 0.3 * (limit - b_mid)) << metric;
      EXPECT_LT(v_mid, limit) << metric;
      EXPECT_LT(V(sim, c.entity, metric, f - 10 * kMin), limit) << "reached the limit early";
      EXPECT_NEAR(V(sim, c.entity, metric, f), limit, 1e-9) << "ground truth: at its limit at failure_at";
      EXPECT_NEAR(V(sim, c.entity, metric, s.end() - kSec), limit, 1e-9) << "pinned until end";
      EXPECT_EQ(V(sim, c.entity, metric, s.end()), V(base, c.entity, metric, s.end())) << "recovered at end";
      // Monotone rise (no noise larger than the ramp), sampled every 5 minutes.
      double prev = -1;
      for (TimestampNs t = s.start; t <= f; t += 5 * kMin) {
        double v = V(sim, c.entity, metric, t);
        EXPECT_GE(v, prev - 3) << metric << " at +" << (t - s.start) / kMin << " min";
        prev = v;
      }
      break;
    }
    case ScenarioKind::kCpuRunaway:
      EXPECT_EQ(f, s.start);
      EXPECT_GE(V(sim, c.entity, metric, s.start + kMin), 94);
      EXPECT_LT(V(base, c.entity, metric, s.start + kMin), 80);
      break;
    case ScenarioKind::kLatencyDegradation:
      EXPECT_EQ(f, s.start);
      EXPECT_GT(V(sim, c.entity, metric, s.start + s.duration_ns / 2),
                3 * V(base, c.entity, metric, s.start + s.duration_ns / 2));
      break;
    case ScenarioKind::kErrorBurst:
      EXPECT_EQ(f, s.start);
      EXPECT_GT(V(sim, c.entity, metric, s.start + kMin), V(base, c.entity, metric, s.start + kMin) + 10);
      break;
  }
  EXPECT_EQ(V(sim, c.entity, metric, s.start - kSec), V(base, c.entity, metric, s.start - kSec));
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ScenarioEffectTest,
                         ::testing::Values(KindCase{ScenarioKind::kMemoryLeak, "web-2"},
                                           KindCase{ScenarioKind::kDiskFill, "db-1"},
                                           KindCase{ScenarioKind::kConnectionPoolLeak, "api-1"},
                                           KindCase{ScenarioKind::kConnectionPoolLeak, "db-2"},
                                           KindCase{ScenarioKind::kCpuRunaway, "worker-1"},
                                           KindCase{ScenarioKind::kLatencyDegradation, "api-2"},
                                           KindCase{ScenarioKind::kErrorBurst, "web-1"}),
                         [](const auto& info) {
                           std::string n = std::string(ScenarioKindName(info.param.kind)) + "_" + info.param.entity;
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

TEST(FleetSimulatorTest, IntensitySpeedsUpExhaustion) {
  FleetSimulator sim(Opts(4));
  Scenario s{ScenarioKind::kMemoryLeak, "web-1", kMonday + kHour, 2 * kHour, 4};
  ASSERT_TRUE(sim.Inject(s).ok());
  EXPECT_EQ(s.failure_at(), kMonday + kHour + 30 * kMin);
  EXPECT_EQ(V(sim, "web-1", "memory_used_percent", s.failure_at()), 100);
}

TEST(FleetSimulatorTest, AutoScenariosAreDeterministicQuietAtFirstAndAtTheRequestedRate) {
  FleetSimulator a(Opts(30, 5, 2)), b(Opts(30, 5, 2));
  auto sa = a.ScheduledScenarios(kMonday, kMonday + 200 * kHour);
  auto sb = b.ScheduledScenarios(kMonday, kMonday + 200 * kHour);
  EXPECT_EQ(sa, sb);
  EXPECT_GT(sa.size(), 300u);  // 2/h over 199 schedulable hours
  EXPECT_LT(sa.size(), 500u);
  std::set<ScenarioKind> kinds;
  for (const Scenario& s : sa) {
    EXPECT_GE(s.start, kMonday + kHour) << "scheduled inside the quiet hour";
    EXPECT_TRUE(s.scheduled);
    EXPECT_TRUE(a.Supports(s.entity, s.kind)) << s.entity;
    EXPECT_GT(s.duration_ns, 0);
    kinds.insert(s.kind);
  }
  EXPECT_EQ(kinds.size(), std::size(kAllScenarioKinds));
  // A different seed schedules differently; rate 0 schedules nothing.
  EXPECT_NE(FleetSimulator(Opts(30, 6, 2)).ScheduledScenarios(kMonday, kMonday + 200 * kHour), sa);
  EXPECT_TRUE(FleetSimulator(Opts(30, 5, 0)).ScheduledScenarios(kMonday, kMonday + 200 * kHour).empty());
}

TEST(FleetSimulatorTest, ScheduledScenariosAppearInGroundTruthAndAffectTheirEntity) {
  FleetSimulator sim(Opts(10, 3, 4)), calm(Opts(10, 3, 0));
  auto sched = sim.ScheduledScenarios(kMonday, kMonday + 6 * kHour);
  ASSERT_FALSE(sched.empty());
  const Scenario& s = sched.front();
  TimestampNs t = IsExhaustionKind(s.kind) ? s.failure_at() : s.start + kMin;
  std::string metric(ScenarioMetric(s.kind));
  EXPECT_NE(V(sim, s.entity, metric, t), V(calm, s.entity, metric, t)) << ScenarioKindName(s.kind) << " " << s.entity;

  // scenarios() reports what the produced span touched.
  EXPECT_TRUE(sim.scenarios().empty());
  std::vector<LabeledSample> out;
  ASSERT_TRUE(sim.Collect(s.start + kSec, &out).ok());
  auto all = sim.scenarios();
  EXPECT_NE(std::find(all.begin(), all.end(), s), all.end());
}

TEST(FleetSimulatorTest, GroundTruthJsonListsEveryScenarioWithTimes) {
  FleetSimulator sim(Opts(6));
  Scenario s{ScenarioKind::kDiskFill, "db-1", kMonday + kHour, 2 * kHour};
  ASSERT_TRUE(sim.Inject(s).ok());
  auto j = nlohmann::json::parse(sim.GroundTruthJson());
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["entity"], "db-1");
  EXPECT_EQ(j[0]["kind"], "disk_fill");
  EXPECT_EQ(j[0]["metric"], "disk_used_percent");
  EXPECT_EQ(j[0]["start"], "2026-11-23T01:00:00.000Z");
  EXPECT_EQ(j[0]["failure_at"], "2026-11-23T03:00:00.000Z");
  EXPECT_EQ(j[0]["end"], "2026-11-23T03:05:00.000Z");
  EXPECT_EQ(j[0]["failure_at_ns"].get<int64_t>(), s.failure_at());
  EXPECT_EQ(j[0]["source"], "injected");
}

TEST(FleetSimulatorTest, ValueAtRejectsUnknownEntityOrMetric) {
  FleetSimulator sim(Opts(4));
  EXPECT_EQ(sim.ValueAt("web-9", "cpu_usage_percent", kMonday).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sim.ValueAt("web-1", "db_connections", kMonday).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sim.ValueAt("web-1", "bogus", kMonday).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(sim.ValueAt("db-1", "db_max_connections", kMonday).ok());
}

}  // namespace
}  // namespace foresight::ingest

#include "features/entity_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace foresight::features {
namespace {

constexpr int64_t kSec = kNanosPerSecond;
constexpr TimestampNs kT0 = 1'700'000'000LL * kSec;

struct Event {
  std::string metric;
  TimestampNs ts;
  double v;
};

std::vector<Event> RandomEntityStream(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 100);
  const char* metrics[] = {"cpu_used_percent", "memory_used_percent", "disk_used_percent{mount=/}"};
  std::vector<Event> ev;
  TimestampNs ts = kT0;
  for (int i = 0; i < n; ++i) {
    ts += static_cast<int64_t>(u(rng) * 2e7) + kSec / 10;
    ev.push_back({metrics[rng() % 3], ts, (i % 50 == 0) ? NAN : u(rng)});
  }
  return ev;
}

bool BitIdentical(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(MetricKeyTest, KeepsDistinguishingLabelsOnly) {
  EXPECT_EQ(MetricKey(Labels{{"__name__", "memory_used_percent"}, {"host", "a"}}), "memory_used_percent");
  EXPECT_EQ(MetricKey(Labels{{"__name__", "disk_used_percent"}, {"host", "a"}, {"mount", "/"}}),
            "disk_used_percent{mount=/}");
  EXPECT_EQ(MetricKey(Labels{{"__name__", "cpu"}, {"host", "a"}, {"cpu", "0"}, {"mode", "idle"}}),
            "cpu{cpu=0,mode=idle}");
  EXPECT_EQ(MetricKey(Labels{{"__name__", "m"}, {"entity", "api-1"}, {"entity_kind", "service"},
                             {"simulated", "true"}, {"job", "x"}, {"instance", "y"}}),
            "m");
}

TEST(FeatureSchemaTest, NamesAreMetricDotFeatureAndRoundTripThroughFromNames) {
  FeatureOptions opt;
  auto s = FeatureSchema::ForMetrics({"memory_used_percent", "disk_used_percent{mount=/var.log}"}, opt);
  ASSERT_EQ(s.size(), 2 * SeriesFeatures::Names(opt).size());
  EXPECT_EQ(s.names()[0], "memory_used_percent.last");
  EXPECT_NE(std::find(s.names().begin(), s.names().end(), "memory_used_percent.slope_15m"), s.names().end());
  auto back = FeatureSchema::FromNames(s.names(), opt);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->metrics(), s.metrics());
}

TEST(FeatureSchemaTest, FromNamesRejectsUnknownFeatures) {
  FeatureOptions opt;
  EXPECT_FALSE(FeatureSchema::FromNames({"cpu.mean_2m"}, opt).ok());
  EXPECT_FALSE(FeatureSchema::FromNames({"nodot"}, opt).ok());
}

TEST(EntityFeaturesTest, SchemaIsSortedAndMissingMetricsAreNaN) {
  EntityFeatures e;
  e.Update("zeta", kT0, 1);
  e.Update("alpha", kT0, 2);
  auto schema = e.Schema();
  ASSERT_EQ(schema.metrics(), (std::vector<std::string>{"alpha", "zeta"}));
  auto wider = FeatureSchema::ForMetrics({"alpha", "missing", "zeta"}, e.options());
  std::vector<double> v;
  e.Vector(wider, &v);
  const size_t k = SeriesFeatures::Names(e.options()).size();
  ASSERT_EQ(v.size(), 3 * k);
  EXPECT_EQ(v[0], 2);
  for (size_t i = k; i < 2 * k; ++i) EXPECT_TRUE(std::isnan(v[i]));
  EXPECT_EQ(v[2 * k], 1);
}

TEST(EntityFeaturesTest, EvictIdleForgetsMetricsThatStoppedReporting) {
  EntityFeatures e;
  e.Update("old_mount", kT0, 1);
  e.Update("cpu", kT0 + 100 * kSec, 2);
  EXPECT_EQ(e.EvictIdle(kT0 + 50 * kSec), 1u);
  EXPECT_EQ(e.metric_count(), 1u);
  EXPECT_EQ(e.Find("old_mount"), nullptr);
  std::vector<double> v;
  e.Vector(FeatureSchema::ForMetrics({"cpu", "old_mount"}, e.options()), &v);
  EXPECT_EQ(v[0], 2);
  EXPECT_TRUE(std::isnan(v[SeriesFeatures::Names(e.options()).size()]));
}

TEST(EntityFeaturesTest, UpdateThroughSeriesHandleEqualsUpdateByName) {
  EntityFeatures by_name, by_handle;
  SeriesFeatures* a = by_handle.Series("a");
  SeriesFeatures* b = by_handle.Series("b{mode=x}");
  EXPECT_EQ(by_handle.Series("a"), a);  // stable: the same state every time
  for (int i = 0; i < 200; ++i) {
    const TimestampNs ts = kT0 + i * kSec;
    by_name.Update("a", ts, i * 0.5);
    by_handle.Update(a, ts, i * 0.5);
    by_name.Update("b{mode=x}", ts + kSec / 2, 100 - i);
    by_handle.Update(b, ts + kSec / 2, 100 - i);
  }
  EXPECT_EQ(by_handle.last_ts(), by_name.last_ts());
  EXPECT_EQ(by_handle.metric_count(), 2u);
  FeatureSchema schema = by_name.Schema();
  ASSERT_EQ(by_handle.Schema(), schema);
  std::vector<double> x, y;
  by_name.Vector(schema, &x);
  by_handle.Vector(schema, &y);
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], y[i]) << schema.names()[i];
}

TEST(EntityFeaturesTest, SubsetSchemaFillsByName) {
  EntityFeatures e;
  e.Update("cpu", kT0, 10);
  e.Update("cpu", kT0 + kSec, 20);
  e.Update("mem", kT0, 5);
  auto s = FeatureSchema::FromNames({"mem.last", "cpu.mean_1m", "cpu.last", "gone.last"}, e.options());
  ASSERT_TRUE(s.ok());
  std::vector<double> v;
  e.Vector(*s, &v);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], 5);
  EXPECT_EQ(v[1], 15);
  EXPECT_EQ(v[2], 20);
  EXPECT_TRUE(std::isnan(v[3]));
}

// Training replays history through a fresh EntityFeatures with the schema it derives; scoring feeds the
// live stream into a long-lived EntityFeatures and fills vectors with the schema stored in the model
// (rebuilt from names). Both must yield bit-identical vectors for the same input.
TEST(EntityFeaturesTest, TrainingAndScoringPathsProduceIdenticalVectors) {
  const auto events = RandomEntityStream(7, 5000);
  FeatureOptions opt;

  // Training path: whole history first, schema from the data, one row per tick.
  EntityFeatures train(opt);
  for (const auto& e : events) train.Update(e.metric, e.ts, e.v);
  const FeatureSchema train_schema = train.Schema();
  std::vector<std::vector<double>> train_rows;
  EntityFeatures replay(opt);
  size_t next = 0;
  for (TimestampNs tick = kT0 + 60 * kSec; tick <= events.back().ts; tick += kSec) {
    while (next < events.size() && events[next].ts <= tick) {
      replay.Update(events[next].metric, events[next].ts, events[next].v);
      ++next;
    }
    replay.Vector(train_schema, &train_rows.emplace_back());
  }

  // Scoring path: schema reloaded from names, samples arriving one by one.
  auto score_schema = FeatureSchema::FromNames(train_schema.names(), opt);
  ASSERT_TRUE(score_schema.ok());
  EntityFeatures live(opt);
  next = 0;
  size_t row = 0;
  std::vector<double> v;
  for (TimestampNs tick = kT0 + 60 * kSec; tick <= events.back().ts; tick += kSec, ++row) {
    while (next < events.size() && events[next].ts <= tick) {
      live.Update(events[next].metric, events[next].ts, events[next].v);
      ++next;
    }
    live.Vector(*score_schema, &v);
    ASSERT_TRUE(BitIdentical(v, train_rows[row])) << "row " << row;
  }
  EXPECT_EQ(row, train_rows.size());
}

}  // namespace
}  // namespace foresight::features

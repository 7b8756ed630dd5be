#include "models/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "models/testing/in_memory_sample_store.h"

namespace foresight::models {
namespace {

constexpr int64_t kSec = kNanosPerSecond;
constexpr TimestampNs kT0 = 1'700'000'000LL * kSec;

struct Fixture {
  testing::InMemorySampleStore store;
  std::vector<storage::SeriesInfo> series;
  std::vector<Sample> all;  // every appended sample, for replaying the scoring path

  SeriesId Add(Labels labels) {
    labels.Set("host", "web-1");
    auto id = store.Resolve(labels);
    EXPECT_TRUE(id.ok());
    series.push_back({*id, labels});
    return *id;
  }
  void Append(SeriesId id, TimestampNs ts, double v) {
    Sample s{id, ts, v};
    ASSERT_TRUE(store.Append(std::span<const Sample>(&s, 1)).ok());
    all.push_back(s);
  }
};

// Three metrics of one host at irregular intervals (2..8 s), `seconds` long, optionally with an anomaly
// (memory climbing fast, cpu pinned) in [anomaly_from, end).
void Fill(Fixture* fx, int seconds, uint64_t seed, int anomaly_from = -1) {
  const SeriesId cpu = fx->Add(Labels{{"__name__", "cpu_used_percent"}});
  const SeriesId mem = fx->Add(Labels{{"__name__", "memory_used_percent"}});
  const SeriesId disk = fx->Add(Labels{{"__name__", "disk_used_percent"}, {"mount", "/"}});
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  for (SeriesId id : {cpu, mem, disk}) {
    for (TimestampNs ts = kT0 + static_cast<int64_t>(rng() % 3) * kSec; ts < kT0 + seconds * kSec;
         ts += (2 + static_cast<int64_t>(rng() % 7)) * kSec) {
      const double t = static_cast<double>(ts - kT0) / kSec;
      const bool bad = anomaly_from >= 0 && t >= anomaly_from;
      double v = 0;
      if (id == cpu) v = bad ? 99 + 0.1 * g(rng) : 30 + 5 * std::sin(t / 300) + 2 * g(rng);
      if (id == mem) v = bad ? 60 + 0.3 * (t - anomaly_from) : 60 + g(rng);
      if (id == disk) v = 40 + 0.001 * t + 0.05 * g(rng);
      fx->Append(id, ts, v);
    }
  }
  std::stable_sort(fx->all.begin(), fx->all.end(),
                   [](const Sample& a, const Sample& b) { return a.ts_ns < b.ts_ns; });
}

TEST(TrainerTest, RowsEqualWhatTheScoringPathComputesAtEachTick) {
  Fixture fx;
  Fill(&fx, 3600, 1);
  TrainOptions opt;
  auto rows = BuildTrainingRows(fx.store, fx.series, kT0, kT0 + 3600 * kSec, opt);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->schema.metrics(),
            (std::vector<std::string>{"cpu_used_percent", "disk_used_percent{mount=/}", "memory_used_percent"}));
  EXPECT_EQ(rows->samples, fx.all.size());
  ASSERT_GT(rows->rows(), 2000u);
  EXPECT_EQ(rows->ticks.front(), kT0 + 900 * kSec);  // warm-up = longest window

  // Scoring path: a live EntityFeatures fed sample by sample (time order, ties by metric key as the
  // trainer does), vector read at each tick with the schema rebuilt from the names a model stores.
  auto schema = features::FeatureSchema::FromNames(rows->schema.names(), opt.features);
  ASSERT_TRUE(schema.ok());
  features::EntityFeatures live(opt.features);
  std::vector<Sample> replay = fx.all;
  std::vector<std::string> key(replay.size());
  for (size_t i = 0; i < replay.size(); ++i) {
    auto labels = fx.store.LabelsOf(replay[i].series_id);
    key[i] = features::MetricKey(*labels);
  }
  std::vector<size_t> idx(replay.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return replay[a].ts_ns != replay[b].ts_ns ? replay[a].ts_ns < replay[b].ts_ns : key[a] < key[b];
  });
  size_t next = 0;
  std::vector<double> v;
  const size_t d = rows->schema.size();
  for (size_t r = 0; r < rows->rows(); ++r) {
    const TimestampNs tick = rows->ticks[r];
    while (next < idx.size() && replay[idx[next]].ts_ns <= tick) {
      live.Update(key[idx[next]], replay[idx[next]].ts_ns, replay[idx[next]].value);
      ++next;
    }
    live.Vector(*schema, &v);
    ASSERT_EQ(std::memcmp(v.data(), rows->values.data() + r * d, d * sizeof(double)), 0) << "row " << r;
  }
}

TEST(TrainerTest, TrainsAModelThatFlagsAnAnomalousPeriod) {
  Fixture fx;
  Fill(&fx, 4 * 3600, 2, /*anomaly_from=*/3 * 3600 + 1800);
  TrainOptions opt;
  // Train on the normal first 3 hours only.
  auto trained = TrainEntityModel(fx.store, fx.series, kT0, kT0 + 3 * 3600 * kSec, opt);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  EXPECT_EQ(trained->model->feature_names(), trained->schema.names());
  EXPECT_EQ(trained->rows, trained->model->summary().rows);
  EXPECT_EQ(trained->data_from, kT0 + 900 * kSec);
  EXPECT_LE(trained->data_to, kT0 + 3 * 3600 * kSec);

  // Score the 4th hour through the same feature code.
  auto rows = BuildTrainingRows(fx.store, fx.series, kT0, kT0 + 4 * 3600 * kSec, opt);
  ASSERT_TRUE(rows.ok());
  const size_t d = rows->schema.size();
  ASSERT_EQ(rows->schema, trained->schema);
  double normal_max = 0, anomaly_mean = 0;
  size_t n_anomaly = 0, n_flagged = 0;
  for (size_t r = 0; r < rows->rows(); ++r) {
    const double t = static_cast<double>(rows->ticks[r] - kT0) / kSec;
    const double s = trained->model->Score(std::span<const double>(rows->values).subspan(r * d, d));
    if (t >= 3 * 3600 && t < 3 * 3600 + 1800) normal_max = std::max(normal_max, s);
    if (t >= 3 * 3600 + 1800 + 120) {
      anomaly_mean += s;
      ++n_anomaly;
      n_flagged += trained->model->SeverityOf(s) != Severity::kInfo;
    }
  }
  anomaly_mean /= static_cast<double>(n_anomaly);
  EXPECT_GT(anomaly_mean, normal_max);
  EXPECT_GT(n_flagged, n_anomaly * 9 / 10);
  // The attribution points at cpu or memory, not the disk.
  const auto attr = trained->model->Explain(std::span<const double>(rows->values).subspan((rows->rows() - 1) * d, d), 3);
  EXPECT_TRUE(attr[0].feature.starts_with("cpu_used_percent.") || attr[0].feature.starts_with("memory_used_percent."))
      << attr[0].feature;
}

TEST(TrainerTest, MaxRowsWidensTheStep) {
  Fixture fx;
  Fill(&fx, 3600, 3);
  TrainOptions opt;
  opt.max_rows = 500;
  auto rows = BuildTrainingRows(fx.store, fx.series, kT0, kT0 + 3600 * kSec, opt);
  ASSERT_TRUE(rows.ok());
  EXPECT_LE(rows->rows(), 500u);
  EXPECT_GT(rows->rows(), 450u);
  EXPECT_GT(rows->step_ns, kSec);
}

TEST(TrainerTest, FeatureSubsetKeepsOnlyThoseFeaturesAndMatchesTheFullRows) {
  Fixture fx;
  Fill(&fx, 1800, 6);
  TrainOptions opt;
  auto full = BuildTrainingRows(fx.store, fx.series, kT0, kT0 + 1800 * kSec, opt);
  opt.feature_subset = {"slope_15m", "ewma"};
  auto sub = BuildTrainingRows(fx.store, fx.series, kT0, kT0 + 1800 * kSec, opt);
  ASSERT_TRUE(full.ok() && sub.ok());
  ASSERT_EQ(sub->schema.size(), 6u);  // 3 metrics x 2, in SeriesFeatures order per metric
  EXPECT_EQ(sub->schema.names()[0], "cpu_used_percent.ewma");
  EXPECT_EQ(sub->schema.names()[1], "cpu_used_percent.slope_15m");
  ASSERT_EQ(sub->rows(), full->rows());
  const auto& names = full->schema.names();
  for (size_t c = 0; c < sub->schema.size(); ++c) {
    const size_t fc = std::find(names.begin(), names.end(), sub->schema.names()[c]) - names.begin();
    for (size_t r = 0; r < sub->rows(); r += 97) {
      EXPECT_EQ(sub->values[r * 6 + c], full->values[r * full->schema.size() + fc]);
    }
  }
  auto trained = TrainEntityModel(fx.store, fx.series, kT0, kT0 + 1800 * kSec, opt);
  ASSERT_TRUE(trained.ok());
  EXPECT_EQ(trained->model->num_features(), 6u);
  opt.feature_subset = {"slope_2m"};
  EXPECT_EQ(BuildTrainingRows(fx.store, fx.series, kT0, kT0 + 1800 * kSec, opt).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(TrainerTest, NoRowsDuringAnOutage) {
  Fixture fx;
  const SeriesId cpu = fx.Add(Labels{{"__name__", "cpu_used_percent"}});
  for (int s = 0; s < 1200; s += 5) fx.Append(cpu, kT0 + s * kSec, s % 7);
  for (int s = 3000; s < 3600; s += 5) fx.Append(cpu, kT0 + s * kSec, s % 7);
  TrainOptions opt;
  opt.warmup_ns = 0;
  auto rows = BuildTrainingRows(fx.store, fx.series, kT0, kT0 + 3600 * kSec, opt);
  ASSERT_TRUE(rows.ok());
  for (TimestampNs t : rows->ticks) {
    const int64_t s = (t - kT0) / kSec;
    EXPECT_TRUE(s < 1200 + 60 || s >= 3000) << s;
  }
}

TEST(TrainerTest, ReportsErrors) {
  Fixture fx;
  Fill(&fx, 600, 4);
  TrainOptions opt;
  EXPECT_EQ(TrainEntityModel(fx.store, {}, kT0, kT0 + 600 * kSec, opt).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(TrainEntityModel(fx.store, fx.series, kT0 + 10, kT0, opt).status().code(),
            StatusCode::kInvalidArgument);
  // 600 s of data with a 900 s warm-up cannot yield rows.
  EXPECT_EQ(TrainEntityModel(fx.store, fx.series, kT0, kT0 + 600 * kSec, opt).status().code(),
            StatusCode::kInvalidArgument);
  opt.warmup_ns = 570 * kSec;  // 30 rows < min_rows
  EXPECT_EQ(TrainEntityModel(fx.store, fx.series, kT0, kT0 + 600 * kSec, opt).status().code(),
            StatusCode::kFailedPrecondition);
  opt.warmup_ns = 0;
  fx.store.FailScansOf(fx.series[1].id);
  auto r = TrainEntityModel(fx.store, fx.series, kT0, kT0 + 600 * kSec, opt);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("memory_used_percent"), std::string::npos) << r.status().ToString();
}

TEST(TrainerTest, SameInputAndSeedGiveIdenticalModels) {
  Fixture fx;
  Fill(&fx, 3600, 5);
  TrainOptions opt;
  auto a = TrainEntityModel(fx.store, fx.series, kT0, kT0 + 3600 * kSec, opt);
  auto b = TrainEntityModel(fx.store, fx.series, kT0, kT0 + 3600 * kSec, opt);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->model->Serialize(), b->model->Serialize());
}

}  // namespace
}  // namespace foresight::models

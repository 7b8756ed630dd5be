#include "ingest/otlp_delta.h"

#include <gtest/gtest.h>

namespace foresight::ingest {
namespace {

using Value = OtlpDeltaAccumulator::Value;

// Adds a sum delta over (start, end] and returns the running total (or -1 when dropped).
double AddSum(OtlpDeltaAccumulator::Batch& b, const std::string& key, uint64_t start, uint64_t end, double v,
              DeltaOutcome* outcome = nullptr) {
  Value cumulative;
  DeltaOutcome o = b.Add(key, start, end, Value(v), &cumulative);
  if (outcome != nullptr) *outcome = o;
  return o == DeltaOutcome::kDropped ? -1 : std::get<double>(cumulative);
}

TEST(OtlpDeltaTest, ContiguousDeltasAddUp) {
  OtlpDeltaAccumulator acc;
  auto b = acc.Begin();
  DeltaOutcome o;
  EXPECT_EQ(AddSum(b, "c", 0, 10, 5, &o), 5);
  EXPECT_EQ(o, DeltaOutcome::kAdded);
  EXPECT_EQ(AddSum(b, "c", 10, 20, 3, &o), 8);
  EXPECT_EQ(o, DeltaOutcome::kAdded);
  // No start time: taken as the next window.
  EXPECT_EQ(AddSum(b, "c", 0, 30, 1, &o), 9);
  EXPECT_EQ(o, DeltaOutcome::kAdded);
  // Series are independent.
  EXPECT_EQ(AddSum(b, "other", 10, 20, 100), 100);
  acc.Commit(std::move(b));
  EXPECT_EQ(acc.size(), 2u);
  auto b2 = acc.Begin();
  EXPECT_EQ(AddSum(b2, "c", 30, 40, 2), 11);
}

TEST(OtlpDeltaTest, GapOrOverlapRestartsTheTotal) {
  OtlpDeltaAccumulator acc;
  auto b = acc.Begin();
  AddSum(b, "c", 0, 10, 5);
  AddSum(b, "c", 10, 20, 3);
  DeltaOutcome o;
  // Starts at 25, after the last point's end (20): a gap, e.g. a restarted producer.
  EXPECT_EQ(AddSum(b, "c", 25, 30, 2, &o), 2);
  EXPECT_EQ(o, DeltaOutcome::kReset);
  EXPECT_EQ(AddSum(b, "c", 30, 40, 4, &o), 6);
  EXPECT_EQ(o, DeltaOutcome::kAdded);
  // Starts at 35, inside the previous window (30, 40], ends after it: overlap, restart.
  EXPECT_EQ(AddSum(b, "c", 35, 50, 7, &o), 7);
  EXPECT_EQ(o, DeltaOutcome::kReset);
}

TEST(OtlpDeltaTest, DuplicateAndLatePointsAreDropped) {
  OtlpDeltaAccumulator acc;
  auto b = acc.Begin();
  AddSum(b, "c", 0, 10, 5);
  AddSum(b, "c", 10, 20, 3);
  acc.Commit(std::move(b));
  // The same request again (a retry after a lost answer): dropped, the total stays 8.
  auto retry = acc.Begin();
  DeltaOutcome o;
  EXPECT_EQ(AddSum(retry, "c", 10, 20, 3, &o), -1);
  EXPECT_EQ(o, DeltaOutcome::kDropped);
  // Out of order: a window that ended before the last one.
  EXPECT_EQ(AddSum(retry, "c", 0, 10, 5, &o), -1);
  EXPECT_EQ(o, DeltaOutcome::kDropped);
  EXPECT_EQ(AddSum(retry, "c", 20, 30, 1, &o), 9);
  EXPECT_EQ(o, DeltaOutcome::kAdded);
}

TEST(OtlpDeltaTest, NothingCountsUntilCommitted) {
  OtlpDeltaAccumulator acc;
  auto refused = acc.Begin();
  EXPECT_EQ(AddSum(refused, "c", 0, 10, 5), 5);
  // The batch was never committed (its samples were refused with 429): the retry starts afresh.
  auto retry = acc.Begin();
  DeltaOutcome o;
  EXPECT_EQ(AddSum(retry, "c", 0, 10, 5, &o), 5);
  EXPECT_EQ(o, DeltaOutcome::kAdded);
  EXPECT_EQ(acc.size(), 0u);
  acc.Commit(std::move(retry));
  EXPECT_EQ(acc.size(), 1u);
}

TEST(OtlpDeltaTest, LeastRecentlyUpdatedSeriesIsEvicted) {
  OtlpDeltaAccumulator acc(OtlpDeltaOptions{.max_series = 2});
  auto b = acc.Begin();
  AddSum(b, "a", 0, 10, 1);
  acc.Commit(std::move(b));
  b = acc.Begin();
  AddSum(b, "b", 0, 10, 1);
  acc.Commit(std::move(b));
  b = acc.Begin();
  AddSum(b, "a", 10, 20, 1);  // a is now the most recently updated
  acc.Commit(std::move(b));
  b = acc.Begin();
  AddSum(b, "c", 0, 10, 1);  // evicts b
  acc.Commit(std::move(b));
  EXPECT_EQ(acc.size(), 2u);
  EXPECT_EQ(acc.evicted(), 1u);
  b = acc.Begin();
  EXPECT_EQ(AddSum(b, "a", 20, 30, 1), 3);  // kept: 1 + 1 + 1
  DeltaOutcome o;
  EXPECT_EQ(AddSum(b, "b", 10, 20, 1, &o), 1);  // forgotten: starts again
  EXPECT_EQ(o, DeltaOutcome::kAdded);
}

TEST(OtlpDeltaTest, ExplicitHistogramsAddBucketwiseAndRestartOnNewBounds) {
  OtlpDeltaAccumulator acc;
  auto b = acc.Begin();
  Value cumulative;
  ExplicitHistogram h{{1, 5}, {1, 2, 0}, 3, 4.5};
  EXPECT_EQ(b.Add("h", 0, 10, Value(h), &cumulative), DeltaOutcome::kAdded);
  ExplicitHistogram h2{{1, 5}, {0, 1, 1}, 2, 9.0};
  EXPECT_EQ(b.Add("h", 10, 20, Value(h2), &cumulative), DeltaOutcome::kAdded);
  const auto& c = std::get<ExplicitHistogram>(cumulative);
  EXPECT_EQ(c.counts, (std::vector<uint64_t>{1, 3, 1}));
  EXPECT_EQ(c.count, 5u);
  EXPECT_EQ(c.sum, 13.5);
  ExplicitHistogram h3{{1, 10}, {1, 0, 0}, 1, 0.5};
  EXPECT_EQ(b.Add("h", 20, 30, Value(h3), &cumulative), DeltaOutcome::kReset);
  EXPECT_EQ(std::get<ExplicitHistogram>(cumulative).counts, (std::vector<uint64_t>{1, 0, 0}));
  // A series that changes type restarts too.
  EXPECT_EQ(b.Add("h", 30, 40, Value(2.0), &cumulative), DeltaOutcome::kReset);
  EXPECT_EQ(std::get<double>(cumulative), 2.0);
}

TEST(OtlpDeltaTest, ExponentialHistogramsAddAcrossScaleChanges) {
  OtlpDeltaAccumulator acc;
  auto b = acc.Begin();
  ExponentialHistogram first;  // scale 1: (1, 2^0.5] and (2^0.5, 2]
  first.scale = 1;
  first.positive.counts = {1, 1};
  first.count = 2;
  first.sum = 2.6;
  ExponentialHistogram second;  // scale 0: (2, 4], and a zero
  second.scale = 0;
  second.positive.offset = 1;
  second.positive.counts = {2};
  second.zero_count = 1;
  second.count = 3;
  second.sum = 6;
  Value cumulative;
  ASSERT_EQ(b.Add("e", 0, 10, Value(first), &cumulative), DeltaOutcome::kAdded);
  ASSERT_EQ(b.Add("e", 10, 20, Value(second), &cumulative), DeltaOutcome::kAdded);
  const auto& c = std::get<ExponentialHistogram>(cumulative);
  EXPECT_EQ(c.scale, 0);
  EXPECT_EQ(c.positive.offset, 0);
  EXPECT_EQ(c.positive.counts, (std::vector<uint64_t>{2, 2}));
  EXPECT_EQ(c.zero_count, 1u);
  EXPECT_EQ(c.count, 5u);
  EXPECT_DOUBLE_EQ(*c.sum, 8.6);
}

}  // namespace
}  // namespace foresight::ingest

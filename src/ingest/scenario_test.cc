#include "ingest/scenario.h"

#include <gtest/gtest.h>

namespace foresight::ingest {
namespace {

TEST(ScenarioTest, KindNamesRoundTrip) {
  for (ScenarioKind k : kAllScenarioKinds) {
    auto parsed = ParseScenarioKind(ScenarioKindName(k));
    ASSERT_TRUE(parsed.ok()) << ScenarioKindName(k);
    EXPECT_EQ(*parsed, k);
    EXPECT_GT(DefaultScenarioDuration(k), 0);
    EXPECT_FALSE(ScenarioMetric(k).empty());
  }
  EXPECT_EQ(ScenarioKindName(ScenarioKind::kConnectionPoolLeak), "connection_pool_leak");
}

TEST(ScenarioTest, UnknownKindIsInvalidArgumentListingValidNames) {
  auto r = ParseScenarioKind("meltdown");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("memory_leak"), std::string::npos);
}

TEST(ScenarioTest, ExhaustionFailsAfterDurationOverIntensityOthersAtOnset) {
  Scenario leak{ScenarioKind::kMemoryLeak, "web-1", 1000 * kNanosPerSecond, 3600 * kNanosPerSecond};
  EXPECT_EQ(leak.failure_at(), 4600 * kNanosPerSecond);
  EXPECT_EQ(leak.end(), 4600 * kNanosPerSecond + kExhaustedHoldNs);
  leak.intensity = 2;
  EXPECT_EQ(leak.failure_at(), 2800 * kNanosPerSecond);

  Scenario burst{ScenarioKind::kErrorBurst, "web-1", 1000 * kNanosPerSecond, 600 * kNanosPerSecond, 3};
  EXPECT_EQ(burst.failure_at(), burst.start);
  EXPECT_EQ(burst.end(), 1600 * kNanosPerSecond);
}

}  // namespace
}  // namespace foresight::ingest

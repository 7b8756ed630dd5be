#include "core/time_util.h"

#include <gtest/gtest.h>

namespace foresight {
namespace {

constexpr int64_t kS = kNanosPerSecond;

TEST(TimeUtilTest, ParsesDurationForms) {
  EXPECT_EQ(*ParseDuration("500ms"), 500 * kNanosPerMilli);
  EXPECT_EQ(*ParseDuration("30s"), 30 * kS);
  EXPECT_EQ(*ParseDuration("10m"), 600 * kS);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400 * kS);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 86400 * kS);
  EXPECT_EQ(*ParseDuration("15"), 15 * kS);
  EXPECT_EQ(*ParseDuration("0.5"), kS / 2);
  for (const char* bad : {"", "abc", "10x", "-5s", "s", "1e400"}) {
    EXPECT_EQ(ParseDuration(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TimeUtilTest, ParsesTimestampForms) {
  const TimestampNs now = 1'764'000'000 * kS;
  EXPECT_EQ(*ParseTimestamp("now", now), now);
  EXPECT_EQ(*ParseTimestamp("now-1h", now), now - 3600 * kS);
  EXPECT_EQ(*ParseTimestamp("-15m", now), now - 900 * kS);
  EXPECT_EQ(*ParseTimestamp("1764000000.25", now), now + kS / 4);
  EXPECT_EQ(*ParseTimestamp("2025-11-24T16:00:00Z", now), 1'764'000'000 * kS);
  EXPECT_EQ(*ParseTimestamp("2025-11-24T17:00:00.5+01:00", now), 1'764'000'000 * kS + kS / 2);
  EXPECT_EQ(ParseTimestamp("1800-01-01T00:00:00Z", now).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(ParseTimestamp("99999999999", now).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(ParseTimestamp("yesterday", now).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTimestamp("2025-13-01T00:00:00Z", now).status().code(), StatusCode::kInvalidArgument);
}

TEST(TimeUtilTest, FormatsTimesAndDurations) {
  EXPECT_EQ(FormatRfc3339(1'764'000'000 * kS + 123 * kNanosPerMilli), "2025-11-24T16:00:00.123Z");
  EXPECT_EQ(FormatDurationHuman((3 * 3600 + 10 * 60) * kS), "3 h 10 m");
  EXPECT_EQ(FormatDurationHuman(45 * 60 * kS), "45 m");
  EXPECT_EQ(FormatDurationHuman(12 * kS), "12 s");
  EXPECT_EQ(FormatDurationHuman((2 * 86400 + 4 * 3600) * kS), "2 d 4 h");
}

}  // namespace
}  // namespace foresight

#include "core/self_metrics.h"

#include <gtest/gtest.h>

namespace foresight {
namespace {

TEST(SelfMetricsTest, RendersFamiliesWithHelpTypeAndLabels) {
  SelfMetrics m;
  m.GetCounter("foresight_samples_total", "Samples ingested.", Labels{{"source", "host"}}).Inc(3);
  m.GetCounter("foresight_samples_total", "Samples ingested.", Labels{{"source", "sim"}}).Inc(5);
  m.GetGauge("foresight_entities", "Entities known.").Set(51);
  m.AddCallbackGauge("foresight_queue_depth", "Queue depth.", {}, [] { return 7.0; });
  // The same (name, labels) returns the same counter.
  m.GetCounter("foresight_samples_total", "Samples ingested.", Labels{{"source", "host"}}).Inc();
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE foresight_samples_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("foresight_samples_total{source=\"host\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("foresight_samples_total{source=\"sim\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("foresight_entities 51\n"), std::string::npos);
  EXPECT_NE(text.find("foresight_queue_depth 7\n"), std::string::npos);
  EXPECT_EQ(text.find("# HELP foresight_samples_total"), text.rfind("# HELP foresight_samples_total"));
}

}  // namespace
}  // namespace foresight

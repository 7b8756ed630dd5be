#include "alerting/console_notifier.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace foresight::alerting {
namespace {

constexpr TimestampNs kT0 = 1'795'506'000LL * kNanosPerSecond;  // 2026-11-24T07:40:00Z

Prediction SamplePrediction() {
  Prediction p;
  p.id = "pr-1";
  p.entity = "web-3";
  p.kind = "anomaly";
  p.score = 0.8237;
  p.severity = Severity::kWarning;
  p.attributions = {{"cpu.mean_5m", 91, 0.12}, {"memory_used_percent.slope_15m", 0.4, 0.31},
                    {"disk.io_wait", 3, -0.05}, {"net.errors", 1, 0.01}};
  return p;
}

Alert SampleAlert(const std::string& message) {
  Alert a;
  a.id = "al-1";
  a.prediction_id = "pr-1";
  a.entity = "web-3";
  a.severity = Severity::kWarning;
  a.message = message;
  a.created_at = kT0;
  return a;
}

TEST(ConsoleNotifierTest, LogfmtLineHasTheDocumentedFieldsInOrder) {
  std::ostringstream out;
  ConsoleNotifier n(ConsoleFormat::kLogfmt, out);
  ASSERT_TRUE(n.Notify(SampleAlert("web-3: anomaly (score 0.82, warning)."), SamplePrediction()).ok());
  EXPECT_EQ(out.str(),
            "ts=2026-11-24T07:40:00.000Z level=warning alert=al-1 entity=web-3 kind=anomaly score=0.82 state=firing "
            "msg=\"web-3: anomaly (score 0.82, warning).\" "
            "top=\"memory_used_percent.slope_15m=+0.31,cpu.mean_5m=+0.12,disk.io_wait=-0.05\"\n");
}

TEST(ConsoleNotifierTest, LogfmtEscapesQuotesBackslashesAndNewlinesOnOneLine) {
  std::ostringstream out;
  ConsoleNotifier n(ConsoleFormat::kLogfmt, out);
  Prediction p = SamplePrediction();
  p.resource = "disk{path=\"/var\"}";
  ASSERT_TRUE(n.Notify(SampleAlert("a \"b\" c\\d\nnext\tline\x01"), p).ok());
  const std::string line = out.str();
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_NE(line.find(R"(msg="a \"b\" c\\d\nnext\tline\u0001")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(resource="disk{path=\"/var\"}")"), std::string::npos) << line;
}

TEST(ConsoleNotifierTest, LogfmtValueQuotesOnlyWhenNeeded) {
  EXPECT_EQ(LogfmtValue("web-3"), "web-3");
  EXPECT_EQ(LogfmtValue(""), "\"\"");
  EXPECT_EQ(LogfmtValue("a b"), "\"a b\"");
  EXPECT_EQ(LogfmtValue("a=b"), "\"a=b\"");
  EXPECT_EQ(LogfmtValue("ünï"), "ünï");
  EXPECT_EQ(LogfmtValue("x\\y"), "\"x\\\\y\"");
}

TEST(ConsoleNotifierTest, JsonLineParsesBackToTheSameFields) {
  std::ostringstream out;
  ConsoleNotifier n(ConsoleFormat::kJson, out);
  Prediction p = SamplePrediction();
  p.eta = kT0 + 3600 * kNanosPerSecond;
  p.simulated = true;
  ASSERT_TRUE(n.Notify(SampleAlert("quote \" and\nnewline"), p).ok());
  const std::string line = out.str();
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-11-24T07:40:00.000Z");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["alert"], "al-1");
  EXPECT_EQ(j["entity"], "web-3");
  EXPECT_EQ(j["kind"], "anomaly");
  EXPECT_DOUBLE_EQ(j["score"].get<double>(), 0.8237);
  EXPECT_EQ(j["msg"], "quote \" and\nnewline");
  EXPECT_EQ(j["eta"], "2026-11-24T08:40:00.000Z");
  EXPECT_EQ(j["simulated"], true);
  EXPECT_EQ(j["top"], "memory_used_percent.slope_15m=+0.31,cpu.mean_5m=+0.12,disk.io_wait=-0.05");
}

TEST(ConsoleNotifierTest, JsonSurvivesInvalidUtf8) {
  ConsoleNotifier n(ConsoleFormat::kJson, stdout);
  std::string line = n.Render(SampleAlert("bad \xff byte"), SamplePrediction());
  EXPECT_NO_THROW(nlohmann::json::parse(line));
}

TEST(ConsoleNotifierTest, WritesToAnInjectedFile) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ConsoleNotifier n(ConsoleFormat::kLogfmt, f);
  ASSERT_TRUE(n.Notify(SampleAlert("m"), SamplePrediction()).ok());
  std::rewind(f);
  char buf[512] = {};
  ASSERT_NE(std::fgets(buf, sizeof(buf), f), nullptr);
  std::fclose(f);
  EXPECT_EQ(std::string(buf).rfind("ts=2026-11-24T07:40:00.000Z level=warning alert=al-1", 0), 0u) << buf;
}

TEST(ConsoleNotifierTest, FailedWriteIsUnavailable) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  ConsoleNotifier n(ConsoleFormat::kLogfmt, out);
  EXPECT_EQ(n.Notify(SampleAlert("m"), SamplePrediction()).code(), StatusCode::kUnavailable);
}

TEST(ConsoleNotifierTest, ParsesFormatNames) {
  EXPECT_EQ(*ParseConsoleFormat("logfmt"), ConsoleFormat::kLogfmt);
  EXPECT_EQ(*ParseConsoleFormat("json"), ConsoleFormat::kJson);
  EXPECT_EQ(ParseConsoleFormat("xml").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foresight::alerting

#include "ingest/log_ingestor.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "ingest/event_aggregator.h"
#include "ingest/log_event_service.h"

namespace foresight::ingest {
namespace {

double Value(const std::vector<LabeledSample>& out, const std::string& text) {
  for (const auto& s : out) {
    if (s.labels.ToString() == text) return s.value;
  }
  return -1;
}

std::string Dump(const std::vector<LabeledSample>& out) {
  std::string s;
  for (const auto& x : out) s += x.labels.ToString() + " " + std::to_string(x.value) + "\n";
  return s;
}

LogRecord Line(std::string entity, std::string severity, std::string message, TimestampNs ts = 1000) {
  return LogRecord{ts, std::move(entity), std::move(severity), std::move(message)};
}

TEST(LogIngestorTest, TemplatesBecomeCountedSeriesPerEntity) {
  LogIngestor li;
  std::vector<LogRecord> batch = {
      Line("api-3", "info", "request 17 served in 12 ms"), Line("api-3", "info", "request 18 served in 9 ms"),
      Line("api-3", "error", "connection to 10.0.0.5:5432 refused"), Line("db-2", "info", "request 19 served in 3 ms")};
  auto r = li.Add(batch);
  EXPECT_EQ(r.lines, 4u);
  EXPECT_EQ(r.new_templates, 2u);
  std::vector<LabeledSample> out;
  li.Flush(5000, &out);
  EXPECT_EQ(Value(out, "log_lines_total{entity=\"api-3\"}"), 3) << Dump(out);
  EXPECT_EQ(Value(out, "log_error_lines{entity=\"api-3\"}"), 1);
  EXPECT_EQ(Value(out, "log_new_templates{entity=\"api-3\"}"), 2);
  EXPECT_EQ(Value(out, "log_new_templates{entity=\"db-2\"}"), 1);  // new to db-2, not to the miner
  EXPECT_EQ(Value(out, "log_template_count{entity=\"api-3\",severity=\"info\",template_id=\"T1\"}"), 2) << Dump(out);
  EXPECT_EQ(Value(out, "log_template_count{entity=\"api-3\",severity=\"error\",template_id=\"T2\"}"), 1);
  EXPECT_EQ(Value(out, "log_template_count{entity=\"db-2\",severity=\"info\",template_id=\"T1\"}"), 1);
  for (const auto& s : out) {
    EXPECT_EQ(s.ts_ns, 5000);
    EXPECT_TRUE(s.labels.Validate().ok());
  }

  // Next interval: only db-2 logs; api-3's template series fall to an explicit 0, then disappear.
  li.Add(std::vector<LogRecord>{Line("db-2", "info", "request 20 served in 4 ms", 6000)});
  out.clear();
  li.Flush(7000, &out);
  EXPECT_EQ(Value(out, "log_lines_total{entity=\"api-3\"}"), 0);
  EXPECT_EQ(Value(out, "log_template_count{entity=\"api-3\",severity=\"error\",template_id=\"T2\"}"), 0);
  EXPECT_EQ(Value(out, "log_new_templates{entity=\"db-2\"}"), 0);
  out.clear();
  li.Flush(8000, &out);
  EXPECT_EQ(Value(out, "log_template_count{entity=\"api-3\",severity=\"error\",template_id=\"T2\"}"), -1) << Dump(out);

  auto templates = li.Templates("api-3", 10);
  ASSERT_EQ(templates.size(), 2u);
  EXPECT_EQ(templates[0].template_id, "T1");
  EXPECT_EQ(templates[0].count, 2u);
  EXPECT_EQ(templates[0].example, "request 17 served in 12 ms");
  EXPECT_NE(templates[0].text.find("<*>"), std::string::npos);
  EXPECT_EQ(templates[0].first_seen, 1000);
  EXPECT_EQ(li.Templates("", 10)[0].count, 4u);  // all entities: 2 + 2 of T1
  EXPECT_TRUE(li.Templates("nobody", 10).empty());
}

TEST(LogIngestorTest, IdleEntitiesStopEmittingAndLimitsHold) {
  LogIngestorOptions o;
  o.idle_ns = 10'000;
  o.max_entities = 1;
  LogIngestor li(o);
  li.Add(std::vector<LogRecord>{Line("a", "info", "x 1", 0), Line("b", "info", "x 2", 0), Line("", "info", "x 3", 0)});
  std::vector<LabeledSample> out;
  li.Flush(1, &out);
  EXPECT_EQ(Value(out, "log_lines_total{entity=\"a\"}"), 1);
  EXPECT_EQ(Value(out, "log_lines_total{entity=\"other\"}"), 2) << Dump(out);
  out.clear();
  li.Flush(2, &out);
  EXPECT_FALSE(out.empty());
  out.clear();
  li.Flush(20'000, &out);
  EXPECT_TRUE(out.empty()) << Dump(out);
}

TEST(EventAggregatorTest, CountsRatesAndSums) {
  EventAggregator ea;
  std::vector<Event> ev = {{"checkout", "shop-1", 0, {{"amount", 20}, {"items", 2}}},
                           {"checkout", "shop-1", 0, {{"amount", 5.5}}},
                           {"login_failed", "auth", 0, {}}};
  EXPECT_EQ(ea.Add(ev), 0u);
  std::vector<LabeledSample> out;
  const TimestampNs t0 = 100 * kNanosPerSecond;
  ea.Flush(t0, &out);
  EXPECT_EQ(Value(out, "event_count{entity=\"shop-1\",type=\"checkout\"}"), 2) << Dump(out);
  EXPECT_EQ(Value(out, "event_rate_per_min{entity=\"shop-1\",type=\"checkout\"}"), 2);
  EXPECT_EQ(Value(out, "event_amount_sum{entity=\"shop-1\",type=\"checkout\"}"), 25.5);
  EXPECT_EQ(Value(out, "event_items_sum{entity=\"shop-1\",type=\"checkout\"}"), 2);
  EXPECT_EQ(Value(out, "event_count{entity=\"auth\",type=\"login_failed\"}"), 1);
  // 30 s later, one more: the per-minute rate covers both intervals; the count is the interval's.
  ea.Add(std::vector<Event>{{"checkout", "shop-1", 0, {{"amount", 1}}}});
  out.clear();
  ea.Flush(t0 + 30 * kNanosPerSecond, &out);
  EXPECT_EQ(Value(out, "event_count{entity=\"shop-1\",type=\"checkout\"}"), 1);
  EXPECT_EQ(Value(out, "event_rate_per_min{entity=\"shop-1\",type=\"checkout\"}"), 3);
  EXPECT_EQ(Value(out, "event_amount_sum{entity=\"shop-1\",type=\"checkout\"}"), 1);
  EXPECT_EQ(Value(out, "event_items_sum{entity=\"shop-1\",type=\"checkout\"}"), 0);
  // 70 s after the first: the first interval left the window.
  out.clear();
  ea.Flush(t0 + 70 * kNanosPerSecond, &out);
  EXPECT_EQ(Value(out, "event_rate_per_min{entity=\"shop-1\",type=\"checkout\"}"), 1);
  EXPECT_EQ(Value(out, "event_count{entity=\"auth\",type=\"login_failed\"}"), -1) << "silent a whole window: forgotten";
  // Key limit.
  EventAggregatorOptions o;
  o.max_keys = 1;
  EventAggregator small(o);
  EXPECT_EQ(small.Add(ev), 1u);
}

TEST(LogEventServiceTest, FlushHandsSamplesToTheSink) {
  FakeClock clock(42 * kNanosPerSecond);
  std::vector<LabeledSample> got;
  TimestampNs got_tick = 0;
  LogEventService svc({}, clock, [&](std::span<const LabeledSample> s, TimestampNs tick) {
    got.insert(got.end(), s.begin(), s.end());
    got_tick = tick;
    return Status::Ok();
  });
  svc.AddLogs(std::vector<LogRecord>{Line("api-3", "error", "boom")});
  svc.AddEvents(std::vector<Event>{{"checkout", "shop-1", 0, {}}});
  svc.FlushNow();
  EXPECT_EQ(got_tick, 42 * kNanosPerSecond);
  EXPECT_EQ(Value(got, "log_error_lines{entity=\"api-3\"}"), 1) << Dump(got);
  EXPECT_EQ(Value(got, "event_count{entity=\"shop-1\",type=\"checkout\"}"), 1);
  // Stop flushes what is counted since (nothing here, so the sink sees only the zero-filled tail).
  got.clear();
  svc.AddLogs(std::vector<LogRecord>{Line("api-3", "info", "late line")});
  ASSERT_TRUE(svc.Start().ok());
  svc.Stop();
  EXPECT_EQ(Value(got, "log_lines_total{entity=\"api-3\"}"), 1) << Dump(got);
}

}  // namespace
}  // namespace foresight::ingest

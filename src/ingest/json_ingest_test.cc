#include "ingest/json_ingest.h"

#include <gtest/gtest.h>

namespace foresight::ingest {
namespace {

TEST(JsonIngestTest, LogLinesWithAllFieldSpellings) {
  std::string body =
      "{\"message\":\"user 12 logged in\",\"entity\":\"api-3\",\"severity\":\"INFO\",\"timestamp\":\"2026-11-24T07:00:00Z\"}\n"
      "\n"
      "{\"body\":\"disk full\",\"host\":\"db-2\",\"level\":\"err\",\"ts\":1764000000}\r\n"
      "{\"msg\":\"x\",\"service\":\"checkout\",\"time\":1764000000123}\n";
  JsonIngestOptions o;
  o.now = 77;
  std::vector<LogRecord> out;
  auto r = ParseJsonLogs(body, o, &out);
  EXPECT_EQ(r.lines, 3u);
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_FALSE(r.first_error) << *r.first_error;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].entity, "api-3");
  EXPECT_EQ(out[0].severity, "info");
  EXPECT_EQ(out[0].ts_ns, 1795503600LL * kNanosPerSecond);
  EXPECT_EQ(out[1].entity, "db-2");
  EXPECT_EQ(out[1].severity, "error");
  EXPECT_EQ(out[1].ts_ns, 1764000000LL * kNanosPerSecond);
  EXPECT_EQ(out[2].entity, "checkout");
  EXPECT_EQ(out[2].ts_ns, 1764000000123LL * kNanosPerMilli);
}

TEST(JsonIngestTest, BadLinesAreNamedAndGoodOnesKept) {
  std::string body = "{\"message\":\"ok\"}\n{\"entity\":\"a\"}\nnot json\n{\"message\":5}\n[1]\n{\"message\":\"ok 2\"}\n";
  std::vector<LogRecord> out;
  auto r = ParseJsonLogs(body, {}, &out);
  EXPECT_EQ(r.lines, 6u);
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(*r.first_error, "line 2: missing \"message\" (or \"body\", \"msg\")");
  JsonIngestOptions small;
  small.max_line_bytes = 10;
  out.clear();
  r = ParseJsonLogs("{\"message\":\"a long message\"}\n", small, &out);
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_NE(r.first_error->find("ingest.max_line_bytes"), std::string::npos) << *r.first_error;
}

TEST(JsonIngestTest, EventsArrayAndLines) {
  std::string arr = R"([{"type":"checkout","entity":"shop-1","fields":{"amount":12.5,"paid":true,"sku.count":3}},
                        {"type":"login_failed","entity":"auth","timestamp":"2026-11-24T07:00:00Z"}])";
  std::vector<Event> out;
  JsonIngestOptions o;
  o.now = 5;
  auto r = ParseJsonEvents(arr, o, &out);
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].ts_ns, 5);
  ASSERT_EQ(out[0].fields.size(), 3u);
  EXPECT_EQ(out[0].fields[0], (std::pair<std::string, double>{"amount", 12.5}));
  EXPECT_EQ(out[0].fields[1], (std::pair<std::string, double>{"paid", 1}));
  EXPECT_EQ(out[0].fields[2], (std::pair<std::string, double>{"sku_count", 3}));
  out.clear();
  r = ParseJsonEvents("{\"type\":\"a\",\"entity\":\"b\"}\n{\"type\":\"a\"}\n{\"type\":\"a\",\"entity\":\"b\",\"fields\":{\"x\":\"1\"}}\n",
                      o, &out);
  EXPECT_EQ(r.lines, 3u);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(*r.first_error, "line 2: missing \"entity\"");
  out.clear();
  r = ParseJsonEvents("[{\"type\":\"a\",\"entity\":\"b\",\"fields\":{\"x\":\"1\"}}]", o, &out);
  EXPECT_EQ(*r.first_error, "line 1: field \"fields.x\" must be a number");
  r = ParseJsonEvents("[{\"type\":", o, &out);
  EXPECT_EQ(*r.first_error, "line 1: malformed JSON array");
}

}  // namespace
}  // namespace foresight::ingest

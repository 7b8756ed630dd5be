#include "ingest/exposition.h"

#include <gtest/gtest.h>

#include <cmath>

namespace foresight::ingest {
namespace {

constexpr TimestampNs kScrapeTs = 1'700'000'000LL * kNanosPerSecond;

std::vector<LabeledSample> ParseOk(std::string_view body, const Labels& extra = {},
                                   ExpositionFormat format = ExpositionFormat::kPrometheusText) {
  std::vector<LabeledSample> out;
  auto n = ParseExposition(body, kScrapeTs, extra, &out, format);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  if (n.ok()) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

ExpositionError ParseErr(std::string_view body, ExpositionFormat format = ExpositionFormat::kPrometheusText) {
  std::vector<LabeledSample> out = {LabeledSample{Labels{{"__name__", "before"}}, 1, 1}};
  ExpositionError err;
  auto n = ParseExposition(body, kScrapeTs, Labels{{"job", "j"}}, &out, format, &err);
  EXPECT_FALSE(n.ok()) << "parsed " << body;
  if (!n.ok()) {
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find("exposition line " + std::to_string(err.line)), std::string::npos)
        << n.status().message();
    EXPECT_NE(n.status().message().find(err.message), std::string::npos);
  }
  EXPECT_EQ(out.size(), 1u) << "a failed parse must not append";
  return err;
}

TEST(ExpositionTest, PlainSampleGetsNameLabelAndScrapeTimestamp) {
  auto out = ParseOk("up 1\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels, (Labels{{"__name__", "up"}}));
  EXPECT_EQ(out[0].ts_ns, kScrapeTs);
  EXPECT_EQ(out[0].value, 1.0);
}

TEST(ExpositionTest, LabelsAreParsedAndSorted) {
  auto out = ParseOk("http_requests_total{method=\"post\",code=\"200\"} 1027\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.ToString(), "http_requests_total{code=\"200\",method=\"post\"}");
  EXPECT_EQ(out[0].value, 1027);
}

TEST(ExpositionTest, LabelValueEscapesAreUnescaped) {
  auto out = ParseOk(R"(msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9)"
                     "\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.Get("path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(out[0].labels.Get("error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_EQ(out[0].value, 1.458255915e9);
}

TEST(ExpositionTest, UnknownEscapeIsKeptLiterally) {
  auto out = ParseOk("m{a=\"x\\ty\"} 1\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.Get("a"), "x\\ty");
}

TEST(ExpositionTest, SpecialValues) {
  auto out = ParseOk("a NaN\nb +Inf\nc -Inf\nd -0.5e-3\ne 12\nf Inf\n");
  ASSERT_EQ(out.size(), 6u);
  EXPECT_TRUE(std::isnan(out[0].value));
  EXPECT_TRUE(std::isinf(out[1].value) && out[1].value > 0);
  EXPECT_TRUE(std::isinf(out[2].value) && out[2].value < 0);
  EXPECT_DOUBLE_EQ(out[3].value, -0.0005);
  EXPECT_EQ(out[4].value, 12);
  EXPECT_TRUE(std::isinf(out[5].value));
}

TEST(ExpositionTest, TimestampInMillisecondsOverridesScrapeTime) {
  auto out = ParseOk("m 3 1395066363000\nn 4 -1\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].ts_ns, 1'395'066'363'000LL * kNanosPerMilli);
  EXPECT_EQ(out[1].ts_ns, -kNanosPerMilli);
}

TEST(ExpositionTest, OpenMetricsTimestampIsSecondsWithNanosecondFraction) {
  auto out = ParseOk("m 3 1700000000.123456789\nn 1 1700000001\n# EOF\n", {}, ExpositionFormat::kOpenMetrics);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].ts_ns, 1'700'000'000'123'456'789LL);
  EXPECT_EQ(out[1].ts_ns, 1'700'000'001LL * kNanosPerSecond);
}

TEST(ExpositionTest, HelpTypeUnitAndCommentsProduceNoSamples) {
  auto out = ParseOk(
      "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode. \\\\ \\n escaped\n"
      "# TYPE node_cpu_seconds_total counter\n"
      "# UNIT node_cpu_seconds seconds\n"
      "# just a comment with { \" weird } stuff\n"
      "#\n"
      "\n"
      "   \t\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 100.5\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.metric(), "node_cpu_seconds_total");
}

TEST(ExpositionTest, WhitespaceTabsTrailingCommaAndCrlfAreTolerated) {
  auto out = ParseOk("  m { a = \"1\" , b=\"2\", }\t 5 \t 1000 \r\nlast 1");  // no final newline either
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels.ToString(), "m{a=\"1\",b=\"2\"}");
  EXPECT_EQ(out[0].value, 5);
  EXPECT_EQ(out[0].ts_ns, 1000 * kNanosPerMilli);
  EXPECT_EQ(out[1].labels.metric(), "last");
}

TEST(ExpositionTest, EmptyLabelValueMeansAbsentAndEmptyBracesAreAllowed) {
  auto out = ParseOk("m{a=\"\",b=\"x\"} 1\nn{} 2\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels.ToString(), "m{b=\"x\"}");
  EXPECT_EQ(out[1].labels.ToString(), "n{}");
}

TEST(ExpositionTest, ColonsInMetricNames) {
  auto out = ParseOk("job:request_rate:5m{job=\"x\"} 2\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.metric(), "job:request_rate:5m");
}

TEST(ExpositionTest, HistogramSeries) {
  auto out = ParseOk(
      "# TYPE http_request_duration_seconds histogram\n"
      "http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n"
      "http_request_duration_seconds_bucket{le=\"0.1\"} 33444\n"
      "http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n"
      "http_request_duration_seconds_sum 53423\n"
      "http_request_duration_seconds_count 144320\n");
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[2].labels.ToString(), "http_request_duration_seconds_bucket{le=\"+Inf\"}");
  EXPECT_EQ(out[3].labels.metric(), "http_request_duration_seconds_sum");
  EXPECT_EQ(out[4].value, 144320);
}

TEST(ExpositionTest, SummarySeries) {
  auto out = ParseOk(
      "# TYPE rpc_duration_seconds summary\n"
      "rpc_duration_seconds{quantile=\"0.01\"} 3102\n"
      "rpc_duration_seconds{quantile=\"0.99\"} 76656\n"
      "rpc_duration_seconds_sum 1.7560473e+07\n"
      "rpc_duration_seconds_count 2693\n");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1].labels.Get("quantile"), "0.99");
  EXPECT_EQ(out[2].value, 1.7560473e+07);
}

TEST(ExpositionTest, OpenMetricsCounterTotalKeptCreatedDroppedExemplarIgnored) {
  auto out = ParseOk(
      "# TYPE foo counter\n"
      "# UNIT foo seconds\n"
      "# HELP foo A counter.\n"
      "foo_total{a=\"b\"} 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n"
      "foo_created{a=\"b\"} 1520430000.123\n"
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"0.1\"} 8 # {id=\"x\"} 0.05 123.0\n"
      "lat_bucket{le=\"+Inf\"} 17\n"
      "lat_count 17\n"
      "lat_sum 324789.3\n"
      "lat_created 1520430000.123\n"
      "# TYPE g gauge\n"
      "g_created 5\n"
      "# EOF\n",
      {}, ExpositionFormat::kOpenMetrics);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].labels.ToString(), "foo_total{a=\"b\"}");
  EXPECT_EQ(out[0].value, 17.0);
  EXPECT_EQ(out[0].ts_ns, 1'520'879'607'789'000'000LL);
  EXPECT_EQ(out[1].labels.ToString(), "lat_bucket{le=\"0.1\"}");
  EXPECT_EQ(out[1].value, 8);
  EXPECT_EQ(out[1].ts_ns, kScrapeTs) << "the exemplar's timestamp is not the sample's";
  EXPECT_EQ(out[3].labels.metric(), "lat_count");
  EXPECT_EQ(out[5].labels.metric(), "g_created") << "a gauge has no _created metadata series";
}

TEST(ExpositionTest, ExemplarIgnoredInPrometheusTextToo) {
  auto out = ParseOk("m_total 3 # {trace_id=\"abc\"} 1\nn 1 1000 # {x=\"y\"} 2 3\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].value, 3);
  EXPECT_EQ(out[1].ts_ns, 1000 * kNanosPerMilli);
}

TEST(ExpositionTest, EofIsAnOrdinaryCommentInPrometheusText) {
  auto out = ParseOk("a 1\n# EOF\nb 2\n");
  EXPECT_EQ(out.size(), 2u);
}

TEST(ExpositionTest, PrometheusTextKeepsCreatedSeries) {
  auto out = ParseOk("# TYPE foo counter\nfoo_total 1\nfoo_created 1.5e9\n");
  EXPECT_EQ(out.size(), 2u);
}

TEST(ExpositionTest, ExtraLabelsAreAddedToEverySample) {
  auto out = ParseOk("a 1\nb{x=\"y\"} 2\n", Labels{{"job", "node"}, {"instance", "h:9100"}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels.ToString(), "a{instance=\"h:9100\",job=\"node\"}");
  EXPECT_EQ(out[1].labels.ToString(), "b{instance=\"h:9100\",job=\"node\",x=\"y\"}");
}

TEST(ExpositionTest, ConflictingScrapedLabelsAreRenamedExported) {
  auto out = ParseOk("a{job=\"pushed\",instance=\"i\",exported_instance=\"old\"} 1\n",
                     Labels{{"job", "node"}, {"instance", "h:9100"}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.Get("job"), "node");
  EXPECT_EQ(out[0].labels.Get("exported_job"), "pushed");
  EXPECT_EQ(out[0].labels.Get("instance"), "h:9100");
  EXPECT_EQ(out[0].labels.Get("exported_instance"), "old");
  EXPECT_EQ(out[0].labels.Get("exported_exported_instance"), "i");
}

TEST(ExpositionTest, EmptyBodyHasNoSamples) {
  EXPECT_TRUE(ParseOk("").empty());
  EXPECT_TRUE(ParseOk("\n\n# only comments\n").empty());
}

TEST(ExpositionTest, AppendsWithoutClearing) {
  std::vector<LabeledSample> out(2);
  auto n = ParseExposition("a 1\n", kScrapeTs, {}, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(out.size(), 3u);
}

TEST(ExpositionTest, ContentTypeSelectsFormat) {
  EXPECT_EQ(ExpositionFormatFromContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(ExpositionFormatFromContentType("Application/OpenMetrics-Text"), ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(ExpositionFormatFromContentType("text/plain; version=0.0.4; charset=utf-8"),
            ExpositionFormat::kPrometheusText);
  EXPECT_EQ(ExpositionFormatFromContentType(""), ExpositionFormat::kPrometheusText);
}

// --- errors: each names the first malformed line and leaves *out untouched ---

TEST(ExpositionErrorTest, MalformedLineFailsTheWholeBodyAndNamesTheLine) {
  auto err = ParseErr("good 1\ngood2 2\nbad{ 3\ngood3 4\n");
  EXPECT_EQ(err.line, 3u);
  EXPECT_NE(err.message.find("label name"), std::string::npos) << err.message;
}

TEST(ExpositionErrorTest, EachMalformedConstruct) {
  struct Case {
    const char* body;
    const char* reason;
  };
  const Case cases[] = {
      {"1abc 1\n", "expected a metric name"},
      {"m\n", "missing value"},
      {"m \n", "missing value"},
      {"m{a=\"b\"}\n", "missing value"},
      {"m abc\n", "invalid value"},
      {"m 1.2.3\n", "invalid value"},
      {"m +-1\n", "invalid value"},
      {"m 1 12.5\n", "invalid timestamp"},
      {"m 1 abc\n", "invalid timestamp"},
      {"m 1 9223372036854775807\n", "out of range"},
      {"m 1 1000 extra\n", "unexpected text"},
      {"m{a=\"b\" 1\n", "expected ',' or '}'"},
      {"m{a=\"b\",\n", "missing '}'"},
      {"m{1a=\"b\"} 1\n", "expected a label name"},
      {"m{a} 1\n", "expected '='"},
      {"m{a=b} 1\n", "expected '\"'"},
      {"m{a=\"b} 1\n", "unterminated value"},
      {"m{a=\"\xff\"} 1\n", "invalid UTF-8"},
      {"m{a=\"\xc0\xaf\"} 1\n", "invalid UTF-8"},
      {"m{a=\"1\",a=\"2\"} 1\n", "duplicate label"},
      {"m{__name__=\"x\"} 1\n", "__name__ inside braces"},
      {"m{a=\"1\"}x 1\n", "unexpected character"},
      {"# TYPE m countr\n", "unknown metric type"},
      {"# TYPE m\n", "unknown metric type"},
      {"# TYPE m counter extra\n", "unexpected text after the type"},
      {"# TYPE\n", "without a metric name"},
      {"# HELP 1m help\n", "invalid metric name"},
      {"# UNIT\n", "without a metric name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto err = ParseErr(c.body);
    EXPECT_EQ(err.line, 1u);
    EXPECT_NE(err.message.find(c.reason), std::string::npos) << err.message;
  }
}

TEST(ExpositionErrorTest, TooManyLabels) {
  std::string body = "m{";
  for (int i = 0; i < 70; ++i) body += "l" + std::to_string(i) + "=\"v\",";
  body += "} 1\n";
  auto err = ParseErr(body);
  EXPECT_NE(err.message.find("too many labels"), std::string::npos) << err.message;
}

TEST(ExpositionErrorTest, OpenMetricsRules) {
  constexpr auto kOm = ExpositionFormat::kOpenMetrics;
  auto err = ParseErr("a 1\n", kOm);
  EXPECT_NE(err.message.find("missing # EOF"), std::string::npos);
  EXPECT_EQ(err.line, 2u);
  err = ParseErr("a 1\n# EOF\nb 2\n", kOm);
  EXPECT_EQ(err.line, 3u);
  EXPECT_NE(err.message.find("after # EOF"), std::string::npos);
  err = ParseErr("# EOF now\n", kOm);
  EXPECT_NE(err.message.find("after # EOF"), std::string::npos);
  err = ParseErr("# TYPE h histogram\nh_bucket 1\n# EOF\n", kOm);
  EXPECT_EQ(err.line, 2u);
  EXPECT_NE(err.message.find("missing label \"le\""), std::string::npos);
  err = ParseErr("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n# EOF\n", kOm);
  EXPECT_NE(err.message.find("not a number"), std::string::npos);
  err = ParseErr("# TYPE s summary\ns 1\n# EOF\n", kOm);
  EXPECT_NE(err.message.find("missing label \"quantile\""), std::string::npos);
  err = ParseErr("m 1 1e300\n# EOF\n", kOm);
  EXPECT_NE(err.message.find("invalid timestamp"), std::string::npos);
}

TEST(ExpositionErrorTest, StatusWithoutErrorOutParam) {
  std::vector<LabeledSample> out;
  auto n = ParseExposition("ok 1\nbad line here\n", kScrapeTs, {}, &out);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().ToString().rfind("INVALID_ARGUMENT: exposition line 2: ", 0), 0u) << n.status().ToString();
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace foresight::ingest

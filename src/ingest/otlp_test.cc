#include "ingest/otlp.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "proto/google/rpc/status.pb.h"
#include "proto/opentelemetry/logs.pb.h"
#include "proto/opentelemetry/metrics.pb.h"

namespace foresight::ingest {
namespace {

namespace otc = opentelemetry::proto::common::v1;
namespace otm = opentelemetry::proto::metrics::v1;
namespace otl = opentelemetry::proto::logs::v1;

void Attr(google::protobuf::RepeatedPtrField<otc::KeyValue>* attrs, const std::string& k, const std::string& v) {
  auto* kv = attrs->Add();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

const LabeledSample* Find(const std::vector<LabeledSample>& out, const std::string& text) {
  for (const auto& s : out) {
    if (s.labels.ToString() == text) return &s;
  }
  return nullptr;
}

std::string Dump(const std::vector<LabeledSample>& out) {
  std::string s;
  for (const auto& x : out) s += x.labels.ToString() + " " + std::to_string(x.value) + "\n";
  return s;
}

otm::ExportMetricsServiceRequest SampleRequest() {
  otm::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  Attr(rm->mutable_resource()->mutable_attributes(), "service.name", "checkout");
  Attr(rm->mutable_resource()->mutable_attributes(), "host.name", "api-3");
  Attr(rm->mutable_resource()->mutable_attributes(), "telemetry.sdk.language", "python");
  auto* sm = rm->add_scope_metrics();
  auto* g = sm->add_metrics();
  g->set_name("queue.depth");
  auto* gp = g->mutable_gauge()->add_data_points();
  gp->set_time_unix_nano(1'700'000'000'000'000'000ULL);
  gp->set_as_double(7.5);
  Attr(gp->mutable_attributes(), "queue", "orders");
  auto* c = sm->add_metrics();
  c->set_name("requests");
  c->mutable_sum()->set_is_monotonic(true);
  c->mutable_sum()->set_aggregation_temporality(otm::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* cp = c->mutable_sum()->add_data_points();
  cp->set_time_unix_nano(1'700'000'000'000'000'000ULL);
  cp->set_as_int(42);
  auto* h = sm->add_metrics();
  h->set_name("latency");
  auto* hp = h->mutable_histogram()->add_data_points();
  hp->set_time_unix_nano(1'700'000'000'000'000'000ULL);
  hp->set_count(6);
  hp->set_sum(3.25);
  hp->add_explicit_bounds(0.1);
  hp->add_explicit_bounds(1);
  hp->add_bucket_counts(1);
  hp->add_bucket_counts(3);
  hp->add_bucket_counts(2);
  return req;
}

TEST(OtlpTest, ProtobufGaugeSumHistogramMapLikePrometheus) {
  std::string body = SampleRequest().SerializeAsString();
  std::vector<LabeledSample> out;
  auto r = DecodeOtlpMetrics(body, OtlpEncoding::kProtobuf, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->points, 3u);
  EXPECT_EQ(r->rejected, 0u);
  EXPECT_EQ(out.size(), 1u + 1u + 5u) << Dump(out);
  const std::string res = "entity=\"api-3\",host_name=\"api-3\"";
  auto* g = Find(out, "queue_depth{" + res + ",queue=\"orders\",service_name=\"checkout\"}");
  ASSERT_NE(g, nullptr) << Dump(out);
  EXPECT_EQ(g->value, 7.5);
  EXPECT_EQ(g->ts_ns, 1'700'000'000'000'000'000LL);
  auto* c = Find(out, "requests_total{" + res + ",service_name=\"checkout\"}");
  ASSERT_NE(c, nullptr) << Dump(out);
  EXPECT_EQ(c->value, 42);
  auto* b1 = Find(out, "latency_bucket{" + res + ",le=\"1\",service_name=\"checkout\"}");
  ASSERT_NE(b1, nullptr) << Dump(out);
  EXPECT_EQ(b1->value, 4);  // cumulative: 1 + 3
  auto* binf = Find(out, "latency_bucket{" + res + ",le=\"+Inf\",service_name=\"checkout\"}");
  ASSERT_NE(binf, nullptr);
  EXPECT_EQ(binf->value, 6);
  ASSERT_NE(Find(out, "latency_sum{" + res + ",service_name=\"checkout\"}"), nullptr);
  EXPECT_EQ(Find(out, "latency_count{" + res + ",service_name=\"checkout\"}")->value, 6);
  for (const auto& s : out) EXPECT_TRUE(s.labels.Validate().ok()) << s.labels.ToString();
}

TEST(OtlpTest, JsonEncodingGivesTheSameSamples) {
  // OTLP JSON as the spec writes it: camelCase, 64-bit integers as strings, enums as numbers.
  std::string body = R"({"resourceMetrics":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"checkout"}},{"key":"host.name","value":{"stringValue":"api-3"}},
      {"key":"telemetry.sdk.language","value":{"stringValue":"python"}}]},
    "scopeMetrics":[{"scope":{"name":"x"},"metrics":[
      {"name":"queue.depth","gauge":{"dataPoints":[{"timeUnixNano":"1700000000000000000","asDouble":7.5,
         "attributes":[{"key":"queue","value":{"stringValue":"orders"}}]}]}},
      {"name":"requests","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[
         {"timeUnixNano":"1700000000000000000","asInt":"42"}]}},
      {"name":"latency","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[
         {"timeUnixNano":"1700000000000000000","count":"6","sum":3.25,"bucketCounts":["1","3","2"],"explicitBounds":[0.1,1]}]}}
    ]}]}]})";
  std::vector<LabeledSample> json_out, pb_out;
  auto r = DecodeOtlpMetrics(body, OtlpEncoding::kJson, {}, &json_out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(DecodeOtlpMetrics(SampleRequest().SerializeAsString(), OtlpEncoding::kProtobuf, {}, &pb_out).ok());
  ASSERT_EQ(json_out.size(), pb_out.size()) << Dump(json_out);
  for (size_t i = 0; i < pb_out.size(); ++i) {
    EXPECT_EQ(json_out[i].labels, pb_out[i].labels);
    EXPECT_EQ(json_out[i].value, pb_out[i].value);
    EXPECT_EQ(json_out[i].ts_ns, pb_out[i].ts_ns);
  }
}

TEST(OtlpTest, JsonShapeErrorsNameThePath) {
  std::vector<LabeledSample> out;
  auto r = DecodeOtlpMetrics(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"a","sum":{"dataPoints":[{"asInt":"x1"}]}}]}]}]})",
                             OtlpEncoding::kJson, {}, &out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt"), std::string::npos)
      << r.status().message();
  auto bad = DecodeOtlpMetrics("{\"resourceMetrics\": [", OtlpEncoding::kJson, {}, &out);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("malformed"), std::string::npos);
  // Found by otlp_json_fuzz: a number literal too large for a double is an error, not an exception.
  auto huge = DecodeOtlpMetrics("[1e515511111111119]", OtlpEncoding::kJson, {}, &out);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  auto pb = DecodeOtlpMetrics("\xff\xff\xff", OtlpEncoding::kProtobuf, {}, &out);
  ASSERT_FALSE(pb.ok());
  EXPECT_TRUE(out.empty());
}

TEST(OtlpTest, BadPointsAreRejectedAndTheRestKept) {
  auto req = SampleRequest();
  auto* m = req.mutable_resource_metrics(0)->mutable_scope_metrics(0)->add_metrics();
  m->set_name("broken");
  auto* hp = m->mutable_histogram()->add_data_points();
  hp->add_explicit_bounds(1);
  hp->add_bucket_counts(1);  // needs 2
  auto* e = req.mutable_resource_metrics(0)->mutable_scope_metrics(0)->add_metrics();
  e->set_name("exp");
  e->mutable_exponential_histogram()->add_data_points()->set_count(5);  // no bucket holds them
  std::vector<LabeledSample> out;
  auto r = DecodeOtlpMetrics(req.SerializeAsString(), OtlpEncoding::kProtobuf, {}, &out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->points, 3u);
  EXPECT_EQ(r->rejected, 2u);
  ASSERT_TRUE(r->first_error.has_value());
  EXPECT_EQ(*r->first_error, "metric \"broken\" point 1: 1 bucket_counts for 1 explicit_bounds (needs explicit_bounds + 1)");
  // The reply is a partial success naming it.
  otm::ExportMetricsServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(OtlpMetricsResponse(OtlpEncoding::kProtobuf, *r)));
  EXPECT_EQ(resp.partial_success().rejected_data_points(), 2);
  EXPECT_EQ(resp.partial_success().error_message(), *r->first_error);
  EXPECT_EQ(OtlpMetricsResponse(OtlpEncoding::kJson, OtlpResult{}), "{}");
}

TEST(OtlpTest, LabelLimitsNameTheConfigKey) {
  auto req = SampleRequest();
  Attr(req.mutable_resource_metrics(0)->mutable_resource()->mutable_attributes(), "big", std::string(5000, 'x'));
  std::vector<LabeledSample> out;
  auto r = DecodeOtlpMetrics(req.SerializeAsString(), OtlpEncoding::kProtobuf, {}, &out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 3u);
  EXPECT_TRUE(out.empty());
  EXPECT_NE(r->first_error->find("ingest.max_label_value_bytes"), std::string::npos) << *r->first_error;
  OtlpOptions few;
  few.max_labels = 3;
  r = DecodeOtlpMetrics(SampleRequest().SerializeAsString(), OtlpEncoding::kProtobuf, few, &out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 3u);
  EXPECT_NE(r->first_error->find("ingest.max_labels_per_series"), std::string::npos) << *r->first_error;
}

TEST(OtlpTest, MissingTimeTakesTheReceiveTime) {
  auto req = SampleRequest();
  req.mutable_resource_metrics(0)->mutable_scope_metrics(0)->mutable_metrics(0)->mutable_gauge()->mutable_data_points(0)->set_time_unix_nano(0);
  OtlpOptions o;
  o.default_ts = 123;
  std::vector<LabeledSample> out;
  ASSERT_TRUE(DecodeOtlpMetrics(req.SerializeAsString(), OtlpEncoding::kProtobuf, o, &out).ok());
  EXPECT_EQ(out[0].ts_ns, 123);
}

TEST(OtlpTest, LogsProtobufAndJson) {
  otl::ExportLogsServiceRequest req;
  auto* rl = req.add_resource_logs();
  Attr(rl->mutable_resource()->mutable_attributes(), "service.name", "checkout");
  auto* sl = rl->add_scope_logs();
  auto* r1 = sl->add_log_records();
  r1->set_time_unix_nano(5);
  r1->set_severity_number(17);
  r1->mutable_body()->set_string_value("payment 123 failed");
  auto* r2 = sl->add_log_records();
  r2->set_observed_time_unix_nano(9);
  r2->set_severity_text("WARNING");
  r2->mutable_body()->mutable_kvlist_value()->add_values()->set_key("k");
  std::vector<LogRecord> out;
  auto r = DecodeOtlpLogs(req.SerializeAsString(), OtlpEncoding::kProtobuf, {}, &out);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].entity, "checkout");
  EXPECT_EQ(out[0].severity, "error");
  EXPECT_EQ(out[0].message, "payment 123 failed");
  EXPECT_EQ(out[0].ts_ns, 5);
  EXPECT_EQ(out[1].severity, "warn");
  EXPECT_EQ(out[1].ts_ns, 9);
  EXPECT_EQ(out[1].message, "{\"k\":\"\"}");

  std::string body = R"({"resourceLogs":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"db-2"}}]},
    "scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":"SEVERITY_NUMBER_ERROR",
    "body":{"stringValue":"disk full"},"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}]}]}]})";
  out.clear();
  r = DecodeOtlpLogs(body, OtlpEncoding::kJson, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].entity, "db-2");
  EXPECT_EQ(out[0].severity, "error");
  EXPECT_EQ(out[0].message, "disk full");
  EXPECT_EQ(out[0].ts_ns, 1'700'000'000'000'000'000LL);
}

TEST(OtlpTest, ContentTypes) {
  EXPECT_EQ(*OtlpEncodingFor("application/x-protobuf"), OtlpEncoding::kProtobuf);
  EXPECT_EQ(*OtlpEncodingFor("Application/JSON; charset=utf-8"), OtlpEncoding::kJson);
  EXPECT_FALSE(OtlpEncodingFor("text/plain").ok());
  EXPECT_EQ(SanitizeOtlpMetricName("http.server.duration"), "http_server_duration");
  EXPECT_EQ(SanitizeOtlpMetricName("1x"), "_1x");
  EXPECT_EQ(SanitizeOtlpLabelName("k8s.pod:name"), "k8s_pod_name");
}

TEST(OtlpTest, DeepJsonNestingIsAnErrorNotACrash) {
  std::string v = R"({"stringValue":"x"})";
  for (int i = 0; i < 200; ++i) v = R"({"arrayValue":{"values":[)" + v + "]}}";
  std::string body = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" + v + "}]}]}]}";
  std::vector<LogRecord> out;
  auto r = DecodeOtlpLogs(body, OtlpEncoding::kJson, {}, &out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos);
}

// An exponential histogram: scale 1 (base 2^0.5), zero bucket, one negative and three positive buckets.
otm::ExportMetricsServiceRequest ExponentialRequest(otm::AggregationTemporality temporality, uint64_t start, uint64_t end,
                                                    uint64_t scale_one_count) {
  otm::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  Attr(rm->mutable_resource()->mutable_attributes(), "host.name", "api-3");
  auto* m = rm->add_scope_metrics()->add_metrics();
  m->set_name("rpc.latency");
  m->mutable_exponential_histogram()->set_aggregation_temporality(temporality);
  auto* p = m->mutable_exponential_histogram()->add_data_points();
  p->set_start_time_unix_nano(start);
  p->set_time_unix_nano(end);
  p->set_scale(1);
  p->set_zero_count(1);
  p->mutable_negative()->set_offset(0);  // [-2^0.5, -1)
  p->mutable_negative()->add_bucket_counts(2);
  p->mutable_positive()->set_offset(1);  // (2^0.5, 2], (2, 2^1.5], (2^1.5, 4]
  p->mutable_positive()->add_bucket_counts(scale_one_count);
  p->mutable_positive()->add_bucket_counts(0);
  p->mutable_positive()->add_bucket_counts(4);
  p->set_count(1 + 2 + scale_one_count + 4);
  p->set_sum(10.5);
  return req;
}

TEST(OtlpTest, ExponentialHistogramBecomesCumulativeBuckets) {
  std::vector<LabeledSample> out;
  auto r = DecodeOtlpMetrics(ExponentialRequest(otm::AGGREGATION_TEMPORALITY_CUMULATIVE, 1, 2'000'000'000, 3).SerializeAsString(),
                             OtlpEncoding::kProtobuf, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rejected, 0u) << r->first_error.value_or("");
  EXPECT_EQ(r->points, 1u);
  auto value = [&](const std::string& le) {
    const LabeledSample* s = Find(out, "rpc_latency_bucket{entity=\"api-3\",host_name=\"api-3\",le=\"" + le + "\"}");
    return s == nullptr ? -1.0 : s->value;
  };
  EXPECT_EQ(value("-1"), 2) << Dump(out);
  EXPECT_EQ(value("0"), 3);                   // + the zero bucket
  EXPECT_EQ(value("2"), 6);                   // + (2^0.5, 2]
  char bound[32];
  auto [end, ec] = std::to_chars(bound, bound + sizeof(bound), std::exp2(1.5));
  EXPECT_EQ(value(std::string(bound, end)), 6);  // (2, 2^1.5] is empty
  EXPECT_EQ(value("4"), 10);
  EXPECT_EQ(value("+Inf"), 10);
  EXPECT_EQ(Find(out, "rpc_latency_count{entity=\"api-3\",host_name=\"api-3\"}")->value, 10);
  EXPECT_EQ(Find(out, "rpc_latency_sum{entity=\"api-3\",host_name=\"api-3\"}")->value, 10.5);
  EXPECT_EQ(out.size(), 6u + 2u) << Dump(out);

  // At most max_exponential_buckets finite buckets: 5 become 4 at scale 0 ([-2,-1), zero, (1,2], (2,4]).
  OtlpOptions few;
  few.max_exponential_buckets = 4;
  out.clear();
  ASSERT_TRUE(DecodeOtlpMetrics(ExponentialRequest(otm::AGGREGATION_TEMPORALITY_CUMULATIVE, 1, 2'000'000'000, 3).SerializeAsString(),
                                OtlpEncoding::kProtobuf, few, &out).ok());
  EXPECT_EQ(out.size(), 5u + 2u) << Dump(out);
  EXPECT_EQ(value("-1"), 2) << Dump(out);
  EXPECT_EQ(value("0"), 3);
  EXPECT_EQ(value("2"), 6);
  EXPECT_EQ(value("4"), 10);
}

TEST(OtlpTest, ExponentialHistogramJsonGivesTheSameSamples) {
  std::string body = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"api-3"}}]},
    "scopeMetrics":[{"metrics":[{"name":"rpc.latency","exponentialHistogram":{"aggregationTemporality":2,"dataPoints":[
      {"startTimeUnixNano":"1","timeUnixNano":"2000000000","count":"10","sum":10.5,"scale":1,"zeroCount":"1","min":-1.2,"max":4,"flags":0,
       "negative":{"offset":0,"bucketCounts":["2"]},"positive":{"offset":1,"bucketCounts":["3","0",4]}}]}}]}]}]})";
  std::vector<LabeledSample> json_out, pb_out;
  auto r = DecodeOtlpMetrics(body, OtlpEncoding::kJson, {}, &json_out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rejected, 0u) << r->first_error.value_or("");
  ASSERT_TRUE(DecodeOtlpMetrics(ExponentialRequest(otm::AGGREGATION_TEMPORALITY_CUMULATIVE, 1, 2'000'000'000, 3).SerializeAsString(),
                                OtlpEncoding::kProtobuf, {}, &pb_out).ok());
  ASSERT_EQ(json_out.size(), pb_out.size()) << Dump(json_out);
  for (size_t i = 0; i < pb_out.size(); ++i) {
    EXPECT_EQ(json_out[i].labels, pb_out[i].labels);
    EXPECT_EQ(json_out[i].value, pb_out[i].value);
  }
  // A malformed field is named.
  std::string bad = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","exponentialHistogram":{"dataPoints":[
      {"positive":{"offset":"a"}}]}}]}]}]})";
  auto e = DecodeOtlpMetrics(bad, OtlpEncoding::kJson, {}, &json_out);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("exponentialHistogram.dataPoints[0].positive.offset"), std::string::npos)
      << e.status().message();
}

TEST(OtlpTest, BadExponentialPointIsRejectedByName) {
  auto req = ExponentialRequest(otm::AGGREGATION_TEMPORALITY_CUMULATIVE, 1, 2, 3);
  req.mutable_resource_metrics(0)->mutable_scope_metrics(0)->mutable_metrics(0)->mutable_exponential_histogram()
      ->mutable_data_points(0)->set_scale(30);
  std::vector<LabeledSample> out;
  auto r = DecodeOtlpMetrics(req.SerializeAsString(), OtlpEncoding::kProtobuf, {}, &out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 1u);
  EXPECT_EQ(r->first_error, "metric \"rpc.latency\" point 1: exponential histogram: scale 30 outside [-10, 20]");
  EXPECT_TRUE(out.empty());
}

otm::ExportMetricsServiceRequest DeltaCounter(uint64_t start, uint64_t end, int64_t value) {
  otm::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  Attr(rm->mutable_resource()->mutable_attributes(), "host.name", "api-3");
  auto* m = rm->add_scope_metrics()->add_metrics();
  m->set_name("jobs.done");
  m->mutable_sum()->set_is_monotonic(true);
  m->mutable_sum()->set_aggregation_temporality(otm::AGGREGATION_TEMPORALITY_DELTA);
  auto* p = m->mutable_sum()->add_data_points();
  p->set_start_time_unix_nano(start);
  p->set_time_unix_nano(end);
  p->set_as_int(value);
  return req;
}

// Decodes one request through a batch of `acc` and commits it; returns the value of `series` (-1: none).
double DecodeDelta(OtlpDeltaAccumulator& acc, const otm::ExportMetricsServiceRequest& req, const std::string& series,
                   OtlpResult* result = nullptr) {
  auto batch = acc.Begin();
  std::vector<LabeledSample> out;
  auto r = DecodeOtlpMetrics(req.SerializeAsString(), OtlpEncoding::kProtobuf, {}, &out, &batch);
  EXPECT_TRUE(r.ok());
  if (result != nullptr) *result = *r;
  acc.Commit(std::move(batch));
  const LabeledSample* s = Find(out, series);
  return s == nullptr ? -1 : s->value;
}

TEST(OtlpTest, DeltaSumsAreStoredCumulative) {
  OtlpDeltaAccumulator acc;
  const std::string series = "jobs_done_total{entity=\"api-3\",host_name=\"api-3\"}";
  EXPECT_EQ(DecodeDelta(acc, DeltaCounter(100, 200, 5), series), 5);
  EXPECT_EQ(DecodeDelta(acc, DeltaCounter(200, 300, 3), series), 8);
  // The same request again: a duplicate, rejected and named; nothing stored.
  OtlpResult r;
  EXPECT_EQ(DecodeDelta(acc, DeltaCounter(200, 300, 3), series, &r), -1);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_NE(r.first_error.value_or("").find("duplicate or late"), std::string::npos) << r.first_error.value_or("");
  // A gap (the producer restarted): the total starts again.
  EXPECT_EQ(DecodeDelta(acc, DeltaCounter(1000, 1100, 2), series, &r), 2);
  EXPECT_EQ(r.delta_resets, 1u);
  // Without an accumulator a delta is stored as sent.
  std::vector<LabeledSample> out;
  ASSERT_TRUE(DecodeOtlpMetrics(DeltaCounter(1100, 1200, 4).SerializeAsString(), OtlpEncoding::kProtobuf, {}, &out).ok());
  EXPECT_EQ(Find(out, series)->value, 4);
}

TEST(OtlpTest, DeltaHistogramsAreStoredCumulative) {
  OtlpDeltaAccumulator acc;
  const std::string le4 = "rpc_latency_bucket{entity=\"api-3\",host_name=\"api-3\",le=\"4\"}";
  EXPECT_EQ(DecodeDelta(acc, ExponentialRequest(otm::AGGREGATION_TEMPORALITY_DELTA, 10, 20, 3), le4), 10);
  EXPECT_EQ(DecodeDelta(acc, ExponentialRequest(otm::AGGREGATION_TEMPORALITY_DELTA, 20, 30, 1), le4), 10 + 8);
  EXPECT_EQ(DecodeDelta(acc, ExponentialRequest(otm::AGGREGATION_TEMPORALITY_DELTA, 20, 30, 1),
                        "rpc_latency_count{entity=\"api-3\",host_name=\"api-3\"}"), -1);  // duplicate
  EXPECT_EQ(DecodeDelta(acc, ExponentialRequest(otm::AGGREGATION_TEMPORALITY_DELTA, 30, 40, 0),
                        "rpc_latency_sum{entity=\"api-3\",host_name=\"api-3\"}"), 31.5);

  // Explicit buckets: bucketwise.
  auto req = SampleRequest();
  auto* h = req.mutable_resource_metrics(0)->mutable_scope_metrics(0)->mutable_metrics(2);
  h->mutable_histogram()->set_aggregation_temporality(otm::AGGREGATION_TEMPORALITY_DELTA);
  h->mutable_histogram()->mutable_data_points(0)->set_start_time_unix_nano(1);
  const std::string le1 = "latency_bucket{entity=\"api-3\",host_name=\"api-3\",le=\"1\",service_name=\"checkout\"}";
  EXPECT_EQ(DecodeDelta(acc, req, le1), 4);
  h->mutable_histogram()->mutable_data_points(0)->set_start_time_unix_nano(1'700'000'000'000'000'000ULL);
  h->mutable_histogram()->mutable_data_points(0)->set_time_unix_nano(1'700'000'010'000'000'000ULL);
  EXPECT_EQ(DecodeDelta(acc, req, le1), 8);
}

TEST(OtlpTest, ErrorBodiesAreGoogleRpcStatusInBothEncodings) {
  Status st = Status::InvalidArgument("protobuf: cannot parse ExportMetricsServiceRequest");
  google::rpc::Status pb;
  ASSERT_TRUE(pb.ParseFromString(OtlpStatusBody(OtlpEncoding::kProtobuf, st)));
  EXPECT_EQ(pb.code(), 3);
  EXPECT_EQ(pb.message(), "protobuf: cannot parse ExportMetricsServiceRequest");
  auto j = nlohmann::json::parse(OtlpStatusBody(OtlpEncoding::kJson, Status::Unavailable("storage is busy")));
  EXPECT_EQ(j["code"], 14);
  EXPECT_EQ(j["message"], "storage is busy");
  // Error texts may quote the input: the message stays valid UTF-8 (proto3 parsers reject the body otherwise).
  ASSERT_TRUE(pb.ParseFromString(OtlpStatusBody(OtlpEncoding::kProtobuf, 3, "bad \xff\xc3 byte, caf\xc3\xa9")));
  EXPECT_EQ(pb.message(), "bad \xEF\xBF\xBD\xEF\xBF\xBD byte, caf\xc3\xa9");
  EXPECT_EQ(OtlpRpcCodeFor(StatusCode::kResourceExhausted), 8);
  EXPECT_EQ(OtlpRpcCodeFor(StatusCode::kInternal), 13);
}

}  // namespace
}  // namespace foresight::ingest

// The API handlers against real stores (an embedded Tsdb and SQLite record store in a temp dir) and a
// small fake of the pipeline (ServiceBackend), driven through the router as the server would.

#include "api/routes.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ingest/remote_write.h"
#include "storage/sqlite/sqlite_record_store.h"
#include "storage/testing/temp_stores.h"
#include "storage/tsdb/tsdb.h"

namespace foresight::api {
namespace {

using nlohmann::json;

class FakeService final : public ServiceBackend {
 public:
  explicit FakeService(storage::SampleStore** store) : store_(store) {}
  // Stores through the real sample store, as the pipeline does (minus features and models).
  Status IngestSamples(std::span<const LabeledSample> samples) override {
    if (busy) return Status::ResourceExhausted("ingest", "the pipeline is behind; retry shortly");
    std::vector<Sample> out;
    for (const auto& s : samples) {
      auto id = (*store_)->Resolve(s.labels);
      if (!id.ok()) return id.status();
      out.push_back({*id, s.ts_ns, s.value});
    }
    ingested += samples.size();
    return (*store_)->Append(out);
  }
  Result<SeriesId> ResolveSeries(const Labels& labels) override { return (*store_)->Resolve(labels); }
  Status IngestResolved(std::span<const Sample> samples) override {
    if (busy) return Status::ResourceExhausted("ingest", "the pipeline is behind; retry shortly");
    ingested += samples.size();
    return (*store_)->Append(samples);
  }
  Result<json> CollectNow() override { return json{{"samples", 3}}; }
  json StatusJson() const override { return json{{"healthy", healthy}}; }
  json EntitiesJson() const override { return json::array({json{{"entity", "web-1"}}}); }
  Result<json> ModelsJson(const std::string& entity) const override {
    if (!entity.empty() && entity != "web-1") return Status::NotFound("entity", entity);
    return json::array();
  }
  std::string MetricsText() const override { return "foresight_up 1\n"; }
  Status AcknowledgeAlert(const std::string& id, const std::string& user) override {
    acked = id + "/" + user;
    return id == "al-1" ? Status::Ok() : Status::NotFound("alert", id);
  }
  Status Silence(const std::string& entity, TimestampNs until, const std::string&) override {
    silenced = entity;
    return Status::Ok();
  }
  Result<json> InjectScenario(const json&) override { return Status::FailedPrecondition("the simulator is off"); }
  Result<json> ScenariosJson() const override { return Status::FailedPrecondition("the simulator is off"); }
  void OnFeedback(const std::string& id, const std::string& verdict) override { feedback = id + "=" + verdict; }

  bool healthy = true;
  bool busy = false;
  size_t ingested = 0;
  std::string acked, silenced, feedback;

 private:
  storage::SampleStore** store_;
};

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stores_.Open("routes", clock_).ok());
    tsdb_ = &stores_.samples();
    store_ptr_ = tsdb_;
    records_ = &stores_.records();

    // Two series of one metric, a sample per second over the last 10 minutes.
    now_ = clock_.NowNs();
    for (const char* host : {"a", "b"}) {
      auto id = tsdb_->Resolve(Labels{{"__name__", "cpu_usage_percent"}, {"entity", host}});
      ASSERT_TRUE(id.ok());
      std::vector<Sample> samples;
      for (int s = 600; s >= 0; --s) samples.push_back({*id, now_ - s * kNanosPerSecond, 10.0 + s % 60});
      ASSERT_TRUE(tsdb_->Append(samples).ok());
    }
    Prediction p;
    p.id = "web-1:anomaly:1";
    p.entity = "web-1";
    p.kind = "anomaly";
    p.score = 0.9;
    p.severity = Severity::kCritical;
    p.created_at = p.updated_at = now_;
    ASSERT_TRUE(records_->PutPrediction(p).ok());

    ApiContext ctx;
    ctx.samples = tsdb_;
    ctx.records = records_;
    ctx.service = &service_;
    ctx.clock = &clock_;
    ctx.options.max_series_per_query = 1;
    RegisterRoutes(router_, ctx);
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& encoding = "", const std::string& content_type = "") {
    HttpRequest req;
    if (!encoding.empty()) req.headers["content-encoding"] = encoding;
    if (!content_type.empty()) req.headers["content-type"] = content_type;
    req.method = method;
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = ParseQueryString(target.substr(q + 1));
    req.body = body;
    return router_.Dispatch(req);
  }
  static std::string Message(const HttpResponse& r) { return json::parse(r.body)["error"]["message"]; }

  FakeClock clock_;
  storage::testing::TempStores stores_;
  storage::tsdb::Tsdb* tsdb_ = nullptr;
  storage::SqliteRecordStore* records_ = nullptr;
  storage::SampleStore* store_ptr_ = nullptr;
  FakeService service_{&store_ptr_};
  Router router_;
  TimestampNs now_ = 0;
};

TEST_F(RoutesTest, QueryReturnsRawAndDownsampledPoints) {
  auto raw = Call("GET", "/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22a%22%7D&from=now-1m");
  ASSERT_EQ(raw.status, 200) << raw.body;
  json j = json::parse(raw.body);
  EXPECT_EQ(j["data"]["series"][0]["labels"]["entity"], "a");
  EXPECT_EQ(j["data"]["series"][0]["points"].size(), 61u);
  EXPECT_EQ(j["data"]["agg"], "raw");

  auto down = Call("GET", "/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22a%22%7D&from=now-10m&step=1m&agg=max");
  ASSERT_EQ(down.status, 200) << down.body;
  json d = json::parse(down.body);
  EXPECT_GE(d["data"]["series"][0]["points"].size(), 10u);
  EXPECT_LE(d["data"]["series"][0]["points"].size(), 11u);
  for (const auto& p : d["data"]["series"][0]["points"]) EXPECT_LE(p[1].get<double>(), 69.0);
}

TEST_F(RoutesTest, QueryRejectsBadInputNamingTheProblem) {
  struct Case {
    std::string target;
    int status;
    std::string needle;
  } cases[] = {
      {"/api/v1/query", 400, "missing parameter series"},
      {"/api/v1/query?series=cpu%7Bentity%3D", 400, "expected quoted value"},
      {"/api/v1/query?series=no_such_metric", 404, "no_such_metric"},
      {"/api/v1/query?series=cpu_usage_percent", 400, "matches 2 series"},
      {"/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22a%22%7D&from=1800-01-01T00:00:00Z", 400, "parameter from"},
      {"/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22a%22%7D&from=now&to=now-1h", 400, "from is after to"},
      {"/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22a%22%7D&step=fast", 400, "parameter step"},
      {"/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22a%22%7D&from=now-30d&step=1s", 400, "too many points"},
      {"/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22a%22%7D&step=1m&agg=median", 400, "parameter agg"},
  };
  for (const auto& c : cases) {
    auto r = Call("GET", c.target);
    EXPECT_EQ(r.status, c.status) << c.target << " " << r.body;
    EXPECT_NE(Message(r).find(c.needle), std::string::npos) << c.target << ": " << Message(r);
  }
}

TEST_F(RoutesTest, SeriesListsMatchesWithTotal) {
  auto r = Call("GET", "/api/v1/series?match=cpu_usage_percent&limit=1");
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["total"], 2);
  EXPECT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/series?limit=0").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/series?limit=abc").status, 400);
}

TEST_F(RoutesTest, FeedbackIsStoredAndBadBodiesAreRejected) {
  auto ok = Call("POST", "/api/v1/feedback", R"({"prediction_id":"web-1:anomaly:1","verdict":"confirmed","user":"ann"})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(service_.feedback, "web-1:anomaly:1=confirmed");
  auto p = Call("GET", "/api/v1/predictions/web-1:anomaly:1");
  json pj = json::parse(p.body)["data"];
  EXPECT_EQ(pj["feedback"], "confirmed");
  EXPECT_EQ(pj["feedback_history"][0]["user"], "ann");

  EXPECT_NE(Message(Call("POST", "/api/v1/feedback", "{\"prediction_id\": ")).find("malformed JSON at byte"), std::string::npos);
  EXPECT_NE(Message(Call("POST", "/api/v1/feedback", "[1]")).find("JSON object"), std::string::npos);
  EXPECT_NE(Message(Call("POST", "/api/v1/feedback", R"({"verdict":"confirmed"})")).find("\"prediction_id\""), std::string::npos);
  EXPECT_NE(Message(Call("POST", "/api/v1/feedback", R"({"prediction_id":1,"verdict":"confirmed"})")).find("must be a string"),
            std::string::npos);
  auto huge = Call("POST", "/api/v1/feedback", R"({"prediction_id":"web-1:anomaly:1","verdict":"confirmed","n":1e999})");
  EXPECT_EQ(huge.status, 400) << huge.body;  // a number beyond a double is bad input, not a server error
  auto bad_verdict = Call("POST", "/api/v1/feedback", R"({"prediction_id":"web-1:anomaly:1","verdict":"maybe"})");
  EXPECT_EQ(bad_verdict.status, 400);
  auto unknown = Call("POST", "/api/v1/feedback", R"({"prediction_id":"nope","verdict":"dismissed"})");
  EXPECT_EQ(unknown.status, 404);
  // Nothing already stored was lost by the rejected requests.
  EXPECT_EQ(json::parse(Call("GET", "/api/v1/predictions/web-1:anomaly:1").body)["data"]["feedback"], "confirmed");
}

TEST_F(RoutesTest, PredictionFiltersValidateTheirValues) {
  auto all = Call("GET", "/api/v1/predictions?severity=warning&entity=web-1&kind=anomaly");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(json::parse(all.body)["data"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/predictions?severity=loud").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/predictions?kind=guess").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/predictions?since=yesterday").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/predictions/missing").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/predictions?open=perhaps").status, 400);
  auto open = Call("GET", "/api/v1/predictions?open=true");
  ASSERT_EQ(open.status, 200);
  for (const auto& p : json::parse(open.body)["data"]) EXPECT_TRUE(p["open"].get<bool>());
  EXPECT_EQ(Call("GET", "/api/v1/predictions/missing/explanation").status, 404);
}

TEST_F(RoutesTest, AlertActionsGoToTheServiceAndHealthFollowsIt) {
  EXPECT_EQ(Call("POST", "/api/v1/alerts/al-1/ack", R"({"user":"bob"})").status, 200);
  EXPECT_EQ(service_.acked, "al-1/bob");
  EXPECT_EQ(Call("POST", "/api/v1/alerts/al-9/ack").status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/silences", R"({"entity":"web-1","duration":"2h"})").status, 201);
  EXPECT_EQ(service_.silenced, "web-1");
  EXPECT_NE(Message(Call("POST", "/api/v1/silences", R"({"entity":"web-1","duration":"soon"})")).find("duration"),
            std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/simulator/scenarios", R"({"entity":"x","kind":"cpu_runaway"})").status, 409);
  EXPECT_EQ(Call("GET", "/health").status, 200);
  service_.healthy = false;
  EXPECT_EQ(Call("GET", "/health").status, 503);
  auto metrics = Call("GET", "/metrics");
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST_F(RoutesTest, LineProtocolWritesAreStoredAndQueryable) {
  std::string ts = std::to_string(now_ / kNanosPerSecond);
  auto r = Call("POST", "/write?db=x&precision=s",
                "weather,host=h1,station=a\\ 1 temperature=82,humidity=71i,ok=t " + ts + "\n# comment\n");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(service_.ingested, 3u);
  auto q = Call("GET", "/api/v1/query?series=weather_temperature%7Bhost%3D%22h1%22%7D&from=now-1m");
  ASSERT_EQ(q.status, 200) << q.body;
  json j = json::parse(q.body);
  EXPECT_EQ(j["data"]["series"][0]["labels"]["station"], "a 1");
  EXPECT_EQ(j["data"]["series"][0]["points"][0][1], 82.0);
  EXPECT_EQ(Call("POST", "/api/v2/write?org=o&bucket=b&precision=s", "cpu,host=h1 value=1 " + ts).status, 204);
}

TEST_F(RoutesTest, LineProtocolBadLinesKeepTheGoodOnesAndNameTheFirstBadLine) {
  std::string ts = std::to_string(now_ / kNanosPerSecond);
  auto r = Call("POST", "/write?precision=s", "m,host=h v=1 " + ts + "\nm,host=h v=12x " + ts + "\nm,host=h2 v=3 " + ts);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Message(r).find("line 2"), std::string::npos) << Message(r);
  EXPECT_NE(Message(r).find("2 of 3 lines stored"), std::string::npos) << Message(r);
  EXPECT_EQ(service_.ingested, 2u);
  auto bad_precision = Call("POST", "/write?precision=h", "m v=1");
  EXPECT_EQ(bad_precision.status, 400);
  EXPECT_NE(Message(bad_precision).find("precision"), std::string::npos);
  EXPECT_EQ(Call("POST", "/write", "m v=1", "br").status, 415);
  EXPECT_EQ(Call("POST", "/write", "not gzip at all", "gzip").status, 400);
}

TEST_F(RoutesTest, RemoteWriteStoresSeriesAndRejectsCorruptBodies) {
  ingest::RemoteWriteSeries series;
  series.labels = {{"__name__", "node_load1"}, {"instance", "h:9100"}, {"job", "node"}};
  series.samples = {{now_ / kNanosPerMilli - 1000, 0.5}, {now_ / kNanosPerMilli, 0.75}};
  std::string body = ingest::EncodeRemoteWriteForTest({series});
  auto r = Call("POST", "/api/v1/write", body, "snappy");
  ASSERT_EQ(r.status, 204) << r.body;
  auto q = Call("GET", "/api/v1/query?series=node_load1%7Bjob%3D%22node%22%7D&from=now-1m");
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_EQ(json::parse(q.body)["data"]["series"][0]["points"].size(), 2u);
  auto corrupt = Call("POST", "/api/v1/write", "not snappy", "snappy");
  EXPECT_EQ(corrupt.status, 400);
  EXPECT_NE(Message(corrupt).find("snappy"), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/write", body, "gzip").status, 415);
}

TEST_F(RoutesTest, LineProtocolBackpressureAnswers429WithRetryAfter) {
  service_.busy = true;
  auto r = Call("POST", "/write", "m,host=h v=1");
  EXPECT_EQ(r.status, 429);
  bool retry_after = false;
  for (const auto& [k, v] : r.headers) retry_after |= k == "Retry-After";
  EXPECT_TRUE(retry_after);
}

// OTLP/HTTP's busy answer: 429 with Retry-After and a google.rpc.Status body in the request's encoding
// (here JSON), naming why; nothing of the request is stored.
TEST_F(RoutesTest, OtlpBackpressureAnswers429WithRetryAfterAndAStatusBody) {
  service_.busy = true;
  const std::string body = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"h"}}]},
    "scopeMetrics":[{"metrics":[{"name":"queue_depth","gauge":{"dataPoints":[{"asDouble":3}]}}]}]}]})";
  auto r = Call("POST", "/v1/metrics", body, "", "application/json");
  EXPECT_EQ(r.status, 429) << r.body;
  bool retry_after = false;
  for (const auto& [k, v] : r.headers) retry_after |= k == "Retry-After";
  EXPECT_TRUE(retry_after);
  json status = json::parse(r.body);
  ASSERT_TRUE(status.contains("code") && status["code"].is_number_integer()) << r.body;
  EXPECT_NE(status["code"].get<int>(), 0) << r.body;
  EXPECT_NE(status["message"].get<std::string>().find("behind"), std::string::npos) << r.body;
  EXPECT_EQ(service_.ingested, 0u);
  service_.busy = false;
  EXPECT_EQ(Call("POST", "/v1/metrics", body, "", "application/json").status, 200);
  EXPECT_EQ(service_.ingested, 1u);
}

// ingest.otlp_max_exponential_buckets reaches the decoder: 8 populated buckets become at most 2 finite
// le buckets (plus +Inf) under a limit of 2, and all 8 under the default.
TEST_F(RoutesTest, OtlpExponentialBucketLimitComesFromTheIngestOptions) {
  auto buckets_after_post = [&](size_t limit, const std::string& name) {
    ApiContext ctx;
    ctx.samples = tsdb_;
    ctx.records = records_;
    ctx.service = &service_;
    ctx.clock = &clock_;
    if (limit > 0) ctx.options.ingest.otlp_max_exponential_buckets = limit;
    Router router;
    RegisterRoutes(router, ctx);
    HttpRequest req;
    req.method = "POST";
    req.target = req.path = "/v1/metrics";
    req.headers["content-type"] = "application/json";
    req.body = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"h"}}]},
      "scopeMetrics":[{"metrics":[{"name":")" + name + R"(","exponentialHistogram":{"aggregationTemporality":2,
      "dataPoints":[{"count":"8","sum":40,"scale":0,"positive":{"offset":0,"bucketCounts":["1","1","1","1","1","1","1","1"]}}]}}]}]}]})";
    HttpResponse r = router.Dispatch(req);
    EXPECT_EQ(r.status, 200) << r.body;
    auto series = tsdb_->Select(std::vector<storage::LabelMatcher>{{"__name__", storage::MatchOp::kEqual, name + "_bucket"}});
    EXPECT_TRUE(series.ok());
    return series.ok() ? series->size() : 0;
  };
  EXPECT_EQ(buckets_after_post(0, "latency_default"), 9u);  // 8 finite + +Inf
  EXPECT_LE(buckets_after_post(2, "latency_limited"), 3u);  // at most 2 finite + +Inf
}

}  // namespace
}  // namespace foresight::api

// End to end through the real binary on 127.0.0.1: OTLP/HTTP from the real OpenTelemetry Python SDK
// (scripts/otel-venv.sh installs it into the build tree) and OTLP JSON, JSON log lines, events and syslog
// over real UDP and TCP sockets; every source is asserted through the query API.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../support/api_json.h"
#include "../support/http_client.h"
#include "../support/subprocess.h"

namespace foresight {
namespace {

using nlohmann::json;
using testing::FreePort;
using testing::GetJson;
using testing::HttpCall;
using testing::Subprocess;
using testing::WaitFor;
namespace fs = std::filesystem;

std::string Enc(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Extra headers for HttpCall that set the Content-Type: HttpCall appends its own (application/json) after
// them and the server keeps the last, so the trailing X-Pad swallows HttpCall's line as its value.
std::string ContentType(const std::string& type) { return "Content-Type: " + type + "\r\nX-Pad: "; }

class IngestE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("foresight-ingest-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (server_.running()) EXPECT_EQ(server_.Stop(SIGTERM, std::chrono::seconds(30)), 0) << server_.Output();
    fs::remove_all(dir_);
  }

  void Serve(std::vector<std::string> extra = {}) {
    port_ = FreePort();
    std::vector<std::string> argv = {FORESIGHT_BINARY, "serve", "--no-host", "--port", std::to_string(port_), "--data-dir",
                                     (dir_ / "data").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_TRUE(server_.Start(argv, (dir_ / "serve.log").string()));
    ASSERT_TRUE(WaitFor([&] { return HttpCall(port_, "GET", "/health").status == 200; }, std::chrono::seconds(60)))
        << server_.Output();
  }

  // Series matching `selector` (waits until at least `min` exist).
  json Series(const std::string& selector, int min = 1) {
    json j;
    WaitFor([&] {
      auto r = HttpCall(port_, "GET", "/api/v1/series?match=" + Enc(selector));
      j = json::parse(r.body, nullptr, false);
      return r.status == 200 && j.value("total", 0) >= min;
    }, std::chrono::seconds(30));
    return j;
  }

  // The largest value `series` took in the last 10 minutes (-1 when it has no points).
  double MaxValue(const std::string& series) {
    auto r = HttpCall(port_, "GET", "/api/v1/query?series=" + Enc(series) + "&from=now-10m");
    json j = json::parse(r.body, nullptr, false);
    double best = -1;
    if (j.value("status", "") != "success") return best;
    for (const auto& s : j["data"]["series"]) {
      for (const auto& p : s["points"]) best = std::max(best, p[1].get<double>());
    }
    return best;
  }

  // The sum of `series`' points in the last 10 minutes: the total of a per-interval count, whichever
  // intervals the lines fell into.
  double SumValue(const std::string& series) {
    auto r = HttpCall(port_, "GET", "/api/v1/query?series=" + Enc(series) + "&from=now-10m");
    json j = json::parse(r.body, nullptr, false);
    double sum = 0;
    if (j.value("status", "") != "success") return -1;
    for (const auto& s : j["data"]["series"]) {
      for (const auto& p : s["points"]) sum += p[1].get<double>();
    }
    return sum;
  }

  fs::path dir_;
  uint16_t port_ = 0;
  Subprocess server_;
};

TEST_F(IngestE2ETest, OpenTelemetryPythonSdkExportsMetricsAndLogs) {
  // The SDK and its OTLP/HTTP exporter from PyPI, in a venv under the build tree (created once).
  std::string cmd = std::string(FORESIGHT_SOURCE_DIR) + "/scripts/otel-venv.sh " + FORESIGHT_BUILD_DIR + "/otel-venv";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096] = {};
  std::string python;
  while (fgets(buf, sizeof(buf), p) != nullptr) python += buf;
  ASSERT_EQ(::pclose(p), 0) << "scripts/otel-venv.sh failed: " << python;
  while (!python.empty() && (python.back() == '\n' || python.back() == ' ')) python.pop_back();

  Serve();
  Subprocess exporter;
  ASSERT_TRUE(exporter.Start({python, std::string(FORESIGHT_SOURCE_DIR) + "/tests/e2e/otlp_export.py", std::to_string(port_)},
                             (dir_ / "otlp_export.log").string()));
  ASSERT_EQ(exporter.Wait(std::chrono::seconds(60)), 0) << exporter.Output() << server_.Output();

  // Gauge, monotonic counter (_total), histogram (_bucket/_sum/_count); resource attributes as labels and
  // the entity from host.name.
  json gauge = Series("queue_depth");
  ASSERT_EQ(gauge.value("total", 0), 1) << gauge.dump();
  const json& labels = gauge["data"][0]["labels"];
  EXPECT_EQ(labels["entity"], "otel-host-1");
  EXPECT_EQ(labels["service_name"], "checkout");
  EXPECT_EQ(labels["host_name"], "otel-host-1");
  EXPECT_EQ(labels["deployment_environment"], "e2e");
  EXPECT_EQ(labels["queue"], "orders");
  EXPECT_FALSE(labels.contains("telemetry_sdk_language"));
  EXPECT_EQ(MaxValue("queue_depth{entity=\"otel-host-1\"}"), 7);
  EXPECT_EQ(MaxValue("orders_placed_total{region=\"eu\"}"), 10);
  EXPECT_EQ(MaxValue("request_duration_count{route=\"/pay\"}"), 10);
  EXPECT_EQ(MaxValue("request_duration_bucket{le=\"+Inf\"}"), 10);
  json buckets = Series("request_duration_bucket", 2);
  EXPECT_GE(buckets.value("total", 0), 2);

  // Delta temporality, exported twice (3, then 4): stored as the running total.
  EXPECT_EQ(MaxValue("jobs_processed_total{entity=\"otel-host-1\",queue=\"q1\"}"), 7);
  // A delta exponential histogram (0, 1.5, 3, then 3, 100; the two exports at different scales) as
  // cumulative buckets: le="0" is the zero bucket; 4 = 2^2 is a bucket bound at any scale >= -1.
  EXPECT_EQ(MaxValue("payment_amount_count{entity=\"otel-host-1\"}"), 5);
  EXPECT_EQ(MaxValue("payment_amount_sum{entity=\"otel-host-1\"}"), 107.5);
  EXPECT_EQ(MaxValue("payment_amount_bucket{entity=\"otel-host-1\",le=\"0\"}"), 1);
  EXPECT_EQ(MaxValue("payment_amount_bucket{entity=\"otel-host-1\",le=\"4\"}"), 4);
  EXPECT_EQ(MaxValue("payment_amount_bucket{entity=\"otel-host-1\",le=\"+Inf\"}"), 5);
  json exp_buckets = Series("payment_amount_bucket", 3);
  EXPECT_GE(exp_buckets.value("total", 0), 3);
  EXPECT_LE(exp_buckets.value("total", 0), 2 * 33) << "at most 32 finite buckets per point";

  // Logs: mined into templates, counted per entity at the next collect tick.
  json tpl;
  ASSERT_TRUE(WaitFor([&] {
    tpl = json::parse(HttpCall(port_, "GET", "/api/v1/logs/templates?entity=otel-host-1").body, nullptr, false);
    return tpl.value("status", "") == "success" && tpl["data"].size() == 2;
  }, std::chrono::seconds(30))) << tpl.dump();
  EXPECT_EQ(tpl["data"][0]["template"], "order <*> paid in <*> ms");
  EXPECT_EQ(tpl["data"][0]["count"], 5);
  EXPECT_EQ(tpl["data"][0]["example"], "order 1000 paid in 20 ms");
  EXPECT_EQ(tpl["data"][1]["template"], "payment gateway timeout after <*> ms");
  const std::string error_tid = tpl["data"][1]["id"];
  // Per-interval counts: the SDK sends each record on its own, so they may span intervals; sum them.
  ASSERT_TRUE(WaitFor([&] { return SumValue("log_lines_total{entity=\"otel-host-1\"}") == 6; }, std::chrono::seconds(30)));
  EXPECT_EQ(SumValue("log_error_lines{entity=\"otel-host-1\"}"), 1);
  EXPECT_EQ(SumValue("log_template_count{entity=\"otel-host-1\",severity=\"error\",template_id=\"" + error_tid + "\"}"), 1);
}

TEST_F(IngestE2ETest, OtlpJsonEncodingAndErrors) {
  Serve();
  std::string body = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"json-host"}}]},
    "scopeMetrics":[{"metrics":[{"name":"temp.celsius","gauge":{"dataPoints":[{"asDouble":21.5}]}},
      {"name":"jobs","sum":{"isMonotonic":true,"aggregationTemporality":2,"dataPoints":[{"asInt":"12"}]}}]}]}]})";
  auto r = HttpCall(port_, "POST", "/v1/metrics", body);  // HttpCall sends Content-Type: application/json
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(MaxValue("temp_celsius{entity=\"json-host\"}"), 21.5);
  EXPECT_EQ(MaxValue("jobs_total{entity=\"json-host\"}"), 12);

  // A rejected point is a partial success naming it; the good point is stored.
  std::string partial = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"json-host"}}]},
    "scopeMetrics":[{"metrics":[{"name":"ok.gauge","gauge":{"dataPoints":[{"asDouble":1}]}},
      {"name":"bad.hist","histogram":{"dataPoints":[{"count":"1","bucketCounts":["1"],"explicitBounds":[1]}]}}]}]}]})";
  r = HttpCall(port_, "POST", "/v1/metrics", partial);
  ASSERT_EQ(r.status, 200) << r.body;
  json pj = json::parse(r.body);
  EXPECT_EQ(pj["partialSuccess"]["rejectedDataPoints"], "1");
  EXPECT_NE(pj["partialSuccess"]["errorMessage"].get<std::string>().find("bad.hist"), std::string::npos);
  EXPECT_EQ(MaxValue("ok_gauge{entity=\"json-host\"}"), 1);

  // Failures are a google.rpc.Status in the request's encoding: JSON {"code":3,"message":...} here,
  // protobuf (code = field 1, message = field 2) for a protobuf request.
  r = HttpCall(port_, "POST", "/v1/metrics", R"({"resourceMetrics":[{"scopeMetrics":"x"}]})");
  EXPECT_EQ(r.status, 400);
  json status = json::parse(r.body, nullptr, false);
  EXPECT_EQ(status.value("code", 0), 3) << r.body;
  EXPECT_NE(status.value("message", "").find("resourceMetrics[0].scopeMetrics"), std::string::npos) << r.body;
  r = HttpCall(port_, "POST", "/v1/logs", "\xff\xff", ContentType("application/x-protobuf"));
  EXPECT_EQ(r.status, 400) << r.body;
  const std::string message = "protobuf: cannot parse ExportLogsServiceRequest";
  EXPECT_EQ(r.body, std::string("\x08\x03\x12") + static_cast<char>(message.size()) + message);
  r = HttpCall(port_, "POST", "/v1/metrics", "{}", "Content-Encoding: br\r\n");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(json::parse(r.body, nullptr, false).value("code", 0), 3) << r.body;
  // An unknown Content-Type: the plain error (no encoding to write a Status in).
  r = HttpCall(port_, "POST", "/v1/metrics", "x", ContentType("text/plain"));
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_NE(r.body.find("is not OTLP/HTTP"), std::string::npos) << r.body;
}

TEST_F(IngestE2ETest, JsonLogsEventsAndSyslogBecomeSeries) {
  const uint16_t syslog_port = FreePort();
  Serve({"--syslog-listen", "127.0.0.1:" + std::to_string(syslog_port)});

  // JSON lines: one bad line is named, the good ones are kept.
  std::string logs =
      "{\"message\":\"user 17 logged in from 10.0.0.4\",\"entity\":\"web-1\",\"severity\":\"info\"}\n"
      "{\"message\":\"user 18 logged in from 10.0.0.9\",\"host\":\"web-1\"}\n"
      "{\"entity\":\"web-1\"}\n"
      "{\"msg\":\"disk /dev/sda1 full\",\"entity\":\"web-1\",\"level\":\"error\"}\n";
  auto r = HttpCall(port_, "POST", "/api/v1/logs", logs);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("line 3: missing \\\"message\\\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("3 of 4 lines accepted"), std::string::npos) << r.body;

  // Events: checkouts per minute become series.
  std::string events = R"([{"type":"checkout","entity":"shop-1","fields":{"amount":20}},
                           {"type":"checkout","entity":"shop-1","fields":{"amount":5}},
                           {"type":"login_failed","entity":"auth"}])";
  r = HttpCall(port_, "POST", "/api/v1/events", events);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["data"]["accepted"], 3);
  r = HttpCall(port_, "POST", "/api/v1/events", "{\"type\":\"checkout\"}\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("missing \\\"entity\\\""), std::string::npos) << r.body;

  // Syslog: RFC 5424 over UDP, RFC 3164 over TCP (octet counting).
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(syslog_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int u = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::string dgram = "<11>1 2026-11-24T07:00:00Z db-7 postgres 42 - - could not connect to 10.1.1.1:5432";
  ASSERT_GT(::sendto(u, dgram.data(), dgram.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(u);
  int t = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(t, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string m = "<14>Nov 24 07:00:01 db-7 cron[9]: job 3 finished";
  std::string framed = std::to_string(m.size()) + " " + m;
  ASSERT_EQ(::send(t, framed.data(), framed.size(), 0), static_cast<ssize_t>(framed.size()));
  ::close(t);

  // Per-interval counts, summed (lines sent separately may fall into different intervals).
  ASSERT_TRUE(WaitFor([&] { return SumValue("log_lines_total{entity=\"web-1\"}") == 3; }, std::chrono::seconds(30)))
      << server_.Output();
  EXPECT_EQ(SumValue("log_error_lines{entity=\"web-1\"}"), 1);
  ASSERT_TRUE(WaitFor([&] { return SumValue("log_lines_total{entity=\"db-7\"}") == 2; }, std::chrono::seconds(30)))
      << server_.Output();
  EXPECT_EQ(SumValue("log_error_lines{entity=\"db-7\"}"), 1);
  EXPECT_EQ(SumValue("event_count{type=\"checkout\",entity=\"shop-1\"}"), 2);
  EXPECT_EQ(MaxValue("event_rate_per_min{type=\"checkout\",entity=\"shop-1\"}"), 2);
  EXPECT_EQ(SumValue("event_amount_sum{type=\"checkout\",entity=\"shop-1\"}"), 25);
  EXPECT_EQ(SumValue("event_count{type=\"login_failed\",entity=\"auth\"}"), 1);

  json tpl = json::parse(HttpCall(port_, "GET", "/api/v1/logs/templates?entity=web-1").body);
  ASSERT_EQ(tpl["data"].size(), 2u) << tpl.dump();
  EXPECT_EQ(tpl["data"][0]["count"], 2);
  EXPECT_NE(tpl["data"][0]["template"].get<std::string>().find("logged in from <*>"), std::string::npos);
  EXPECT_EQ(HttpCall(port_, "GET", "/api/v1/logs/templates?limit=0").status, 400);
}

TEST_F(IngestE2ETest, LimitsAreNamedAndGoodLinesKept) {
  std::ofstream(dir_ / "f.yaml") << "ingest:\n  max_line_bytes: 200\n  max_labels_per_series: 4\n  max_series: 3\n";
  port_ = FreePort();
  ASSERT_TRUE(server_.Start({FORESIGHT_BINARY, "serve", "--no-host", "--port", std::to_string(port_), "--data-dir",
                             (dir_ / "data").string(), "--config", (dir_ / "f.yaml").string()},
                            (dir_ / "serve.log").string()));
  ASSERT_TRUE(WaitFor([&] { return HttpCall(port_, "GET", "/health").status == 200; }, std::chrono::seconds(60)));
  std::string lp = "m,host=a value=1\nm,host=a,x=1,y=2,z=3 value=2\nm,host=" + std::string(300, 'b') +
                   " value=3\nm,host=c value=4\n";
  auto r = HttpCall(port_, "POST", "/write", lp);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("line 2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("ingest.max_labels_per_series"), std::string::npos) << r.body;
  EXPECT_EQ(MaxValue("m{host=\"a\"}"), 1);
  EXPECT_EQ(MaxValue("m{host=\"c\"}"), 4);
  // Cardinality: the endpoint has 2 series; 2 more new ones: one admitted, one refused by name.
  r = HttpCall(port_, "POST", "/write", "m,host=d value=5\nm,host=e value=6\n");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("ingest.max_series"), std::string::npos) << r.body;
  EXPECT_EQ(MaxValue("m{host=\"d\"}"), 5);
  EXPECT_EQ(MaxValue("m{host=\"e\"}"), -1);
  r = HttpCall(port_, "POST", "/api/v1/logs", "{\"message\":\"" + std::string(300, 'x') + "\"}\n{\"message\":\"ok\"}\n");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("ingest.max_line_bytes"), std::string::npos) << r.body;
}

// Pushed series feed the models like the built-in collector's: 25 minutes of a Telegraf-like app's
// line protocol (gauges, a cumulative counter, a histogram bucket) make the entity's model, trained on
// the gauges only, and a limit past detector.max_pushed_series is honoured.
TEST_F(IngestE2ETest, PushedGaugesTrainTheEntityModel) {
  std::ofstream(dir_ / "d.yaml") << "detector:\n  warmup: 5m\n  max_pushed_series: 3\n";
  Serve({"--config", (dir_ / "d.yaml").string()});
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  std::string lp;
  for (int i = 150; i >= 0; --i) {  // every 10 s for 25 min, oldest first
    const int64_t ts = now_s - i * 10;
    const int k = 150 - i;
    lp += "app,host=app-1 queue_depth=" + std::to_string(10 + k % 7) + ",latency_ms=" + std::to_string(80 + (k * 13) % 11) +
          ",requests_total=" + std::to_string(1000 * k) + "i " + std::to_string(ts) + "\n";
    lp += "app_latency_bucket,host=app-1,le=0.5 value=" + std::to_string(k) + " " + std::to_string(ts) + "\n";
    lp += "app,host=app-1 workers=" + std::to_string(4 + k % 2) + ",threads=" + std::to_string(40 + k % 3) + " " +
          std::to_string(ts) + "\n";
  }
  auto r = HttpCall(port_, "POST", "/write?precision=s", lp);
  ASSERT_EQ(r.status, 204) << r.body;

  json models;
  ASSERT_TRUE(WaitFor([&] {
    models = GetJson(port_, "/api/v1/models?entity=app-1");
    return models.contains("data") && !models["data"].empty() && models["data"][0].contains("model") &&
           !models["data"][0]["model"].is_null();
  }, std::chrono::seconds(90))) << models.dump() << server_.Output();
  const std::string m = models["data"][0]["model"].dump();
  // The first three gauges seen are in the model; the counter, the bucket and the gauge past the limit
  // of 3 are not.
  EXPECT_NE(m.find("app_queue_depth"), std::string::npos) << m;
  EXPECT_NE(m.find("app_latency_ms"), std::string::npos) << m;
  EXPECT_NE(m.find("app_workers"), std::string::npos) << m;
  EXPECT_EQ(m.find("app_requests_total"), std::string::npos) << m;
  EXPECT_EQ(m.find("app_latency_bucket"), std::string::npos) << m;
  EXPECT_EQ(m.find("app_threads"), std::string::npos) << m;
  // Every pushed series stays queryable, modelled or not.
  EXPECT_EQ(MaxValue("app_requests_total{host=\"app-1\"}"), 150000);
  EXPECT_GE(MaxValue("app_threads{host=\"app-1\"}"), 40);
}

}  // namespace
}  // namespace foresight

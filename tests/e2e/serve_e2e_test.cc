// End to end: the real `foresight serve --simulate` binary on 127.0.0.1, driven over real HTTP.
// An injected failure must raise an alert for the right entity; a restart must keep predictions,
// feedback and models; bad input must get 4xx with a message and lose nothing.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

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

class ServeE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("foresight-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    port_ = FreePort();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> ServeArgs() {
    return {FORESIGHT_BINARY, "serve", "--simulate", "6", "--seed", "7", "--port", std::to_string(port_),
            "--data-dir", (dir_ / "data").string(), "--warmup", "5m", "--retrain-interval", "6h",
            "--scenarios-per-hour", "0"};
  }

  bool StartServer(Subprocess& p, const std::string& log) {
    if (!p.Start(ServeArgs(), (dir_ / log).string())) return false;
    return WaitFor([&] { return HttpCall(port_, "GET", "/health").status == 200; }, std::chrono::seconds(60));
  }

  fs::path dir_;
  uint16_t port_ = 0;
};

TEST_F(ServeE2ETest, InjectedFailureAlertsRightEntityAndRestartKeepsState) {
  Subprocess server;
  ASSERT_TRUE(StartServer(server, "run1.log")) << server.Output();

  // Real host and simulated fleet both appear; the fleet is marked simulated.
  json entities;
  ASSERT_TRUE(WaitFor([&] {
    entities = GetJson(port_, "/api/v1/entities");
    return entities.contains("data") && entities["data"].size() >= 7;
  }, std::chrono::seconds(120))) << entities.dump();  // after a day's backfill: slow when CI runs tests in parallel
  std::string target;
  int real = 0, simulated = 0;
  for (const auto& e : entities["data"]) {
    if (e["simulated"].get<bool>()) {
      ++simulated;
      if (target.empty() && e["kind"] == "service") target = e["entity"];
    } else {
      ++real;
    }
  }
  EXPECT_EQ(simulated, 6);
  EXPECT_GE(real, 1);
  ASSERT_FALSE(target.empty()) << entities.dump();

  // POST /collect runs a collection now; the series index and self-metrics reflect it.
  auto collect = HttpCall(port_, "POST", "/collect");
  ASSERT_EQ(collect.status, 200) << collect.body;
  EXPECT_GT(json::parse(collect.body)["data"]["samples"].get<int>(), 0);
  json series = GetJson(port_, "/api/v1/series?match=memory_used_percent%7Bsimulated%3D%22true%22%7D");
  EXPECT_EQ(series["total"].get<int>(), 6) << series.dump();
  json host_series = GetJson(port_, "/api/v1/series?match=host_memory_used_percent");
  EXPECT_EQ(host_series["total"].get<int>(), 1) << host_series.dump();
  auto metrics = HttpCall(port_, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("# TYPE foresight_samples_ingested_total counter"), std::string::npos);
  EXPECT_NE(metrics.headers.find("text/plain; version=0.0.4"), std::string::npos);

  // The backfilled day trains every simulated entity without waiting for live warm-up.
  ASSERT_TRUE(WaitFor([&] {
    json m = GetJson(port_, "/api/v1/models?entity=" + target);
    return m.contains("data") && !m["data"].empty();
  }, std::chrono::seconds(120))) << server.Output();

  // Inject a CPU runaway on the target and expect an alert for exactly that entity.
  auto inj = HttpCall(port_, "POST", "/api/v1/simulator/scenarios",
                      json{{"entity", target}, {"kind", "cpu_runaway"}, {"duration", "30m"}}.dump());
  ASSERT_EQ(inj.status, 201) << inj.body;
  json alerts;
  ASSERT_TRUE(WaitFor([&] {
    alerts = GetJson(port_, "/api/v1/alerts?entity=" + target);
    return alerts.contains("data") && !alerts["data"].empty();
  }, std::chrono::seconds(90))) << server.Output();
  const json& alert = alerts["data"][0];
  EXPECT_EQ(alert["entity"], target);
  EXPECT_NE(alert["severity"], "info");
  EXPECT_NE(alert["message"].get<std::string>().find(target), std::string::npos);
  // The console channel printed one structured line for it.
  EXPECT_NE(server.Output().find("entity=" + target), std::string::npos);

  // The prediction behind it explains itself and can be confirmed.
  std::string pred_id = alert["prediction_id"];
  json pred = GetJson(port_, "/api/v1/predictions/" + pred_id);
  ASSERT_EQ(pred["status"], "success") << pred.dump();
  EXPECT_EQ(pred["data"]["entity"], target);
  EXPECT_FALSE(pred["data"]["attributions"].empty());
  EXPECT_FALSE(pred["data"]["actions"].empty());
  auto fb = HttpCall(port_, "POST", "/api/v1/feedback",
                     json{{"prediction_id", pred_id}, {"verdict", "confirmed"}, {"user", "e2e"}}.dump());
  ASSERT_EQ(fb.status, 201) << fb.body;

  // Bad input: 4xx with a message naming the problem, and the server keeps running.
  auto bad_json = HttpCall(port_, "POST", "/api/v1/feedback", "{\"prediction_id\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("malformed JSON"), std::string::npos);
  auto unknown = HttpCall(port_, "GET", "/api/v1/query?series=no_such_metric");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("no_such_metric"), std::string::npos);
  auto out_of_range = HttpCall(port_, "GET", "/api/v1/query?series=cpu_usage_percent&from=1800-01-01T00:00:00Z");
  EXPECT_EQ(out_of_range.status, 400);
  EXPECT_NE(out_of_range.body.find("from"), std::string::npos);
  auto oversized = HttpCall(port_, "POST", "/api/v1/feedback", std::string(9 << 20, 'x'));
  EXPECT_EQ(oversized.status, 413);
  auto unknown_pred = HttpCall(port_, "POST", "/api/v1/feedback",
                               json{{"prediction_id", "nope"}, {"verdict", "confirmed"}}.dump());
  EXPECT_EQ(unknown_pred.status, 404);
  EXPECT_EQ(HttpCall(port_, "GET", "/health").status, 200);

  // Query API returns the stored samples for the target.
  json q = GetJson(port_, "/api/v1/query?series=cpu_usage_percent%7Bentity%3D%22" + target + "%22%7D&from=now-10m&step=1m");
  ASSERT_EQ(q["status"], "success") << q.dump();
  EXPECT_FALSE(q["data"]["series"][0]["points"].empty());

  json metrics_before = GetJson(port_, "/api/v1/models?entity=" + target);
  int64_t version_before = metrics_before["data"][0]["active_version"];
  ASSERT_EQ(server.Stop(SIGTERM, std::chrono::seconds(30)), 0) << server.Output();

  // Restart on the same data dir: the prediction, its feedback and the model survive.
  Subprocess again;
  ASSERT_TRUE(StartServer(again, "run2.log")) << again.Output();
  // The models' features resumed from the stored last window, not from empty ones.
  EXPECT_NE(again.Output().find("warmed the features of"), std::string::npos) << again.Output();
  json kept = GetJson(port_, "/api/v1/predictions/" + pred_id);
  ASSERT_EQ(kept["status"], "success") << kept.dump();
  EXPECT_EQ(kept["data"]["feedback"], "confirmed");
  json kept_alerts = GetJson(port_, "/api/v1/alerts?entity=" + target);
  EXPECT_FALSE(kept_alerts["data"].empty());
  json models_after;
  ASSERT_TRUE(WaitFor([&] {
    models_after = GetJson(port_, "/api/v1/models?entity=" + target);
    return models_after.contains("data") && !models_after["data"].empty();
  }, std::chrono::seconds(30)));
  EXPECT_EQ(models_after["data"][0]["active_version"].get<int64_t>(), version_before);
  EXPECT_EQ(again.Stop(SIGTERM, std::chrono::seconds(30)), 0);
}

TEST_F(ServeE2ETest, InvalidConfigFileExitsWithCodeTwoNamingFileAndLine) {
  fs::path cfg = dir_ / "bad.yaml";
  std::ofstream(cfg) << "server:\n  port: 8080\n  prot: 1\n";
  Subprocess p;
  ASSERT_TRUE(p.Start({FORESIGHT_BINARY, "serve", "--config", cfg.string()}, (dir_ / "bad.log").string()));
  EXPECT_EQ(p.Wait(std::chrono::seconds(30)), 2);
  std::string out = p.Output();
  EXPECT_NE(out.find(cfg.string() + ":3"), std::string::npos) << out;
  EXPECT_NE(out.find("prot"), std::string::npos) << out;
}

TEST_F(ServeE2ETest, UnknownFlagExitsWithCodeTwo) {
  Subprocess p;
  ASSERT_TRUE(p.Start({FORESIGHT_BINARY, "serve", "--no-such-flag"}, (dir_ / "flag.log").string()));
  EXPECT_EQ(p.Wait(std::chrono::seconds(30)), 2);
  EXPECT_NE(p.Output().find("no-such-flag"), std::string::npos);
}

}  // namespace
}  // namespace foresight

// End to end: the real `foresight serve --simulate` binary with a memory leak that started three hours
// ago (so its ramp is in the backfilled history) and reaches 100 % two hours from now. The forecast stage
// must say so: a forecast for worker-1's memory with an ETA near 2 h, a warning prediction with the
// headline, evidence and actions, an alert reading "worker-1 likely to hit its memory_used_percent limit
// (100) in ...", an explanation, and the anomaly side's TreeSHAP explanation must add up.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
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

class ForecastE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("foresight-forecast-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    port_ = FreePort();
    std::ofstream(dir_ / "foresight.yaml") << "forecast:\n"
                                              "  interval: 2s\n"
                                              "limits:\n"
                                              "  - name: api latency SLO\n"
                                              "    selector: response_time_ms{entity=\"api-1\"}\n"
                                              "    threshold: 5000\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  uint16_t port_ = 0;
};

TEST_F(ForecastE2ETest, LeakInProgressGetsAnEtaAWarningAndAnAlert) {
  Subprocess server;
  ASSERT_TRUE(server.Start({FORESIGHT_BINARY, "serve", "--config", (dir_ / "foresight.yaml").string(), "--simulate", "6",
                            "--seed", "7", "--no-host", "--port", std::to_string(port_), "--data-dir",
                            (dir_ / "data").string(), "--backfill", "12h", "--scenarios-per-hour", "0", "--inject",
                            "memory_leak:worker-1@now-3h/5h"},
                           (dir_ / "serve.log").string()));
  ASSERT_TRUE(WaitFor([&] { return HttpCall(port_, "GET", "/health").status == 200; }, std::chrono::seconds(60)))
      << server.Output();

  // The forecast of worker-1's memory: 2 h left (the ramp reaches 100 % at start + 5 h).
  json mem;
  ASSERT_TRUE(WaitFor([&] {
    json f = GetJson(port_, "/api/v1/forecasts?entity=worker-1");
    if (!f.contains("data")) return false;
    for (const auto& r : f["data"]) {
      if (r["metric"] == "memory_used_percent" && r["eta"].is_number() && r["prediction_id"].is_string()) mem = r;
    }
    return !mem.is_null();
  }, std::chrono::seconds(60))) << server.Output();
  const double now_ms = mem["evaluated_at"].get<double>();
  const double eta_h = (mem["eta"].get<double>() - now_ms) / 3.6e6;
  EXPECT_NEAR(eta_h, 2.0, 0.4) << mem.dump();
  EXPECT_EQ(mem["limit"], 100.0);
  EXPECT_EQ(mem["limit_source"], "built-in");
  EXPECT_FALSE(mem["band"].empty());
  EXPECT_GT(mem["probability"].get<double>(), 0.8);

  // Every limited series of the fleet is listed, with a forecast or a reason; none has NaN.
  json all = GetJson(port_, "/api/v1/forecasts");
  ASSERT_TRUE(all.contains("data"));
  bool slo = false;
  for (const auto& r : all["data"]) {
    EXPECT_TRUE(r["method"].is_string() || r["reason"].is_string()) << r.dump();
    if (r["rule"] == "api latency SLO") slo = true;
  }
  EXPECT_TRUE(slo) << "the configured limit is watched";
  EXPECT_EQ(all.dump().find("NaN"), std::string::npos);

  // The prediction: what, when, why, what to do.
  const std::string id = mem["prediction_id"];
  json p = GetJson(port_, "/api/v1/predictions/" + id);
  ASSERT_TRUE(p.contains("data")) << p.dump();
  p = p["data"];
  EXPECT_EQ(p["kind"], "forecast");
  EXPECT_EQ(p["entity"], "worker-1");
  EXPECT_EQ(p["resource"], "memory_used_percent");
  EXPECT_EQ(p["severity"], "warning");
  EXPECT_TRUE(p["open"].get<bool>());
  EXPECT_TRUE(p.contains("eta") && p.contains("eta_low")) << p.dump();
  EXPECT_NE(p["details"]["headline"].get<std::string>().find("worker-1 likely to hit its memory_used_percent limit (100) in"),
            std::string::npos)
      << p.dump();
  EXPECT_NE(p["evidence"].get<std::string>().find("trend +"), std::string::npos) << p.dump();
  ASSERT_FALSE(p["actions"].empty());
  json ex = GetJson(port_, "/api/v1/predictions/" + id + "/explanation");
  ASSERT_TRUE(ex.contains("data")) << ex.dump();
  EXPECT_FALSE(ex["data"]["metrics"].empty());

  // Filters: kind and open.
  json forecasts = GetJson(port_, "/api/v1/predictions?kind=forecast&open=true");
  ASSERT_TRUE(forecasts.contains("data"));
  EXPECT_GE(forecasts["data"].size(), 1u);
  for (const auto& f : forecasts["data"]) EXPECT_EQ(f["kind"], "forecast");
  int status = 0;
  GetJson(port_, "/api/v1/predictions?open=maybe", &status);
  EXPECT_EQ(status, 400);

  // The alert reads as the headline.
  json alert;
  ASSERT_TRUE(WaitFor([&] {
    json a = GetJson(port_, "/api/v1/alerts?entity=worker-1");
    if (!a.contains("data")) return false;
    for (const auto& x : a["data"]) {
      if (x["prediction_id"] == id) alert = x;
    }
    return !alert.is_null();
  }, std::chrono::seconds(20))) << server.Output();
  EXPECT_EQ(alert["message"].get<std::string>().rfind("worker-1 likely to hit its memory_used_percent limit (100) in", 0),
            0u)
      << alert.dump();

  // The entity list shows the open forecast and its ETA.
  json entities = GetJson(port_, "/api/v1/entities");
  bool seen = false;
  for (const auto& e : entities["data"]) {
    if (e["entity"] == "worker-1") {
      seen = true;
      EXPECT_GE(e["open_forecasts"].get<int>(), 1);
      EXPECT_TRUE(e["soonest_eta"].is_string()) << e.dump();
    }
  }
  EXPECT_TRUE(seen);

  // The anomaly model of the entity carries its global importance (mean |TreeSHAP| per metric).
  json models = GetJson(port_, "/api/v1/models?entity=worker-1");
  ASSERT_TRUE(models.contains("data") && !models["data"].empty()) << models.dump();
  const json& importance = models["data"][0]["model"]["metrics"]["importance"];
  ASSERT_TRUE(importance.is_object()) << models.dump();
  ASSERT_FALSE(importance["metrics"].empty());
  EXPECT_GT(importance["metrics"][0]["importance"].get<double>(), 0.0);

}

// A limit with a bad selector is a configuration error: exit 2 with the limit named.
TEST_F(ForecastE2ETest, BadLimitSelectorExitsTwo) {
  std::ofstream(dir_ / "bad.yaml") << "limits:\n  - name: broken\n    selector: 'cpu{'\n    threshold: 1\n";
  Subprocess p;
  ASSERT_TRUE(p.Start({FORESIGHT_BINARY, "serve", "--config", (dir_ / "bad.yaml").string(), "--no-host", "--port",
                       std::to_string(port_), "--data-dir", (dir_ / "data").string()},
                      (dir_ / "bad.log").string()));
  EXPECT_EQ(p.Wait(std::chrono::seconds(30)), 2) << p.Output();
  EXPECT_NE(p.Output().find("broken"), std::string::npos) << p.Output();
}

}  // namespace
}  // namespace foresight

// End to end: `foresight serve` scrapes a real prometheus-node-exporter on 127.0.0.1 (scrape_configs in
// its YAML), and the node_exporter series appear in the query API with job and instance labels.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "../support/http_client.h"
#include "../support/subprocess.h"

namespace foresight {
namespace {

using nlohmann::json;
using testing::FreePort;
using testing::HttpCall;
using testing::Subprocess;
using testing::WaitFor;
namespace fs = std::filesystem;

constexpr const char* kNodeExporter = "/usr/bin/prometheus-node-exporter";

TEST(ScrapeE2ETest, NodeExporterSeriesReachTheQueryApi) {
  // scripts/install-deps.sh installs prometheus-node-exporter; without it this test fails, never skips.
  ASSERT_EQ(access(kNodeExporter, X_OK), 0) << kNodeExporter << " missing: run scripts/install-deps.sh";
  fs::path dir = fs::temp_directory_path() / ("foresight-scrape-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const uint16_t exporter_port = FreePort();
  Subprocess exporter;
  ASSERT_TRUE(exporter.Start({kNodeExporter, "--web.listen-address=127.0.0.1:" + std::to_string(exporter_port)},
                             (dir / "exporter.log").string()));
  ASSERT_TRUE(WaitFor([&] { return HttpCall(exporter_port, "GET", "/metrics").status == 200; }, std::chrono::seconds(30)))
      << exporter.Output();

  fs::path cfg = dir / "foresight.yaml";
  std::ofstream(cfg) << "scrape_configs:\n"
                        "  - job_name: node\n"
                        "    scrape_interval: 1s\n"
                        "    scrape_timeout: 1s\n"  // a loaded machine may miss some; the test needs one success
                        "    static_configs:\n"
                        "      - targets: [\"127.0.0.1:" << exporter_port << "\"]\n"
                        "        labels: {team: infra}\n";
  const uint16_t port = FreePort();
  Subprocess server;
  ASSERT_TRUE(server.Start({FORESIGHT_BINARY, "serve", "--config", cfg.string(), "--no-host", "--port", std::to_string(port),
                            "--data-dir", (dir / "data").string()},
                           (dir / "serve.log").string()));
  json series;
  ASSERT_TRUE(WaitFor([&] {
    auto r = HttpCall(port, "GET", "/api/v1/series?match=node_memory_MemTotal_bytes");
    series = json::parse(r.body, nullptr, false);
    return r.status == 200 && series.value("total", 0) >= 1;
  }, std::chrono::seconds(60))) << server.Output();
  const json& labels = series["data"][0]["labels"];
  EXPECT_EQ(labels["job"], "node");
  EXPECT_EQ(labels["instance"], "127.0.0.1:" + std::to_string(exporter_port));
  EXPECT_EQ(labels["team"], "infra");
  EXPECT_EQ(labels["entity"], labels["instance"]);

  // A scrape's ~500 new series are resolved one by one (one fsync each), `up` last, and only then is
  // the batch appended, so the API may see a scrape half-done: wait until up=1 is readable.
  json up;
  auto up_is_one = [&] {
    up = json::parse(HttpCall(port, "GET", "/api/v1/query?series=up%7Bjob%3D%22node%22%7D&from=now-5m").body, nullptr, false);
    if (up.value("status", "") != "success") return false;
    for (const auto& p : up["data"]["series"][0]["points"]) {
      if (p[1] == 1.0) return true;
    }
    return false;
  };
  ASSERT_TRUE(WaitFor(up_is_one, std::chrono::seconds(60))) << up.dump();
  auto cpu = json::parse(HttpCall(port, "GET", "/api/v1/series?match=node_cpu_seconds_total").body);
  EXPECT_GE(cpu["total"].get<int>(), 1);

  EXPECT_EQ(server.Stop(SIGTERM, std::chrono::seconds(30)), 0) << server.Output();
  exporter.Stop(SIGTERM, std::chrono::seconds(10));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace foresight

// End to end: a real Prometheus (Debian package `prometheus`) scrapes a real prometheus-node-exporter
// every second and remote-writes to `foresight serve`, all on 127.0.0.1; the node_exporter series must
// appear in Foresight's series and query APIs.

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
constexpr const char* kPrometheus = "/usr/bin/prometheus";

TEST(RemoteWriteE2ETest, PrometheusRemoteWritesNodeExporterSeries) {
  // scripts/install-deps.sh installs both; without them this test fails, never skips.
  ASSERT_EQ(access(kNodeExporter, X_OK), 0) << kNodeExporter << " missing: run scripts/install-deps.sh";
  ASSERT_EQ(access(kPrometheus, X_OK), 0) << kPrometheus << " missing: run scripts/install-deps.sh";
  fs::path dir = fs::temp_directory_path() / ("foresight-rw-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "tsdb");

  const uint16_t port = FreePort();
  Subprocess server;
  ASSERT_TRUE(server.Start({FORESIGHT_BINARY, "serve", "--no-host", "--port", std::to_string(port), "--data-dir",
                            (dir / "data").string()},
                           (dir / "serve.log").string()));
  ASSERT_TRUE(WaitFor([&] { return HttpCall(port, "GET", "/health").status == 200; }, std::chrono::seconds(60)))
      << server.Output();

  const uint16_t exporter_port = FreePort();
  Subprocess exporter;
  ASSERT_TRUE(exporter.Start({kNodeExporter, "--web.listen-address=127.0.0.1:" + std::to_string(exporter_port)},
                             (dir / "exporter.log").string()));
  ASSERT_TRUE(WaitFor([&] { return HttpCall(exporter_port, "GET", "/metrics").status == 200; }, std::chrono::seconds(30)))
      << exporter.Output();

  std::ofstream(dir / "prometheus.yml") << "global:\n"
                                           "  scrape_interval: 1s\n"
                                           "  scrape_timeout: 1s\n"
                                           "scrape_configs:\n"
                                           "  - job_name: node\n"
                                           "    static_configs:\n"
                                           "      - targets: [\"127.0.0.1:" << exporter_port << "\"]\n"
                                           "remote_write:\n"
                                           "  - url: http://127.0.0.1:" << port << "/api/v1/write\n"
                                           "    queue_config:\n"
                                           "      batch_send_deadline: 1s\n";
  const uint16_t prom_port = FreePort();
  Subprocess prometheus;
  ASSERT_TRUE(prometheus.Start({kPrometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                                "--storage.tsdb.path=" + (dir / "tsdb").string(),
                                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                               (dir / "prometheus.log").string()));

  json series;
  ASSERT_TRUE(WaitFor([&] {
    auto r = HttpCall(port, "GET", "/api/v1/series?match=node_cpu_seconds_total");
    series = json::parse(r.body, nullptr, false);
    return r.status == 200 && series.value("total", 0) >= 1;
  }, std::chrono::seconds(80))) << prometheus.Output() << server.Output();
  const json& labels = series["data"][0]["labels"];
  EXPECT_EQ(labels["job"], "node");
  EXPECT_EQ(labels["instance"], "127.0.0.1:" + std::to_string(exporter_port));
  EXPECT_TRUE(labels.contains("cpu"));
  EXPECT_TRUE(labels.contains("mode"));

  // Values are readable through the query API (memory total is a large positive gauge).
  json q;
  ASSERT_TRUE(WaitFor([&] {
    q = json::parse(HttpCall(port, "GET", "/api/v1/query?series=node_memory_MemTotal_bytes&from=now-10m").body, nullptr, false);
    return q.value("status", "") == "success" && !q["data"]["series"].empty() && !q["data"]["series"][0]["points"].empty();
  }, std::chrono::seconds(60))) << q.dump();
  EXPECT_GT(q["data"]["series"][0]["points"][0][1].get<double>(), 1e6);

  EXPECT_EQ(prometheus.Stop(SIGTERM, std::chrono::seconds(30)), 0) << prometheus.Output();
  exporter.Stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_EQ(server.Stop(SIGTERM, std::chrono::seconds(30)), 0) << server.Output();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace foresight

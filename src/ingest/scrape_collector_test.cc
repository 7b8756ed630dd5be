// ScrapeCollector against real HTTP servers: a small POSIX-socket server run in-process on 127.0.0.1
// (fixed body, gzip, HTTP errors, a server that never answers), a closed port, and a real node_exporter
// started as a child process.
#include "ingest/scrape_collector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace foresight::ingest {
namespace {

constexpr TimestampNs kT0 = 1'700'000'000LL * kNanosPerSecond;

std::string HttpResponse(int status, std::string_view content_type, std::string_view body,
                         std::string_view extra_headers = "") {
  std::string r = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") + "\r\n";
  r += "Content-Type: " + std::string(content_type) + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += extra_headers;
  r += "Connection: close\r\n\r\n";
  r += body;
  return r;
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A one-thread HTTP/1.1 server on 127.0.0.1:<ephemeral>. kServe answers every request with `response`
// and closes; kHang accepts, reads the request and never answers (until destroyed).
class TestHttpServer {
 public:
  enum class Mode { kServe, kHang };

  TestHttpServer(Mode mode, std::string response) : mode_(mode), response_(std::move(response)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(listen_fd_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { Serve(stop); });
  }
  ~TestHttpServer() {
    thread_.request_stop();
    thread_.join();
    for (int fd : hung_) close(fd);
    close(listen_fd_);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }
  int requests() const { return requests_.load(); }
  std::string last_request() const {
    std::lock_guard lock(mu_);
    return last_request_;
  }

 private:
  // Polls with a short period only so that the destructor can stop the thread; no test depends on it.
  void Serve(std::stop_token stop) {
    while (!stop.stop_requested()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos && !stop.stop_requested()) {
        pollfd c{fd, POLLIN, 0};
        if (poll(&c, 1, 20) <= 0) continue;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        last_request_ = req;
      }
      ++requests_;
      if (mode_ == Mode::kHang) {
        hung_.push_back(fd);
        continue;
      }
      size_t off = 0;
      while (off < response_.size()) {
        ssize_t n = send(fd, response_.data() + off, response_.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      shutdown(fd, SHUT_WR);
      close(fd);
    }
  }

  const Mode mode_;
  const std::string response_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::string last_request_;
  std::vector<int> hung_;  // only touched by the server thread until it is joined
  std::jthread thread_;
};

// A port on 127.0.0.1 that nothing listens on: bound to learn a free number, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

const LabeledSample* Find(const std::vector<LabeledSample>& out, std::string_view metric,
                          std::string_view label = "", std::string_view value = "") {
  for (const auto& s : out) {
    if (s.labels.metric() == metric && (label.empty() || s.labels.Get(label) == value)) return &s;
  }
  return nullptr;
}

ScrapeTarget Target(std::string url, int64_t timeout_ns = 5 * kNanosPerSecond) {
  return ScrapeTarget{std::move(url), "test", 10 * kNanosPerSecond, timeout_ns, {}};
}

std::unique_ptr<ScrapeCollector> MakeCollector(std::vector<ScrapeTarget> targets, ScrapeCollectorOptions opts = {}) {
  auto c = ScrapeCollector::Create(std::move(targets), std::move(opts));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

constexpr std::string_view kBody =
    "# HELP http_requests_total Requests.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{code=\"200\",job=\"app\"} 1027 1395066363000\n"
    "http_requests_total{code=\"500\"} 3\n"
    "temperature NaN\n";

TEST(ScrapeCollectorTest, ScrapesTargetWithJobInstanceAndSyntheticSeries) {
  TestHttpServer server(TestHttpServer::Mode::kServe, HttpResponse(200, "text/plain; version=0.0.4", kBody));
  auto c = MakeCollector({Target(server.url())});
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c->Collect(kT0, &out).ok());
  const std::string instance = "127.0.0.1:" + std::to_string(server.port());
  ASSERT_EQ(out.size(), 6u);
  const auto* ok = Find(out, "http_requests_total", "code", "200");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->labels.ToString(),
            "http_requests_total{code=\"200\",exported_job=\"app\",instance=\"" + instance + "\",job=\"test\"}");
  EXPECT_EQ(ok->ts_ns, 1'395'066'363'000LL * kNanosPerMilli);
  const auto* err = Find(out, "http_requests_total", "code", "500");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->ts_ns, kT0);
  const auto* up = Find(out, "up");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->labels.ToString(), "up{instance=\"" + instance + "\",job=\"test\"}");
  EXPECT_EQ(up->value, 1);
  EXPECT_EQ(up->ts_ns, kT0);
  ASSERT_NE(Find(out, "scrape_samples_scraped"), nullptr);
  EXPECT_EQ(Find(out, "scrape_samples_scraped")->value, 3);
  ASSERT_NE(Find(out, "scrape_duration_seconds"), nullptr);
  EXPECT_GT(Find(out, "scrape_duration_seconds")->value, 0);

  std::string req = server.last_request();
  EXPECT_NE(req.find("GET /metrics HTTP/1.1"), std::string::npos) << req;
  EXPECT_NE(req.find("application/openmetrics-text"), std::string::npos) << req;
  EXPECT_NE(req.find("X-Prometheus-Scrape-Timeout-Seconds: 5"), std::string::npos) << req;

  auto st = c->TargetStatuses();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_TRUE(st[0].up);
  EXPECT_EQ(st[0].last_samples, 3u);
  EXPECT_EQ(st[0].last_scrape_ns, kT0);
  EXPECT_EQ(st[0].last_error, "");
}

TEST(ScrapeCollectorTest, OpenMetricsContentTypeUsesSecondsTimestampsAndEof) {
  TestHttpServer server(TestHttpServer::Mode::kServe,
                        HttpResponse(200, "application/openmetrics-text; version=1.0.0; charset=utf-8",
                                     "# TYPE c counter\nc_total 5 1700000000.5 # {trace_id=\"x\"} 1\n"
                                     "c_created 1600000000\n# EOF\n"));
  auto c = MakeCollector({Target(server.url())});
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c->Collect(kT0, &out).ok());
  const auto* s = Find(out, "c_total");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->ts_ns, 1'700'000'000'500'000'000LL);
  EXPECT_EQ(Find(out, "c_created"), nullptr);
  EXPECT_EQ(Find(out, "scrape_samples_scraped")->value, 1);
}

TEST(ScrapeCollectorTest, GzipBodyIsDecoded) {
  TestHttpServer server(TestHttpServer::Mode::kServe,
                        HttpResponse(200, "text/plain; version=0.0.4", Gzip(kBody), "Content-Encoding: gzip\r\n"));
  auto c = MakeCollector({Target(server.url())});
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c->Collect(kT0, &out).ok());
  EXPECT_EQ(Find(out, "up")->value, 1);
  EXPECT_EQ(Find(out, "scrape_samples_scraped")->value, 3);
  EXPECT_NE(Find(out, "temperature"), nullptr);
  EXPECT_NE(server.last_request().find("gzip"), std::string::npos) << "Accept-Encoding must offer gzip";
}

TEST(ScrapeCollectorTest, HangingTargetTimesOutAsDown) {
  TestHttpServer server(TestHttpServer::Mode::kHang, "");
  auto c = MakeCollector({Target(server.url(), 300 * kNanosPerMilli)});
  std::vector<LabeledSample> out;
  Status st = c->Collect(kT0, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("timed out"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find(server.url()), std::string::npos) << st.ToString();
  ASSERT_EQ(out.size(), 3u);  // only the synthetic series
  EXPECT_EQ(Find(out, "up")->value, 0);
  EXPECT_EQ(Find(out, "scrape_samples_scraped")->value, 0);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_FALSE(c->TargetStatuses()[0].up);
}

TEST(ScrapeCollectorTest, ClosedPortIsDown) {
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/metrics";
  auto c = MakeCollector({Target(url)});
  std::vector<LabeledSample> out;
  Status st = c->Collect(kT0, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("onnect"), std::string::npos) << st.ToString();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(Find(out, "up")->value, 0);
  EXPECT_NE(c->TargetStatuses()[0].last_error, "");
}

TEST(ScrapeCollectorTest, HttpErrorStatusIsDown) {
  TestHttpServer server(TestHttpServer::Mode::kServe, HttpResponse(500, "text/plain", "oops\n"));
  auto c = MakeCollector({Target(server.url())});
  std::vector<LabeledSample> out;
  Status st = c->Collect(kT0, &out);
  EXPECT_NE(st.message().find("HTTP status 500"), std::string::npos) << st.ToString();
  EXPECT_EQ(Find(out, "up")->value, 0);
  EXPECT_EQ(out.size(), 3u);
}

TEST(ScrapeCollectorTest, MalformedBodyFailsTheWholeScrape) {
  TestHttpServer server(TestHttpServer::Mode::kServe,
                        HttpResponse(200, "text/plain", "good 1\nalso_good 2\nbad{ 3\n"));
  auto c = MakeCollector({Target(server.url())});
  std::vector<LabeledSample> out;
  Status st = c->Collect(kT0, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("exposition line 3"), std::string::npos) << st.ToString();
  EXPECT_EQ(Find(out, "good"), nullptr);
  EXPECT_EQ(Find(out, "up")->value, 0);
  EXPECT_EQ(Find(out, "scrape_samples_scraped")->value, 0);
}

TEST(ScrapeCollectorTest, OversizeBodyIsDown) {
  TestHttpServer server(TestHttpServer::Mode::kServe, HttpResponse(200, "text/plain", kBody));
  ScrapeCollectorOptions opts;
  opts.max_body_bytes = 16;
  auto c = MakeCollector({Target(server.url())}, opts);
  std::vector<LabeledSample> out;
  Status st = c->Collect(kT0, &out);
  EXPECT_NE(st.message().find("exceeds 16 bytes"), std::string::npos) << st.ToString();
  EXPECT_EQ(Find(out, "up")->value, 0);
}

TEST(ScrapeCollectorTest, ScrapesOnlyWhenTheIntervalHasElapsed) {
  TestHttpServer server(TestHttpServer::Mode::kServe, HttpResponse(200, "text/plain", kBody));
  auto c = MakeCollector({Target(server.url())});  // interval 10 s
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c->Collect(kT0, &out).ok());
  EXPECT_EQ(server.requests(), 1);
  out.clear();
  ASSERT_TRUE(c->Collect(kT0 + 5 * kNanosPerSecond, &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(server.requests(), 1);
  ASSERT_TRUE(c->Collect(kT0 + 10 * kNanosPerSecond, &out).ok());
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(Find(out, "up")->ts_ns, kT0 + 10 * kNanosPerSecond);
  // After a stall of several intervals one scrape happens, then the cadence resumes from there.
  out.clear();
  ASSERT_TRUE(c->Collect(kT0 + 55 * kNanosPerSecond, &out).ok());
  EXPECT_EQ(server.requests(), 3);
  ASSERT_TRUE(c->Collect(kT0 + 60 * kNanosPerSecond, &out).ok());
  EXPECT_EQ(server.requests(), 3);
  ASSERT_TRUE(c->Collect(kT0 + 65 * kNanosPerSecond, &out).ok());
  EXPECT_EQ(server.requests(), 4);
}

TEST(ScrapeCollectorTest, OneTargetDownDoesNotLoseTheOthers) {
  TestHttpServer server(TestHttpServer::Mode::kServe, HttpResponse(200, "text/plain", kBody));
  std::string down = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/metrics";
  auto c = MakeCollector({Target(server.url()), Target(down)});
  std::vector<LabeledSample> out;
  Status st = c->Collect(kT0, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find(down), std::string::npos);
  EXPECT_EQ(st.message().find(server.url()), std::string::npos) << st.ToString();
  EXPECT_EQ(out.size(), 6u + 3u);
  EXPECT_EQ(Find(out, "up", "instance", "127.0.0.1:" + std::to_string(server.port()))->value, 1);
  EXPECT_EQ(Find(out, "up", "instance", down.substr(7, down.find('/', 7) - 7))->value, 0);
}

TEST(ScrapeCollectorTest, ConfiguredLabelsAreAddedAndMayOverrideInstance) {
  TestHttpServer server(TestHttpServer::Mode::kServe, HttpResponse(200, "text/plain", "m 1\n"));
  ScrapeTarget t = Target(server.url());
  t.labels = Labels{{"instance", "db-1"}, {"env", "prod"}};
  auto c = MakeCollector({t});
  std::vector<LabeledSample> out;
  ASSERT_TRUE(c->Collect(kT0, &out).ok());
  EXPECT_EQ(Find(out, "m")->labels.ToString(), "m{env=\"prod\",instance=\"db-1\",job=\"test\"}");
  EXPECT_EQ(Find(out, "up")->labels.ToString(), "up{env=\"prod\",instance=\"db-1\",job=\"test\"}");
}

TEST(ScrapeCollectorTest, CreateRejectsInvalidTargets) {
  auto bad = [](ScrapeTarget t) { return ScrapeCollector::Create({std::move(t)}).status(); };
  ScrapeTarget t = Target("http://127.0.0.1:1/metrics");
  t.job = "";
  EXPECT_NE(bad(t).message().find("empty job"), std::string::npos);
  EXPECT_NE(bad(Target("ftp://h/metrics")).message().find("http://"), std::string::npos);
  EXPECT_NE(bad(Target("http:///metrics")).message().find("no host"), std::string::npos);
  t = Target("http://h:1/m");
  t.interval_ns = 0;
  EXPECT_NE(bad(t).message().find("interval"), std::string::npos);
  t = Target("http://h:1/m", 11 * kNanosPerSecond);
  EXPECT_NE(bad(t).message().find("timeout"), std::string::npos);
  t = Target("http://h:1/m");
  t.labels = Labels{{"__scheme__", "x"}};
  EXPECT_NE(bad(t).message().find("reserved"), std::string::npos);
  EXPECT_EQ(bad(t).code(), StatusCode::kInvalidArgument);
}

TEST(ScrapeCollectorTest, DefaultInstancePortComesFromTheScheme) {
  // Not scraped: only the labels derived at Create are checked.
  auto c = MakeCollector({Target("http://example.invalid/metrics"), Target("https://user:pw@example.invalid/m")});
  auto st = c->TargetStatuses();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].target_labels.Get("instance"), "example.invalid:80");
  EXPECT_EQ(st[1].target_labels.Get("instance"), "example.invalid:443");
  EXPECT_EQ(st[0].last_scrape_ns, 0);
}

// --- a real node_exporter, started as a child process ---

constexpr const char* kNodeExporter = "/usr/bin/prometheus-node-exporter";

class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv) {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // True while the child has not exited.
  bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

TEST(ScrapeCollectorNodeExporterTest, ScrapesARealNodeExporter) {
  // scripts/install-deps.sh installs prometheus-node-exporter; without it this test fails, never skips.
  ASSERT_EQ(access(kNodeExporter, X_OK), 0)
      << kNodeExporter << " missing: run scripts/install-deps.sh (apt-get install prometheus-node-exporter)";
  const int port = ClosedPort();
  ChildProcess exporter({kNodeExporter, "--web.listen-address=127.0.0.1:" + std::to_string(port)});
  ASSERT_GT(exporter.pid(), 0);

  ScrapeTarget t{"http://127.0.0.1:" + std::to_string(port) + "/metrics", "node", kNanosPerSecond,
                 kNanosPerSecond, Labels{{"env", "test"}}};
  auto c = MakeCollector({t});
  std::vector<LabeledSample> out;
  // Wait for the exporter to listen: each attempt is a full scrape one interval later on the fake time line.
  Status st;
  for (int attempt = 0; attempt < 200; ++attempt) {
    out.clear();
    st = c->Collect(kT0 + attempt * kNanosPerSecond, &out);
    if (st.ok()) break;
    ASSERT_TRUE(exporter.running()) << "node_exporter exited: " << st.ToString();
    usleep(50'000);
  }
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Find(out, "up")->value, 1);
  const auto* cpu = Find(out, "node_cpu_seconds_total", "mode", "idle");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->labels.Get("job"), "node");
  EXPECT_EQ(cpu->labels.Get("env"), "test");
  EXPECT_EQ(cpu->labels.Get("instance"), "127.0.0.1:" + std::to_string(port));
  EXPECT_FALSE(cpu->labels.Get("cpu").empty());
  EXPECT_GT(cpu->value, 0);
  const auto* mem = Find(out, "node_memory_MemTotal_bytes");
  ASSERT_NE(mem, nullptr);
  EXPECT_GT(mem->value, 0);
  const auto* scraped = Find(out, "scrape_samples_scraped");
  EXPECT_GT(scraped->value, 100);
  EXPECT_EQ(static_cast<size_t>(scraped->value) + 3, out.size());
  for (const auto& s : out) {
    ASSERT_TRUE(s.labels.Validate().ok()) << s.labels.ToString();
  }
}

}  // namespace
}  // namespace foresight::ingest

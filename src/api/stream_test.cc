// GET /api/v1/stream end to end: a real HttpServer on 127.0.0.1 with the real router and a real SQLite
// record store, read by a raw TCP client that parses the Server-Sent Events as a browser would.

#include "api/stream.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "api/http_server.h"
#include "api/routes.h"
#include "storage/sqlite/sqlite_record_store.h"

namespace foresight::api {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The backend: fixed status, entities the test changes.
class TestService final : public ServiceBackend {
 public:
  Status IngestSamples(std::span<const LabeledSample>) override { return Status::Ok(); }
  Result<SeriesId> ResolveSeries(const Labels&) override { return SeriesId{1}; }
  Status IngestResolved(std::span<const Sample>) override { return Status::Ok(); }
  Result<json> CollectNow() override { return json::object(); }
  json StatusJson() const override { return json{{"healthy", true}, {"ready", true}}; }
  json EntitiesJson() const override {
    std::lock_guard lock(mu);
    return entities;
  }
  Result<json> ModelsJson(const std::string&) const override { return json::array(); }
  std::string MetricsText() const override { return ""; }
  Status AcknowledgeAlert(const std::string&, const std::string&) override { return Status::Ok(); }
  Status Silence(const std::string&, TimestampNs, const std::string&) override { return Status::Ok(); }
  Result<json> InjectScenario(const json&) override { return Status::FailedPrecondition("off"); }
  Result<json> ScenariosJson() const override { return Status::FailedPrecondition("off"); }
  void OnFeedback(const std::string&, const std::string&) override {}

  void SetEntities(json e) {
    std::lock_guard lock(mu);
    entities = std::move(e);
  }
  mutable std::mutex mu;
  json entities = json::array({json{{"entity", "web-1"}, {"simulated", true}, {"score", 0.1}, {"health", "ok"}}});
};

// A raw socket client: sends the request, then reads events with a deadline.
class SseClient {
 public:
  explicit SseClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    std::string req = "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    if (connected_) ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  }
  ~SseClient() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }

  // Reads until `done(buffer)` or the deadline; returns false at EOF or deadline. eof() tells which.
  template <typename Done>
  bool ReadUntil(Done done, std::chrono::seconds deadline = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done(raw_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[8192];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        eof_ = true;
        return done(raw_);
      }
      raw_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // The data of every event named `name` received so far, parsed.
  std::vector<json> Events(const std::string& name) const {
    std::vector<json> out;
    size_t body = raw_.find("\r\n\r\n");
    if (body == std::string::npos) return out;
    size_t pos = body + 4;
    while (true) {
      size_t end = raw_.find("\n\n", pos);
      if (end == std::string::npos) break;
      std::string block = raw_.substr(pos, end - pos);
      pos = end + 2;
      std::string event, data;
      size_t i = 0;
      while (i < block.size()) {
        size_t nl = block.find('\n', i);
        std::string line = block.substr(i, nl == std::string::npos ? std::string::npos : nl - i);
        i = nl == std::string::npos ? block.size() : nl + 1;
        if (line.rfind("event: ", 0) == 0) event = line.substr(7);
        if (line.rfind("data: ", 0) == 0) data += line.substr(6);
      }
      if (event == name) out.push_back(json::parse(data));
    }
    return out;
  }
  const std::string& raw() const { return raw_; }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string raw_;
};

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("foresight-stream-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto records = storage::SqliteRecordStore::Open((dir_ / "records.db").string());
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    records_ = std::move(*records);
  }
  void Start(StreamOptions so) {
    ApiContext ctx;
    ctx.records = records_.get();
    ctx.service = &service_;
    ctx.clock = &clock_;
    // Only the stream route: RegisterRoutes registers one with the default options (1 s polls).
    hub_ = RegisterStreamRoutes(router_, ctx, so);
    HttpServerOptions ho;
    ho.port = 0;
    server_ = std::make_unique<HttpServer>(ho, [this](HttpRequest& r) { return router_.Dispatch(r); });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_.reset();
    hub_.reset();
    records_.reset();
    fs::remove_all(dir_);
  }
  static StreamOptions Fast() {
    StreamOptions so;
    so.poll_interval = std::chrono::milliseconds(100);
    so.heartbeat = std::chrono::milliseconds(300);
    return so;
  }
  bool WaitStreams(size_t n) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < end) {
      if (hub_->active_streams() == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return hub_->active_streams() == n;
  }

  SystemClock clock_;
  fs::path dir_;
  std::unique_ptr<storage::SqliteRecordStore> records_;
  TestService service_;
  Router router_;
  std::shared_ptr<EventHub> hub_;
  std::unique_ptr<HttpServer> server_;
};

auto Has(const std::string& s) {
  return [s](const std::string& raw) { return raw.find(s) != std::string::npos; };
}

TEST_F(StreamTest, SnapshotThenChangesAsEvents) {
  Start(Fast());
  SseClient c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.ReadUntil(Has("event: entities"))) << c.raw();
  EXPECT_NE(c.raw().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(c.raw().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(c.raw().find("Cache-Control: no-cache"), std::string::npos);
  ASSERT_EQ(c.Events("hello").size(), 1u);
  EXPECT_LT(c.raw().find("event: hello"), c.raw().find("event: status"));
  auto snap = c.Events("entities");
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_TRUE(snap[0]["full"].get<bool>());
  EXPECT_EQ(snap[0]["entities"][0]["entity"], "web-1");
  EXPECT_EQ(c.Events("status").at(0)["ready"], true);

  // A new prediction and a new alert in the store become events.
  Prediction p;
  p.id = "web-1:anomaly:42";
  p.entity = "web-1";
  p.kind = "anomaly";
  p.score = 0.91;
  p.severity = Severity::kCritical;
  p.created_at = p.updated_at = clock_.NowNs();
  ASSERT_TRUE(records_->PutPrediction(p).ok());
  Alert a;
  a.id = "al-7";
  a.prediction_id = p.id;
  a.entity = "web-1";
  a.severity = Severity::kCritical;
  a.message = "web-1 anomalous";
  a.created_at = clock_.NowNs();
  ASSERT_TRUE(records_->PutAlert(a).ok());
  ASSERT_TRUE(c.ReadUntil([&](const std::string&) {
    return !c.Events("prediction").empty() && !c.Events("alert").empty();
  })) << c.raw();
  EXPECT_EQ(c.Events("prediction")[0]["id"], "web-1:anomaly:42");
  EXPECT_EQ(c.Events("prediction")[0]["severity"], "critical");
  EXPECT_EQ(c.Events("alert")[0]["id"], "al-7");
  EXPECT_EQ(c.Events("alert")[0]["state"], "firing");

  // A changed alert (acknowledged) is sent again; an unchanged one is not.
  a.state = AlertState::kAcknowledged;
  a.acked_by = "alice";
  ASSERT_TRUE(records_->PutAlert(a).ok());
  ASSERT_TRUE(c.ReadUntil([&](const std::string&) { return c.Events("alert").size() >= 2; })) << c.raw();
  EXPECT_EQ(c.Events("alert")[1]["state"], "acknowledged");

  // Entities: only the changed one, and removals by name.
  service_.SetEntities(json::array({json{{"entity", "web-1"}, {"simulated", true}, {"score", 0.8}, {"health", "critical"}},
                                    json{{"entity", "db-1"}, {"simulated", true}, {"score", 0.2}, {"health", "ok"}}}));
  ASSERT_TRUE(c.ReadUntil([&](const std::string&) { return c.Events("entities").size() >= 2; })) << c.raw();
  json diff = c.Events("entities")[1];
  EXPECT_FALSE(diff["full"].get<bool>());
  ASSERT_EQ(diff["changed"].size(), 2u);
  service_.SetEntities(json::array({json{{"entity", "db-1"}, {"simulated", true}, {"score", 0.2}, {"health", "ok"}}}));
  ASSERT_TRUE(c.ReadUntil([&](const std::string&) { return c.Events("entities").size() >= 3; })) << c.raw();
  EXPECT_EQ(c.Events("entities")[2]["removed"], json::array({"web-1"}));
  EXPECT_EQ(c.Events("alert").size(), 2u);
  EXPECT_EQ(c.Events("prediction").size(), 1u);
}

TEST_F(StreamTest, HeartbeatWhenNothingChanges) {
  Start(Fast());
  SseClient c(server_->port());
  ASSERT_TRUE(c.ReadUntil(Has(": ping\n\n"))) << c.raw();
  EXPECT_FALSE(c.eof());
}

TEST_F(StreamTest, ClientDisconnectFreesTheStream) {
  Start(Fast());
  {
    SseClient a(server_->port());
    SseClient b(server_->port());
    ASSERT_TRUE(a.ReadUntil(Has("event: entities")));
    ASSERT_TRUE(b.ReadUntil(Has("event: entities")));
    EXPECT_EQ(hub_->active_streams(), 2u);
    a.Close();
    EXPECT_TRUE(WaitStreams(1));
  }
  EXPECT_TRUE(WaitStreams(0));
}

TEST_F(StreamTest, StreamsAreBounded) {
  StreamOptions so = Fast();
  so.max_streams = 2;
  Start(so);
  SseClient a(server_->port()), b(server_->port());
  ASSERT_TRUE(a.ReadUntil(Has("event: hello")));
  ASSERT_TRUE(b.ReadUntil(Has("event: hello")));
  SseClient c(server_->port());
  ASSERT_TRUE(c.ReadUntil(Has("RESOURCE_EXHAUSTED"))) << c.raw();
  EXPECT_NE(c.raw().find("HTTP/1.1 503"), std::string::npos);
  EXPECT_NE(c.raw().find("Retry-After: 5"), std::string::npos);
  // The REST API keeps answering while the streams are full.
  b.Close();
  ASSERT_TRUE(WaitStreams(1));
  SseClient d(server_->port());
  EXPECT_TRUE(d.ReadUntil(Has("event: hello"))) << d.raw();
}

TEST_F(StreamTest, ASubscriberOverItsByteBudgetIsDisconnected) {
  StreamOptions so = Fast();
  so.max_queued_bytes = 16;  // smaller than the hello frame: the channel overflows at once
  Start(so);
  SseClient c(server_->port());
  ASSERT_TRUE(c.ReadUntil([&](const std::string&) { return c.eof(); })) << c.raw();
  EXPECT_NE(c.raw().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(c.raw().find("event:"), std::string::npos) << c.raw();  // dropped, not queued
  EXPECT_TRUE(WaitStreams(0));
}

TEST_F(StreamTest, HubShutdownSaysByeAndEndsTheConnection) {
  Start(Fast());
  SseClient c(server_->port());
  ASSERT_TRUE(c.ReadUntil(Has("event: entities")));
  hub_->Shutdown();
  ASSERT_TRUE(c.ReadUntil([&](const std::string&) { return c.eof(); })) << c.raw();
  EXPECT_EQ(c.Events("bye").size(), 1u);
  EXPECT_TRUE(WaitStreams(0));
  SseClient late(server_->port());
  EXPECT_TRUE(late.ReadUntil(Has("HTTP/1.1 503"))) << late.raw();
}

TEST_F(StreamTest, ServerStopClosesOpenStreams) {
  Start(Fast());
  SseClient c(server_->port());
  ASSERT_TRUE(c.ReadUntil(Has("event: entities")));
  server_->Stop();  // must not wait for the stream to end by itself
  ASSERT_TRUE(c.ReadUntil([&](const std::string&) { return c.eof(); })) << c.raw();
  EXPECT_TRUE(WaitStreams(0));
}

}  // namespace
}  // namespace foresight::api

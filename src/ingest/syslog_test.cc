#include "ingest/syslog.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "ingest/syslog_server.h"

namespace foresight::ingest {
namespace {

constexpr TimestampNs kNow = 1764000000LL * kNanosPerSecond;  // 2025-11-24T16:00:00Z

TEST(SyslogTest, Rfc5424) {
  auto r = ParseSyslog(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"App\\]lication\"] \xEF\xBB\xBF" "An application event log entry...\n",
      kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entity, "mymachine.example.com");
  EXPECT_EQ(r->severity, "info");  // 165 % 8 = 5 (notice)
  EXPECT_EQ(r->message, "An application event log entry...");
  EXPECT_EQ(r->ts_ns, 1065910455003LL * kNanosPerMilli);
  auto nil = ParseSyslog("<11>1 - - su - - -", kNow);
  ASSERT_TRUE(nil.ok()) << nil.status().ToString();
  EXPECT_EQ(nil->entity, "su");
  EXPECT_EQ(nil->severity, "error");
  EXPECT_EQ(nil->ts_ns, kNow);
  EXPECT_EQ(nil->message, "");
}

TEST(SyslogTest, Rfc3164) {
  auto r = ParseSyslog("<34>Oct 11 22:14:15 mymachine su[231]: 'su root' failed for lonvick on /dev/pts/8", kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entity, "mymachine");
  EXPECT_EQ(r->severity, "fatal");  // 34 % 8 = 2 (critical)
  EXPECT_EQ(r->message, "'su root' failed for lonvick on /dev/pts/8");
  EXPECT_EQ(r->ts_ns, 1760220855LL * kNanosPerSecond);  // 2025-10-11T22:14:15Z
  auto padded = ParseSyslog("<13>Nov  2 01:02:03 h app: x", kNow);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->message, "x");
  // December seen in November is last year's.
  auto dec = ParseSyslog("<13>Dec 31 23:00:00 h app: x", kNow);
  EXPECT_EQ(dec->ts_ns, 1735686000LL * kNanosPerSecond);  // 2024-12-31T23:00:00Z
  auto bare = ParseSyslog("<13>just text", kNow);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->message, "just text");
  EXPECT_EQ(bare->entity, "unknown");
}

TEST(SyslogTest, Errors) {
  EXPECT_EQ(ParseSyslog("hello", kNow).status().message(), "syslog: missing <PRI>");
  EXPECT_EQ(ParseSyslog("<200>1 - - - - - -", kNow).status().message(), "syslog: PRI 200 out of range 0..191");
  EXPECT_FALSE(ParseSyslog("<1>1 2003-10-11T22:14:15Z host", kNow).ok());
  EXPECT_FALSE(ParseSyslog("<1>1 2003-10-11T22:14:15Z h a p m [x y=\"]", kNow).ok());
  EXPECT_FALSE(ParseSyslog("<1>1 yesterday h a p m -", kNow).ok());
}

TEST(SyslogTest, FramerOctetCountingAndNewlines) {
  SyslogFramer f(100);
  std::vector<std::string> got;
  auto on = [&](std::string_view m) { got.emplace_back(m); };
  ASSERT_TRUE(f.Feed("11 <1>1 - -", on).ok());
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(f.Feed(" - x<13>a line\r\n<13>another", on).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "<1>1 - - - ");
  EXPECT_EQ(got[1], "x<13>a line");  // 11 octets were "<1>1 - - - "; the rest is a newline frame
  f.Finish(on);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2], "<13>another");
  SyslogFramer g(10);
  EXPECT_NE(g.Feed("500 <1>", on).message().find("ingest.max_line_bytes"), std::string::npos);
  SyslogFramer h(10);
  EXPECT_FALSE(h.Feed("<13>aaaaaaaaaaaaaaaaaaaaaaaaa", on).ok());
}

// A real listener on 127.0.0.1: UDP datagrams and a TCP stream with both framings.
TEST(SyslogServerTest, UdpAndTcpOnLoopback) {
  SystemClock clock;
  std::mutex mu;
  std::vector<LogRecord> got;
  SyslogServerOptions o;
  o.listen = "127.0.0.1:0";
  auto server = SyslogServer::Start(o, clock, [&](std::vector<LogRecord>&& batch) {
    std::lock_guard lock(mu);
    for (auto& r : batch) got.push_back(std::move(r));
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  uint16_t port = (*server)->port();
  ASSERT_NE(port, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  int u = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::string dgram = "<11>1 2026-11-24T07:00:00Z web-1 nginx - - - upstream timed out";
  ASSERT_GT(::sendto(u, dgram.data(), dgram.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string junk = "not syslog";
  ::sendto(u, junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::close(u);

  int t = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(t, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string m1 = "<14>Nov 24 07:00:01 web-2 app[7]: started";
  std::string stream = std::to_string(m1.size()) + " " + m1 + "<12>Nov 24 07:00:02 web-2 app[7]: slow\n";
  ASSERT_EQ(::send(t, stream.data(), stream.size(), 0), static_cast<ssize_t>(stream.size()));
  ::close(t);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (got.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*server)->Stop();
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 3u);
  std::sort(got.begin(), got.end(), [](const LogRecord& a, const LogRecord& b) { return a.message < b.message; });
  EXPECT_EQ(got[0].message, "slow");
  EXPECT_EQ(got[0].severity, "warn");
  EXPECT_EQ(got[1].message, "started");
  EXPECT_EQ(got[1].entity, "web-2");
  EXPECT_EQ(got[2].message, "upstream timed out");
  EXPECT_EQ(got[2].entity, "web-1");
  EXPECT_EQ(got[2].severity, "error");
  EXPECT_EQ((*server)->parse_errors(), 1u);
  EXPECT_EQ((*server)->messages(), 3u);
}

TEST(SyslogServerTest, BadAddresses) {
  SystemClock clock;
  for (const char* bad : {"nohost", "127.0.0.1:x", "127.0.0.1:70000", "not-an-ip:514"}) {
    SyslogServerOptions o;
    o.listen = bad;
    EXPECT_EQ(SyslogServer::Start(o, clock, [](std::vector<LogRecord>&&) {}).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace foresight::ingest

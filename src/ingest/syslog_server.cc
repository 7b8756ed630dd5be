#include "ingest/syslog_server.h"

#include <boost/asio.hpp>

#include <charconv>
#include <thread>

#include "ingest/syslog.h"

namespace foresight::ingest {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

Result<std::pair<std::string, uint16_t>> ParseListenAddress(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("syslog listen address \"" + std::string(text) + "\" must be host:port");
  }
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  std::string_view p = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || p.empty() || port > 65535) {
    return Status::InvalidArgument("syslog listen address \"" + std::string(text) + "\": invalid port");
  }
  boost::system::error_code bec;
  asio::ip::make_address(host, bec);
  if (bec) return Status::InvalidArgument("syslog listen address \"" + std::string(text) + "\": invalid IP address");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

struct SyslogServer::Impl : std::enable_shared_from_this<SyslogServer::Impl> {
  Impl(const SyslogServerOptions& o, const Clock& c, Sink s, SyslogServer* owner)
      : options(o), clock(c), sink(std::move(s)), owner(owner), udp_socket(io), acceptor(io) {}

  SyslogServerOptions options;
  const Clock& clock;
  Sink sink;
  SyslogServer* owner;
  asio::io_context io;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::vector<char> datagram = std::vector<char>(65536);
  udp::endpoint sender;
  // Shared with the sessions: a session's handler may outlive Impl's other members at shutdown.
  std::shared_ptr<std::atomic<size_t>> connections = std::make_shared<std::atomic<size_t>>(0);
  std::thread thread;

  void Deliver(std::vector<std::string_view> messages) {
    std::vector<LogRecord> batch;
    batch.reserve(messages.size());
    TimestampNs now = clock.NowNs();
    for (std::string_view m : messages) {
      auto r = ParseSyslog(m, now);
      if (!r.ok()) {
        owner->parse_errors_.fetch_add(1);
        continue;
      }
      owner->messages_.fetch_add(1);
      batch.push_back(std::move(*r));
    }
    if (!batch.empty()) sink(std::move(batch));
  }

  void ReceiveUdp() {
    udp_socket.async_receive_from(asio::buffer(datagram), sender, [this](boost::system::error_code ec, size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec && n > 0) {
        std::string_view m(datagram.data(), std::min(n, options.max_message_bytes));
        Deliver({m});
      }
      ReceiveUdp();
    });
  }

  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, Impl* impl)
        : socket(std::move(s)), impl(impl), framer(impl->options.max_message_bytes), connections(impl->connections) {}
    ~Session() { connections->fetch_sub(1); }
    tcp::socket socket;
    Impl* impl;
    SyslogFramer framer;
    std::shared_ptr<std::atomic<size_t>> connections;
    std::array<char, 16384> buf{};

    void Read() {
      socket.async_read_some(asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
        std::vector<std::string_view> msgs;
        std::vector<std::string> owned;  // frames are views into the framer's buffer: copy before delivering
        auto collect = [&](std::string_view m) { owned.emplace_back(m); };
        if (!ec) {
          Status st = self->framer.Feed(std::string_view(self->buf.data(), n), collect);
          for (auto& o : owned) msgs.push_back(o);
          self->impl->Deliver(std::move(msgs));
          if (!st.ok()) {
            self->impl->owner->parse_errors_.fetch_add(1);
            return;  // framing broken: close the connection
          }
          self->Read();
          return;
        }
        if (ec != asio::error::operation_aborted) {
          self->framer.Finish(collect);
          for (auto& o : owned) msgs.push_back(o);
          self->impl->Deliver(std::move(msgs));
        }
      });
    }
  };

  void Accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (connections->load() >= options.max_connections) {
          socket.close();
        } else {
          connections->fetch_add(1);
          std::make_shared<Session>(std::move(socket), this)->Read();
        }
      }
      Accept();
    });
  }
};

Result<std::unique_ptr<SyslogServer>> SyslogServer::Start(const SyslogServerOptions& options, const Clock& clock, Sink sink) {
  FS_ASSIGN_OR_RETURN(auto hp, ParseListenAddress(options.listen));
  std::unique_ptr<SyslogServer> server(new SyslogServer());
  server->impl_ = std::make_unique<Impl>(options, clock, std::move(sink), server.get());
  Impl& impl = *server->impl_;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(hp.first, ec);
  tcp::endpoint tep(addr, hp.second);
  impl.acceptor.open(tep.protocol(), ec);
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(tep, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("syslog: cannot listen on TCP " + options.listen, ec.message());
  uint16_t port = impl.acceptor.local_endpoint().port();  // the same port for UDP when 0 was asked
  udp::endpoint uep(addr, port);
  impl.udp_socket.open(uep.protocol(), ec);
  if (!ec) impl.udp_socket.bind(uep, ec);
  if (ec) return Status::Unavailable("syslog: cannot bind UDP " + hp.first + ":" + std::to_string(port), ec.message());
  server->port_ = port;
  impl.ReceiveUdp();
  impl.Accept();
  impl.thread = std::thread([&impl] { impl.io.run(); });
  return server;
}

void SyslogServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
  // No thread runs the io_context now: close the listeners here; open sessions go with the io_context.
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->udp_socket.close(ec);
}

SyslogServer::~SyslogServer() { Stop(); }

uint16_t SyslogServer::port() const { return port_; }

}  // namespace foresight::ingest

#include "api/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace foresight::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpRequest ToRequest(http::request<http::string_body>& req) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  std::string_view target(out.target);
  size_t q = target.find('?');
  out.path = UrlDecode(target.substr(0, q));
  if (q != std::string_view::npos) out.query = ParseQueryString(target.substr(q + 1));
  for (const auto& field : req) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(req.body());
  return out;
}

class Session;

// The sessions streaming a response, so that Stop() can end them before the I/O threads stop.
struct StreamRegistry {
  std::mutex mu;
  std::vector<std::weak_ptr<Session>> sessions;

  void Add(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(mu);
    std::erase_if(sessions, [](const auto& w) { return w.expired(); });
    sessions.push_back(s);
  }
  // Cancels every body, then closes every streaming connection on its own strand; waits (bounded) for it.
  void CloseAll();
};

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    default: return "Status";
  }
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const Handler& handler, StreamRegistry& streams)
      : stream_(std::move(socket)), options_(options), handler_(handler), streams_(streams) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_s));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return SendError(413, "PAYLOAD_TOO_LARGE",
                       "request body exceeds the limit of " + std::to_string(options_.max_body_bytes) +
                           " bytes (server.max_body_bytes)");
    }
    if (ec == http::error::header_limit) {
      return SendError(431, "HEADERS_TOO_LARGE", "request headers exceed 65536 bytes");
    }
    if (ec) {
      return SendError(400, "BAD_REQUEST", "malformed HTTP request: " + ec.message());
    }
    http::request<http::string_body> req = parser_->release();
    bool keep_alive = req.keep_alive();
    unsigned version = req.version();
    bool head = req.method() == http::verb::head;
    HttpRequest request = ToRequest(req);
    HttpResponse response;
    try {
      response = handler_(request);
    } catch (const std::exception& e) {
      response = HttpResponse::Error(500, "INTERNAL", std::string("handler failed: ") + e.what());
    }
    Send(std::move(response), version, keep_alive, head);
  }

  void SendError(int status, std::string_view code, const std::string& message) {
    // The connection's framing is unknown after a parse error: answer and close.
    Send(HttpResponse::Error(status, code, message), 11, false, false);
  }

  void Send(HttpResponse response, unsigned version, bool keep_alive, bool head) {
    if (response.stream) {
      if (!head) return StartStream(std::move(response));
      response.stream->Cancel();  // HEAD: the headers only
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), version);
    res->set(http::field::server, "foresight");
    res->set(http::field::content_type, response.content_type);
    for (auto& [k, v] : response.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    size_t length = response.body.size();
    if (!head) res->body() = std::move(response.body);
    res->content_length(length);
    if (head) res->body().clear();
    res_ = res;
    http::async_write(stream_, *res,
                      [self = shared_from_this(), keep_alive, res](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Streamed response: headers now, then whatever the body delivers until it ends or the peer leaves.
  // The connection is close-delimited (HTTP/1.1 without Content-Length), so it is never reused.
  void StartStream(HttpResponse response) {
    body_ = std::move(response.stream);
    streams_.Add(shared_from_this());
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) +
                       "\r\nServer: foresight\r\nContent-Type: " + response.content_type +
                       "\r\nConnection: close\r\n";
    for (auto& [k, v] : response.headers) head += k + ": " + v + "\r\n";
    head += "\r\n";
    stream_.expires_never();
    WatchPeer();
    WriteChunk(std::move(head));
  }

  // A streaming client sends nothing more; a completed read means it closed (or broke) the connection.
  void WatchPeer() {
    stream_.socket().async_read_some(asio::buffer(peer_buf_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->EndStream();
      self->WatchPeer();
    });
  }

  void WriteChunk(std::string data) {
    if (stream_done_) return;
    auto chunk = std::make_shared<std::string>(std::move(data));
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_s));  // a client that stops reading is dropped
    asio::async_write(stream_, asio::buffer(*chunk), [self = shared_from_this(), chunk](beast::error_code ec, size_t) {
      if (ec) return self->EndStream();
      self->PullNext();
    });
  }

  void PullNext() {
    if (stream_done_) return;
    std::weak_ptr<Session> weak = shared_from_this();
    auto executor = stream_.get_executor();
    body_->Pull([weak, executor](std::optional<std::string> data) {
      asio::post(executor, [weak, data = std::move(data)]() mutable {
        auto self = weak.lock();
        if (!self || self->stream_done_) return;
        if (!data) return self->EndStream();
        self->WriteChunk(std::move(*data));
      });
    });
  }

 public:
  std::shared_ptr<StreamBody> body() const { return body_; }
  auto executor() { return stream_.get_executor(); }

  void EndStream() {
    if (stream_done_) return;
    stream_done_ = true;
    if (body_) body_->Cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const HttpServerOptions& options_;
  const Handler& handler_;
  StreamRegistry& streams_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> res_;
  std::shared_ptr<StreamBody> body_;
  std::array<char, 512> peer_buf_{};
  bool stream_done_ = false;
};

void StreamRegistry::CloseAll() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    for (auto& w : sessions) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
    sessions.clear();
  }
  if (live.empty()) return;
  for (auto& s : live) s->body()->Cancel();  // thread-safe: drops callbacks into this server
  struct Latch {
    std::mutex mu;
    std::condition_variable cv;
    size_t left;
  };
  auto latch = std::make_shared<Latch>();
  latch->left = live.size();
  for (auto& s : live) {
    asio::post(s->executor(), [s, latch] {
      s->EndStream();
      std::lock_guard lock(latch->mu);
      if (--latch->left == 0) latch->cv.notify_all();
    });
  }
  std::unique_lock lock(latch->mu);
  latch->cv.wait_for(lock, std::chrono::seconds(2), [&] { return latch->left == 0; });
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> running{false};
  uint16_t port = 0;
  StreamRegistry streams;

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (!ec) {
        std::make_shared<Session>(std::move(socket), options, handler, streams)->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return Status::InvalidArgument("server.listen", impl_->options.address, ec.message());
  tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("http listen", impl_->options.address + ":" + std::to_string(impl_->options.port),
                               ec.message());
  }
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->running = true;
  impl_->Accept();
  int n = std::max(1, impl_->options.threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->running.exchange(false)) return;
  // Open streams first: their bodies drop the callbacks that would post to this server's threads,
  // and their clients see the connection end now rather than when the server object is destroyed.
  impl_->streams.CloseAll();
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

uint16_t HttpServer::port() const { return impl_->port; }

}  // namespace foresight::api

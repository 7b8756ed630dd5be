#pragma once
// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, a fixed pool of I/O threads, one Handler for
// every request. Bodies over max_body_bytes get 413, unparsable requests 400, both with a JSON message.
// Owned by the app; Start() and Stop() from one thread. Handlers run on the I/O threads and must be
// thread-safe and quick (they must not block on training or notifiers).

#include <cstdint>
#include <memory>
#include <string>

#include "api/http.h"
#include "core/status.h"

namespace foresight::api {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;                     // 0: pick a free port (see port())
  int threads = 2;
  size_t max_body_bytes = 8 << 20;          // Larger bodies: 413 with a message.
  int idle_timeout_s = 60;                  // Keep-alive connections idle longer are closed.
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the I/O threads. Errors: Unavailable (address in use, bad address).
  Status Start();
  // Stops accepting, closes connections, joins threads. Idempotent.
  void Stop();
  // The bound port (useful with port 0).
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace foresight::api

#pragma once
// SyslogServer: listens for syslog on one address and port, over UDP (one message per datagram) and TCP
// (RFC 6587 octet counting or newline framing, several connections), parses each message (syslog.h) and
// hands the records to a sink in small batches. Boost.Asio on one thread of its own. Off unless
// configured (`--syslog-listen 127.0.0.1:5514`, config `ingest.syslog_listen`).
//
// Messages that do not parse are counted (parse_errors) and dropped: syslog has no way to answer.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "ingest/log_record.h"

namespace foresight::ingest {

struct SyslogServerOptions {
  std::string listen = "127.0.0.1:5514";  // host:port; port 0 picks a free one (port() tells which)
  size_t max_message_bytes = 64 * 1024;
  size_t max_connections = 256;
};

class SyslogServer {
 public:
  using Sink = std::function<void(std::vector<LogRecord>&&)>;
  ~SyslogServer();

  // Binds UDP and TCP on the address and starts the thread.
  // Errors: InvalidArgument for a malformed address, Unavailable when a socket cannot be bound.
  static Result<std::unique_ptr<SyslogServer>> Start(const SyslogServerOptions& options, const Clock& clock, Sink sink);
  void Stop();
  uint16_t port() const;

  uint64_t messages() const { return messages_.load(); }
  uint64_t parse_errors() const { return parse_errors_.load(); }

 private:
  struct Impl;
  SyslogServer() = default;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> parse_errors_{0};
};

// "127.0.0.1:5514" / "[::1]:5514" / ":5514" (all interfaces) → host and port.
Result<std::pair<std::string, uint16_t>> ParseListenAddress(std::string_view text);

}  // namespace foresight::ingest

#include "ingest/log_event_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace foresight::ingest {

LogEventService::LogEventService(LogEventOptions options, const Clock& clock, Sink sink)
    : options_(std::move(options)), clock_(clock), sink_(std::move(sink)), logs_(options_.logs), events_(options_.events) {}

LogEventService::~LogEventService() { Stop(); }

Status LogEventService::Start() {
  if (!options_.syslog_listen.empty()) {
    SyslogServerOptions so;
    so.listen = options_.syslog_listen;
    so.max_message_bytes = options_.max_line_bytes;
    FS_ASSIGN_OR_RETURN(syslog_, SyslogServer::Start(so, clock_, [this](std::vector<LogRecord>&& batch) {
                          logs_.Add(batch);
                        }));
    spdlog::info("syslog: listening on {} (UDP and TCP, port {})", options_.syslog_listen, syslog_->port());
  }
  thread_ = std::jthread([this](std::stop_token stop) {
    auto next = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
      next += std::chrono::nanoseconds(options_.interval_ns);
      while (!stop.stop_requested() && std::chrono::steady_clock::now() < next) {
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(next - std::chrono::steady_clock::now(),
                                                                        std::chrono::milliseconds(50)));
      }
      if (stop.stop_requested()) break;
      if (std::chrono::steady_clock::now() > next + std::chrono::nanoseconds(options_.interval_ns)) {
        next = std::chrono::steady_clock::now();  // fell behind: skip rather than burst
      }
      FlushNow();
    }
  });
  return Status::Ok();
}

void LogEventService::Stop() {
  if (syslog_) syslog_->Stop();
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
    FlushNow();
  }
}

void LogEventService::FlushNow() {
  std::lock_guard lock(flush_mu_);
  TimestampNs tick = clock_.NowNs();
  tick -= tick % kNanosPerMilli;
  std::vector<LabeledSample> out;
  logs_.Flush(tick, &out);
  events_.Flush(tick, &out);
  if (out.empty()) return;
  if (Status st = sink_(out, tick); !st.ok()) spdlog::warn("logs/events flush: {}", st.ToString());
}

}  // namespace foresight::ingest

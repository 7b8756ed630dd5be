#pragma once
// LogEventService: the logs-and-events side of ingest in one object the pipeline owns. It holds the
// LogIngestor (templates → series), the EventAggregator (events → series) and, when configured, the
// SyslogServer, and runs a flush thread that every `interval_ns` turns the interval's counts into
// LabeledSamples and hands them to the sink (the pipeline's ingest: stored, acknowledged, scored like
// collected samples). Stop() stops syslog and flushes what was counted, so a clean shutdown loses nothing
// that was acknowledged.
//
// Thread-safe: AddLogs/AddEvents/Templates from any thread.

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "ingest/event_aggregator.h"
#include "ingest/log_ingestor.h"
#include "ingest/syslog_server.h"

namespace foresight::ingest {

struct LogEventOptions {
  int64_t interval_ns = kNanosPerSecond;  // the collect interval
  LogIngestorOptions logs;
  EventAggregatorOptions events;
  std::string syslog_listen;              // "" = no syslog listener
  size_t max_line_bytes = 64 * 1024;      // syslog messages longer than this are cut (UDP) or refused (TCP)
};

class LogEventService {
 public:
  // Stores the samples of one flush (timestamp `tick`); called from the flush thread only.
  using Sink = std::function<Status(std::span<const LabeledSample> samples, TimestampNs tick)>;

  LogEventService(LogEventOptions options, const Clock& clock, Sink sink);
  ~LogEventService();

  // Starts the syslog listener (if configured) and the flush thread. Errors: those of SyslogServer::Start.
  Status Start();
  // Stops the listener and the thread, then flushes once more.
  void Stop();

  LogAddResult AddLogs(std::span<const LogRecord> records) { return logs_.Add(records); }
  // Returns how many events were refused (too many distinct type/entity pairs).
  size_t AddEvents(std::span<const Event> events) { return events_.Add(events); }
  std::vector<TemplateInfo> Templates(std::string_view entity, size_t limit) const { return logs_.Templates(entity, limit); }
  // Flushes now (the flush thread's body; tests call it directly).
  void FlushNow();

  uint16_t syslog_port() const { return syslog_ ? syslog_->port() : 0; }
  const LogIngestor& logs() const { return logs_; }
  const EventAggregator& events() const { return events_; }

 private:
  const LogEventOptions options_;
  const Clock& clock_;
  Sink sink_;
  LogIngestor logs_;
  EventAggregator events_;
  std::unique_ptr<SyslogServer> syslog_;
  std::mutex flush_mu_;
  std::jthread thread_;
};

}  // namespace foresight::ingest

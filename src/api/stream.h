#pragma once
// GET /api/v1/stream: live updates for the dashboard as Server-Sent Events.
//
// One poller thread per hub reads, once per poll interval and only while someone listens, the service
// status, the entities, the newest predictions and the newest alerts through the ServiceBackend and the
// RecordStore, and pushes what changed to every subscriber:
//   event: hello        {"server_time_ms", "poll_interval_ms", "heartbeat_ms"}   once, on connect
//   event: status       the GET /api/v1/status data, on connect and when it changes (uptime ignored)
//   event: entities     {"full":true,"entities":[...]} on connect; then {"full":false,"changed":[...],
//                       "removed":["name",...]} (score compared at 0.01, last_seen ignored)
//   event: prediction   one prediction (as GET /api/v1/predictions renders it), new or changed
//   event: alert        one alert, new or changed (e.g. acknowledged)
//   event: bye          {"reason":"shutdown"} when the hub ends its streams
//   ": ping" comments   after heartbeat_ms without an event
// Bounded: at most max_streams subscribers (more: 503 with Retry-After), at most max_queued_bytes
// waiting per subscriber (a client that falls further behind is disconnected; EventSource reconnects
// and the dashboard reloads what it shows).

#include <chrono>
#include <memory>

#include "api/http.h"
#include "api/routes.h"

namespace foresight::api {

struct StreamOptions {
  size_t max_streams = 32;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds heartbeat{15000};
  size_t max_queued_bytes = 4 << 20;
  size_t max_predictions = 200;  // newest predictions compared each poll
  size_t max_alerts = 200;       // newest alerts compared each poll
};

class EventHub {
 public:
  // ctx's pointers are borrowed: they must outlive the hub.
  EventHub(const ApiContext& ctx, StreamOptions options = {});
  ~EventHub();  // Shutdown(), then joins the poller
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The GET /api/v1/stream response: a stream (200, text/event-stream), or 503 RESOURCE_EXHAUSTED
  // with Retry-After when max_streams subscribers are connected, or 503 UNAVAILABLE after Shutdown.
  HttpResponse Subscribe(const HttpRequest& req);
  // Subscribers still connected.
  size_t active_streams() const;
  // Sends "bye" and ends every stream; later Subscribe calls get 503. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Registers GET /api/v1/stream on the router with a hub that lives as long as the route (the router).
// Returns the hub (tests look at active_streams()).
std::shared_ptr<EventHub> RegisterStreamRoutes(Router& router, const ApiContext& ctx, StreamOptions options = {});

}  // namespace foresight::api

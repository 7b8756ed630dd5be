#include "api/stream.h"

#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "api/json.h"

namespace foresight::api {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string Frame(std::string_view event, const json& data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  out += Dump(data);  // compact JSON has no raw newlines, so one data line suffices
  out += "\n\n";
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One subscriber's queue of frames. Producers: the poller. Consumer: the HTTP session through Pull.
class Channel final : public StreamBody {
 public:
  explicit Channel(size_t max_bytes) : max_bytes_(max_bytes) {}

  void Pull(Deliver deliver) override {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    pending_ = std::move(deliver);
    TryDeliverLocked();
  }

  void Cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    pending_ = nullptr;
    queue_.clear();
    bytes_ = 0;
  }

  // Queues a frame; a subscriber over its byte budget is ended (it reconnects and reloads).
  void Push(std::string frame) {
    std::lock_guard lock(mu_);
    if (cancelled_ || ended_) return;
    if (bytes_ + frame.size() > max_bytes_) {
      queue_.clear();
      bytes_ = 0;
      ended_ = true;
    } else {
      bytes_ += frame.size();
      queue_.push_back(std::move(frame));
    }
    TryDeliverLocked();
  }

  void End() {
    std::lock_guard lock(mu_);
    ended_ = true;
    TryDeliverLocked();
  }

  bool Finished() const {
    std::lock_guard lock(mu_);
    return cancelled_ || (ended_ && queue_.empty() && !pending_);
  }
  bool Cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  bool needs_snapshot = true;  // poller thread only
  std::chrono::steady_clock::time_point last_sent = std::chrono::steady_clock::now();  // poller thread only

 private:
  // `deliver` only posts to the session's executor, so calling it under the lock cannot block or
  // re-enter; holding the lock makes Cancel wait for a delivery in progress.
  void TryDeliverLocked() {
    if (!pending_) return;
    if (!queue_.empty()) {
      std::string data;
      data.reserve(bytes_);
      for (auto& f : queue_) data += f;
      queue_.clear();
      bytes_ = 0;
      auto d = std::move(pending_);
      pending_ = nullptr;
      d(std::move(data));
    } else if (ended_) {
      auto d = std::move(pending_);
      pending_ = nullptr;
      d(std::nullopt);
    }
  }

  mutable std::mutex mu_;
  const size_t max_bytes_;
  std::deque<std::string> queue_;
  size_t bytes_ = 0;
  bool ended_ = false;
  bool cancelled_ = false;
  Deliver pending_;
};

// What is compared between polls: the entity without last_seen and with the score at 0.01.
std::string EntityKey(json e) {
  e.erase("last_seen");
  if (auto it = e.find("score"); it != e.end() && it->is_number()) *it = std::round(it->get<double>() * 100) / 100;
  return Dump(e);
}

std::string StatusKey(json s) {
  for (auto it = s.begin(); it != s.end();) {
    if (it.key().find("uptime") != std::string::npos || it.key() == "samples_ingested") {
      it = s.erase(it);
    } else {
      ++it;
    }
  }
  return Dump(s);
}

}  // namespace

struct EventHub::Impl {
  ApiContext ctx;
  StreamOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<Channel>> channels;  // guarded by mu
  bool stopping = false;                           // guarded by mu
  bool wake = false;                               // guarded by mu
  std::thread poller;

  // Poller state (poller thread only).
  bool have_baseline = false;
  std::string status_key;
  json status;
  std::map<std::string, std::string> entity_keys;
  json entities = json::array();
  std::map<std::string, std::string> prediction_keys;
  std::map<std::string, std::string> alert_keys;

  void Run() {
    std::unique_lock lock(mu);
    while (!stopping) {
      cv.wait_for(lock, options.poll_interval, [&] { return stopping || wake; });
      if (stopping) break;
      wake = false;
      std::erase_if(channels, [](const auto& c) { return c->Finished(); });
      if (channels.empty()) {
        have_baseline = false;  // nobody listens: poll nothing, start afresh for the next subscriber
        continue;
      }
      auto subscribers = channels;
      lock.unlock();
      Poll(subscribers);
      lock.lock();
    }
  }

  void Poll(const std::vector<std::shared_ptr<Channel>>& subs) {
    std::vector<std::string> broadcast;

    json st = ctx.service->StatusJson();
    std::string sk = StatusKey(st);
    if (sk != status_key) {
      status_key = sk;
      if (have_baseline) broadcast.push_back(Frame("status", st));
    }
    status = std::move(st);

    json ents = ctx.service->EntitiesJson();
    json changed = json::array();
    std::map<std::string, std::string> keys;
    for (const auto& e : ents) {
      std::string name = e.value("entity", "");
      std::string k = EntityKey(e);
      auto it = entity_keys.find(name);
      if (it == entity_keys.end() || it->second != k) changed.push_back(e);
      keys[name] = std::move(k);
    }
    json removed = json::array();
    for (const auto& [name, _] : entity_keys) {
      if (!keys.count(name)) removed.push_back(name);
    }
    entity_keys = std::move(keys);
    entities = std::move(ents);
    if (have_baseline && (!changed.empty() || !removed.empty())) {
      broadcast.push_back(Frame("entities", json{{"full", false}, {"changed", changed}, {"removed", removed}}));
    }

    if (ctx.records) {
      storage::PredictionFilter pf;
      pf.limit = options.max_predictions;
      if (auto preds = ctx.records->ListPredictions(pf); preds.ok()) {
        std::map<std::string, std::string> next;
        // Oldest first, so a client sees them in the order they happened.
        for (auto it = preds->rbegin(); it != preds->rend(); ++it) {
          json j = ToJson(*it);
          std::string k = Dump(j);
          auto old = prediction_keys.find(it->id);
          if (have_baseline && (old == prediction_keys.end() || old->second != k)) {
            broadcast.push_back(Frame("prediction", j));
          }
          next[it->id] = std::move(k);
        }
        prediction_keys = std::move(next);
      }
      storage::AlertFilter af;
      af.limit = options.max_alerts;
      if (auto alerts = ctx.records->ListAlerts(af); alerts.ok()) {
        std::map<std::string, std::string> next;
        for (auto it = alerts->rbegin(); it != alerts->rend(); ++it) {
          json j = ToJson(*it);
          std::string k = Dump(j);
          auto old = alert_keys.find(it->id);
          if (have_baseline && (old == alert_keys.end() || old->second != k)) broadcast.push_back(Frame("alert", j));
          next[it->id] = std::move(k);
        }
        alert_keys = std::move(next);
      }
    }
    have_baseline = true;

    auto now = std::chrono::steady_clock::now();
    for (const auto& c : subs) {
      bool sent = false;
      if (c->needs_snapshot) {
        c->needs_snapshot = false;
        c->Push(Frame("status", status));
        c->Push(Frame("entities", json{{"full", true}, {"entities", entities}}));
        sent = true;
      } else {
        for (const auto& f : broadcast) c->Push(f);
        sent = !broadcast.empty();
      }
      if (sent) {
        c->last_sent = now;
      } else if (now - c->last_sent >= options.heartbeat) {
        c->Push(": ping\n\n");
        c->last_sent = now;
      }
    }
  }
};

EventHub::EventHub(const ApiContext& ctx, StreamOptions options) : impl_(std::make_shared<Impl>()) {
  impl_->ctx = ctx;
  impl_->options = options;
  impl_->poller = std::thread([impl = impl_.get()] { impl->Run(); });
}

EventHub::~EventHub() {
  Shutdown();
  if (impl_->poller.joinable()) impl_->poller.join();
}

HttpResponse EventHub::Subscribe(const HttpRequest&) {
  auto channel = std::make_shared<Channel>(impl_->options.max_queued_bytes);
  // First frame, before the poller can see the channel. retry: tells EventSource how soon to reconnect.
  channel->Push("retry: 2000\n" + Frame("hello", json{{"server_time_ms", NowMs()},
                                                       {"poll_interval_ms", impl_->options.poll_interval.count()},
                                                       {"heartbeat_ms", impl_->options.heartbeat.count()}}));
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return HttpResponse::Error(503, "UNAVAILABLE", "the server is shutting down");
    std::erase_if(impl_->channels, [](const auto& c) { return c->Finished(); });
    if (impl_->channels.size() >= impl_->options.max_streams) {
      HttpResponse r = HttpResponse::Error(
          503, "RESOURCE_EXHAUSTED",
          "too many event streams open (limit " + std::to_string(impl_->options.max_streams) + "); retry later");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    impl_->channels.push_back(channel);
    impl_->wake = true;
  }
  impl_->cv.notify_all();
  HttpResponse r;
  r.status = 200;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  r.stream = channel;
  return r;
}

size_t EventHub::active_streams() const {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (const auto& c : impl_->channels) n += c->Finished() ? 0 : 1;
  return n;
}

void EventHub::Shutdown() {
  std::vector<std::shared_ptr<Channel>> channels;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
    channels = impl_->channels;
  }
  impl_->cv.notify_all();
  for (auto& c : channels) {
    c->Push(Frame("bye", json{{"reason", "shutdown"}}));
    c->End();
  }
}

std::shared_ptr<EventHub> RegisterStreamRoutes(Router& router, const ApiContext& ctx, StreamOptions options) {
  auto hub = std::make_shared<EventHub>(ctx, options);
  router.Add("GET", "/api/v1/stream", [hub](HttpRequest& req) { return hub->Subscribe(req); });
  return hub;
}

}  // namespace foresight::api

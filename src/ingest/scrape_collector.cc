#include "ingest/scrape_collector.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <mutex>

#include "ingest/exposition.h"

namespace foresight::ingest {
namespace {

// What Prometheus sends: OpenMetrics preferred, the 0.0.4 text format as fallback.
constexpr const char* kAcceptHeader =
    "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

void GlobalInitOnce() {
  // curl_global_init is not thread-safe before 7.84; once per process, never cleaned up.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// The default instance label: host:port of the url, the port inferred from the scheme when absent,
// as Prometheus derives __address__. Returns "" when the url has no host.
std::string InstanceOf(std::string_view url) {
  bool https = StartsWithNoCase(url, "https://");
  size_t start = url.find("://");
  if (start == std::string_view::npos) return {};
  start += 3;
  size_t end = url.find_first_of("/?#", start);
  std::string_view authority = url.substr(start, end == std::string_view::npos ? url.size() - start : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return {};
  size_t colon = authority.rfind(':');
  bool has_port = colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos;
  if (authority[0] == ':') return {};
  if (has_port) return std::string(authority);
  return std::string(authority) + (https ? ":443" : ":80");
}

}  // namespace

struct ScrapeCollector::State {
  struct Target {
    ScrapeTarget config;
    Labels target_labels;
    TimestampNs next_due = std::numeric_limits<TimestampNs>::min();
    std::unique_ptr<CURL, EasyDeleter> easy;  // kept across scrapes so keep-alive connections are reused
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    std::string body;
    bool oversize = false;
    size_t max_body = 0;
    char errbuf[CURL_ERROR_SIZE] = {};
    ScrapeTargetStatus status;
  };
  std::vector<Target> targets;
  ScrapeCollectorOptions options;
  std::unique_ptr<CURLM, MultiDeleter> multi;
};

ScrapeCollector::ScrapeCollector(std::unique_ptr<State> state) : state_(std::move(state)) {}
ScrapeCollector::~ScrapeCollector() = default;

Result<std::unique_ptr<ScrapeCollector>> ScrapeCollector::Create(std::vector<ScrapeTarget> targets,
                                                                  ScrapeCollectorOptions options) {
  GlobalInitOnce();
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  state->targets.reserve(targets.size());
  for (auto& t : targets) {
    auto bad = [&](std::string_view why) { return Status::InvalidArgument("scrape target", t.url, why); };
    if (t.job.empty()) return bad("empty job");
    if (!StartsWithNoCase(t.url, "http://") && !StartsWithNoCase(t.url, "https://")) return bad("url must start with http:// or https://");
    std::string instance = InstanceOf(t.url);
    if (instance.empty()) return bad("url has no host");
    if (t.interval_ns <= 0) return bad("interval must be > 0");
    if (t.timeout_ns <= 0 || t.timeout_ns > t.interval_ns) return bad("timeout must be > 0 and <= interval");
    for (const auto& l : t.labels) {
      if (l.name.starts_with("__")) return bad("label " + l.name + " is reserved");
    }
    FS_RETURN_IF_ERROR(t.labels.Validate().WithContext("scrape target " + t.url));

    State::Target st;
    st.target_labels = Labels{{"job", t.job}, {"instance", instance}};
    for (const auto& l : t.labels) st.target_labels.Set(l.name, l.value);  // configured labels win
    st.status.url = t.url;
    st.status.target_labels = st.target_labels;
    st.config = std::move(t);
    state->targets.push_back(std::move(st));
  }
  state->multi.reset(curl_multi_init());
  if (!state->multi) return Status::Internal("curl_multi_init failed");
  // Handles live as long as the collector so keep-alive connections are reused; targets no longer move.
  for (auto& target : state->targets) {
    State::Target* t = &target;
    t->easy.reset(curl_easy_init());
    if (!t->easy) return Status::Internal("curl_easy_init failed");
    CURL* h = t->easy.get();
    std::string timeout_hdr = "X-Prometheus-Scrape-Timeout-Seconds: " +
                              std::to_string(static_cast<double>(t->config.timeout_ns) / kNanosPerSecond);
    curl_slist* headers = curl_slist_append(nullptr, kAcceptHeader);
    headers = curl_slist_append(headers, timeout_hdr.c_str());
    t->headers.reset(headers);
    const long timeout_ms = std::max<long>(1, static_cast<long>(t->config.timeout_ns / kNanosPerMilli));
    t->max_body = state->options.max_body_bytes;
    curl_easy_setopt(h, CURLOPT_URL, t->config.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: the app has other threads
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode (gzip, deflate, ...)
    curl_easy_setopt(h, CURLOPT_USERAGENT, state->options.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers.get());
    curl_write_callback write_body = [](char* data, size_t size, size_t nmemb, void* user) -> size_t {
      auto* target = static_cast<State::Target*>(user);
      size_t n = size * nmemb;
      if (target->body.size() + n > target->max_body) {
        target->oversize = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
      }
      target->body.append(data, n);
      return n;
    };
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
  }
  return std::unique_ptr<ScrapeCollector>(new ScrapeCollector(std::move(state)));
}

Status ScrapeCollector::Collect(TimestampNs now, std::vector<LabeledSample>* out) {
  State& s = *state_;
  std::vector<State::Target*> due;
  for (auto& t : s.targets) {
    if (now >= t.next_due) due.push_back(&t);
  }
  if (due.empty()) return Status::Ok();

  for (State::Target* t : due) {
    // A fixed cadence like Prometheus; after a stall, skip the missed slots instead of bursting.
    t->next_due = t->next_due == std::numeric_limits<TimestampNs>::min() ? now + t->config.interval_ns
                                                                          : t->next_due + t->config.interval_ns;
    if (t->next_due <= now) t->next_due = now + t->config.interval_ns;

    t->body.clear();
    t->oversize = false;
    t->errbuf[0] = '\0';
    curl_multi_add_handle(s.multi.get(), t->easy.get());
  }

  // Every due target in flight at once; each handle's own CURLOPT_TIMEOUT_MS bounds the loop.
  int running = 0;
  do {
    CURLMcode mc = curl_multi_perform(s.multi.get(), &running);
    if (mc == CURLM_OK && running > 0) mc = curl_multi_poll(s.multi.get(), nullptr, 0, 1000, nullptr);
    if (mc != CURLM_OK) {
      for (State::Target* t : due) curl_multi_remove_handle(s.multi.get(), t->easy.get());
      return Status::Internal("curl multi", curl_multi_strerror(mc));
    }
  } while (running > 0);

  std::vector<std::pair<CURL*, CURLcode>> done;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(s.multi.get(), &left)) {
    if (msg->msg == CURLMSG_DONE) done.emplace_back(msg->easy_handle, msg->data.result);
  }

  std::string failures;
  for (State::Target* t : due) {
    CURLcode code = CURLE_OK;
    for (const auto& [easy, c] : done) {
      if (easy == t->easy.get()) code = c;
    }
    CURL* h = t->easy.get();
    curl_off_t total_us = 0;
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
    auto parse_start = std::chrono::steady_clock::now();

    std::string error;
    size_t scraped = 0;
    if (code != CURLE_OK) {
      if (t->oversize) {
        error = "body exceeds " + std::to_string(t->max_body) + " bytes";
      } else {
        error = t->errbuf[0] != '\0' ? std::string(t->errbuf) : std::string(curl_easy_strerror(code));
      }
    } else {
      long http = 0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
      if (http != 200) {
        error = "server returned HTTP status " + std::to_string(http);
      } else {
        const char* ct = nullptr;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        auto format = ExpositionFormatFromContentType(ct != nullptr ? ct : "");
        auto n = ParseExposition(t->body, now, t->target_labels, out, format);
        if (n.ok()) {
          scraped = *n;
        } else {
          error = n.status().message();
        }
      }
    }
    curl_multi_remove_handle(s.multi.get(), h);
    double parse_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - parse_start).count();
    double duration_s = static_cast<double>(total_us) / 1e6 + parse_s;

    auto synthetic = [&](std::string_view name, double value) {
      Labels l = t->target_labels;
      l.Set(kMetricNameLabel, name);
      out->push_back(LabeledSample{std::move(l), now, value});
    };
    synthetic("up", error.empty() ? 1 : 0);
    synthetic("scrape_duration_seconds", duration_s);
    synthetic("scrape_samples_scraped", static_cast<double>(scraped));

    t->status.last_scrape_ns = now;
    t->status.last_duration_s = duration_s;
    t->status.up = error.empty();
    t->status.last_samples = scraped;
    t->status.last_error = error;
    if (!error.empty()) {
      if (!failures.empty()) failures += "; ";
      failures += t->config.url + ": " + error;
    }
    t->body.clear();  // capacity kept for the next scrape
  }
  if (!failures.empty()) return Status::Unavailable("scrape", failures);
  return Status::Ok();
}

std::vector<ScrapeTargetStatus> ScrapeCollector::TargetStatuses() const {
  std::vector<ScrapeTargetStatus> out;
  out.reserve(state_->targets.size());
  for (const auto& t : state_->targets) out.push_back(t.status);
  return out;
}

}  // namespace foresight::ingest

#pragma once
// ScrapeCollector: pulls Prometheus /metrics endpoints (node_exporter, any client library) over HTTP(S)
// with libcurl, like a Prometheus scrape loop: per-target interval and timeout, job/instance labels, and
// the synthetic series up, scrape_duration_seconds, scrape_samples_scraped per target.
// Mapping and errors: src/ingest/README.md, "Prometheus scraping".
// Owned by app/; not thread-safe: the owner serialises Collect() and TargetStatuses().

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/status.h"
#include "core/types.h"
#include "ingest/collector.h"

namespace foresight::ingest {

// One endpoint to scrape (one entry of a Prometheus static_config's targets, with its job's settings).
struct ScrapeTarget {
  std::string url;                          // "http://host:9100/metrics"; http or https
  std::string job;                          // the job label; REQUIRES non-empty
  int64_t interval_ns = 15 * kNanosPerSecond;  // scrape every interval; REQUIRES > 0
  int64_t timeout_ns = 10 * kNanosPerSecond;   // whole request incl. connect; REQUIRES 0 < timeout <= interval
  Labels labels;  // added to every sample; may set "instance" (default: host:port of the url) or "job"
};

struct ScrapeCollectorOptions {
  size_t max_body_bytes = 64 << 20;  // a larger (decompressed) body fails that scrape: up=0
  std::string user_agent = "Foresight-Scraper/0.1";
};

// Health of one target after its latest scrape, for an API like Prometheus' /api/v1/targets.
struct ScrapeTargetStatus {
  std::string url;
  Labels target_labels;         // job, instance and the configured labels
  TimestampNs last_scrape_ns = 0;  // 0: not scraped yet
  double last_duration_s = 0;
  bool up = false;
  size_t last_samples = 0;
  std::string last_error;  // "" when up
};

class ScrapeCollector final : public Collector {
 public:
  // Validates the targets. Errors: InvalidArgument naming the target (empty job, url not http(s)://
  // with a host, interval <= 0, timeout <= 0 or > interval, invalid labels).
  static Result<std::unique_ptr<ScrapeCollector>> Create(std::vector<ScrapeTarget> targets,
                                                         ScrapeCollectorOptions options = {});
  ~ScrapeCollector() override;
  ScrapeCollector(const ScrapeCollector&) = delete;
  ScrapeCollector& operator=(const ScrapeCollector&) = delete;

  std::string_view name() const override { return "scrape"; }

  // Scrapes, concurrently, every target whose interval has elapsed since its previous scrape (all of them
  // on the first call), waiting at most the largest due target's timeout. For each scraped target it
  // appends the target's samples (timestamped `now` unless the exposition carries a timestamp) plus
  // up (1/0), scrape_duration_seconds and scrape_samples_scraped, each with the target's labels.
  // A failed scrape (connect error, timeout, HTTP status != 200, oversize or malformed body) appends
  // no scraped samples, up=0 and scrape_samples_scraped=0, and Collect returns Unavailable naming every
  // failed target and why; the other targets' samples are still appended.
  Status Collect(TimestampNs now, std::vector<LabeledSample>* out) override;

  std::vector<ScrapeTargetStatus> TargetStatuses() const;

 private:
  struct State;  // curl handles and per-target state (scrape_collector.cc)
  explicit ScrapeCollector(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace foresight::ingest

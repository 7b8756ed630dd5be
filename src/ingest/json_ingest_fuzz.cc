// libFuzzer target for the JSON logs and events parsers (scripts/fuzz.sh 60 'json_ingest*'), feeding the
// parsed lines through the LogIngestor (template miner) and events through the EventAggregator, then
// flushing. Checks: accepted + bad = lines; first_error iff a bad line and names "line N: "; appended ==
// accepted; every flushed sample has valid labels.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ingest/event_aggregator.h"
#include "ingest/json_ingest.h"
#include "ingest/log_ingestor.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void CheckResult(const foresight::ingest::JsonIngestResult& r, size_t appended) {
  Check(r.accepted <= r.lines, "accepted <= lines");
  Check(r.first_error.has_value() == (r.bad() > 0), "first_error iff a bad line");
  if (r.first_error) Check(r.first_error->starts_with("line "), "first_error names the line");
  Check(appended == r.accepted, "appended == accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foresight::ingest;
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  JsonIngestOptions o;
  o.now = 1'764'000'000LL * 1'000'000'000LL;
  if (data[0] & 1) {
    o.max_line_bytes = 64;
    o.max_fields = 2;
    o.max_value_bytes = 8;
  }
  std::vector<foresight::LabeledSample> out;
  if (data[0] & 2) {
    std::vector<Event> events;
    auto r = ParseJsonEvents(body, o, &events);
    CheckResult(r, events.size());
    EventAggregator agg;
    agg.Add(events);
    agg.Flush(o.now, &out);
  } else {
    std::vector<LogRecord> logs;
    auto r = ParseJsonLogs(body, o, &logs);
    CheckResult(r, logs.size());
    LogIngestor li;
    li.Add(logs);
    li.Flush(o.now, &out);
    (void)li.Templates("", 10);
  }
  for (const auto& s : out) Check(s.labels.Validate().ok(), "labels valid");
  return 0;
}

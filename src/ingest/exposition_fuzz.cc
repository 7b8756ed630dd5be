// libFuzzer target for ParseExposition (scripts/fuzz.sh builds and runs it: scripts/fuzz.sh 60 'exposition*').
//
// Byte 0 picks the format (bit 0: OpenMetrics) and whether target labels are added (bit 1); the rest is
// the body. Besides the sanitizers, it checks what the header promises: all or nothing (a failed parse
// appends nothing and names a line of the body), the count matches what was appended, every sample has
// valid labels including the target labels, and a parsed sample written back as 0.0.4 text parses to
// itself (unescaping is the inverse of escaping).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/exposition.h"

namespace foresight::ingest {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// The sample as one line of the 0.0.4 text format.
std::string Encode(const LabeledSample& s) {
  std::string line(s.labels.metric());
  line += '{';
  for (const auto& l : s.labels) {
    if (l.name == kMetricNameLabel) continue;
    line += l.name + "=\"";
    for (char c : l.value) {
      if (c == '\\') line += "\\\\";
      else if (c == '"') line += "\\\"";
      else if (c == '\n') line += "\\n";
      else line += c;
    }
    line += "\",";
  }
  line += "} " + FormatValue(s.value);
  if (s.ts_ns % kNanosPerMilli == 0) line += " " + std::to_string(s.ts_ns / kNanosPerMilli);
  return line + "\n";
}

bool SameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace
}  // namespace foresight::ingest

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foresight;
  using namespace foresight::ingest;
  if (size == 0) return 0;
  const auto format = (data[0] & 1) != 0 ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kPrometheusText;
  const Labels extra = (data[0] & 2) != 0 ? Labels{{"job", "j"}, {"instance", "h:1"}} : Labels{};
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr TimestampNs kScrapeTs = 1'700'000'000LL * kNanosPerSecond;

  std::vector<LabeledSample> out(1);  // a sample already there must survive either way
  ExpositionError err;
  auto n = ParseExposition(body, kScrapeTs, extra, &out, format, &err);
  if (!n.ok()) {
    Check(out.size() == 1, "a failed parse appended samples");
    Check(n.status().code() == StatusCode::kInvalidArgument, "error code is not InvalidArgument");
    Check(!err.message.empty(), "error without a reason");
    size_t lines = 1;
    for (char c : body) lines += c == '\n';
    Check(err.line >= 1 && err.line <= lines + 1, "error line outside the body");
    return 0;
  }
  Check(*n == out.size() - 1, "count differs from samples appended");
  for (size_t i = 1; i < out.size(); ++i) {
    const auto& s = out[i];
    Check(s.labels.Validate().ok(), "invalid labels");
    Check(!s.labels.metric().empty(), "sample without __name__");
    for (const auto& e : extra) Check(s.labels.Get(e.name) == e.value, "target label missing or overridden");

    std::vector<LabeledSample> again;
    auto m = ParseExposition(Encode(s), kScrapeTs, {}, &again);
    Check(m.ok() && again.size() == 1, "a parsed sample written back does not parse");
    Check(again[0].labels == s.labels, "labels differ after a round trip");
    Check(SameValue(again[0].value, s.value), "value differs after a round trip");
    if (s.ts_ns % kNanosPerMilli == 0) Check(again[0].ts_ns == s.ts_ns, "timestamp differs after a round trip");
  }
  return 0;
}

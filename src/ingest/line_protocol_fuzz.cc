// libFuzzer target for DecodeLineProtocol and GunzipBody (scripts/fuzz.sh builds and runs it).
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DFORESIGHT_BUILD_FUZZ=ON
//   cmake --build build-fuzz --target line_protocol_fuzz
//   ./build-fuzz/src/ingest/line_protocol_fuzz -dict=src/ingest/line_protocol_fuzz.dict corpus/
//
// Byte 0 picks the options (precision: bits 0, 1; small limits: bits 2, 3; the gzip path: bit 4); the
// rest is the body. Besides the sanitizers, it checks what the header promises: counts add up, every
// sample has valid labels within max_labels and a finite value, a body decodes to the same samples as
// its lines one at a time, and a decoded sample written back as line protocol decodes to itself
// (escaping is symmetric). DecodeLineProtocolResolved must agree with DecodeLineProtocol on the body,
// through a cold and then a warm series cache.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/line_protocol.h"
#include "ingest/testing/line_protocol_check.h"

namespace foresight::ingest {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void AppendEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == ',' || c == '=' || c == ' ' || c == '\\') *out += '\\';
    *out += c;
  }
}

// The sample as one line of line protocol: metric name as measurement, field "value", ns timestamp.
std::string Encode(const LabeledSample& s) {
  std::string line(s.labels.metric());
  for (const auto& l : s.labels) {
    if (l.name == kMetricNameLabel) continue;
    line += ',';
    line += l.name;
    line += '=';
    AppendEscaped(l.value, &line);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " value=%.17g %lld", s.value, static_cast<long long>(s.ts_ns));
  line += buf;
  return line;
}

bool SameSamples(const std::vector<LabeledSample>& a, const std::vector<LabeledSample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i].labels == b[i].labels) || a[i].ts_ns != b[i].ts_ns) return false;
    if (!(a[i].value == b[i].value) && !(std::isnan(a[i].value) && std::isnan(b[i].value))) return false;
  }
  return true;
}

void FuzzDecode(std::string_view body, uint8_t control) {
  static const char* const kPrecisions[] = {"ns", "us", "ms", "s"};
  LineProtocolOptions o;
  o.precision = kPrecisions[control & 3];
  o.max_line_bytes = (control & 4) ? 48 : 64 * 1024;
  o.max_labels = (control & 8) ? 3 : kMaxLabels;
  o.default_ts = 42;

  std::vector<LabeledSample> out;
  DecodeResult r = DecodeLineProtocol(body, o, &out);
  Check(r.points + r.bad_lines == r.lines, "points + bad_lines == lines");
  Check(r.samples == out.size(), "samples == out.size()");
  Check(r.ok() == (r.bad_lines == 0), "first_error iff bad lines");
  if (r.first_error) {
    Check(r.first_error->line >= 1, "bad line numbered from 1");
    std::string prefix = "line " + std::to_string(r.first_error->line) + ": ";
    Check(r.first_error->message.starts_with(prefix), "message starts with line N");
  }
  for (const auto& s : out) {
    Check(s.labels.Validate().ok(), "labels valid");
    Check(s.labels.size() <= o.max_labels, "labels within max_labels");
    Check(!s.labels.metric().empty(), "metric name present");
    Check(std::isfinite(s.value), "finite value");
  }

  // Line by line gives the same samples in the same order.
  std::vector<LabeledSample> per_line;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t end = nl == std::string_view::npos ? body.size() : nl;
    (void)DecodeLineProtocol(body.substr(pos, end - pos), o, &per_line);
    pos = end + 1;
  }
  Check(SameSamples(out, per_line), "body == its lines one at a time");

  // The resolved decoder agrees, cold and then with every series cached (some refused by the resolver).
  {
    testing::NumberingResolver resolver(/*refuse_every=*/7);
    LineSeriesCache cache;
    for (int pass = 0; pass < 2; ++pass) {
      if (auto diff = testing::CompareResolvedDecode(body, o, &cache, &resolver)) {
        std::fprintf(stderr, "pass %d: %s\n", pass, diff->c_str());
        Check(false, "DecodeLineProtocolResolved == DecodeLineProtocol");
      }
    }
  }

  // Written back and decoded again, each sample is itself.
  LineProtocolOptions ns;
  for (const auto& s : out) {
    std::string line = Encode(s);
    std::vector<LabeledSample> again;
    DecodeResult r2 = DecodeLineProtocol(line, ns, &again);
    if (!r2.ok()) std::fprintf(stderr, "re-decode of %s: %s\n", line.c_str(), r2.first_error->message.c_str());
    Check(r2.ok() && again.size() == 1, "re-encoded sample decodes");
    Check(SameSamples({s}, again), "re-encoded sample decodes to itself");
  }
}

}  // namespace
}  // namespace foresight::ingest

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foresight::ingest;
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (control & 16) {
    constexpr size_t kLimit = 1 << 16;
    foresight::Result<std::string> plain = GunzipBody(body, kLimit);
    if (plain.ok()) {
      Check(plain->size() <= kLimit, "gunzip output within the limit");
      FuzzDecode(*plain, control);
    } else {
      Check(plain.status().code() == foresight::StatusCode::kInvalidArgument ||
                plain.status().code() == foresight::StatusCode::kResourceExhausted,
            "gunzip fails with InvalidArgument or ResourceExhausted");
    }
    return 0;
  }
  FuzzDecode(body, control);
  return 0;
}

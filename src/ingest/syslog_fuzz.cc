// libFuzzer target for the syslog parser and TCP framer (scripts/fuzz.sh 60 'syslog*'). The whole input is
// parsed as one message (UDP), then fed to a SyslogFramer in chunks whose sizes come from byte 0 (TCP);
// every frame is parsed too. Checks: errors are InvalidArgument; a parsed record's severity is one of the
// six normalised words and its message has no trailing CR/LF; frames never exceed the frame limit; the
// framer's buffer stays bounded.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ingest/syslog.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void ParseOne(std::string_view m) {
  auto r = foresight::ingest::ParseSyslog(m, 1'764'000'000LL * 1'000'000'000LL);
  if (!r.ok()) {
    Check(r.status().code() == foresight::StatusCode::kInvalidArgument, "errors are InvalidArgument");
    return;
  }
  const std::string& s = r->severity;
  Check(s == "trace" || s == "debug" || s == "info" || s == "warn" || s == "error" || s == "fatal", "severity normalised");
  Check(r->message.empty() || (r->message.back() != '\n' && r->message.back() != '\r'), "no trailing newline");
  Check(!r->entity.empty(), "entity set");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  ParseOne(in);
  constexpr size_t kMax = 256;
  foresight::ingest::SyslogFramer framer(kMax);
  const size_t chunk = 1 + (data[0] % 64);
  auto on = [](std::string_view frame) {
    Check(frame.size() <= kMax + 1, "frames within the limit");
    ParseOne(frame);
  };
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    if (!framer.Feed(in.substr(pos, chunk), on).ok()) return 0;
    Check(framer.buffered() <= kMax + 64 + 12, "framer buffer bounded");
  }
  framer.Finish(on);
  return 0;
}

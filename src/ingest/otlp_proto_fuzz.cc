// libFuzzer target for the OTLP protobuf decoders (scripts/fuzz.sh 60 'otlp_proto*'). Byte 0 bit 0 picks
// small limits; the rest is the body of POST /v1/metrics and /v1/logs. Checks: otlp_fuzz_common.h.
#include <cstddef>
#include <cstdint>

#include "ingest/otlp_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  foresight::ingest::fuzz::FuzzOtlp(body, foresight::ingest::OtlpEncoding::kProtobuf, (data[0] & 1) != 0);
  return 0;
}

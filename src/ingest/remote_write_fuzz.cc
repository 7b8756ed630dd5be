// libFuzzer target for DecodeRemoteWrite (scripts/fuzz.sh 60 'remote_write*' builds and runs it).
//
// Byte 0 picks the mode: bit 0 small limits (4 KiB decompressed, 3 labels); bit 1 "the rest is the
// plain WriteRequest", which the target snappy-compresses first so that mutations reach the protobuf
// and series checks instead of dying in snappy. Otherwise the rest is the body as received. Besides the
// sanitizers, it checks what the header promises: only InvalidArgument or ResourceExhausted, nothing
// appended on error; every series counted once (series + bad_series = the request's series); first_error
// iff a bad series, as "series N: "; every sample has valid labels within max_labels and __name__; and
// decoded samples encoded again decode to themselves, values bit for bit.
#include <snappy.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/remote_write.h"
#include "proto/prometheus/remote.pb.h"

namespace foresight::ingest {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

bool SameSample(const LabeledSample& a, const LabeledSample& b) {
  return a.labels == b.labels && a.ts_ns == b.ts_ns &&
         std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value);
}

void FuzzBody(std::string_view body, bool small) {
  RemoteWriteOptions o;
  if (small) {
    o.max_decompressed_bytes = 4096;
    o.max_labels = 3;
  }
  std::vector<LabeledSample> out(1);  // appended to, never cleared
  auto r = DecodeRemoteWrite(body, o, &out);
  if (!r.ok()) {
    Check(r.status().code() == StatusCode::kInvalidArgument || r.status().code() == StatusCode::kResourceExhausted,
          "errors are InvalidArgument or ResourceExhausted");
    Check(out.size() == 1, "nothing appended on error");
    return;
  }
  Check(out.size() == 1 + r->samples, "samples == appended");
  Check(r->first_error.has_value() == (r->bad_series > 0), "first_error iff bad series");
  if (r->first_error) Check(r->first_error->starts_with("series "), "first_error names the series");

  std::string plain;
  Check(snappy::Uncompress(body.data(), body.size(), &plain), "decoded body is snappy");
  prompb::WriteRequest request;
  Check(request.ParseFromString(plain), "decoded body is a WriteRequest");
  Check(r->series + r->bad_series == static_cast<size_t>(request.timeseries_size()), "every series counted once");

  std::vector<RemoteWriteSeries> again_in;
  for (size_t i = 1; i < out.size(); ++i) {
    const LabeledSample& s = out[i];
    Check(s.labels.Validate().ok(), "labels valid");
    Check(s.labels.size() <= o.max_labels, "labels within max_labels");
    Check(!s.labels.metric().empty(), "metric name present");
    Check(s.ts_ns % kNanosPerMilli == 0, "timestamp from ms");
    if (again_in.size() < 64) {
      RemoteWriteSeries one;
      for (const auto& l : s.labels) one.labels.emplace_back(l.name, l.value);
      one.samples.emplace_back(s.ts_ns / kNanosPerMilli, s.value);
      again_in.push_back(std::move(one));
    }
  }
  std::vector<LabeledSample> again;
  auto r2 = DecodeRemoteWrite(EncodeRemoteWriteForTest(again_in), RemoteWriteOptions{}, &again);
  Check(r2.ok() && r2->ok() && again.size() == again_in.size(), "re-encoded samples decode");
  for (size_t i = 0; i < again.size(); ++i) Check(SameSample(out[i + 1], again[i]), "re-encoded sample is itself");
}

}  // namespace
}  // namespace foresight::ingest

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (control & 2) {
    std::string body;
    snappy::Compress(rest.data(), rest.size(), &body);
    foresight::ingest::FuzzBody(body, control & 1);
  } else {
    foresight::ingest::FuzzBody(rest, control & 1);
  }
  return 0;
}

#pragma once
// The promise of DecodeLineProtocolResolved, checked against DecodeLineProtocol: for one body, options
// and cache, both decoders accept the same lines with the same errors and emit the same samples, the
// resolved one as ids from a resolver that numbers label sets in order of first sight (refusing some, to
// cover refusals). Used by line_protocol_test and line_protocol_fuzz; header-only, test code.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/line_protocol.h"

namespace foresight::ingest::testing {

// Numbers label sets 1, 2, 3... in order of first sight; refuses those whose text length is a multiple
// of `refuse_every` (0: none), with a message naming them.
class NumberingResolver {
 public:
  explicit NumberingResolver(size_t refuse_every = 0) : refuse_every_(refuse_every) {}
  Result<SeriesId> operator()(const Labels& labels) {
    std::string text = labels.ToString();
    ++calls;
    if (refuse_every_ != 0 && text.size() % refuse_every_ == 0) return Status::InvalidArgument("refused", text);
    auto [it, added] = ids_.emplace(text, ids_.size() + 1);
    return it->second;
  }
  // The id a label set has, or would be given next; nullopt when refused.
  std::optional<SeriesId> Expect(const Labels& labels) {
    std::string text = labels.ToString();
    if (refuse_every_ != 0 && text.size() % refuse_every_ == 0) return std::nullopt;
    auto [it, added] = ids_.emplace(text, ids_.size() + 1);
    return it->second;
  }
  size_t calls = 0;

 private:
  size_t refuse_every_;
  std::map<std::string, SeriesId> ids_;
};

// Decodes `body` both ways (the resolved way through `cache`, whose entries must come from `resolver`)
// and returns the first difference, or nullopt when they agree.
inline std::optional<std::string> CompareResolvedDecode(std::string_view body, const LineProtocolOptions& options,
                                                        LineSeriesCache* cache, NumberingResolver* resolver) {
  std::vector<LabeledSample> plain;
  DecodeResult want = DecodeLineProtocol(body, options, &plain);
  std::vector<Sample> got_samples;
  ResolvedDecodeResult got = DecodeLineProtocolResolved(
      body, options, cache, [resolver](const Labels& l) { return (*resolver)(l); }, &got_samples);
  auto count = [](const char* what, size_t a, size_t b) -> std::optional<std::string> {
    if (a == b) return std::nullopt;
    return std::string(what) + ": resolved " + std::to_string(a) + " vs plain " + std::to_string(b);
  };
  if (auto d = count("lines", got.lines, want.lines)) return d;
  if (auto d = count("points", got.points, want.points)) return d;
  if (auto d = count("bad_lines", got.bad_lines, want.bad_lines)) return d;
  if (auto d = count("samples", got.samples, want.samples)) return d;
  if (auto d = count("skipped_string_fields", got.skipped_string_fields, want.skipped_string_fields)) return d;
  std::string got_error = got.first_error ? got.first_error->message : "(none)";
  std::string want_error = want.first_error ? want.first_error->message : "(none)";
  if (got_error != want_error) return "first error: resolved " + got_error + " vs plain " + want_error;
  size_t k = 0;
  size_t refused = 0;
  for (const LabeledSample& s : plain) {
    std::optional<SeriesId> id = resolver->Expect(s.labels);
    if (!id) {
      ++refused;
      continue;
    }
    if (k == got_samples.size()) return "resolved ends before " + s.labels.ToString();
    const Sample& g = got_samples[k++];
    bool same_value = g.value == s.value || (g.value != g.value && s.value != s.value);
    if (g.series_id != *id || g.ts_ns != s.ts_ns || !same_value) {
      return "sample " + std::to_string(k - 1) + " (" + s.labels.ToString() + "): resolved id " +
             std::to_string(g.series_id) + " ts " + std::to_string(g.ts_ns) + " vs id " + std::to_string(*id) +
             " ts " + std::to_string(s.ts_ns);
    }
  }
  if (k != got_samples.size()) return "resolved has " + std::to_string(got_samples.size() - k) + " extra samples";
  if (auto d = count("refused", got.refused, refused)) return d;
  if (got.first_refusal.has_value() != (refused > 0)) return "first_refusal present iff refusals";
  return std::nullopt;
}

}  // namespace foresight::ingest::testing

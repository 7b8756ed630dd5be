#include "ingest/remote_write.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "proto/prometheus/remote.pb.h"

namespace foresight::ingest {
namespace {

constexpr size_t kMaxQuoted = 64;
// ms beyond this would overflow int64 as ns (year 2262).
constexpr int64_t kMaxTimestampMs = std::numeric_limits<int64_t>::max() / kNanosPerMilli;

// `value` double-quoted for an error message: cut at kMaxQuoted bytes, '"' and '\' escaped, bytes outside
// printable ASCII as \xNN (names and values are arbitrary bytes on the wire; the message ends in a 400).
std::string Quoted(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kMaxQuoted; ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > kMaxQuoted) out += "...";
  out += '"';
  return out;
}

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool IsLabelName(std::string_view s) {
  return !s.empty() && IsNameStart(s[0]) && std::all_of(s.begin() + 1, s.end(), IsNameChar);
}
bool IsMetricName(std::string_view s) {
  auto ok = [](char c) { return IsNameChar(c) || c == ':'; };
  return !s.empty() && (IsNameStart(s[0]) || s[0] == ':') && std::all_of(s.begin() + 1, s.end(), ok);
}

// Builds the Labels of one series into *labels, or returns the cause it is bad. `scratch` is reused.
std::optional<std::string> SeriesLabels(const prompb::TimeSeries& ts, size_t max_labels,
                                        std::vector<Label>* scratch, Labels* labels) {
  scratch->clear();
  bool has_name = false;
  for (const auto& l : ts.labels()) {
    if (!IsLabelName(l.name())) return "invalid label name " + Quoted(l.name());
    if (l.value().empty()) continue;  // absent, as in Prometheus (duplicates are still checked below)
    if (l.name() == kMetricNameLabel) {
      if (!IsMetricName(l.value())) return "invalid metric name " + Quoted(l.value());
      has_name = true;
    }
    scratch->push_back(Label{l.name(), l.value()});
  }
  // Duplicates among all names, empty-valued ones included: a sender that repeats a name is broken.
  if (ts.labels_size() > 1) {
    std::vector<std::string_view> names;
    names.reserve(ts.labels_size());
    for (const auto& l : ts.labels()) names.push_back(l.name());
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end()) return "duplicate label name " + Quoted(*dup);
  }
  if (!has_name) return std::string("missing metric name (__name__)");
  if (scratch->size() > max_labels) {
    return "more than " + std::to_string(max_labels) + " labels (max_labels, __name__ included)";
  }
  *labels = Labels(std::move(*scratch));  // sorts; names are unique and values non-empty already
  return std::nullopt;
}

}  // namespace

Result<RemoteWriteResult> DecodeRemoteWrite(std::string_view body, const RemoteWriteOptions& options,
                                            std::vector<LabeledSample>* out) {
  size_t plain_size = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &plain_size)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (plain_size > options.max_decompressed_bytes) {
    return Status::ResourceExhausted("snappy body", "decompressed size " + std::to_string(plain_size) +
                                                        " bytes exceeds the limit of " +
                                                        std::to_string(options.max_decompressed_bytes) + " bytes");
  }
  std::string plain;
  if (!snappy::Uncompress(body.data(), body.size(), &plain)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }

  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<prompb::WriteRequest>(&arena);
  if (!request->ParseFromString(plain)) {
    return Status::InvalidArgument("protobuf: cannot parse WriteRequest");
  }

  size_t total_samples = 0;
  for (const auto& ts : request->timeseries()) total_samples += static_cast<size_t>(ts.samples_size());
  out->reserve(out->size() + total_samples);

  RemoteWriteResult result;
  std::vector<Label> scratch;
  Labels labels;
  size_t index = 0;
  for (const auto& ts : request->timeseries()) {
    ++index;
    std::optional<std::string> cause = SeriesLabels(ts, options.max_labels, &scratch, &labels);
    if (!cause) {
      for (const auto& s : ts.samples()) {
        if (s.timestamp() > kMaxTimestampMs || s.timestamp() < -kMaxTimestampMs) {
          cause = "timestamp " + std::to_string(s.timestamp()) + " ms out of range";
          break;
        }
      }
    }
    if (cause) {
      ++result.bad_series;
      if (!result.first_error) result.first_error = "series " + std::to_string(index) + ": " + *cause;
      continue;
    }
    ++result.series;
    for (const auto& s : ts.samples()) {
      // The double's bits as they came (a plain copy already is; no arithmetic touches the value).
      out->push_back(LabeledSample{labels, s.timestamp() * kNanosPerMilli, s.value()});
    }
    result.samples += static_cast<size_t>(ts.samples_size());
  }
  return result;
}

std::string EncodeRemoteWriteForTest(const std::vector<RemoteWriteSeries>& series) {
  prompb::WriteRequest request;
  for (const auto& in : series) {
    prompb::TimeSeries* ts = request.add_timeseries();
    for (const auto& [name, value] : in.labels) {
      prompb::Label* l = ts->add_labels();
      l->set_name(name);
      l->set_value(value);
    }
    for (const auto& [ms, value] : in.samples) {
      prompb::Sample* s = ts->add_samples();
      s->set_timestamp(ms);
      s->set_value(value);
    }
  }
  std::string plain = request.SerializeAsString();
  std::string body;
  snappy::Compress(plain.data(), plain.size(), &body);
  return body;
}

}  // namespace foresight::ingest

#include "ingest/line_protocol.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

namespace foresight::ingest {
namespace {

// InfluxDB's documented timestamp range (one inside int64 at both ends).
constexpr int64_t kMinTimestamp = std::numeric_limits<int64_t>::min() + 2;
constexpr int64_t kMaxTimestamp = std::numeric_limits<int64_t>::max() - 1;
// Values echoed in error messages are cut to this many bytes so a hostile line cannot bloat the reply.
constexpr size_t kMaxQuoted = 64;

// Character classes, one table lookup per byte on the hot path.
enum : uint8_t {
  kNameChar = 1,       // [a-zA-Z0-9_]: kept in metric and label names
  kDigit = 2,          // [0-9]: a name may not start with one
  kMeasurementStop = 4,  // ',' ' ' '\\': where a measurement scan pauses
  kKeyStop = 8,        // ',' '=' ' ' '\\': where a tag key, tag value or field key scan pauses
  kValueStop = 16,     // ',' ' ': end of an unquoted field value or of the timestamp
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kNameChar;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kNameChar;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kNameChar | kDigit;
  t['_'] |= kNameChar;
  t[','] |= kMeasurementStop | kKeyStop | kValueStop;
  t[' '] |= kMeasurementStop | kKeyStop | kValueStop;
  t['\\'] |= kMeasurementStop | kKeyStop;
  t['='] |= kKeyStop;
  return t;
}
constexpr std::array<uint8_t, 256> kClass = MakeClasses();

inline uint8_t ClassOf(char c) { return kClass[static_cast<unsigned char>(c)]; }

// "value" cut to kMaxQuoted bytes (at a UTF-8 character boundary) and double-quoted, for error messages.
std::string Quoted(std::string_view value) {
  std::string out = "\"";
  if (value.size() <= kMaxQuoted) {
    out += value;
  } else {
    size_t n = kMaxQuoted;
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
    out += value.substr(0, n);
    out += "...";
  }
  out += '"';
  return out;
}

// Appends `raw` to `out` as a Prometheus name: [a-zA-Z0-9_] kept, ':' kept when allow_colon, every other
// UTF-8 character (its lead byte; continuation bytes after a non-ASCII byte are dropped) becomes one '_',
// and a digit at the start of `out` gets a '_' before it.
void AppendSanitized(std::string_view raw, bool allow_colon, std::string* out) {
  // Fast path: the valid prefix (usually the whole name) in one append.
  size_t valid = 0;
  while (valid < raw.size() && (ClassOf(raw[valid]) & kNameChar)) ++valid;
  if (valid > 0) {
    if (out->empty() && (ClassOf(raw[0]) & kDigit)) *out += '_';
    out->append(raw.data(), valid);
    raw.remove_prefix(valid);
  }
  unsigned char prev = 0;
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    uint8_t cls = kClass[c];
    if (cls & kNameChar) {
      if ((cls & kDigit) && out->empty()) *out += '_';
      *out += ch;
    } else if (c == ':' && allow_colon) {
      *out += ch;
    } else if ((c & 0xC0) == 0x80 && prev >= 0x80) {
      // continuation byte of a multi-byte character already replaced by its lead byte
    } else {
      *out += '_';
    }
    prev = c;
  }
}

// Scans an escaped element from s[*pos] to the first unescaped byte whose class has `stop_mask` (other
// than the backslash), appending the unescaped text to `out`. A backslash before a byte in `escapable`
// (or before another backslash) yields that byte; any other backslash is literal, as InfluxDB reads it.
// Returns the stop byte, or '\0' at the end of the line.
char ScanEscaped(std::string_view s, size_t* pos, uint8_t stop_mask, std::string_view escapable,
                 std::string* out) {
  size_t i = *pos;
  const size_t n = s.size();
  size_t chunk = i;
  while (i < n) {
    char c = s[i];
    if (!(ClassOf(c) & stop_mask)) {
      ++i;
      continue;
    }
    if (c != '\\') break;
    out->append(s.data() + chunk, i - chunk);
    if (i + 1 < n && (s[i + 1] == '\\' || escapable.find(s[i + 1]) != std::string_view::npos)) {
      *out += s[i + 1];
      i += 2;
    } else {
      *out += '\\';
      i += 1;
    }
    chunk = i;
  }
  out->append(s.data() + chunk, i - chunk);
  *pos = i;
  return i < n ? s[i] : '\0';
}

bool ParseDigits(std::string_view s, uint64_t* out, bool* overflow) {
  if (s.empty()) return false;
  uint64_t v = 0;
  *overflow = false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    unsigned d = static_cast<unsigned>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) *overflow = true;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

enum class NumberError { kNone, kInvalid, kOutOfRange };

// "-?[0-9]+" into int64.
NumberError ParseInt64(std::string_view s, int64_t* out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  uint64_t mag = 0;
  bool overflow = false;
  if (!ParseDigits(s, &mag, &overflow)) return NumberError::kInvalid;
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (overflow || mag > kMaxPos + (neg ? 1 : 0)) return NumberError::kOutOfRange;
  *out = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  return NumberError::kNone;
}

// A float as InfluxDB writes it: -?(D+(.D*)?|.D+)([eE][+-]?D+)? — no '+' sign, no inf/nan, no hex.
// Underflow reads as (signed) zero, as Go's ParseFloat does; overflow is kOutOfRange.
NumberError ParseFloat(std::string_view s, double* out) {
  size_t i = 0;
  const size_t n = s.size();
  bool neg = i < n && s[i] == '-';
  if (neg) ++i;
  size_t int_begin = i;
  while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  size_t int_end = i;
  size_t frac_begin = i, frac_end = i;
  if (i < n && s[i] == '.') {
    frac_begin = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    frac_end = i;
  }
  if (int_end == int_begin && frac_end == frac_begin) return NumberError::kInvalid;
  int64_t exponent = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_neg = i < n && s[i] == '-';
    if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_begin = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (exponent < 1'000'000) exponent = exponent * 10 + (s[i] - '0');
      ++i;
    }
    if (i == exp_begin) return NumberError::kInvalid;
    if (exp_neg) exponent = -exponent;
  }
  if (i != n) return NumberError::kInvalid;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data() + (neg ? 1 : 0), s.data() + n, v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    // Decimal magnitude of the leading significant digit decides overflow versus underflow.
    size_t lead = int_begin;
    while (lead < int_end && s[lead] == '0') ++lead;
    int64_t magnitude;
    if (lead < int_end) {
      magnitude = static_cast<int64_t>(int_end - lead) + exponent;
    } else {
      size_t f = frac_begin;
      while (f < frac_end && s[f] == '0') ++f;
      magnitude = -static_cast<int64_t>(f - frac_begin) + exponent;
    }
    if (magnitude > 0) return NumberError::kOutOfRange;
    v = 0;
  } else if (ec != std::errc() || ptr != s.data() + n) {
    return NumberError::kInvalid;
  }
  if (!std::isfinite(v)) return NumberError::kOutOfRange;
  *out = neg ? -v : v;
  return NumberError::kNone;
}

// One unquoted field value: float, integer (i), unsigned (u) or boolean.
NumberError ParseFieldValue(std::string_view v, double* out) {
  switch (v.back()) {
    case 'i': {
      int64_t x = 0;
      NumberError e = ParseInt64(v.substr(0, v.size() - 1), &x);
      if (e == NumberError::kNone) *out = static_cast<double>(x);
      return e;
    }
    case 'u': {
      uint64_t x = 0;
      bool overflow = false;
      if (!ParseDigits(v.substr(0, v.size() - 1), &x, &overflow)) return NumberError::kInvalid;
      if (overflow) return NumberError::kOutOfRange;
      *out = static_cast<double>(x);
      return NumberError::kNone;
    }
    default:
      break;
  }
  switch (v[0]) {
    case 't':
    case 'T':
      if (v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE") {
        *out = 1;
        return NumberError::kNone;
      }
      return NumberError::kInvalid;
    case 'f':
    case 'F':
      if (v == "f" || v == "F" || v == "false" || v == "False" || v == "FALSE") {
        *out = 0;
        return NumberError::kNone;
      }
      return NumberError::kInvalid;
    default:
      return ParseFloat(v, out);
  }
}

struct Tag {
  std::string raw_key;  // unescaped, for messages
  std::string key;      // sanitised label name
  std::string value;
};

struct Field {
  std::string raw_key;
  std::string name;  // metric name
  double value = 0;
};

// Decodes one line at a time into reused scratch buffers, so steady-state decoding allocates only what
// the emitted samples own.
class LineDecoder {
 public:
  LineDecoder(const LineProtocolOptions& options, int64_t ns_per_unit)
      : options_(options), ns_per_unit_(ns_per_unit) {}

  // Decodes `line` (no "\n", no trailing "\r", not blank, not a comment) and appends its samples.
  // Returns false with *error set (without the "line N: " prefix) when the line is bad; nothing is
  // appended then.
  bool Decode(std::string_view line, std::vector<LabeledSample>* out, DecodeResult* result, std::string* error);

 private:
  Tag& NextTag() {
    if (ntags_ == tags_.size()) tags_.emplace_back();
    Tag& t = tags_[ntags_++];
    t.raw_key.clear();
    t.key.clear();
    t.value.clear();
    return t;
  }
  Field& NextField() {
    if (nfields_ == fields_.size()) fields_.emplace_back();
    Field& f = fields_[nfields_++];
    f.raw_key.clear();
    f.name.clear();
    return f;
  }

  // Makes line_labels_ the sorted tags of this line (plus whatever __name__ it holds), editing it in
  // place: consecutive lines mostly share tag keys and many values, so this allocates little.
  void UpdateLineLabels();

  const LineProtocolOptions& options_;
  const int64_t ns_per_unit_;
  Labels line_labels_;              // tags + __name__ of the current line; copied into each sample
  std::vector<uint32_t> order_;     // tags_ indices sorted by key
  std::vector<std::string> stale_;  // scratch of UpdateLineLabels
  std::vector<uint32_t> changed_;   // scratch of UpdateLineLabels
  std::string measurement_;  // sanitised
  std::string scratch_;
  std::vector<Tag> tags_;
  size_t ntags_ = 0;
  std::vector<Field> fields_;
  size_t nfields_ = 0;
};

bool LineDecoder::Decode(std::string_view s, std::vector<LabeledSample>* out, DecodeResult* result,
                         std::string* error) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n && s[i] == ' ') ++i;
  ntags_ = 0;
  nfields_ = 0;

  // Measurement.
  scratch_.clear();
  char stop = ScanEscaped(s, &i, kMeasurementStop, ", ", &scratch_);
  if (scratch_.empty()) {
    *error = "missing measurement";
    return false;
  }
  measurement_.clear();
  AppendSanitized(scratch_, /*allow_colon=*/true, &measurement_);

  // Tag set.
  const size_t max_tags = options_.max_labels > 0 ? options_.max_labels - 1 : 0;
  while (stop == ',') {
    ++i;
    if (ntags_ == max_tags) {
      *error = "more than " + std::to_string(max_tags) + " tags (max_labels " +
               std::to_string(options_.max_labels) + " includes __name__)";
      return false;
    }
    Tag& tag = NextTag();
    stop = ScanEscaped(s, &i, kKeyStop, ",= ", &tag.raw_key);
    if (tag.raw_key.empty()) {
      *error = "missing tag key";
      return false;
    }
    if (stop != '=') {
      *error = "missing '=' after tag key " + Quoted(tag.raw_key);
      return false;
    }
    ++i;
    stop = ScanEscaped(s, &i, kKeyStop, ",= ", &tag.value);
    if (tag.value.empty()) {
      *error = "missing tag value for tag " + Quoted(tag.raw_key);
      return false;
    }
    if (stop == '=') {
      *error = "unescaped '=' in the value of tag " + Quoted(tag.raw_key);
      return false;
    }
    AppendSanitized(tag.raw_key, /*allow_colon=*/false, &tag.key);
    if (tag.key == kMetricNameLabel) {
      *error = "tag key " + Quoted(tag.raw_key) + " is reserved (the metric name label)";
      return false;
    }
  }
  // Sort indices, not Tags (insertion sort: a handful of tags, often already in order).
  order_.resize(ntags_);
  for (size_t t = 0; t < ntags_; ++t) {
    size_t j = t;
    while (j > 0 && tags_[order_[j - 1]].key > tags_[t].key) {
      order_[j] = order_[j - 1];
      --j;
    }
    order_[j] = static_cast<uint32_t>(t);
  }
  for (size_t t = 1; t < ntags_; ++t) {
    const Tag& a = tags_[order_[t - 1]];
    const Tag& b = tags_[order_[t]];
    if (a.key == b.key) {
      *error = "tags " + Quoted(a.raw_key) + " and " + Quoted(b.raw_key) + " both map to label " + Quoted(b.key);
      return false;
    }
  }

  // Field set.
  while (i < n && s[i] == ' ') ++i;
  if (i == n) {
    *error = "missing field set";
    return false;
  }
  size_t string_fields = 0;
  while (true) {
    Field& field = NextField();
    stop = ScanEscaped(s, &i, kKeyStop, ",= ", &field.raw_key);
    if (field.raw_key.empty()) {
      *error = "missing field key";
      return false;
    }
    if (stop != '=') {
      *error = "missing '=' after field key " + Quoted(field.raw_key);
      return false;
    }
    ++i;
    if (i < n && s[i] == '"') {
      // String field: found only to be skipped; "\\" and "\"" are its escapes.
      size_t j = i + 1;
      while (j < n && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      if (j >= n) {
        *error = "unterminated string in field " + Quoted(field.raw_key);
        return false;
      }
      i = j + 1;
      if (i < n && s[i] != ',' && s[i] != ' ') {
        *error = "unexpected text after the string of field " + Quoted(field.raw_key);
        return false;
      }
      --nfields_;  // not a sample
      ++string_fields;
    } else {
      size_t begin = i;
      while (i < n && !(ClassOf(s[i]) & kValueStop)) ++i;
      std::string_view value = s.substr(begin, i - begin);
      if (value.empty()) {
        *error = "missing value for field " + Quoted(field.raw_key);
        return false;
      }
      NumberError e = ParseFieldValue(value, &field.value);
      if (e != NumberError::kNone) {
        *error = std::string(e == NumberError::kOutOfRange ? "out-of-range" : "invalid") + " field value " +
                 Quoted(value) + " for field " + Quoted(field.raw_key);
        return false;
      }
      if (field.raw_key == "value") {
        field.name = measurement_;
      } else {
        field.name.reserve(measurement_.size() + 1 + field.raw_key.size());
        field.name = measurement_;
        field.name += '_';
        AppendSanitized(field.raw_key, /*allow_colon=*/true, &field.name);
      }
      for (size_t f = 0; f + 1 < nfields_; ++f) {
        if (fields_[f].name == field.name) {
          *error = "fields " + Quoted(fields_[f].raw_key) + " and " + Quoted(field.raw_key) +
                   " both map to metric " + Quoted(field.name);
          return false;
        }
      }
    }
    if (i < n && s[i] == ',') {
      ++i;
      continue;
    }
    break;
  }

  // Timestamp.
  while (i < n && s[i] == ' ') ++i;
  TimestampNs ts = options_.default_ts;
  if (i < n) {
    size_t begin = i;
    while (i < n && s[i] != ' ') ++i;
    std::string_view text = s.substr(begin, i - begin);
    int64_t units = 0;
    NumberError e = ParseInt64(text, &units);
    if (e == NumberError::kInvalid) {
      *error = "invalid timestamp " + Quoted(text);
      return false;
    }
    if (e == NumberError::kOutOfRange || __builtin_mul_overflow(units, ns_per_unit_, &ts) ||
        ts < kMinTimestamp || ts > kMaxTimestamp) {
      *error = "timestamp " + Quoted(text) + " out of range for precision " + Quoted(options_.precision);
      return false;
    }
    while (i < n && s[i] == ' ') ++i;
    if (i < n) {
      *error = "unexpected text after the timestamp: " + Quoted(s.substr(i));
      return false;
    }
  }

  // Emit: the line's Labels with each field's name, copied into one sample per field.
  result->skipped_string_fields += string_fields;
  if (nfields_ == 0) return true;
  UpdateLineLabels();
  for (size_t f = 0; f < nfields_; ++f) {
    line_labels_.Set(kMetricNameLabel, fields_[f].name);
    out->push_back(LabeledSample{line_labels_, ts, fields_[f].value});
  }
  result->samples += nfields_;
  return true;
}

void LineDecoder::UpdateLineLabels() {
  // One merge walk over two sorted lists: labels this line lacks are stale, tags that are new or whose
  // value differs are changed; then only those are edited.
  stale_.clear();
  changed_.clear();
  size_t t = 0;
  for (const Label& l : line_labels_) {
    if (l.name == kMetricNameLabel) continue;
    int c = -1;
    while (t < ntags_ && (c = tags_[order_[t]].key.compare(l.name)) < 0) changed_.push_back(order_[t++]);
    if (t < ntags_ && c == 0) {
      if (tags_[order_[t]].value != l.value) changed_.push_back(order_[t]);
      ++t;
    } else {
      stale_.push_back(l.name);
    }
  }
  while (t < ntags_) changed_.push_back(order_[t++]);
  for (const std::string& name : stale_) line_labels_.Set(name, "");
  for (uint32_t i : changed_) line_labels_.Set(tags_[i].key, tags_[i].value);
}

}  // namespace


Result<int64_t> ParsePrecision(std::string_view precision) {
  if (precision == "ns") return int64_t{1};
  if (precision == "us") return int64_t{1'000};
  if (precision == "ms") return int64_t{1'000'000};
  if (precision == "s") return int64_t{1'000'000'000};
  return Status::InvalidArgument("invalid precision " + Quoted(precision) + " (want ns, us, ms or s)");
}

namespace {

// Calls fn(line_no, line) for each line of `body` that holds a point (not blank, not a '#' comment),
// without its "\n" or "\r\n"; line_no is 1-based and counts every physical line.
template <typename Fn>
void ForEachPointLine(std::string_view body, Fn&& fn) {
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    ++line_no;
    const char* nl = static_cast<const char*>(std::memchr(body.data() + pos, '\n', body.size() - pos));
    size_t end = nl ? static_cast<size_t>(nl - body.data()) : body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = 0;
    while (first < line.size() && line[first] == ' ') ++first;
    if (first == line.size() || line[first] == '#') continue;
    fn(line_no, line);
  }
}

// Counts one bad line in `result`, keeping the first one's number and cause.
void NoteBadLine(size_t line_no, const std::string& error, DecodeResult* result) {
  ++result->bad_lines;
  if (!result->first_error) result->first_error = LineError{line_no, "line " + std::to_string(line_no) + ": " + error};
}

std::string LineTooLong(const LineProtocolOptions& options) {
  return "line exceeds " + std::to_string(options.max_line_bytes) + " bytes";
}

}  // namespace

DecodeResult DecodeLineProtocol(std::string_view body, const LineProtocolOptions& options,
                                std::vector<LabeledSample>* out) {
  DecodeResult result;
  Result<int64_t> ns_per_unit = ParsePrecision(options.precision);
  if (!ns_per_unit.ok()) {
    result.first_error = LineError{0, ns_per_unit.status().message()};
    return result;
  }
  LineDecoder decoder(options, *ns_per_unit);
  std::string error;
  ForEachPointLine(body, [&](size_t line_no, std::string_view line) {
    ++result.lines;
    bool ok;
    if (line.size() > options.max_line_bytes) {
      error = LineTooLong(options);
      ok = false;
    } else {
      ok = decoder.Decode(line, out, &result, &error);
    }
    if (ok) {
      ++result.points;
    } else {
      NoteBadLine(line_no, error, &result);
    }
  });
  return result;
}

// ---- Decoding by series id, through LineSeriesCache ----

LineSeriesCache::LineSeriesCache(size_t max_entries) : max_entries_(std::max<size_t>(max_entries, 16)) {}

void LineSeriesCache::Clear() {
  entries_.clear();
  slots_.clear();
  arena_.clear();
}

uint64_t LineSeriesCache::KeyHash(uint64_t series_hash, std::string_view field_key) {
  return HashBytes(field_key, series_hash);
}

const LineSeriesCache::Entry* LineSeriesCache::Find(uint64_t hash, std::string_view series_key,
                                                    std::string_view field_key) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint32_t slot = slots_[i];
    if (slot == 0) return nullptr;
    const Entry& e = entries_[slot - 1];
    if (e.hash == hash && e.series_len == series_key.size() && e.field_len == field_key.size() &&
        std::memcmp(arena_.data() + e.key_offset, series_key.data(), series_key.size()) == 0 &&
        std::memcmp(arena_.data() + e.key_offset + e.series_len, field_key.data(), field_key.size()) == 0) {
      return &e;
    }
  }
}

void LineSeriesCache::Add(uint64_t hash, std::string_view series_key, std::string_view field_key, SeriesId id) {
  const size_t bytes = series_key.size() + field_key.size();
  if (entries_.size() >= max_entries_ || arena_.size() + bytes > std::numeric_limits<uint32_t>::max()) Clear();
  if ((entries_.size() + 1) * 2 > slots_.size()) Grow();
  entries_.push_back(Entry{hash, id, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(series_key.size()),
                           static_cast<uint32_t>(field_key.size())});
  arena_.append(series_key);
  arena_.append(field_key);
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = static_cast<uint32_t>(entries_.size());
}

void LineSeriesCache::Grow() {
  slots_.assign(std::max<size_t>(1024, slots_.size() * 2), 0);
  const size_t mask = slots_.size() - 1;
  for (size_t n = 0; n < entries_.size(); ++n) {
    size_t i = entries_[n].hash & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = static_cast<uint32_t>(n + 1);
  }
}

namespace {

struct FastField {
  std::string_view key;  // as written (no escapes)
  double value;
  uint64_t hash = 0;  // LineSeriesCache::KeyHash
  bool cached = false;
  SeriesId id = 0;    // when cached
};

// A line in the plain form writers send (no escaped field keys, nothing malformed): its series key and
// its numeric fields and timestamp, parsed without decoding the measurement and tags. Parse() is false
// for anything else; the full decoder then decides, and reports the errors.
class FastLine {
 public:
  bool Parse(std::string_view s, int64_t ns_per_unit, TimestampNs default_ts);

  std::string_view series_key;  // measurement and tag set as written, up to the first unescaped space
  std::vector<FastField> fields;
  size_t string_fields = 0;
  TimestampNs ts = 0;
};

bool FastLine::Parse(std::string_view s, int64_t ns_per_unit, TimestampNs default_ts) {
  fields.clear();
  string_fields = 0;
  const size_t n = s.size();
  size_t i = 0;
  while (i < n && s[i] == ' ') ++i;
  const size_t key_begin = i;
  // A backslash takes the next byte with it, as the full decoder reads escapes: "\\ " ends the key
  // at the space, "\ " does not.
  while (i < n && s[i] != ' ') i += s[i] == '\\' ? 2 : 1;
  if (i >= n || i == key_begin) return false;
  series_key = s.substr(key_begin, i - key_begin);
  while (i < n && s[i] == ' ') ++i;
  if (i == n) return false;
  while (true) {
    const size_t key_start = i;
    while (i < n && s[i] != '=') {
      char c = s[i];
      if (c == '\\' || c == ',' || c == ' ') return false;
      ++i;
    }
    if (i == n || i == key_start) return false;
    std::string_view key = s.substr(key_start, i - key_start);
    ++i;
    if (i < n && s[i] == '"') {
      size_t j = i + 1;
      while (j < n && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      if (j >= n) return false;
      i = j + 1;
      if (i < n && s[i] != ',' && s[i] != ' ') return false;
      ++string_fields;
    } else {
      const size_t begin = i;
      while (i < n && !(ClassOf(s[i]) & kValueStop)) ++i;
      if (i == begin) return false;
      double v;
      if (ParseFieldValue(s.substr(begin, i - begin), &v) != NumberError::kNone) return false;
      fields.push_back(FastField{key, v});
    }
    if (i < n && s[i] == ',') {
      ++i;
      continue;
    }
    break;
  }
  while (i < n && s[i] == ' ') ++i;
  ts = default_ts;
  if (i < n) {
    const size_t begin = i;
    while (i < n && s[i] != ' ') ++i;
    int64_t units = 0;
    if (ParseInt64(s.substr(begin, i - begin), &units) != NumberError::kNone ||
        __builtin_mul_overflow(units, ns_per_unit, &ts) || ts < kMinTimestamp || ts > kMaxTimestamp) {
      return false;
    }
    while (i < n && s[i] == ' ') ++i;
    if (i < n) return false;
  }
  return true;
}

}  // namespace

ResolvedDecodeResult DecodeLineProtocolResolved(std::string_view body, const LineProtocolOptions& options,
                                                LineSeriesCache* cache, const SeriesResolver& resolve,
                                                std::vector<Sample>* out) {
  ResolvedDecodeResult result;
  Result<int64_t> ns_per_unit = ParsePrecision(options.precision);
  if (!ns_per_unit.ok()) {
    result.first_error = LineError{0, ns_per_unit.status().message()};
    return result;
  }
  if (cache->max_labels != options.max_labels) {
    cache->Clear();
    cache->max_labels = options.max_labels;
  }
  LineDecoder decoder(options, *ns_per_unit);
  FastLine fast;
  std::vector<LabeledSample> decoded;
  std::string error;
  ForEachPointLine(body, [&](size_t line_no, std::string_view line) {
    ++result.lines;
    if (line.size() > options.max_line_bytes) {
      NoteBadLine(line_no, LineTooLong(options), &result);
      return;
    }
    // Fast: every numeric field's series is cached, and no two are the same series (a duplicate field,
    // which the full decoder reports). A line of string fields alone has no cached series to vouch for
    // its measurement and tags: the full decoder checks it.
    const bool plain = fast.Parse(line, *ns_per_unit, options.default_ts);
    bool all_cached = plain && !fast.fields.empty();
    if (plain) {
      const uint64_t series_hash = HashBytes(fast.series_key);
      for (FastField& f : fast.fields) {
        f.hash = LineSeriesCache::KeyHash(series_hash, f.key);
        const LineSeriesCache::Entry* e = cache->Find(f.hash, fast.series_key, f.key);
        f.cached = e != nullptr;
        f.id = e != nullptr ? e->id : 0;
        all_cached = all_cached && f.cached;
      }
      for (size_t a = 0; all_cached && a < fast.fields.size(); ++a) {
        for (size_t b = a + 1; b < fast.fields.size(); ++b) {
          if (fast.fields[a].id == fast.fields[b].id) all_cached = false;
        }
      }
    }
    if (all_cached) {
      for (const FastField& f : fast.fields) out->push_back(Sample{f.id, fast.ts, f.value});
      result.samples += fast.fields.size();
      result.skipped_string_fields += fast.string_fields;
      ++result.points;
      return;
    }
    // Slow: the full decoder, then the resolver for each series not cached; a plain line's series are
    // cached for next time.
    decoded.clear();
    if (!decoder.Decode(line, &decoded, &result, &error)) {
      NoteBadLine(line_no, error, &result);
      return;
    }
    ++result.points;
    const bool cacheable = plain && decoded.size() == fast.fields.size();
    for (size_t k = 0; k < decoded.size(); ++k) {
      const LabeledSample& ls = decoded[k];
      if (cacheable && fast.fields[k].cached) {
        out->push_back(Sample{fast.fields[k].id, ls.ts_ns, ls.value});
        continue;
      }
      Result<SeriesId> id = resolve(ls.labels);
      if (!id.ok()) {
        ++result.refused;
        if (!result.first_refusal) result.first_refusal = id.status().message();
        continue;
      }
      if (cacheable) cache->Add(fast.fields[k].hash, fast.series_key, fast.fields[k].key, *id);
      out->push_back(Sample{*id, ls.ts_ns, ls.value});
    }
  });
  return result;
}

Result<std::string> GunzipBody(std::string_view body, size_t max_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only (a zlib or raw deflate stream is not a gzip body).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("gzip: inflateInit2 failed");
  struct Closer {
    z_stream* zs;
    ~Closer() { inflateEnd(zs); }
  } closer{&zs};

  std::string out;
  // Start near a typical ratio, grow geometrically, never past max_bytes + 1 (one byte more proves excess).
  const size_t limit = max_bytes == std::numeric_limits<size_t>::max() ? max_bytes : max_bytes + 1;
  out.resize(std::min(limit, std::max<size_t>(4096, body.size() * 4)));
  size_t produced = 0;
  size_t consumed = 0;
  bool in_member = true;
  while (true) {
    if (zs.avail_in == 0 && consumed < body.size()) {
      size_t chunk = std::min<size_t>(body.size() - consumed, UINT_MAX);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + consumed));
      zs.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    if (produced == out.size()) {
      if (out.size() >= limit) break;  // full at max_bytes + 1
      out.resize(std::min(limit, out.size() * 2));
    }
    size_t room = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      in_member = false;
      // Another member may follow (concatenated gzip files); anything else is an error below.
      if (zs.avail_in == 0 && consumed == body.size()) break;
      if (inflateReset(&zs) != Z_OK) return Status::Internal("gzip: inflateReset failed");
      in_member = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress although both input and output room were offered: the input ran out mid-stream.
      return Status::InvalidArgument("gzip body", "truncated");
    }
    if (rc != Z_OK) {
      return Status::InvalidArgument("gzip body", zs.msg ? zs.msg : "corrupt data");
    }
    if (zs.avail_in == 0 && consumed == body.size() && zs.avail_out != 0) {
      return Status::InvalidArgument("gzip body", "truncated");
    }
  }
  if (produced > max_bytes) {
    return Status::ResourceExhausted("gzip body", "decompressed size exceeds the limit of " +
                                                      std::to_string(max_bytes) + " bytes");
  }
  if (in_member) return Status::InvalidArgument("gzip body", "truncated");
  out.resize(produced);
  return out;
}

}  // namespace foresight::ingest

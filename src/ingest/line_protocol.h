#pragma once
// InfluxDB line protocol decoder: turns a write body (Telegraf, InfluxDB clients) into LabeledSamples,
// and a gzip helper for `Content-Encoding: gzip` bodies. README.md ("Line protocol") has the mapping.
//
//   weather,location=us-midwest,station=a\ 1 temperature=82,humidity=71i,ok=t,note="x" 1465839830100400200
//
// becomes weather_temperature{location="us-midwest",station="a 1"} 82, weather_humidity{...} 71 and
// weather_ok{...} 1 at that timestamp; the string field "note" is skipped and counted.
//
// Strict: a line is taken whole or not at all, and every malformed line is reported (the first one by
// number and cause), while the good lines of the same body are still decoded — the caller answers 400
// naming the first bad line, as InfluxDB does, after storing the rest.
//
// Pure functions, no state: thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/status.h"
#include "core/types.h"

namespace foresight::ingest {

struct LineProtocolOptions {
  // Unit of the timestamps in the body: "ns", "us", "ms" or "s" (InfluxDB's `precision` parameter).
  // Anything else: the whole body is refused (first_error with line 0; see DecodeLineProtocol).
  std::string precision = "ns";
  // A longer line (without its "\n"/"\r\n") is a bad line: it is skipped whole and reported.
  size_t max_line_bytes = 64 * 1024;
  // Labels per sample, __name__ included (so at most max_labels - 1 tags). More: a bad line.
  // REQUIRES: max_labels >= 1.
  size_t max_labels = kMaxLabels;
  // The timestamp of lines that have none (the caller passes the receive time, as InfluxDB does).
  TimestampNs default_ts = 0;
};

struct LineError {
  size_t line = 0;      // 1-based physical line in the body; 0 = the request itself (bad precision)
  std::string message;  // complete and ready to return: "line 3: invalid field value \"12x\" for field \"temp\""
};

struct DecodeResult {
  size_t lines = 0;      // lines holding a point: not blank, not a # comment (each is a point or bad)
  size_t points = 0;     // lines decoded (their samples were appended)
  size_t samples = 0;    // samples appended to `out`
  size_t skipped_string_fields = 0;  // string fields seen on decoded lines (not stored, not an error)
  std::optional<LineError> first_error;  // the first bad line, if any
  size_t bad_lines = 0;  // lines - points
  bool ok() const { return !first_error.has_value(); }
};

// Decodes `body` and appends one LabeledSample per numeric or boolean field of each good line to `out`
// (never clears it). Lines end in "\n" or "\r\n"; blank lines and lines whose first non-space character
// is '#' are skipped.
//
// Mapping (README.md): metric name <measurement>_<field> (a field named "value" gives <measurement>),
// with every character outside [a-zA-Z0-9_:] replaced by '_' (one '_' per UTF-8 character) and a leading
// digit prefixed by '_'; tags become labels with keys sanitised the same way (':' is replaced too);
// floats, integers (`i`), unsigned (`u`) as double; booleans as 1/0; strings skipped. The timestamp is
// converted from `precision` to ns.
//
// Bad lines (each reported as "line N: <cause>"): missing measurement, tag key, tag value, field set,
// field key or field value; a tag without '='; a tag key that sanitises to "__name__"; two tags or two
// fields that sanitise to the same label or metric name; an invalid or out-of-range number, an unknown
// boolean, an unterminated string or text after a string; an invalid or out-of-range timestamp; text
// after the timestamp; too many tags; a line longer than max_line_bytes. "\n" ends a line even inside a
// quoted string (line protocol has no newlines in values), so one bad line never swallows the next.
//
// An unsupported precision decodes nothing and reports LineError{0, "invalid precision \"x\" ..."};
// callers that want a separate check call ParsePrecision() first.
DecodeResult DecodeLineProtocol(std::string_view body, const LineProtocolOptions& options,
                                std::vector<LabeledSample>* out);

// Series ids of line protocol series keyed by their bytes as written: the measurement and tag set of a
// line (up to its first unescaped space) and a field key. A writer sends the same series in the same
// bytes batch after batch, so once a series is known its lines are decoded without building Labels: the
// key is hashed, found here, and the sample is emitted with its id. Different bytes for one series (tags
// in another order, other escapes) are separate entries holding the same id.
//
// An entry is added only after the full decoder accepted the line and the resolver accepted the series,
// so a hit proves the line's measurement and tags valid. Entries are valid for one resolver and one set
// of options (max_labels): a cache must not be shared between resolvers with different id spaces.
// At max_entries the cache is emptied and refills (memory stays bounded).
//
// Not thread-safe: one decode at a time (callers keep one per thread or check caches out of a pool).
class LineSeriesCache {
 public:
  explicit LineSeriesCache(size_t max_entries = size_t{1} << 20);
  size_t size() const { return entries_.size(); }
  void Clear();

  // Internal to DecodeLineProtocolResolved.
  struct Entry {
    uint64_t hash;
    SeriesId id;
    uint32_t key_offset;  // in arena_: series key, then field key
    uint32_t series_len;
    uint32_t field_len;
  };
  const Entry* Find(uint64_t hash, std::string_view series_key, std::string_view field_key) const;
  void Add(uint64_t hash, std::string_view series_key, std::string_view field_key, SeriesId id);
  // Hash of a (series key, field key) pair, as Find and Add take it.
  static uint64_t KeyHash(uint64_t series_hash, std::string_view field_key);
  size_t max_labels = 0;  // the options the entries were made under (DecodeLineProtocolResolved clears on change)

 private:
  void Grow();

  size_t max_entries_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // open addressing, linear probing: entry index + 1, 0 = empty
  std::string arena_;
};

// Turns a series' labels into its id (creating the series), or refuses it: the refusal's message is
// reported and the sample dropped. Called on cache misses only.
using SeriesResolver = std::function<Result<SeriesId>(const Labels&)>;

struct ResolvedDecodeResult : DecodeResult {
  size_t refused = 0;                        // samples whose series the resolver refused
  std::optional<std::string> first_refusal;  // the resolver's first refusal message
};

// DecodeLineProtocol for callers that store by series id: appends Sample{id, ts, value} to `out`, with
// the same lines accepted, the same samples (in the same order) and the same errors, resolving each
// series through `cache` and, on a miss, through `resolve` with the labels DecodeLineProtocol would have
// produced. Lines whose series are all cached are checked in full (fields, values, timestamp) but their
// measurement and tags are not decoded again.
ResolvedDecodeResult DecodeLineProtocolResolved(std::string_view body, const LineProtocolOptions& options,
                                                LineSeriesCache* cache, const SeriesResolver& resolve,
                                                std::vector<Sample>* out);

// The fast in-memory hash of a decoded series' label set (core/labels.h).
using foresight::SeriesHash;

// Nanoseconds per unit of `precision` ("ns" 1, "us" 1e3, "ms" 1e6, "s" 1e9).
// Errors: InvalidArgument naming the accepted values.
Result<int64_t> ParsePrecision(std::string_view precision);

// Decompresses a gzip body (RFC 1952; concatenated members are joined, as gzip -d does).
// Errors: ResourceExhausted when the output would exceed max_bytes (names the limit; decompression stops
// there, so a gzip bomb costs at most max_bytes of memory); InvalidArgument for data that is not gzip,
// corrupt (bad header, CRC or length) or truncated.
Result<std::string> GunzipBody(std::string_view body, size_t max_bytes);

}  // namespace foresight::ingest

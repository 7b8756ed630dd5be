#pragma once
// JSON bodies of POST /api/v1/logs and POST /api/v1/events. Both take JSON lines (one object per line)
// or one JSON array of objects. Like the line protocol: a bad line (object) is skipped and counted, the
// first one named ("line 3: missing \"type\""), and the good ones are returned; the caller stores them
// and answers 400 naming the first bad one.
//
// Logs, per object:  message | body | msg (string, required); entity, else host, else service (string);
//                    timestamp | time | ts (optional); severity | level (optional, NormalizeSeverity).
// Events, per object: type (string, required), entity (string, required), timestamp (optional),
//                    fields (optional object of numbers; booleans count as 1/0; names sanitised to
//                    [a-zA-Z0-9_]).
// Timestamps: RFC 3339 text, or a number of Unix seconds / ms / µs / ns told apart by magnitude
// (< 1e11 s, < 1e14 ms, < 1e17 µs, else ns). Absent: `now`.
//
// Pure functions: thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"
#include "ingest/event_aggregator.h"
#include "ingest/log_record.h"

namespace foresight::ingest {

struct JsonIngestOptions {
  size_t max_line_bytes = 64 * 1024;  // a longer line / message: a bad line (ingest.max_line_bytes)
  size_t max_fields = 32;             // events: more fields: a bad line
  size_t max_value_bytes = 1024;      // events: type / entity longer than this: a bad line (ingest.max_label_value_bytes)
  TimestampNs now = 0;                // for objects without a timestamp
};

struct JsonIngestResult {
  size_t lines = 0;     // objects seen (blank lines not counted)
  size_t accepted = 0;
  std::optional<std::string> first_error;
  size_t bad() const { return lines - accepted; }
};

JsonIngestResult ParseJsonLogs(std::string_view body, const JsonIngestOptions& options, std::vector<LogRecord>* out);
JsonIngestResult ParseJsonEvents(std::string_view body, const JsonIngestOptions& options, std::vector<Event>* out);

}  // namespace foresight::ingest

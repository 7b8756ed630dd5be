#pragma once
// Parsing and formatting of times and durations, shared by the API, config and alert messages.

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/types.h"

namespace foresight {

// "500ms", "30s", "10m", "1h", "7d", "1w", compounds like "1h30m", or a plain number of seconds
// (fractions allowed). Errors: InvalidArgument naming the text.
Result<int64_t> ParseDuration(std::string_view text);

// A point in time: "now", "now-1h", "-15m" (relative to now), RFC 3339 ("2026-11-24T07:00:00Z",
// "2026-11-24T07:00:00.5+01:00"), or Unix seconds ("1764000000", "1764000000.25").
// Errors: InvalidArgument (unparsable), OutOfRange (before 1970 or after 2200).
Result<TimestampNs> ParseTimestamp(std::string_view text, TimestampNs now);

// "2026-11-24T07:00:00.123Z" (milliseconds, UTC).
std::string FormatRfc3339(TimestampNs ts);
// Human duration: "3 h 10 m", "45 m", "12 s", "2 d 4 h".
std::string FormatDurationHuman(int64_t ns);

}  // namespace foresight

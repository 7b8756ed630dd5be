#pragma once
// LogRecord: one log line as every log source (OTLP logs, JSON lines, syslog) hands it to the
// LogIngestor, which mines it into a template and counts it per entity (log_ingestor.h).

#include <string>
#include <string_view>

#include "core/types.h"

namespace foresight::ingest {

struct LogRecord {
  TimestampNs ts_ns = 0;  // when the line was written (the receive time when the source has none)
  std::string entity;     // host or service the line belongs to ("" → counted under entity "unknown")
  std::string severity;   // normalised by NormalizeSeverity: trace, debug, info, warn, error, fatal
  std::string message;    // the line's text (what is mined)
};

// Maps a severity word from any source to one of trace, debug, info, warn, error, fatal (case-insensitive):
// "ERROR"/"err" → error, "warning"/"WARN" → warn, "crit"/"critical"/"alert"/"emerg"/"panic"/"fatal" →
// fatal, "notice"/"informational" → info, "dbg" → debug. Empty or unknown text → "info".
std::string NormalizeSeverity(std::string_view text);

// OpenTelemetry SeverityNumber (1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL;
// anything else → info).
std::string_view SeverityFromOtelNumber(int number);

// True for error and fatal (what log_error_lines counts).
inline bool IsErrorSeverity(std::string_view normalised) { return normalised == "error" || normalised == "fatal"; }

}  // namespace foresight::ingest

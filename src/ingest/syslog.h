#pragma once
// Syslog message parsing (RFC 5424 and RFC 3164 / BSD) and TCP framing (RFC 6587: octet counting and
// newline-delimited), for the syslog listener (syslog_server.h). Pure and thread-compatible.
//
// RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
// RFC 3164: <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG   (the year is taken from `now`; a date more
//           than a day ahead of now is last year's). A 3164 message whose header does not parse keeps
//           its whole text as MSG, as RFC 3164 section 4.3 tells relays to do.
// Mapping to LogRecord: entity = HOSTNAME (else APP-NAME/TAG, else "unknown"), severity = PRI mod 8
// (0-2 fatal, 3 error, 4 warn, 5-6 info, 7 debug), message = MSG (a UTF-8 BOM removed; trailing
// CR/LF removed), ts = TIMESTAMP ("-" or absent: `now`).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/log_record.h"

namespace foresight::ingest {

// Errors: InvalidArgument naming what was wrong ("syslog: missing <PRI>", "syslog: PRI 200 out of
// range 0..191", "syslog: RFC 5424 header: missing HOSTNAME", "syslog: invalid RFC 5424 TIMESTAMP ...",
// "syslog: unterminated STRUCTURED-DATA").
Result<LogRecord> ParseSyslog(std::string_view message, TimestampNs now);

// Splits a TCP byte stream into syslog messages. Each frame is octet-counted ("<len> <msg>") when it
// starts with a digit, else it ends at "\n" (non-transparent framing; a trailing "\r" is dropped).
class SyslogFramer {
 public:
  explicit SyslogFramer(size_t max_frame_bytes = 64 * 1024) : max_(max_frame_bytes) {}
  // Appends `data` and calls on_message for each complete frame. Errors (the connection should be
  // closed): InvalidArgument for an octet count that is not a number or exceeds max_frame_bytes, or a
  // newline-delimited frame longer than max_frame_bytes.
  Status Feed(std::string_view data, const std::function<void(std::string_view)>& on_message);
  // At end of stream: a pending newline-delimited frame without its "\n" is delivered.
  void Finish(const std::function<void(std::string_view)>& on_message);
  size_t buffered() const { return buf_.size(); }

 private:
  size_t max_;
  std::string buf_;
};

}  // namespace foresight::ingest

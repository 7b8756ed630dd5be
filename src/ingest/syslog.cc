#include "ingest/syslog.h"

#include <charconv>
#include <ctime>

#include "core/time_util.h"

namespace foresight::ingest {
namespace {

std::string_view Token(std::string_view* s) {
  size_t sp = s->find(' ');
  std::string_view t = s->substr(0, sp);
  *s = sp == std::string_view::npos ? std::string_view() : s->substr(sp + 1);
  return t;
}

std::string_view Severity(int pri) {
  switch (pri % 8) {
    case 0: case 1: case 2: return "fatal";
    case 3: return "error";
    case 4: return "warn";
    case 7: return "debug";
    default: return "info";
  }
}

std::string_view TrimMessage(std::string_view m) {
  if (m.substr(0, 3) == "\xEF\xBB\xBF") m.remove_prefix(3);
  while (!m.empty() && (m.back() == '\n' || m.back() == '\r' || m.back() == '\0')) m.remove_suffix(1);
  return m;
}

bool Digits(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "Oct 11 22:14:15" (day may be space-padded: "Oct  1 ...").
bool Parse3164Time(std::string_view* s, TimestampNs now, TimestampNs* ts) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s->size() < 16 || (*s)[3] != ' ' || (*s)[6] != ' ' || (*s)[9] != ':' || (*s)[12] != ':' || (*s)[15] != ' ') return false;
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (s->substr(0, 3) == kMonths[i]) month = i;
  }
  int day = 0, h = 0, m = 0, sec = 0;
  std::string_view d = s->substr(4, 2);
  if (d[0] == ' ') d.remove_prefix(1);
  if (month < 0 || !Digits(d, &day) || !Digits(s->substr(7, 2), &h) || !Digits(s->substr(10, 2), &m) ||
      !Digits(s->substr(13, 2), &sec) || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) {
    return false;
  }
  std::time_t now_s = static_cast<std::time_t>(now / kNanosPerSecond);
  std::tm now_tm{};
  gmtime_r(&now_s, &now_tm);
  for (int year_back = 0; year_back < 2; ++year_back) {
    std::tm tm{};
    tm.tm_year = now_tm.tm_year - year_back;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    int64_t t = static_cast<int64_t>(timegm(&tm)) * kNanosPerSecond;
    if (t <= now + 86400 * kNanosPerSecond || year_back == 1) {
      *ts = t;
      break;
    }
  }
  s->remove_prefix(16);
  return true;
}

Result<LogRecord> Parse5424(std::string_view s, int pri, TimestampNs now) {
  LogRecord r;
  r.severity = std::string(Severity(pri));
  std::string_view ts = Token(&s);
  if (ts.empty()) return Status::InvalidArgument("syslog: RFC 5424 header: missing TIMESTAMP");
  if (ts == "-") {
    r.ts_ns = now;
  } else {
    auto t = ParseTimestamp(ts, now);
    if (!t.ok() || ts.find('T') == std::string_view::npos) {
      return Status::InvalidArgument("syslog: invalid RFC 5424 TIMESTAMP \"" + std::string(ts.substr(0, 40)) + "\"");
    }
    r.ts_ns = *t;
  }
  std::string_view host = Token(&s);
  if (host.empty()) return Status::InvalidArgument("syslog: RFC 5424 header: missing HOSTNAME");
  std::string_view app = Token(&s);
  if (app.empty()) return Status::InvalidArgument("syslog: RFC 5424 header: missing APP-NAME");
  if (Token(&s).empty()) return Status::InvalidArgument("syslog: RFC 5424 header: missing PROCID");
  if (Token(&s).empty()) return Status::InvalidArgument("syslog: RFC 5424 header: missing MSGID");
  if (s.empty()) return Status::InvalidArgument("syslog: RFC 5424 header: missing STRUCTURED-DATA");
  if (s[0] == '-') {
    s.remove_prefix(1);
  } else if (s[0] == '[') {
    // One or more [SD-ID params]; inside quoted values, \" \] \\ are escapes.
    size_t i = 0;
    while (i < s.size() && s[i] == '[') {
      bool quoted = false;
      ++i;
      for (; i < s.size(); ++i) {
        char c = s[i];
        if (quoted && c == '\\') {
          ++i;
          continue;
        }
        if (c == '"') quoted = !quoted;
        if (!quoted && c == ']') break;
      }
      if (i >= s.size()) return Status::InvalidArgument("syslog: unterminated STRUCTURED-DATA");
      ++i;  // past ']'
    }
    s.remove_prefix(i);
  } else {
    return Status::InvalidArgument("syslog: RFC 5424 STRUCTURED-DATA must be \"-\" or start with \"[\"");
  }
  if (!s.empty()) {
    if (s[0] != ' ') return Status::InvalidArgument("syslog: RFC 5424: expected a space before MSG");
    s.remove_prefix(1);
  }
  r.message = std::string(TrimMessage(s));
  r.entity = host != "-" ? std::string(host) : app != "-" ? std::string(app) : "unknown";
  return r;
}

}  // namespace

Result<LogRecord> ParseSyslog(std::string_view s, TimestampNs now) {
  if (s.empty() || s[0] != '<') return Status::InvalidArgument("syslog: missing <PRI>");
  size_t close = s.find('>');
  if (close == std::string_view::npos || close < 2 || close > 4) return Status::InvalidArgument("syslog: malformed <PRI>");
  int pri = 0;
  if (!Digits(s.substr(1, close - 1), &pri)) return Status::InvalidArgument("syslog: malformed <PRI>");
  if (pri > 191) return Status::InvalidArgument("syslog: PRI " + std::to_string(pri) + " out of range 0..191");
  s.remove_prefix(close + 1);
  if (s.size() >= 2 && s[0] >= '1' && s[0] <= '9' && s[1] == ' ') {
    s.remove_prefix(2);
    return Parse5424(s, pri, now);
  }
  LogRecord r;
  r.severity = std::string(Severity(pri));
  r.ts_ns = now;
  std::string_view rest = s;
  if (Parse3164Time(&rest, now, &r.ts_ns)) {
    std::string_view host = Token(&rest);
    // TAG: alphanumerics up to '[' or ':' (then "[pid]" and ": ").
    std::string_view msg = rest;
    size_t colon = rest.find(": ");
    std::string_view tag;
    if (colon != std::string_view::npos && colon <= 48 && rest.substr(0, colon).find(' ') == std::string_view::npos) {
      tag = rest.substr(0, colon);
      if (size_t b = tag.find('['); b != std::string_view::npos) tag = tag.substr(0, b);
      msg = rest.substr(colon + 2);
    }
    r.entity = !host.empty() ? std::string(host) : !tag.empty() ? std::string(tag) : "unknown";
    r.message = std::string(TrimMessage(msg));
  } else {
    r.entity = "unknown";
    r.message = std::string(TrimMessage(s));
  }
  return r;
}

Status SyslogFramer::Feed(std::string_view data, const std::function<void(std::string_view)>& on_message) {
  buf_.append(data);
  size_t pos = 0;
  Status st = Status::Ok();
  while (pos < buf_.size()) {
    char c = buf_[pos];
    if (c >= '0' && c <= '9') {
      size_t sp = buf_.find(' ', pos);
      if (sp == std::string::npos) {
        if (buf_.size() - pos > 10) st = Status::InvalidArgument("syslog TCP: octet count is not a number");
        break;
      }
      size_t len = 0;
      auto [p, ec] = std::from_chars(buf_.data() + pos, buf_.data() + sp, len);
      if (ec != std::errc() || p != buf_.data() + sp) {
        st = Status::InvalidArgument("syslog TCP: octet count is not a number");
        break;
      }
      if (len > max_) {
        st = Status::InvalidArgument("syslog TCP: frame of " + std::to_string(len) + " bytes exceeds the limit of " +
                                     std::to_string(max_) + " bytes (ingest.max_line_bytes)");
        break;
      }
      if (buf_.size() - (sp + 1) < len) break;  // incomplete
      on_message(std::string_view(buf_).substr(sp + 1, len));
      pos = sp + 1 + len;
    } else if (c == '\n' || c == '\r' || c == '\0' || c == ' ') {
      ++pos;  // stray separators between frames
    } else {
      size_t nl = buf_.find('\n', pos);
      if (nl == std::string::npos) {
        if (buf_.size() - pos > max_) {
          st = Status::InvalidArgument("syslog TCP: line exceeds the limit of " + std::to_string(max_) +
                                       " bytes (ingest.max_line_bytes)");
        }
        break;
      }
      if (nl - pos > max_) {
        st = Status::InvalidArgument("syslog TCP: line exceeds the limit of " + std::to_string(max_) +
                                     " bytes (ingest.max_line_bytes)");
        break;
      }
      std::string_view frame = std::string_view(buf_).substr(pos, nl - pos);
      if (!frame.empty() && frame.back() == '\r') frame.remove_suffix(1);
      on_message(frame);
      pos = nl + 1;
    }
  }
  buf_.erase(0, pos);
  if (!st.ok()) buf_.clear();
  return st;
}

void SyslogFramer::Finish(const std::function<void(std::string_view)>& on_message) {
  size_t start = buf_.find_first_not_of("\r\n\0 ", 0, 4);
  if (start != std::string::npos && !(buf_[start] >= '0' && buf_[start] <= '9')) {
    std::string_view frame = std::string_view(buf_).substr(start);
    if (!frame.empty() && frame.back() == '\r') frame.remove_suffix(1);
    if (frame.size() <= max_) on_message(frame);
  }
  buf_.clear();
}

}  // namespace foresight::ingest

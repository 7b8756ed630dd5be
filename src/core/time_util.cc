#include "core/time_util.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace foresight {
namespace {

constexpr TimestampNs kMaxTs = 7'258'118'400LL * kNanosPerSecond;  // 2200-01-01T00:00:00Z

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*out);
}

int64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "µs") return 1000;
  if (unit == "ms") return kNanosPerMilli;
  if (unit == "s") return kNanosPerSecond;
  if (unit == "m") return 60 * kNanosPerSecond;
  if (unit == "h") return 3600 * kNanosPerSecond;
  if (unit == "d") return 86400 * kNanosPerSecond;
  if (unit == "w") return 7 * 86400 * kNanosPerSecond;
  return 0;
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), from Howard Hinnant's civil-days algorithm.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<TimestampNs> ParseRfc3339(std::string_view s) {
  auto bad = [&] { return Status::InvalidArgument("invalid RFC 3339 time", std::string(s)); };
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > s.size()) return false;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, *out);
    return ec == std::errc() && p == s.data() + pos + len;
  };
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!num(0, 4, &y) || s.size() < 10 || s[4] != '-' || !num(5, 2, &mo) || s[7] != '-' || !num(8, 2, &d)) return bad();
  size_t i = 10;
  int64_t frac_ns = 0;
  int64_t offset_s = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return bad();
    if (!num(i + 1, 2, &h) || s.size() < i + 9 || s[i + 3] != ':' || !num(i + 4, 2, &mi) || s[i + 6] != ':' ||
        !num(i + 7, 2, &sec)) {
      return bad();
    }
    i += 9;
    if (i < s.size() && s[i] == '.') {
      ++i;
      int64_t scale = 100'000'000;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        frac_ns += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
    if (i >= s.size()) return bad();
    if (s[i] == 'Z' || s[i] == 'z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      int oh, om;
      if (!num(i + 1, 2, &oh) || s.size() < i + 6 || s[i + 3] != ':' || !num(i + 4, 2, &om)) return bad();
      offset_s = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
      i += 6;
    } else {
      return bad();
    }
    if (i != s.size()) return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return bad();
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  if (secs < 0 || secs > kMaxTs / kNanosPerSecond) {
    return Status::OutOfRange("time out of range (1970..2200)", std::string(s));
  }
  return secs * kNanosPerSecond + frac_ns;
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid duration (use e.g. 500ms, 30s, 10m, 1h, 7d)", "\"" + std::string(text) + "\"");
  };
  if (text.empty()) return bad();
  double plain;
  if (ParseDouble(text, &plain)) {
    if (plain < 0 || plain > 1e11) return bad();
    return static_cast<int64_t>(std::llround(plain * kNanosPerSecond));
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t s = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (s == i) return bad();
    double v;
    if (!ParseDouble(text.substr(s, i - s), &v)) return bad();
    size_t u = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    int64_t unit = UnitNanos(text.substr(u, i - u));
    if (unit == 0) return bad();
    double add = v * static_cast<double>(unit);
    if (add > 9e18 || total + add > 9e18) return bad();
    total += static_cast<int64_t>(std::llround(add));
  }
  return total;
}

Result<TimestampNs> ParseTimestamp(std::string_view text, TimestampNs now) {
  if (text == "now") return now;
  std::string_view rel = text;
  if (rel.starts_with("now")) rel.remove_prefix(3);
  if (!rel.empty() && (rel[0] == '-' || rel[0] == '+') && rel.size() > 1 && text != rel) {
    FS_ASSIGN_OR_RETURN(int64_t d, ParseDuration(rel.substr(1)));
    return rel[0] == '-' ? now - d : now + d;
  }
  if (!text.empty() && text[0] == '-') {
    auto d = ParseDuration(text.substr(1));
    if (d.ok()) return now - *d;
  }
  double secs;
  if (text.find_first_not_of("0123456789.") == std::string_view::npos && ParseDouble(text, &secs)) {
    if (secs < 0 || secs > static_cast<double>(kMaxTs / kNanosPerSecond)) {
      return Status::OutOfRange("time out of range (1970..2200)", std::string(text));
    }
    // Integer and fraction parsed apart: a double cannot hold Unix nanoseconds exactly.
    size_t dot = text.find('.');
    int64_t whole = 0;
    std::from_chars(text.data(), text.data() + (dot == std::string_view::npos ? text.size() : dot), whole);
    int64_t frac = 0, scale = 100'000'000;
    for (size_t i = dot == std::string_view::npos ? text.size() : dot + 1; i < text.size() && scale > 0; ++i) {
      if (text[i] < '0' || text[i] > '9') break;
      frac += (text[i] - '0') * scale;
      scale /= 10;
    }
    return whole * kNanosPerSecond + frac;
  }
  if (text.size() >= 10 && text[4] == '-') return ParseRfc3339(text);
  return Status::InvalidArgument("invalid time (use RFC 3339, Unix seconds, now or now-1h)", "\"" + std::string(text) + "\"");
}

std::string FormatRfc3339(TimestampNs ts) {
  time_t secs = static_cast<time_t>(ts / kNanosPerSecond);
  int64_t ms = (ts % kNanosPerSecond) / kNanosPerMilli;
  if (ts < 0 && ts % kNanosPerSecond) {
    --secs;
    ms += 1000;
  }
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string FormatDurationHuman(int64_t ns) {
  if (ns < 0) return "-" + FormatDurationHuman(-ns);
  int64_t s = ns / kNanosPerSecond;
  int64_t d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60, sec = s % 60;
  char buf[64];
  if (d > 0) {
    std::snprintf(buf, sizeof(buf), "%lld d %lld h", static_cast<long long>(d), static_cast<long long>(h));
  } else if (h > 0) {
    std::snprintf(buf, sizeof(buf), "%lld h %lld m", static_cast<long long>(h), static_cast<long long>(m));
  } else if (m > 0) {
    std::snprintf(buf, sizeof(buf), "%lld m", static_cast<long long>(m));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld s", static_cast<long long>(sec));
  }
  return buf;
}

}  // namespace foresight

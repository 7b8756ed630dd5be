#include "ingest/exposition.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace foresight::ingest {
namespace {

// int64 nanoseconds reach to the year 2262; timestamps beyond that cannot be represented.
constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / kNanosPerMilli;

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsMetricStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool IsMetricChar(char c) { return IsMetricStart(c) || (c >= '0' && c <= '9'); }
bool IsLabelStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsLabelChar(char c) { return IsLabelStart(c) || (c >= '0' && c <= '9'); }

bool IsValidMetricName(std::string_view s) {
  return !s.empty() && IsMetricStart(s[0]) && std::all_of(s.begin(), s.end(), IsMetricChar);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong encodings, surrogates and values above U+10FFFF are invalid, as Go's utf8.ValidString says.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Go's strconv.ParseFloat as Prometheus uses it, minus hex floats: decimal, exponent, [+-]Inf, NaN
// (case-insensitive).
bool ParseFloat(std::string_view s, double* v) {
  if (s.empty()) return false;
  bool plus = s[0] == '+';
  if (plus) {
    s.remove_prefix(1);
    if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseInt64(std::string_view s, int64_t* v) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

// OpenMetrics timestamps are seconds with an optional fraction; parsed digit by digit so that
// 1700000000.123456789 keeps its nanoseconds (a double would not).
bool ParseSecondsToNanos(std::string_view s, TimestampNs* ns) {
  std::string_view t = s;
  bool neg = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  size_t dot = t.find('.');
  std::string_view int_part = t.substr(0, dot);
  std::string_view frac_part = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  bool plain = !(int_part.empty() && frac_part.empty()) &&
               std::all_of(int_part.begin(), int_part.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
               std::all_of(frac_part.begin(), frac_part.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (plain) {
    int64_t secs = 0;
    if (!int_part.empty()) {
      auto [p, ec] = std::from_chars(int_part.data(), int_part.data() + int_part.size(), secs);
      if (ec != std::errc()) return false;
    }
    if (secs > std::numeric_limits<int64_t>::max() / kNanosPerSecond - 1) return false;
    int64_t frac = 0;
    for (size_t i = 0; i < 9; ++i) frac = frac * 10 + (i < frac_part.size() ? frac_part[i] - '0' : 0);
    int64_t total = secs * kNanosPerSecond + frac;
    *ns = neg ? -total : total;
    return true;
  }
  double d;
  if (!ParseFloat(s, &d) || !std::isfinite(d)) return false;
  double scaled = d * static_cast<double>(kNanosPerSecond);
  // 9.2e18 is below INT64_MAX (9.22e18) with margin for the double's rounding.
  if (std::fabs(scaled) > 9.2e18) return false;
  *ns = static_cast<int64_t>(std::llround(scaled));
  return true;
}

enum class FamilyType { kUnknown, kCounter, kGauge, kHistogram, kSummary, kGaugeHistogram, kStateSet, kInfo };

bool ParseFamilyType(std::string_view s, FamilyType* t) {
  if (s == "counter") *t = FamilyType::kCounter;
  else if (s == "gauge") *t = FamilyType::kGauge;
  else if (s == "histogram") *t = FamilyType::kHistogram;
  else if (s == "summary") *t = FamilyType::kSummary;
  else if (s == "untyped" || s == "unknown") *t = FamilyType::kUnknown;
  else if (s == "gaugehistogram") *t = FamilyType::kGaugeHistogram;
  else if (s == "stateset") *t = FamilyType::kStateSet;
  else if (s == "info") *t = FamilyType::kInfo;
  else return false;
  return true;
}

// Parses one body, line by line. Error() records the first problem; Run() stops at it.
class Parser {
 public:
  Parser(ExpositionFormat format, TimestampNs scrape_ts, const Labels& extra, std::vector<LabeledSample>* out)
      : format_(format), scrape_ts_(scrape_ts), extra_(extra), out_(out) {}

  // Returns the reason for the first malformed line ("" if none) and sets *line to its number.
  std::string Run(std::string_view body, size_t* line) {
    size_t pos = 0;
    size_t n = 0;
    bool eof_seen = false;
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      size_t end = nl == std::string_view::npos ? body.size() : nl;
      std::string_view text = body.substr(pos, end - pos);
      pos = nl == std::string_view::npos ? body.size() : nl + 1;
      ++n;
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);  // tolerate CRLF bodies
      if (eof_seen) {
        *line = n;
        return "data after # EOF";
      }
      std::string why = ParseLine(text, &eof_seen);
      if (!why.empty()) {
        *line = n;
        return why;
      }
    }
    if (format_ == ExpositionFormat::kOpenMetrics && !eof_seen) {
      *line = n + (body.empty() || body.back() == '\n' ? 1 : 0);
      return "missing # EOF at the end of an OpenMetrics body";
    }
    return {};
  }

 private:
  std::string ParseLine(std::string_view line, bool* eof_seen) {
    size_t i = 0;
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i == line.size()) return {};  // blank line
    if (line[i] == '#') return ParseComment(line.substr(i + 1), eof_seen);
    return ParseSample(line.substr(i));
  }

  static std::string_view NextToken(std::string_view s, size_t* i) {
    while (*i < s.size() && IsSpace(s[*i])) ++(*i);
    size_t start = *i;
    while (*i < s.size() && !IsSpace(s[*i])) ++(*i);
    return s.substr(start, *i - start);
  }

  std::string ParseComment(std::string_view s, bool* eof_seen) {
    size_t i = 0;
    std::string_view keyword = NextToken(s, &i);
    if (keyword == "EOF" && format_ == ExpositionFormat::kOpenMetrics) {
      if (!NextToken(s, &i).empty()) return "unexpected text after # EOF";
      *eof_seen = true;
      return {};
    }
    if (keyword != "HELP" && keyword != "TYPE" && keyword != "UNIT") return {};  // plain comment
    std::string_view name = NextToken(s, &i);
    if (name.empty()) return "# " + std::string(keyword) + " without a metric name";
    if (!IsValidMetricName(name)) return "invalid metric name \"" + std::string(name) + "\" in # " + std::string(keyword);
    if (keyword == "TYPE") {
      std::string_view type = NextToken(s, &i);
      FamilyType t;
      if (!ParseFamilyType(type, &t)) return "unknown metric type \"" + std::string(type) + "\"";
      if (!NextToken(s, &i).empty()) return "unexpected text after the type in # TYPE";
      family_.assign(name);
      family_type_ = t;
    }
    return {};  // HELP text and UNIT are not kept: the store has no metadata yet.
  }

  // Parses {a="b",...} starting at s[*i] == '{'; appends to labels_.
  std::string ParseLabels(std::string_view s, size_t* i) {
    ++(*i);  // '{'
    auto skip = [&] { while (*i < s.size() && IsSpace(s[*i])) ++(*i); };
    while (true) {
      skip();
      if (*i >= s.size()) return "missing '}'";
      if (s[*i] == '}') {
        ++(*i);
        return {};
      }
      size_t start = *i;
      if (!IsLabelStart(s[*i])) return "expected a label name at column " + std::to_string(*i + 1);
      while (*i < s.size() && IsLabelChar(s[*i])) ++(*i);
      std::string_view name = s.substr(start, *i - start);
      skip();
      if (*i >= s.size() || s[*i] != '=') return "expected '=' after label \"" + std::string(name) + "\"";
      ++(*i);
      skip();
      if (*i >= s.size() || s[*i] != '"') return "expected '\"' to open the value of label \"" + std::string(name) + "\"";
      ++(*i);
      std::string value;
      bool closed = false;
      while (*i < s.size()) {
        char c = s[*i];
        if (c == '"') {
          closed = true;
          ++(*i);
          break;
        }
        if (c == '\\' && *i + 1 < s.size()) {
          char e = s[*i + 1];
          if (e == 'n') value += '\n';
          else if (e == '\\' || e == '"') value += e;
          else {  // unknown escapes stay as written, as Prometheus keeps them
            value += '\\';
            value += e;
          }
          *i += 2;
          continue;
        }
        value += c;
        ++(*i);
      }
      if (!closed) return "unterminated value of label \"" + std::string(name) + "\"";
      if (!IsValidUtf8(value)) return "invalid UTF-8 in the value of label \"" + std::string(name) + "\"";
      if (name == kMetricNameLabel) return "label __name__ inside braces";
      for (const auto& l : labels_) {
        if (l.name == name) return "duplicate label \"" + std::string(name) + "\"";
      }
      labels_.push_back(Label{std::string(name), std::move(value)});
      skip();
      if (*i < s.size() && s[*i] == ',') {
        ++(*i);
      } else if (*i < s.size() && s[*i] != '}') {
        return "expected ',' or '}' at column " + std::to_string(*i + 1);
      }
    }
  }

  std::string ParseSample(std::string_view s) {
    size_t i = 0;
    if (!IsMetricStart(s[0])) return "expected a metric name, got '" + std::string(1, s[0]) + "'";
    while (i < s.size() && IsMetricChar(s[i])) ++i;
    std::string_view name = s.substr(0, i);
    labels_.clear();
    labels_.push_back(Label{std::string(kMetricNameLabel), std::string(name)});
    size_t before = i;
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i < s.size() && s[i] == '{') {
      std::string why = ParseLabels(s, &i);
      if (!why.empty()) return why;
    } else {
      i = before;
    }
    if (i >= s.size()) return "missing value";
    if (!IsSpace(s[i])) return "unexpected character '" + std::string(1, s[i]) + "' after the metric name";
    std::string_view value_text = NextToken(s, &i);
    if (value_text.empty()) return "missing value";
    double value;
    if (!ParseFloat(value_text, &value)) return "invalid value \"" + std::string(value_text) + "\"";
    TimestampNs ts = scrape_ts_;
    std::string_view ts_text = NextToken(s, &i);
    if (!ts_text.empty() && ts_text[0] != '#') {
      if (format_ == ExpositionFormat::kOpenMetrics) {
        if (!ParseSecondsToNanos(ts_text, &ts)) return "invalid timestamp \"" + std::string(ts_text) + "\"";
      } else {
        int64_t ms;
        if (!ParseInt64(ts_text, &ms)) return "invalid timestamp \"" + std::string(ts_text) + "\"";
        if (ms > kMaxMillis || ms < -kMaxMillis) return "timestamp " + std::string(ts_text) + " ms out of range";
        ts = ms * kNanosPerMilli;
      }
      ts_text = NextToken(s, &i);
    }
    // Whatever follows " # " is an exemplar: a trace reference for one observation, not a sample.
    if (!ts_text.empty() && ts_text[0] != '#') return "unexpected text \"" + std::string(ts_text) + "\" after the sample";

    if (!family_.empty() && name.size() > family_.size() && name.starts_with(family_)) {
      std::string_view suffix = name.substr(family_.size());
      bool has_created = family_type_ == FamilyType::kCounter || family_type_ == FamilyType::kHistogram ||
                         family_type_ == FamilyType::kSummary;
      if (format_ == ExpositionFormat::kOpenMetrics && suffix == "_created" && has_created) return {};
      if (format_ == ExpositionFormat::kOpenMetrics && suffix == "_bucket" &&
          (family_type_ == FamilyType::kHistogram || family_type_ == FamilyType::kGaugeHistogram)) {
        std::string why = CheckNumericLabel("le");
        if (!why.empty()) return why;
      }
    }
    if (format_ == ExpositionFormat::kOpenMetrics && family_type_ == FamilyType::kSummary && name == family_) {
      std::string why = CheckNumericLabel("quantile");
      if (!why.empty()) return why;
    }
    return Emit(ts, value);
  }

  std::string CheckNumericLabel(std::string_view label) {
    for (const auto& l : labels_) {
      double v;
      if (l.name == label) {
        return ParseFloat(l.value, &v) ? std::string() : "label " + std::string(label) + "=\"" + l.value + "\" is not a number";
      }
    }
    return "missing label \"" + std::string(label) + "\"";
  }

  std::string Emit(TimestampNs ts, double value) {
    Labels labels(std::move(labels_));
    labels_ = {};
    // honor_labels=false: the target's labels win; a scraped label they displace is kept as exported_<name>.
    conflicts_.clear();
    for (const auto& e : extra_) {
      std::string_view scraped = labels.Get(e.name);
      if (!scraped.empty()) conflicts_.push_back(Label{e.name, std::string(scraped)});
      labels.Set(e.name, e.value);
    }
    for (auto& c : conflicts_) {
      std::string name = "exported_" + c.name;
      while (labels.Has(name)) name.insert(0, "exported_");
      labels.Set(name, c.value);
    }
    Status st = labels.Validate();
    if (!st.ok()) return st.message();
    out_->push_back(LabeledSample{std::move(labels), ts, value});
    return {};
  }

  const ExpositionFormat format_;
  const TimestampNs scrape_ts_;
  const Labels& extra_;
  std::vector<LabeledSample>* const out_;
  std::string family_;  // the name of the last # TYPE line: the family later samples belong to
  FamilyType family_type_ = FamilyType::kUnknown;
  std::vector<Label> labels_;     // the sample being parsed; reused across lines
  std::vector<Label> conflicts_;  // scratch for Emit
};

}  // namespace

ExpositionFormat ExpositionFormatFromContentType(std::string_view content_type) {
  size_t i = 0;
  while (i < content_type.size() && IsSpace(content_type[i])) ++i;
  std::string_view mime = content_type.substr(i, content_type.find(';', i) - i);
  while (!mime.empty() && IsSpace(mime.back())) mime.remove_suffix(1);
  std::string lower(mime);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "application/openmetrics-text" ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kPrometheusText;
}

Result<size_t> ParseExposition(std::string_view body, TimestampNs scrape_ts, const Labels& extra_labels,
                               std::vector<LabeledSample>* out, ExpositionFormat format, ExpositionError* error) {
  const size_t start = out->size();
  Parser parser(format, scrape_ts, extra_labels, out);
  size_t line = 0;
  std::string why = parser.Run(body, &line);
  if (!why.empty()) {
    out->erase(out->begin() + static_cast<std::ptrdiff_t>(start), out->end());  // a malformed body fails the whole scrape, as in Prometheus
    if (error != nullptr) *error = ExpositionError{line, why};
    return Status::InvalidArgument("exposition line " + std::to_string(line), why);
  }
  return out->size() - start;
}

}  // namespace foresight::ingest

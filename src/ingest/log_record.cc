#include "ingest/log_record.h"

#include <algorithm>
#include <cctype>

namespace foresight::ingest {

std::string NormalizeSeverity(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  // OTel severity texts may carry a number suffix ("ERROR2"): ignore trailing digits.
  while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (s == "trace") return "trace";
  if (s == "debug" || s == "dbg") return "debug";
  if (s == "warn" || s == "warning") return "warn";
  if (s == "error" || s == "err") return "error";
  if (s == "fatal" || s == "critical" || s == "crit" || s == "alert" || s == "emerg" || s == "emergency" || s == "panic") {
    return "fatal";
  }
  return "info";  // info, informational, notice, and anything unknown
}

std::string_view SeverityFromOtelNumber(int number) {
  if (number >= 1 && number <= 4) return "trace";
  if (number >= 5 && number <= 8) return "debug";
  if (number >= 13 && number <= 16) return "warn";
  if (number >= 17 && number <= 20) return "error";
  if (number >= 21 && number <= 24) return "fatal";
  return "info";
}

}  // namespace foresight::ingest

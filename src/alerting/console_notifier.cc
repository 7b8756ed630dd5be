#include "alerting/console_notifier.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/time_util.h"

namespace foresight::alerting {
namespace {

std::string FormatNumber(double v, const char* fmt) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf");
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// "feature=+0.31,feature2=-0.05" for the top 3 attributions by |contribution| (already ranked by the
// explainer in most cases; we sort anyway so the console never shows a minor one first).
std::string TopAttributions(const Prediction& p, size_t n = 3) {
  std::vector<const Attribution*> sorted;
  for (const auto& a : p.attributions) sorted.push_back(&a);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Attribution* a, const Attribution* b) {
    return std::fabs(a->contribution) > std::fabs(b->contribution);
  });
  std::string out;
  for (size_t i = 0; i < sorted.size() && i < n; ++i) {
    if (!out.empty()) out += ',';
    out += sorted[i]->feature + "=" + FormatNumber(sorted[i]->contribution, "%+.2f");
  }
  return out;
}

}  // namespace

Result<ConsoleFormat> ParseConsoleFormat(std::string_view text) {
  if (text == "logfmt") return ConsoleFormat::kLogfmt;
  if (text == "json") return ConsoleFormat::kJson;
  return Status::InvalidArgument("console format must be logfmt or json, got \"" + std::string(text) + "\"");
}

std::string LogfmtValue(std::string_view v) {
  bool needs_quotes = v.empty();
  for (unsigned char c : v) {
    if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) return std::string(v);
  std::string out = "\"";
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

ConsoleNotifier::ConsoleNotifier(ConsoleFormat format, std::FILE* out) : format_(format), file_(out) {}
ConsoleNotifier::ConsoleNotifier(ConsoleFormat format, std::ostream& out) : format_(format), stream_(&out) {}

std::string ConsoleNotifier::Render(const Alert& alert, const Prediction& p) const {
  const std::string ts = FormatRfc3339(alert.created_at);
  const std::string top = TopAttributions(p);
  if (format_ == ConsoleFormat::kJson) {
    nlohmann::json j = {
        {"ts", ts},
        {"level", SeverityName(alert.severity)},
        {"alert", alert.id},
        {"prediction", alert.prediction_id},
        {"entity", alert.entity},
        {"kind", p.kind},
        {"resource", p.resource},
        {"score", std::isfinite(p.score) ? nlohmann::json(p.score) : nlohmann::json()},
        {"state", AlertStateName(alert.state)},
        {"msg", alert.message},
        {"top", top},
    };
    if (p.eta) j["eta"] = FormatRfc3339(*p.eta);
    if (p.simulated) j["simulated"] = true;
    // Replace invalid UTF-8 instead of throwing: an alert line must never take the process down.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line;
  auto kv = [&](std::string_view k, std::string_view v) {
    if (!line.empty()) line += ' ';
    line += k;
    line += '=';
    line += LogfmtValue(v);
  };
  kv("ts", ts);
  kv("level", SeverityName(alert.severity));
  kv("alert", alert.id);
  kv("entity", alert.entity);
  kv("kind", p.kind);
  if (!p.resource.empty()) kv("resource", p.resource);
  kv("score", FormatNumber(p.score, "%.2f"));
  kv("state", AlertStateName(alert.state));
  if (p.eta) kv("eta", FormatRfc3339(*p.eta));
  if (p.simulated) kv("simulated", "true");
  kv("msg", alert.message);
  if (!top.empty()) kv("top", top);
  return line;
}

Status ConsoleNotifier::Notify(const Alert& alert, const Prediction& prediction) {
  std::string line = Render(alert, prediction);
  line += '\n';
  std::lock_guard lock(mu_);
  if (stream_) {
    stream_->write(line.data(), static_cast<std::streamsize>(line.size()));
    stream_->flush();
    if (!*stream_) return Status::Unavailable("console", "write failed");
    return Status::Ok();
  }
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return Status::Unavailable("console", "write failed");
  }
  return Status::Ok();
}

}  // namespace foresight::alerting

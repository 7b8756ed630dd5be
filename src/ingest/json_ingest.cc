#include "ingest/json_ingest.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>

#include "core/time_util.h"

namespace foresight::ingest {
namespace {

using nlohmann::json;

// Calls fn(line_number, object) for every object; reports unparsable lines and non-objects itself.
void ForEachObject(std::string_view body, const JsonIngestOptions& options, JsonIngestResult* r,
                   const std::function<std::optional<std::string>(const json&)>& fn) {
  auto fail = [&](size_t line, const std::string& why) {
    if (!r->first_error) r->first_error = "line " + std::to_string(line) + ": " + why;
  };
  auto one = [&](size_t line, const json& j) {
    ++r->lines;
    if (!j.is_object()) return fail(line, "expected a JSON object");
    if (auto bad = fn(j)) return fail(line, *bad);
    ++r->accepted;
  };
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && body[start] == '[') {
    // One JSON array: "line" numbers are the array positions (1-based).
    if (body.size() > options.max_line_bytes * 1024) {
      ++r->lines;
      return fail(1, "JSON array of " + std::to_string(body.size()) + " bytes is too large; send JSON lines");
    }
    json arr = json::parse(body, nullptr, false);
    if (arr.is_discarded()) {
      ++r->lines;
      return fail(1, "malformed JSON array");
    }
    for (size_t i = 0; i < arr.size(); ++i) one(i + 1, arr[i]);
    return;
  }
  size_t line = 0;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t nl = body.find('\n', pos);
    std::string_view text = body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++line;
    pos = nl == std::string_view::npos ? body.size() + 1 : nl + 1;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (text.size() > options.max_line_bytes) {
      ++r->lines;
      fail(line, "line of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                     std::to_string(options.max_line_bytes) + " bytes (ingest.max_line_bytes)");
      continue;
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) {
      ++r->lines;
      fail(line, "malformed JSON");
      continue;
    }
    one(line, j);
  }
}

std::optional<std::string> Timestamp(const json& obj, TimestampNs now, TimestampNs* ts) {
  const json* v = nullptr;
  for (const char* k : {"timestamp", "time", "ts"}) {
    if (auto it = obj.find(k); it != obj.end() && !it->is_null()) {
      v = &*it;
      break;
    }
  }
  if (v == nullptr) {
    *ts = now;
    return std::nullopt;
  }
  if (v->is_string()) {
    auto t = ParseTimestamp(v->get<std::string>(), now);
    if (!t.ok()) return "invalid timestamp: " + t.status().message();
    *ts = *t;
    return std::nullopt;
  }
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return "timestamp out of range";
    int64_t n = v->get<int64_t>();
    if (n < 0) return "invalid timestamp";
    int64_t mult = n < 100'000'000'000LL ? kNanosPerSecond : n < 100'000'000'000'000LL ? kNanosPerMilli
                 : n < 100'000'000'000'000'000LL ? 1000 : 1;
    if (n > INT64_MAX / mult) return "timestamp out of range";
    *ts = n * mult;
    return std::nullopt;
  }
  if (v->is_number()) {
    double d = v->get<double>();
    if (!std::isfinite(d) || d < 0) return "invalid timestamp";
    double ns = d < 1e11 ? d * 1e9 : d < 1e14 ? d * 1e6 : d < 1e17 ? d * 1e3 : d;
    if (ns > 9.2e18) return "timestamp out of range";
    *ts = static_cast<TimestampNs>(ns);
    return std::nullopt;
  }
  return "timestamp must be a string or a number";
}

const json* FirstString(const json& obj, std::initializer_list<const char*> keys, std::string* bad_key) {
  for (const char* k : keys) {
    auto it = obj.find(k);
    if (it == obj.end() || it->is_null()) continue;
    if (!it->is_string()) {
      *bad_key = k;
      return nullptr;
    }
    return &*it;
  }
  return nullptr;
}

std::string SanitizeField(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

JsonIngestResult ParseJsonLogs(std::string_view body, const JsonIngestOptions& options, std::vector<LogRecord>* out) {
  JsonIngestResult r;
  ForEachObject(body, options, &r, [&](const json& j) -> std::optional<std::string> {
    std::string bad;
    const json* msg = FirstString(j, {"message", "body", "msg"}, &bad);
    if (!bad.empty()) return "field \"" + bad + "\" must be a string";
    if (msg == nullptr) return std::string("missing \"message\" (or \"body\", \"msg\")");
    LogRecord rec;
    rec.message = msg->get<std::string>();
    if (rec.message.size() > options.max_line_bytes) {
      return "message of " + std::to_string(rec.message.size()) + " bytes exceeds the limit of " +
             std::to_string(options.max_line_bytes) + " bytes (ingest.max_line_bytes)";
    }
    const json* ent = FirstString(j, {"entity", "host", "service"}, &bad);
    if (!bad.empty()) return "field \"" + bad + "\" must be a string";
    if (ent != nullptr) rec.entity = ent->get<std::string>();
    if (rec.entity.size() > options.max_value_bytes) {
      return "entity of " + std::to_string(rec.entity.size()) + " bytes exceeds the limit of " +
             std::to_string(options.max_value_bytes) + " bytes (ingest.max_label_value_bytes)";
    }
    const json* sev = FirstString(j, {"severity", "level"}, &bad);
    if (!bad.empty()) return "field \"" + bad + "\" must be a string";
    rec.severity = NormalizeSeverity(sev != nullptr ? std::string_view(sev->get_ref<const std::string&>()) : "");
    if (auto e = Timestamp(j, options.now, &rec.ts_ns)) return e;
    out->push_back(std::move(rec));
    return std::nullopt;
  });
  return r;
}

JsonIngestResult ParseJsonEvents(std::string_view body, const JsonIngestOptions& options, std::vector<Event>* out) {
  JsonIngestResult r;
  ForEachObject(body, options, &r, [&](const json& j) -> std::optional<std::string> {
    Event e;
    for (auto [key, dest] : {std::pair{"type", &e.type}, std::pair{"entity", &e.entity}}) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return std::string("missing \"") + key + "\"";
      if (!it->is_string()) return std::string("field \"") + key + "\" must be a string";
      *dest = it->get<std::string>();
      if (dest->empty()) return std::string("field \"") + key + "\" is empty";
      if (dest->size() > options.max_value_bytes) {
        return std::string("field \"") + key + "\" of " + std::to_string(dest->size()) + " bytes exceeds the limit of " +
               std::to_string(options.max_value_bytes) + " bytes (ingest.max_label_value_bytes)";
      }
    }
    if (auto err = Timestamp(j, options.now, &e.ts_ns)) return err;
    if (auto it = j.find("fields"); it != j.end() && !it->is_null()) {
      if (!it->is_object()) return std::string("field \"fields\" must be an object of numbers");
      if (it->size() > options.max_fields) {
        return std::to_string(it->size()) + " fields exceed the limit of " + std::to_string(options.max_fields);
      }
      for (const auto& [name, v] : it->items()) {
        double d = 0;
        if (v.is_number()) {
          d = v.get<double>();
        } else if (v.is_boolean()) {
          d = v.get<bool>() ? 1 : 0;
        } else {
          return "field \"fields." + name + "\" must be a number";
        }
        if (!std::isfinite(d)) return "field \"fields." + name + "\" must be finite";
        std::string clean = SanitizeField(name);
        if (clean.empty()) return std::string("a field name is empty");
        e.fields.emplace_back(std::move(clean), d);
      }
    }
    out->push_back(std::move(e));
    return std::nullopt;
  });
  return r;
}

}  // namespace foresight::ingest

#include "core/labels.h"

#include <algorithm>
#include <cstring>

#include "core/types.h"

namespace foresight {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

void Normalize(std::vector<Label>& pairs) {
  // Stable sort keeps insertion order among equal names so "later replaces earlier" holds.
  std::stable_sort(pairs.begin(), pairs.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  std::vector<Label> out;
  out.reserve(pairs.size());
  for (auto& l : pairs) {
    if (!out.empty() && out.back().name == l.name) {
      out.back().value = std::move(l.value);
    } else {
      out.push_back(std::move(l));
    }
  }
  std::erase_if(out, [](const Label& l) { return l.value.empty(); });
  pairs = std::move(out);
}

void AppendEscaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

}  // namespace

Labels::Labels(std::initializer_list<Label> labels) : pairs_(labels) { Normalize(pairs_); }
Labels::Labels(std::vector<Label> labels) : pairs_(std::move(labels)) { Normalize(pairs_); }

void Labels::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != pairs_.end() && it->name == name) {
    if (value.empty()) {
      pairs_.erase(it);
    } else {
      it->value = std::string(value);
    }
    return;
  }
  if (!value.empty()) pairs_.insert(it, Label{std::string(name), std::string(value)});
}

std::string_view Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != pairs_.end() && it->name == name) return it->value;
  return {};
}

std::string Labels::ToString() const {
  std::string out(metric());
  out += '{';
  bool first = true;
  for (const auto& l : pairs_) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += "=\"";
    AppendEscaped(out, l.value);
    out += '"';
  }
  out += '}';
  return out;
}

Result<Labels> Labels::Parse(std::string_view text) {
  std::vector<Label> pairs;
  size_t i = 0;
  auto err = [&](std::string_view why) {
    return Status::InvalidArgument("series selector", std::string(why) + " at offset " + std::to_string(i),
                                   std::string(text));
  };
  size_t name_end = 0;
  while (name_end < text.size() && text[name_end] != '{') ++name_end;
  std::string_view name = text.substr(0, name_end);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (!name.empty()) pairs.push_back({std::string(kMetricNameLabel), std::string(name)});
  i = name_end;
  if (i < text.size()) {
    ++i;  // '{'
    while (true) {
      while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
      if (i >= text.size()) return err("missing '}'");
      if (text[i] == '}') {
        ++i;
        break;
      }
      size_t s = i;
      while (i < text.size() && IsNameChar(text[i])) ++i;
      if (s == i) return err("expected label name");
      std::string lname(text.substr(s, i - s));
      if (i >= text.size() || text[i] != '=') return err("expected '='");
      ++i;
      if (i >= text.size() || text[i] != '"') return err("expected '\"'");
      ++i;
      std::string value;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) {
          ++i;
          value += text[i] == 'n' ? '\n' : text[i];
        } else {
          value += text[i];
        }
        ++i;
      }
      if (i >= text.size()) return err("unterminated value");
      ++i;
      pairs.push_back({std::move(lname), std::move(value)});
    }
    if (i != text.size()) return err("trailing characters");
  }
  Labels out(std::move(pairs));
  FS_RETURN_IF_ERROR(out.Validate());
  return out;
}

uint64_t Labels::Hash() const {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator that cannot appear in UTF-8
    h *= 1099511628211ULL;
  };
  for (const auto& l : pairs_) {
    mix(l.name);
    mix(l.value);
  }
  return h;
}

Status Labels::Validate() const {
  if (pairs_.size() > kMaxLabels) {
    return Status::InvalidArgument("too many labels", std::to_string(pairs_.size()) + " > " + std::to_string(kMaxLabels));
  }
  for (const auto& l : pairs_) {
    if (l.name.empty() || !IsNameStart(l.name[0]) ||
        !std::all_of(l.name.begin(), l.name.end(), IsNameChar)) {
      return Status::InvalidArgument("invalid label name", "\"" + l.name + "\"");
    }
    if (l.name == kMetricNameLabel) {
      const auto& v = l.value;
      bool ok = !v.empty() && (IsNameStart(v[0]) || v[0] == ':') &&
                std::all_of(v.begin(), v.end(), [](char c) { return IsNameChar(c) || c == ':'; });
      if (!ok) return Status::InvalidArgument("invalid metric name", "\"" + v + "\"");
    }
  }
  return Status::Ok();
}

std::string EntityOf(const Labels& labels) {
  auto e = labels.Get(kEntityLabel);
  if (!e.empty()) return std::string(e);
  return std::string(labels.Get(kHostLabel));
}

uint64_t HashBytes(std::string_view s, uint64_t seed) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t acc = n;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc = (acc ^ w) * kMul;
    acc ^= acc >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {  // 1..7 bytes left, read without a variable-length copy (wyhash's trick)
    uint64_t w;
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      w = (uint64_t{hi} << 32) | lo;
    } else {
      w = (uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) | static_cast<unsigned char>(p[n - 1]);
    }
    acc = (acc ^ w) * kMul;
    acc ^= acc >> 29;
  }
  uint64_t h = (seed ^ acc) * kMul;
  return h ^ (h >> 32);
}

uint64_t SeriesHash(const Labels& labels) {
  uint64_t h = labels.size();
  for (const Label& l : labels) {
    h = HashBytes(l.name, h);
    h = HashBytes(l.value, h);
  }
  return h;
}

void FlattenLabels(const Labels& labels, std::string* out) {
  out->clear();
  for (const Label& l : labels) {
    for (const std::string* s : {&l.name, &l.value}) {
      const auto n = static_cast<uint32_t>(s->size());
      out->append(reinterpret_cast<const char*>(&n), sizeof n);
      out->append(*s);
    }
  }
}

bool FlatLabelsEqual(std::string_view flat, const Labels& labels) {
  size_t pos = 0;
  for (const Label& l : labels) {
    for (const std::string* s : {&l.name, &l.value}) {
      uint32_t n;
      if (flat.size() - pos < sizeof n) return false;
      std::memcpy(&n, flat.data() + pos, sizeof n);
      pos += sizeof n;
      if (n != s->size() || flat.size() - pos < n || std::memcmp(flat.data() + pos, s->data(), n) != 0) return false;
      pos += n;
    }
  }
  return pos == flat.size();
}

}  // namespace foresight

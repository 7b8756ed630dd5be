#include "storage/tsdb/selector.h"

namespace foresight::storage {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsMetricChar(char c) { return IsNameChar(c) || c == ':'; }

}  // namespace

Result<std::vector<LabelMatcher>> ParseSelector(std::string_view text) {
  std::vector<LabelMatcher> out;
  size_t i = 0;
  auto err = [&](std::string_view why) {
    return Status::InvalidArgument("selector", std::string(why) + " at offset " + std::to_string(i),
                                   std::string(text));
  };
  auto skip_ws = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
  };
  skip_ws();
  if (i < text.size() && text[i] != '{') {
    if (!(IsNameStart(text[i]) || text[i] == ':')) return err("expected metric name or '{'");
    size_t s = i;
    while (i < text.size() && IsMetricChar(text[i])) ++i;
    out.push_back({std::string(kMetricNameLabel), MatchOp::kEqual, std::string(text.substr(s, i - s))});
    skip_ws();
  }
  if (i < text.size()) {
    if (text[i] != '{') return err("expected '{'");
    ++i;
    while (true) {
      skip_ws();
      if (i >= text.size()) return err("missing '}'");
      if (text[i] == '}') {
        ++i;
        break;
      }
      size_t s = i;
      if (!IsNameStart(text[i])) return err("expected label name");
      while (i < text.size() && IsNameChar(text[i])) ++i;
      LabelMatcher m;
      m.name = std::string(text.substr(s, i - s));
      skip_ws();
      if (i >= text.size()) return err("expected matcher operator");
      if (text.substr(i, 2) == "=~") {
        m.op = MatchOp::kRegexMatch;
        i += 2;
      } else if (text.substr(i, 2) == "!~") {
        m.op = MatchOp::kRegexNoMatch;
        i += 2;
      } else if (text.substr(i, 2) == "!=") {
        m.op = MatchOp::kNotEqual;
        i += 2;
      } else if (text[i] == '=') {
        m.op = MatchOp::kEqual;
        i += 1;
      } else {
        return err("expected one of =, !=, =~, !~");
      }
      skip_ws();
      if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) return err("expected quoted value");
      const char quote = text[i];
      const size_t value_start = i;
      ++i;
      std::string value;
      while (i < text.size() && text[i] != quote) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          ++i;
          switch (text[i]) {
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            case '\\': value += '\\'; break;
            case '"': value += '"'; break;
            case '\'': value += '\''; break;
            default:
              // Keep unknown escapes verbatim so regexes like "\d+" and "\." work.
              value += '\\';
              value += text[i];
          }
        } else {
          value += text[i];
        }
        ++i;
      }
      if (i >= text.size()) {
        i = value_start;
        return err("unterminated string");
      }
      ++i;
      if (m.op == MatchOp::kRegexMatch || m.op == MatchOp::kRegexNoMatch) {
        try {
          std::regex re(value, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& e) {
          i = value_start;
          return err(std::string("invalid regex \"") + value + "\": " + e.what());
        }
      }
      m.value = std::move(value);
      out.push_back(std::move(m));
      skip_ws();
      if (i < text.size() && text[i] == ',') {
        ++i;
      } else if (i < text.size() && text[i] != '}') {
        return err("expected ',' or '}'");
      }
    }
    skip_ws();
    if (i != text.size()) return err("trailing characters");
  }
  if (out.empty()) {
    i = 0;
    return err("empty selector");
  }
  return out;
}

namespace tsdb {

Result<std::shared_ptr<const std::regex>> RegexCache::Get(const std::string& pattern) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(pattern);
    if (it != cache_.end()) return it->second;
  }
  std::shared_ptr<const std::regex> re;
  try {
    re = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("invalid regex", pattern, e.what());
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= capacity_) cache_.clear();
  cache_.emplace(pattern, re);
  return re;
}

Result<CompiledMatchers> CompiledMatchers::Compile(std::span<const LabelMatcher> matchers, RegexCache& cache) {
  CompiledMatchers out;
  for (const auto& m : matchers) {
    if (m.name.empty()) return Status::InvalidArgument("label matcher", "empty label name");
    M cm{m, nullptr};
    if (m.op == MatchOp::kRegexMatch || m.op == MatchOp::kRegexNoMatch) {
      FS_ASSIGN_OR_RETURN(cm.re, cache.Get(m.value));
    }
    if (m.op == MatchOp::kEqual && !m.value.empty()) {
      out.equalities_.emplace_back(m.name, m.value);
      if (m.name == kMetricNameLabel) out.metric_equal_ = m.value;
    }
    out.ms_.push_back(std::move(cm));
  }
  return out;
}

bool CompiledMatchers::Matches(const Labels& labels) const {
  for (const auto& cm : ms_) {
    const std::string_view v = labels.Get(cm.m.name);
    switch (cm.m.op) {
      case MatchOp::kEqual:
        if (v != cm.m.value) return false;
        break;
      case MatchOp::kNotEqual:
        if (v == cm.m.value) return false;
        break;
      case MatchOp::kRegexMatch:
        // regex_match is anchored at both ends, as Prometheus matchers are.
        if (!std::regex_match(v.begin(), v.end(), *cm.re)) return false;
        break;
      case MatchOp::kRegexNoMatch:
        if (std::regex_match(v.begin(), v.end(), *cm.re)) return false;
        break;
    }
  }
  return true;
}

}  // namespace tsdb
}  // namespace foresight::storage

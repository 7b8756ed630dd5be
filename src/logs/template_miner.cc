#include "logs/template_miner.h"

#include <map>
#include <regex>
#include <unordered_map>

namespace foresight::logs {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Each Match* returns the length of the variable starting at s[i], or 0. Callers check the left boundary.
size_t MatchPort(std::string_view s, size_t j) {
  if (j + 1 < s.size() && s[j] == ':' && IsDigit(s[j + 1])) {
    size_t k = j + 1;
    while (k < s.size() && IsDigit(s[k])) ++k;
    return k - j;
  }
  return 0;
}

size_t MatchIpv4(std::string_view s, size_t i) {
  size_t j = i;
  for (int group = 0; group < 4; ++group) {
    if (group > 0) {
      if (j >= s.size() || s[j] != '.') return 0;
      ++j;
    }
    size_t start = j;
    while (j < s.size() && IsDigit(s[j]) && j - start < 3) ++j;
    if (j == start) return 0;
  }
  if (j < s.size() && (IsAlnum(s[j]) || (s[j] == '.' && j + 1 < s.size() && IsDigit(s[j + 1])))) return 0;
  j += MatchPort(s, j);
  return j - i;
}

// Clock times: 7:05, 20:30:31, 20:30:31.455.
size_t MatchTime(std::string_view s, size_t i) {
  size_t j = i;
  auto digits = [&](size_t min, size_t max) {
    size_t start = j;
    while (j < s.size() && IsDigit(s[j]) && j - start < max) ++j;
    return j - start >= min;
  };
  if (!digits(1, 2) || j >= s.size() || s[j] != ':') return 0;
  ++j;
  if (!digits(2, 2)) return 0;
  if (j + 1 < s.size() && s[j] == ':' && IsDigit(s[j + 1])) {
    ++j;
    if (!digits(2, 2)) return 0;
    if (j + 1 < s.size() && (s[j] == '.' || s[j] == ',') && IsDigit(s[j + 1])) {
      ++j;
      digits(1, 9);
    }
  }
  if (j < s.size() && IsAlnum(s[j])) return 0;
  return j - i;
}

// "host.example.com:8080" (a dotted host name followed by a port) at the start of a token or after '/' or '@'.
size_t MatchHostPort(std::string_view s, size_t i) {
  size_t j = i, dots = 0;
  while (j < s.size() && (IsAlnum(s[j]) || s[j] == '-' || s[j] == '.' || s[j] == '_')) {
    if (s[j] == '.') ++dots;
    ++j;
  }
  if (dots == 0 || j == i || s[j - 1] == '.') return 0;
  size_t port = MatchPort(s, j);
  if (port == 0) return 0;
  j += port;
  if (j < s.size() && IsAlnum(s[j])) return 0;
  return j - i;
}

size_t MatchUuid(std::string_view s, size_t i) {
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  size_t j = i;
  for (size_t g = 0; g < 5; ++g) {
    if (g > 0) {
      if (j >= s.size() || s[j] != '-') return 0;
      ++j;
    }
    for (size_t k = 0; k < kGroups[g]; ++k, ++j) {
      if (j >= s.size() || !IsHex(s[j])) return 0;
    }
  }
  if (j < s.size() && IsAlnum(s[j])) return 0;
  return j - i;
}

size_t MatchIpv6(std::string_view s, size_t i) {
  size_t j = i;
  bool bracket = s[j] == '[';
  if (bracket) ++j;
  size_t colons = 0, digits = 0, group_len = 0;
  size_t start = j;
  while (j < s.size() && (IsHex(s[j]) || s[j] == ':')) {
    if (s[j] == ':') {
      ++colons;
      group_len = 0;
    } else {
      if (++group_len > 4) return 0;
      if (IsDigit(s[j])) ++digits;
    }
    ++j;
  }
  if (colons < 2 || digits == 0 || j == start) return 0;
  if (j < s.size() && IsAlnum(s[j])) return 0;
  // Do not swallow a trailing ':' that ends a "key:" style token unless it was part of "::".
  if (s[j - 1] == ':' && !(j >= 2 && s[j - 2] == ':')) --j;
  if (bracket) {
    if (j >= s.size() || s[j] != ']') return 0;
    ++j;
    j += MatchPort(s, j);
  }
  return j - i;
}

size_t MatchHex(std::string_view s, size_t i) {
  size_t j = i;
  if (j + 2 < s.size() && s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X') && IsHex(s[j + 2])) {
    j += 2;
    while (j < s.size() && IsHex(s[j])) ++j;
    if (j < s.size() && IsAlnum(s[j])) return 0;
    return j - i;
  }
  // Long hex ids: >= 8 hex chars with at least one digit and one letter (pure digits are numbers).
  size_t letters = 0, digits = 0;
  while (j < s.size() && IsHex(s[j])) {
    (IsDigit(s[j]) ? digits : letters)++;
    ++j;
  }
  if (j - i < 8 || letters == 0 || digits == 0) return 0;
  if (j < s.size() && IsAlnum(s[j])) return 0;
  return j - i;
}

size_t MatchNumber(std::string_view s, size_t i) {
  size_t j = i;
  if ((s[j] == '-' || s[j] == '+') && j + 1 < s.size() && IsDigit(s[j + 1])) ++j;
  if (j >= s.size() || !IsDigit(s[j])) return 0;
  while (j < s.size() && IsDigit(s[j])) ++j;
  while (j + 1 < s.size() && s[j] == '.' && IsDigit(s[j + 1])) {
    ++j;
    while (j < s.size() && IsDigit(s[j])) ++j;
  }
  if (j < s.size() && IsAlpha(s[j])) return 0;
  return j - i;
}

bool IsTrailingPunct(char c) { return c == ',' || c == '.' || c == ';' || c == ')' || c == ']' || c == '\'' || c == '"'; }

// A whole token that is a path: "/a/b", "C:\x\y", "~/x". Trailing punctuation is kept.
bool MaskPathToken(std::string_view tok, std::string& out) {
  size_t end = tok.size();
  while (end > 0 && IsTrailingPunct(tok[end - 1])) --end;
  std::string_view body = tok.substr(0, end);
  bool is_path = false;
  if (body.size() >= 2 && body[0] == '/' && body.find('/', 1) != std::string_view::npos) is_path = true;
  if (body.size() >= 4 && IsAlpha(body[0]) && body[1] == ':' && body[2] == '\\') is_path = true;
  if (body.size() >= 3 && body[0] == '~' && body[1] == '/') is_path = true;
  if (!is_path) return false;
  out += kWildcard;
  out += tok.substr(end);
  return true;
}

// "<*>,<*>,<*>" (a list of masked values) becomes one "<*>" so lists of any length share a template token.
void CollapseMaskedList(std::string& out, size_t token_start) {
  std::string_view tok(out.data() + token_start, out.size() - token_start);
  if (tok.size() <= kWildcard.size()) return;
  size_t i = 0;
  while (i < tok.size()) {
    if (tok.substr(i, kWildcard.size()) != kWildcard) return;
    i += kWildcard.size();
    if (i == tok.size()) break;
    if (tok[i] != ',' && tok[i] != ';') return;
    ++i;
  }
  out.resize(token_start);
  out += kWildcard;
}

void MaskToken(std::string_view tok, const MaskOptions& o, std::string& out) {
  size_t token_start = out.size();
  if (o.paths && MaskPathToken(tok, out)) return;
  if (o.key_values) {
    size_t eq = tok.find('=');
    if (eq != std::string_view::npos && eq > 0 && eq + 1 < tok.size()) {
      bool key_ok = true;
      for (size_t k = 0; k < eq; ++k) {
        char c = tok[k];
        if (!(IsAlnum(c) || c == '_' || c == '-' || c == '.')) key_ok = false;
      }
      if (key_ok) {
        out += tok.substr(0, eq + 1);
        out += kWildcard;
        return;
      }
    }
  }
  size_t i = 0;
  while (i < tok.size()) {
    bool left_ok = i == 0 || !IsAlnum(tok[i - 1]);
    size_t len = 0;
    if (left_ok) {
      if (o.uuid) len = MatchUuid(tok, i);
      if (len == 0 && o.host_ports && (i == 0 || tok[i - 1] == '/' || tok[i - 1] == '@')) len = MatchHostPort(tok, i);
      if (len == 0 && o.numbers) len = MatchTime(tok, i);
      if (len == 0 && o.ipv4 && !(i > 0 && tok[i - 1] == '.')) len = MatchIpv4(tok, i);
      if (len == 0 && o.ipv6) len = MatchIpv6(tok, i);
      if (len == 0 && o.hex) len = MatchHex(tok, i);
      if (len == 0 && o.numbers) len = MatchNumber(tok, i);
    }
    if (len > 0) {
      out += kWildcard;
      i += len;
    } else {
      out += tok[i];
      ++i;
    }
  }
  CollapseMaskedList(out, token_start);
}

std::vector<std::string_view> SplitTokens(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

bool HasDigit(std::string_view s) {
  for (char c : s) {
    if (IsDigit(c)) return true;
  }
  return false;
}

}  // namespace

std::string MaskVariables(std::string_view line, const MaskOptions& options) {
  std::string out;
  out.reserve(line.size());
  for (std::string_view tok : SplitTokens(line)) {
    if (!out.empty()) out += ' ';
    MaskToken(tok, options, out);
  }
  return out;
}

struct TemplateMiner::Impl {
  struct Group {
    std::vector<std::string> tokens;
    std::string text;
    uint64_t count = 0;
    size_t wildcards = 0;
  };
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>> children;
    std::vector<size_t> groups;  // indexes into groups_, leaf only
  };

  MinerOptions options;
  std::vector<std::regex> regexes;
  std::map<size_t, Node> by_length;
  std::vector<Group> groups;

  static std::string Join(const std::vector<std::string>& tokens) {
    std::string s;
    for (const auto& t : tokens) {
      if (!s.empty()) s += ' ';
      s += t;
    }
    return s;
  }

  // Positional similarity, after simSeq in the paper: the share of equal tokens. Positions where the line and
  // the template hold the same masked token ("<*>", "blk_<*>") are left out of both counts: masking already
  // said they are variables, so they are no evidence that two lines share an event. Without this, short
  // templates made mostly of masked values attract unrelated lines. A line with no other positions scores 1.
  double Similarity(const Group& group, const std::vector<std::string_view>& tokens) const {
    size_t same = 0, considered = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
      bool equal = group.tokens[i] == tokens[i];
      if (equal && tokens[i].find(kWildcard) != std::string_view::npos) continue;
      ++considered;
      if (equal) ++same;
    }
    return considered == 0 ? 1.0 : static_cast<double>(same) / static_cast<double>(considered);
  }

  Node& Leaf(const std::vector<std::string_view>& tokens) {
    Node* node = &by_length[tokens.size()];
    size_t prefix = std::min(options.depth - 2, tokens.size());
    for (size_t i = 0; i < prefix; ++i) {
      std::string key(tokens[i]);
      if (key.find(kWildcard) != std::string::npos && key != kWildcard) {
        // Tokens like "blk_<*>" are constants after masking: keep them as keys.
      } else if (HasDigit(key)) {
        key = std::string(kWildcard);
      }
      auto it = node->children.find(key);
      if (it == node->children.end()) {
        if (node->children.size() + 1 >= options.max_children && key != kWildcard) {
          key = std::string(kWildcard);
          it = node->children.find(key);
        }
      }
      if (it == node->children.end()) {
        it = node->children.emplace(key, std::make_unique<Node>()).first;
      }
      node = it->second.get();
    }
    return *node;
  }

  Match Add(std::string_view line) {
    std::string masked;
    std::string regexed;
    std::string_view input = line;
    if (!regexes.empty()) {
      regexed.assign(line);
      for (const auto& re : regexes) regexed = std::regex_replace(regexed, re, std::string(kWildcard));
      input = regexed;
    }
    if (options.mask) {
      masked = MaskVariables(input, options.mask_options);
      input = masked;
    }
    std::vector<std::string_view> tokens = SplitTokens(input);
    Node& leaf = Leaf(tokens);

    // Best group by positional similarity; ties go to the group with more wildcards (the more general one).
    size_t best = SIZE_MAX;
    double best_sim = -1;
    size_t best_wild = 0;
    for (size_t g : leaf.groups) {
      const Group& group = groups[g];
      double sim = Similarity(group, tokens);
      if (sim > best_sim || (sim == best_sim && group.wildcards > best_wild)) {
        best = g;
        best_sim = sim;
        best_wild = group.wildcards;
      }
    }
    if (best != SIZE_MAX && best_sim >= options.similarity_threshold) {
      Group& group = groups[best];
      bool changed = false;
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (group.tokens[i] != tokens[i] && group.tokens[i] != kWildcard) {
          group.tokens[i] = std::string(kWildcard);
          ++group.wildcards;
          changed = true;
        }
      }
      if (changed) group.text = Join(group.tokens);
      ++group.count;
      return Match{best + 1, false, group.text};
    }
    Group group;
    group.tokens.reserve(tokens.size());
    for (auto t : tokens) {
      group.tokens.emplace_back(t);
      if (t == kWildcard) ++group.wildcards;
    }
    group.text = Join(group.tokens);
    group.count = 1;
    groups.push_back(std::move(group));
    leaf.groups.push_back(groups.size() - 1);
    return Match{groups.size(), true, groups.back().text};
  }
};

TemplateMiner::TemplateMiner(MinerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (const auto& r : impl_->options.extra_regexes) impl_->regexes.emplace_back(r, std::regex::ECMAScript);
}
TemplateMiner::~TemplateMiner() = default;
TemplateMiner::TemplateMiner(TemplateMiner&&) noexcept = default;
TemplateMiner& TemplateMiner::operator=(TemplateMiner&&) noexcept = default;

Result<TemplateMiner> TemplateMiner::Create(MinerOptions options) {
  if (options.depth < 3) return Status::InvalidArgument("template miner", "depth must be >= 3");
  if (!(options.similarity_threshold > 0 && options.similarity_threshold <= 1)) {
    return Status::InvalidArgument("template miner", "similarity_threshold must be in (0, 1]");
  }
  if (options.max_children < 1) return Status::InvalidArgument("template miner", "max_children must be >= 1");
  for (const auto& r : options.extra_regexes) {
    try {
      std::regex re(r, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("template miner", "bad regex", r, e.what());
    }
  }
  return TemplateMiner(std::move(options));
}

TemplateMiner::Match TemplateMiner::Add(std::string_view line) { return impl_->Add(line); }

std::vector<Template> TemplateMiner::templates() const {
  std::vector<Template> out;
  out.reserve(impl_->groups.size());
  for (size_t i = 0; i < impl_->groups.size(); ++i) {
    out.push_back(Template{i + 1, impl_->groups[i].text, impl_->groups[i].count});
  }
  return out;
}

size_t TemplateMiner::size() const { return impl_->groups.size(); }
const MinerOptions& TemplateMiner::options() const { return impl_->options; }

}  // namespace foresight::logs

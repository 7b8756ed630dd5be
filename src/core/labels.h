#pragma once
// Labels identify a series: a sorted set of name=value pairs; the metric name is the label "__name__",
// as in Prometheus, so one matcher language selects by name and by label alike.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace foresight {

inline constexpr std::string_view kMetricNameLabel = "__name__";
inline constexpr size_t kMaxLabels = 64;

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

// Labels keeps its pairs sorted by name, unique names, no empty values (an empty value means "absent").
class Labels {
 public:
  Labels() = default;
  // Sorts; later duplicates replace earlier ones; empty values are dropped.
  Labels(std::initializer_list<Label> labels);
  explicit Labels(std::vector<Label> labels);

  // Sets (or, with an empty value, removes) one label, keeping the order.
  void Set(std::string_view name, std::string_view value);
  // Returns the value or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const { return !Get(name).empty(); }
  std::string_view metric() const { return Get(kMetricNameLabel); }

  const std::vector<Label>& pairs() const { return pairs_; }
  size_t size() const { return pairs_.size(); }
  bool empty() const { return pairs_.empty(); }
  auto begin() const { return pairs_.begin(); }
  auto end() const { return pairs_.end(); }

  // Canonical text: cpu_seconds{host="a",mode="idle"} (values escaped as in PromQL).
  std::string ToString() const;
  // Parses the canonical text (also a bare metric name). Errors: InvalidArgument naming the position.
  static Result<Labels> Parse(std::string_view text);
  // Stable 64-bit hash of the canonical form (FNV-1a over names and values).
  uint64_t Hash() const;

  // Validates names ([a-zA-Z_][a-zA-Z0-9_]*, or __name__ value [a-zA-Z_:][a-zA-Z0-9_:]*) and count.
  Status Validate() const;

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  std::vector<Label> pairs_;
};

// A 64-bit hash of a label set, eight bytes at a time (several times faster than Labels::Hash(), which
// goes byte by byte): the key of in-memory caches and budgets of series, never stored. Equal label sets
// hash equal; unequal ones may collide, so users compare the labels (or accept the error).
uint64_t SeriesHash(const Labels& labels);
// The same fast hash over raw bytes, chained through `seed` (hash a key in parts by passing one part's
// hash as the next part's seed).
uint64_t HashBytes(std::string_view bytes, uint64_t seed = 0);

// A label set as one string of length-prefixed names and values: a compact copy for caches, where a hit
// compares against one contiguous block (FlatLabelsEqual) instead of chasing a vector of strings.
void FlattenLabels(const Labels& labels, std::string* out);
bool FlatLabelsEqual(std::string_view flat, const Labels& labels);

}  // namespace foresight

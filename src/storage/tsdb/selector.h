#pragma once
// Compiled label matchers for SampleStore::Select. ParseSelector itself is declared in
// storage/sample_store.h and defined in selector.cc.
// Thread-safety: RegexCache is thread-safe; a CompiledMatchers is immutable after Compile().

#include <memory>
#include <mutex>
#include <regex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/labels.h"
#include "core/status.h"
#include "storage/sample_store.h"

namespace foresight::storage::tsdb {

// Caches compiled regexes by pattern text (std::regex construction costs far more than a match).
// Bounded: when `capacity` patterns are cached the cache is cleared (selectors repeat; churn is rare).
class RegexCache {
 public:
  explicit RegexCache(size_t capacity = 1024) : capacity_(capacity) {}
  // Errors: InvalidArgument naming the pattern and the regex error.
  Result<std::shared_ptr<const std::regex>> Get(const std::string& pattern);

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const std::regex>> cache_;
};

class CompiledMatchers {
 public:
  // Errors: InvalidArgument (bad regex, empty label name).
  static Result<CompiledMatchers> Compile(std::span<const LabelMatcher> matchers, RegexCache& cache);
  // A missing label matches as the empty string, as in Prometheus.
  bool Matches(const Labels& labels) const;
  // The metric name if some matcher is __name__="x", else "".
  const std::string& metric_equal() const { return metric_equal_; }
  // The (name, value) pairs of the equality matchers with a non-empty value: every matching series has
  // all of them, so Select can start from the smallest postings list.
  const std::vector<std::pair<std::string, std::string>>& equalities() const { return equalities_; }

 private:
  struct M {
    LabelMatcher m;
    std::shared_ptr<const std::regex> re;
  };
  std::vector<M> ms_;
  std::string metric_equal_;
  std::vector<std::pair<std::string, std::string>> equalities_;
};

}  // namespace foresight::storage::tsdb

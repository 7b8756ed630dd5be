#pragma once
// TemplateMiner: online log-template mining in the style of Drain (He et al., "Drain: An Online Log Parsing
// Approach with Fixed Depth Tree", ICWS 2017). Each line is masked (variables -> "<*>"), split on whitespace,
// routed down a fixed-depth tree (token count, then the first tokens), and matched against the log groups in
// the leaf by positional token similarity. See src/logs/README.md and docs/LOGS.md.
//
// Thread-compatible: a TemplateMiner is not internally synchronised. Concurrent const calls are safe;
// Add() needs exclusive access (wrap the miner in a mutex or give each thread its own miner).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace foresight::logs {

inline constexpr std::string_view kWildcard = "<*>";

// Which built-in variable kinds MaskVariables() replaces with "<*>".
struct MaskOptions {
  bool ipv4 = true;       // 10.0.0.1, 10.0.0.1:8080, /10.0.0.1:8080
  bool ipv6 = true;       // fe80::1, [::1]:443 (hex groups with at least two colons)
  bool host_ports = true; // proxy.example.com:5070 (a dotted name with a port; bare names stay)
  bool uuid = true;       // 8-4-4-4-12 hex
  bool hex = true;        // 0x1f, and hex ids of >= 8 chars that mix digits and letters a-f
  bool numbers = true;    // digit runs (sign, decimals) not glued to letters: "3", "-1.5", "blk_123"; times 20:30:31.455
  bool paths = true;      // tokens starting with '/' (or "X:\") holding another separator
  bool key_values = true; // "key=value" -> "key=<*>" for a non-empty value
};

struct MinerOptions {
  size_t depth = 4;                  // Tree depth counting the root and leaf layers; >= 3. Uses depth-2 prefix tokens.
  double similarity_threshold = 0.5; // A line joins the best group in its leaf if similarity >= this.
  size_t max_children = 100;         // Per inner node; further distinct tokens share the "<*>" child.
  bool mask = true;                  // Apply MaskOptions before the tree search.
  MaskOptions mask_options;
  // Extra ECMAScript regexes applied before the built-in masks; every match becomes "<*>" (per-dataset rules).
  std::vector<std::string> extra_regexes;
};

// One mined template. Ids start at 1 and never change; a merge generalises the text but keeps the id.
struct Template {
  uint64_t id = 0;
  std::string text;   // tokens joined by single spaces, variables as "<*>"
  uint64_t count = 0; // lines matched so far
};

// What Add() reports for one line.
struct Match {
  uint64_t template_id = 0;
  bool is_new = false;             // true when this line created the template
  std::string_view template_text;  // the template after this line; valid until the next Add() on the miner
};

class TemplateMiner {
 public:
  using Match = ::foresight::logs::Match;

  // REQUIRES: options.depth >= 3, 0 < options.similarity_threshold <= 1, options.max_children >= 1.
  explicit TemplateMiner(MinerOptions options = {});
  ~TemplateMiner();
  TemplateMiner(TemplateMiner&&) noexcept;
  TemplateMiner& operator=(TemplateMiner&&) noexcept;

  // Builds a miner, checking the options and compiling extra_regexes.
  // Errors: InvalidArgument for out-of-range options or a regex that does not compile.
  static Result<TemplateMiner> Create(MinerOptions options);

  // Assigns `line` to a template, creating or generalising one. O(depth + size of the leaf's group list).
  Match Add(std::string_view line);

  // Snapshot of all templates, ordered by id.
  std::vector<Template> templates() const;
  size_t size() const;
  const MinerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Replaces variables in `line` with "<*>" according to `options` (exposed for tests and tools).
std::string MaskVariables(std::string_view line, const MaskOptions& options = {});

}  // namespace foresight::logs

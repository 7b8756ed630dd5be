#pragma once
// Recommended actions: a catalogue in YAML (config/actions.yaml holds the built-in defaults, compiled
// in; users add their own file, tried first). Each prediction gets the steps of the first entry whose
// `match` substring occurs in its resource (and whose `kinds`, if given, include its kind).
// Immutable after construction; thread-safe to share.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace foresight::app {

struct ActionEntry {
  std::string name;
  std::vector<std::string> match;   // substrings of the resource; "" matches everything
  std::vector<std::string> kinds;   // empty: any kind
  std::vector<std::string> steps;
};

class ActionCatalog {
 public:
  // The built-in catalogue (config/actions.yaml as compiled in).
  static const ActionCatalog& Default();
  // Parses a catalogue. Errors: InvalidArgument "<source>:<line>:<col>: <reason>".
  static Result<ActionCatalog> Parse(std::string_view yaml, std::string_view source);
  // Reads a user file and puts its entries before the built-in ones. Errors: NotFound, InvalidArgument.
  static Result<ActionCatalog> LoadWithDefaults(const std::string& path);

  // Steps for a prediction's resource (e.g. "memory_used_percent") and kind ("forecast"/"anomaly").
  std::vector<std::string> For(std::string_view resource, std::string_view kind = "") const;
  const std::vector<ActionEntry>& entries() const { return entries_; }

 private:
  std::vector<ActionEntry> entries_;
};

// ActionCatalog::Default().For(metric): kept for callers that have no catalogue at hand.
std::vector<std::string> ActionsFor(std::string_view metric);

}  // namespace foresight::app

#pragma once
// Built-in recommended actions per resource, matched on the metric name of a prediction's top
// contributor. A YAML catalogue that users can extend replaces this in the forecasting issue.

#include <string>
#include <string_view>
#include <vector>

namespace foresight::app {

// Returns concrete steps for the metric (e.g. "memory_used_percent"), or generic triage steps.
std::vector<std::string> ActionsFor(std::string_view metric);

}  // namespace foresight::app

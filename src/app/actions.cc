#include "app/actions.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "app/actions_yaml.h"  // generated from config/actions.yaml: kBuiltinActionsYaml

namespace foresight::app {
namespace {

std::string Where(std::string_view source, const YAML::Mark& m) {
  if (m.is_null()) return std::string(source);
  return std::string(source) + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

Result<std::vector<std::string>> Strings(const YAML::Node& n, std::string_view source, const char* key) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) return Status::InvalidArgument(Where(source, n.Mark()), std::string(key) + " must be a list of strings");
  for (const auto& item : n) {
    if (!item.IsScalar()) return Status::InvalidArgument(Where(source, item.Mark()), std::string(key) + " items must be strings");
    out.push_back(item.Scalar());
  }
  return out;
}

}  // namespace

Result<ActionCatalog> ActionCatalog::Parse(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Where(source, e.mark), e.msg);
  }
  if (!root.IsMap() || !root["actions"]) {
    return Status::InvalidArgument(std::string(source), "expected a mapping with an \"actions\" list");
  }
  const YAML::Node list = root["actions"];
  if (!list.IsSequence()) return Status::InvalidArgument(Where(source, list.Mark()), "actions must be a list");
  ActionCatalog c;
  for (const auto& item : list) {
    if (!item.IsMap()) return Status::InvalidArgument(Where(source, item.Mark()), "each action entry must be a mapping");
    ActionEntry e;
    for (const auto& kv : item) {
      const std::string key = kv.first.Scalar();
      if (key == "name") {
        e.name = kv.second.Scalar();
      } else if (key == "match") {
        FS_ASSIGN_OR_RETURN(e.match, Strings(kv.second, source, "match"));
      } else if (key == "kinds") {
        FS_ASSIGN_OR_RETURN(e.kinds, Strings(kv.second, source, "kinds"));
        for (const auto& k : e.kinds) {
          if (k != "forecast" && k != "anomaly") {
            return Status::InvalidArgument(Where(source, kv.second.Mark()), "kinds: \"" + k + "\" is not forecast or anomaly");
          }
        }
      } else if (key == "steps") {
        FS_ASSIGN_OR_RETURN(e.steps, Strings(kv.second, source, "steps"));
      } else {
        return Status::InvalidArgument(Where(source, kv.first.Mark()),
                                       "unknown key \"" + key + "\" in an action entry (known: name, match, kinds, steps)");
      }
    }
    if (e.match.empty()) return Status::InvalidArgument(Where(source, item.Mark()), "action entry needs a match list");
    if (e.steps.empty()) return Status::InvalidArgument(Where(source, item.Mark()), "action entry needs at least one step");
    c.entries_.push_back(std::move(e));
  }
  return c;
}

const ActionCatalog& ActionCatalog::Default() {
  static const ActionCatalog c = [] {
    auto parsed = Parse(kBuiltinActionsYaml, "config/actions.yaml");
    return parsed.ok() ? std::move(*parsed) : ActionCatalog{};  // a test pins that it parses
  }();
  return c;
}

Result<ActionCatalog> ActionCatalog::LoadWithDefaults(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("actions file", path);
  std::stringstream text;
  text << in.rdbuf();
  FS_ASSIGN_OR_RETURN(ActionCatalog c, Parse(text.str(), path));
  for (const auto& e : Default().entries_) c.entries_.push_back(e);
  return c;
}

std::vector<std::string> ActionCatalog::For(std::string_view resource, std::string_view kind) const {
  for (const auto& e : entries_) {
    if (!e.kinds.empty() && std::find(e.kinds.begin(), e.kinds.end(), kind) == e.kinds.end()) continue;
    for (const auto& m : e.match) {
      if (resource.find(m) != std::string_view::npos) return e.steps;
    }
  }
  return {};
}

std::vector<std::string> ActionsFor(std::string_view metric) { return ActionCatalog::Default().For(metric); }

}  // namespace foresight::app

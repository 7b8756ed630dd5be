#pragma once
// JSON over the real HTTP API for end-to-end tests: GET a target and parse the body (a discarded value
// when the body is not JSON), optionally reporting the status.

#include <nlohmann/json.hpp>

#include <string>

#include "http_client.h"

namespace foresight::testing {

inline nlohmann::json GetJson(uint16_t port, const std::string& target, int* status = nullptr) {
  auto r = HttpCall(port, "GET", target);
  if (status) *status = r.status;
  return nlohmann::json::parse(r.body, nullptr, false);
}

}  // namespace foresight::testing

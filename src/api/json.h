#pragma once
// JSON renderings of the records, used by every endpoint so one record looks the same everywhere.
// Times are RFC 3339 strings plus *_ms integers; non-finite numbers become null (never NaN in JSON).

#include <nlohmann/json.hpp>

#include "core/labels.h"
#include "core/records.h"

namespace foresight::api {

nlohmann::json ToJson(const Prediction& p);
nlohmann::json ToJson(const Alert& a);
nlohmann::json ToJson(const Feedback& f);
nlohmann::json ToJson(const ModelVersion& m);
nlohmann::json ToJson(const Labels& labels);
// A finite number, or null.
nlohmann::json Number(double v);

}  // namespace foresight::api

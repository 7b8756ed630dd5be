// Prophet-style additive model: filled in behind the API.
#include "forecast/internal/common.h"

namespace foresight::forecast::internal {

Result<std::unique_ptr<Model>> FitProphet(const Series& s, const ForecastOptions& o) {
  return Status::FailedPrecondition("prophet is not available yet");
}

}  // namespace foresight::forecast::internal

// Holt-Winters: filled in behind the API.
#include "forecast/internal/common.h"

namespace foresight::forecast::internal {

Result<std::unique_ptr<Model>> FitHoltWinters(const Series& s, const ForecastOptions& o, bool damped) {
  return Status::FailedPrecondition("holt_winters is not available yet");
}

}  // namespace foresight::forecast::internal

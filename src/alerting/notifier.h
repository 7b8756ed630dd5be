#pragma once
// Notifier: one delivery channel for alerts (console, webhook, Slack...). AlertManager calls Notify() from
// its single delivery thread, never from the thread that offered the prediction.
// Thread-safety: Notify() is called from one thread at a time; implementations need no locking of their
// own unless they are shared between managers. Notify() should bound its own waiting (timeouts on I/O):
// a notifier that blocks stalls later deliveries and AlertManager::Stop()'s drain.

#include <string_view>

#include "core/records.h"
#include "core/status.h"

namespace foresight::alerting {

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Stable channel name recorded in Alert::channels, e.g. "console".
  virtual std::string_view name() const = 0;
  // Delivers one alert; `prediction` is the one that fired it. Errors are counted, never retried.
  virtual Status Notify(const Alert& alert, const Prediction& prediction) = 0;
};

}  // namespace foresight::alerting

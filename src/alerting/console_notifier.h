#pragma once
// ConsoleNotifier: writes ONE structured line per alert to stdout (or an injected FILE* / std::ostream),
// as logfmt (default) or a JSON object per line:
//   ts=2026-11-24T07:40:00.000Z level=warning alert=al-1f2e entity=web-3 kind=anomaly resource=...
//   score=0.82 state=firing msg="..." top="memory_used_percent.slope_15m=+0.31,cpu.mean_5m=+0.12"
// logfmt values are quoted when they hold a space, '=', '"', a control character or are empty; inside
// quotes \ " and control characters are escaped (\n \t \r \uXXXX), so one alert is always one line.
// Thread-safety: Notify() and Render() may be called concurrently; each line is written whole.

#include <cstdio>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "alerting/notifier.h"
#include "core/status.h"

namespace foresight::alerting {

enum class ConsoleFormat { kLogfmt, kJson };
// "logfmt" | "json". Errors: InvalidArgument.
Result<ConsoleFormat> ParseConsoleFormat(std::string_view text);

class ConsoleNotifier final : public Notifier {
 public:
  // Borrows `out` (default stdout) for the notifier's lifetime; flushes after each line.
  explicit ConsoleNotifier(ConsoleFormat format = ConsoleFormat::kLogfmt, std::FILE* out = stdout);
  // Borrows `out` for the notifier's lifetime (tests use a std::ostringstream).
  ConsoleNotifier(ConsoleFormat format, std::ostream& out);

  std::string_view name() const override { return "console"; }
  // Errors: Unavailable when the write fails (closed stdout, full disk).
  Status Notify(const Alert& alert, const Prediction& prediction) override;

  // The line for one alert, without the trailing newline.
  std::string Render(const Alert& alert, const Prediction& prediction) const;

 private:
  const ConsoleFormat format_;
  std::FILE* file_ = nullptr;
  std::ostream* stream_ = nullptr;
  std::mutex mu_;  // one line at a time
};

// logfmt value: bare when safe, else quoted and escaped. Exposed for tests and other logfmt writers.
std::string LogfmtValue(std::string_view v);

}  // namespace foresight::alerting

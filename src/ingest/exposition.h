#pragma once
// Parsing of the Prometheus text exposition format 0.0.4 and the OpenMetrics 1.0 text format into
// LabeledSamples: what /metrics endpoints (node_exporter, client libraries) serve and ScrapeCollector reads.
// Format notes and the exact mapping: src/ingest/README.md, section "Prometheus scraping".
// Thread-safe: ParseExposition is a pure function.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/status.h"
#include "core/types.h"

namespace foresight::ingest {

enum class ExpositionFormat {
  // text/plain; version=0.0.4. Timestamps are integer milliseconds; "# EOF" is an ordinary comment.
  kPrometheusText,
  // application/openmetrics-text. Timestamps are (fractional) seconds; the body must end with "# EOF";
  // histogram "le" and summary "quantile" labels must be present and numeric.
  kOpenMetrics,
};

// The format a Content-Type header announces: kOpenMetrics for application/openmetrics-text, otherwise
// (text/plain, missing, unknown) kPrometheusText, as Prometheus falls back.
ExpositionFormat ExpositionFormatFromContentType(std::string_view content_type);

// The first malformed line of a body: 1-based line number and the reason.
struct ExpositionError {
  size_t line = 0;
  std::string message;
};

// Parses `body` and appends one LabeledSample per sample line to *out; returns how many were appended.
//  - The metric name becomes "__name__"; label values are unescaped (\\ \" \n).
//  - Each sample is stamped with its own timestamp if the line has one (0.0.4: ms, OpenMetrics: s),
//    else with `scrape_ts`.
//  - `extra_labels` (job, instance, target labels) are added to every sample with Prometheus'
//    honor_labels=false semantics: a scraped label of the same name is kept as "exported_<name>"
//    ("exported_exported_<name>" if that is taken too) and the extra label wins.
//  - HELP, TYPE and UNIT lines are checked (name, known type) but produce no samples; other comments
//    and blank lines are skipped; exemplars (" # {...} v [ts]" after the value) are ignored.
//  - OpenMetrics "<name>_created" samples of counter/histogram/summary families are metadata (the
//    creation time) and are dropped, as Prometheus does by default.
// All or nothing, like a Prometheus scrape: on the first malformed line nothing is appended (*out keeps
// its size) and InvalidArgument("exposition line N", reason) is returned; *error, if given, gets N and
// the reason. Malformed means: bad metric or label name, duplicate label, "__name__" inside braces,
// unterminated or non-UTF-8 label value, unparsable value or timestamp, timestamp out of the int64-ns
// range, TYPE with an unknown type, HELP/TYPE/UNIT without a valid name, more than kMaxLabels labels;
// OpenMetrics only: missing "# EOF", data after it, bucket without a numeric "le", quantile sample
// without a numeric "quantile".
// REQUIRES: out != nullptr; extra_labels has no "__name__".
Result<size_t> ParseExposition(std::string_view body, TimestampNs scrape_ts, const Labels& extra_labels,
                               std::vector<LabeledSample>* out,
                               ExpositionFormat format = ExpositionFormat::kPrometheusText,
                               ExpositionError* error = nullptr);

}  // namespace foresight::ingest

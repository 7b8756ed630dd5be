"""Exports metrics (gauge, counter, histogram; a delta counter and a delta exponential histogram) and logs to
Foresight with the real OpenTelemetry Python SDK and its OTLP/HTTP (protobuf) exporters. Used by
tests/e2e/ingest_e2e_test.cc.

usage: otlp_export.py <port>    exit 0 when every export was acknowledged by the server
"""
import logging
import sys

from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import Observation
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource


class CheckedMetricExporter(OTLPMetricExporter):
    """Remembers whether any export failed (the SDK only logs it)."""
    failed = 0
    exported = 0

    def export(self, metrics_data, timeout_millis=10_000, **kwargs):
        result = super().export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        if result == MetricExportResult.SUCCESS:
            CheckedMetricExporter.exported += 1
        else:
            CheckedMetricExporter.failed += 1
        return result


def main() -> int:
    base = f"http://127.0.0.1:{int(sys.argv[1])}"
    resource = Resource.create({"service.name": "checkout", "host.name": "otel-host-1", "deployment.environment": "e2e"})

    exporter = CheckedMetricExporter(endpoint=f"{base}/v1/metrics")
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    meter = provider.get_meter("foresight-e2e")
    counter = meter.create_counter("orders.placed", unit="1", description="orders")
    histogram = meter.create_histogram("request.duration", unit="s", description="latency")
    meter.create_observable_gauge("queue.depth", callbacks=[lambda _: [Observation(7, {"queue": "orders"})]])
    for i in range(10):
        counter.add(1, {"region": "eu"})
        histogram.record(0.05 * (i + 1), {"route": "/pay"})
    flushed = provider.force_flush()
    provider.shutdown()

    # Delta temporality, two exports: Foresight stores the running totals (jobs_processed_total 3, then 7;
    # payment_amount_count 3, then 5), the exponential histogram as cumulative `le` buckets.
    delta_exporter = CheckedMetricExporter(
        endpoint=f"{base}/v1/metrics",
        preferred_temporality={Counter: AggregationTemporality.DELTA, Histogram: AggregationTemporality.DELTA})
    delta_reader = PeriodicExportingMetricReader(delta_exporter, export_interval_millis=3_600_000)
    delta_provider = MeterProvider(
        resource=resource, metric_readers=[delta_reader],
        views=[View(instrument_name="payment.amount", aggregation=ExponentialBucketHistogramAggregation())])
    delta_meter = delta_provider.get_meter("foresight-e2e-delta")
    jobs = delta_meter.create_counter("jobs.processed")
    amount = delta_meter.create_histogram("payment.amount")
    jobs.add(3, {"queue": "q1"})
    for v in (0, 1.5, 3):
        amount.record(v)
    flushed = delta_provider.force_flush() and flushed
    jobs.add(4, {"queue": "q1"})
    for v in (3, 100):
        amount.record(v)
    flushed = delta_provider.force_flush() and flushed
    delta_provider.shutdown()

    log_exporter = OTLPLogExporter(endpoint=f"{base}/v1/logs")
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    log = logging.getLogger("checkout")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))
    for i in range(5):
        log.info("order %d paid in %d ms", 1000 + i, 20 + i)
    log.error("payment gateway timeout after 3000 ms")
    logs_flushed = logger_provider.force_flush()
    logger_provider.shutdown()

    print(f"metrics exported={CheckedMetricExporter.exported} failed={CheckedMetricExporter.failed} "
          f"flushed={flushed} logs_flushed={logs_flushed}")
    return 0 if flushed and logs_flushed and CheckedMetricExporter.exported >= 1 and CheckedMetricExporter.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

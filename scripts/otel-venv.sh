#!/usr/bin/env bash
# Creates (once) a Python venv with the OpenTelemetry SDK and its OTLP/HTTP exporter, for the OTLP e2e
# test (tests/e2e/otlp_e2e_test.cc) and nothing else: pip is only for test peers. Prints the venv's
# python on stdout. Usage: scripts/otel-venv.sh <venv-dir>
set -euo pipefail
venv=${1:?usage: scripts/otel-venv.sh <venv-dir>}
py=/usr/bin/python3
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import opentelemetry.exporter.otlp.proto.http, opentelemetry.sdk' 2>/dev/null; then
  if ! "$py" -m venv --help >/dev/null 2>&1 || ! "$py" -c 'import ensurepip' 2>/dev/null; then
    echo "otel-venv.sh: python3-venv missing (scripts/install-deps.sh installs it)" >&2
    exit 2
  fi
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet opentelemetry-sdk opentelemetry-exporter-otlp-proto-http >&2
fi
echo "$venv/bin/python"

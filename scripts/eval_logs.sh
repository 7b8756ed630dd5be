#!/usr/bin/env bash
# LogHub 2k grouping accuracy of the log-template miner (src/logs), one configuration for all 16 systems.
# Unpacks the data into the build tree (never committed), builds logs_eval, prints the Markdown table that
# docs/LOGS.md records. Extra arguments go to logs_eval (e.g. --per-dataset, --threshold 0.7, --dump Linux).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-logs}
data=${DATA_ARCHIVE:-/work/shared/data/loghub2k.tar.xz}
mkdir -p "$build/data"
[ -d "$build/data/loghub2k/original" ] || tar -xJf "$data" -C "$build/data"
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
nice cmake --build "$build" --target logs_eval >&2
"$build/src/logs/logs_eval" --data "$build/data/loghub2k" "$@"

#!/usr/bin/env bash
# make bench: every Google Benchmark binary in the bench build, then the side-by-side peer scripts
# (scikit-learn's IsolationForest on the same data). Results (JSON and text) go to bench-out/;
# docs/BENCHMARKS.md records them with these commands.
set -euo pipefail
build=${1:-build-bench}
out=bench-out
mkdir -p "$out" "$build/data"
mapfile -t benches < <(find "$build/src" -type f -name '*_bench' -perm -u+x | sort)
i=0
for b in "${benches[@]}"; do
  i=$((i + 1))
  name=$(basename "$b")
  echo "[$i/${#benches[@]}] $name" >&2
  "$b" --benchmark_out="$out/$name.json" --benchmark_out_format=json | tee "$out/$name.txt"
done

# Peers, side by side in one run. NAB is unpacked into the build tree, never committed.
[ -d "$build/data/nab" ] || tar -xJf ../shared/data/nab.tar.xz -C "$build/data"
cli="$build/src/models/iforest_cli"
echo "[peer] Isolation Forest vs scikit-learn: training speed" >&2
/usr/bin/python3 bench/iforest_vs_sklearn.py --cli "$cli" --out "$out" | tee "$out/iforest_vs_sklearn.txt"
echo "[peer] Isolation Forest vs scikit-learn: ROC-AUC on NAB realKnownCause" >&2
/usr/bin/python3 bench/iforest_accuracy.py --cli "$cli" --nab "$build/data/nab" --out "$out" | tee "$out/iforest_accuracy_nab.txt"
echo "[peer] Isolation Forest vs scikit-learn: ROC-AUC on the fleet simulator's scenarios" >&2
/usr/bin/python3 bench/iforest_accuracy.py --sim --cli "$cli" --sim-tool "$build/src/models/iforest_sim_rows" --out "$out" \
  | tee "$out/iforest_accuracy_sim.txt"
echo "[peer] forecasting vs Prophet on NAB's real series: MASE on held-out tails, fit time (venv under $build)" >&2
/usr/bin/python3 bench/forecast_vs_prophet.py --build "$build" --out "$out" | tee "$out/forecast_vs_prophet.txt"
echo "[store] bytes per sample on the simulator's mix, as serve writes it" >&2
bench/store_bytes_per_sample.sh "$build/src/app/foresight" 50 | tee "$out/store_bytes_per_sample.txt"
echo "[peer] HTTP ingest vs InfluxDB 1.6: line protocol, batches of 5000, 4 writers, side by side" >&2
/usr/bin/python3 bench/ingest_vs_influxdb.py --foresight "$build/src/app/foresight" --out "$out/ingest_vs_influxdb.json" \
  | tee "$out/ingest_vs_influxdb.txt"
echo "results in $out/" >&2

#!/usr/bin/env bash
# make bench: every Google Benchmark binary in the bench build, then the side-by-side peer scripts.
# Results (JSON and text) go to bench-out/; docs/BENCHMARKS.md records them with these commands.
set -euo pipefail
build=${1:-build-bench}
out=bench-out
mkdir -p "$out"
mapfile -t benches < <(find "$build" -type f -name '*_bench' -perm -u+x | sort)
i=0
for b in "${benches[@]}"; do
  i=$((i + 1))
  name=$(basename "$b")
  echo "[$i/${#benches[@]}] $name" >&2
  "$b" --benchmark_out="$out/$name.json" --benchmark_out_format=json | tee "$out/$name.txt"
done
for script in bench/*.py; do
  [ -f "$script" ] || continue
  echo "[peer] $script" >&2
  /usr/bin/python3 "$script" --build "$build" --out "$out" | tee "$out/$(basename "$script" .py).txt"
done
echo "results in $out/" >&2

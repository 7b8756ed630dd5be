#!/usr/bin/env bash
# Bytes per sample of the embedded store on the simulator's metric mix, as `foresight serve` writes it:
# backfills a day of a simulated fleet, waits until the backfill's chunks are persisted, and divides the
# chunk bytes on disk by the samples in them (both from /metrics).
#   bench/store_bytes_per_sample.sh [binary] [hosts]
set -euo pipefail
bin=${1:-build/src/app/foresight}
hosts=${2:-50}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --simulate "$hosts" --no-host --data-dir "$dir" --port "$port" > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
metric() { curl -s "localhost:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
for _ in $(seq 1 300); do
  curl -s "localhost:$port/api/v1/status" 2>/dev/null | grep -q '"ready":true' && break
  sleep 1
done
echo "ready; waiting for chunks to be persisted..." >&2
prev=-1
for _ in $(seq 1 120); do
  n=$(metric foresight_store_samples_in_chunks)
  [ "$n" = "$prev" ] && break
  prev=$n
  sleep 5
done
bytes=$(metric foresight_store_bytes_on_disk)
samples=$(metric foresight_store_samples_in_chunks)
python3 -c "print(f'simulator mix, $hosts entities x 1 day at 1 s: {float($bytes)/float($samples):.2f} bytes/sample ({float($samples)/1e6:.1f} M samples in chunks, {float($bytes)/2**20:.1f} MiB)')"

#!/usr/bin/env python3
"""End-to-end detection on the fleet simulator: the real `foresight serve` binary, every failure kind
injected on its own entity, alerts read back over the HTTP API.

Reports per scenario: time from onset to the first alert for that entity, whether the alert named the
scenario's metric, and alerts on entities without any scenario (false alarms per entity-hour).
Only the standard library; progress goes to stderr, the Markdown table to stdout.

  python3 eval/pipeline_scenarios.py --binary build/src/app/foresight --minutes 8
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

KINDS = [
    # kind, entity, duration: sudden failures get a short one, leaks their realistic ramp
    ("cpu_runaway", "api-1", "30m"),
    ("error_burst", "web-1", "20m"),
    ("latency_degradation", "api-2", "30m"),
    ("memory_leak", "worker-1", "1h"),
    ("disk_fill", "db-1", "1h"),
    ("connection_pool_leak", "api-3", "45m"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/src/app/foresight")
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--minutes", type=float, default=8, help="how long to watch after injecting")
    args = ap.parse_args()

    port = free_port()
    data = tempfile.mkdtemp(prefix="foresight-eval-")
    log = open(os.path.join(data, "serve.log"), "w")
    cmd = [args.binary, "serve", "--simulate", str(args.hosts), "--seed", str(args.seed), "--port", str(port),
           "--data-dir", os.path.join(data, "d"), "--no-host", "--scenarios-per-hour", "0"]
    print("starting:", " ".join(cmd), file=sys.stderr)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        t0 = time.time()
        while True:
            try:
                st = call(port, "GET", "/api/v1/status")["data"]
                if st.get("ready") and st.get("models", 0) >= args.hosts:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() - t0 > 300:
                sys.exit("server did not become ready; see " + log.name)
            time.sleep(1)
        print(f"ready with {args.hosts} trained models after {time.time() - t0:.0f} s", file=sys.stderr)

        injected = {}
        for kind, entity, duration in KINDS:
            r = call(port, "POST", "/api/v1/simulator/scenarios", {"entity": entity, "kind": kind, "duration": duration})
            injected[entity] = (kind, r["data"])
        onset = time.time()
        first_alert = {}
        metric_of = {k: None for k in injected}
        deadline = onset + args.minutes * 60
        while time.time() < deadline:
            alerts = call(port, "GET", "/api/v1/alerts?limit=1000")["data"]
            for a in alerts:
                e = a["entity"]
                if e not in first_alert:
                    first_alert[e] = a["created_at_ms"] / 1000.0
                    pred = call(port, "GET", "/api/v1/predictions/" + a["prediction_id"])["data"]
                    metric_of[e] = pred["resource"]
            elapsed = time.time() - onset
            print(f"\r{elapsed:5.0f}/{args.minutes * 60:.0f} s  alerted: {sorted(first_alert)}", end="", file=sys.stderr)
            time.sleep(5)
        print(file=sys.stderr)
        scenarios = {s["entity"]: s for s in call(port, "GET", "/api/v1/simulator/scenarios")["data"]}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()

    metric_for_kind = {"cpu_runaway": "cpu_usage_percent", "error_burst": "error_rate",
                       "latency_degradation": "response_time_ms", "memory_leak": "memory_used_percent",
                       "disk_fill": "disk_used_percent", "connection_pool_leak": "db_connections"}
    print(f"Fleet of {args.hosts} simulated entities, seed {args.seed}, watched {args.minutes:g} min after injection.\n")
    print("| scenario | entity | time to first alert | alert names the scenario's metric | failure_at (ground truth) |")
    print("| --- | --- | --- | --- | --- |")
    for kind, entity, _ in KINDS:
        s = scenarios.get(entity, {})
        start = s.get("start_ns", 0) / 1e9
        if entity in first_alert:
            delay = f"{first_alert[entity] - start:.0f} s"
            named = "yes" if metric_of[entity] == metric_for_kind[kind] else f"no ({metric_of[entity]})"
        else:
            delay, named = "none", "-"
        fail_in = (s.get("failure_at_ns", 0) / 1e9 - start) / 60
        print(f"| {kind} | {entity} | {delay} | {named} | onset + {fail_in:.0f} min |")
    healthy = [e for e in first_alert if e not in injected]
    n_healthy = args.hosts - len(injected)
    hours = args.minutes / 60 * n_healthy
    print(f"\nAlerts on the {n_healthy} entities without a scenario: {len(healthy)} "
          f"({len(healthy) / hours:.2f} per entity-hour){': ' + ', '.join(sorted(healthy)) if healthy else ''}.")
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()

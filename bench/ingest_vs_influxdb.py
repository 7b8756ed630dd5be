#!/usr/bin/env python3
"""End-to-end HTTP ingest: Foresight vs InfluxDB 1.6, side by side on 127.0.0.1 with the same input.

Both servers get the same InfluxDB line protocol over HTTP (POST /write?db=bench&precision=s), in
batches of --batch lines from --writers concurrent writers (one keep-alive connection each). Each writer
owns its own hosts, so every series receives its points in time order. One untimed warm-up round
creates every series first (series creation is a one-off cost in both systems); the timed rounds then
write --rounds batches per writer. A 429/503 answer (Foresight's backpressure) is retried after a short
pause and counted. Each server runs alone (never both at once: the machine has 2 cores), with its
durable default (Foresight: WAL fsync per batch; InfluxDB: WAL fsync per write).

    bench/ingest_vs_influxdb.py --foresight build-bench/src/app/foresight [--influxd /usr/bin/influxd]

Prints points/s (lines) and samples/s (fields) for each and the ratio; JSON with --out.
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_batches(writers, rounds, batch, hosts_per_writer, fields):
    """batches[w][r] = bytes of one body. Line i of round r of writer w: host w*H + i % H, timestamp
    t0 + (r * (batch // H) + i // H) seconds, so each series' points ascend across the writer's rounds."""
    t0 = 1_795_392_000
    per_host = batch // hosts_per_writer
    out = []
    for w in range(writers):
        mine = []
        for r in range(rounds):
            lines = []
            for i in range(batch):
                h = w * hosts_per_writer + i % hosts_per_writer
                ts = t0 + r * per_host + i // hosts_per_writer
                vals = ",".join(f"f{k}={(i * 7 + r * 13 + k) % 1000}.5" for k in range(fields))
                lines.append(f"bench,host=h{h},region=r{h % 4},rack=k{h % 16} {vals} {ts}")
            mine.append(("\n".join(lines) + "\n").encode())
        out.append(mine)
    return out


def wait_http(port, path, deadline_s=60):
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            if r.status in (200, 204):
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def run_writers(port, batches, first_round, last_round):
    """Sends rounds [first_round, last_round) of every writer concurrently. Returns (seconds, retries)."""
    retries = [0] * len(batches)
    errors = []

    def writer(w):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for r in range(first_round, last_round):
            body = batches[w][r]
            for attempt in range(1000):
                conn.request("POST", "/write?db=bench&precision=s", body=body,
                             headers={"Content-Type": "text/plain; charset=utf-8"})
                resp = conn.getresponse()
                text = resp.read()
                if resp.status in (200, 204):
                    break
                if resp.status in (429, 503):
                    retries[w] += 1
                    time.sleep(0.05)
                    continue
                errors.append(f"writer {w} round {r}: HTTP {resp.status} {text[:200]!r}")
                return
            else:
                errors.append(f"writer {w} round {r}: gave up after 1000 retries")
                return
        conn.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(len(batches))]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    return elapsed, sum(retries)


def start_foresight(binary, tmp):
    port = free_port()
    log = open(os.path.join(tmp, "foresight.log"), "w")
    p = subprocess.Popen([binary, "serve", "--no-host", "--port", str(port), "--data-dir", os.path.join(tmp, "fs-data"),
                          "--log-level", "warn"], stdout=log, stderr=subprocess.STDOUT)
    if not wait_http(port, "/health"):
        p.kill()
        raise RuntimeError("foresight did not start; see " + log.name)
    return p, port


def start_influxd(binary, tmp):
    port, rpc = free_port(), free_port()
    conf = os.path.join(tmp, "influxdb.conf")
    d = os.path.join(tmp, "influx")
    with open(conf, "w") as f:
        f.write(f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{d}/meta"
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
[monitor]
  store-enabled = false
""")
    log = open(os.path.join(tmp, "influxd.log"), "w")
    p = subprocess.Popen([binary, "-config", conf], stdout=log, stderr=subprocess.STDOUT)
    if not wait_http(port, "/ping"):
        p.kill()
        raise RuntimeError("influxd did not start; see " + log.name)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/query?q=CREATE%20DATABASE%20bench")
    r = c.getresponse()
    r.read()
    if r.status != 200:
        raise RuntimeError(f"CREATE DATABASE: HTTP {r.status}")
    return p, port


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def stored_points(name, port, args):
    """Points of one series (host h0, field f0) the server answers with: proves the writes were kept."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if name == "foresight":
        sel = 'bench_f0{host="h0"}'
        c.request("GET", "/api/v1/query?series=" + urllib.parse.quote(sel) + "&from=1795391000&to=1795999999")
        data = json.loads(c.getresponse().read())
        return sum(len(s["points"]) for s in data["data"]["series"])
    q = urllib.parse.quote("SELECT count(f0) FROM bench WHERE host='h0'")
    c.request("GET", f"/query?db=bench&q={q}")
    data = json.loads(c.getresponse().read())
    return data["results"][0]["series"][0]["values"][0][1]


def measure(name, start, binary, batches, args, tmp):
    p, port = start(binary, tmp)
    try:
        run_writers(port, batches, 0, 1)  # warm-up: every series created
        seconds, retries = run_writers(port, batches, 1, args.rounds + 1)
        kept = stored_points(name, port, args)
    finally:
        stop(p)
    expected = (args.rounds + 1) * (args.batch // args.hosts_per_writer)
    if kept != expected:
        raise RuntimeError(f"{name}: series bench_f0{{host=h0}} has {kept} points, expected {expected}")
    points = args.writers * args.rounds * args.batch
    return {"name": name, "points": points, "samples": points * args.fields, "seconds": round(seconds, 3),
            "points_per_s": round(points / seconds), "samples_per_s": round(points * args.fields / seconds),
            "retries_429": retries, "checked_points_one_series": kept}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--foresight", required=True, help="path to the foresight binary (Release build)")
    ap.add_argument("--influxd", default=shutil.which("influxd") or "/usr/bin/influxd")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=20, help="timed batches per writer")
    ap.add_argument("--hosts-per-writer", type=int, default=250)
    ap.add_argument("--fields", type=int, default=3)
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    for path, what in ((args.foresight, "foresight"), (args.influxd, "influxd")):
        if not os.access(path, os.X_OK):
            sys.exit(f"ingest_vs_influxdb: {what} not found at {path} (scripts/install-deps.sh --bench installs influxdb)")
    batches = make_batches(args.writers, args.rounds + 1, args.batch, args.hosts_per_writer, args.fields)
    series = args.writers * args.hosts_per_writer * args.fields
    print(f"input: {args.writers} writers x {args.rounds} timed batches of {args.batch} lines "
          f"({args.fields} fields each, {series} series), after one warm-up batch per writer")
    results = []
    with tempfile.TemporaryDirectory(prefix="foresight-vs-influx-") as tmp:
        for name, start, binary in (("foresight", start_foresight, args.foresight), ("influxdb", start_influxd, args.influxd)):
            r = measure(name, start, binary, batches, args, tmp)
            results.append(r)
            print(f"{name:10s} {r['points_per_s']:>12,} points/s  {r['samples_per_s']:>12,} samples/s  "
                  f"({r['points']:,} points in {r['seconds']} s, {r['retries_429']} retries after 429/503)")
    ratio = results[0]["points_per_s"] / results[1]["points_per_s"]
    print(f"ratio foresight/influxdb: {ratio:.2f}x")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"results": results, "ratio": ratio, "args": vars(args)}, f, indent=2)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""ROC-AUC of Foresight's Isolation Forest and scikit-learn's on the same feature rows.

NAB (default): for each realKnownCause series, the C++ tool replays timestamp,value through
features::SeriesFeatures (windows of 6, 24 and 96 median sampling intervals, EWMA half-life of 6 intervals,
plus --lags lagged values) and writes the rows; both forests train on all rows (unsupervised, 100 trees,
psi 256) with --seeds seeds each, and are scored on the same rows. Label = the row's timestamp lies inside
one of NAB's anomaly windows (labels/combined_windows.json). Prints AUC per file (mean over seeds) and the
average, for both, side by side.

Usage (from the project root, after building iforest_cli in build-models):
    tar -xJf /work/shared/data/nab.tar.xz -C build-models/data     # once
    /usr/bin/python3 bench/iforest_accuracy.py [--seeds 5] [--lags 4]
"""
import argparse
import csv
import datetime as dt
import json
import os
import statistics
import subprocess
import sys

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def parse_ts(s):
    return dt.datetime.strptime(s[:19], "%Y-%m-%d %H:%M:%S")


def run_cli(cli, *args):
    out = subprocess.run([cli, *args], check=True, capture_output=True, text=True)
    return out.stdout


def foresight_scores(cli, rows_csv, scores_path, seed):
    out = run_cli(cli, "train-score", "--input", rows_csv, "--output", scores_path, "--seed", str(seed),
                  "--repeat", "1")
    return np.loadtxt(scores_path), json.loads(out.strip().splitlines()[-1])


def sklearn_scores(x, seed):
    m = IsolationForest(n_estimators=100, max_samples=256, random_state=seed, n_jobs=1).fit(x)
    return -m.score_samples(x)


def evaluate(name, cli, x, y, workdir, seeds):
    """Trains both forests on x with each seed; returns (mean AUC foresight, mean AUC sklearn, per-seed lists)."""
    rows_csv = os.path.join(workdir, f"{name}.rows.csv")
    np.savetxt(rows_csv, x, delimiter=",", header=",".join(f"f{i}" for i in range(x.shape[1])), comments="",
               fmt="%.17g")
    fs_auc, sk_auc = [], []
    for seed in range(seeds):
        s_fs, _ = foresight_scores(cli, rows_csv, os.path.join(workdir, f"{name}.scores.txt"), seed + 1)
        s_sk = sklearn_scores(x, seed + 1)
        fs_auc.append(roc_auc_score(y, s_fs))
        sk_auc.append(roc_auc_score(y, s_sk))
    return statistics.mean(fs_auc), statistics.mean(sk_auc), fs_auc, sk_auc


def nab(args, root):
    nab_dir = args.nab
    if not os.path.isdir(os.path.join(nab_dir, "data", "realKnownCause")):
        sys.exit(f"NAB not found under {nab_dir}: tar -xJf /work/shared/data/nab.tar.xz -C build-models/data")
    with open(os.path.join(nab_dir, "labels", "combined_windows.json")) as f:
        windows = json.load(f)
    files = sorted(k for k in windows if k.startswith("realKnownCause/"))
    workdir = os.path.join(args.out, "nab")
    os.makedirs(workdir, exist_ok=True)
    results = []
    for i, key in enumerate(files, 1):
        name = os.path.basename(key)[:-4]
        src = os.path.join(nab_dir, "data", key)
        with open(src) as f:
            ts = [parse_ts(r["timestamp"]) for r in csv.DictReader(f)]
        step = statistics.median((b - a).total_seconds() for a, b in zip(ts, ts[1:]))
        step = max(1, int(step))
        wins = ",".join(f"{k * step}s" for k in (6, 24, 96))
        log(f"[{i}/{len(files)}] {name}: {len(ts)} rows, step {step} s, windows {wins}")
        feat_csv = os.path.join(workdir, f"{name}.features.csv")
        subprocess.run([args.cli, "features", "--input", src, "--output", feat_csv, "--windows", wins,
                        "--half-life", f"{6 * step}s", "--lags", str(args.lags)], check=True,
                       capture_output=True)
        with open(feat_csv) as f:
            header = f.readline().strip().split(",")
        data = np.genfromtxt(feat_csv, delimiter=",", skip_header=1, usecols=range(1, len(header)))
        labels = np.zeros(len(ts), dtype=int)
        for a, b in windows[key]:
            a, b = parse_ts(a), parse_ts(b)
            labels |= np.array([a <= t <= b for t in ts], dtype=int)
        keep = slice(args.lags, None)  # the first rows lack lagged values
        x, y = data[keep], labels[keep]
        fs, sk, fs_all, sk_all = evaluate(name, args.cli, x, y, workdir, args.seeds)
        log(f"      AUC foresight {fs:.4f}  sklearn {sk:.4f}  diff {fs - sk:+.4f}")
        results.append({"file": key, "rows": int(len(y)), "anomalous_rows": int(y.sum()), "features": x.shape[1],
                        "auc_foresight": fs, "auc_sklearn": sk, "auc_foresight_seeds": fs_all,
                        "auc_sklearn_seeds": sk_all})
    return results


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.path.join(root, "build-models/src/models/iforest_cli"))
    ap.add_argument("--nab", default=os.path.join(root, "build-models/data/nab"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--lags", type=int, default=4)
    ap.add_argument("--out", default=os.path.join(root, "build-models/bench-out"))
    args = ap.parse_args()
    if not os.path.exists(args.cli):
        sys.exit(f"{args.cli} not found: cmake --build build-models --target iforest_cli")
    os.makedirs(args.out, exist_ok=True)

    results = nab(args, root)
    print(f"\nNAB realKnownCause, ROC-AUC per file (mean of {args.seeds} seeds; label = inside an anomaly window)")
    print(f"{'file':56s} {'rows':>6s} {'anom':>6s} {'foresight':>10s} {'sklearn':>10s} {'diff':>8s}")
    for r in results:
        print(f"{r['file']:56s} {r['rows']:6d} {r['anomalous_rows']:6d} {r['auc_foresight']:10.4f} "
              f"{r['auc_sklearn']:10.4f} {r['auc_foresight'] - r['auc_sklearn']:+8.4f}")
    fs = statistics.mean(r["auc_foresight"] for r in results)
    sk = statistics.mean(r["auc_sklearn"] for r in results)
    print(f"{'mean':56s} {'':6s} {'':6s} {fs:10.4f} {sk:10.4f} {fs - sk:+8.4f}")
    path = os.path.join(args.out, "iforest_accuracy_nab.json")
    with open(path, "w") as f:
        json.dump({"seeds": args.seeds, "lags": args.lags, "files": results, "mean_auc_foresight": fs,
                   "mean_auc_sklearn": sk}, f, indent=1)
    log(f"results: {path}")


if __name__ == "__main__":
    main()

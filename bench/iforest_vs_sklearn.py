#!/usr/bin/python3
"""Foresight's Isolation Forest against scikit-learn's on the same data: training speed and accuracy.

Generates a seeded synthetic set (default 10,000 x 32: N(0, I) inliers plus 1% anomalies shifted in a few
features), trains both forests with the same settings (100 trees, 256 samples, max depth ceil(log2 256)),
and prints fit/score times (best and median of --repeat runs, wall and CPU) and ROC-AUC of each.

Foresight's time is reported twice: "build" is the forest alone, like for like with sklearn's fit under
contamination="auto" (no scoring); "build+calibrate" adds scoring up to 8192 training rows for the severity
thresholds, like for like with sklearn's fit under a numeric contamination (which scores every training row
to set offset_).

Usage (from the project root, after building iforest_cli in build-models):
    /usr/bin/python3 bench/iforest_vs_sklearn.py [--rows 10000] [--features 32] [--repeat 7]
Needs Debian's python3-sklearn (use /usr/bin/python3, not a virtualenv without it).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def make_data(rows, features, anomaly_fraction, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    y = np.zeros(rows, dtype=int)
    n_anom = max(1, int(rows * anomaly_fraction))
    idx = rng.choice(rows, size=n_anom, replace=False)
    for r in idx:
        cols = rng.choice(features, size=min(4, features), replace=False)
        x[r, cols] += rng.choice([-1.0, 1.0], size=len(cols)) * rng.uniform(3.0, 5.0, size=len(cols))
    y[idx] = 1
    return x, y


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.path.join(root, "build-models/src/models/iforest_cli"))
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--features", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--subsample", type=int, default=256)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(root, "build-models/bench-out"))
    args = ap.parse_args()
    if not os.path.exists(args.cli):
        sys.exit(f"{args.cli} not found: cmake --build build-models --target iforest_cli")
    os.makedirs(args.out, exist_ok=True)

    log(f"[1/4] generating {args.rows} x {args.features} rows (1% anomalies, seed {args.seed})")
    x, y = make_data(args.rows, args.features, 0.01, args.seed)
    csv = os.path.join(args.out, "iforest_vs_sklearn_rows.csv")
    np.savetxt(csv, x, delimiter=",", header=",".join(f"f{i}" for i in range(args.features)), comments="",
               fmt="%.17g")
    scores_path = os.path.join(args.out, "iforest_vs_sklearn_foresight_scores.txt")

    log(f"[2/4] foresight: training {args.repeat}x build-only and {args.repeat}x build+calibrate, then scoring")
    out = subprocess.run([args.cli, "train-score", "--input", csv, "--output", scores_path, "--trees",
                          str(args.trees), "--subsample", str(args.subsample), "--seed", str(args.seed),
                          "--repeat", str(args.repeat)], check=True, capture_output=True, text=True)
    fs = json.loads(out.stdout.strip().splitlines()[-1])
    fs_scores = np.loadtxt(scores_path)

    log(f"[3/4] scikit-learn {__import__('sklearn').__version__}: training {args.repeat}x, then scoring")
    sk_wall, sk_cpu = [], []
    model = None
    for i in range(args.repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        model = IsolationForest(n_estimators=args.trees, max_samples=args.subsample, random_state=args.seed + i,
                                n_jobs=1).fit(x)
        sk_wall.append((time.perf_counter() - w0) * 1e3)
        sk_cpu.append((time.process_time() - c0) * 1e3)
        log(f"      fit {i + 1}/{args.repeat}: {sk_wall[-1]:.1f} ms wall")
    sk_cal_wall, sk_cal_cpu = [], []
    for i in range(max(1, args.repeat // 2)):
        w0, c0 = time.perf_counter(), time.process_time()
        IsolationForest(n_estimators=args.trees, max_samples=args.subsample, random_state=args.seed + i,
                        contamination=0.01, n_jobs=1).fit(x)
        sk_cal_wall.append((time.perf_counter() - w0) * 1e3)
        sk_cal_cpu.append((time.process_time() - c0) * 1e3)
        log(f"      fit(contamination=0.01) {i + 1}/{max(1, args.repeat // 2)}: {sk_cal_wall[-1]:.1f} ms wall")
    w0, c0 = time.perf_counter(), time.process_time()
    sk_scores = -model.score_samples(x)  # sklearn returns the negated paper score
    sk_score_wall = (time.perf_counter() - w0) * 1e3
    sk_score_cpu = (time.process_time() - c0) * 1e3

    log("[4/4] comparing")
    auc_fs = roc_auc_score(y, fs_scores)
    auc_sk = roc_auc_score(y, sk_scores)
    corr = float(np.corrcoef(np.argsort(np.argsort(fs_scores)), np.argsort(np.argsort(sk_scores)))[0, 1])

    def stats(v):
        return min(v), statistics.median(v)

    rows = [
        ("sklearn fit (auto)", *stats(sk_wall), *stats(sk_cpu)),
        ("sklearn fit (contam. 0.01)", *stats(sk_cal_wall), *stats(sk_cal_cpu)),
        ("foresight build", *stats(fs["fit_wall_ms"]), *stats(fs["fit_cpu_ms"])),
        ("foresight build+calibrate", *stats(fs["fit_calibrated_wall_ms"]), *stats(fs["fit_calibrated_cpu_ms"])),
    ]
    print(f"\nIsolation Forest, {args.rows} x {args.features}, {args.trees} trees, psi={args.subsample}, "
          f"repeat={args.repeat}")
    print(f"{'':28s} {'wall best':>10s} {'wall med':>10s} {'cpu best':>10s} {'cpu med':>10s}   (ms)")
    for name, wb, wm, cb, cm in rows:
        print(f"{name:28s} {wb:10.2f} {wm:10.2f} {cb:10.2f} {cm:10.2f}")
    ratio_build_cpu = min(sk_cpu) / min(fs["fit_cpu_ms"])
    ratio_build_wall = statistics.median(sk_wall) / statistics.median(fs["fit_wall_ms"])
    ratio_cal_cpu = min(sk_cal_cpu) / min(fs["fit_calibrated_cpu_ms"])
    ratio_cal_wall = statistics.median(sk_cal_wall) / statistics.median(fs["fit_calibrated_wall_ms"])
    ratio_cal_vs_auto_cpu = min(sk_cpu) / min(fs["fit_calibrated_cpu_ms"])
    print(f"speed-up, build vs fit(auto):                 {ratio_build_cpu:6.1f}x (best CPU) "
          f"{ratio_build_wall:6.1f}x (median wall)")
    print(f"speed-up, build+calibrate vs fit(contam.):    {ratio_cal_cpu:6.1f}x (best CPU) "
          f"{ratio_cal_wall:6.1f}x (median wall)")
    print(f"speed-up, build+calibrate vs fit(auto):       {ratio_cal_vs_auto_cpu:6.1f}x (best CPU)")
    print(f"score all {args.rows} rows:  foresight {fs['score_wall_ms']:.2f} ms wall / {fs['score_cpu_ms']:.2f} ms "
          f"CPU, sklearn {sk_score_wall:.2f} ms wall / {sk_score_cpu:.2f} ms CPU")
    print(f"ROC-AUC (1% labelled anomalies): foresight {auc_fs:.4f}  sklearn {auc_sk:.4f}  "
          f"diff {auc_fs - auc_sk:+.4f}; rank correlation of scores {corr:.3f}")
    result = {
        "rows": args.rows, "features": args.features, "trees": args.trees, "subsample": args.subsample,
        "repeat": args.repeat, "sklearn_version": __import__("sklearn").__version__,
        "sklearn_fit_wall_ms": sk_wall, "sklearn_fit_cpu_ms": sk_cpu,
        "sklearn_fit_contamination_wall_ms": sk_cal_wall, "sklearn_fit_contamination_cpu_ms": sk_cal_cpu,
        "foresight": fs, "speedup_calibrated_vs_auto_cpu_best": ratio_cal_vs_auto_cpu,
        "speedup_build_cpu_best": ratio_build_cpu, "speedup_build_wall_median": ratio_build_wall,
        "speedup_calibrated_cpu_best": ratio_cal_cpu, "speedup_calibrated_wall_median": ratio_cal_wall,
        "auc_foresight": auc_fs, "auc_sklearn": auc_sk, "score_rank_correlation": corr,
    }
    path = os.path.join(args.out, "iforest_vs_sklearn.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    log(f"results: {path}")


if __name__ == "__main__":
    main()

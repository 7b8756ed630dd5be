#!/usr/bin/python3
"""ROC-AUC of Foresight's Isolation Forest and scikit-learn's on the same feature rows.

NAB (default): for each realKnownCause series, the C++ tool replays timestamp,value through
features::SeriesFeatures (windows of 6, 24 and 96 median sampling intervals, EWMA half-life of 6 intervals,
plus --lags lagged values) and writes the rows; both forests train on all rows (unsupervised, 100 trees,
psi 256) with --seeds seeds each, and are scored on the same rows. Label = the row's timestamp lies inside
one of NAB's anomaly windows (labels/combined_windows.json). Prints AUC per file (mean over seeds) and the
average, for both, side by side.

Fleet simulator (--sim, after building iforest_sim_rows): the simulated fleet (src/ingest FleetSimulator,
scheduled failure scenarios with ground truth) is backfilled into an in-memory store and each entity's rows
are built by models::BuildTrainingRows, the production training path (all its metrics, 18 features each,
one row per 10 s tick). Both forests train on the first --train-fraction of an entity's rows and score the
rest; label = a scenario of that entity is active at the tick. Entities whose scored part lacks either
class are skipped.

Usage (from the project root, after building iforest_cli and iforest_sim_rows in build-models):
    tar -xJf /work/shared/data/nab.tar.xz -C build-models/data     # once
    /usr/bin/python3 bench/iforest_accuracy.py [--seeds 5] [--lags 4]      # NAB
    /usr/bin/python3 bench/iforest_accuracy.py --sim [--hosts 12 --hours 24]  # fleet simulator
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


def save_rows(path, x):
    np.savetxt(path, x, delimiter=",", header=",".join(f"f{i}" for i in range(x.shape[1])), comments="",
               fmt="%.17g")


def evaluate(name, cli, x, y, workdir, seeds, x_test=None, y_test=None):
    """Trains both forests on x with each seed and scores x_test (default x); returns (mean AUC foresight,
    mean AUC sklearn, per-seed lists)."""
    rows_csv = os.path.join(workdir, f"{name}.train.csv")
    save_rows(rows_csv, x)
    extra = []
    if x_test is not None:
        test_csv = os.path.join(workdir, f"{name}.test.csv")
        save_rows(test_csv, x_test)
        extra = ["--score-input", test_csv]
    else:
        x_test, y_test = x, y
    fs_auc, sk_auc = [], []
    for seed in range(seeds):
        scores_path = os.path.join(workdir, f"{name}.scores.txt")
        run_cli(cli, "train-score", "--input", rows_csv, "--output", scores_path, "--seed", str(seed + 1),
                "--repeat", "1", *extra)
        s_fs = np.loadtxt(scores_path)
        m = IsolationForest(n_estimators=100, max_samples=256, random_state=seed + 1, n_jobs=1).fit(x)
        s_sk = -m.score_samples(x_test)
        fs_auc.append(roc_auc_score(y_test, s_fs))
        sk_auc.append(roc_auc_score(y_test, s_sk))
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


def sim(args):
    workdir = os.path.join(args.out, "sim")
    log(f"[sim] generating {args.hosts} entities x {args.hours} h of simulated fleet (seed {args.sim_seed})")
    subprocess.run([args.sim_tool, "--output-dir", workdir, "--hosts", str(args.hosts), "--hours", str(args.hours),
                    "--seed", str(args.sim_seed), "--scenarios-per-hour", str(args.scenarios_per_hour)],
                   check=True)
    with open(os.path.join(workdir, "ground_truth.json")) as f:
        truth = json.load(f)
    entities = sorted({line.split()[0] for line in open(os.path.join(workdir, "feature_names.txt"))},
                      key=lambda e: (e.rstrip("0123456789"), int(e.rsplit("-", 1)[1])))
    results = []
    for i, entity in enumerate(entities, 1):
        x = np.loadtxt(os.path.join(workdir, f"{entity}.rows.csv"), delimiter=",", skiprows=1, ndmin=2)
        y = np.loadtxt(os.path.join(workdir, f"{entity}.labels.csv"), delimiter=",", skiprows=1,
                       dtype=np.int64, ndmin=2)[:, 1]
        split = int(len(y) * args.train_fraction)
        y_test = y[split:]
        kinds = sorted({t["kind"] for t in truth if t["entity"] == entity})
        if y_test.min() == y_test.max():
            log(f"[{i}/{len(entities)}] {entity}: skipped (scored part has {int(y_test.sum())} anomalous of "
                f"{len(y_test)} rows)")
            continue
        log(f"[{i}/{len(entities)}] {entity}: {len(y)} rows x {x.shape[1]}, train {split}, score {len(y_test)} "
            f"({int(y_test.sum())} in scenarios: {', '.join(kinds)})")
        fs, sk, fs_all, sk_all = evaluate(f"sim_{entity}", args.cli, x[:split], y[:split], workdir, args.seeds,
                                          x[split:], y_test)
        log(f"      AUC foresight {fs:.4f}  sklearn {sk:.4f}  diff {fs - sk:+.4f}")
        results.append({"file": f"sim/{entity} ({', '.join(kinds)})", "rows": int(len(y_test)),
                        "anomalous_rows": int(y_test.sum()), "features": x.shape[1], "auc_foresight": fs,
                        "auc_sklearn": sk, "auc_foresight_seeds": fs_all, "auc_sklearn_seeds": sk_all})
    return results


def report(title, results, seeds, path, extra):
    print(f"\n{title}, ROC-AUC (mean of {seeds} seeds)")
    print(f"{'series':64s} {'rows':>6s} {'anom':>6s} {'foresight':>10s} {'sklearn':>10s} {'diff':>8s}")
    for r in results:
        print(f"{r['file']:64s} {r['rows']:6d} {r['anomalous_rows']:6d} {r['auc_foresight']:10.4f} "
              f"{r['auc_sklearn']:10.4f} {r['auc_foresight'] - r['auc_sklearn']:+8.4f}")
    fs = statistics.mean(r["auc_foresight"] for r in results)
    sk = statistics.mean(r["auc_sklearn"] for r in results)
    print(f"{'mean':64s} {'':6s} {'':6s} {fs:10.4f} {sk:10.4f} {fs - sk:+8.4f}")
    with open(path, "w") as f:
        json.dump({"seeds": seeds, **extra, "files": results, "mean_auc_foresight": fs, "mean_auc_sklearn": sk},
                  f, indent=1)
    log(f"results: {path}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.path.join(root, "build-models/src/models/iforest_cli"))
    ap.add_argument("--nab", default=os.path.join(root, "build-models/data/nab"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--lags", type=int, default=4)
    ap.add_argument("--out", default=os.path.join(root, "build-models/bench-out"))
    ap.add_argument("--sim", action="store_true", help="evaluate on the fleet simulator instead of NAB")
    ap.add_argument("--sim-tool", default=os.path.join(root, "build-models/src/models/iforest_sim_rows"))
    ap.add_argument("--hosts", type=int, default=12)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--sim-seed", type=int, default=42)
    ap.add_argument("--scenarios-per-hour", type=float, default=1.0)
    ap.add_argument("--train-fraction", type=float, default=0.5)
    args = ap.parse_args()
    if not os.path.exists(args.cli):
        sys.exit(f"{args.cli} not found: cmake --build build-models --target iforest_cli")
    os.makedirs(args.out, exist_ok=True)

    if args.sim:
        if not os.path.exists(args.sim_tool):
            sys.exit(f"{args.sim_tool} not found: cmake --build build-models --target iforest_sim_rows")
        results = sim(args)
        report(f"Fleet simulator, {args.hosts} entities x {args.hours} h, train on first "
               f"{args.train_fraction:.0%} and score the rest; label = a scenario is active", results, args.seeds,
               os.path.join(args.out, "iforest_accuracy_sim.json"),
               {"hosts": args.hosts, "hours": args.hours, "sim_seed": args.sim_seed,
                "train_fraction": args.train_fraction})
        return
    results = nab(args, root)
    report("NAB realKnownCause (label = inside an anomaly window; train and score on all rows)", results,
           args.seeds, os.path.join(args.out, "iforest_accuracy_nab.json"), {"lags": args.lags})


if __name__ == "__main__":
    main()

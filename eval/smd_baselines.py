#!/usr/bin/env python3
"""Simple SMD baselines on the development machines, point-wise best-threshold F1 without point
adjustment (the same rule as `foresight eval smd`), for choosing the shipped detector. Needs numpy
(python3-numpy, installed by scripts/install-deps.sh --bench).

  python3 eval/smd_baselines.py --data build/data/smd-dev
"""
import argparse
import os

import numpy as np


def best_f1(s, labels):
    o = np.argsort(-s, kind="stable")
    ss, ll = s[o], labels[o]
    tp, fp = np.cumsum(ll), np.cumsum(1 - ll)
    last = np.r_[ss[1:] != ss[:-1], True]
    tp, fp = tp[last], fp[last]
    return float((2 * tp / (tp + fp + labels.sum())).max())


def causal_mean(x, w):
    c = np.cumsum(np.r_[0.0, x])
    i = np.arange(len(x))
    a = np.maximum(0, i - w + 1)
    return (c[i + 1] - c[a]) / (i + 1 - a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="build/data/smd-dev")
    args = ap.parse_args()
    machines = sorted(f[:-4] for f in os.listdir(os.path.join(args.data, "test")) if f.endswith(".txt"))
    results = {}
    for m in machines:
        tr = np.loadtxt(os.path.join(args.data, "train", m + ".txt"), delimiter=",")
        te = np.loadtxt(os.path.join(args.data, "test", m + ".txt"), delimiter=",")
        lab = np.loadtxt(os.path.join(args.data, "test_label", m + ".txt")).astype(int)
        mu, sd = tr.mean(0), tr.std(0)
        # PCA reconstruction error (squared residual), standardised inputs, k components.
        sc = np.maximum(sd, 1e-3)
        x, y = (tr - mu) / sc, (te - mu) / sc
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        for k in (3, 5, 10):
            v = vt[:k].T
            r = ((y - y @ v @ v.T) ** 2).sum(1)
            results.setdefault(f"PCA k={k}", []).append(best_f1(r, lab))
            results.setdefault(f"PCA k={k}, 10-row mean", []).append(best_f1(causal_mean(r, 10), lab))
        # Nearest-neighbour distance (mean of 3) to every 8th training row, standardised with a 0.03 floor.
        sc = np.maximum(sd, 0.03)
        x, y = (tr[::8] - mu) / sc, (te - mu) / sc
        d = np.empty(len(y))
        for i in range(0, len(y), 256):
            dist = ((y[i:i + 256, None, :] - x[None, :, :]) ** 2).sum(2)
            d[i:i + 256] = np.sqrt(np.partition(dist, 2, 1)[:, :3].mean(1))
        results.setdefault("kNN distance", []).append(best_f1(d, lab))
        results.setdefault("kNN distance, 10-row mean", []).append(best_f1(causal_mean(d, 10), lab))
        # Per-metric abs z (floor 0.03): sum of squares vs mean of the top 2 (the shipped detector's rule).
        z = np.abs(te - mu) / sc
        results.setdefault("sum of z^2, 10-row mean", []).append(best_f1(causal_mean((z ** 2).sum(1), 10), lab))
        top2 = -np.sort(-z, 1)[:, :2].mean(1)
        results.setdefault("top-2 mean abs z, 10-row mean", []).append(best_f1(causal_mean(top2, 10), lab))
        ew = np.empty_like(top2)
        acc = top2[0]
        for t, v in enumerate(top2):
            acc = 0.1 * v + 0.9 * acc
            ew[t] = acc
        results.setdefault("top-2 mean abs z, EWMA 0.1 (shipped)", []).append(best_f1(ew, lab))
    print("| baseline | " + " | ".join(machines) + " | mean |")
    print("| --- |" + " --- |" * (len(machines) + 1))
    for name, f in results.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in f) + f" | {np.mean(f):.3f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Foresight's forecasters (foresight-forecast, FitBest) against Prophet on NAB's real series, side by side.

For every CSV of the chosen NAB categories: the last --holdout fraction of the rows is held out, both
fit on the head (Foresight: rolling-origin backtest of Theil-Sen, Holt-Winters, damped Holt-Winters and
the Prophet-style model, then the winner refitted; Prophet: its defaults, MAP fit) and forecast the tail.
Accuracy: MASE = mean absolute error on the tail / in-sample mean absolute lag-1 difference of the head
(the same scale for every forecaster, so ratios between them are exact); the last-value naive forecast is
listed for context. Speed: seconds of the fit alone (Prophet: Prophet().fit(); Foresight: the fit with its
whole backtest), wall clock and CPU (Prophet's CPU includes its cmdstan child process), and their ratios.

The script creates a venv under the build dir (default build-bench/prophet-venv) and pip-installs prophet
and matplotlib there (pip is for bench peers only), then re-runs itself inside it. Output: per-series and
median figures on stdout, JSON and a PNG of a few forecasts vs truth in --out.

Usage (from the project root; NAB unpacked with `tar -xJf ../shared/data/nab.tar.xz -C <build>/data`):
    /usr/bin/python3 bench/forecast_vs_prophet.py --build build-bench [--categories realKnownCause,...]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_REAL = ["realAWSCloudwatch", "realAdExchange", "realKnownCause", "realTraffic", "realTweets"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_venv(venv):
    """Creates the venv with prophet once; returns its python."""
    py = os.path.join(venv, "bin", "python")
    probe = [py, "-c", "import prophet, matplotlib, pandas"]
    if os.path.exists(py) and subprocess.run(probe, capture_output=True).returncode == 0:
        return py
    log(f"[setup] creating {venv} and installing prophet, matplotlib (pip, once)")
    subprocess.run(["/usr/bin/python3", "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", "prophet", "matplotlib"], check=True)
    return py


def run_ours(cli, path, holdout, relax_gaps, method="best"):
    """foresight-forecast on one file. When it refuses for gaps (more than 20 % of the grid empty, the
    product's default), retries with a 2x coarser step, then (if relax_gaps) allows up to that fraction of
    empty buckets at the original step; the row records which, and the refusal reason is kept."""
    base = [cli, "--input", path, "--holdout", str(holdout), "--emit-forecast", "--method", method]
    attempts = [("default", [])]
    first = None
    for label, extra in attempts:
        r = subprocess.run(base + extra, capture_output=True, text=True)
        out = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {"error": r.stderr.strip()}
        first = first or out
        if r.returncode == 0:
            out["gap_handling"] = label
            out["refused_with"] = first.get("error")
            return out
        if "too many gaps" not in out.get("error", ""):
            return out
        if label == "default":
            attempts.append(("step x2", ["--step", f"{int(median_spacing(path) * 2)}s"]))
            if relax_gaps:
                attempts.append((f"max gap {relax_gaps}", ["--max-gap-fraction", str(relax_gaps)]))
    return first


def median_spacing(path):
    import pandas as pd
    ts = pd.to_datetime(pd.read_csv(path)["timestamp"]).sort_values()
    d = ts.diff().dropna().dt.total_seconds()
    return float(d[d > 0].median())  # as the CLI: the median of the positive spacings


def children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def mase(truth, pred, scale):
    err = [abs(a - b) for a, b in zip(truth, pred) if math.isfinite(a)]
    return (sum(err) / len(err)) / scale if err and scale > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build-bench", help="build dir with src/forecast/foresight-forecast")
    ap.add_argument("--cli", default=None)
    ap.add_argument("--nab", default=None, help="unpacked NAB (default <build>/data/nab)")
    ap.add_argument("--categories", default=",".join(ALL_REAL))
    ap.add_argument("--holdout", type=float, default=0.1)
    ap.add_argument("--limit", type=int, default=0, help="at most this many files (0: all)")
    ap.add_argument("--relax-gaps", type=float, default=0.6,
                    help="after a gap refusal, retry allowing this fraction of empty buckets (0: don't)")
    ap.add_argument("--venv", default=None, help="default <build>/prophet-venv")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    ap.add_argument("--plot", default=None, help="PNG path (default <out>/forecast_vs_prophet.png)")
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build) if not os.path.isabs(args.build) else args.build
    cli = args.cli or os.path.join(build, "src/forecast/foresight-forecast")
    nab = args.nab or os.path.join(build, "data/nab")
    venv = args.venv or os.path.join(build, "prophet-venv")
    if not os.path.exists(cli):
        sys.exit(f"{cli} not found: ninja -C {args.build} foresight-forecast")
    if not os.path.isdir(nab):
        os.makedirs(os.path.join(build, "data"), exist_ok=True)
        log(f"[setup] unpacking NAB into {build}/data")
        subprocess.run(["tar", "-xJf", os.path.join(ROOT, "../shared/data/nab.tar.xz"), "-C",
                        os.path.join(build, "data")], check=True)
    if os.environ.get("FORECAST_VS_PROPHET_IN_VENV") != "1":
        py = ensure_venv(venv)
        env = dict(os.environ, FORECAST_VS_PROPHET_IN_VENV="1")
        argv = [py, os.path.abspath(__file__), "--build", build, "--cli", cli, "--nab", nab, "--venv", venv]
        argv += sys.argv[1:]
        sys.exit(subprocess.run(argv, env=env).returncode)

    import logging
    import pandas as pd
    from prophet import Prophet
    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
    logging.getLogger("prophet").setLevel(logging.ERROR)
    import prophet as prophet_pkg

    files = []
    for cat in [c for c in args.categories.split(",") if c]:
        d = os.path.join(nab, "data", cat)
        files += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".csv")]
    if args.limit:
        files = files[: args.limit]
    os.makedirs(args.out, exist_ok=True)
    log(f"[forecast vs prophet] {len(files)} series, holdout {args.holdout:.0%}, prophet {prophet_pkg.__version__}")
    rows, plots = [], []
    for i, path in enumerate(files, 1):
        name = os.path.relpath(path, os.path.join(nab, "data"))
        df = pd.read_csv(path)
        df["ds"] = pd.to_datetime(df["timestamp"])
        df = df.sort_values("ds").reset_index(drop=True)
        n_test = max(1, round(args.holdout * len(df)))
        head, tail = df.iloc[: len(df) - n_test], df.iloc[len(df) - n_test:]
        y_head = head["value"].astype(float).tolist()
        scale = statistics.fmean(abs(a - b) for a, b in zip(y_head[1:], y_head[:-1]))
        truth = tail["value"].astype(float).tolist()
        naive = mase(truth, [y_head[-1]] * len(truth), scale)

        ours = run_ours(cli, path, args.holdout, args.relax_gaps)
        ours_mase = mase(truth, ours["forecast"]["p50"], scale) if "forecast" in ours else float("nan")
        # Our Prophet-style model alone (no selection): like for like with Prophet's single fit.
        alone = run_ours(cli, path, args.holdout, args.relax_gaps, method="prophet")
        alone_mase = mase(truth, alone["forecast"]["p50"], scale) if "forecast" in alone else float("nan")

        m = Prophet()
        t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
        m.fit(head.rename(columns={"value": "y"})[["ds", "y"]])
        p_fit = time.perf_counter() - t0
        p_cpu = (time.process_time() - c0) + (children_cpu() - k0)  # Python plus the cmdstan child
        fc = m.predict(tail[["ds"]])
        p_mase = mase(truth, fc["yhat"].tolist(), scale)
        row = {"series": name, "points_head": len(head), "points_tail": n_test,
               "ours_method": ours.get("method"), "ours_error": ours.get("error"),
               "ours_gap_handling": ours.get("gap_handling"), "ours_refused_with": ours.get("refused_with"),
               "ours_mase": ours_mase, "ours_fit_s": ours.get("fit_seconds"),
               "ours_fit_cpu_s": ours.get("fit_cpu_seconds"),
               "ours_prophet_style_mase": alone_mase, "ours_prophet_style_fit_s": alone.get("fit_seconds"),
               "ours_prophet_style_fit_cpu_s": alone.get("fit_cpu_seconds"),
               "prophet_mase": p_mase, "prophet_fit_s": p_fit, "prophet_fit_cpu_s": p_cpu, "naive_mase": naive}
        rows.append(row)
        if "forecast" in ours and len(plots) < 6 and i % max(1, len(files) // 6) == 0:
            plots.append((name, head.tail(3 * n_test), tail, ours["forecast"], fc))
        relaxed = f", {ours['gap_handling']}" if ours.get("gap_handling", "default") != "default" else ""
        ours_txt = (f"ours {ours_mase:6.2f} ({ours['method']}, {ours['fit_seconds'] * 1e3:.1f} ms{relaxed})"
                    if "forecast" in ours else f"ours: no forecast ({ours.get('error')})")
        log(f"[{i}/{len(files)}] {name}: {ours_txt}; prophet {p_mase:6.2f} ({p_fit * 1e3:.0f} ms); naive {naive:6.2f}")

    both = [r for r in rows if math.isfinite(r["ours_mase"]) and math.isfinite(r["prophet_mase"])]
    ratios = [r["prophet_fit_s"] / r["ours_fit_s"] for r in both if r["ours_fit_s"]]
    summary = {
        "series": len(rows), "forecast_by_both": len(both),
        "refused_by_ours": [{"series": r["series"], "reason": r["ours_error"]} for r in rows if r["ours_error"]],
        "refused_by_default_then_relaxed": [{"series": r["series"], "reason": r["ours_refused_with"],
                                             "then": r["ours_gap_handling"]}
                                            for r in rows if r["ours_refused_with"] and not r["ours_error"]],
        "median_mase_ours": statistics.median(r["ours_mase"] for r in both) if both else None,
        "median_mase_prophet": statistics.median(r["prophet_mase"] for r in both) if both else None,
        "median_mase_naive": statistics.median(r["naive_mase"] for r in both) if both else None,
        "median_mase_ours_prophet_style": statistics.median(r["ours_prophet_style_mase"] for r in both) if both else None,
        "median_speedup_prophet_style_alone": statistics.median(
            r["prophet_fit_s"] / r["ours_prophet_style_fit_s"] for r in both if r["ours_prophet_style_fit_s"]) if both else None,
        "median_speedup_cpu_prophet_style_alone": statistics.median(
            r["prophet_fit_cpu_s"] / r["ours_prophet_style_fit_cpu_s"] for r in both
            if r["ours_prophet_style_fit_cpu_s"]) if both else None,
        "ours_better_or_equal": sum(r["ours_mase"] <= r["prophet_mase"] for r in both),
        "median_fit_s_ours": statistics.median(r["ours_fit_s"] for r in both) if both else None,
        "median_fit_s_prophet": statistics.median(r["prophet_fit_s"] for r in both) if both else None,
        "median_speedup": statistics.median(ratios) if ratios else None,
        "median_speedup_cpu": statistics.median(r["prophet_fit_cpu_s"] / r["ours_fit_cpu_s"] for r in both
                                                if r["ours_fit_cpu_s"]) if both else None,
        "median_fit_cpu_s_ours": statistics.median(r["ours_fit_cpu_s"] for r in both) if both else None,
        "median_fit_cpu_s_prophet": statistics.median(r["prophet_fit_cpu_s"] for r in both) if both else None,
        "total_speedup": (sum(r["prophet_fit_s"] for r in both) / sum(r["ours_fit_s"] for r in both)) if both else None,
        "methods_chosen": {k: sum(r["ours_method"] == k for r in both) for k in sorted({r["ours_method"] for r in both})},
        "holdout": args.holdout, "prophet_version": prophet_pkg.__version__,
    }
    with open(os.path.join(args.out, "forecast_vs_prophet.json"), "w") as f:
        json.dump({"summary": summary, "rows": rows}, f, indent=1)

    print(f"{'series':58s} {'ours':>7s} {'p-style':>7s} {'prophet':>8s} {'naive':>7s} {'method':>20s} "
          f"{'fit ms':>8s} {'cpu ms':>7s} {'prophet ms':>10s} {'cpu ms':>7s}")
    for r in rows:
        ofit = (f"{r['ours_fit_s'] * 1e3:8.1f} {r['ours_fit_cpu_s'] * 1e3:7.1f}" if r["ours_fit_s"]
                else "       -       -")
        print(f"{r['series']:58s} {r['ours_mase']:7.2f} {r['ours_prophet_style_mase']:7.2f} {r['prophet_mase']:8.2f} "
              f"{r['naive_mase']:7.2f} {str(r['ours_method']):>20s} {ofit} {r['prophet_fit_s'] * 1e3:10.0f} "
              f"{r['prophet_fit_cpu_s'] * 1e3:7.0f}")
    print(json.dumps(summary, indent=1))

    if plots:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(len(plots), 1, figsize=(11, 2.6 * len(plots)))
        for ax, (name, ctx, tail, ours_fc, pfc) in zip(axes if len(plots) > 1 else [axes], plots):
            ax.plot(ctx["ds"], ctx["value"], color="0.6", lw=0.8, label="history")
            ax.plot(tail["ds"], tail["value"], color="black", lw=0.8, label="held out")
            ax.plot(tail["ds"], ours_fc["p50"], color="tab:blue", lw=1.2, label="Foresight P50")
            ax.fill_between(tail["ds"], ours_fc["p10"], ours_fc["p90"], color="tab:blue", alpha=0.15, label="P10-P90")
            ax.plot(tail["ds"], pfc["yhat"], color="tab:orange", lw=1.2, label="Prophet yhat")
            ax.set_title(name, fontsize=9)
            ax.tick_params(labelsize=7)
        (axes[0] if len(plots) > 1 else axes).legend(fontsize=7, ncol=5, loc="upper left")
        fig.tight_layout()
        png = args.plot or os.path.join(args.out, "forecast_vs_prophet.png")
        os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
        fig.savefig(png, dpi=110)
        log(f"[plot] {png}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Evaluation-speed benchmark: inferences per second of `tinyprune eval`
with 1 and 2 threads.

Models:
  * the MLPerf Tiny VWW model (../shared/models/mlperf-tiny/vww_96_int8.tflite)
    on 200 random int8 images with random labels (accuracy meaningless);
  * every fixture model test/models/<data>_<net>_<kind>.tflite on its test
    split: <data> "mnist" reads mnist/test_{x,y}.npy, "fmnist" (or
    "fashion...") fashion-mnist/test_{x,y}.npy under $TINYPRUNE_DATA
    (default ~/.cache/tinyprune-data).
Whatever is missing is skipped with a note. Each configuration runs
--repeats times (default 3); the table gives the median throughput as eval
reports it (wall time of the evaluation loop, model loading excluded),
and how many cores the 2-thread process actually got: on a shared machine
the 2-thread figure can only be as good as the cores that were free.

    /usr/bin/python3 bench/eval_speed.py [--build build] [--models DIR]
                                         [--data-dir DIR] [--limit N]
"""

import argparse
import glob
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "utils"))
from npygen import write_npy  # noqa: E402

VWW = os.path.normpath(os.path.join(ROOT, "..", "shared", "models",
                                    "mlperf-tiny", "vww_96_int8.tflite"))


def default_data_dir():
    env = os.environ.get("TINYPRUNE_DATA")
    if env:
        return env
    return os.path.join(os.path.expanduser("~"), ".cache", "tinyprune-data")


def dataset_of(model):
    """The data set folder name of a fixture model, from its file name."""
    name = os.path.basename(model).lower()
    if name.startswith("fmnist") or name.startswith("fashion"):
        return "fashion-mnist"
    if name.startswith("mnist"):
        return "mnist"
    return None


def run_eval(tinyprune, model, data, labels, threads, limit, tmp):
    out = os.path.join(tmp, "result.json")
    cmd = [tinyprune, "eval", model, "--data", data, "--labels", labels,
           "--threads", str(threads), "--json", out]
    if limit:
        cmd += ["--limit", str(limit)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip())
    with open(out) as f:
        result = json.load(f)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # How many cores the process had on average (loading included).
    result["cores_used"] = cpu / wall if wall > 0 else 0.0
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default=os.path.join(ROOT, "test", "models"),
                    help="folder of fixture .tflite models")
    ap.add_argument("--data-dir", default=default_data_dir())
    ap.add_argument("--limit", type=int, default=0,
                    help="evaluate at most N samples of each test split")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vww-samples", type=int, default=200)
    args = ap.parse_args()

    tinyprune = os.path.join(args.build, "bin", "tinyprune")
    if not os.path.exists(tinyprune):
        sys.exit(f"eval_speed: {tinyprune} not found; build first")

    with tempfile.TemporaryDirectory(prefix="eval-speed-") as tmp:
        cases = []  # (label, model, data, labels)
        if os.path.exists(VWW):
            rng = random.Random(1)
            n = args.vww_samples
            x = os.path.join(tmp, "vww_x.npy")
            y = os.path.join(tmp, "vww_y.npy")
            write_npy(x, [rng.randrange(-128, 128)
                          for _ in range(n * 96 * 96 * 3)],
                      [n, 96, 96, 3], "int8")
            write_npy(y, [rng.randrange(2) for _ in range(n)], [n], "int64")
            cases.append(("vww_96_int8 (random)", VWW, x, y))
        else:
            print(f"skipped: {VWW} (not found)")
        models = sorted(glob.glob(os.path.join(args.models, "*.tflite")))
        if not models:
            print(f"skipped: no fixture models in {args.models}")
        for model in models:
            ds = dataset_of(model)
            if ds is None:
                print(f"skipped: {model} (unknown data set)")
                continue
            x = os.path.join(args.data_dir, ds, "test_x.npy")
            y = os.path.join(args.data_dir, ds, "test_y.npy")
            if not (os.path.exists(x) and os.path.exists(y)):
                print(f"skipped: {model} (no {x})")
                continue
            cases.append((os.path.basename(model)[:-len(".tflite")], model,
                          x, y))

        rows = []
        for label, model, x, y in cases:
            limit = args.limit if label != "vww_96_int8 (random)" else 0
            rates, cores, result = {}, [], None
            try:
                for threads in (1, 2):
                    runs = []
                    for _ in range(args.repeats):
                        result = run_eval(tinyprune, model, x, y, threads,
                                          limit, tmp)
                        runs.append(result["inferences_per_second"])
                        if threads == 2:
                            cores.append(result["cores_used"])
                    rates[threads] = statistics.median(runs)
            except RuntimeError as err:
                print(f"failed: {label}: {err}")
                continue
            top1 = result.get("top1_accuracy")
            rows.append((label, result["samples"],
                         "-" if top1 is None else "%.2f%%" % (100 * top1),
                         rates[1], rates[2], statistics.median(cores)))

    print()
    print("%-24s %7s %8s %12s %12s %8s %10s" % (
        "model", "samples", "top-1", "inf/s 1 thr", "inf/s 2 thr", "speedup",
        "cores (2)"))
    for label, n, top1, r1, r2, c in rows:
        print("%-24s %7d %8s %12.1f %12.1f %7.2fx %10.2f" % (
            label, n, top1, r1, r2, r2 / r1, c))
    print("\ncores (2): CPU time / wall time of the 2-thread runs (loading "
          "included);\nwell below 2 means other processes held the cores.")


if __name__ == "__main__":
    main()

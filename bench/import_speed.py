#!/usr/bin/env python3
"""Import-speed benchmark: how long tinyprune-translate --import-tflite takes
on models of growing weight size, and how much memory it peaks at.

Models are int8 stacks of fully-connected layers (weights dominate the file,
as in real MCU models), built with utils/tflgen.py, plus the MLPerf Tiny
models when ../shared is present. Each import runs 5 times; the table gives
the median wall time (process start included) and the largest peak RSS.

    /usr/bin/python3 bench/import_speed.py [--build build]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "utils"))
from tflgen import Model  # noqa: E402


SIZES = [(256, 8), (512, 8), (1024, 2), (1024, 8)]


def fc_stack(path, width, layers):
    """`layers` int8 FC layers of width x width: about width^2 * layers bytes."""
    m = Model(description=f"fc stack {width}x{layers}")
    x = m.tensor("in", [1, width], "INT8", scale=0.1, zero_point=0)
    h = x
    for i in range(layers):
        w = m.const(f"w{i}", [width, width], "INT8",
                    values=bytes((j * 31 + i) % 251 for j in range(width * width)),
                    scale=[0.01] * width, zero_point=[0] * width,
                    quantized_dimension=0)
        b = m.const(f"b{i}", [width], "INT32", values=[i] * width)
        y = m.tensor(f"h{i}", [1, width], "INT8", scale=0.1, zero_point=0)
        m.op("FULLY_CONNECTED", [h, w, b], [y], version=4,
             options=("FullyConnectedOptions",
                      {"fused_activation_function": "RELU"}))
        h = y
    m.inputs([x])
    m.outputs([h])
    m.write(path)


def run(translate, model, repeats=5):
    """Median wall time and peak RSS (KiB) of importing `model`."""
    times = []
    peak = 0
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.Popen([translate, "--import-tflite", model, "-o",
                                 os.devnull])
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"import of {model} failed")
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(times), peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--make", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:
        for width, layers in SIZES:
            fc_stack(os.path.join(args.make, f"fc_{width}x{layers}.tflite"),
                     width, layers)
        return
    translate = os.path.join(args.build, "bin", "tinyprune-translate")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # Built in another process: a fork inherits this one's peak RSS.
        subprocess.run([sys.executable, os.path.abspath(__file__), "--make",
                        tmp], check=True)
        for width, layers in SIZES:
            path = os.path.join(tmp, f"fc_{width}x{layers}.tflite")
            rows.append((os.path.basename(path), path))
        shared = os.path.join(ROOT, "..", "shared", "models", "mlperf-tiny")
        if os.path.isdir(shared):
            for f in sorted(os.listdir(shared)):
                if f.endswith(".tflite"):
                    rows.append((f, os.path.join(shared, f)))
        print(f"{'model':34} {'file MB':>8} {'median s':>9} {'MB/s':>8} "
              f"{'peak RSS MB':>12}")
        for name, path in rows:
            size = os.path.getsize(path) / 1e6
            t, rss_kb = run(translate, path)
            print(f"{name:34} {size:8.2f} {t:9.3f} {size / t:8.1f} "
                  f"{rss_kb / 1024:12.1f}")


if __name__ == "__main__":
    main()

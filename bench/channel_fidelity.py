#!/usr/bin/env python3
"""Structured channel pruning (--channel-prune) on the MLPerf Tiny image
models (IC: ResNet-8 on CIFAR-10, VWW: MobileNetV1 0.25), whose data sets
are not here: fidelity to the dense model (bench/fidelity.py: top-1
agreement beside the majority share, and the output error relative to the
dense outputs' variance, which is >= 1 for any model whose output does not
depend on its input) against the arena and flash `tinyprune compile`
reports and the M4F instructions of the cost model.

    /usr/bin/python3 bench/channel_fidelity.py [--models ic,vww]
        [--configs ratio=0.3,ram=0.5,flash=0.5,latency=0.5]
        [--methods magnitude,calibrated] [--json FILE]

`magnitude` is data-free; `calibrated` ranks by the consumers' output
error on a calibration set and re-solves them by least squares; that set is
the kit's sample input and 255 synthetic images of fidelity.py's pool drawn
with another seed than the fidelity inputs (never the inputs measured). No
fine-tune (no labels; distillation on synthetic images is not measured
here). Budgets are fractions of the dense model's figures. Runs niced, one
thread.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fidelity  # noqa: E402
from channel_bench import run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TINYPRUNE_BIN", os.path.join(ROOT, "build", "bin"))
MLPERF = os.path.join(ROOT, "..", "shared", "models", "mlperf-tiny")
DATA = os.path.expanduser("~/.cache/tinyprune-data/fashion-mnist")
# Short name -> (model file, sample input, fidelity pool size, inputs per
# dense top-1 class), as bench/prune_bench.py measures them.
MODELS = {"ic": ("pretrainedResnet_quant", "ic_input0_int8", 1500, 25),
          "vww": ("vww_96_int8", "vww_input0_int8", 1000, 150)}
FIDELITY_SEED, CALIBRATION_SEED = 1, 7


def compile_model(mlir, gen):
    out = run([os.path.join(BIN, "tinyprune"), "compile", mlir, "-o", gen,
               "--name", "m"])
    m = re.search(r"(\d+) constant bytes, arena (\d+) bytes", out)
    instr = float(re.search(
        r"cost-model total: .* (\d+) instructions",
        run([os.path.join(BIN, "tinyprune-opt"), mlir,
             "--tinyprune-model-stats=core=cortex-m4", "-o",
             os.devnull])).group(1))
    return {"flash": int(m.group(1)), "arena": int(m.group(2)),
            "m4_instr": instr}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="ic,vww")
    ap.add_argument("--configs", default="ratio=0.3,ram=0.5,flash=0.5,"
                    "latency=0.5")
    ap.add_argument("--methods", default="magnitude,calibrated")
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.path.isdir(MLPERF):
        sys.exit("no MLPerf Tiny models in %s" % MLPERF)
    train_x = np.load(os.path.join(DATA, "train_x.npy"), mmap_mode="r")
    gray = np.asarray(train_x[:1000], np.float64).reshape(-1, 28, 28)
    gray *= 255 / max(gray.max(), 1e-9)
    rows = []
    print("%-5s %-12s %-10s %6s %6s %7s %8s %8s %11s" %
          ("model", "config", "method", "agree", "major", "out err",
           "arena B", "flash B", "M4F instr"))
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            model, sample_name, n_pool, per_class = MODELS[name]
            dense = os.path.join(tmp, name + ".mlir")
            run([os.path.join(BIN, "tinyprune-translate"), "--import-tflite",
                 os.path.join(MLPERF, model + ".tflite"), "-o",
                 dense + ".tosa"])
            run([os.path.join(BIN, "tinyprune-opt"), dense + ".tosa",
                 "--tinyprune-raise-to-layers", "-o", dense])
            text = open(dense).read()
            shape = tuple(int(s) for s in re.search(
                r"@main\(%arg0: tensor<1x(\d+)x(\d+)x(\d+)xi8>",
                text).groups())
            sample = np.fromfile(os.path.join(MLPERF, "samples",
                                              sample_name + ".bin"),
                                 dtype=np.int8).reshape(shape)
            gen = os.path.join(tmp, name + "-dense")
            d = compile_model(dense, gen)
            exe = fidelity.build_host(gen, "m", gen + "-work")
            xs = fidelity.input_set(exe, sample, n_pool, per_class,
                                    FIDELITY_SEED, gray, gen + "-work")
            yd = fidelity.run_batch(exe, xs, gen + "-work")
            quant = fidelity.output_quant(text)
            # Calibration: the sample and pool images of another seed.
            cal = fidelity.pool(shape, 255, CALIBRATION_SEED, gray,
                                sample.astype(np.int16) + 128)
            cal = np.concatenate([sample[None].astype(np.int8),
                                  (cal.astype(np.int16) - 128)
                                  .astype(np.int8)])
            cal_path = os.path.join(tmp, name + "_cal.npy")
            np.save(cal_path, cal)
            f = fidelity.measure(yd, yd, quant)
            rows.append(dict(model=name, config="dense", **d, **f))
            print("%-5s %-12s %-10s %6.3f %6.3f %7.3f %8d %8d %11.0f" %
                  (name, "dense", "-", f["agreement"], f["majority"],
                   f["output_error"], d["arena"], d["flash"],
                   d["m4_instr"]), flush=True)
            for config in args.configs.split(","):
                kind, value = config.split("=")
                value = float(value)
                goal = {"ratio": lambda: "ratio=%g" % value,
                        "ram": lambda: "ram-budget=%d" % int(d["arena"] *
                                                             value),
                        "flash": lambda: "flash-budget=%d" % int(
                            d["flash"] * value),
                        "latency": lambda: "latency-budget=%d" % int(
                            d["m4_instr"] * value)}[kind]()
                for method in args.methods.split(","):
                    opts = goal + " threads=1"
                    if method == "calibrated":
                        opts += " calibration=%s" % \
                            cal_path
                    pruned = os.path.join(tmp, name + "_pruned.mlir")
                    p = subprocess.run(
                        ["nice", os.path.join(BIN, "tinyprune-opt"), dense,
                         "--channel-prune=" + opts, "-o", pruned],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True)
                    if p.returncode != 0:
                        why = p.stdout.strip().splitlines()[-1]
                        rows.append(dict(model=name, config=config,
                                         method=method, error=why))
                        print("%-5s %-12s %-10s %s" % (name, config, method,
                                                       why), flush=True)
                        continue
                    pgen = os.path.join(tmp, name + "-pruned")
                    r = compile_model(pruned, pgen)
                    pexe = fidelity.build_host(pgen, "m", pgen + "-work")
                    y = fidelity.run_batch(pexe, xs, pgen + "-work")
                    fidelity.check_against_interpreter(
                        os.path.join(BIN, "tinyprune"), pruned, xs[:2], y[:2],
                        pgen + "-work")
                    f = fidelity.measure(yd, y, quant)
                    rows.append(dict(model=name, config=config, goal=goal,
                                     method=method, **r, **f))
                    print("%-5s %-12s %-10s %6.3f %6.3f %7.3f %8d %8d %11.0f"
                          % (name, config, method, f["agreement"],
                             f["majority"], f["output_error"], r["arena"],
                             r["flash"], r["m4_instr"]), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(rows=rows), fh, indent=1)


if __name__ == "__main__":
    main()

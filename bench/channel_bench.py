#!/usr/bin/env python3
"""Structured channel pruning (--channel-prune) on the Fashion-MNIST int8
fixtures: top-1 on the 10k test set against the arena and the flash that
`tinyprune compile` reports and the Cortex-M4F instructions of the cost
model, dense and at a few ratios and budgets.

    /usr/bin/python3 bench/channel_bench.py [--models dscnn,mobilenet,resnet8]
        [--configs ram=0.5,flash=0.5,latency=0.5,ratio=0.3]
        [--limit 2000] [--epochs 1] [--methods calibrated,gates]
        [--gate-epochs 1] [--steps 1] [--final-epochs N] [--chained]
        [--calibration-limit N] [--reports DIR] [--keep DIR] [--json FILE]

Every pruned model is: imported, raised, `--channel-prune` with the
configuration, calibration on the first `--limit` training samples (the
consumers of removed channels re-solved by least squares) and, with
`--epochs` > 0, a quantization-aware fine-tune with the training labels on
the same samples; then `tinyprune compile` (arena, constant bytes) and
`tinyprune eval` (top-1). `ram=F`, `flash=F` and `latency=F` are budgets
at F times the dense model's arena, flash and M4F instructions. Runs one
at a time, one thread each (the machine is shared); expect a few minutes
per pruned model. Prints one table row per model, configuration and
method.

`--steps N` prunes progressively: `--channel-prune` with `steps=N`, the
budgets approached in N steps inside one run of the pass (geometric
budgets, each step ranked, re-solved and fine-tuned for `--epochs` on the
model the previous one left, distilling from the dense model). With
`--chained`, the earlier form instead: N runs of the pass one after the
other, run k to the budget 1 - (1 - F) k / N times the dense figure, each
distilling from the model it starts from.
`--limit` is the fine-tuning samples (`finetune-limit`), `--calibration-limit`
the ranking's and re-solve's (default: `--limit`). `--reports DIR` keeps
the pass's report of every pruned model (with steps: every step's budget,
channels, arena, flash, instructions and fine-tune) in DIR. `--keep DIR`
keeps the pruned models there. `--final-epochs N` gives the pass's last
step (with `--steps`, else its only step) N epochs of fine-tuning instead
of `--epochs` (`final-epochs=N`).

`--methods` chooses the channels: `calibrated` (the consumers' output error
on the samples, consumers re-solved) and/or `gates` (`gate-epochs=N`:
differentiable gates trained with the labels under the budget's resource
penalties on the same samples, then the same fine-tune).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# TINYPRUNE_BIN: the binaries to run (a copy, while the build tree changes).
BIN = os.environ.get("TINYPRUNE_BIN", os.path.join(ROOT, "build", "bin"))
DATA = os.path.expanduser("~/.cache/tinyprune-data/fashion-mnist")


def run(cmd):
    """Runs `cmd` niced; its stdout and stderr together, or exits."""
    p = subprocess.run(["nice"] + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stdout))
    return p.stdout


def measure(mlir, tmp):
    """Arena and constant bytes from `tinyprune compile`, top-1 from
    `tinyprune eval`, M4F instructions from the cost model."""
    out = run([os.path.join(BIN, "tinyprune"), "compile", mlir, "-o",
               os.path.join(tmp, "cpp"), "--name", "m"])
    m = re.search(r"(\d+) constant bytes, arena (\d+) bytes", out)
    flash, arena = int(m.group(1)), int(m.group(2))
    out = run([os.path.join(BIN, "tinyprune"), "eval", mlir, "--data",
               os.path.join(DATA, "test_x.npy"), "--labels",
               os.path.join(DATA, "test_y.npy"), "--threads", "1"])
    top1 = float(re.search(r"top-1 accuracy:\s+([0-9.]+)%", out).group(1))
    out = run([os.path.join(BIN, "tinyprune-opt"), mlir,
               "--tinyprune-model-stats=core=cortex-m4", "-o", os.devnull])
    instr = float(re.search(r"cost-model total: .* (\d+) instructions",
                            out).group(1))
    return {"top1": top1, "arena": arena, "flash": flash, "m4_instr": instr}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="dscnn,mobilenet,resnet8")
    ap.add_argument("--configs",
                    default="ram=0.5,flash=0.5,latency=0.5,ratio=0.3")
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--methods", default="calibrated")
    ap.add_argument("--gate-epochs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--final-epochs", type=int)
    ap.add_argument("--keep")
    ap.add_argument("--chained", action="store_true")
    ap.add_argument("--reports")
    ap.add_argument("--calibration-limit", type=int)
    ap.add_argument("--json")
    ap.add_argument("--no-labels", action="store_true",
                    help="fine-tune without labels: distillation from the "
                         "model before the pass alone")
    args = ap.parse_args()
    rows = []
    print("%-10s %-12s %-10s %7s %8s %8s %11s %8s" %
          ("model", "config", "method", "top-1", "arena B", "flash B",
           "M4F instr", "minutes"))
    with tempfile.TemporaryDirectory() as tmp:
        # Every model dense first, then each configuration over the models,
        # so that a run cut short has every model at the first budgets.
        dense = {}
        for model in args.models.split(","):
            tfl = os.path.join(ROOT, "test", "models",
                               "fashion_%s_int8.tflite" % model)
            raised = os.path.join(tmp, model + ".mlir")
            run([os.path.join(BIN, "tinyprune-translate"), "--import-tflite",
                 tfl, "-o", os.path.join(tmp, model + "_tosa.mlir")])
            run([os.path.join(BIN, "tinyprune-opt"),
                 os.path.join(tmp, model + "_tosa.mlir"),
                 "--tinyprune-raise-to-layers", "-o", raised])
            d = measure(raised, tmp)
            dense[model] = d
            rows.append(dict(model=model, config="dense", minutes=0.0, **d))
            print("%-10s %-12s %-10s %7.2f %8d %8d %11.0f %8s" %
                  (model, "dense", "-", d["top1"], d["arena"], d["flash"],
                   d["m4_instr"], "-"), flush=True)
        for config in args.configs.split(","):
            kind, value = config.split("=")
            value = float(value)
            for model in args.models.split(","):
                d = dense[model]
                def goal_at(fraction):
                    if kind == "ratio":
                        return "ratio=%g" % value
                    if kind == "ram":
                        return "ram-budget=%d" % int(d["arena"] * fraction)
                    if kind == "flash":
                        return "flash-budget=%d" % int(d["flash"] * fraction)
                    return "latency-budget=%d" % int(d["m4_instr"] *
                                                     fraction)
                steps = 1 if kind == "ratio" else args.steps
                goal = goal_at(value)
                calib_limit = args.calibration_limit or args.limit
                for method in args.methods.split(","):
                    source = os.path.join(tmp, model + ".mlir")
                    start = time.time()
                    # One run of the pass with steps=N, or N chained runs.
                    runs = steps if args.chained else 1
                    for k in range(1, runs + 1):
                        opts = ("%s calibration=%s calibration-limit=%d "
                                "finetune-limit=%d threads=1 "
                                "finetune-threads=1" %
                                (goal_at(1 - (1 - value) * k / runs),
                                 os.path.join(DATA, "train_x.npy"),
                                 calib_limit, args.limit))
                        if runs == 1 and steps > 1:
                            opts += " steps=%d" % steps
                        if args.reports:
                            opts += " report=%s" % os.path.join(
                                args.reports, "%s_%s_%s_%d.txt" %
                                (model, config, method, k))
                        if (args.epochs > 0 or args.final_epochs or
                                method == "gates") and not args.no_labels:
                            opts += " labels=%s" % os.path.join(
                                DATA, "train_y.npy")
                        if args.epochs > 0:
                            opts += " epochs=%d" % args.epochs
                        if args.final_epochs is not None and k == runs:
                            opts += " final-epochs=%d" % args.final_epochs
                        if method == "gates":
                            opts += " gate-epochs=%d" % args.gate_epochs
                        pruned = os.path.join(tmp, "%s_pruned%d.mlir" %
                                              (model, k))
                        run([os.path.join(BIN, "tinyprune-opt"), source,
                             "--channel-prune=" + opts, "-o", pruned])
                        source = pruned
                    minutes = (time.time() - start) / 60
                    if args.keep:
                        shutil.copy(pruned, os.path.join(
                            args.keep, "%s_%s_%s.mlir" %
                            (model, config, method)))
                    r = measure(pruned, tmp)
                    rows.append(dict(model=model, config=config, goal=goal,
                                     method=method, minutes=minutes, **r))
                    print("%-10s %-12s %-10s %7.2f %8d %8d %11.0f %8.1f" %
                          (model, config, method, r["top1"], r["arena"],
                           r["flash"], r["m4_instr"], minutes), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(limit=args.limit, epochs=args.epochs,
                           steps=args.steps, chained=args.chained,
                           final_epochs=args.final_epochs,
                           calibration_limit=args.calibration_limit,
                           gate_epochs=args.gate_epochs, rows=rows),
                      f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""In-compiler training: speed and results (docs/training.md).

    /usr/bin/python3 bench/train_bench.py speed [--models ...] [--samples N]
        [--threads T]
    /usr/bin/python3 bench/train_bench.py results [--models ...]
        [--sparsity S] [--samples N] [--epochs E] [--learning-rate LR]

speed: for each Fashion-MNIST fixture, training samples per second of
`--tinyprune-finetune` and the wall time of one prune + fine-tune.
  - samples/s: the pass runs on the raised dense model with `epochs=2` and
    with `epochs=0` (same data, same validation split); the difference in
    wall time is the time of two epochs over the training part of the
    samples (the first N training images minus the 10 % validation split).
    Loading the data, the validation passes and process start are in both
    runs and cancel out.
  - prune + fine-tune: one `tinyprune-opt` run of `--filterlet-prune`
    (sparsity 0.5, calibration on 512 training images, with recovery) then
    `--tinyprune-raise-to-layers` and `--tinyprune-finetune` (N samples,
    1 epoch, labels), wall time.

results: for each fixture, top-1 on the 10,000 test images of the dense
model, of the model pruned by `--filterlet-prune` (sparsity S, calibration
on 512 training images, recovery on, `target=none`), and of that model
fine-tuned with labels and by distillation from the dense `.tflite`
(`calibration-limit=N epochs=E`, the other options at their defaults).

The data come from scripts/fetch-data.sh (${TINYPRUNE_DATA:-~/.cache/
tinyprune-data}); the tools from build/bin.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
MODELS = os.path.join(ROOT, "test", "models")
DATA = os.path.join(
    os.environ.get("TINYPRUNE_DATA",
                   os.path.expanduser("~/.cache/tinyprune-data")),
    "fashion-mnist")
FIXTURES = ["fashion_dscnn_int8", "fashion_mobilenet_int8",
            "fashion_resnet8_int8", "fashion_dscnn_float",
            "fashion_mobilenet_float", "fashion_resnet8_float"]


def run(args):
    """Runs a tool; its wall time in seconds. Exits with its error."""
    start = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"train_bench: {' '.join(args[:2])} failed:\n{r.stderr}")
    return time.monotonic() - start


def import_model(name, out):
    run([f"{BIN}/tinyprune-translate", "--import-tflite",
         f"{MODELS}/{name}.tflite", "-o", out])


def finetune_opts(samples, epochs, threads, extra=""):
    return (f"calibration={DATA}/train_x.npy labels={DATA}/train_y.npy "
            f"calibration-limit={samples} epochs={epochs} threads={threads}"
            + (" " + extra if extra else ""))


def top1(model):
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        run([f"{BIN}/tinyprune", "eval", model, "--data",
             f"{DATA}/test_x.npy", "--labels", f"{DATA}/test_y.npy",
             "--threads", "2", "--json", report.name])
        with open(report.name) as f:
            return 100.0 * json.load(f)["top1_accuracy"]


def speed(args, tmp):
    print(f"{'model':28} {'samples/s':>10} {'prune+finetune s':>17}")
    for name in args.models:
        dense = os.path.join(tmp, name + ".mlir")
        import_model(name, dense)
        raised = os.path.join(tmp, name + "_raised.mlir")
        run([f"{BIN}/tinyprune-opt", dense, "--tinyprune-raise-to-layers",
             "-o", raised])
        times = {}
        for epochs in (0, 2):
            times[epochs] = run([
                f"{BIN}/tinyprune-opt", raised,
                "--tinyprune-finetune=" + finetune_opts(
                    args.samples, epochs, args.threads), "-o", os.devnull])
        trained = 2 * (args.samples - int(args.samples * 0.1))
        rate = trained / max(1e-9, times[2] - times[0])
        whole = run([
            f"{BIN}/tinyprune-opt", dense, "--tinyprune-raise-to-layers",
            "--filterlet-prune=sparsity=0.5 target=none "
            f"calibration={DATA}/train_x.npy calibration-limit=512",
            "--tinyprune-finetune=" + finetune_opts(
                args.samples, 1, args.threads), "-o", os.devnull])
        print(f"{name:28} {rate:10.0f} {whole:17.1f}", flush=True)


def results(args, tmp):
    print(f"{'model':28} {'dense':>7} {'pruned':>7} {'labels':>7} "
          f"{'distill':>7}   (top-1 %, sparsity {args.sparsity}, "
          f"{args.samples} samples, {args.epochs} epochs)")
    for name in args.models:
        dense = os.path.join(tmp, name + ".mlir")
        import_model(name, dense)
        pruned = os.path.join(tmp, name + "_pruned.mlir")
        run([f"{BIN}/tinyprune-opt", dense, "--tinyprune-raise-to-layers",
             f"--filterlet-prune=sparsity={args.sparsity} target=none "
             f"calibration={DATA}/train_x.npy calibration-limit=512",
             "-o", pruned])
        row = [top1(dense), top1(pruned)]
        for target in (f"labels={DATA}/train_y.npy",
                       f"teacher={MODELS}/{name}.tflite"):
            tuned = os.path.join(tmp, name + "_tuned.mlir")
            run([f"{BIN}/tinyprune-opt", pruned,
                 f"--tinyprune-finetune=calibration={DATA}/train_x.npy "
                 f"{target} "
                 f"calibration-limit={args.samples} epochs={args.epochs} "
                 f"learning-rate={args.learning_rate} threads={args.threads}",
                 "-o", tuned])
            row.append(top1(tuned))
        print(f"{name:28} " + " ".join(f"{v:7.2f}" for v in row),
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["speed", "results"])
    ap.add_argument("--models", default=",".join(FIXTURES))
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--learning-rate", type=float, default=1e-4)
    ap.add_argument("--sparsity", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    args.models = args.models.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        (speed if args.mode == "speed" else results)(args, tmp)


if __name__ == "__main__":
    main()

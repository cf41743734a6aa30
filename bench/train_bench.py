#!/usr/bin/env python3
"""In-compiler training: speed and results (docs/training.md).

    /usr/bin/python3 bench/train_bench.py speed [--models ...] [--samples N]
        [--threads T]
    /usr/bin/python3 bench/train_bench.py results [--models ...]
        [--sparsity S,...] [--samples N] [--epochs E] [--learning-rate LR]
        [--prune-samples P] [--reuse-pruned] [--objectives labels,distill]
        [--prune-steps K [--prune-end F]] [--prune-options "OPTS"]

speed: for each Fashion-MNIST fixture, training samples per second of
`--tinyprune-finetune` and the wall time of one prune + fine-tune.
  - samples/s: the pass runs on the raised dense model with `epochs=2` and
    with `epochs=0` (same data, same validation split); the difference in
    wall time is the time of two epochs over the training part of the
    samples (the first N training images minus the 10 % validation split).
    Loading the data, the validation passes and process start are in both
    runs and cancel out. "CPU samples/s" is the same from the CPU time
    (user + system) of the two runs: on a loaded machine it is what the
    work costs, where the wall time also counts the waits for a core.
  - prune + fine-tune: one `tinyprune-opt` run of `--filterlet-prune`
    (sparsity 0.5, calibration on 512 training images, with recovery) then
    `--tinyprune-raise-to-layers` and `--tinyprune-finetune` (N samples,
    1 epoch, labels), wall time.

results: for each fixture and sparsity S, top-1 on the 10,000 test images
of the dense model, of the model pruned by `--filterlet-prune` (sparsity S,
calibration on --prune-samples training images, recovery on,
`target=none`), and of the same pass with `epochs=E finetune-limit=N`
(fine-tuning after recovery, options at their defaults otherwise) with
labels and without (distillation from the model before pruning). N=0:
all 60,000 training images. With --prune-steps K the pass prunes
gradually while it fine-tunes (`prune-steps=K prune-end=F`: no recovery,
the selection's per-layer counts reached in K steps by the F fraction of
training); the "pruned" column stays the one-shot prune without
fine-tuning. --prune-options adds `--filterlet-prune` options to the
pruning of every row (e.g. "block=8 layer-sparsity=5=0"); the header
names them.

The data come from scripts/fetch-data.sh (${TINYPRUNE_DATA:-~/.cache/
tinyprune-data}); the tools from build/bin.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TINYPRUNE_BIN", os.path.join(ROOT, "build", "bin"))
MODELS = os.path.join(ROOT, "test", "models")
DATA = os.path.join(
    os.environ.get("TINYPRUNE_DATA",
                   os.path.expanduser("~/.cache/tinyprune-data")),
    "fashion-mnist")
FIXTURES = ["fashion_dscnn_int8", "fashion_mobilenet_int8",
            "fashion_resnet8_int8", "fashion_dscnn_float",
            "fashion_mobilenet_float", "fashion_resnet8_float"]


CPU_SECONDS = [0.0]
EVAL_THREADS = [1]


def run(args):
    """Runs a tool; its wall time in seconds (its CPU time, user + system,
    in CPU_SECONDS[0]). Exits with its error."""
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(args, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS[0] = (after.ru_utime - before.ru_utime +
                      after.ru_stime - before.ru_stime)
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
             "--threads", str(EVAL_THREADS[0]), "--json", report.name])
        with open(report.name) as f:
            return 100.0 * json.load(f)["top1_accuracy"]


def speed(args, tmp):
    print(f"{'model':28} {'samples/s':>10} {'CPU samples/s':>14} "
          f"{'prune+finetune s':>17}")
    for name in args.models:
        dense = os.path.join(tmp, name + ".mlir")
        import_model(name, dense)
        raised = os.path.join(tmp, name + "_raised.mlir")
        run([f"{BIN}/tinyprune-opt", dense, "--tinyprune-raise-to-layers",
             "-o", raised])
        times, cpu = {}, {}
        for epochs in (0, 2):
            times[epochs] = run([
                f"{BIN}/tinyprune-opt", raised,
                "--tinyprune-finetune=" + finetune_opts(
                    args.samples, epochs, args.threads), "-o", os.devnull])
            cpu[epochs] = CPU_SECONDS[0]
        trained = 2 * (args.samples - int(args.samples * 0.1))
        rate = trained / max(1e-9, times[2] - times[0])
        cpu_rate = trained / max(1e-9, cpu[2] - cpu[0])
        whole = run([
            f"{BIN}/tinyprune-opt", dense, "--tinyprune-raise-to-layers",
            "--filterlet-prune=sparsity=0.5 target=none "
            f"calibration={DATA}/train_x.npy calibration-limit=512",
            "--tinyprune-finetune=" + finetune_opts(
                args.samples, 1, args.threads), "-o", os.devnull])
        print(f"{name:28} {rate:10.0f} {cpu_rate:14.0f} {whole:17.1f}",
              flush=True)


def results(args, tmp):
    how = ("--tinyprune-finetune on the pruned model" if args.reuse_pruned
           else "--filterlet-prune")
    if args.prune_options:
        how += f", pruned with {args.prune_options}"
    if args.prune_steps:
        how += (f", pruned gradually in {args.prune_steps} steps by "
                f"{args.prune_end} of training")
    print(f"{'model':28} {'sparsity':>8} {'dense':>7} {'pruned':>7} "
          f"{'labels':>7} {'distill':>7}   (top-1 %, fine-tuned by {how} "
          f"on {args.samples or 'all'} training images, "
          f"{args.epochs} epochs, learning rate {args.learning_rate})",
          flush=True)
    gradual = (f" prune-steps={args.prune_steps} prune-end={args.prune_end}"
               if args.prune_steps else "")
    for name in args.models:
        dense = os.path.join(tmp, name + ".mlir")
        import_model(name, dense)
        dense_top1 = top1(dense)
        for sparsity in args.sparsity.split(","):
            prune = (f"--filterlet-prune=sparsity={sparsity} target=none "
                     f"calibration={DATA}/train_x.npy "
                     f"calibration-limit={args.prune_samples}" +
                     (" " + args.prune_options if args.prune_options
                      else ""))
            pruned = os.path.join(tmp, name + "_pruned.mlir")
            run([f"{BIN}/tinyprune-opt", dense, "--tinyprune-raise-to-layers",
                 prune, "-o", pruned])
            row = [dense_top1, top1(pruned)]
            # With labels, and without: distillation from the model as it
            # was before the pass pruned it.
            for objective in ("labels", "distill"):
                if objective not in args.objectives:
                    row.append(None)
                    continue
                target = (f" labels={DATA}/train_y.npy"
                          if objective == "labels" else "")
                tuned = os.path.join(tmp, name + "_tuned.mlir")
                if args.reuse_pruned:
                    # The same training on the pruned model already made;
                    # distillation from the dense model (the function the
                    # pass keeps aside), without pruning again.
                    run([f"{BIN}/tinyprune-opt", pruned,
                         "--tinyprune-finetune="
                         f"calibration={DATA}/train_x.npy "
                         f"calibration-limit={args.samples} "
                         f"epochs={args.epochs} "
                         f"learning-rate={args.learning_rate} "
                         f"threads={args.threads}" +
                         (target or f" teacher={dense}"), "-o", tuned])
                else:
                    run([f"{BIN}/tinyprune-opt", dense,
                         "--tinyprune-raise-to-layers",
                         prune + f" epochs={args.epochs} "
                         f"finetune-limit={args.samples} "
                         f"learning-rate={args.learning_rate} "
                         f"finetune-threads={args.threads}" + gradual +
                         target,
                         "-o", tuned])
                row.append(top1(tuned))
            print(f"{name:28} {sparsity:>8} " +
                  " ".join("      -" if v is None else f"{v:7.2f}"
                           for v in row), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["speed", "results"])
    ap.add_argument("--models", default=",".join(FIXTURES))
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--learning-rate", type=float, default=1e-3)
    ap.add_argument("--sparsity", default="0.5,0.7",
                    help="results: comma-separated sparsities")
    ap.add_argument("--prune-samples", type=int, default=512,
                    help="results: calibration samples of the pruning")
    ap.add_argument("--reuse-pruned", action="store_true",
                    help="results: fine-tune the pruned model with "
                    "--tinyprune-finetune (teacher: the dense model) "
                    "instead of pruning again with epochs")
    ap.add_argument("--objectives", default="labels,distill",
                    help="results: labels, distill or both (a column "
                    "not run prints -)")
    ap.add_argument("--prune-steps", type=int, default=0,
                    help="results: prune gradually while fine-tuning, in "
                    "this many steps (--filterlet-prune's prune-steps; not "
                    "with --reuse-pruned)")
    ap.add_argument("--prune-end", type=float, default=0.5,
                    help="results: with --prune-steps, the fraction of "
                    "training at which the last pruning step happens")
    ap.add_argument("--prune-options", default="",
                    help="results: more --filterlet-prune options, "
                    "space-separated (e.g. \"block=8 layer-sparsity=5=0\")")
    ap.add_argument("--eval-threads", type=int, default=1,
                    help="threads of `tinyprune eval`")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    args.models = args.models.split(",")
    args.objectives = args.objectives.split(",")
    if not args.objectives or any(o not in ("labels", "distill")
                                  for o in args.objectives):
        ap.error("--objectives: labels, distill or labels,distill")
    if args.prune_steps and args.reuse_pruned:
        ap.error("--prune-steps prunes inside the fine-tune: not with "
                 "--reuse-pruned")
    EVAL_THREADS[0] = args.eval_threads
    with tempfile.TemporaryDirectory() as tmp:
        (speed if args.mode == "speed" else results)(args, tmp)


if __name__ == "__main__":
    main()

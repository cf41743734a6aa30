#!/usr/bin/env python3
"""Evaluates every fixture model on its held-out test split with
`tinyprune eval` and compares top-1 with the model card.

    check_accuracy.py MODELS_DIR DATA_DIR [--tolerance 0.1]

Each model card (MODELS_DIR/*.md) holds lines

    accuracy: <model file> top1=<percent> n=<test samples>

A model whose name starts with `fashion_` is evaluated on
DATA_DIR/fashion-mnist/test_{x,y}.npy, one starting with `mnist_` on
DATA_DIR/mnist/test_{x,y}.npy (scripts/fetch-data.sh writes them). Prints
one line per model and fails if any differs from its card by more than the
tolerance (in percentage points) or evaluates a different sample count.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

LINE = re.compile(r"^accuracy: (\S+) top1=([0-9.]+) n=([0-9]+)\s*$")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models")
    ap.add_argument("data")
    ap.add_argument("--tolerance", type=float, default=0.1,
                    help="largest allowed |eval - card| in points")
    args = ap.parse_args()
    cards = []
    for name in sorted(os.listdir(args.models)):
        if name.endswith(".md"):
            with open(os.path.join(args.models, name), encoding="utf-8") as f:
                for line in f:
                    m = LINE.match(line)
                    if m:
                        cards.append((m.group(1), float(m.group(2)),
                                      int(m.group(3))))
    if not cards:
        sys.exit("check_accuracy: no 'accuracy:' lines in the model cards")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model, want, count in cards:
            dataset = ("fashion-mnist" if model.startswith("fashion_") else
                       "mnist" if model.startswith("mnist_") else None)
            if dataset is None:
                print(f"FAIL {model}: no data set for this name")
                failures += 1
                continue
            report = os.path.join(tmp, model + ".json")
            d = os.path.join(args.data, dataset)
            r = subprocess.run(
                ["tinyprune", "eval", os.path.join(args.models, model),
                 "--data", os.path.join(d, "test_x.npy"),
                 "--labels", os.path.join(d, "test_y.npy"),
                 "--json", report], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {model}: {r.stderr.strip()}")
                failures += 1
                continue
            with open(report, encoding="utf-8") as f:
                result = json.load(f)
            got = 100.0 * result["top1_accuracy"]
            n = result["samples"]
            ok = abs(got - want) <= args.tolerance + 1e-9 and n == count
            print(f"{'ok  ' if ok else 'FAIL'} {model}: top1 {got:.2f} "
                  f"(card {want:.2f}), n={n} (card {count})")
            failures += not ok
    print(f"{len(cards) - failures} of {len(cards)} fixture models match "
          f"their cards")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

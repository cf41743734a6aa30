#!/usr/bin/env python3
"""Sparse (filterlet) convolution micro-benchmark: instructions of
sparseConvPerChannelInt8 against convPerChannelInt8 on the same masked
weights, counted under QEMU with the instruction plugin of shared/mcu-kit.

    /usr/bin/python3 bench/sparse_conv_bench.py [--cores cortex-m4,...]
                                                [--opt -Os]

Layers (test/mcu/Inputs/sparse_conv.cpp, -DSPARSE_BENCH): a 3x3 conv
16->32 on 16x16 with SAME padding and an input zero point (k x k
filterlets, B = 16), and a 1x1 conv 64->64 on 12x12 with the zero point
folded into the bias as the compiler emits it (B = 8 and 16), then layers
of the shapes the MLPerf IC model and the fixtures have: 3x3 32->32 on
16x16 (B = 32) and 64->64 on 8x8 (B = 64), and first layers 3x3 3->16 on
32x32 (B = 3) and 1->16 on 28x28 (B = 1); filterlet sparsity 0, 0.3, 0.5,
0.7 and 0.9, kept filterlets drawn at random over the
whole layer. Both kernels are called through noinline wrappers with the
geometry as run-time values, and every sparse output is checked against
the dense one. Columns: instructions of one layer invocation; `x dense`,
dense / sparse; `x own 0%`, the sparse kernel at sparsity 0 / at this
sparsity (what skipping filterlets buys, apart from the kernels'
differences); weight bytes in flash, dense (outC x kH x kW x inC) and
sparse as the compiler stores it (kept x B weights, kept x 1 id bytes for
at most 256 filterlets per filter, else 2, (outC + 1) x 2 row-pointer bytes,
and the per-layer offset/tapY/tapX tables, 6 bytes per filterlet id).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "test", "mcu", "Inputs")
sys.path.insert(0, INPUTS)
import run_firmware  # noqa: E402

KIT = os.path.join(ROOT, "..", "shared", "mcu-kit", "insncount.c")
TARGET = 1.8  # product target: fewer instructions than dense at sparsity 0.5


def measure(core, opt, plugin, work):
    elf, board = run_firmware.build(
        core, os.path.join(INPUTS, "sparse_conv.cpp"), ["SPARSE_BENCH"], work,
        opt)
    status, out, marks = run_firmware.run(elf, board, plugin)
    rows = [line for line in out.splitlines() if line.startswith("layer ")]
    if status != 0 or len(marks) != 3 * len(rows):
        sys.exit(f"sparse_conv_bench: {core} failed (status {status}):\n{out}")
    results = []
    for i, row in enumerate(rows):
        fields = [f.strip() for f in row[len("layer "):].split("|")]
        values = {k: int(v) for k, v in
                  (f.split() for f in fields[1:6])}
        results.append({
            "layer": fields[0], **values, "same": fields[6] == "same",
            "dense": marks[3 * i + 1] - marks[3 * i],
            "sparse": marks[3 * i + 2] - marks[3 * i + 1]})
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", default="cortex-m4,cortex-m0plus")
    ap.add_argument("--opt", default="-Os")
    args = ap.parse_args()
    if not os.path.exists(KIT):
        sys.exit("sparse_conv_bench: needs ../shared/mcu-kit")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        plugin = os.path.join(tmp, "libinsncount.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin, KIT],
                       check=True)
        print(f"{'core':13} {'layer':22} {'sparsity':>8} {'kept':>9} "
              f"{'dense insns':>11} {'sparse insns':>12} {'x dense':>7} "
              f"{'x own 0%':>8} {'dense B':>7} {'sparse B':>8}")
        for core in args.cores.split(","):
            results = measure(core, args.opt, plugin, tmp)
            own0 = {r["layer"]: r["sparse"] for r in results
                    if r["sparsity"] == 0}
            for r in results:
                ids = r["filterlets"] // r["outC"]
                dense_bytes = r["filterlets"] * r["B"]
                # As the compiler stores it: uint8 ids when a filter has at
                # most 256 filterlets, row pointers uint16 up to 65535 kept.
                id_bytes = 1 if ids <= 256 else 2 if ids <= 65536 else 4
                row_bytes = 2 if r["kept"] <= 65535 else 4
                sparse_bytes = (r["kept"] * (r["B"] + id_bytes) +
                                (r["outC"] + 1) * row_bytes + ids * 6)
                ratio = r["dense"] / r["sparse"]
                print(f"{core:13} {r['layer']:22} {r['sparsity'] / 100:8.1f} "
                      f"{r['kept']:4}/{r['filterlets']:<4} {r['dense']:11} "
                      f"{r['sparse']:12} {ratio:7.2f} "
                      f"{own0[r['layer']] / r['sparse']:8.2f} "
                      f"{dense_bytes:7} {sparse_bytes:8}"
                      f"{'' if r['same'] else '  OUTPUTS DIFFER'}")
                ok = ok and r["same"]
                if r["sparsity"] == 50 and ratio < TARGET:
                    print(f"  below the {TARGET}x target at sparsity 0.5")
    if not ok:
        sys.exit("sparse_conv_bench: sparse and dense outputs differ")


if __name__ == "__main__":
    main()

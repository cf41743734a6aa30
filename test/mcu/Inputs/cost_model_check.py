#!/usr/bin/env python3
"""Checks the cost model against measured Cortex-M instruction counts on
geometries the fit never saw (test/mcu/cost-model.test).

    cost_model_check.py --kit DIR --workdir DIR [--cores cortex-m4,...]
                        [--tolerance 0.15]

Each case is a one-layer int8 model (a convolution and its per-channel
rescale), written as TOSA, dense or with 60% of its filterlets pruned at
random (`tinyprune.filterlets`, pruned weights zero), compiled with `tinyprune compile`, and
run once under QEMU with the instruction plugin of shared/mcu-kit (as
bench/mcu_bench.py does). The model's input and output are the caller's,
so the inference is the kernel call alone. Prints one line per case and
core with the measured count, the estimate of
`tinyprune-opt --tinyprune-model-stats=core=...` and the relative error,
then `cost-model-check: N cases, F outside +-TOL`; exits 1 if F > 0.
"""

import argparse
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (name, H, W, inC, outC, k, stride, pad, input zero point, prune block or 0)
CASES = [
    ("3x3 s1 SAME 20->28 on 18x18 zp", 18, 18, 20, 28, 3, 1, 1, -7, 0),
    ("3x3 s1 SAME 20->28 on 18x18 zp, 60% kxk", 18, 18, 20, 28, 3, 1, 1, -7,
     20),
    ("1x1 40->56 on 14x14", 14, 14, 40, 56, 1, 1, 0, 0, 0),
    ("1x1 40->56 on 14x14, 60% B=8", 14, 14, 40, 56, 1, 1, 0, 0, 8),
    ("3x3 s2 VALID 24->40 on 21x21", 21, 21, 24, 40, 3, 2, 0, 3, 0),
]


def conv_model(h, w, ic, oc, k, stride, pad, zp, block, seed):
    """A func.func with one int8 conv2d + per-channel rescale."""
    r = random.Random(seed)
    oh = (h + 2 * pad - k) // stride + 1
    ow = (w + 2 * pad - k) // stride + 1

    def nest(values, shape):
        if len(shape) == 1:
            return "[" + ", ".join(values) + "]"
        step = len(values) // shape[0]
        return "[" + ", ".join(nest(values[i * step:(i + 1) * step],
                                    shape[1:])
                               for i in range(shape[0])) + "]"

    values = [r.randint(-100, 100) for _ in range(oc * k * k * ic)]
    attr = ""
    if block:
        # Keep 40% of the filterlets, drawn over the whole layer; the
        # pruned ones are zero, as the attribute's verifier requires.
        ids = k * k * ic // block
        kept = set(r.sample(range(oc * ids), round(0.4 * oc * ids)))
        for f in range(oc * ids):
            if f not in kept:
                values[f * block:(f + 1) * block] = [0] * block
        rows = ", ".join(
            "[" + ", ".join(str(i) for i in range(ids) if o * ids + i in kept)
            + "]" for o in range(oc))
        attr = (f", tinyprune.filterlets = #tinyprune.filterlets<block = "
                f"{block}, kept = [{rows}]>")
    weights = nest([str(v) for v in values], [oc, k, k, ic])
    bias = "[" + ", ".join(str(r.randint(-2000, 2000))
                           for _ in range(oc)) + "]"
    mult = "[" + ", ".join(str(r.randint(1 << 30, (1 << 31) - 1))
                           for _ in range(oc)) + "]"
    x = f"tensor<1x{h}x{w}x{ic}xi8>"
    wt = f"tensor<{oc}x{k}x{k}x{ic}xi8>"
    acc = f"tensor<1x{oh}x{ow}x{oc}xi32>"
    y = f"tensor<1x{oh}x{ow}x{oc}xi8>"
    # The quantization the importer attaches, so that the convolution reads
    # as a layer op (--tinyprune-raise-to-layers) for the cost model.
    wq = ("#tinyprune.quant<axis = 0, scale = [" + ", ".join(["0.01"] * oc)
          + "], zero_point = [" + ", ".join(["0"] * oc) + "]>")
    return f"""func.func @main(%x: {x} {{tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = {zp}>}}) -> {y} {{
  %w = "tosa.const"() <{{values = dense<{weights}> : {wt}}}> {{tinyprune.quant = {wq}}} : () -> {wt}
  %b = "tosa.const"() <{{values = dense<{bias}> : tensor<{oc}xi32>}}> : () -> tensor<{oc}xi32>
  %zx = "tosa.const"() <{{values = dense<{zp}> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %zw = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %c = tosa.conv2d %x, %w, %b, %zx, %zw {{acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: {pad}, {pad}, {pad}, {pad}>, stride = array<i64: {stride}, {stride}>{attr}}} : ({x}, {wt}, tensor<{oc}xi32>, tensor<1xi8>, tensor<1xi8>) -> {acc}
  %m = "tosa.const"() <{{values = dense<{mult}> : tensor<{oc}xi32>}}> : () -> tensor<{oc}xi32>
  %s = "tosa.const"() <{{values = dense<45> : tensor<{oc}xi8>}}> : () -> tensor<{oc}xi8>
  %iz = "tosa.const"() <{{values = dense<0> : tensor<1xi32>}}> : () -> tensor<1xi32>
  %oz = "tosa.const"() <{{values = dense<-4> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %r = tosa.rescale %c, %m, %s, %iz, %oz {{input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = -4>}} : ({acc}, tensor<{oc}xi32>, tensor<{oc}xi8>, tensor<1xi32>, tensor<1xi8>) -> {y}
  return %r : {y}
}}
""", h * w * ic


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kit", required=True, help="shared/mcu-kit")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--cores", default="cortex-m0plus,cortex-m4")
    ap.add_argument("--tolerance", type=float, default=0.15)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    plugin = os.path.join(args.workdir, "libinsncount.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin,
                    os.path.join(args.kit, "insncount.c")], check=True)
    total = failures = 0
    for i, (name, h, w, ic, oc, k, stride, pad, zp, block) in \
            enumerate(CASES):
        text, in_bytes = conv_model(h, w, ic, oc, k, stride, pad, zp, block,
                                    i)
        mlir = os.path.join(args.workdir, f"case{i}.mlir")
        with open(mlir, "w") as f:
            f.write(text)
        gen = os.path.join(args.workdir, f"case{i}")
        subprocess.run(["tinyprune", "compile", mlir, "-o", gen, "--name",
                        "m"], check=True, capture_output=True)
        data = os.path.join(args.workdir, f"case{i}.bin")
        r = random.Random(100 + i)
        with open(data, "wb") as f:
            f.write(bytes(r.randrange(256) for _ in range(in_bytes)))
        for core in args.cores.split(","):
            stats = subprocess.run(
                ["tinyprune-opt", mlir, f"--tinyprune-model-stats=core={core}",
                 "-o", os.devnull], check=True, capture_output=True,
                text=True).stderr
            est = float(re.search(r"cost-model total: .* (\d+) instructions",
                                  stats).group(1))
            run = subprocess.run(
                [sys.executable, os.path.join(HERE, "run_mcu.py"), "--core",
                 core, "--gen", gen, "--name", "m", "--input", data,
                 "--output", os.path.join(gen, core + ".out"), "--plugin",
                 plugin], check=True, capture_output=True, text=True).stdout
            measured = int(re.search(r"^instructions (\d+)$", run,
                                     re.M).group(1))
            err = est / measured - 1
            bad = abs(err) > args.tolerance
            total += 1
            failures += bad
            print(f"{name:42} {core:14} measured {measured:9} estimate "
                  f"{est:11.0f} {err:+6.1%}{'  OUTSIDE' if bad else ''}")
    print(f"cost-model-check: {total} cases, {failures} outside "
          f"+-{args.tolerance:.0%}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

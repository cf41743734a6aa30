#!/usr/bin/env python3
"""Checks that the fidelity measure of prune_bench (bench/fidelity.py)
rejects collapsed models, which the former measure, top-1 agreement with
the dense model on uniform random inputs, did not.

For the MLPerf Tiny IC and VWW models it scores, on prune_bench's fidelity
inputs and on 200 uniform random inputs (seed 1, the former measure):

- the dense model itself (must score agreement 100 %, error 0);
- "constant": an output that does not depend on the input, the dense
  model's mean output over the fidelity inputs, quantized;
- "first layer zeroed": the dense model with every weight of its first
  convolution set to 0 (its output no longer depends on the input);
- "layer K zeroed": every weight of the K-th convolution set to 0 (K =
  the middle convolution), a damaged but not constant model.

It exits 1 when the dense model does not score perfectly, or when a model
of the first two kinds scores a top-1 agreement above the majority-class
rate + 5 points or an output error below 0.9 (the error of any constant
output is >= 1).

    /usr/bin/python3 bench/fidelity_check.py [--build build]
"""

import argparse
import os
import re
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fidelity  # noqa: E402
import prune_bench as pb  # noqa: E402


def zero_conv(mlir_text, index):
    """The model with every weight of its `index`-th convolution zeroed."""
    convs = re.findall(r"= tosa\.(?:depthwise_)?conv2d %\w+, (%\w+),",
                       mlir_text)
    name = convs[index]
    pat = re.compile(r"(  " + re.escape(name) +
                     r' = "tosa\.const"\(\) <\{values = )dense<[^>]*>')
    text, n = pat.subn(r"\1dense<0>", mlir_text)
    if n != 1:
        sys.exit(f"fidelity_check: cannot find the weights {name}")
    return text, len(convs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(pb.ROOT, "build"))
    args = ap.parse_args()
    tinyprune = os.path.join(args.build, "bin", "tinyprune")
    if not os.path.isdir(pb.MLPERF):
        sys.exit("fidelity_check: needs ../shared/models/mlperf-tiny")
    train_x = np.load(os.path.join(pb.DATA, "train_x.npy"), mmap_mode="r")
    gray = np.asarray(train_x[:1000], np.float64).reshape(-1, 28, 28)
    gray *= 255 / max(gray.max(), 1e-9)
    failures = []
    print("| model | variant | agreement (majority) | output error | "
          "mean abs change | former: agreement on 200 random |")
    print("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (file, sample_name) in pb.MLPERF_MODELS.items():
            work = os.path.join(tmp, name)
            dense = os.path.join(work, "dense.mlir")
            os.makedirs(work)
            pb.tool(args.build, "tinyprune-translate", "--import-tflite",
                    os.path.join(pb.MLPERF, file + ".tflite"), "-o", dense)
            with open(dense) as f:
                text = f.read()
            quant = fidelity.output_quant(text)
            sample = np.fromfile(os.path.join(pb.MLPERF, "samples",
                                              sample_name + ".bin"),
                                 dtype=np.int8)
            shape = tuple(int(s) for s in re.search(
                r"@main\(%arg0: tensor<1x(\d+)x(\d+)x(\d+)xi8>",
                text).groups())
            sample = sample.reshape(shape)

            def build(mlir_text, tag):
                path = os.path.join(work, tag + ".mlir")
                with open(path, "w") as f:
                    f.write(mlir_text)
                gen = os.path.join(work, tag)
                pb.tool(args.build, "tinyprune", "compile", path, "-o", gen,
                        "--name", "m")
                exe = fidelity.build_host(gen, "m", gen + "-work")
                return path, exe

            dense_path, dense_exe = build(text, "dense")
            n_pool, per_class = pb.FIDELITY[name]
            xs = fidelity.input_set(dense_exe, sample, n_pool, per_class,
                                    pb.FIDELITY_SEED, gray, work)
            rand = pb.random_inputs(shape, 200, 1)
            yd = fidelity.run_batch(dense_exe, xs, work)
            rd = fidelity.run_batch(dense_exe, rand, work)
            fidelity.check_against_interpreter(tinyprune, dense_path, xs[:2],
                                               yd[:2], work)

            scale, zp = quant
            mean = (yd.astype(np.float64) - zp) * scale
            const = np.clip(np.rint(mean.mean(0) / scale) + zp, -128,
                            127).astype(np.int8)
            variants = [("dense", yd, rd, "perfect"),
                        ("constant (dense mean output)",
                         np.tile(const, (len(xs), 1)),
                         np.tile(const, (len(rand), 1)), "collapsed")]
            _, convs = zero_conv(text, 0)
            for k, kind in ((0, "collapsed"), (convs // 2, "damaged")):
                zeroed, _ = zero_conv(text, k)
                tag = f"zero{k}"
                path, exe = build(zeroed, tag)
                y = fidelity.run_batch(exe, xs, work)
                fidelity.check_against_interpreter(tinyprune, path, xs[:2],
                                                   y[:2], work)
                label = ("first layer zeroed" if k == 0 else
                         f"conv {k} of {convs} zeroed")
                variants.append((label, y, fidelity.run_batch(exe, rand,
                                                              work), kind))
            for label, y, r, kind in variants:
                m = fidelity.measure(yd, y, quant)
                former = np.mean(r.argmax(1) == rd.argmax(1))
                print(f"| {name} | {label} | {100 * m['agreement']:.1f} % "
                      f"of {m['samples']} ({100 * m['majority']:.1f} %) | "
                      f"{m['output_error']:.3f} | "
                      f"{m['mean_abs_change']:.3f} | {100 * former:.1f} % |")
                if kind == "perfect" and (m["agreement"] != 1 or
                                          m["output_error"] != 0):
                    failures.append(f"{name} {label}: not perfect")
                if kind == "collapsed" and (
                        m["agreement"] > m["majority"] + 0.05 or
                        m["output_error"] < 0.9):
                    failures.append(f"{name} {label}: scores well")
    for f in failures:
        print(f"fidelity_check: FAIL: {f}")
    if failures:
        sys.exit(1)
    print("fidelity_check: collapsed models score at most the majority-class "
          "rate and an output error >= 0.9")


if __name__ == "__main__":
    main()

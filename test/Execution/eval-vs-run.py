# `tinyprune eval` agrees with `tinyprune run` sample by sample: each
# worker reuses its buffers from one sample to the next, and nothing of a
# previous sample may leak into the next. Labels are the argmax of `run`'s
# output for each random input, so eval must score 100%; the autoencoder's
# mean score must equal the mean of the per-sample scores computed from
# `run`'s outputs.
#
# REQUIRES: mlperf-models
# RUN: %python %s %t %mlperf
# RUN: tinyprune eval %mlperf/pretrainedResnet_quant.tflite --data %t/ic.npy --labels %t/ic_labels.npy --threads 2 | FileCheck %s --check-prefix=IC
# IC: top-1 accuracy: 100.00%  (6/6)
# RUN: tinyprune eval %mlperf/kws_ref_model.tflite --data %t/kws --threads 2 | FileCheck %s --check-prefix=KWS
# KWS: top-1 accuracy: 100.00%  (6/6)
# RUN: tinyprune eval %mlperf/ad01_int8.tflite --data %t/ad.npy --metric mse --threads 2 --json %t/ad.json
# RUN: %python %s --check-ad %t

import json
import os
import random
import struct
import subprocess
import sys

from npygen import write_npy

AD_IN = (0.3910152316, 89)     # shared/models/mlperf-tiny/README.md
AD_OUT = (0.3644984663, 96)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def run(model, data, out_dir, k):
    inp = os.path.join(out_dir, "in%d.bin" % k)
    outp = os.path.join(out_dir, "out%d.bin" % k)
    with open(inp, "wb") as f:
        f.write(struct.pack("<%db" % len(data), *data))
    subprocess.run(["tinyprune", "run", model, "--input", inp, "--output",
                    outp], check=True)
    with open(outp, "rb") as f:
        raw = f.read()
    return list(struct.unpack("<%db" % len(raw), raw))


def argmax(v):
    return max(range(len(v)), key=lambda i: (v[i], -i))


def generate(out, mlperf):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(11)
    # Image classification: 6 random images, labels = run's predictions.
    n, size = 6, 32 * 32 * 3
    xs = [[rng.randrange(-128, 128) for _ in range(size)] for _ in range(n)]
    labels = [argmax(run(os.path.join(mlperf, "pretrainedResnet_quant.tflite"),
                         x, out, k)) for k, x in enumerate(xs)]
    write_npy(os.path.join(out, "ic.npy"), sum(xs, []), [n, 32, 32, 3],
              "int8")
    write_npy(os.path.join(out, "ic_labels.npy"), labels, [n], "int64")
    # Keyword spotting: an MLPerf folder of 6 random .bin files.
    folder = os.path.join(out, "kws")
    os.makedirs(folder, exist_ok=True)
    rows = []
    for k in range(n):
        x = [rng.randrange(-128, 128) for _ in range(490)]
        label = argmax(run(os.path.join(mlperf, "kws_ref_model.tflite"), x,
                           out, 100 + k))
        name = "tst_%06d.bin" % k
        with open(os.path.join(folder, name), "wb") as f:
            f.write(struct.pack("<490b", *x))
        rows.append("%s,12,%d" % (name, label))
    with open(os.path.join(folder, "y_labels.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    # Anomaly detection: 5 random windows; the per-sample MSE from run's outputs.
    xs = [[rng.randrange(-128, 128) for _ in range(640)] for _ in range(5)]
    scores = []
    for k, x in enumerate(xs):
        y = run(os.path.join(mlperf, "ad01_int8.tflite"), x, out, 200 + k)
        s = 0.0
        for q, r in zip(x, y):
            a = f32(f32(AD_IN[0]) * (q - AD_IN[1]))
            b = f32(f32(AD_OUT[0]) * (r - AD_OUT[1]))
            s += (a - b) ** 2
        scores.append(s / 640)
    write_npy(os.path.join(out, "ad.npy"), sum(xs, []), [5, 640], "int8")
    with open(os.path.join(out, "ad_scores.json"), "w") as f:
        json.dump(scores, f)


def check_ad(out):
    with open(os.path.join(out, "ad_scores.json")) as f:
        scores = json.load(f)
    with open(os.path.join(out, "ad.json")) as f:
        result = json.load(f)
    want = sum(scores) / len(scores)
    got = result["mean_score"]
    if abs(got - want) > 1e-9 * max(1.0, abs(want)):
        sys.exit("mean score %r, expected %r" % (got, want))


if sys.argv[1] == "--check-ad":
    check_ad(sys.argv[2])
else:
    generate(sys.argv[1], sys.argv[2])

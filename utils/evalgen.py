#!/usr/bin/env python3
"""evalgen: tiny models and data sets with known `tinyprune eval` results.

The classifier takes an image [1,2,2,1], flattens it to 4 values and
permutes them with a fully-connected layer whose weights are exactly 1.0
(int8: weight 64 at scale 1/64, input and output quantization equal, so the
output bytes are the permuted input bytes). Output j is input PERM[j]; the
predicted class of a sample whose largest pixel is i is therefore CLASS_OF[i].

The autoencoder maps [1,4] to [1,4] with zero weights and bias: its output
dequantizes to 0, so a sample's anomaly score is the mean of its squared
(dequantized) inputs.
"""

import os
import struct

from npygen import write_npy
from tflgen import Model

PERM = [2, 0, 3, 1]                    # output j = input PERM[j]
CLASS_OF = {PERM[j]: j for j in range(4)}  # hottest input -> class
IN_Q = (0.5, -1)                       # classifier input/output quantization

# Twelve samples: sample k has 3.0 at pixel k % 4, 1.0 at pixel (k+1) % 4
# and 0 elsewhere. Labels are the predicted class except samples 1, 6, 11.
HOT = [k % 4 for k in range(12)]
SECOND = [(k + 1) % 4 for k in range(12)]
LABELS = [CLASS_OF[h] for h in HOT]
LABELS[1] = 0   # predicted 3, second best 0: top-2 correct
LABELS[6] = 3   # predicted 0, class 3 ranks last: wrong even in top-2
LABELS[11] = 1  # predicted 2, second best 1: top-2 correct


def classifier(path, dtype="INT8"):
    m = Model(description="eval permutation classifier")
    q = {"scale": IN_Q[0], "zero_point": IN_Q[1]} if dtype == "INT8" else {}
    x = m.tensor("image", [1, 2, 2, 1], dtype, **q)
    shape = m.const("shape", [2], "INT32", values=[1, 4])
    flat = m.tensor("flat", [1, 4], dtype, **q)
    m.op("RESHAPE", [x, shape], [flat])
    w = [0] * 16
    for j in range(4):
        w[j * 4 + PERM[j]] = 64 if dtype == "INT8" else 1.0
    if dtype == "INT8":
        wt = m.const("w", [4, 4], "INT8", values=w, scale=1.0 / 64,
                     zero_point=0)
        bt = m.const("b", [4], "INT32", values=[0] * 4)
    else:
        wt = m.const("w", [4, 4], "FLOAT32", values=w)
        bt = m.const("b", [4], "FLOAT32", values=[0.0] * 4)
    y = m.tensor("scores", [1, 4], dtype, **q)
    m.op("FULLY_CONNECTED", [flat, wt, bt], [y],
         options=("FullyConnectedOptions",
                  {"fused_activation_function": "NONE"}))
    m.inputs([x])
    m.outputs([y])
    m.write(path)


def image_values(k):
    v = [0.0] * 4
    v[HOT[k]] = 3.0
    v[SECOND[k]] = 1.0
    return v


def images():
    """The twelve samples, flattened (12 x 4 floats)."""
    out = []
    for k in range(12):
        out += image_values(k)
    return out


def quantized(values):
    return [int(round(v / IN_Q[0])) + IN_Q[1] for v in values]


AE_IN_Q = (0.5, 0)
AE_OUT_Q = (0.25, 3)
# Autoencoder samples: all four inputs equal to a; score a^2.
AE_A = [1.0, 2.0, 1.5, 2.5, 2.0, 3.0, 2.0]
AE_LABELS = [0, 1, 0, 1, 0, 1, 0]
# Normal scores 1, 2.25, 4, 4; anomalous 4, 6.25, 9:
# AUC = (2 + 2 * 0.5 + 4 + 4) / 12 = 11/12; mean score 30.5 / 7.


def autoencoder(path, dtype="INT8"):
    m = Model(description="eval zero autoencoder")
    qi = ({"scale": AE_IN_Q[0], "zero_point": AE_IN_Q[1]}
          if dtype == "INT8" else {})
    qo = ({"scale": AE_OUT_Q[0], "zero_point": AE_OUT_Q[1]}
          if dtype == "INT8" else {})
    x = m.tensor("features", [1, 4], dtype, **qi)
    if dtype == "INT8":
        wt = m.const("w", [4, 4], "INT8", values=[0] * 16, scale=1.0,
                     zero_point=0)
        bt = m.const("b", [4], "INT32", values=[0] * 4)
    else:
        wt = m.const("w", [4, 4], "FLOAT32", values=[0.0] * 16)
        bt = m.const("b", [4], "FLOAT32", values=[0.0] * 4)
    y = m.tensor("reconstruction", [1, 4], dtype, **qo)
    m.op("FULLY_CONNECTED", [x, wt, bt], [y],
         options=("FullyConnectedOptions",
                  {"fused_activation_function": "NONE"}))
    m.inputs([x])
    m.outputs([y])
    m.write(path)


def ae_features():
    out = []
    for a in AE_A:
        out += [a] * 4
    return out


def write_bin(path, values, fmt):
    with open(path, "wb") as f:
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def mlperf_folder(folder, csv_rows_fn=None, csv_name="y_labels.csv"):
    """The twelve classifier samples as raw int8 .bin files plus a CSV of
    `file,num_classes,label` rows (or what csv_rows_fn(names) returns)."""
    os.makedirs(folder, exist_ok=True)
    q = quantized(images())
    names = []
    for k in range(12):
        name = "sample_%02d.bin" % k
        write_bin(os.path.join(folder, name), q[4 * k:4 * k + 4], "b")
        names.append(name)
    if csv_rows_fn is None:
        rows = ["%s,4,%d" % (n, LABELS[k]) for k, n in enumerate(names)]
    else:
        rows = csv_rows_fn(names)
    if csv_name:
        with open(os.path.join(folder, csv_name), "w") as f:
            f.write("\n".join(rows) + "\n")
    return names


__all__ = ["write_npy", "classifier", "autoencoder", "images", "quantized",
           "ae_features", "mlperf_folder", "write_bin", "LABELS", "AE_LABELS"]

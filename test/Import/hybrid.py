# Imports dynamic-range ("hybrid") models: float activations, int8 weights
# (per tensor or per channel) on CONV_2D, DEPTHWISE_CONV_2D and
# FULLY_CONNECTED. The weights are dequantized at import,
# scale[c] * (q - zp[c]) in float32, and the layers are float layers (not
# TFLite's hybrid kernels, which quantize the input at run time: see
# docs/importer.md).
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/conv.tflite | FileCheck %s --check-prefix=CONV
# RUN: tinyprune-translate --import-tflite %t/fc.tflite | FileCheck %s --check-prefix=FC
#
# End to end: `run` and the generated C++ on the hybrid model give the bytes
# `run` gives on the float model written with the dequantized weights.
# RUN: tinyprune run %t/conv_float.tflite --input %t/conv.in --output %t/conv.expected
# RUN: tinyprune run %t/conv.tflite --input %t/conv.in --output %t/conv.out
# RUN: cmp %t/conv.out %t/conv.expected
# RUN: tinyprune run %t/fc_float.tflite --input %t/fc.in --output %t/fc.expected
# RUN: tinyprune run %t/fc.tflite --input %t/fc.in --output %t/fc.out
# RUN: cmp %t/fc.out %t/fc.expected
# RUN: %python %S/../Target/Inputs/compile_and_compare.py %t conv fc | FileCheck %s --check-prefix=CPP
# CPP: conv: same
# CPP: fc: same

import os
import struct
import sys

from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def save_input(name, n):
    with open(os.path.join(out, name + ".in"), "wb") as f:
        f.write(struct.pack(f"<{n}f", *[0.37 * k - 2.1 for k in range(n)]))


# CONV_2D with per-channel int8 weights: channel 0 at 0.5, channel 1 at
# 0.25.
wq = [-128, -1, 0, 127, 3, -7, 64, -64]
scales = [0.5, 0.25]
wf = [f32(f32(scales[k // 4]) * q) for k, q in enumerate(wq)]
for hybrid in (True, False):
    m = Model()
    x = m.tensor("x", [1, 3, 3, 4], "FLOAT32")
    if hybrid:
        w = m.const("w", [2, 1, 1, 4], "INT8", values=wq, scale=scales,
                    zero_point=[0, 0], quantized_dimension=0)
    else:
        w = m.const("w", [2, 1, 1, 4], "FLOAT32", values=wf)
    b = m.const("b", [2], "FLOAT32", values=[0.5, -0.5])
    y = m.tensor("y", [1, 3, 3, 2], "FLOAT32")
    m.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", {
        "padding": "VALID", "stride_w": 1, "stride_h": 1,
        "fused_activation_function": "RELU"}))
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(out, "conv.tflite" if hybrid else "conv_float.tflite"))
save_input("conv", 36)
# CONV-LABEL: func.func @main(
# CONV-SAME: tensor<1x3x3x4xf32>
# CONV: "tosa.const"() <{values = dense<{{\[\[\[\[}}-6.400000e+01, -5.000000e-01, 0.000000e+00, 6.350000e+01]]], {{\[\[\[}}7.500000e-01, -1.750000e+00, 1.600000e+01, -1.600000e+01]]]]> : tensor<2x1x1x4xf32>}>
# CONV-NOT: tinyprune.quant
# CONV: tosa.conv2d {{.*}} -> tensor<1x3x3x2xf32>

# FULLY_CONNECTED with per-tensor int8 weights and a nonzero zero point.
wq = [k * 37 % 255 - 127 for k in range(15)]
# As TFLite dequantizes: the float32 scale times q - zp, rounded once.
wf = [f32(f32(0.01) * (q - 3)) for q in wq]
for hybrid in (True, False):
    m = Model()
    x = m.tensor("x", [2, 5], "FLOAT32")
    if hybrid:
        w = m.const("w", [3, 5], "INT8", values=wq, scale=0.01, zero_point=3)
    else:
        w = m.const("w", [3, 5], "FLOAT32", values=wf)
    y = m.tensor("y", [2, 3], "FLOAT32")
    m.op("FULLY_CONNECTED", [x, w, None], [y],
         options=("FullyConnectedOptions", {"asymmetric_quantize_inputs":
                                            True}))
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(out, "fc.tflite" if hybrid else "fc_float.tflite"))
save_input("fc", 10)
# FC-LABEL: func.func @main(
# FC: "tosa.const"() <{values = dense<{{\[\[\[\[}}-1.300000e+00, {{.*}}]]]]> : tensor<3x1x1x5xf32>}>
# FC: tosa.conv2d {{.*}} -> tensor<2x1x1x3xf32>

# Imports float16 weights (TFLite's float16 post-training quantization):
# FLOAT16 constants read through DEQUANTIZE become float32 constants at
# import, and the DEQUANTIZE disappears. float16 -> float32 is exact, so
# the model computes what TFLite computes.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/conv.tflite | FileCheck %s --check-prefix=CONV
#
# End to end: `run` and the generated C++ on the float16 model give the
# bytes `run` gives on the same model written with float32 weights.
# RUN: tinyprune run %t/conv_f32.tflite --input %t/conv.in --output %t/conv.expected
# RUN: tinyprune run %t/conv.tflite --input %t/conv.in --output %t/conv.out
# RUN: cmp %t/conv.out %t/conv.expected
# RUN: %python %S/../Target/Inputs/compile_and_compare.py %t conv | FileCheck %s --check-prefix=CPP
# CPP: conv: same
#
# RUN: not tinyprune-translate --import-tflite %t/activation.tflite 2>&1 | FileCheck %s --check-prefix=ACT
# RUN: not tinyprune-translate --import-tflite %t/direct.tflite 2>&1 | FileCheck %s --check-prefix=DIRECT

import os
import struct
import sys

from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

# Halves that cover the encoding: normal, negative, subnormal (2^-24),
# the largest finite half (65504), zero and negative zero, plus a bias
# through its own DEQUANTIZE.
weights = [1.5, -0.333251953125, 2.0 ** -24, 65504.0, 0.0, -0.0]
m = Model()
x = m.tensor("x", [1, 2, 2, 3], "FLOAT32")
wh = m.const("w_half", [2, 1, 1, 3], "FLOAT16", values=weights)
bh = m.const("b_half", [2], "FLOAT16", values=[0.25, -1.0])
w = m.tensor("w", [2, 1, 1, 3], "FLOAT32")
b = m.tensor("b", [2], "FLOAT32")
y = m.tensor("y", [1, 2, 2, 2], "FLOAT32")
m.op("DEQUANTIZE", [wh], [w], version=3)
m.op("DEQUANTIZE", [bh], [b], version=3)
m.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", {
    "padding": "VALID", "stride_w": 1, "stride_h": 1}))
m.inputs([x])
m.outputs([y])
m.write(os.path.join(out, "conv.tflite"))

m = Model()
x = m.tensor("x", [1, 2, 2, 3], "FLOAT32")
w = m.const("w", [2, 1, 1, 3], "FLOAT32", values=weights)
b = m.const("b", [2], "FLOAT32", values=[0.25, -1.0])
y = m.tensor("y", [1, 2, 2, 2], "FLOAT32")
m.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", {
    "padding": "VALID", "stride_w": 1, "stride_h": 1}))
m.inputs([x])
m.outputs([y])
m.write(os.path.join(out, "conv_f32.tflite"))
with open(os.path.join(out, "conv.in"), "wb") as f:
    f.write(struct.pack("<12f", *[0.1 * k - 0.55 for k in range(12)]))
# CONV-LABEL: func.func @main(
# CONV-NOT: tosa.cast
# CONV-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[2.500000e-01, -1.000000e+00]> : tensor<2xf32>}>
# CONV-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1.500000e+00, -0.333251953, 5.96046448E-8]]], {{\[\[\[}}6.550400e+04, 0.000000e+00, -0.000000e+00]]]]> : tensor<2x1x1x3xf32>}>
# CONV: tosa.conv2d %{{.*}}, %[[W]], %[[B]]
# CONV-NOT: tosa.cast

# A float16 activation is not supported.
m = Model()
x = m.tensor("x", [1, 4], "FLOAT16")
y = m.tensor("y", [1, 4], "FLOAT32")
m.op("DEQUANTIZE", [x], [y], version=3)
m.inputs([x])
m.outputs([y])
m.write(os.path.join(out, "activation.tflite"))
# ACT: error: operator 0 (DEQUANTIZE): dequantizes float16 tensor 'x', which is not a constant (float16 activations are not supported)

# A float16 constant read by anything but DEQUANTIZE.
m = Model()
x = m.tensor("x", [1, 4], "FLOAT32")
c = m.const("c", [1, 4], "FLOAT16", values=[1.0] * 4)
y = m.tensor("y", [1, 4], "FLOAT32")
m.op("ADD", [x, c], [y], options=("AddOptions", {}))
m.inputs([x])
m.outputs([y])
m.write(os.path.join(out, "direct.tflite"))
# DIRECT: error: operator 0 (ADD): reads float16 tensor 'c'; float16 is supported only as a constant behind DEQUANTIZE

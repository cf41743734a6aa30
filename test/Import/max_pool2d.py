# Imports MAX_POOL_2D as tosa.max_pool2d for int8 and float: VALID and SAME
# padding, strides, and fused activations (a tosa.clamp with quantized
# bounds on int8, none when the bounds are the whole int8 range).
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/valid_int8.tflite | FileCheck %s --check-prefix=VALID8
# RUN: tinyprune-translate --import-tflite %t/same_relu6_int8.tflite | FileCheck %s --check-prefix=Q6
# RUN: tinyprune-translate --import-tflite %t/relu_full_range_int8.tflite | FileCheck %s --check-prefix=NOOP
# RUN: tinyprune-translate --import-tflite %t/same_float.tflite | FileCheck %s --check-prefix=FLT
# RUN: tinyprune-translate --import-tflite %t/relu6_float.tflite | FileCheck %s --check-prefix=FLT6

import os
import sys

from tflgen import Model


def pool(name, in_shape, out_shape, opts, dtype="INT8", q=(0.5, -3)):
    m = Model(description=name)
    if dtype == "INT8":
        # TFLite requires pooling input and output to share quantization.
        x = m.tensor("input", in_shape, "INT8", scale=q[0], zero_point=q[1])
        y = m.tensor("output", out_shape, "INT8", scale=q[0], zero_point=q[1])
    else:
        x = m.tensor("input", in_shape, "FLOAT32")
        y = m.tensor("output", out_shape, "FLOAT32")
    m.op("MAX_POOL_2D", inputs=[x], outputs=[y],
         options=("Pool2DOptions", opts), version=2)
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


def opts(padding, stride, kernel, act="NONE"):
    return {"padding": padding, "stride_h": stride, "stride_w": stride,
            "filter_height": kernel, "filter_width": kernel,
            "fused_activation_function": act}


os.makedirs(sys.argv[1], exist_ok=True)
pool("valid_int8", [1, 4, 4, 2], [1, 2, 2, 2], opts("VALID", 2, 2))
pool("same_relu6_int8", [1, 5, 5, 1], [1, 3, 3, 1],
     opts("SAME", 2, 3, "RELU6"), q=(0.04, -30))
pool("relu_full_range_int8", [1, 4, 4, 1], [1, 2, 2, 1],
     opts("VALID", 2, 2, "RELU"), q=(0.02, -128))
pool("same_float", [1, 6, 6, 3], [1, 3, 3, 3], opts("SAME", 2, 2),
     dtype="FLOAT32")
pool("relu6_float", [1, 4, 4, 3], [1, 3, 3, 3], opts("VALID", 1, 2, "RELU6"),
     dtype="FLOAT32")

# The maximum of int8 values is exact in TOSA: no rescale, no tinyprune op.
# Without an activation the pool itself defines the output and carries its
# quantization.
# VALID8-LABEL: func.func @main(
# VALID8-SAME: %[[X:.*]]: tensor<1x4x4x2xi8>
# VALID8: %[[Y:.*]] = tosa.max_pool2d %[[X]] {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -3>} : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
# VALID8-NOT: tosa.clamp
# VALID8: return %[[Y]]

# SAME, 3x3 window, stride 2 on 5: 3 outputs need (3 - 1) * 2 + 3 - 5 = 2
# pad rows, one on each side. RELU6 on (0.04, -30) clamps to
# [-30 + round(0 / 0.04), -30 + round(6 / 0.04)] = [-30, -30 + 150] =
# [-30, 120] (6 / float32(0.04) is 150.0000034).
# Q6-LABEL: func.func @main(
# Q6: %[[P:.*]] = tosa.max_pool2d %arg0 {kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x5x5x1xi8>) -> tensor<1x3x3x1xi8>
# Q6: %[[Y:.*]] = tosa.clamp %[[P]] {max_val = 120 : i8, min_val = -30 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.0399999991, zero_point = -30>}
# Q6: return %[[Y]]

# RELU with zero point -128: the range [-128 + 0, 127] is all of int8, so
# the clamp would do nothing and is left out.
# NOOP-LABEL: func.func @main(
# NOOP: %[[Y:.*]] = tosa.max_pool2d %arg0
# NOOP-NOT: tosa.clamp
# NOOP: return %[[Y]]

# Float, SAME, 2x2 stride 2 on 6: the windows tile exactly, no padding.
# FLT-LABEL: func.func @main(%{{.*}}: tensor<1x6x6x3xf32>) -> tensor<1x3x3x3xf32>
# FLT: %[[Y:.*]] = tosa.max_pool2d %arg0 {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x6x6x3xf32>) -> tensor<1x3x3x3xf32>
# FLT-NOT: tosa.clamp
# FLT: return %[[Y]]

# Float RELU6: a float clamp to [0, 6] after a VALID, stride 1 pool.
# FLT6-LABEL: func.func @main(
# FLT6: %[[P:.*]] = tosa.max_pool2d %arg0 {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}
# FLT6: %[[Y:.*]] = tosa.clamp %[[P]] {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
# FLT6: return %[[Y]]

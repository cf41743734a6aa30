# Imports AVERAGE_POOL_2D: int8 becomes tinyprune.avg_pool2d (TFLite's
# rounding, fused activation folded into min_val/max_val), float becomes
# tosa.avg_pool2d; VALID and SAME padding, strides, fused activations.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/valid_int8.tflite | FileCheck %s --check-prefix=VALID8
# RUN: tinyprune-translate --import-tflite %t/same_relu6_int8.tflite | FileCheck %s --check-prefix=SAME8
# RUN: tinyprune-translate --import-tflite %t/same_float.tflite | FileCheck %s --check-prefix=FLT
# RUN: tinyprune-translate --import-tflite %t/valid_float.tflite | FileCheck %s --check-prefix=VALIDF

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
    m.op("AVERAGE_POOL_2D", inputs=[x], outputs=[y],
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
pool("same_relu6_int8", [1, 6, 6, 1], [1, 3, 3, 1],
     opts("SAME", 2, 3, "RELU6"), q=(0.1, -20))
pool("same_float", [1, 5, 5, 3], [1, 5, 5, 3], opts("SAME", 1, 3, "RELU"),
     dtype="FLOAT32")
pool("valid_float", [1, 4, 4, 3], [1, 2, 2, 3], opts("VALID", 2, 2),
     dtype="FLOAT32")

# int8 average pooling has no exact TOSA form (TOSA subtracts the zero point
# and divides by a fixed-point reciprocal; TFLite divides the raw sum with
# rounding), so it is a tinyprune op. Without a fused activation the bounds
# are the whole int8 range; the shared quantization is both an operand
# attribute (`quant`) and the result annotation.
# VALID8-LABEL: func.func @main(
# VALID8-SAME: %[[X:.*]]: tensor<1x4x4x2xi8>
# VALID8-NOT: tosa.
# VALID8: %[[Y:.*]] = tinyprune.avg_pool2d %[[X]] {kernel = array<i64: 2, 2>, max_val = 127 : i64, min_val = -128 : i64, pad = array<i64: 0, 0, 0, 0>, quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
# VALID8-NOT: tosa.
# VALID8: return %[[Y]]

# SAME, 3x3 window, stride 2 on 6: 3 outputs need (3 - 1) * 2 + 3 - 6 = 1
# pad row, which TFLite puts after: pad [0, 1, 0, 1]. RELU6 is folded in:
# zp + round(0 / 0.1) = -20 and zp + round(6 / 0.1) = -20 + 60 = 40 (6 /
# float32(0.1) is 59.9999991, which rounds to 60). No separate clamp.
# SAME8-LABEL: func.func @main(
# SAME8: %[[Y:.*]] = tinyprune.avg_pool2d %arg0 {kernel = array<i64: 3, 3>, max_val = 40 : i64, min_val = -20 : i64, pad = array<i64: 0, 1, 0, 1>, quant = #tinyprune.quant<scale = 0.100000001, zero_point = -20>, stride = array<i64: 2, 2>
# SAME8-NOT: tosa.clamp
# SAME8: return %[[Y]]

# Float maps to tosa.avg_pool2d, which like TFLite leaves padded positions
# out of the count; both zero points are one f32 zero. SAME 3x3 stride 1
# pads one on every side; RELU becomes a float clamp to [0, +inf).
# FLT-LABEL: func.func @main(%{{.*}}: tensor<1x5x5x3xf32>) -> tensor<1x5x5x3xf32>
# FLT: %[[ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}>
# FLT: %[[P:.*]] = tosa.avg_pool2d %arg0, %[[ZP]], %[[ZP]] {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} {{.*}} -> tensor<1x5x5x3xf32>
# FLT: %[[Y:.*]] = tosa.clamp %[[P]] {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32}
# FLT: return %[[Y]]

# Float, VALID, no activation: no clamp, and no tinyprune op.
# VALIDF-LABEL: func.func @main(
# VALIDF: %[[P:.*]] = tosa.avg_pool2d %arg0, {{.*}} {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>}
# VALIDF-NOT: tosa.clamp
# VALIDF-NOT: tinyprune.avg_pool2d
# VALIDF: return %[[P]]

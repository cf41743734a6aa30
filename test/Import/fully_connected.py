# Imports FULLY_CONNECTED as a 1x1 tosa.conv2d over a [rows, 1, 1, depth]
# view of the input: int8 per-channel and per-tensor requantization, fused
# activations, rank-4 inputs (flattened, or keep_num_dims), a missing bias,
# and float.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/per_channel.tflite | FileCheck %s --check-prefix=PC
# RUN: tinyprune-translate --import-tflite %t/flatten.tflite | FileCheck %s --check-prefix=FLAT
# RUN: tinyprune-translate --import-tflite %t/rank4_no_bias.tflite | FileCheck %s --check-prefix=NOB
# RUN: tinyprune-translate --import-tflite %t/float.tflite | FileCheck %s --check-prefix=FLT

import os
import sys

from tflgen import Model


def fc(name, in_shape, w_shape, out_shape, opts, dtype="INT8", bias=True,
       w_scale=(0.004,), in_q=(0.05, 10), out_q=(0.1, -20)):
    m = Model(description=name)
    units, depth = w_shape
    if dtype == "INT8":
        x = m.tensor("input", in_shape, "INT8", scale=in_q[0],
                     zero_point=in_q[1])
        n = len(w_scale)
        w = m.const("weights", w_shape, "INT8",
                    values=[(i * 9) % 255 - 127 for i in range(units * depth)],
                    scale=list(w_scale), zero_point=[0] * n,
                    quantized_dimension=0)
        b = m.const("bias", [units], "INT32",
                    values=[25 * u - 40 for u in range(units)],
                    scale=[in_q[0] * s for s in w_scale],
                    zero_point=[0] * n) if bias else None
        y = m.tensor("output", out_shape, "INT8", scale=out_q[0],
                     zero_point=out_q[1])
    else:
        x = m.tensor("input", in_shape, "FLOAT32")
        w = m.const("weights", w_shape, "FLOAT32",
                    values=[((i * 3) % 7) / 7.0 - 0.5 for i in range(units * depth)])
        b = m.const("bias", [units], "FLOAT32",
                    values=[0.125 * u for u in range(units)]) if bias else None
        y = m.tensor("output", out_shape, "FLOAT32")
    m.op("FULLY_CONNECTED", inputs=[x, w, b], outputs=[y],
         options=("FullyConnectedOptions", opts), version=5)
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
fc("per_channel", [2, 3], [4, 3], [2, 4], {"fused_activation_function": "RELU"},
   w_scale=(0.01, 0.02, 0.03, 0.05), in_q=(0.5, -3), out_q=(0.25, 1))
fc("flatten", [1, 2, 2, 3], [2, 12], [1, 2], {})
fc("rank4_no_bias", [1, 2, 2, 3], [2, 3], [1, 2, 2, 2],
   {"fused_activation_function": "RELU6", "keep_num_dims": True}, bias=False)
fc("float", [1, 4], [3, 4], [1, 3], {}, dtype="FLOAT32")

# Two rows of depth 3 become a [2, 1, 1, 3] image; the [4, 3] weights are
# already OHWI [4, 1, 1, 3] byte for byte and keep their axis-0 scales.
# Rescale 0.5 * s_u / 0.25 with float32 s_u: 0.64 * 2^-5, 0.64 * 2^-4,
# 0.96 * 2^-4, 0.8 * 2^-3 -> Q31 1374389504, 1374389504, 2061584256,
# 1717986944 (float32 0.05 is 0.0500000007), shifts 36, 35, 35, 34.
# RELU on zero point 1 clamps to [1, 127]; the result is reshaped back to
# [2, 4] and carries the output quantization.
# PC-LABEL: func.func @main(
# PC-SAME: %[[X:.*]]: tensor<2x3xi8>
# PC-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[-40, -15, 10, 35]> : tensor<4xi32>}> {tinyprune.quant = #tinyprune.quant<axis = 0,
# PC-DAG: %[[S4:.*]] = tosa.const_shape {values = dense<[2, 1, 1, 3]> : tensor<4xindex>}
# PC-DAG: %[[XR:.*]] = tosa.reshape %[[X]], %[[S4]] {{.*}} -> tensor<2x1x1x3xi8>
# PC-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<4x1x1x3xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.00999999978, 0.0199999996, 0.0299999993, 0.0500000007], zero_point = [0, 0, 0, 0]>}
# PC-DAG: %[[XZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
# PC-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# PC: %[[ACC:.*]] = tosa.conv2d %[[XR]], %[[W]], %[[B]], %[[XZP]], %[[WZP]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} {{.*}} -> tensor<2x1x1x4xi32>
# PC-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<[1374389504, 1374389504, 2061584256, 1717986944]> : tensor<4xi32>}>
# PC-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<[36, 35, 35, 34]> : tensor<4xi8>}>
# PC-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
# PC: %[[R:.*]] = tosa.rescale %[[ACC]], %[[M]], %[[S]], %{{.*}}, %[[OZP]] {{.*}}rounding_mode = DOUBLE_ROUND, scale32 = true} {{.*}} -> tensor<2x1x1x4xi8>
# PC: %[[C:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = 1 : i8}
# PC: %[[S2:.*]] = tosa.const_shape {values = dense<[2, 4]> : tensor<2xindex>}
# PC: %[[Y:.*]] = tosa.reshape %[[C]], %[[S2]] {tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 1>} {{.*}} -> tensor<2x4xi8>
# PC: return %[[Y]]

# A [1, 2, 2, 3] input under [2, 12] weights is one row of 12 (Flatten +
# Dense). Per-tensor weights: 0.05 * 0.004 / 0.1 = 0.002 = 0.512 * 2^-8;
# from float32 scales Q31 1099511680, shift 39, for every unit. No fused
# activation: no clamp.
# FLAT-LABEL: func.func @main(
# FLAT: %[[XR:.*]] = tosa.reshape %arg0, %{{.*}} -> tensor<1x1x1x12xi8>
# FLAT: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<2x1x1x12xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.00400000019, zero_point = 0>}
# FLAT: %[[ACC:.*]] = tosa.conv2d %[[XR]], %[[W]], {{.*}} -> tensor<1x1x1x2xi32>
# FLAT-DAG: "tosa.const"() <{values = dense<1099511680> : tensor<2xi32>}>
# FLAT-DAG: "tosa.const"() <{values = dense<39> : tensor<2xi8>}>
# FLAT-DAG: "tosa.const"() <{values = dense<-20> : tensor<1xi8>}>
# FLAT: %[[R:.*]] = tosa.rescale %[[ACC]]
# FLAT-NOT: tosa.clamp
# FLAT: tosa.reshape %[[R]], %{{.*}} -> tensor<1x2xi8>

# Depth 3 on [1, 2, 2, 3]: four rows. The bias input is -1, so the bias is
# a zero i32 constant. keep_num_dims: the result goes back to [1, 2, 2, 2].
# RELU6 on (0.1, -20): [-20, -20 + round(6 / 0.1)] = [-20, 40].
# NOB-LABEL: func.func @main(
# NOB-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<0> : tensor<2xi32>}>
# NOB-DAG: %[[XR:.*]] = tosa.reshape %arg0, %{{.*}} -> tensor<4x1x1x3xi8>
# NOB-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<2x1x1x3xi8>}>
# NOB: tosa.conv2d %[[XR]], %[[W]], %[[B]], {{.*}} -> tensor<4x1x1x2xi32>
# NOB: %[[C:.*]] = tosa.clamp %{{.*}} {max_val = 40 : i8, min_val = -20 : i8}
# NOB: tosa.reshape %[[C]], %{{.*}} -> tensor<1x2x2x2xi8>

# Float: f32 accumulation, f32 zero points, no rescale, no clamp.
# FLT-LABEL: func.func @main(%{{.*}}: tensor<1x4xf32>) -> tensor<1x3xf32>
# FLT-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[0.000000e+00, 1.250000e-01, 2.500000e-01]> : tensor<3xf32>}>
# FLT-DAG: %[[XR:.*]] = tosa.reshape %arg0, %{{.*}} -> tensor<1x1x1x4xf32>
# FLT-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<3x1x1x4xf32>}>
# FLT-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}>
# FLT: %[[ACC:.*]] = tosa.conv2d %[[XR]], %[[W]], %[[B]], %[[ZP]], %{{.*}} {acc_type = f32, {{.*}} -> tensor<1x1x1x3xf32>
# FLT-NOT: tosa.rescale
# FLT-NOT: tosa.clamp
# FLT: %[[Y:.*]] = tosa.reshape %[[ACC]], %{{.*}} -> tensor<1x3xf32>
# FLT: return %[[Y]]

# Imports DEPTHWISE_CONV_2D: the [1, KH, KW, C*M] filter as TOSA's
# [KH, KW, C, M] (depth multiplier 1 and 2), per-channel and per-tensor int8
# requantization, biases quantized along the converter's axis 3, padding,
# strides, fused activations, and float.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/m1_int8.tflite | FileCheck %s --check-prefix=M1
# RUN: tinyprune-translate --import-tflite %t/m2_int8.tflite | FileCheck %s --check-prefix=M2
# RUN: tinyprune-translate --import-tflite %t/per_tensor.tflite | FileCheck %s --check-prefix=PT
# RUN: tinyprune-translate --import-tflite %t/float_m2.tflite | FileCheck %s --check-prefix=FLT

import os
import sys

from tflgen import Model


def dw(name, in_shape, w_shape, out_shape, opts, dtype="INT8", bias=True,
       w_scale=None, in_q=(0.5, -3), out_q=(0.25, 1)):
    m = Model(description=name)
    ch = w_shape[3]
    count = 1
    for d in w_shape:
        count *= d
    if dtype == "INT8":
        x = m.tensor("input", in_shape, "INT8", scale=in_q[0],
                     zero_point=in_q[1])
        w_scale = w_scale or [0.01 * (c + 1) for c in range(ch)]
        n = len(w_scale)
        # Converters quantize depthwise filters, and their biases, along 3.
        w = m.const("filter", w_shape, "INT8",
                    values=[(i * 5) % 200 - 100 for i in range(count)],
                    scale=w_scale, zero_point=[0] * n, quantized_dimension=3)
        b = m.const("bias", [ch], "INT32", values=[10 * c - 7 for c in range(ch)],
                    scale=[in_q[0] * s for s in w_scale], zero_point=[0] * n,
                    quantized_dimension=3) if bias else None
        y = m.tensor("output", out_shape, "INT8", scale=out_q[0],
                     zero_point=out_q[1])
    else:
        x = m.tensor("input", in_shape, "FLOAT32")
        w = m.const("filter", w_shape, "FLOAT32",
                    values=[((i * 5) % 11) / 11.0 - 0.5 for i in range(count)])
        b = m.const("bias", [ch], "FLOAT32",
                    values=[0.5 * c for c in range(ch)]) if bias else None
        y = m.tensor("output", out_shape, "FLOAT32")
    m.op("DEPTHWISE_CONV_2D", inputs=[x, w, b], outputs=[y],
         options=("DepthwiseConv2DOptions", opts), version=3)
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
dw("m1_int8", [1, 5, 5, 3], [1, 3, 3, 3], [1, 5, 5, 3],
   {"padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 1,
    "fused_activation_function": "RELU6"})
dw("m2_int8", [1, 7, 7, 2], [1, 3, 3, 4], [1, 3, 3, 4],
   {"padding": "VALID", "stride_w": 2, "stride_h": 2, "depth_multiplier": 2})
dw("per_tensor", [1, 6, 6, 2], [1, 3, 3, 2], [1, 3, 3, 2],
   {"padding": "SAME", "stride_w": 2, "stride_h": 2, "depth_multiplier": 1,
    "fused_activation_function": "RELU"},
   w_scale=[0.003], in_q=(0.02, 5), out_q=(0.07, -10))
dw("float_m2", [1, 4, 4, 1], [1, 2, 2, 2], [1, 4, 4, 2],
   {"padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 2,
    "fused_activation_function": "RELU"}, dtype="FLOAT32", bias=False)

# Multiplier 1: [1, 3, 3, 3] is [3, 3, 3, 1] with the same bytes, so the
# filter is one constant whose per-channel scales move to axis 2. The bias's
# quantized_dimension 3 makes no sense for a vector and reads as 0.
# Rescale: 0.5 * s_c / 0.25 from float32 scales (0.0199999996,
# 0.0399999991, 0.0599999987) = 0.64 * 2^-5, 0.64 * 2^-4, 0.96 * 2^-4:
# Q31 round(0.64 * 2^31) = 1374389504, round(0.96 * 2^31) = 2061584256,
# shifts 31 + 5 = 36, 35, 35. RELU6 on (0.25, 1): [1, 1 + 6 / 0.25] = [1, 25].
# M1-LABEL: func.func @main(
# M1-SAME: %[[X:.*]]: tensor<1x5x5x3xi8>
# M1-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[-7, 3, 13]> : tensor<3xi32>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.00499999989, 0.00999999978, 0.0149999997], zero_point = [0, 0, 0]>}
# M1-DAG: %[[XZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
# M1-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# M1-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<3x3x3x1xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 2, scale = [0.00999999978, 0.0199999996, 0.0299999993], zero_point = [0, 0, 0]>}
# M1-NOT: tosa.reshape
# M1: %[[ACC:.*]] = tosa.depthwise_conv2d %[[X]], %[[W]], %[[B]], %[[XZP]], %[[WZP]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} {{.*}} -> tensor<1x5x5x3xi32>
# M1-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<[1374389504, 1374389504, 2061584256]> : tensor<3xi32>}>
# M1-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<[36, 35, 35]> : tensor<3xi8>}>
# M1-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
# M1-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
# M1: %[[R:.*]] = tosa.rescale %[[ACC]], %[[M]], %[[S]], %[[IZP]], %[[OZP]] {{.*}}per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true} {{.*}} -> tensor<1x5x5x3xi8>
# M1: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = 25 : i8, min_val = 1 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 1>}
# M1: return %[[Y]]

# Multiplier 2: channels 2 * c + m. The constant keeps TFLite's shape (its
# scales along axis 3 still describe it) and a reshape makes it
# [KH, KW, C, M]. Channel 3's scale 0.04 adds 0.64 * 2^-3: shift 34.
# VALID, stride 2 on 7: 3 outputs, no padding. No activation: no clamp.
# M2-LABEL: func.func @main(
# M2-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<1x3x3x4xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 3, scale = [0.00999999978, 0.0199999996, 0.0299999993, 0.0399999991], zero_point = [0, 0, 0, 0]>}
# M2-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[-7, 3, 13, 23]> : tensor<4xi32>}> {tinyprune.quant = #tinyprune.quant<axis = 0,
# M2-DAG: %[[SHAPE:.*]] = tosa.const_shape {values = dense<[3, 3, 2, 2]> : tensor<4xindex>}
# M2: %[[WR:.*]] = tosa.reshape %[[W]], %[[SHAPE]] {{.*}} -> tensor<3x3x2x2xi8>
# M2: %[[ACC:.*]] = tosa.depthwise_conv2d %arg0, %[[WR]], %[[B]], %{{.*}}, %{{.*}} {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} {{.*}} -> tensor<1x3x3x4xi32>
# M2-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<[1374389504, 1374389504, 2061584256, 1374389504]> : tensor<4xi32>}>
# M2-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<[36, 35, 35, 34]> : tensor<4xi8>}>
# M2: %[[R:.*]] = tosa.rescale %[[ACC]], %[[M]], %[[S]], {{.*}} -> tensor<1x3x3x4xi8>
# M2-NOT: tosa.clamp
# M2: return %[[R]]

# Per-tensor filter scale: every channel gets the same multiplier,
# 0.02 * 0.003 / 0.07 = 0.000857142... = 0.87771 * 2^-10 -> Q31 1884877042,
# shift 41. SAME, stride 2 on 6 pads [0, 1]; RELU on zero point -10 clamps
# to [-10, 127].
# PT-LABEL: func.func @main(
# PT-DAG: "tosa.const"() <{values = dense<[-7, 3]> : tensor<2xi32>}> {tinyprune.quant = #tinyprune.quant<scale = 5.99999985e-05, zero_point = 0>}
# PT-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<3x3x2x1xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.00300000003, zero_point = 0>}
# PT: tosa.depthwise_conv2d %arg0, %[[W]], {{.*}} pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>
# PT-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1884877042> : tensor<2xi32>}>
# PT-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<41> : tensor<2xi8>}>
# PT-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-10> : tensor<1xi8>}>
# PT: tosa.rescale %{{.*}}, %[[M]], %[[S]], %{{.*}}, %[[OZP]]
# PT: tosa.clamp %{{.*}} {max_val = 127 : i8, min_val = -10 : i8

# Float, multiplier 2, no bias: zero bias, f32 zero points, no rescale; RELU
# clamps to [0, +inf).
# FLT-LABEL: func.func @main(%{{.*}}: tensor<1x4x4x1xf32>) -> tensor<1x4x4x2xf32>
# FLT-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<2xf32>}>
# FLT-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<1x2x2x2xf32>}>
# FLT: %[[WR:.*]] = tosa.reshape %[[W]], %{{.*}} -> tensor<2x2x1x2xf32>
# FLT: %[[ACC:.*]] = tosa.depthwise_conv2d %arg0, %[[WR]], %[[B]], {{.*}} {acc_type = f32, {{.*}} pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 1, 1>}
# FLT-NOT: tosa.rescale
# FLT: tosa.clamp %[[ACC]] {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32}

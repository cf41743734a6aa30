# Imports RELU and RELU6: int8 is TFLite's ReluX (requantize from the input to
# the output quantization, then clamp to the activation range); float is a
# plain clamp.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/relu_int8.tflite | FileCheck %s --check-prefix=R8
# RUN: tinyprune-translate --import-tflite %t/relu6_int8.tflite | FileCheck %s --check-prefix=R68
# RUN: tinyprune-translate --import-tflite %t/relu_full_range.tflite | FileCheck %s --check-prefix=FULL
# RUN: tinyprune-translate --import-tflite %t/relu_float.tflite | FileCheck %s --check-prefix=RF
# RUN: tinyprune-translate --import-tflite %t/relu6_float.tflite | FileCheck %s --check-prefix=R6F

import os
import sys

from tflgen import Model


def relu(name, op, shape, dtype, in_q=None, out_q=None):
    m = Model(description=name)
    in_q = dict(scale=in_q[0], zero_point=in_q[1]) if in_q else {}
    out_q = dict(scale=out_q[0], zero_point=out_q[1]) if out_q else {}
    x = m.tensor("input", shape, dtype, **in_q)
    y = m.tensor("output", shape, dtype, **out_q)
    m.op(op, inputs=[x], outputs=[y])
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
relu("relu_int8", "RELU", [1, 4], "INT8", in_q=(0.1, -5), out_q=(0.03, -20))
relu("relu6_int8", "RELU6", [1, 2, 3], "INT8", in_q=(0.1, -5),
     out_q=(0.07, -100))
relu("relu_full_range", "RELU", [4], "INT8", in_q=(0.1, -5),
     out_q=(0.04, -128))
relu("relu_float", "RELU", [2, 2], "FLOAT32")
relu("relu6_float", "RELU6", [1, 3], "FLOAT32")

# int8 RELU: TFLite computes the multiplier in_scale / out_scale in float32
# and only then widens it: f32(0.1) / f32(0.03) = 3.33333349 (f32), whose
# frexp is 0.833 * 2^2 -> multiplier 1789569792, shift 31 - 2 = 29 (the
# double ratio would give 1789569773). The rescale subtracts the input zero
# point -5 and adds the output zero point -20; the clamp keeps [zp, 127] =
# [max(-128, -20 + round(0 / 0.03)), 127] = [-20, 127].
# R8-LABEL: func.func @main(
# R8-SAME: %[[X:.*]]: tensor<1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>}
# R8-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1789569792> : tensor<1xi32>}>
# R8-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
# R8-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
# R8-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-20> : tensor<1xi8>}>
# R8: %[[R:.*]] = tosa.rescale %[[X]], %[[M]], %[[S]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : {{.*}} -> tensor<1x4xi8>
# R8: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = -20 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -20>}
# R8: return %[[Y]]

# int8 RELU6: f32(0.1) / f32(0.07) = 1.42857146 (f32) = 0.714 * 2^1 ->
# multiplier 1533916928, shift 30 (double: 1533916908). Range:
# min = -100 + round(0 / 0.07) = -100, max = -100 + round(6 / 0.07 = 85.71)
# = -14.
# R68-LABEL: func.func @main(
# R68-SAME: %[[X:.*]]: tensor<1x2x3xi8>
# R68-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1533916928> : tensor<1xi32>}>
# R68-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
# R68-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
# R68-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-100> : tensor<1xi8>}>
# R68: %[[R:.*]] = tosa.rescale %[[X]], %[[M]], %[[S]], %[[IZP]], %[[OZP]] {{.*}} -> tensor<1x2x3xi8>
# R68: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = -14 : i8, min_val = -100 : i8
# R68: return %[[Y]]

# int8 RELU whose output zero point is -128: the activation range is the
# whole int8 range and the saturating rescale already enforces it, so no
# clamp is emitted. f32(0.1) / f32(0.04) rounds to exactly 2.5 in float32 ->
# multiplier 0.625 * 2^31 = 1342177280, shift 29 (double: 1342177330).
# FULL-LABEL: func.func @main(
# FULL-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1342177280> : tensor<1xi32>}>
# FULL-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
# FULL-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
# FULL: %[[R:.*]] = tosa.rescale %arg0, %[[M]], %[[S]], %{{.*}}, %[[OZP]] {{.*}} -> tensor<4xi8>
# FULL-NOT: tosa.clamp
# FULL: return %[[R]]

# float RELU: clamp to [0, +inf] (0x7F800000 is +inf as f32).
# RF-LABEL: func.func @main(
# RF-SAME: %[[X:.*]]: tensor<2x2xf32>) -> tensor<2x2xf32>
# RF-NEXT: %[[Y:.*]] = tosa.clamp %[[X]] {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32} : (tensor<2x2xf32>) -> tensor<2x2xf32>
# RF-NEXT: return %[[Y]]

# float RELU6: clamp to [0, 6].
# R6F-LABEL: func.func @main(
# R6F-SAME: %[[X:.*]]: tensor<1x3xf32>) -> tensor<1x3xf32>
# R6F-NEXT: %[[Y:.*]] = tosa.clamp %[[X]] {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x3xf32>) -> tensor<1x3xf32>
# R6F-NEXT: return %[[Y]]

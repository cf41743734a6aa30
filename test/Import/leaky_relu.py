# Imports LEAKY_RELU: float is a select between x and alpha * x on x > 0;
# int8 is TFLite's quantized leaky relu, a select between two requantizations
# of the input on (x - input_zp) >= 0.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int8.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/int8_small_alpha.tflite | FileCheck %s --check-prefix=SMALL

import os
import sys

from tflgen import Model


def leaky(name, shape, dtype, alpha, in_q=None, out_q=None):
    m = Model(description=name)
    in_q = dict(scale=in_q[0], zero_point=in_q[1]) if in_q else {}
    out_q = dict(scale=out_q[0], zero_point=out_q[1]) if out_q else {}
    x = m.tensor("input", shape, dtype, **in_q)
    y = m.tensor("output", shape, dtype, **out_q)
    m.op("LEAKY_RELU", inputs=[x], outputs=[y],
         options=("LeakyReluOptions", {"alpha": alpha}))
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
leaky("float", [1, 2, 2, 3], "FLOAT32", 0.2)
leaky("int8", [1, 4], "INT8", 0.2, in_q=(0.1, -5), out_q=(0.03, -20))
leaky("int8_small_alpha", [2, 3], "INT8", 0.01, in_q=(0.05, 10),
      out_q=(0.02, 0))

# float: x > 0 ? x : x * alpha, TFLite's own formula (strict comparison, so
# alpha may be above 1 or negative). Constants are rank-4 [1,1,1,1] so they
# broadcast; tosa.mul takes a zero shift operand.
# F32-LABEL: func.func @main(
# F32-SAME: %[[X:.*]]: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
# F32-DAG: %[[ZERO:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1x1x1xf32>}>
# F32-DAG: %[[ALPHA:.*]] = "tosa.const"() <{values = dense<2.000000e-01> : tensor<1x1x1x1xf32>}>
# F32-DAG: %[[SH:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# F32: %[[C:.*]] = tosa.greater %[[X]], %[[ZERO]] : {{.*}} -> tensor<1x2x2x3xi1>
# F32: %[[NEG:.*]] = tosa.mul %[[X]], %[[ALPHA]], %[[SH]] : {{.*}} -> tensor<1x2x2x3xf32>
# F32: %[[Y:.*]] = tosa.select %[[C]], %[[X]], %[[NEG]]
# F32: return %[[Y]]

# int8: both multipliers are computed in float32 by TFLite before being
# widened to double:
#   identity = f32(0.1) / f32(0.03) = 3.33333349 -> 1789569792, shift 29
#   alpha = f32(f32(0.1) * f32(0.2)) / f32(0.03) = 0.666666746 = 0.667 * 2^0
#           -> 1431655936, shift 31 (the double product would give 1431655840)
# Both rescales subtract the input zero point -5 and add the output zero point
# -20; the select picks the identity one where x >= -5 (x - zp >= 0).
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:.*]]: tensor<1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>}
# I8-DAG: %[[M1:.*]] = "tosa.const"() <{values = dense<1789569792> : tensor<1xi32>}>
# I8-DAG: %[[S1:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
# I8-DAG: %[[IZP1:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
# I8-DAG: %[[OZP1:.*]] = "tosa.const"() <{values = dense<-20> : tensor<1xi8>}>
# I8: %[[POS:.*]] = tosa.rescale %[[X]], %[[M1]], %[[S1]], %[[IZP1]], %[[OZP1]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true}
# I8-DAG: %[[M2:.*]] = "tosa.const"() <{values = dense<1431655936> : tensor<1xi32>}>
# I8-DAG: %[[S2:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
# I8-DAG: %[[IZP2:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
# I8-DAG: %[[OZP2:.*]] = "tosa.const"() <{values = dense<-20> : tensor<1xi8>}>
# I8: %[[NEG:.*]] = tosa.rescale %[[X]], %[[M2]], %[[S2]], %[[IZP2]], %[[OZP2]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true}
# I8: %[[ZP:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1x1xi8>}>
# I8: %[[C:.*]] = tosa.greater_equal %[[X]], %[[ZP]] : {{.*}} -> tensor<1x4xi1>
# I8: %[[Y:.*]] = tosa.select %[[C]], %[[POS]], %[[NEG]] {tinyprune.quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -20>}
# I8: return %[[Y]]

# int8, alpha 0.01, scales 0.05 -> 0.02:
#   identity = f32(0.05) / f32(0.02) = 2.5 exactly -> 1342177280, shift 29
#   alpha = f32(f32(0.05) * f32(0.01)) / f32(0.02) = 0.0250000022
#           = 0.8000001 * 2^-5 -> 1717987072, shift 36 (double: 1717986944)
# SMALL-LABEL: func.func @main(
# SMALL-DAG: %[[M1:.*]] = "tosa.const"() <{values = dense<1342177280> : tensor<1xi32>}>
# SMALL-DAG: %[[S1:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
# SMALL: %[[POS:.*]] = tosa.rescale %arg0, %[[M1]], %[[S1]]
# SMALL-DAG: %[[M2:.*]] = "tosa.const"() <{values = dense<1717987072> : tensor<1xi32>}>
# SMALL-DAG: %[[S2:.*]] = "tosa.const"() <{values = dense<36> : tensor<1xi8>}>
# SMALL: %[[NEG:.*]] = tosa.rescale %arg0, %[[M2]], %[[S2]]
# SMALL: %[[ZP:.*]] = "tosa.const"() <{values = dense<10> : tensor<1x1xi8>}>
# SMALL: %[[C:.*]] = tosa.greater_equal %arg0, %[[ZP]]
# SMALL: tosa.select %[[C]], %[[POS]], %[[NEG]]

# Imports ADD: int8 with TFLite's shift-by-20 requantization and a fused
# RELU6 clamp, int8 broadcasting of a rank-1 constant, float32 with
# broadcasting and a fused RELU, and int32.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/int8_relu6.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/int8_bcast.tflite | FileCheck %s --check-prefix=BC8
# RUN: tinyprune-translate --import-tflite %t/float_bcast_relu.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int32.tflite | FileCheck %s --check-prefix=I32

import os
import sys

from tflgen import Model


def add(name, dtype, a_shape, b_shape, out_shape, act="NONE", qa=None,
        qb=None, qo=None, b_const=None):
    m = Model(description=name)
    q = lambda p: {} if p is None else {"scale": p[0], "zero_point": p[1]}
    a = m.tensor("a", a_shape, dtype, **q(qa))
    if b_const is None:
        b = m.tensor("b", b_shape, dtype, **q(qb))
    else:
        b = m.const("b", b_shape, dtype, values=b_const, **q(qb))
    y = m.tensor("sum", out_shape, dtype, **q(qo))
    m.op("ADD", inputs=[a, b], outputs=[y], version=2,
         options=("AddOptions", {"fused_activation_function": act}))
    m.inputs([a] if b_const is not None else [a, b])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
add("int8_relu6", "INT8", [1, 2, 2, 3], [1, 2, 2, 3], [1, 2, 2, 3], "RELU6",
    qa=(0.03, -10), qb=(0.02, 7), qo=(0.05, -20))
add("int8_bcast", "INT8", [1, 4, 4, 3], [3], [1, 4, 4, 3], "RELU",
    qa=(0.5, 1), qb=(0.25, 0), qo=(0.5, -128), b_const=[-4, 0, 9])
add("float_bcast_relu", "FLOAT32", [1, 4, 4, 3], [3], [1, 4, 4, 3], "RELU")
add("int32", "INT32", [2, 5], [2, 5], [2, 5])

# int8: each input becomes (x - zp) << 20 (multiplier 2^30, shift 10: exact),
# then is scaled by s_in / (2 * max(s_a, s_b)) with max = 0.03:
#   a: 0.5       -> frexp (0.5, 0)       -> 1073741824, shift 31
#   b: 0.02/0.06 -> frexp (0.6667, -1)   -> 1431655765, shift 32
# The i32 sum is requantized by 0.06 / (2^20 * 0.05) = 1.2 * 2^-20
#   -> frexp (0.6, -19) -> 1288490141 (f32 scales), shift 50, output zp -20.
# RELU6 clamps to [-20, -20 + round(6 / 0.05)] = [-20, 100].
# I8-LABEL: func.func @main(
# I8-SAME: %[[A:[^:]*]]: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -10>}
# I8-SAME: %[[B:[^:]*]]: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0199999996, zero_point = 7>}
# I8-DAG: %[[UPM:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# I8-DAG: %[[UPS:.*]] = "tosa.const"() <{values = dense<10> : tensor<1xi8>}>
# I8-DAG: %[[AZP:.*]] = "tosa.const"() <{values = dense<-10> : tensor<1xi8>}>
# I8: %[[AUP:.*]] = tosa.rescale %[[A]], %[[UPM]], %[[UPS]], %[[AZP]], %{{.*}} {{.*}} -> tensor<1x2x2x3xi32>
# I8-DAG: %[[AM:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# I8-DAG: %[[AS:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
# I8: %[[AX:.*]] = tosa.rescale %[[AUP]], %[[AM]], %[[AS]], {{.*}} -> tensor<1x2x2x3xi32>
# I8-DAG: %[[BZP:.*]] = "tosa.const"() <{values = dense<7> : tensor<1xi8>}>
# I8: %[[BUP:.*]] = tosa.rescale %[[B]], %{{.*}}, %{{.*}}, %[[BZP]], %{{.*}} {{.*}} -> tensor<1x2x2x3xi32>
# I8-DAG: %[[BM:.*]] = "tosa.const"() <{values = dense<1431655765> : tensor<1xi32>}>
# I8-DAG: %[[BS:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
# I8: %[[BX:.*]] = tosa.rescale %[[BUP]], %[[BM]], %[[BS]], {{.*}} -> tensor<1x2x2x3xi32>
# I8: %[[SUM:.*]] = tosa.add %[[AX]], %[[BX]] : {{.*}} -> tensor<1x2x2x3xi32>
# I8-DAG: %[[OM:.*]] = "tosa.const"() <{values = dense<1288490141> : tensor<1xi32>}>
# I8-DAG: %[[OS:.*]] = "tosa.const"() <{values = dense<50> : tensor<1xi8>}>
# I8-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-20> : tensor<1xi8>}>
# I8: %[[R:.*]] = tosa.rescale %[[SUM]], %[[OM]], %[[OS]], %{{.*}}, %[[OZP]] {{.*}} -> tensor<1x2x2x3xi8>
# I8: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = 100 : i8, min_val = -20 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -20>}
# I8: return %[[Y]]

# Broadcasting: the rank-1 constant is reshaped to [1, 1, 1, 3] so that TOSA's
# equal-rank broadcasting applies. Scales 0.5 / 0.25: max 0.5, multipliers
# 0.5 -> (2^30, 31) and 0.25 -> (2^30, 32); output 1.0 / (2^20 * 0.5) = 2^-19
# -> frexp (0.5, -18) -> (2^30, 49). RELU with output zp -128 keeps the whole
# int8 range, so no clamp is emitted.
# BC8-LABEL: func.func @main(
# BC8: %[[C:.*]] = "tosa.const"() <{values = dense<[-4, 0, 9]> : tensor<3xi8>}>
# BC8: %[[SH:.*]] = tosa.const_shape {values = dense<[1, 1, 1, 3]> : tensor<4xindex>}
# BC8: %[[CR:.*]] = tosa.reshape %[[C]], %[[SH]] : {{.*}} -> tensor<1x1x1x3xi8>
# BC8: tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x3xi32>
# BC8: %[[CUP:.*]] = tosa.rescale %[[CR]], {{.*}} -> tensor<1x1x1x3xi32>
# BC8-DAG: %[[CM:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# BC8-DAG: %[[CS:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
# BC8: %[[CX:.*]] = tosa.rescale %[[CUP]], %[[CM]], %[[CS]], {{.*}} -> tensor<1x1x1x3xi32>
# BC8: %[[SUM:.*]] = tosa.add %{{.*}}, %[[CX]] : {{.*}} -> tensor<1x4x4x3xi32>
# BC8-DAG: %[[OS:.*]] = "tosa.const"() <{values = dense<49> : tensor<1xi8>}>
# BC8-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
# BC8: %[[Y:.*]] = tosa.rescale %[[SUM]], %{{.*}}, %[[OS]], %{{.*}}, %[[OZP]] {{.*}} -> tensor<1x4x4x3xi8>
# BC8-NOT: tosa.clamp
# BC8: return %[[Y]]

# float32: no rescales; the [3] input is reshaped for broadcasting and RELU
# becomes a clamp to [0, +inf].
# F32-LABEL: func.func @main(%{{.*}}: tensor<1x4x4x3xf32>, %{{.*}}: tensor<3xf32>) -> tensor<1x4x4x3xf32>
# F32-NOT: tosa.rescale
# F32: %[[SH:.*]] = tosa.const_shape {values = dense<[1, 1, 1, 3]> : tensor<4xindex>}
# F32-NEXT: %[[R:.*]] = tosa.reshape %arg1, %[[SH]] : {{.*}} -> tensor<1x1x1x3xf32>
# F32-NEXT: %[[S:.*]] = tosa.add %arg0, %[[R]] : {{.*}} -> tensor<1x4x4x3xf32>
# F32-NEXT: %[[Y:.*]] = tosa.clamp %[[S]] {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32}
# F32-NEXT: return %[[Y]]

# int32: a plain tosa.add.
# I32-LABEL: func.func @main(%{{.*}}: tensor<2x5xi32>, %{{.*}}: tensor<2x5xi32>) -> tensor<2x5xi32>
# I32-NEXT: %[[S:.*]] = tosa.add %arg0, %arg1 : (tensor<2x5xi32>, tensor<2x5xi32>) -> tensor<2x5xi32>
# I32-NEXT: return %[[S]]

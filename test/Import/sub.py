# Imports SUB: int8 with TFLite's shift-by-20 requantization and a fused
# RELU_N1_TO_1 clamp, float32 with the lower-rank operand first (operand
# order kept) and a fused RELU6, and int32 with broadcasting.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/int8_relu_n1_to_1.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/float_bcast_relu6.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int32_bcast.tflite | FileCheck %s --check-prefix=I32

import os
import sys

from tflgen import Model


def sub(name, dtype, a_shape, b_shape, out_shape, act="NONE", qa=None,
        qb=None, qo=None):
    m = Model(description=name)
    q = lambda p: {} if p is None else {"scale": p[0], "zero_point": p[1]}
    a = m.tensor("a", a_shape, dtype, **q(qa))
    b = m.tensor("b", b_shape, dtype, **q(qb))
    y = m.tensor("diff", out_shape, dtype, **q(qo))
    m.op("SUB", inputs=[a, b], outputs=[y], version=2,
         options=("SubOptions", {"fused_activation_function": act}))
    m.inputs([a, b])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
sub("int8_relu_n1_to_1", "INT8", [1, 3, 4], [1, 3, 4], [1, 3, 4],
    "RELU_N1_TO_1", qa=(0.03, 3), qb=(0.07, -1), qo=(0.01, 5))
sub("float_bcast_relu6", "FLOAT32", [3], [1, 2, 2, 3], [1, 2, 2, 3], "RELU6")
sub("int32_bcast", "INT32", [2, 5], [5], [2, 5])

# int8: as ADD, with tosa.sub. Inputs become (x - zp) << 20 (2^30, shift 10),
# then are scaled by s_in / (2 * 0.07). Unlike ADD, TFLite Micro prepares SUB
# in float32 (CalculateOpDataSub), rounding each ratio to float first:
#   a: f32(0.03/0.14) -> 1840700160 (not 1840700221 as in double), shift 33
#   b: 0.5            -> 1073741824, shift 31
# Output: f32(0.14 / (2^20 * 0.01)) -> 1879048192 (double: 1879048242),
# shift 47, zp 5. RELU_N1_TO_1 clamps to 5 + round(+-1 / 0.01) = [-95, 105].
# I8-LABEL: func.func @main(
# I8-SAME: %[[A:[^:]*]]: tensor<1x3x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0299999993, zero_point = 3>}
# I8-SAME: %[[B:[^:]*]]: tensor<1x3x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0700000003, zero_point = -1>}
# I8-DAG: %[[AZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
# I8: %[[AUP:.*]] = tosa.rescale %[[A]], %{{.*}}, %{{.*}}, %[[AZP]], %{{.*}} {{.*}} -> tensor<1x3x4xi32>
# I8-DAG: %[[AM:.*]] = "tosa.const"() <{values = dense<1840700160> : tensor<1xi32>}>
# I8-DAG: %[[AS:.*]] = "tosa.const"() <{values = dense<33> : tensor<1xi8>}>
# I8: %[[AX:.*]] = tosa.rescale %[[AUP]], %[[AM]], %[[AS]], {{.*}} -> tensor<1x3x4xi32>
# I8-DAG: %[[UPM:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# I8-DAG: %[[UPS:.*]] = "tosa.const"() <{values = dense<10> : tensor<1xi8>}>
# I8-DAG: %[[BZP:.*]] = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}>
# I8: %[[BUP:.*]] = tosa.rescale %[[B]], %[[UPM]], %[[UPS]], %[[BZP]], %{{.*}} {{.*}} -> tensor<1x3x4xi32>
# I8-DAG: %[[BM:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# I8-DAG: %[[BS:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
# I8: %[[BX:.*]] = tosa.rescale %[[BUP]], %[[BM]], %[[BS]], {{.*}} -> tensor<1x3x4xi32>
# I8: %[[D:.*]] = tosa.sub %[[AX]], %[[BX]] : {{.*}} -> tensor<1x3x4xi32>
# I8-DAG: %[[OM:.*]] = "tosa.const"() <{values = dense<1879048192> : tensor<1xi32>}>
# I8-DAG: %[[OS:.*]] = "tosa.const"() <{values = dense<47> : tensor<1xi8>}>
# I8-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<5> : tensor<1xi8>}>
# I8: %[[R:.*]] = tosa.rescale %[[D]], %[[OM]], %[[OS]], %{{.*}}, %[[OZP]] {{.*}} -> tensor<1x3x4xi8>
# I8: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = 105 : i8, min_val = -95 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.00999999978, zero_point = 5>}
# I8: return %[[Y]]

# float32: subtraction is not commutative, so the reshaped rank-1 operand
# stays on the left; RELU6 becomes a clamp to [0, 6]. No rescale.
# F32-LABEL: func.func @main(%{{.*}}: tensor<3xf32>, %{{.*}}: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
# F32-NOT: tosa.rescale
# F32: %[[SH:.*]] = tosa.const_shape {values = dense<[1, 1, 1, 3]> : tensor<4xindex>}
# F32-NEXT: %[[R:.*]] = tosa.reshape %arg0, %[[SH]] : {{.*}} -> tensor<1x1x1x3xf32>
# F32-NEXT: %[[D:.*]] = tosa.sub %[[R]], %arg1 : {{.*}} -> tensor<1x2x2x3xf32>
# F32-NEXT: %[[Y:.*]] = tosa.clamp %[[D]] {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
# F32-NEXT: return %[[Y]]

# int32: the [5] operand is reshaped to [1, 5]; no rescale, no clamp.
# I32-LABEL: func.func @main(%{{.*}}: tensor<2x5xi32>, %{{.*}}: tensor<5xi32>) -> tensor<2x5xi32>
# I32-NOT: tosa.rescale
# I32: %[[SH:.*]] = tosa.const_shape {values = dense<[1, 5]> : tensor<2xindex>}
# I32-NEXT: %[[R:.*]] = tosa.reshape %arg1, %[[SH]] : {{.*}} -> tensor<1x5xi32>
# I32-NEXT: %[[D:.*]] = tosa.sub %arg0, %[[R]] : {{.*}} -> tensor<2x5xi32>
# I32-NEXT: return %[[D]]

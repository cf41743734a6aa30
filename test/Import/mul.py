# Imports MUL: int8 (zero points removed exactly, one requantization of the
# product) with a fused RELU, int8 broadcasting of a rank-1 constant with a
# multiplier above 1 and a fused RELU6, float32 with RELU_N1_TO_1, and int32.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/int8_relu.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/int8_bcast_relu6.tflite | FileCheck %s --check-prefix=BC8
# RUN: tinyprune-translate --import-tflite %t/float_relu_n1_to_1.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int32.tflite | FileCheck %s --check-prefix=I32

import os
import sys

from tflgen import Model


def mul(name, dtype, a_shape, b_shape, out_shape, act="NONE", qa=None,
        qb=None, qo=None, b_const=None):
    m = Model(description=name)
    q = lambda p: {} if p is None else {"scale": p[0], "zero_point": p[1]}
    a = m.tensor("a", a_shape, dtype, **q(qa))
    if b_const is None:
        b = m.tensor("b", b_shape, dtype, **q(qb))
    else:
        b = m.const("b", b_shape, dtype, values=b_const, **q(qb))
    y = m.tensor("prod", out_shape, dtype, **q(qo))
    m.op("MUL", inputs=[a, b], outputs=[y], version=2,
         options=("MulOptions", {"fused_activation_function": act}))
    m.inputs([a] if b_const is not None else [a, b])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
mul("int8_relu", "INT8", [1, 2, 2, 3], [1, 2, 2, 3], [1, 2, 2, 3], "RELU",
    qa=(0.05, -3), qb=(0.1, 4), qo=(0.02, -5))
mul("int8_bcast_relu6", "INT8", [1, 4, 4, 3], [3], [1, 4, 4, 3], "RELU6",
    qa=(0.3, 2), qb=(0.7, -6), qo=(0.11, 0), b_const=[1, -7, 100])
mul("float_relu_n1_to_1", "FLOAT32", [2, 3], [2, 3], [2, 3], "RELU_N1_TO_1")
mul("int32", "INT32", [4], [4], [4])

# int8: each input is widened to i32 as x - zp (multiplier 2^30, shift 30:
# exact), multiplied with shift 0, and the product requantized once by
# s_a * s_b / s_out = 0.05 * 0.1 / 0.02 = 0.25 (f32 scales, in double)
#   -> frexp (0.500000026, -1) -> 1073741880, shift 32, output zp -5.
# RELU clamps from the output zero point: [-5, 127].
# I8-LABEL: func.func @main(
# I8-SAME: %[[A:[^:]*]]: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -3>}
# I8-SAME: %[[B:[^:]*]]: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = 4>}
# I8-DAG: %[[NOSHIFT:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# I8-DAG: %[[IDM:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# I8-DAG: %[[IDS:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
# I8-DAG: %[[AZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
# I8: %[[AX:.*]] = tosa.rescale %[[A]], %[[IDM]], %[[IDS]], %[[AZP]], %{{.*}} {{.*}} -> tensor<1x2x2x3xi32>
# I8-DAG: %[[BZP:.*]] = "tosa.const"() <{values = dense<4> : tensor<1xi8>}>
# I8: %[[BX:.*]] = tosa.rescale %[[B]], %{{.*}}, %{{.*}}, %[[BZP]], %{{.*}} {{.*}} -> tensor<1x2x2x3xi32>
# I8: %[[P:.*]] = tosa.mul %[[AX]], %[[BX]], %[[NOSHIFT]] : {{.*}} -> tensor<1x2x2x3xi32>
# I8-DAG: %[[OM:.*]] = "tosa.const"() <{values = dense<1073741880> : tensor<1xi32>}>
# I8-DAG: %[[OS:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
# I8-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
# I8: %[[R:.*]] = tosa.rescale %[[P]], %[[OM]], %[[OS]], %{{.*}}, %[[OZP]] {{.*}} -> tensor<1x2x2x3xi8>
# I8: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = -5 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.0199999996, zero_point = -5>}
# I8: return %[[Y]]

# Broadcasting: the rank-1 constant is reshaped to [1, 1, 1, 3] before its
# zero point (-6) is removed. 0.3 * 0.7 / 0.11 = 1.909... is above 1:
#   frexp (0.954545459, 1) -> 2049870813, shift 30.
# RELU6 clamps to [0, round(6 / 0.11)] = [0, 55].
# BC8-LABEL: func.func @main(
# BC8: %[[C:.*]] = "tosa.const"() <{values = dense<[1, -7, 100]> : tensor<3xi8>}>
# BC8: %[[CR:.*]] = tosa.reshape %[[C]], %{{.*}} : {{.*}} -> tensor<1x1x1x3xi8>
# BC8: %[[AX:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x3xi32>
# BC8-DAG: %[[CZP:.*]] = "tosa.const"() <{values = dense<-6> : tensor<1xi8>}>
# BC8: %[[CX:.*]] = tosa.rescale %[[CR]], %{{.*}}, %{{.*}}, %[[CZP]], %{{.*}} {{.*}} -> tensor<1x1x1x3xi32>
# BC8: %[[P:.*]] = tosa.mul %[[AX]], %[[CX]], %{{.*}} : {{.*}} -> tensor<1x4x4x3xi32>
# BC8-DAG: %[[OM:.*]] = "tosa.const"() <{values = dense<2049870813> : tensor<1xi32>}>
# BC8-DAG: %[[OS:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
# BC8: %[[R:.*]] = tosa.rescale %[[P]], %[[OM]], %[[OS]], {{.*}} -> tensor<1x4x4x3xi8>
# BC8: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = 55 : i8, min_val = 0 : i8
# BC8: return %[[Y]]

# float32: tosa.mul with a zero shift operand; RELU_N1_TO_1 is a clamp to
# [-1, 1]. No rescale.
# F32-LABEL: func.func @main(%{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<2x3xf32>) -> tensor<2x3xf32>
# F32-NOT: tosa.rescale
# F32: %[[S:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# F32-NEXT: %[[P:.*]] = tosa.mul %arg0, %arg1, %[[S]] : {{.*}} -> tensor<2x3xf32>
# F32-NEXT: %[[Y:.*]] = tosa.clamp %[[P]] {max_val = 1.000000e+00 : f32, min_val = -1.000000e+00 : f32}
# F32-NEXT: return %[[Y]]

# int32: tosa.mul with shift 0 (no rounding shift of the product).
# I32-LABEL: func.func @main(%{{.*}}: tensor<4xi32>, %{{.*}}: tensor<4xi32>) -> tensor<4xi32>
# I32-NEXT: %[[S:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# I32-NEXT: %[[P:.*]] = tosa.mul %arg0, %arg1, %[[S]] : {{.*}} -> tensor<4xi32>
# I32-NEXT: return %[[P]]

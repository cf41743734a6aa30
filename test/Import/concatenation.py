# Imports CONCATENATION: a negative axis with a fused RELU on float32, int8
# inputs (one constant) sharing the output's quantization with a fused
# RELU6, and int8 without an activation.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float_axis_neg1_relu.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int8_const_relu6.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/int8_axis0.tflite | FileCheck %s --check-prefix=AX0

import os
import sys

from tflgen import Model


def concat(name, shapes, out_shape, axis, act="NONE", dtype="FLOAT32",
           quant=None, const_input=None):
    """`const_input` = (position, values): that input is a constant."""
    m = Model(description=name)
    q = {} if quant is None else {"scale": quant[0], "zero_point": quant[1]}
    ins, graph_ins = [], []
    for i, shape in enumerate(shapes):
        if const_input is not None and const_input[0] == i:
            ins.append(m.const("c%d" % i, shape, dtype, values=const_input[1],
                               **q))
        else:
            ins.append(m.tensor("in%d" % i, shape, dtype, **q))
            graph_ins.append(ins[-1])
    y = m.tensor("output", out_shape, dtype, **q)
    m.op("CONCATENATION", inputs=ins, outputs=[y], options=(
        "ConcatenationOptions", {"axis": axis, "fused_activation_function": act}))
    m.inputs(graph_ins)
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
concat("float_axis_neg1_relu", [[1, 2, 2, 3], [1, 2, 2, 5]], [1, 2, 2, 8],
       axis=-1, act="RELU")
concat("int8_const_relu6", [[2, 1, 4], [2, 2, 4], [2, 3, 4]], [2, 6, 4],
       axis=1, act="RELU6", dtype="INT8", quant=(0.1, -10),
       const_input=(1, list(range(-8, 8))))
concat("int8_axis0", [[1, 3], [2, 3]], [3, 3], axis=0, dtype="INT8",
       quant=(0.5, 3))

# axis -1 is normalized to 3 (rank 4); RELU on float is a clamp to [0, +inf].
# F32-LABEL: func.func @main(%{{.*}}: tensor<1x2x2x3xf32>, %{{.*}}: tensor<1x2x2x5xf32>) -> tensor<1x2x2x8xf32>
# F32-NEXT: %[[C:.*]] = tosa.concat %arg0, %arg1 {axis = 3 : i32} : (tensor<1x2x2x3xf32>, tensor<1x2x2x5xf32>) -> tensor<1x2x2x8xf32>
# F32-NEXT: %[[Y:.*]] = tosa.clamp %[[C]] {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32}
# F32-NEXT: return %[[Y]]

# int8: TFLite requires every input to share the output's scale and zero
# point, so the values are concatenated as they are (no rescale); the
# constant input keeps its quantization. RELU6 clamps to
# [-10, -10 + round(6 / 0.1)] = [-10, 50].
# I8-LABEL: func.func @main(
# I8-SAME: %[[A:[^:]*]]: tensor<2x1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -10>}
# I8-SAME: %[[B:[^:]*]]: tensor<2x3x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -10>}
# I8-NOT: tosa.rescale
# I8: %[[K:.*]] = "tosa.const"() <{values = dense<{{\[\[}}[-8, -7, -6, -5], [-4, -3, -2, -1]], {{\[\[}}0, 1, 2, 3], [4, 5, 6, 7]]]> : tensor<2x2x4xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -10>}
# I8-NEXT: %[[C:.*]] = tosa.concat %[[A]], %[[K]], %[[B]] {axis = 1 : i32} : (tensor<2x1x4xi8>, tensor<2x2x4xi8>, tensor<2x3x4xi8>) -> tensor<2x6x4xi8>
# I8-NEXT: %[[Y:.*]] = tosa.clamp %[[C]] {max_val = 50 : i8, min_val = -10 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -10>}
# I8-NEXT: return %[[Y]]

# int8 without an activation: the concat itself carries the quantization.
# AX0-LABEL: func.func @main(
# AX0-NEXT: %[[C:.*]] = tosa.concat %arg0, %arg1 {axis = 0 : i32, tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 3>} : (tensor<1x3xi8>, tensor<2x3xi8>) -> tensor<3x3xi8>
# AX0-NOT: tosa.clamp
# AX0-NEXT: return %[[C]]

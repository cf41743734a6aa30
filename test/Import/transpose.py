# Imports TRANSPOSE: NHWC -> NCHW on float32, a 2-D int8 transpose
# (quantization kept) and a rank-3 rotation. The permutation comes from a
# constant int32 tensor and becomes the perms attribute of tosa.transpose.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/nhwc_to_nchw.tflite | FileCheck %s --check-prefix=NCHW
# RUN: tinyprune-translate --import-tflite %t/int8_2d.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/rank3.tflite | FileCheck %s --check-prefix=R3

import os
import sys

from tflgen import Model


def transpose(name, in_shape, perm, dtype="FLOAT32", quant=None):
    m = Model(description=name)
    q = {} if quant is None else {"scale": quant[0], "zero_point": quant[1]}
    x = m.tensor("input", in_shape, dtype, **q)
    p = m.const("perm", [len(perm)], "INT32", values=perm)
    y = m.tensor("output", [in_shape[i] for i in perm], dtype, **q)
    m.op("TRANSPOSE", inputs=[x, p], outputs=[y],
         options=("TransposeOptions", {}))
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
transpose("nhwc_to_nchw", [1, 5, 6, 3], [0, 3, 1, 2])
transpose("int8_2d", [4, 7], [1, 0], "INT8", quant=(0.75, -2))
transpose("rank3", [2, 3, 4], [2, 0, 1])

# NHWC [1, 5, 6, 3] with perm [0, 3, 1, 2]: output dim i is input dim
# perm[i], [1, 3, 5, 6]. The perm tensor is folded into the attribute, so no
# constant is emitted.
# NCHW-LABEL: func.func @main(%{{.*}}: tensor<1x5x6x3xf32>) -> tensor<1x3x5x6xf32>
# NCHW-NOT: "tosa.const"
# NCHW: %[[Y:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x5x6x3xf32>) -> tensor<1x3x5x6xf32>
# NCHW-NEXT: return %[[Y]]

# int8: values are only moved, so the result keeps the input quantization.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:[^:]*]]: tensor<4x7xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.75, zero_point = -2>}
# I8-SAME: -> (tensor<7x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.75, zero_point = -2>})
# I8-NEXT: %[[Y:.*]] = tosa.transpose %[[X]] {perms = array<i32: 1, 0>, tinyprune.quant = #tinyprune.quant<scale = 0.75, zero_point = -2>} : (tensor<4x7xi8>) -> tensor<7x4xi8>
# I8-NEXT: return %[[Y]]

# Rank 3, perm [2, 0, 1]: [2, 3, 4] -> [4, 2, 3].
# R3-LABEL: func.func @main(%{{.*}}: tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
# R3-NEXT: %[[Y:.*]] = tosa.transpose %arg0 {perms = array<i32: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
# R3-NEXT: return %[[Y]]
